import type { Output } from './output.js';

/**
 * The environment variables the CLI reads, each with what it sets, for `--help`: every command lists
 * the ones it reads. An option always wins over its variable. The README's table lists every
 * Promptline variable (SDK, collector, deploy files); `test/lint/environment.test.ts` keeps it, the
 * code and these help texts in step.
 */
export const CLI_VARIABLES = {
  PROMPTLINE_HOME:
    'local directory: state, keys, engine data, write-ahead log (--dir; default ./.promptline)',
  PROMPTLINE_DATA_DIR: "the embedded engine's directory (default DIR/data)",
  PROMPTLINE_ENGINE_READERS:
    "the embedded engine's connections for reads beside the writing one (default one per CPU, 2 to 8)",
  PROMPTLINE_CLICKHOUSE_URL: 'a ClickHouse server URL (--clickhouse; default: the embedded engine)',
  PROMPTLINE_CLICKHOUSE_USER: 'its user (default "default")',
  PROMPTLINE_CLICKHOUSE_PASSWORD: 'its password',
  PROMPTLINE_COLLECTOR_URL: 'a running collector (--collector)',
  PROMPTLINE_API_KEY: 'API key for the collector (--api-key)',
  PROMPTLINE_PROJECT: 'project read from ClickHouse directly (--project; default "default")',
  PROMPTLINE_COLLECTOR_CONFIG: 'collector config file (--config)',
  PROMPTLINE_COLLECTOR_ENDPOINT:
    'host:port the collector listens on (--host, --port; default 127.0.0.1:4318)',
  PROMPTLINE_WAL_DIR: 'write-ahead log directory (default DIR/wal)',
  PROMPTLINE_WAL_FSYNC: 'write-ahead log flushing: always | interval | never (default always)',
  PROMPTLINE_LOG_LEVEL: "the collector's log level (default info)",
  PROMPTLINE_SQL_USER: "the SQL endpoint's read-only ClickHouse user (with a server)",
  PROMPTLINE_SQL_PASSWORD: 'its password',
} as const;

export type CliVariable = keyof typeof CLI_VARIABLES;

/** What `metrics`, `compare` and `regressions` read: a collector, a ClickHouse server, or the engine. */
export const READ_SOURCE_VARIABLES: readonly CliVariable[] = [
  'PROMPTLINE_HOME',
  'PROMPTLINE_DATA_DIR',
  'PROMPTLINE_COLLECTOR_URL',
  'PROMPTLINE_API_KEY',
  'PROMPTLINE_CLICKHOUSE_URL',
  'PROMPTLINE_CLICKHOUSE_USER',
  'PROMPTLINE_CLICKHOUSE_PASSWORD',
  'PROMPTLINE_PROJECT',
];

/** Deprecated names the CLI still reads, and what replaces each. */
export const DEPRECATED_CLI_VARIABLES = {
  PROMPTLINE_HOST: 'PROMPTLINE_COLLECTOR_ENDPOINT=host:port (or --host)',
  PROMPTLINE_PORT: 'PROMPTLINE_COLLECTOR_ENDPOINT=host:port (or --port)',
} as const;

export type DeprecatedCliVariable = keyof typeof DEPRECATED_CLI_VARIABLES;

/** The `Environment:` section of a command's help, for the variables it reads. */
export function environmentHelp(names: readonly CliVariable[]): string {
  const width = Math.max(...names.map((n) => n.length));
  return [
    '',
    'Environment (an option wins over its variable; every variable: README, Configuration by environment):',
    ...names.map((n) => `  ${n.padEnd(width)}  ${CLI_VARIABLES[n]}`),
  ].join('\n');
}

const warned = new Set<string>();

/** Warns once per process that a deprecated variable was used, and what to set instead. */
export function warnDeprecatedVariable(out: Output, name: DeprecatedCliVariable): void {
  if (warned.has(name)) return;
  warned.add(name);
  out.warn(`${name} is deprecated and will be removed: set ${DEPRECATED_CLI_VARIABLES[name]} instead`);
}

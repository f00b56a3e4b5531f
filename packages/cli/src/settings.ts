import { dirname, join, resolve } from 'node:path';

import { CliError } from './CliError.js';

/** Where a setting's value came from: precedence is option → environment → default. */
export type SettingSource = 'option' | 'env' | 'default';

export interface Setting<T> {
  value: T;
  source: SettingSource;
}

/** Environment variables the CLI resolves here (each also has a command-line option). */
export const ENV = {
  HOME: 'PROMPTLINE_HOME',
  /** The embedded engine's directory; shared with the collector's config override of the same name. */
  DATA_DIR: 'PROMPTLINE_DATA_DIR',
  WAL_DIR: 'PROMPTLINE_WAL_DIR',
  CLICKHOUSE_URL: 'PROMPTLINE_CLICKHOUSE_URL',
  COLLECTOR_URL: 'PROMPTLINE_COLLECTOR_URL',
  API_KEY: 'PROMPTLINE_API_KEY',
  /** Where the collector listens (`host:port`); the collector's own override, applied by its config. */
  COLLECTOR_ENDPOINT: 'PROMPTLINE_COLLECTOR_ENDPOINT',
  /** Deprecated: `PROMPTLINE_COLLECTOR_ENDPOINT` replaces it. */
  HOST: 'PROMPTLINE_HOST',
  /** Deprecated: `PROMPTLINE_COLLECTOR_ENDPOINT` replaces it. */
  PORT: 'PROMPTLINE_PORT',
  CONFIG: 'PROMPTLINE_COLLECTOR_CONFIG',
  PROJECT: 'PROMPTLINE_PROJECT',
} as const;

export const DEFAULT_HOME = '.promptline';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4318;

type Env = Record<string, string | undefined>;

function pick(option: string | undefined, env: Env, envName: string): Setting<string> | undefined {
  if (option !== undefined && option !== '') return { value: option, source: 'option' };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'env' };
  return undefined;
}

/**
 * The local Promptline directory (absolute): state file, embedded engine data (`data/`) and the
 * collector's write-ahead log (`wal/`). `--dir` → `PROMPTLINE_HOME` → the parent of
 * `PROMPTLINE_DATA_DIR` → `./.promptline`.
 */
export function resolveHome(option: string | undefined, env: Env = process.env): Setting<string> {
  const picked = pick(option, env, ENV.HOME);
  if (picked !== undefined) return { value: resolve(picked.value), source: picked.source };
  const dataDir = env[ENV.DATA_DIR];
  if (dataDir !== undefined && dataDir !== '') return { value: dirname(resolve(dataDir)), source: 'env' };
  return { value: resolve(DEFAULT_HOME), source: 'default' };
}

/**
 * The embedded engine's data directory: `DIR/data` when `--dir` is given, else
 * `PROMPTLINE_DATA_DIR`, else `HOME/data` (the collector's own default, `./.promptline/data`).
 */
export function resolveEngineDir(dirOption: string | undefined, env: Env = process.env): string {
  const home = resolveHome(dirOption, env);
  const dataDir = env[ENV.DATA_DIR];
  if (home.source !== 'option' && dataDir !== undefined && dataDir !== '') return resolve(dataDir);
  return join(home.value, 'data');
}

function checkUrl(setting: Setting<string>, name: string): Setting<string> {
  let url: URL;
  try {
    url = new URL(setting.value);
  } catch {
    throw new CliError(`${name} "${setting.value}" is not a URL`, {
      hint: 'write it as http://host:port, e.g. http://127.0.0.1:8123',
      exitCode: 2,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${name} "${setting.value}" must use http or https`, { exitCode: 2 });
  }
  return { value: setting.value.replace(/\/+$/, ''), source: setting.source };
}

/** A ClickHouse server URL: `--clickhouse` → `PROMPTLINE_CLICKHOUSE_URL` → none (embedded engine). */
export function resolveClickHouseUrl(
  option: string | undefined,
  env: Env = process.env,
): Setting<string> | undefined {
  const picked = pick(option, env, ENV.CLICKHOUSE_URL);
  return picked === undefined ? undefined : checkUrl(picked, '--clickhouse');
}

/** A running collector to read through: `--collector` → `PROMPTLINE_COLLECTOR_URL` → none. */
export function resolveCollectorUrl(
  option: string | undefined,
  env: Env = process.env,
): Setting<string> | undefined {
  const picked = pick(option, env, ENV.COLLECTOR_URL);
  return picked === undefined ? undefined : checkUrl(picked, '--collector');
}

/** An API key for the collector's read API: `--api-key` → `PROMPTLINE_API_KEY` → none. */
export function resolveApiKey(
  option: string | undefined,
  env: Env = process.env,
): Setting<string> | undefined {
  return pick(option, env, ENV.API_KEY);
}

/**
 * The deprecated variable `name`, unless `PROMPTLINE_COLLECTOR_ENDPOINT` (which replaces it) is set:
 * then the collector's config applies that one.
 */
function deprecatedListen(option: string | undefined, env: Env, name: string): Setting<string> | undefined {
  const endpoint = env[ENV.COLLECTOR_ENDPOINT];
  return pick(option, endpoint !== undefined && endpoint !== '' ? {} : env, name);
}

/**
 * Host to bind: `--host` → `PROMPTLINE_COLLECTOR_ENDPOINT` (applied by the collector's config; source
 * `default` here) → the deprecated `PROMPTLINE_HOST` → `127.0.0.1`.
 */
export function resolveHost(option: string | undefined, env: Env = process.env): Setting<string> {
  return deprecatedListen(option, env, ENV.HOST) ?? { value: DEFAULT_HOST, source: 'default' };
}

/**
 * Port to bind: `--port` → `PROMPTLINE_COLLECTOR_ENDPOINT` (applied by the collector's config) → the
 * deprecated `PROMPTLINE_PORT` → 4318 (0 picks a free port).
 */
export function resolvePort(option: string | undefined, env: Env = process.env): Setting<number> {
  const picked = deprecatedListen(option, env, ENV.PORT);
  if (picked === undefined) return { value: DEFAULT_PORT, source: 'default' };
  const port = Number(picked.value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    const name = picked.source === 'option' ? '--port' : ENV.PORT;
    throw new CliError(`${name} "${picked.value}" is not a port number`, {
      hint: 'use an integer from 0 to 65535 (0 picks a free port)',
      exitCode: 2,
    });
  }
  return { value: port, source: picked.source };
}

/**
 * A collector config file (OTel Collector YAML shape): `--config` → `PROMPTLINE_COLLECTOR_CONFIG`
 * (the variable the collector bin reads too) → none.
 */
export function resolveConfigFile(
  option: string | undefined,
  env: Env = process.env,
): Setting<string> | undefined {
  const picked = pick(option, env, ENV.CONFIG);
  return picked === undefined ? undefined : { value: resolve(picked.value), source: picked.source };
}

/**
 * Project whose data direct ClickHouse reads return: `--project` → `PROMPTLINE_PROJECT` → `default`
 * (the project of `promptline up`'s local keys and of anonymous ingest). Through a collector, the
 * API key decides.
 */
export function resolveProject(option: string | undefined, env: Env = process.env): Setting<string> {
  return pick(option, env, ENV.PROJECT) ?? { value: 'default', source: 'default' };
}

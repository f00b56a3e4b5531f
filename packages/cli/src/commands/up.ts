import { join } from 'node:path';

import { ConfigError, loadConfig, startCollector } from '@promptline/collector';
import type { CollectorConfig, RunningCollector } from '@promptline/collector';
import type { Command } from 'commander';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { isLockError, lockHolder } from '../engine.js';
import { environmentHelp, warnDeprecatedVariable } from '../environment.js';
import { KEYS_FILE_NAME, loadOrCreateLocalKeys, sha256Hex } from '../localKeys.js';
import type { LocalKeys } from '../localKeys.js';
import {
  resolveClickHouseUrl,
  resolveConfigFile,
  resolveEngineDir,
  resolveHome,
  ENV,
  resolvePort,
  resolveHost,
} from '../settings.js';
import { readCollectorState, removeCollectorState, writeCollectorState } from '../stateFile.js';

/** Network errors that mean the ClickHouse server did not answer. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

interface UpCommandOptions {
  clickhouse?: string;
  host?: string;
  port?: string;
  config?: string;
}

const LOCAL_PROJECT = 'default';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The collector configuration `up` runs: the config file (or the collector's defaults, with its
 * environment overrides), then the CLI's options on top. Read (and so checked) before anything is
 * written to the directory.
 */
function buildConfig(opts: UpCommandOptions, global: GlobalOptions, ctx: CliContext): CollectorConfig {
  const { env } = ctx;
  const file = resolveConfigFile(opts.config, env);
  let config: CollectorConfig;
  try {
    config = loadConfig(file?.value, env as NodeJS.ProcessEnv);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(error.message, {
        hint: file === undefined ? 'check the PROMPTLINE_* environment variables' : `fix ${file.value}`,
        exitCode: 2,
      });
    }
    throw error;
  }
  const host = resolveHost(opts.host, env);
  const port = resolvePort(opts.port, env);
  if (host.source === 'env') warnDeprecatedVariable(ctx.out, 'PROMPTLINE_HOST');
  if (port.source === 'env') warnDeprecatedVariable(ctx.out, 'PROMPTLINE_PORT');
  // The collector's own default (and PROMPTLINE_COLLECTOR_ENDPOINT / the file) apply unless set here.
  if (host.source !== 'default') config.receiver.host = host.value;
  if (port.source !== 'default') config.receiver.port = port.value;
  const clickhouse = resolveClickHouseUrl(opts.clickhouse, env);
  if (clickhouse !== undefined) config.exporter.endpoint = clickhouse.value;
  if (global.dir !== undefined || (file === undefined && env[ENV.DATA_DIR] === undefined)) {
    const home = resolveHome(global.dir, env).value;
    config.exporter.dataDir = resolveEngineDir(global.dir, env);
    if (env[ENV.WAL_DIR] === undefined || global.dir !== undefined)
      config.exporter.wal.dir = join(home, 'wal');
  }
  return config;
}

/** Adds the directory's local API keys to the configuration. */
function addLocalKeys(config: CollectorConfig, keys: LocalKeys): void {
  // Without configured keys the collector accepts anonymous ingest; once ours are added, keep that
  // only while it listens on loopback (a local demo or dev loop), never on a reachable address.
  if (config.auth.keys.length === 0 && !isLoopback(config.receiver.host))
    config.auth.allowAnonymousIngest = false;
  config.auth.keys.push(
    { sha256: sha256Hex(keys.ingest), project: LOCAL_PROJECT, scopes: ['ingest'], name: 'local-ingest' },
    { sha256: sha256Hex(keys.read), project: LOCAL_PROJECT, scopes: ['read'], name: 'local-read' },
    {
      sha256: sha256Hex(keys.admin),
      project: LOCAL_PROJECT,
      scopes: ['read', 'write', 'admin'],
      name: 'local-admin',
    },
  );
}

function waitForSignal(ctx: CliContext): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let count = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      count++;
      if (count === 1) {
        resolve(signal);
        return;
      }
      ctx.out.warn(
        `${signal} again: exiting without draining (the write-ahead log keeps the data for the next start)`,
      );
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function runUp(opts: UpCommandOptions, global: GlobalOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const home = resolveHome(global.dir, env).value;
  const running = await readCollectorState(home);
  if (running !== undefined) {
    throw new CliError(`a collector is already running for ${home}: ${running.url} (pid ${running.pid})`, {
      hint: 'use it (promptline metrics reads through it), stop it with Ctrl-C, or pick another --dir',
    });
  }
  const config = buildConfig(opts, global, ctx);
  const { keys, created } = await loadOrCreateLocalKeys(home);
  if (created) out.note(`created local API keys in ${join(home, KEYS_FILE_NAME)} (mode 0600)`);
  addLocalKeys(config, keys);
  const embedded = config.exporter.endpoint === '';
  const engine = embedded
    ? `embedded ClickHouse in ${config.exporter.dataDir}`
    : `ClickHouse at ${config.exporter.endpoint}`;

  const holder = embedded ? lockHolder(config.exporter.dataDir) : undefined;
  if (holder !== undefined) {
    throw new CliError(
      `the data directory ${config.exporter.dataDir} is locked by another process (pid ${holder})`,
      {
        hint: 'another collector (or program) uses it: stop that one, or pick another --dir',
      },
    );
  }
  const starting = out.progress(`starting the collector (${engine}; migrations, write-ahead log replay)`);
  let collector: RunningCollector;
  try {
    collector = await startCollector(config);
    starting.done();
  } catch (error) {
    starting.fail();
    if (isLockError(error)) {
      throw new CliError(`the data directory ${config.exporter.dataDir} is locked by another process`, {
        hint: 'another collector (or program) uses it: stop that one, or pick another --dir',
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    if (/EADDRINUSE/.test(message)) {
      throw new CliError(`port ${config.receiver.port} on ${config.receiver.host} is already in use`, {
        hint: 'pick another with --port (0 picks a free one)',
        cause: error,
      });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (config.exporter.endpoint !== '' && code !== undefined && UNREACHABLE.has(code)) {
      throw new CliError(`cannot reach ClickHouse at ${config.exporter.endpoint}: ${message}`, {
        hint: 'check the URL and that the server is running (it must accept HTTP, usually port 8123)',
        cause: error,
      });
    }
    throw new CliError(`the collector did not start: ${message}`, { cause: error });
  }

  await writeCollectorState(home, {
    pid: process.pid,
    url: collector.url,
    ingestKey: keys.ingest,
    readKey: keys.read,
    adminKey: keys.admin,
    ...(embedded ? { engineDir: config.exporter.dataDir } : { clickhouseUrl: config.exporter.endpoint }),
    startedAt: new Date().toISOString(),
  });
  out.line('Promptline collector running');
  out.line(`  OTLP/HTTP   ${collector.url}  (POST /v1/traces, /v1/logs)`);
  out.line(`  storage     ${engine}`);
  out.line(`  WAL         ${config.exporter.wal.dir}`);
  // Only the read key is printed (terminal scrollback and CI logs keep what is printed); the ingest
  // and admin keys stay in the keys file.
  const keysFile = join(home, KEYS_FILE_NAME);
  out.line(`  read key    ${keys.read}  (promptline metrics and prompts, the read API, the console)`);
  out.line(`  other keys  ingest (SDKs, OTLP exporters) and admin (registry) in ${keysFile} (mode 0600)`);
  if (collector.console !== undefined) {
    if (collector.console.built) {
      const login = collector.console.loginUrl({ project: LOCAL_PROJECT, keyName: 'local-read' });
      out.line(`  console     ${login.url}`);
      out.line(
        '              (one-time login link, valid 15 min; `promptline console` prints a new one, or log in with the read key)',
      );
    } else out.line('  console     not built: run `pnpm build` (then restart)');
  }
  out.line(`SDK: init({ endpoint: '${collector.url}', apiKey: <"ingest" in ${keysFile}> })`);
  out.line('Press Ctrl-C to stop (the write-ahead log is drained first).');

  const signal = await waitForSignal(ctx);
  const stopping = out.progress(`${signal}: stopping (draining the write-ahead log into ClickHouse)`);
  try {
    await collector.stop();
    stopping.done();
  } finally {
    await removeCollectorState(home);
  }
}

/** `promptline up`: the collector with the embedded engine (or a ClickHouse URL), until Ctrl-C. */
export const register = (program: Command, ctx: CliContext): void => {
  program
    .command('up')
    .description(
      'run the collector: OTLP in, write-ahead log, ClickHouse (embedded by default), read API and web console',
    )
    .option(
      '--clickhouse <url>',
      'write to a ClickHouse server (env PROMPTLINE_CLICKHOUSE_URL; default: embedded)',
    )
    .option('--host <host>', 'address to listen on (env PROMPTLINE_COLLECTOR_ENDPOINT, default 127.0.0.1)')
    .option(
      '--port <port>',
      'port to listen on; 0 picks a free one (env PROMPTLINE_COLLECTOR_ENDPOINT, default 4318)',
    )
    .option(
      '--config <file>',
      'collector config file, OpenTelemetry Collector YAML shape (env PROMPTLINE_COLLECTOR_CONFIG)',
    )
    .addHelpText(
      'after',
      environmentHelp([
        'PROMPTLINE_HOME',
        'PROMPTLINE_DATA_DIR',
        'PROMPTLINE_ENGINE_READERS',
        'PROMPTLINE_WAL_DIR',
        'PROMPTLINE_COLLECTOR_CONFIG',
        'PROMPTLINE_COLLECTOR_ENDPOINT',
        'PROMPTLINE_CLICKHOUSE_URL',
        'PROMPTLINE_CLICKHOUSE_USER',
        'PROMPTLINE_CLICKHOUSE_PASSWORD',
        'PROMPTLINE_WAL_FSYNC',
        'PROMPTLINE_LOG_LEVEL',
        'PROMPTLINE_SQL_USER',
        'PROMPTLINE_SQL_PASSWORD',
      ]),
    )
    .action(async (opts: UpCommandOptions, command: Command) => {
      await runUp(opts, command.optsWithGlobals<GlobalOptions>(), ctx);
    });
};

/**
 * The exporter's ClickHouse: the embedded engine in a private data directory, or a server; and the
 * schema the collector migrates in it at start.
 */
import { ClickHouseLogLevel } from '@clickhouse/client';
import type {
  ClickHouseClient,
  ClickHouseClientConfigOptions,
  Logger as ClientLogger,
} from '@clickhouse/client';
import { migrate, openClickHouse } from '@promptline/clickhouse';
import type { Logger } from '../logger.js';
import { ensurePrivateDir } from '../wal/WriteAheadLog.js';
import type { ExporterConfig } from './exporterConfig.js';

/** The collector's ClickHouse client and whether it opened (and so closes) it. */
export interface Storage {
  client: ClickHouseClient;
  /** The embedded engine (it owns the data directory); `false` with a ClickHouse server. */
  embedded: boolean;
  /** `false` when the caller passed the client in (the caller closes it). */
  owned: boolean;
}

/**
 * The server client's own log, into the collector's: its warnings and errors as `debug` lines,
 * without their stack (the collector reports every failed insert, query and migration itself, once,
 * at its level); nothing below a warning. Before, the client wrote each failed request with its
 * stack straight to the console, whatever `PROMPTLINE_LOG_LEVEL` said.
 */
export function clientLogOf(log: Logger): NonNullable<ClickHouseClientConfigOptions['log']> {
  const line = (p: { module: string; message: string; err?: Error }): void =>
    log.debug(`clickhouse client (${p.module}): ${p.message.trim()}${p.err ? `: ${p.err.message}` : ''}`);
  class CollectorLog implements ClientLogger {
    trace(): void {}
    debug(): void {}
    info(): void {}
    warn(p: { module: string; message: string; err?: Error }): void {
      line(p);
    }
    error(p: { module: string; message: string; err: Error }): void {
      line(p);
    }
  }
  return { LoggerClass: CollectorLog, level: ClickHouseLogLevel.WARN };
}

/** Opens the configured ClickHouse, or wraps `client` when one is given. */
export function openStorage(
  config: ExporterConfig,
  client: ClickHouseClient | undefined,
  log: Logger,
): Storage {
  const embedded = config.endpoint === '';
  if (client !== undefined) return { client, embedded, owned: false };
  // The engine's files hold every project's telemetry: readable by this user only.
  if (embedded) ensurePrivateDir(config.dataDir, log);
  return {
    client: openClickHouse(
      embedded
        ? { url: '', path: config.dataDir, readers: config.engineReaders }
        : {
            url: config.endpoint,
            username: config.username,
            password: config.password,
            database: config.database,
            requestTimeoutMs: config.timeoutMs,
            log: clientLogOf(log),
          },
    ),
    embedded,
    owned: true,
  };
}

/** Runs the migrations (when `migrate` is on), creating a server's database first. */
export async function migrateStorage(storage: Storage, config: ExporterConfig, log: Logger): Promise<void> {
  if (!config.migrate) return;
  // A server session whose database does not exist yet rejects every query, so create it through
  // a session on `default` first (migrate() creates it too, for the embedded engine).
  if (!storage.embedded && storage.owned) await createServerDatabase(config, log);
  const result = await migrate(storage.client, {
    createSchema: config.createSchema,
    database: config.database,
    attributeIndexes: config.attributeIndexes,
    ttlDays: config.ttlDays,
  });
  if (result.applied.length > 0) log.info(`migrations applied: ${result.applied.join(', ')}`);
}

/** `CREATE DATABASE IF NOT EXISTS` for the configured database, through a session on `default`. */
async function createServerDatabase(config: ExporterConfig, log: Logger): Promise<void> {
  if (config.database === 'default') return;
  const bootstrap = openClickHouse({
    url: config.endpoint,
    username: config.username,
    password: config.password,
    database: 'default',
    requestTimeoutMs: config.timeoutMs,
    log: clientLogOf(log),
  });
  try {
    // The name was validated as a plain identifier by the exporter's config reader.
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS \`${config.database}\`` });
  } finally {
    await bootstrap.close();
  }
}

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient, ClickHouseClientConfigOptions, ClickHouseSettings } from '@clickhouse/client';
import type * as ChdbConnection from 'chdb/connection';
import { EngineConnections } from './EngineConnections.js';
import type { EngineConnection } from './EngineConnections.js';

/**
 * The embedded engine's allocator settings, unless the environment sets `JE_MALLOC_CONF`: one arena
 * for all of the engine's threads instead of one per CPU. The engine (chdb's ClickHouse) has its own
 * jemalloc, which keeps freed pages for reuse for a few seconds, but only in the arena that freed them;
 * with one arena per CPU, an insert on the other CPU could not reuse them and the process carried both
 * arenas' worth. Measured in the collector README (Performance).
 */
export const ENGINE_MALLOC_CONF = 'percpu_arena:disabled,narenas:1';

const requireHere = createRequire(import.meta.url);

/**
 * Loads the embedded engine (`chdb/connection`) on first use, so a server client never maps its
 * library. jemalloc reads `JE_MALLOC_CONF` once, when the library loads: it is set just before,
 * unless already set (an empty value keeps jemalloc's own defaults).
 */
function loadChdb(): typeof ChdbConnection {
  process.env.JE_MALLOC_CONF ??= ENGINE_MALLOC_CONF;
  return requireHere('chdb/connection') as typeof ChdbConnection;
}

/** Options of {@link openClickHouse}. */
export interface OpenClickHouseOptions {
  /**
   * ClickHouse server URL (`http://host:8123`). When set, the HTTP client is used and `path` is
   * ignored. Default: env `PROMPTLINE_CLICKHOUSE_URL`, else embedded mode.
   */
  url?: string;
  /**
   * Data directory of the embedded engine (chdb). Default: env `PROMPTLINE_DATA_DIR`, else
   * `./.promptline/data`. One engine (one directory) per process.
   */
  path?: string;
  /**
   * Embedded mode: connections that answer reads beside the one that writes (see
   * EngineConnections.ts), 0 to 16; 0 sends everything through one connection, one statement at a
   * time. Default: env `PROMPTLINE_ENGINE_READERS`, else {@link defaultEngineReaders}. Server mode
   * ignores it.
   */
  readers?: number;
  /** Server user. Default: env `PROMPTLINE_CLICKHOUSE_USER`, else `default`. */
  username?: string;
  /** Server password. Default: env `PROMPTLINE_CLICKHOUSE_PASSWORD`, else `''`. */
  password?: string;
  /** Default database of the HTTP session. Default `default`. Embedded mode ignores it (we qualify names). */
  database?: string;
  /** Server request timeout in ms. Default 30000. */
  requestTimeoutMs?: number;
  /** Extra settings sent with every server request. */
  clickhouseSettings?: ClickHouseSettings;
  /**
   * Logging of the server client (`@clickhouse/client`'s `log` option). Default: the client's own,
   * which writes warnings and errors, with their stack, to the console. A program that reports
   * failures itself (the CLI) turns it off: `{ level: ClickHouseLogLevel.OFF }`.
   */
  log?: ClickHouseClientConfigOptions['log'];
}

/** Data directory of each embedded client (absent for server clients). */
const EMBEDDED_DIRS = new WeakMap<ClickHouseClient, string>();

/** The data directory of a client opened in embedded mode, `undefined` for a server client. */
export function embeddedDataDir(client: ClickHouseClient): string | undefined {
  return EMBEDDED_DIRS.get(client);
}

/** Most read connections of an embedded client. */
export const MAX_ENGINE_READERS = 16;

/**
 * Read connections of an embedded client unless told: one per CPU the process may use, at least 2
 * (a long read leaves one for the others) and at most 8. Reads beyond the CPUs only share them.
 */
export function defaultEngineReaders(): number {
  const v = process.env.PROMPTLINE_ENGINE_READERS;
  if (v !== undefined && v !== '') return Number(v);
  return Math.min(8, Math.max(2, availableParallelism()));
}

/** Default embedded data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.promptline/data';

/**
 * Open a `@clickhouse/client` client: against a server when a URL is configured, else on the
 * embedded engine (chdb) with an on-disk data directory.
 *
 * @example
 * const client = openClickHouse({ path: '/var/lib/promptline' });
 * await migrate(client);
 * await client.close();
 */
export function openClickHouse(opts: OpenClickHouseOptions = {}): ClickHouseClient {
  const url = opts.url ?? process.env.PROMPTLINE_CLICKHOUSE_URL;
  if (url !== undefined && url !== '') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(
        `openClickHouse: url ${JSON.stringify(url)} is not a valid URL (expected http(s)://host:8123)`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`openClickHouse: url must use http: or https:, got ${parsed.protocol}`);
    }
    return createClient({
      url,
      username: opts.username ?? process.env.PROMPTLINE_CLICKHOUSE_USER ?? 'default',
      password: opts.password ?? process.env.PROMPTLINE_CLICKHOUSE_PASSWORD ?? '',
      database: opts.database ?? 'default',
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      clickhouse_settings: opts.clickhouseSettings,
      log: opts.log,
    });
  }
  const readers = opts.readers ?? defaultEngineReaders();
  if (!Number.isInteger(readers) || readers < 0 || readers > MAX_ENGINE_READERS)
    throw new Error(
      `openClickHouse: readers (or env PROMPTLINE_ENGINE_READERS) must be a whole number from 0 to ${MAX_ENGINE_READERS} (got ${String(opts.readers ?? process.env.PROMPTLINE_ENGINE_READERS)})`,
    );
  const dir = resolve(opts.path ?? process.env.PROMPTLINE_DATA_DIR ?? DEFAULT_DATA_DIR);
  mkdirSync(dir, { recursive: true });
  const chdb = loadChdb();
  // chdb 3.4 types its Connection against @clickhouse/client-common 1.23.0 while the client is
  // 1.23.1: identical contract, distinct declaration files, hence the cast.
  const connection = new EngineConnections(
    () => chdb.createChdbConnection({ path: dir }) as unknown as EngineConnection,
    readers,
  );
  const client = createClient({ connection });
  EMBEDDED_DIRS.set(client, dir);
  return client;
}

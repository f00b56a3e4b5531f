/**
 * The read side's route modules for a configuration: the typed read API (metrics and view routes,
 * their answers shared per project until the next write of the data they read, through a
 * {@link ReadCache}) and the SQL endpoint. The console reads through the typed API, so it brings
 * that API along; the SQL endpoint stays behind `extensions.promptline_read_api`.
 */
import type { CollectorConfig } from '../config/CollectorConfig.js';
import type { Logger } from '../logger.js';
import type { RouteModule } from '../server/RouteModule.js';
import { metricsRoutes } from './metricsRoutes.js';
import { ReadCache } from './ReadCache.js';
import { checkReaderUser, ReaderConfigError, sqlRoutes } from './sqlRoutes.js';
import type { SqlEndpointOptions } from './sqlRoutes.js';
import { viewRoutes } from './viewRoutes.js';

/**
 * The typed API's routes whose answer reads nothing but the data of the prompt named by `prompt`
 * (its generations, their hourly and daily aggregates, its scores and label history, filtered on
 * its name) and the registry: another prompt's spans cannot change it, so the read cache keeps it
 * while only other prompts receive data. Every other route answers about the whole project: the
 * overview, the filters' values without a prompt, unlinked counts, baseline checks, and breakdowns
 * (they read the raw spans' attributes by span id, and a re-sent copy of a span may name another
 * prompt).
 */
const PROMPT_ANSWERS: ReadonlySet<string> = new Set([
  '/api/v1/prompt-page',
  '/api/v1/dimensions',
  '/api/v1/metrics',
  '/api/v1/timeseries',
  '/api/v1/labels/share',
  '/api/v1/labels/history',
  '/api/v1/compare',
  '/api/v1/regressions',
  '/api/v1/scores/timeseries',
  '/api/v1/distributions',
  '/api/v1/generations',
]);

/** The prompt a typed API answer is about (see {@link PROMPT_ANSWERS}), or undefined: the project. */
export function answerPrompt(url: URL): string | undefined {
  if (!PROMPT_ANSWERS.has(url.pathname)) return undefined;
  const prompt = url.searchParams.get('prompt');
  return prompt === null || prompt === '' ? undefined : prompt;
}

/** What the typed API's read cache follows. */
export interface ReadApiCacheOptions {
  /**
   * A project's (or one of its prompts') data version (a `WriteCounter`'s value): a cached answer is
   * reused only while it is unchanged. Default: none (lifetimes alone).
   */
  writes?: (project: string, prompt?: string) => number;
  /** The cache's clock. Default `Date.now`. */
  now?: () => number;
}

/** The read side's routes: `typed` for the typed API (cached), `sql` for the SQL endpoint. */
export interface ReadApiRoutes {
  typed: RouteModule[];
  sql: RouteModule[];
  /** The typed API's answer cache (its counters for tests and benchmarks). */
  cache: ReadCache;
}

/**
 * Builds the read side's routes. With a ClickHouse server and the SQL endpoint on, checks its
 * reader user first: a reader that can write or has no limits fails the start
 * ({@link ReaderConfigError}); an unreachable server is only a warning (ClickHouse may start after
 * the collector), and the endpoint checks again on use.
 */
export async function readApiRoutes(
  config: CollectorConfig,
  consoleOn: boolean,
  log: Logger,
  cacheOpts: ReadApiCacheOptions = {},
): Promise<ReadApiRoutes> {
  const { writes, now } = cacheOpts;
  const sql = sqlEndpointOptions(config);
  if (config.readApi.enabled && sql.mode === 'server') {
    try {
      await checkReaderUser(sql);
    } catch (e) {
      if (e instanceof ReaderConfigError) throw e;
      log.warn(
        `SQL endpoint: cannot check the ClickHouse user "${sql.username}" yet (${e instanceof Error ? e.message : String(e)}); it answers 503 until the check passes`,
      );
    }
  }
  // The embedded engine's only writer is this collector, whose every write the counter sees: an
  // answer about a window still filling is kept as long as one about an older window (until a
  // write changes its data, or the longer lifetime ends). Decision 0058.
  const readCache = new ReadCache({
    ...(writes === undefined
      ? {}
      : { writes, promptOf: answerPrompt, allWritesSeen: config.exporter.endpoint === '' }),
    ...(now === undefined ? {} : { now }),
  });
  const cached: RouteModule = (router, deps) => {
    const cachedRouter = router.wrapped((h) => readCache.wrap(h, (req) => deps.requireScope(req, 'read')));
    for (const mount of [metricsRoutes, viewRoutes]) mount(cachedRouter, deps);
  };
  return {
    typed: config.readApi.enabled || consoleOn ? [cached] : [],
    sql: config.readApi.enabled ? [sqlRoutes(sql)] : [],
    cache: readCache,
  };
}

/** How the SQL endpoint is served for this configuration (never raw SQL on the embedded engine). */
function sqlEndpointOptions(config: CollectorConfig): SqlEndpointOptions {
  if (config.exporter.endpoint === '') return { mode: 'embedded' };
  const sql = config.readApi.sql;
  if (!sql.enabled) return { mode: 'disabled' };
  return {
    mode: 'server',
    endpoint: config.exporter.endpoint,
    username: sql.username,
    password: sql.password,
    database: config.exporter.database,
    maxConcurrent: sql.maxConcurrent,
    timeoutMs: sql.timeoutMs,
    maxResponseBytes: sql.maxResponseBytes,
  };
}

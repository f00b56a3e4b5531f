/**
 * Starts the collector: wires its components together, in the order data flows through them
 * (storage and schema, write-ahead log, pipelines, exporter, receiver, routes, HTTP server). Each
 * component is built and configured in its own folder.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ApiKeyStore } from './auth/ApiKeyStore.js';
import { scopeGuard } from './auth/scopeGuard.js';
import type { CollectorConfig } from './config/CollectorConfig.js';
import { startConsole } from './console/startConsole.js';
import type { RunningConsole } from './console/startConsole.js';
import { clickHouseSink } from './exporter/ClickHouseSink.js';
import { migrateStorage, openStorage } from './exporter/clickHouseStorage.js';
import { WalDrainer } from './exporter/WalDrainer.js';
import { NewSpanTracker, storedHours } from './exporter/NewSpans.js';
import type { StoredHours } from './exporter/NewSpans.js';
import type { BatchSink, DrainerOptions } from './exporter/WalDrainer.js';
import { createLogger } from './logger.js';
import type { Logger, LogSink } from './logger.js';
import { DEFAULT_DECODE_LIMITS } from './otlp/OtlpDecodeError.js';
import { buildPipelines } from './processors/buildPipeline.js';
import type { ReadCacheStats } from './read/ReadCache.js';
import { readApiRoutes } from './read/readApiRoutes.js';
import { WriteCounter } from './read/WriteCounter.js';
import { OtlpReceiver, otlpRoutes } from './receiver/OtlpReceiver.js';
import type { ReceiverOptions } from './receiver/OtlpReceiver.js';
import { BUILTIN_ROUTE_MODULES } from './routes.js';
import { healthRoutes } from './server/healthRoutes.js';
import { startHttpServer } from './server/httpServer.js';
import type { RouteDeps, RouteModule } from './server/RouteModule.js';
import { Router } from './server/Router.js';
import { SelfMetrics } from './server/SelfMetrics.js';
import { WriteAheadLog } from './wal/WriteAheadLog.js';

export type { RunningConsole } from './console/startConsole.js';

/** Extra wiring for embedding and tests. */
export interface StartOptions {
  /** Route modules mounted after the built-in ones (see {@link RouteModule}). */
  routes?: readonly RouteModule[];
  /** Use this client instead of opening one from the config (the caller closes it). */
  client?: ClickHouseClient;
  /** Replace the ClickHouse sink (tests inject failures with it). */
  sink?: BatchSink;
  /** Log lines go here instead of stderr. */
  logSink?: LogSink;
  /** Serve the console from this directory (a `dist/` with `index.html`) instead of `@promptline/console`'s. */
  consoleDir?: string;
  /**
   * The read cache's clock, which tells the windows still filling from older ones. Default
   * `Date.now`; a benchmark replaying a data set's time sets it.
   */
  now?: () => number;
}

/** A running collector. */
export interface RunningCollector {
  /** Base URL, e.g. `http://127.0.0.1:4318`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly config: CollectorConfig;
  /** The ClickHouse client the collector writes with (and serves reads from). */
  readonly client: ClickHouseClient;
  readonly metrics: SelfMetrics;
  /** Route table (e.g. `router.list()`). */
  readonly router: Router;
  readonly log: Logger;
  /** The web console, or `undefined` when it is disabled. */
  readonly console: RunningConsole | undefined;
  /** Hits, misses and shared reads of the typed read API's answer cache, and what it holds. */
  readCacheStats(): ReadCacheStats;
  /**
   * Seals the WAL and waits until everything acknowledged so far is in ClickHouse (or `timeoutMs`
   * passes). Resolves `true` when the WAL is empty.
   */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Graceful shutdown: stop intake, drain the WAL (bounded by `shutdownTimeoutMs`), close. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a collector with a validated configuration (see `loadConfig`).
 *
 * @example
 * const collector = await startCollector(loadConfig('collector.yaml'));
 * // point an OTLP exporter at `${collector.url}/v1/traces`
 * await collector.stop();
 */
export async function startCollector(
  config: CollectorConfig,
  options: StartOptions = {},
): Promise<RunningCollector> {
  const log = createLogger(config.logLevel, options.logSink);
  const storage = openStorage(config.exporter, options.client, log);
  // Every write through the client is counted per project: the read cache reuses an answer only
  // while no write that may have changed its project's data happened.
  const writes = new WriteCounter();
  writes.count(storage.client);
  let wal: WriteAheadLog | undefined;
  try {
    // Storage and schema, then the write-ahead log (replaying what a previous run left).
    await migrateStorage(storage, config.exporter, log);
    wal = await WriteAheadLog.open(config.exporter.wal, log);
    const metrics = new SelfMetrics();
    // Processors, the exporter (WAL → ClickHouse), and the receiver (OTLP → processors → WAL).
    const pipelines = buildPipelines(config.pipelines);
    metrics.processorCounters = () => pipelines.all().map((p) => [p.name, p.counters()]);
    const { database, releaseMemory } = config.exporter;
    // A data directory this process opened has no other writer: the exporter can tell inserts of
    // only new spans, which the span dedupe then need not look up (decision 0035).
    const newSpans =
      storage.embedded && storage.owned ? await newSpanTracking(storage.client, database) : undefined;
    const sink =
      options.sink ??
      clickHouseSink(storage.client, {
        database,
        releaseMemory,
        log,
        attributed: (scope, write) => writes.attributed(scope, write),
        ...(newSpans === undefined ? {} : { newSpans }),
        onSpanInsert: (path) => metrics.spanInserts[path]++,
      });
    const drainer = new WalDrainer(wal, sink, drainerOptions(config), metrics, log);
    const keys = new ApiKeyStore(config.auth);
    const receiver = new OtlpReceiver(
      { wal, keys, metrics, log, exportHealthy: () => drainer.healthy },
      {
        ...receiverBounds(config),
        limits: DEFAULT_DECODE_LIMITS,
        pipelines,
        spanIdentities: newSpans !== undefined && options.sink === undefined,
      },
    );
    // Routes: OTLP, health and metrics, the console, the read side, the registry, the caller's.
    const consoleWiring = startConsole(config.console, options.consoleDir, log);
    const readApi = await readApiRoutes(config, consoleWiring !== undefined, log, {
      writes: (p, prompt) => writes.valueFor(p, prompt),
      ...(options.now ? { now: options.now } : {}),
    });
    const lifecycle = { stopping: false };
    const router = new Router();
    const deps: RouteDeps = {
      client: storage.client,
      database,
      embedded: storage.embedded,
      keys,
      requireScope: scopeGuard(keys, consoleWiring?.auth),
      log,
    };
    const openWal = wal;
    for (const mount of [
      otlpRoutes(receiver, config.signals),
      healthRoutes({
        metrics,
        wal: openWal,
        stopping: () => lifecycle.stopping,
        exportHealthy: () => drainer.healthy,
        inFlightRequests: () => receiver.inFlight,
        inFlightBytes: () => receiver.inFlightBytes,
      }),
      ...(consoleWiring === undefined ? [] : [consoleWiring.routes]),
      ...readApi.typed,
      ...readApi.sql,
      ...BUILTIN_ROUTE_MODULES,
      ...(options.routes ?? []),
    ])
      mount(router, deps);
    // The HTTP server, then exports.
    const server = await startHttpServer(router, config.receiver, metrics, log);
    drainer.start();
    log.info(
      `listening on ${server.url} (${storage.embedded ? `embedded engine at ${config.exporter.dataDir}` : `ClickHouse ${config.exporter.endpoint}`}, WAL ${config.exporter.wal.dir}, fsync ${config.exporter.wal.fsync})`,
    );
    return {
      url: server.url,
      port: server.port,
      host: server.host,
      config,
      client: storage.client,
      metrics,
      router,
      log,
      console: consoleWiring?.running(server.url),
      readCacheStats: () => readApi.cache.snapshot(),
      flush: (timeoutMs) => flushWal(openWal, timeoutMs),
      stop: once(async () => {
        lifecycle.stopping = true;
        receiver.stopAccepting();
        const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
        server.server.closeIdleConnections();
        if (!(await drainer.drain(Date.now() + config.shutdownTimeoutMs)))
          log.warn(
            `shutdown: ${openWal.pendingBytes} bytes left in the WAL; they are exported on the next start`,
          );
        await openWal.close();
        server.server.closeAllConnections();
        await closed;
        if (storage.owned) await storage.client.close();
        log.info('stopped');
      }),
    };
  } catch (e) {
    await wal?.close().catch(() => undefined);
    if (storage.owned) await storage.client.close().catch(() => undefined);
    throw e;
  }
}

/**
 * The exporter's knowledge of the spans it stored (decision 0035): only for a data directory this
 * process opened, which has no other writer.
 */
async function newSpanTracking(
  client: ClickHouseClient,
  database: string,
): Promise<{ tracker: NewSpanTracker; storedHours: () => Promise<StoredHours> }> {
  const stored = await storedHours(client, database);
  return {
    tracker: new NewSpanTracker({ floorHour: stored.floor, untracked: stored.later }),
    storedHours: () => storedHours(client, database),
  };
}

/** The exporter's loop settings: flush interval, dead-lettering, retries. */
function drainerOptions(config: CollectorConfig): DrainerOptions {
  const { wal, retry } = config.exporter;
  return { flushIntervalMs: wal.flushIntervalMs, deadLetterAfter: wal.deadLetterAfter, ...retry };
}

/** The receiver's bounds: its own, the exporter's lag bounds, and the service's `Retry-After`. */
function receiverBounds(config: CollectorConfig): Omit<ReceiverOptions, 'limits' | 'pipelines'> {
  return {
    ...config.receiver,
    maxLagBytes: config.exporter.wal.maxLagBytes,
    maxLagWaitMs: config.exporter.wal.maxLagWaitMs,
    retryAfterSeconds: config.retryAfterSeconds,
  };
}

/** Seals the WAL and waits until it is empty or `timeoutMs` passed; `true` when empty. */
async function flushWal(wal: WriteAheadLog, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  await wal.sealAndWait();
  while (Date.now() < deadline) {
    if (wal.pendingBytes === 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return wal.pendingBytes === 0;
}

/** `fn` run at most once: later calls return the first call's promise (an idempotent stop). */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

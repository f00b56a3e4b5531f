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
import type { BatchSink } from './exporter/WalDrainer.js';
import { createLogger } from './logger.js';
import type { Logger, LogSink } from './logger.js';
import { DEFAULT_DECODE_LIMITS } from './otlp/OtlpDecodeError.js';
import { buildPipelines } from './processors/buildPipeline.js';
import { readApiRoutes } from './read/readApiRoutes.js';
import { OtlpReceiver, otlpRoutes } from './receiver/OtlpReceiver.js';
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
  const { client } = storage;
  let wal: WriteAheadLog | undefined;
  try {
    await migrateStorage(storage, config.exporter, log);
    wal = await WriteAheadLog.open(config.exporter.wal, log);
    const metrics = new SelfMetrics();
    const pipelines = buildPipelines(config.pipelines);
    metrics.processorCounters = () => pipelines.all().map((p) => [p.name, p.counters()]);
    const sink =
      options.sink ??
      clickHouseSink(client, {
        database: config.exporter.database,
        releaseMemory: config.exporter.releaseMemory,
        log,
      });
    const drainer = new WalDrainer(
      wal,
      sink,
      {
        flushIntervalMs: config.exporter.wal.flushIntervalMs,
        deadLetterAfter: config.exporter.wal.deadLetterAfter,
        ...config.exporter.retry,
      },
      metrics,
      log,
    );
    const keys = new ApiKeyStore(config.auth);
    const receiver = new OtlpReceiver(
      { wal, keys, metrics, log, exportHealthy: () => drainer.healthy },
      {
        ...config.receiver,
        maxLagBytes: config.exporter.wal.maxLagBytes,
        maxLagWaitMs: config.exporter.wal.maxLagWaitMs,
        retryAfterSeconds: config.retryAfterSeconds,
        limits: DEFAULT_DECODE_LIMITS,
        pipelines,
      },
    );

    const consoleWiring = startConsole(config.console, options.consoleDir, log);
    const readApi = await readApiRoutes(config, consoleWiring !== undefined, log);
    const deps: RouteDeps = {
      client,
      database: config.exporter.database,
      embedded: storage.embedded,
      keys,
      requireScope: scopeGuard(keys, consoleWiring?.auth),
      log,
    };
    let stopping = false;
    const openWal = wal;
    const router = new Router();
    const modules: RouteModule[] = [
      otlpRoutes(receiver, config.signals),
      healthRoutes({
        metrics,
        wal: openWal,
        stopping: () => stopping,
        exportHealthy: () => drainer.healthy,
        inFlightRequests: () => receiver.inFlight,
        inFlightBytes: () => receiver.inFlightBytes,
      }),
      ...(consoleWiring === undefined ? [] : [consoleWiring.routes]),
      ...readApi.typed,
      ...readApi.sql,
      ...BUILTIN_ROUTE_MODULES,
      ...(options.routes ?? []),
    ];
    for (const mount of modules) mount(router, deps);

    const server = await startHttpServer(router, config.receiver, metrics, log);
    drainer.start();
    log.info(
      `listening on ${server.url} (${storage.embedded ? `embedded engine at ${config.exporter.dataDir}` : `ClickHouse ${config.exporter.endpoint}`}, WAL ${config.exporter.wal.dir}, fsync ${config.exporter.wal.fsync})`,
    );

    let stopPromise: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      host: server.host,
      config,
      client,
      metrics,
      router,
      log,
      console: consoleWiring?.running(server.url),
      async flush(timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        await openWal.sealAndWait();
        while (Date.now() < deadline) {
          if (openWal.pendingBytes === 0) return true;
          await new Promise((r) => setTimeout(r, 20));
        }
        return openWal.pendingBytes === 0;
      },
      stop() {
        stopPromise ??= (async () => {
          stopping = true;
          receiver.stopAccepting();
          const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
          server.server.closeIdleConnections();
          const drained = await drainer.drain(Date.now() + config.shutdownTimeoutMs);
          if (!drained)
            log.warn(
              `shutdown: ${openWal.pendingBytes} bytes left in the WAL; they are exported on the next start`,
            );
          await openWal.close();
          server.server.closeAllConnections();
          await closed;
          if (storage.owned) await client.close();
          log.info('stopped');
        })();
        return stopPromise;
      },
    };
  } catch (e) {
    await wal?.close().catch(() => undefined);
    if (storage.owned) await client.close().catch(() => undefined);
    throw e;
  }
}

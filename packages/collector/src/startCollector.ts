/**
 * Starts the collector: opens ClickHouse (embedded engine by default), runs migrations, opens the
 * WAL (replaying what a previous run left), starts the export loop and the HTTP server.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import { engineMemoryBytes, migrate, openClickHouse } from '@promptline/clickhouse';
import { ApiKeyStore, AuthError, presentedKey } from './auth/ApiKeyStore.js';
import type { Principal, Scope } from './auth/ApiKeyStore.js';
import type { CollectorConfig } from './config/loadConfig.js';
import { clickHouseSink } from './exporter/ClickHouseSink.js';
import { WalDrainer } from './exporter/WalDrainer.js';
import type { BatchSink } from './exporter/WalDrainer.js';
import { createLogger } from './logger.js';
import type { Logger, LogSink } from './logger.js';
import { DEFAULT_DECODE_LIMITS } from './otlp/OtlpDecodeError.js';
import { buildPipeline } from './processors/buildPipeline.js';
import type { Processor } from './processors/Processor.js';
import { ProjectProcessor } from './processors/ProjectProcessor.js';
import { loadConsoleAssets } from './console/consoleAssets.js';
import { ConsoleAuth } from './console/ConsoleAuth.js';
import type { ConsoleIdentity } from './console/ConsoleAuth.js';
import { consoleRoutes } from './console/consoleRoutes.js';
import { metricsRoutes } from './read/metricsRoutes.js';
import { ReadCache } from './read/ReadCache.js';
import type { ReadCacheStats } from './read/ReadCache.js';
import { WriteCounter } from './read/WriteCounter.js';
import { checkReaderUser, ReaderConfigError, sqlRoutes } from './read/sqlRoutes.js';
import type { SqlEndpointOptions } from './read/sqlRoutes.js';
import { viewRoutes } from './read/viewRoutes.js';
import { OtlpReceiver } from './receiver/OtlpReceiver.js';
import { BUILTIN_ROUTE_MODULES } from './routes.js';
import type { RouteDeps, RouteModule } from './server/RouteModule.js';
import { HttpError, Router, sendJson } from './server/Router.js';
import { SelfMetrics } from './server/SelfMetrics.js';
import { ensurePrivateDir, WriteAheadLog } from './wal/WriteAheadLog.js';

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

/** The running console (when `extensions.promptline_console.enabled`). */
export interface RunningConsole {
  /**
   * A one-time login link (`http://host:port/?token=…`) for a project's read access, valid for
   * 15 minutes and good for one login.
   */
  loginUrl(identity: ConsoleIdentity): { url: string; expiresAt: Date };
  /** `false` when the console's files were not found (the page then answers 503 saying so). */
  readonly built: boolean;
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
  const embedded = config.exporter.endpoint === '';
  const ownsClient = options.client === undefined;
  // The engine's files hold every project's telemetry: readable by this user only.
  if (embedded && ownsClient) ensurePrivateDir(config.exporter.dataDir, log);
  // Every write through the client is counted: the read cache reuses an answer only while none happened.
  const writes = new WriteCounter();
  const rawClient =
    options.client ??
    openClickHouse(
      embedded
        ? { url: '', path: config.exporter.dataDir }
        : {
            url: config.exporter.endpoint,
            username: config.exporter.username,
            password: config.exporter.password,
            database: config.exporter.database,
            requestTimeoutMs: config.exporter.timeoutMs,
          },
    );
  const client = writes.count(rawClient);
  let wal: WriteAheadLog | undefined;
  let server: Server | undefined;
  try {
    if (config.exporter.migrate) {
      // A server session whose database does not exist yet rejects every query, so create it
      // through a session on `default` first (migrate() creates it too, for the embedded engine).
      if (!embedded && ownsClient) await createServerDatabase(config);
      const result = await migrate(client, {
        createSchema: config.exporter.createSchema,
        database: config.exporter.database,
        attributeIndexes: config.exporter.attributeIndexes,
        ttlDays: config.exporter.ttlDays,
      });
      if (result.applied.length > 0) log.info(`migrations applied: ${result.applied.join(', ')}`);
    }
    wal = await WriteAheadLog.open(config.exporter.wal, log);
    const metrics = new SelfMetrics();
    const keys = new ApiKeyStore(config.auth);
    const cache = new Map<string, Processor>();
    const pipeline = (list: CollectorConfig['pipelines']['traces']): Processor[] => {
      const built = buildPipeline(list, cache);
      // The project always comes from the key: add the stamping stage when the config has none.
      if (!built.some((p) => p instanceof ProjectProcessor))
        built.unshift(new ProjectProcessor('promptline_auth'));
      return built;
    };
    const pipelines = { traces: pipeline(config.pipelines.traces), logs: pipeline(config.pipelines.logs) };
    metrics.processorCounters = () => [...cache.values()].map((p) => [p.name, p.counters()]);
    const drainer = new WalDrainer(
      wal,
      options.sink ??
        clickHouseSink(client, {
          database: config.exporter.database,
          releaseMemory: config.exporter.releaseMemory,
          log,
        }),
      {
        flushIntervalMs: config.exporter.wal.flushIntervalMs,
        deadLetterAfter: config.exporter.wal.deadLetterAfter,
        ...config.exporter.retry,
      },
      metrics,
      log,
    );
    const receiver = new OtlpReceiver(
      wal,
      keys,
      metrics,
      log,
      {
        maxRequestBodySize: config.receiver.maxRequestBodySize,
        maxConcurrentRequests: config.receiver.maxConcurrentRequests,
        maxInFlightBytes: config.receiver.maxInFlightBytes,
        maxConcurrentRequestsPerKey: config.receiver.maxConcurrentRequestsPerKey,
        maxInFlightBytesPerKey: config.receiver.maxInFlightBytesPerKey,
        readIdleTimeoutMs: config.receiver.readIdleTimeoutMs,
        maxLagBytes: config.exporter.wal.maxLagBytes,
        maxLagWaitMs: config.exporter.wal.maxLagWaitMs,
        retryAfterSeconds: config.retryAfterSeconds,
        limits: DEFAULT_DECODE_LIMITS,
        pipelines,
      },
      () => drainer.healthy,
    );

    const router = new Router();
    const openWal = wal;
    let stopping = false;
    if (config.signals.traces) router.post('/v1/traces', (req, res) => receiver.handle(req, res, 'traces'));
    if (config.signals.logs) router.post('/v1/logs', (req, res) => receiver.handle(req, res, 'logs'));
    // Unauthenticated (load balancers, orchestrators): up or down, nothing else. Queue figures are
    // on /metrics; export errors, which can quote data, only in the log.
    router.get('/healthz', (_req, res) => {
      const status = stopping ? 'stopping' : drainer.healthy ? 'ok' : 'degraded';
      sendJson(res, stopping ? 503 : 200, { status });
    });
    router.get('/metrics', async (_req, res) => {
      // The engine's figure (undefined for a server client) is best effort: a scrape never fails
      // because the engine did not answer.
      const engineBytes = await engineMemoryBytes(client).catch(() => undefined);
      const { rss, heapUsed, external } = process.memoryUsage();
      const text = metrics.render({
        walPendingBytes: openWal.pendingBytes,
        walSegments: openWal.sealedCount,
        walDeadLetterBytes: openWal.deadLetterBytes,
        walCorruptBytes: openWal.corruptBytes,
        walCorruptRegions: openWal.corruptRegions,
        inFlightRequests: receiver.inFlight,
        exportHealthy: drainer.healthy,
        memory: { rss, heapUsed, external },
        ...(engineBytes === undefined ? {} : { engineBytes }),
      });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
    });
    const consoleAuth = config.console.enabled ? new ConsoleAuth() : undefined;
    const deps: RouteDeps = {
      client,
      database: config.exporter.database,
      embedded,
      keys,
      requireScope(req: IncomingMessage, scope: Scope): Principal {
        // A console session (cookie) reads, and only reads; a presented key always wins.
        if (scope === 'read' && consoleAuth !== undefined && presentedKey(req) === undefined) {
          const session = consoleAuth.principal(req);
          if (session !== undefined) return session;
        }
        try {
          return keys.require(req, scope);
        } catch (e) {
          if (e instanceof AuthError)
            throw new HttpError(
              e.status,
              e.message,
              e.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
            );
          throw e;
        }
      },
      log,
    };
    const sql = sqlEndpointOptions(config);
    if (config.readApi.enabled && sql.mode === 'server') {
      // Fail fast on a reader that can write or has no limits; an unreachable server is only a
      // warning here (ClickHouse may start after the collector), the endpoint checks again on use.
      try {
        await checkReaderUser(sql);
      } catch (e) {
        if (e instanceof ReaderConfigError) throw e;
        log.warn(
          `SQL endpoint: cannot check the ClickHouse user "${sql.username}" yet (${e instanceof Error ? e.message : String(e)}); it answers 503 until the check passes`,
        );
      }
    }
    let consoleModules: RouteModule[] = [];
    let consoleBuilt = false;
    if (consoleAuth !== undefined) {
      let assets;
      try {
        assets = loadConsoleAssets(options.consoleDir);
        consoleBuilt = true;
      } catch (e) {
        assets = e instanceof Error ? e : new Error(String(e));
        log.warn(`console: ${assets.message}`);
      }
      consoleModules = [
        consoleRoutes({ auth: consoleAuth, assets, secureCookie: config.console.secureCookie }),
      ];
    }
    // The console reads through the typed read API, so it brings that API along; the SQL endpoint
    // stays behind extensions.promptline_read_api.
    const typedReadApi =
      config.readApi.enabled || consoleAuth !== undefined ? [metricsRoutes, viewRoutes] : [];
    const sqlApi = config.readApi.enabled ? [sqlRoutes(sql)] : [];
    for (const mount of consoleModules) mount(router, deps);
    // Readers of one view ask the same questions together: the typed read API's answers are shared,
    // per project, until the next write (or for a few seconds / minutes at most; ReadCache).
    const readCache = new ReadCache({ writes: () => writes.value });
    const cachedRouter = router.wrapped((h) => readCache.wrap(h, (req) => deps.requireScope(req, 'read')));
    for (const mount of typedReadApi) mount(cachedRouter, deps);
    for (const mount of [...sqlApi, ...BUILTIN_ROUTE_MODULES, ...(options.routes ?? [])]) mount(router, deps);

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://collector');
      } catch {
        sendJson(res, 400, { error: 'bad request URL' });
        return;
      }
      // API answers are per key and per moment: never cached.
      if (url.pathname.startsWith('/api/')) res.setHeader('cache-control', 'no-store');
      const match = router.match(req.method ?? 'GET', url.pathname, url.searchParams);
      try {
        if (match.kind === 'not-found')
          throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
        if (match.kind === 'method-not-allowed') {
          throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`, {
            allow: match.allow.join(', '),
          });
        }
        await match.handler(req, res, match.params, url);
      } catch (e) {
        req.resume();
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (e instanceof HttpError) {
          metrics.countResponse(e.status);
          sendJson(res, e.status, { error: e.message }, e.headers);
        } else {
          metrics.countResponse(500);
          log.error(`${req.method} ${url.pathname} failed`, e);
          sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
        }
      }
    };
    const srv = createServer(
      { keepAliveTimeout: 30_000, headersTimeout: 20_000, requestTimeout: 60_000 },
      (req, res) => {
        void handle(req, res);
      },
    );
    server = srv;
    srv.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(config.receiver.port, config.receiver.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const address = srv.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    drainer.start();
    log.info(
      `listening on ${url} (${embedded ? `embedded engine at ${config.exporter.dataDir}` : `ClickHouse ${config.exporter.endpoint}`}, WAL ${config.exporter.wal.dir}, fsync ${config.exporter.wal.fsync})`,
    );

    const flush = async (timeoutMs = 30_000): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      await openWal.sealAndWait();
      while (Date.now() < deadline) {
        if (openWal.pendingBytes === 0) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return openWal.pendingBytes === 0;
    };

    let stopPromise: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopPromise ??= (async () => {
        stopping = true;
        receiver.stopAccepting();
        const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
        srv.closeIdleConnections();
        const drained = await drainer.drain(Date.now() + config.shutdownTimeoutMs);
        if (!drained)
          log.warn(
            `shutdown: ${openWal.pendingBytes} bytes left in the WAL; they are exported on the next start`,
          );
        await openWal.close();
        srv.closeAllConnections();
        await closed;
        if (ownsClient) await client.close();
        log.info('stopped');
      })();
      return stopPromise;
    };

    const runningConsole: RunningConsole | undefined =
      consoleAuth === undefined
        ? undefined
        : {
            built: consoleBuilt,
            loginUrl(identity: ConsoleIdentity) {
              const { token, expiresAt } = consoleAuth.issueToken(identity);
              return { url: `${url}/?token=${token}`, expiresAt };
            },
          };

    return {
      url,
      port: address.port,
      host: address.address,
      config,
      client,
      metrics,
      router,
      log,
      console: runningConsole,
      readCacheStats: () => readCache.snapshot(),
      flush,
      stop,
    };
  } catch (e) {
    server?.close();
    await wal?.close().catch(() => undefined);
    if (ownsClient) await client.close().catch(() => undefined);
    throw e;
  }
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

/** `CREATE DATABASE IF NOT EXISTS` for the configured database, through a session on `default`. */
async function createServerDatabase(config: CollectorConfig): Promise<void> {
  if (config.exporter.database === 'default') return;
  const bootstrap = openClickHouse({
    url: config.exporter.endpoint,
    username: config.exporter.username,
    password: config.exporter.password,
    database: 'default',
    requestTimeoutMs: config.exporter.timeoutMs,
  });
  try {
    // The name was validated as a plain identifier by loadConfig.
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS \`${config.exporter.database}\`` });
  } finally {
    await bootstrap.close();
  }
}

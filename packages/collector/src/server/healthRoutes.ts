/**
 * The collector's own health and telemetry: `GET /healthz` (up or down, for load balancers and
 * orchestrators) and `GET /metrics` (Prometheus). Neither needs a key: `/healthz` says nothing but
 * its status; `/metrics` holds totals over every project (unlinked generations per reason among
 * them), no project labels and no data (see
 * SECURITY.md, "Endpoints without a key").
 */
import { engineMemoryBytes, unlinkedTotalsSince } from '@promptline/clickhouse';
import { atMostEvery } from './atMostEvery.js';
import type { WriteAheadLog } from '../wal/WriteAheadLog.js';
import type { RouteModule } from './RouteModule.js';
import { sendJson } from './Router.js';
import type { SelfMetrics } from './SelfMetrics.js';

/** How long the engine's figures on `/metrics` are reused (a usual scrape interval). */
const ENGINE_FIGURES_MS = 10_000;

/** What the two routes report on. */
export interface HealthSources {
  metrics: SelfMetrics;
  wal: WriteAheadLog;
  /** `true` once graceful shutdown began. */
  stopping(): boolean;
  /** `false` while exports to ClickHouse fail. */
  exportHealthy(): boolean;
  /** OTLP requests being read, decoded or held now. */
  inFlightRequests(): number;
  /** Request memory those requests reserve now. */
  inFlightBytes(): number;
}

/**
 * @example
 * healthRoutes({ metrics, wal, stopping: () => false, exportHealthy: () => drainer.healthy,
 *   inFlightRequests: () => receiver.inFlight })(router, deps);
 */
export function healthRoutes(src: HealthSources): RouteModule {
  return (router, deps) => {
    // Up or down, nothing else: queue figures are on /metrics; export errors, which can quote
    // data, only in the log.
    router.get('/healthz', (_req, res) => {
      const status = src.stopping() ? 'stopping' : src.exportHealthy() ? 'ok' : 'degraded';
      sendJson(res, src.stopping() ? 503 : 200, { status });
    });
    // What /metrics asks the engine, at most once per ENGINE_FIGURES_MS whatever the scrape rate:
    // the route has no key, and every read takes engine time from the console's and the API's.
    const engineFigures = atMostEvery(ENGINE_FIGURES_MS, async () => ({
      // The engine's figure (undefined for a server client) is best effort: a scrape never fails
      // because the engine did not answer.
      engineBytes: await engineMemoryBytes(deps.client).catch(() => undefined),
      // Generations linked to no prompt version, current and previous hour (best effort too).
      unlinked: await unlinkedTotalsSince(deps.client, new Date(Date.now() - 3_600_000), {
        database: deps.database,
      }).catch(() => undefined),
    }));
    router.get('/metrics', async (_req, res) => {
      const { engineBytes, unlinked } = await engineFigures();
      const { rss, heapUsed, external } = process.memoryUsage();
      const text = src.metrics.render({
        walPendingBytes: src.wal.pendingBytes,
        walSegments: src.wal.sealedCount,
        walDeadLetterBytes: src.wal.deadLetterBytes,
        walCorruptBytes: src.wal.corruptBytes,
        walCorruptRegions: src.wal.corruptRegions,
        inFlightRequests: src.inFlightRequests(),
        inFlightBytes: src.inFlightBytes(),
        exportHealthy: src.exportHealthy(),
        memory: { rss, heapUsed, external },
        ...(engineBytes === undefined ? {} : { engineBytes }),
        ...(unlinked === undefined ? {} : { unlinked }),
      });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
    });
  };
}

/**
 * bench:ingest — OTLP spans/s through the collector into the embedded engine (materialized views on).
 *
 * 1. A load process captures BENCH_BATCHES (default 64) requests of 512 realistic generation spans
 *    from the official OTLP protobuf exporter.
 * 2. Ceiling: another process inserts the same rows, decoded and encoded up front, straight into a
 *    fresh embedded engine with the collector's insert statement and batch size, for
 *    BENCH_CEILING_SECONDS (default 20).
 * 3. The collector, built first (`pnpm --filter @promptline/collector... build`), runs from its dist in a
 *    plain Node process of its own (collectorProcess.mjs; default config: fsync always, 32 MiB segments),
 *    and the load process sends the batches with BENCH_CONCURRENCY (default 8) connections for
 *    BENCH_SECONDS (default 60), with fresh trace ids in every round over the captured requests (so every
 *    span sent is a new span, not a copy the schema would count once). Written = rows in ClickHouse by
 *    the end of the window; the backlog is then drained and every accepted span is checked to be in
 *    otel_traces exactly once and to be one generation.
 *
 *   pnpm bench:ingest
 *   BENCH_SECONDS=15 BENCH_CEILING_SECONDS=8 pnpm bench:ingest
 *   BENCH_ATTRIBUTE_INDEXES=0 pnpm bench:ingest   # both sides without the otel_traces attribute bloom filters
 *   BENCH_LAG_WAIT_MS=0 pnpm bench:ingest          # 429 at once beyond max_lag_bytes instead of holding requests
 *   BENCH_SEGMENT_MB=16 pnpm bench:ingest          # WAL segment (= insert batch) size, default the collector's
 *   BENCH_FLUSH_MS=500 pnpm bench:ingest           # WAL flush interval (a segment this old is inserted), default the collector's
 *   BENCH_RELEASE_MEMORY=after_each_batch pnpm bench:ingest   # exporters.clickhouse.release_memory
 *   BENCH_RATE=15000 pnpm bench:ingest              # offer this many spans/s instead of all the collector takes
 *   JE_MALLOC_CONF= pnpm bench:ingest               # the engine's allocator with jemalloc's defaults (one arena per CPU)
 *   BENCH_DEDUPE=0 pnpm bench:ingest                # the collector without the span dedupe (before / after its cost; the ceiling keeps it)
 *
 * Last stdout line: {"bench":"ingest","spans_per_s":…,"ceiling_spans_per_s":…,"ratio":…,"p99_ms":…,"rss_mb":…}
 * and more fields: among them `js_heap_mb_peak` / `js_external_mb_peak`, the collector process's own
 * JavaScript share of `rss_mb` (V8 heap, Buffers outside it), sampled with it every 50 ms;
 * `cpu_s_per_m_spans`, the collector process's CPU time (engine included) from its start to the end
 * of the drain per million spans stored: the cost per span, which other load on the machine moves
 * far less than `spans_per_s`; `dedupe` (BENCH_DEDUPE, default 1); `span_inserts_new` /
 * `span_inserts_looked_up`, the collector's span inserts by dedupe path (decision 0035).
 * `rss_mb` is the collector process's peak (figures from before 2026-11-22 ran the collector inside this
 * process, under the TypeScript loader, which added ~35 MB). Current figures: bench/RESULTS.md.
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.some((a) => a.includes('@promptline/source'))) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@promptline/source', '--import', 'tsx', fileURLToPath(import.meta.url)],
    {
      stdio: 'inherit',
      env: process.env,
    },
  );
  process.exit(child.status ?? 1);
}

const { loadConfig } = await import('@promptline/collector');
const { reportResult } = await import('../support/report.js');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 20);
/** `exporters.clickhouse.wal.segment_max_bytes`: the collector's default unless BENCH_SEGMENT_MB is set. */
const SEGMENT_BYTES =
  process.env.BENCH_SEGMENT_MB === undefined
    ? loadConfig(undefined, {}).exporter.wal.segmentMaxBytes
    : Number(process.env.BENCH_SEGMENT_MB) * 1024 * 1024;
/** `exporters.clickhouse.attribute_indexes` (the ceiling process reads the same variable). */
const ATTRIBUTE_INDEXES = process.env.BENCH_ATTRIBUTE_INDEXES !== '0';
const DEDUPE = process.env.BENCH_DEDUPE ?? '1';
if (DEDUPE !== '0' && DEDUPE !== '1') throw new Error(`BENCH_DEDUPE must be 0 or 1 (got ${DEDUPE})`);
const here = fileURLToPath(new URL('.', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'promptline-bench-ingest-'));

function child<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = fork(join(here, script), args, {
      execArgv: ['--conditions=@promptline/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    p.on('message', (m) => {
      result = m as T;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 && result !== undefined
        ? resolve(result)
        : reject(new Error(`${script} exited with ${code}`)),
    );
  });
}

const log = (line: string): void => {
  process.stderr.write(`[bench:ingest] ${line}\n`);
};

/** The collector process (collectorProcess.mjs): one reply per request, see there. */
function collectorProcess(): { request<T>(msg: Record<string, unknown>): Promise<T>; exited: Promise<void> } {
  const p = fork(join(here, 'collectorProcess.mjs'), [], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let failed: ((e: Error) => void) | undefined;
  const exited = new Promise<void>((resolve) => {
    p.on('exit', (code) => {
      failed?.(new Error(`collectorProcess.mjs exited with ${code}`));
      resolve();
    });
  });
  return {
    exited,
    request<T>(msg: Record<string, unknown>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        failed = reject;
        p.once('message', (reply) => {
          failed = undefined;
          resolve(reply as T);
        });
        p.send(msg);
      });
    },
  };
}

try {
  const file = join(tmp, 'batches.bin');
  await child('load.ts', ['prepare', file]);
  log(`captured ${process.env.BENCH_BATCHES ?? 64} exporter requests of 512 spans`);

  const ceiling = await child<{ written: number; elapsed: number; inserts: number; batchRows: number }>(
    'ceiling.ts',
    [file, join(tmp, 'ceiling'), String(CEILING_SECONDS), String(SEGMENT_BYTES)],
  );
  const ceilingRate = ceiling.written / ceiling.elapsed;
  log(
    `ceiling: ${ceiling.written} rows in ${ceiling.elapsed.toFixed(1)} s (${ceiling.inserts} inserts of ${ceiling.batchRows} rows) = ${Math.round(ceilingRate)} rows/s`,
  );

  const built = spawnSync('pnpm', ['-s', '--filter', '@promptline/collector...', 'run', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`building the collector failed (exit ${built.status})`);
  log('built the collector (it runs from dist)');

  const collectorConfig = {
    receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
    processors: {
      promptline_auth: {},
      promptline_redaction: {},
      promptline_filter: {},
      promptline_limits: {},
    },
    exporters: {
      clickhouse: {
        data_dir: join(tmp, 'data'),
        attribute_indexes: ATTRIBUTE_INDEXES,
        ...(process.env.BENCH_RELEASE_MEMORY === undefined
          ? {}
          : { release_memory: process.env.BENCH_RELEASE_MEMORY }),
        wal: {
          dir: join(tmp, 'wal'),
          fsync: process.env.BENCH_FSYNC ?? 'always',
          segment_max_bytes: SEGMENT_BYTES,
          ...(process.env.BENCH_FLUSH_MS === undefined
            ? {}
            : { flush_interval_ms: Number(process.env.BENCH_FLUSH_MS) }),
          ...(process.env.BENCH_LAG_WAIT_MS === undefined
            ? {}
            : { max_lag_wait_ms: Number(process.env.BENCH_LAG_WAIT_MS) }),
        },
      },
    },
    service: {
      retry_after_seconds: 1,
      telemetry: { logs: { level: 'warn' } },
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_redaction', 'promptline_filter', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
      },
    },
  };
  const collector = collectorProcess();
  const started = await collector.request<{
    url: string;
    releaseMemory: string;
    engineMallocConf: string;
  }>({ type: 'start', config: collectorConfig, dedupe: DEDUPE === '1' });
  const load = await child<{
    accepted: number;
    requests: number;
    throttled: number;
    errors: number;
    elapsed: number;
    p99: number;
    p50: number;
  }>('load.ts', ['send', file, `${started.url}/v1/traces`, String(SECONDS)]);
  const window = await collector.request<{
    written: number;
    inserts: number;
    insertSeconds: number;
    heldForLag: number;
    rssFileMb: number;
    rssAnonMb: number;
  }>({ type: 'window' });
  const end = await collector.request<{
    drained: boolean;
    drainSeconds: number;
    storedRows: number;
    storedSpanIds: number;
    storedGenerations: number;
    spanInserts: { new: number; looked_up: number };
    cpuSeconds: number;
    peak: { rssMb: number; heapMb: number; externalMb: number };
  }>({ type: 'drain', timeoutMs: 300_000 });
  await collector.exited;
  const writtenInWindow = window.written;
  const insertsInWindow = window.inserts;
  const insertSecondsInWindow = window.insertSeconds;
  const spansPerS = writtenInWindow / load.elapsed;
  log(
    `collector: accepted ${load.accepted} spans (${load.requests} requests, ${load.throttled} throttled, ${load.errors} errors) in ${load.elapsed.toFixed(1)} s; ` +
      `written in window ${writtenInWindow}; backlog drained in ${end.drainSeconds.toFixed(1)} s (${end.drained ? 'ok' : 'NOT drained'}); stored ${end.storedRows} rows`,
  );
  reportResult('ingest', {
    spans_per_s: Math.round(spansPerS),
    accepted_spans_per_s: Math.round(load.accepted / load.elapsed),
    ceiling_spans_per_s: Math.round(ceilingRate),
    ratio: Number((spansPerS / ceilingRate).toFixed(3)),
    p99_ms: Number(load.p99.toFixed(1)),
    p50_ms: Number(load.p50.toFixed(1)),
    rss_mb: end.peak.rssMb,
    js_heap_mb_peak: end.peak.heapMb,
    js_external_mb_peak: end.peak.externalMb,
    rss_file_mb_at_end: window.rssFileMb,
    rss_anon_mb_at_end: window.rssAnonMb,
    seconds: Number(load.elapsed.toFixed(1)),
    segment_mb: SEGMENT_BYTES / 1024 / 1024,
    attribute_indexes: ATTRIBUTE_INDEXES,
    release_memory: started.releaseMemory,
    // The embedded engine's allocator settings (one arena, `percpu_arena:disabled,narenas:1`, unless the environment set them).
    engine_malloc_conf: started.engineMallocConf,
    throttled: load.throttled,
    held_for_lag: window.heldForLag,
    avg_batch_rows: insertsInWindow === 0 ? 0 : Math.round(writtenInWindow / insertsInWindow),
    // Share of the window the exporter spent inside inserts (1 = the engine never waited for a batch).
    insert_busy: Number((insertSecondsInWindow / load.elapsed).toFixed(2)),
    avg_insert_ms: insertsInWindow === 0 ? 0 : Math.round((insertSecondsInWindow * 1000) / insertsInWindow),
    ceiling_batch_rows: ceiling.batchRows,
    dedupe: DEDUPE === '1',
    // Span inserts vouched new (no identity lookup, decision 0035) and looked up.
    span_inserts_new: end.spanInserts.new,
    span_inserts_looked_up: end.spanInserts.looked_up,
    collector_cpu_s: Number(end.cpuSeconds.toFixed(1)),
    cpu_s_per_m_spans:
      end.storedRows === 0 ? 0 : Number(((end.cpuSeconds * 1e6) / end.storedRows).toFixed(2)),
    // Every span sent is a distinct span (fresh trace ids each round): each is stored once, and is one generation.
    stored_exactly_once: end.storedRows === load.accepted && end.storedSpanIds === load.accepted,
    generations_exactly_once: end.storedGenerations === load.accepted,
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * bench:console — the prompt page's API calls under 8 concurrent viewers, on bench:query's data set.
 *
 * Loads (or reuses, BENCH_DIR) the 10M-span data set of bench:query, starts the collector in this
 * process on that engine, and lets BENCH_VIEWERS (default 8) viewers each open the console's prompt
 * page BENCH_ROUNDS times (default 12): every page load issues, at once, the seven read-API calls the
 * page makes (per-version metrics, label share, time series, score time series, label history from
 * spans, registry history, filter values) for a random prompt of the 20 and a range of 24 h or 7 d
 * ending at the data's end, windows rounded to the minute as the page does. Each call is timed from
 * request to last byte, queueing included (the embedded engine runs one query at a time).
 *
 *   pnpm bench:console                       # 10M spans (loads ~minutes the first time)
 *   BENCH_DIR=.bench-data/query pnpm bench:console   # keep / reuse the loaded data dir
 *   BENCH_ROWS=200000 pnpm bench:console     # small, to try it
 *
 * Last stdout line: {"bench":"console","rows":…,"viewers":8,"page_loads":…,"calls":…,"p50_ms":…,"p95_ms":…,"max_ms":…,"p95_<call>_ms":…}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.some((a) => a.includes('@promptline/source'))) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@promptline/source', '--import', 'tsx', fileURLToPath(import.meta.url)],
    { stdio: 'inherit', env: process.env },
  );
  process.exit(child.status ?? 1);
}

const { migrate, openClickHouse } = await import('@promptline/clickhouse');
const { generateApiKey, hashApiKey, loadConfig, startCollector } = await import('@promptline/collector');
const { DAY, DB, PROJECT, T0, loadDataset } = await import('../query/dataset.js');
const { median, reportResult } = await import('../support/report.js');

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
for (const [name, v] of Object.entries({ BENCH_ROWS: ROWS, BENCH_VIEWERS: VIEWERS, BENCH_ROUNDS: ROUNDS }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
const log = (msg: string): void => void process.stderr.write(`[bench:console] ${msg}\n`);

/** The console's chart bucket for a window (packages/console/src/timeRange.ts). */
const intervalFor = (ms: number): number =>
  ms <= 3_600_000
    ? 60
    : ms <= 6 * 3_600_000
      ? 300
      : ms <= 2 * DAY
        ? 3600
        : ms <= 14 * DAY
          ? 6 * 3600
          : 86_400;

/** A tiny deterministic PRNG so every run asks the same pages. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const keep = process.env.BENCH_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'promptline-bench-console-'));
const walDir = mkdtempSync(join(tmpdir(), 'promptline-bench-console-wal-'));
const client = openClickHouse({ path: join(dir) });
const key = generateApiKey();
let stop: (() => Promise<void>) | undefined;
try {
  await migrate(client, { database: DB });
  await loadDataset(client, ROWS, log);
  const config = loadConfig(
    {
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors: {
        promptline_auth: {
          keys: [{ sha256: hashApiKey(key), project: PROJECT, scopes: ['read'], name: 'bench' }],
        },
      },
      exporters: { clickhouse: { data_dir: dir, database: DB, wal: { dir: walDir } } },
      service: {
        telemetry: { logs: { level: 'warn' } },
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
        },
      },
    },
    {},
  );
  const collector = await startCollector(config, { client });
  stop = () => collector.stop();

  const end = Math.ceil((T0 + 30 * DAY - 17 * 60_000) / 60_000) * 60_000;
  const ranges = [DAY, 7 * DAY];
  const pageCalls = (prompt: string, rangeMs: number): Array<[string, string]> => {
    const w = `from=${new Date(end - rangeMs).toISOString()}&to=${new Date(end).toISOString()}`;
    const p = `prompt=${encodeURIComponent(prompt)}`;
    const interval = intervalFor(rangeMs);
    return [
      ['metrics', `/api/v1/metrics?${p}&${w}`],
      ['share', `/api/v1/labels/share?${p}&${w}`],
      ['timeseries', `/api/v1/timeseries?${p}&${w}&interval=${interval}`],
      ['scores', `/api/v1/scores/timeseries?${p}&${w}&interval=${interval}`],
      ['history', `/api/v1/labels/history?${p}&${w}`],
      ['registry', `/api/v1/prompts/${encodeURIComponent(prompt)}/history`],
      ['dimensions', `/api/v1/dimensions?${p}&${w}`],
    ];
  };
  const timings = new Map<string, number[]>();
  const call = async (name: string, path: string, record: boolean): Promise<void> => {
    const t = performance.now();
    const res = await fetch(`${collector.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    const ms = performance.now() - t;
    // The registry answers 404 for prompts never pushed (as here): still a served call.
    if (res.status !== 200 && !(name === 'registry' && res.status === 404))
      throw new Error(`${path}: HTTP ${res.status}`);
    if (record) timings.set(name, [...(timings.get(name) ?? []), ms]);
  };
  const loadPage = (prompt: string, rangeMs: number, record: boolean): Promise<void[]> =>
    Promise.all(pageCalls(prompt, rangeMs).map(([n, p]) => call(n, p, record)));

  // One page load of each range first (the engine's first queries load marks and caches).
  for (const r of ranges) await loadPage('prompt-00', r, false);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: VIEWERS }, async (_, viewer) => {
      const random = prng(1000 + viewer);
      for (let round = 0; round < ROUNDS; round++) {
        const prompt = `prompt-${String(Math.floor(random() * 20)).padStart(2, '0')}`;
        await loadPage(prompt, ranges[Math.floor(random() * ranges.length)]!, true);
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  const all = [...timings.values()].flat().sort((a, b) => a - b);
  const pct = (xs: number[], q: number): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  };
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  const perCall: Record<string, number> = {};
  for (const [name, xs] of timings) {
    perCall[`p95_${name}_ms`] = round1(pct(xs, 0.95));
    log(
      `${name}: n=${xs.length} p50 ${median(xs).toFixed(1)} ms, p95 ${pct(xs, 0.95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`,
    );
  }
  log(`${all.length} calls in ${wallS.toFixed(1)} s (${(all.length / wallS).toFixed(0)} calls/s)`);
  reportResult('console', {
    rows: ROWS,
    viewers: VIEWERS,
    page_loads: VIEWERS * ROUNDS,
    calls: all.length,
    p50_ms: round1(median(all)),
    p95_ms: round1(pct(all, 0.95)),
    max_ms: round1(all[all.length - 1]!),
    ...perCall,
  });
} finally {
  await stop?.();
  await client.close();
  rmSync(walDir, { recursive: true, force: true });
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}

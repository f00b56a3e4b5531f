/**
 * bench:console — the prompt page's API calls under 8 concurrent viewers, on bench:query's data set.
 *
 * Loads (or reuses, BENCH_DIR) the 10M-span data set of bench:query, starts the collector in this
 * process on that engine, and lets BENCH_VIEWERS (default 8) viewers each open the console's prompt
 * page BENCH_ROUNDS times (default 12): every page load issues, at once, the read-API calls the page
 * makes (the page's view, `/api/v1/prompt-page`, and the filters' values, `/api/v1/dimensions`) for
 * a random prompt of the 20 and a range of 24 h or 7 d, at a "now" BENCH_NOW_MIN minutes before the
 * data's end (default 857: 09:43 on its last day), windowed as the page does
 * (packages/console/src/timeRange.ts: these ranges end at the next whole hour, here 10:00). A window
 * ending at midnight (BENCH_NOW_MIN=17: 23:43) is read from whole days (a 24-h window is one daily
 * row per version and label), as happens in one hour of a day's 24; the default is a window as the
 * other hours see it (whole days inside, hours at both edges). The data set has no scores, so a
 * page leaves out its two score reads; BENCH_SCORES=1 scores some of the generations for the run
 * (addScores below), so each page reads them as a team's does. Each call is timed from request to
 * last byte, queueing included (the
 * embedded engine answers reads on `PROMPTLINE_ENGINE_READERS` connections, by default one per CPU,
 * at least 2, beside the one that writes); every call counts, whether the read cache answered it
 * or not.
 *
 * `cpu_s` is the process's CPU time while the viewers run (engine, collector, writer and the viewers'
 * own HTTP clients: one process), a figure of total work less swayed by queueing than the latencies.
 *
 * The calls of a page's first load in the run (no viewer opened that page before, so the engine
 * answers it unless a load of it is still in flight) are also reported apart from those of later
 * loads (`p95_first_load_ms`, `p95_later_load_ms`).
 *
 * Viewers load pages back to back by default (a stress figure: each viewer asks far more often than
 * a person does); BENCH_THINK_MS (default 0) makes each viewer pause a random 0.5–1.5× that long
 * between page loads, as a person reading a page before opening the next. BENCH_STAY (default 1)
 * keeps each viewer on its page for that many loads before it opens another: a person watching one
 * prompt with the console's Refresh button or auto-refresh. BENCH_FLUSH_MS sets the collector's
 * `wal.flush_interval_ms` (default: the collector's): how often a trickle of spans is inserted
 * (`flush_ms`, and `inserts` made during the run, are in the JSON line).
 *
 * The collector runs on the data set's clock (its `now` start option: the bench's "now", advancing
 * with real time), as if the data had been loaded just before: its read cache takes the viewed
 * windows for ones still filling, as it would for a team looking at live data (on the embedded
 * engine they are kept as long as older ones, until a write: decision 0058).
 *
 * Cache misses come from two sides: viewers open different pages (40 prompt × range pairs), and new
 * data arrives: a writer posts one OTLP batch of BENCH_WRITE_SPANS generation spans (default 64,
 * encoded by the official protobuf exporter, started in the minute before the bench's "now", so
 * in the viewed windows' current hour) every
 * BENCH_WRITE_MS (default 1000; 0 = no writer). BENCH_WRITE_PROJECT says where: `viewed` (the
 * default) to the viewed project's viewed prompts `prompt-00` … `prompt-19` (under a label of its
 * own, `bench-live`), `project` to the viewed project's other prompts `live-0` … `live-19`, `other`
 * to another project of the same collector. The read cache reuses an answer about a prompt only
 * until the next write that may change that prompt's data, so with `viewed` every export makes the
 * pages of the batch's prompts (all 20) misses again; writes of other prompts or projects change
 * nothing the viewers see. The writer's rows are removed after the run (and before it, if a run was
 * cut short).
 *
 *   pnpm bench:console                       # 10M spans (loads ~minutes the first time)
 *   BENCH_DIR=.bench-data/query pnpm bench:console   # keep / reuse the loaded data dir
 *   BENCH_ROWS=200000 pnpm bench:console     # small, to try it
 *   BENCH_THINK_MS=2000 pnpm bench:console   # viewers pause ~2 s between pages
 *   BENCH_NOW_MIN=17 pnpm bench:console      # "now" at 23:43: the windows end at midnight
 *   BENCH_SCORES=1 pnpm bench:console        # pages of prompts with scores (removed after the run)
 *
 * Last stdout line: {"bench":"console","rows":…,"viewers":8,"page_loads":…,"calls":…,"p50_ms":…,
 * "p95_ms":…,"max_ms":…,"p50_page_ms":…,"p95_page_ms":…,"p95_<call>_ms":…,"first_load_calls":…,
 * "p50_first_load_ms":…,"p95_first_load_ms":…,"p95_later_load_ms":…,"cpu_s":…,"think_ms":…,"now_min":…,"scores":…,"stay":…,"flush_ms":…,"inserts":…,"engine_readers":…,"write_ms":…,"write_project":…,"writes":…,
 * "cache_hits":…,"cache_shared":…,"cache_misses":…,"miss_share":…}
 */
import { spawnSync } from 'node:child_process';
import type { ClickHouseClient } from '@clickhouse/client';
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

const { defaultEngineReaders, migrate, openClickHouse } = await import('@promptline/clickhouse');
const { generateApiKey, hashApiKey, loadConfig, startCollector } = await import('@promptline/collector');
const { DAY, DB, PROJECT, T0, loadDataset } = await import('../query/dataset.js');
const { captureBatches } = await import('../ingest/spans.js');
const { median, reportResult } = await import('../support/report.js');
// The console's own window rules: where a relative range ends, and its chart bucket.
const { intervalFor, rangeEnd } = await import('../../packages/console/src/timeRange.js');

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const WRITE_MS = Number(process.env.BENCH_WRITE_MS ?? 1000);
const WRITE_SPANS = Number(process.env.BENCH_WRITE_SPANS ?? 64);
const WRITE_PROJECT = process.env.BENCH_WRITE_PROJECT ?? 'viewed';
const WRITE_PROJECTS = ['viewed', 'project', 'other'];
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 0);
const STAY = Number(process.env.BENCH_STAY ?? 1);
const FLUSH_MS = process.env.BENCH_FLUSH_MS === undefined ? undefined : Number(process.env.BENCH_FLUSH_MS);
const NOW_MIN = Number(process.env.BENCH_NOW_MIN ?? 857);
const SCORES = process.env.BENCH_SCORES ?? '0';
if (SCORES !== '0' && SCORES !== '1') throw new Error(`BENCH_SCORES must be 0 or 1 (got ${SCORES})`);
if (!WRITE_PROJECTS.includes(WRITE_PROJECT))
  throw new Error(`BENCH_WRITE_PROJECT must be one of ${WRITE_PROJECTS.join(', ')} (got ${WRITE_PROJECT})`);
for (const [name, v] of Object.entries({
  BENCH_ROWS: ROWS,
  BENCH_VIEWERS: VIEWERS,
  BENCH_ROUNDS: ROUNDS,
  BENCH_WRITE_SPANS: WRITE_SPANS,
  BENCH_STAY: STAY,
}))
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
if (!Number.isInteger(WRITE_MS) || WRITE_MS < 0) throw new Error('BENCH_WRITE_MS must be an integer ≥ 0');
if (!Number.isInteger(THINK_MS) || THINK_MS < 0) throw new Error('BENCH_THINK_MS must be an integer ≥ 0');
if (!Number.isInteger(NOW_MIN) || NOW_MIN < 1 || NOW_MIN > 24 * 60)
  throw new Error('BENCH_NOW_MIN must be a whole number of minutes from 1 to 1440');
const log = (msg: string): void => void process.stderr.write(`[bench:console] ${msg}\n`);

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

/** The other project (BENCH_WRITE_PROJECT=other). */
const LIVE = 'bench-live';
/** The writer's prompts with BENCH_WRITE_PROJECT=project: `live-0` … `live-19`, never viewed. */
const LIVE_PREFIX = 'live-';
/** The writer's label with BENCH_WRITE_PROJECT=viewed (its spans are of the viewed prompts). */
const LIVE_LABEL = 'bench-live';
/** The viewed prompts. */
const VIEWED = Array.from({ length: 20 }, (_, i) => `prompt-${String(i).padStart(2, '0')}`);

/**
 * Removes every row the writer left (this run's, or an interrupted one's): the other project's, and
 * the viewed project's rows of the writer's prompts or label, so the data set stays as loaded. The
 * identity set and the span / response-id indexes keep the writer's keys: no figure reads them.
 */
async function removeWriterRows(client: ClickHouseClient): Promise<void> {
  const mine = `(project_id = '${LIVE}' OR startsWith(prompt_name, '${LIVE_PREFIX}') OR prompt_label = '${LIVE_LABEL}')`;
  const rs = await client.query({
    query: `SELECT count() AS n FROM ${DB}.promptline_generations WHERE ${mine}`,
    format: 'JSONEachRow',
  });
  if (Number((await rs.json<{ n: string }>())[0]?.n ?? 0) === 0) return;
  const sync = 'SETTINGS mutations_sync = 2';
  const statements = [
    `ALTER TABLE ${DB}.otel_traces DELETE WHERE ResourceAttributes['promptline.project.id'] = '${LIVE}'
      OR startsWith(SpanAttributes['gen_ai.prompt.name'], '${LIVE_PREFIX}')
      OR SpanAttributes['promptline.prompt.label'] = '${LIVE_LABEL}' ${sync}`,
    ...['promptline_generations', 'promptline_version_stats', 'promptline_label_history'].map(
      (t) => `ALTER TABLE ${DB}.${t} DELETE WHERE ${mine} ${sync}`,
    ),
  ];
  for (const query of statements) await client.command({ query });
}

/** The names of the scores BENCH_SCORES=1 adds, as a SQL list (the data set itself has none). */
const BENCH_SCORE_NAMES = "('bench.correct', 'bench.rating')";

/**
 * Scores for the viewed project's generations, as the score view stores those that arrive after
 * their generation (resolved to its prompt, version, label, environment and model): `bench.correct`
 * (boolean, 0 or 1) on one generation in 10, `bench.rating` (numeric, 1–5) on one in 20, a minute
 * after the generation. Inserted into `promptline_scores`, so its views (the hourly score figures,
 * the score ids) fill as on ingest. Returns the rows added.
 */
async function addScores(client: ClickHouseClient): Promise<number> {
  const forms: Array<[string, string, string, number]> = [
    ['bench.correct', 'boolean', 'toFloat64(cityHash64(span_id) % 2)', 10],
    ['bench.rating', 'numeric', 'toFloat64(1 + cityHash64(trace_id) % 5)', 20],
  ];
  for (const [name, type, value, every] of forms)
    await client.command({
      query: `INSERT INTO ${DB}.promptline_scores (timestamp, generation_time, project_id, prompt_name,
  prompt_version, prompt_label, environment, model, score_name, data_type, value, label, source, comment,
  score_id, trace_id, span_id, span_key)
SELECT timestamp + INTERVAL 1 MINUTE, timestamp, project_id, prompt_name, prompt_version, prompt_label,
  environment, model, '${name}', '${type}', ${value}, '', 'bench', '', toString(generateUUIDv4()),
  trace_id, span_id, ''
FROM ${DB}.promptline_generations
WHERE project_id = '${PROJECT}' AND cityHash64(span_id, '${name}') % ${every} = 0`,
    });
  // Merged (and the score ids' key-value store compacted) now, so that this background work does
  // not compete with the viewers.
  for (const t of ['promptline_scores FINAL', 'promptline_score_stats_1h FINAL', 'promptline_score_ids'])
    await client.command({ query: `OPTIMIZE TABLE ${DB}.${t}` });
  return benchScores(client);
}

/** How many of the bench's scores are stored. */
async function benchScores(client: ClickHouseClient): Promise<number> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM ${DB}.promptline_scores WHERE score_name IN ${BENCH_SCORE_NAMES}`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

/**
 * Removes the scores {@link addScores} added (this run's or an interrupted one's) and their hourly
 * figures. The score ids' set keeps their ids (random, never sent again): no figure reads it.
 */
async function removeScores(client: ClickHouseClient): Promise<void> {
  if ((await benchScores(client)) === 0) return;
  for (const t of ['promptline_scores', 'promptline_score_stats_1h'])
    await client.command({
      query: `ALTER TABLE ${DB}.${t} DELETE WHERE score_name IN ${BENCH_SCORE_NAMES} SETTINGS mutations_sync = 2`,
    });
}

const keep = process.env.BENCH_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'promptline-bench-console-'));
const walDir = mkdtempSync(join(tmpdir(), 'promptline-bench-console-wal-'));
const ENGINE_READERS = defaultEngineReaders();
const client = openClickHouse({ path: join(dir), readers: ENGINE_READERS });
const key = generateApiKey();
const ingestKey = generateApiKey();
let stop: (() => Promise<void>) | undefined;
try {
  await migrate(client, { database: DB });
  await removeWriterRows(client);
  await removeScores(client);
  await loadDataset(client, ROWS, log);
  const scores = SCORES === '1' ? await addScores(client) : 0;
  if (scores > 0) log(`added ${scores} scores to the viewed project's generations`);
  const config = loadConfig(
    {
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors: {
        promptline_auth: {
          keys: [
            { sha256: hashApiKey(key), project: PROJECT, scopes: ['read'], name: 'bench' },
            // The writer's spans: to the viewed project (other prompts) or to another one.
            {
              sha256: hashApiKey(ingestKey),
              project: WRITE_PROJECT === 'other' ? LIVE : PROJECT,
              scopes: ['ingest'],
              name: 'writer',
            },
          ],
        },
      },
      exporters: {
        clickhouse: {
          data_dir: dir,
          database: DB,
          wal: { dir: walDir, ...(FLUSH_MS === undefined ? {} : { flush_interval_ms: FLUSH_MS }) },
        },
      },
      service: {
        telemetry: { logs: { level: 'warn' } },
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
        },
      },
    },
    {},
  );
  // "Now" is BENCH_NOW_MIN minutes before the data's end; each range ends where the console ends
  // it. The collector's clock starts there.
  const now = T0 + 30 * DAY - NOW_MIN * 60_000;
  const wallStart = Date.now();
  // The collector opens the data directory itself, as `promptline up` does: it then knows it is the
  // only writer (the bench's own client writes nothing while it runs).
  const collector = await startCollector(config, { now: () => now + (Date.now() - wallStart) });
  stop = () => collector.stop();

  const ranges = [DAY, 7 * DAY];
  // The calls the prompt page makes (packages/console/src/pages/PromptPage.tsx): its view in one
  // answer, and the filters' values.
  const pageCalls = (prompt: string, rangeMs: number): Array<[string, string]> => {
    const end = rangeEnd(rangeMs, now);
    const w = `from=${new Date(end - rangeMs).toISOString()}&to=${new Date(end).toISOString()}`;
    const p = `prompt=${encodeURIComponent(prompt)}`;
    return [
      ['page', `/api/v1/prompt-page?${p}&${w}&interval=${intervalFor(rangeMs)}`],
      ['dimensions', `/api/v1/dimensions?${p}&${w}`],
    ];
  };
  const timings = new Map<string, number[]>();
  // The calls of a page's first load in the run (no viewer opened it before) and of its later loads.
  const firstLoads: number[] = [];
  const laterLoads: number[] = [];
  const opened = new Set<string>();
  const call = async (name: string, path: string, record: number[] | undefined): Promise<void> => {
    const t = performance.now();
    const res = await fetch(`${collector.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    if (record === undefined) return;
    timings.set(name, [...(timings.get(name) ?? []), ms]);
    record.push(ms);
  };
  // A page load lasts until its last call answers: what the viewer waits for.
  const pageLoads: number[] = [];
  const loadPage = async (prompt: string, rangeMs: number, record: boolean): Promise<void> => {
    const t = performance.now();
    const page = `${prompt} ${rangeMs}`;
    const into = !record ? undefined : opened.has(page) ? laterLoads : firstLoads;
    opened.add(page);
    await Promise.all(pageCalls(prompt, rangeMs).map(([n, p]) => call(n, p, into)));
    if (record) pageLoads.push(performance.now() - t);
  };

  // New data while the viewers look: one batch every WRITE_MS, exported by the collector's WAL.
  const batches =
    WRITE_MS === 0
      ? []
      : WRITE_PROJECT === 'viewed'
        ? await captureBatches(8, WRITE_SPANS, VIEWED, LIVE_LABEL, now)
        : await captureBatches(8, WRITE_SPANS, LIVE_PREFIX, undefined, now);
  let writes = 0;
  let writing = true;
  const writer = async (): Promise<void> => {
    while (writing) {
      const res = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/x-protobuf' },
        body: batches[writes % batches.length]!,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`writer: HTTP ${res.status}`);
      writes++;
      await new Promise((r) => setTimeout(r, WRITE_MS));
    }
  };

  // One page load of each range first (the engine's first queries load marks and caches).
  for (const r of ranges) await loadPage('prompt-00', r, false);
  const cacheBefore = collector.readCacheStats();
  const insertsBefore = collector.metrics.inserts;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const writing$ = WRITE_MS > 0 ? writer() : Promise.resolve();
  await Promise.all(
    Array.from({ length: VIEWERS }, async (_, viewer) => {
      const random = prng(1000 + viewer);
      // Human-paced viewers arrive as people do, not all in the same millisecond: each opens its
      // first page after a random pause of up to one think time.
      if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS * random()));
      let prompt = '';
      let range = 0;
      for (let round = 0; round < ROUNDS; round++) {
        if (round % STAY === 0) {
          prompt = `prompt-${String(Math.floor(random() * 20)).padStart(2, '0')}`;
          range = ranges[Math.floor(random() * ranges.length)]!;
        }
        await loadPage(prompt, range, true);
        if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + random())));
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  writing = false;
  await writing$;
  const cacheAfter = collector.readCacheStats();
  const cache = {
    hits: cacheAfter.hits - cacheBefore.hits,
    shared: cacheAfter.shared - cacheBefore.shared,
    misses: cacheAfter.misses - cacheBefore.misses,
  };
  const all = [...timings.values()].flat().sort((a, b) => a - b);
  // NaN (null in the JSON line) when there is nothing to rank: a run with no later loads.
  const pct = (xs: number[], q: number): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
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
  log(`page loads: p50 ${median(pageLoads).toFixed(1)} ms, p95 ${pct(pageLoads, 0.95).toFixed(1)} ms`);
  log(
    `calls of first loads of a page: n=${firstLoads.length} p95 ${pct(firstLoads, 0.95).toFixed(1)} ms; of later loads: n=${laterLoads.length} p95 ${pct(laterLoads, 0.95).toFixed(1)} ms`,
  );
  log(
    `read cache: ${cache.hits} hits, ${cache.shared} shared reads, ${cache.misses} misses; ${writes} batches of ${WRITE_SPANS} spans written`,
  );
  reportResult('console', {
    rows: ROWS,
    viewers: VIEWERS,
    page_loads: VIEWERS * ROUNDS,
    calls: all.length,
    p50_ms: round1(median(all)),
    p95_ms: round1(pct(all, 0.95)),
    max_ms: round1(all[all.length - 1]!),
    p50_page_ms: round1(median(pageLoads)),
    p95_page_ms: round1(pct(pageLoads, 0.95)),
    ...perCall,
    first_load_calls: firstLoads.length,
    p50_first_load_ms: round1(median(firstLoads)),
    p95_first_load_ms: round1(pct(firstLoads, 0.95)),
    p95_later_load_ms: round1(pct(laterLoads, 0.95)),
    cpu_s: Math.round(cpuS * 10) / 10,
    think_ms: THINK_MS,
    now_min: NOW_MIN,
    scores,
    stay: STAY,
    flush_ms: config.exporter.wal.flushIntervalMs,
    inserts: collector.metrics.inserts - insertsBefore,
    engine_readers: ENGINE_READERS,
    write_ms: WRITE_MS,
    write_project: WRITE_PROJECT,
    writes,
    cache_hits: cache.hits,
    cache_shared: cache.shared,
    cache_misses: cache.misses,
    miss_share: Math.round((cache.misses / all.length) * 1000) / 1000,
  });
} finally {
  await stop?.();
  await removeWriterRows(client);
  await removeScores(client);
  await client.close();
  rmSync(walDir, { recursive: true, force: true });
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}

import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import {
  insertLogs,
  insertTraces,
  labelHistory,
  metricsByVersion,
  migrate,
  timeSeriesByVersion,
  trafficShareByLabel,
} from '../src/index.js';
import type { LogRow, TraceRow } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { mulberry32 } from '../../../test/kit/random.js';
import { hexId, logRow, traceRow } from '../../../test/kit/rows.js';

/**
 * Ground truth: skewed synthetic traffic goes in through the exporter API; every metric read back
 * from the aggregates is compared with values computed here from the raw rows.
 */

const engine = tempEngine();
const { client } = engine;
const DB = 'gt';
const PROJECT = 'proj-gt';
const PROMPT = 'support-reply';

const rnd = mulberry32(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

interface Gen {
  ms: number;
  version: number;
  label: string;
  env: string;
  model: string;
  latencyMs: number;
  ttftMs: number | null;
  error: boolean;
  input: number;
  output: number;
  cacheRead: number;
  reasoning: number;
  cost: number;
  inputCost: number;
  outputCost: number;
  validation: boolean | null;
  linked: boolean;
  prompt: string;
  traceId: string;
  spanId: string;
}

// USD per 1M tokens, as in migrations/0004_default_prices.sql.
function priceOf(g: Pick<Gen, 'model' | 'input' | 'output' | 'cacheRead' | 'reasoning'>): [number, number] {
  if (g.model === 'gpt-4o-mini') {
    const inp = ((g.input - g.cacheRead) * 0.15 + g.cacheRead * 0.075) / 1e6;
    return [inp, (g.output * 0.6) / 1e6];
  }
  // claude-sonnet-4-20250514, tier at 200k input tokens for input and output; cache read from base.
  const tier = g.input >= 200_000;
  const inp = ((g.input - g.cacheRead) * (tier ? 6 : 3) + g.cacheRead * 0.3) / 1e6;
  return [inp, (g.output * (tier ? 22.5 : 15)) / 1e6];
}

const DAY0 = Date.UTC(2026, 9, 5); // 2026-10-05
const gens: Gen[] = [];
const spans: TraceRow[] = [];
let id = 1000;
for (let i = 0; i < 4000; i++) {
  id++;
  const ms = DAY0 + Math.floor(rnd() * 4 * 86_400_000);
  const version = pick([1, 2, 2, 3, 3, 3]);
  const label = version === 3 ? pick(['production', 'canary']) : 'production';
  const env = pick(['prod', 'prod', 'staging']);
  const model = rnd() < 0.8 ? 'gpt-4o-mini' : 'claude-sonnet-4-20250514';
  const error = rnd() < 0.08;
  // Pareto(alpha 1.3) latencies: heavy tail, a few very slow calls.
  const latencyMs = Math.round(40 * Math.pow(1 / (1 - rnd()), 1 / 1.3) * 1000) / 1000;
  const streamed = !error && rnd() < 0.6;
  const ttftMs = streamed ? Math.round(latencyMs * (0.05 + 0.5 * rnd()) * 1000) / 1000 : null;
  const big = model !== 'gpt-4o-mini' && rnd() < 0.1;
  const input = error ? 0 : big ? 200_000 + Math.floor(rnd() * 50_000) : 50 + Math.floor(rnd() * 4000);
  const output = error ? 0 : 10 + Math.floor(Math.pow(rnd(), 3) * 3000);
  const cacheRead = error || rnd() < 0.7 ? 0 : Math.floor(input * rnd() * 0.5);
  const reasoning = 0;
  const explicit = !error && rnd() < 0.1;
  let inputCost: number;
  let outputCost: number;
  if (explicit) {
    inputCost = Math.round(rnd() * 1e6) / 1e9;
    outputCost = Math.round(rnd() * 1e6) / 1e9;
  } else {
    [inputCost, outputCost] = priceOf({ model, input, output, cacheRead, reasoning });
  }
  const validation = rnd() < 0.3 ? rnd() < 0.85 : null;
  const fallback = rnd() < 0.03;
  const otherPrompt = rnd() < 0.05;
  const prompt = otherPrompt ? 'other-prompt' : PROMPT;
  const attrs: Record<string, string> = {
    [GEN_AI.OPERATION_NAME]: 'chat',
    [GEN_AI.REQUEST_MODEL]: model,
    [GEN_AI.PROVIDER_NAME]: model.startsWith('gpt') ? 'openai' : 'anthropic',
    [GEN_AI.PROMPT_NAME]: prompt,
    [PROMPTLINE.PROMPT_VERSION]: String(version),
    [PROMPTLINE.PROMPT_LABEL]: label,
  };
  if (!error) {
    attrs[GEN_AI.USAGE_INPUT_TOKENS] = String(input);
    attrs[GEN_AI.USAGE_OUTPUT_TOKENS] = String(output);
    if (cacheRead > 0) attrs[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] = String(cacheRead);
  }
  if (ttftMs !== null) attrs[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK] = String(ttftMs / 1000);
  if (explicit) {
    attrs[PROMPTLINE.COST_USD] = String(inputCost + outputCost);
    attrs[PROMPTLINE.COST_INPUT_USD] = String(inputCost);
    attrs[PROMPTLINE.COST_OUTPUT_USD] = String(outputCost);
  }
  if (validation !== null) attrs[PROMPTLINE.VALIDATION_PASSED] = String(validation);
  if (fallback) attrs[PROMPTLINE.PROMPT_FALLBACK] = 'true';
  const envKey = rnd() < 0.5 ? RESOURCE.DEPLOYMENT_ENVIRONMENT : RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY;
  const row = traceRow({
    Timestamp: new Date(ms).toISOString(),
    TraceId: hexId(id, 32),
    SpanId: hexId(id, 16),
    Duration: Math.round(latencyMs * 1e6),
    StatusCode: error ? 'Error' : 'Unset',
    SpanAttributes: attrs,
    ResourceAttributes: { [RESOURCE.SERVICE_NAME]: 'svc', [RESOURCE.PROJECT_ID]: PROJECT, [envKey]: env },
  });
  spans.push(row);
  gens.push({
    ms,
    version,
    label,
    env,
    model,
    latencyMs: Math.round(latencyMs * 1e6) / 1e6,
    ttftMs,
    error,
    input,
    output,
    cacheRead,
    reasoning,
    cost: inputCost + outputCost,
    inputCost,
    outputCost,
    validation,
    linked: !fallback,
    prompt,
    traceId: row.TraceId,
    spanId: row.SpanId,
  });
}
// Non-generation spans must not count.
for (let i = 0; i < 200; i++) spans.push(traceRow({ SpanAttributes: { 'http.request.method': 'GET' } }));

// Scores: numeric "helpful" (0..1, many zeros), categorical "tone"; some before their span (early),
// some long after (late), some ids sent twice in different batches.
interface Score {
  gen: Gen;
  name: string;
  value: number | null;
  label: string;
  id: string;
  early: boolean;
}
const scores: Score[] = [];
gens.forEach((g, i) => {
  if (i % 3 !== 0) return;
  const v = rnd() < 0.3 ? 0 : Math.round(rnd() * 100) / 100;
  scores.push({ gen: g, name: 'helpful', value: v, label: '', id: `s-${i}-h`, early: i % 2 === 0 });
  if (i % 6 === 0) {
    scores.push({
      gen: g,
      name: 'tone',
      value: null,
      label: pick(['polite', 'rude', 'neutral']),
      id: `s-${i}-t`,
      early: false,
    });
  }
});
function scoreRow(s: Score): LogRow {
  const attrs: Record<string, string> = { [EVALUATION.NAME]: s.name, [EVALUATION.ID]: s.id };
  if (s.value !== null) attrs[EVALUATION.SCORE_VALUE] = String(s.value);
  else attrs[EVALUATION.SCORE_LABEL] = s.label;
  attrs[EVALUATION.DATA_TYPE] = s.value !== null ? 'numeric' : 'categorical';
  return logRow({
    Timestamp: new Date(s.gen.ms + 60_000).toISOString(),
    TraceId: s.gen.traceId,
    SpanId: s.gen.spanId,
    EventName: EVALUATION_EVENT_NAME,
    ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT },
    LogAttributes: attrs,
  });
}

// Window with ragged edges: exercises raw edges, whole hours and whole days.
const FROM = new Date(DAY0 + 7 * 3_600_000 + 13 * 60_000 + 17_000);
const TO = new Date(DAY0 + 3 * 86_400_000 + 5 * 3_600_000 + 47 * 60_000);
const inWindow = (g: Gen): boolean =>
  g.linked && g.prompt === PROMPT && g.ms >= FROM.getTime() && g.ms < TO.getTime();

/** Acceptable quantile: within 1% of the order statistic at floor or ceil of q·(n−1), or between. */
function expectQuantile(actual: number, values: number[], q: number, what: string): void {
  const s = [...values].sort((a, b) => a - b);
  const r = q * (s.length - 1);
  const lo = s[Math.floor(r)] as number;
  const hi = s[Math.ceil(r)] as number;
  const ok = actual >= lo * 0.99 - 1e-9 && actual <= hi * 1.01 + 1e-9;
  expect(ok, `${what} q${q}: ${actual} not within 1% of [${lo}, ${hi}] (n=${s.length})`).toBe(true);
}
/** The real client, recording how many rows each `query(…).json()` handed to JS. */
function countingRows(c: ClickHouseClient, seen: number[]): ClickHouseClient {
  const bound = (t: object, p: string | symbol): unknown => {
    const v: unknown = Reflect.get(t, p);
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
  };
  return new Proxy(c, {
    get: (t, p) =>
      p !== 'query'
        ? bound(t, p)
        : async (params: Parameters<ClickHouseClient['query']>[0]) => {
            const rs = await t.query(params);
            return new Proxy(rs, {
              get: (r, q) =>
                q !== 'json'
                  ? bound(r, q)
                  : async () => {
                      const rows: unknown = await r.json();
                      // Raw generation rows in the result (merged aggregate rows carry an empty edge).
                      const raw = (x: unknown): boolean => {
                        const edge = (x as { edge?: unknown }).edge;
                        return !Array.isArray(edge) || edge.length > 0;
                      };
                      seen.push(Array.isArray(rows) ? rows.filter(raw).length : 1);
                      return rows;
                    },
            });
          },
  });
}
const close = (a: number, b: number, what: string): void =>
  expect(Math.abs(a - b) <= 1e-9 + 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`).toBe(true);

beforeAll(async () => {
  await migrate(client, { database: DB });
  const early = scores.filter((s) => s.early).map(scoreRow);
  await insertLogs(client, early, { database: DB, dedupToken: 'scores-early' });
  for (let i = 0; i < spans.length; i += 500) {
    const batch = spans.slice(i, i + 500);
    await insertTraces(client, batch, { database: DB, dedupToken: `traces-${i}` });
    if (i === 1000) await insertTraces(client, batch, { database: DB, dedupToken: `traces-${i}` });
  }
  const late = scores.filter((s) => !s.early).map(scoreRow);
  await insertLogs(client, late, { database: DB, dedupToken: 'scores-late' });
  // The same batch again (collector retry) and a few ids again in a new batch (SDK re-send).
  await insertLogs(client, late, { database: DB, dedupToken: 'scores-late' });
  await insertLogs(client, late.slice(0, 50), { database: DB, dedupToken: 'scores-resend' });
  await insertLogs(client, early.slice(0, 50), { database: DB, dedupToken: 'scores-resend-early' });
}, 120_000);
afterAll(() => engine.close());

describe('ground truth: aggregates vs raw rows', () => {
  it('stores every span once (duplicate batch is a no-op)', async () => {
    const [t] = await queryRows<{ n: number }>(client, `SELECT count() AS n FROM ${DB}.otel_traces`);
    expect(Number(t?.n)).toBe(spans.length);
    const [g] = await queryRows<{ n: number }>(
      client,
      `SELECT count() AS n FROM ${DB}.promptline_generations`,
    );
    expect(Number(g?.n)).toBe(gens.length);
    const [s] = await queryRows<{ n: number }>(client, `SELECT count() AS n FROM ${DB}.promptline_scores`);
    expect(Number(s?.n)).toBe(scores.length);
    // Early scores were stored unresolved (read-time lookup path); late ones resolved at insert.
    const [u] = await queryRows<{ n: number }>(
      client,
      `SELECT count() AS n FROM ${DB}.promptline_scores WHERE prompt_version = 0`,
    );
    expect(Number(u?.n)).toBe(scores.filter((x) => x.early || !x.gen.linked).length);
  });

  it('metrics by version match exact values from the raw rows', async () => {
    const result = await metricsByVersion(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      from: FROM,
      to: TO,
    });
    const versions = [...new Set(gens.filter(inWindow).map((g) => g.version))].sort((a, b) => b - a);
    expect(result.map((r) => r.version)).toEqual(versions);
    for (const r of result) {
      const gs = gens.filter((g) => inWindow(g) && g.version === r.version);
      const ok = gs.filter((g) => !g.error);
      expect(r.requests).toBe(gs.length);
      expect(r.errors).toBe(gs.filter((g) => g.error).length);
      expect(r.inputTokens).toBe(gs.reduce((a, g) => a + g.input, 0));
      expect(r.outputTokens).toBe(gs.reduce((a, g) => a + g.output, 0));
      expect(r.cacheReadTokens).toBe(gs.reduce((a, g) => a + g.cacheRead, 0));
      close(
        r.totalCostUsd,
        gs.reduce((a, g) => a + g.cost, 0),
        'cost',
      );
      close(
        r.inputCostUsd,
        gs.reduce((a, g) => a + g.inputCost, 0),
        'input cost',
      );
      close(
        r.outputCostUsd,
        gs.reduce((a, g) => a + g.outputCost, 0),
        'output cost',
      );
      close(r.latencyMs.mean, gs.reduce((a, g) => a + g.latencyMs, 0) / gs.length, 'latency mean');
      const lat = gs.map((g) => g.latencyMs);
      const ttft = gs.flatMap((g) => (g.ttftMs === null ? [] : [g.ttftMs]));
      const tokens = ok.map((g) => g.input + g.output);
      const cost = ok.map((g) => g.cost);
      for (const [q, key] of [
        [0.5, 'p50'],
        [0.9, 'p90'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const) {
        expectQuantile(r.latencyMs[key], lat, q, `v${r.version} latency`);
        expectQuantile(r.ttftMs?.[key] ?? NaN, ttft, q, `v${r.version} ttft`);
        expectQuantile(r.totalTokens[key], tokens, q, `v${r.version} tokens`);
        expectQuantile(r.costUsd[key], cost, q, `v${r.version} cost`);
      }
      expect(r.ttftMs?.count).toBe(ttft.length);
      const validated = gs.filter((g) => g.validation !== null);
      expect(r.validated).toBe(validated.length);
      close(
        r.validationPassRate ?? NaN,
        validated.filter((g) => g.validation).length / validated.length,
        'pass rate',
      );
      const times = gs.map((g) => g.ms);
      expect(r.firstSeen).toBe(new Date(Math.min(...times)).toISOString());
      expect(r.lastSeen).toBe(new Date(Math.max(...times)).toISOString());

      // Scores: early (resolved at read) + late (resolved at insert), duplicates counted once.
      const ss = scores.filter((s) => inWindow(s.gen) && s.gen.version === r.version);
      const helpful = ss.filter((s) => s.name === 'helpful').map((s) => s.value as number);
      const h = r.scores.find((s) => s.name === 'helpful');
      expect(h?.count).toBe(helpful.length);
      close(h?.mean ?? NaN, helpful.reduce((a, b) => a + b, 0) / helpful.length, 'score mean');
      const sorted = [...helpful].sort((a, b) => a - b);
      const mid = sorted[Math.floor(0.5 * (sorted.length - 1))] as number;
      const mid2 = sorted[Math.ceil(0.5 * (sorted.length - 1))] as number;
      expect((h?.median ?? NaN) >= mid * 0.99 - 1e-9 && (h?.median ?? NaN) <= mid2 * 1.01 + 1e-9).toBe(true);
      const tone: Record<string, number> = {};
      for (const s of ss.filter((x) => x.name === 'tone')) tone[s.label] = (tone[s.label] ?? 0) + 1;
      expect(r.scores.find((s) => s.name === 'tone')?.labels ?? {}).toEqual(tone);
    }
  });

  it('filters by environment and label', async () => {
    const result = await metricsByVersion(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      from: FROM,
      to: TO,
      environment: 'staging',
      label: 'canary',
      includeScores: false,
    });
    const gs = gens.filter((g) => inWindow(g) && g.env === 'staging' && g.label === 'canary');
    expect(result.map((r) => [r.version, r.requests])).toEqual([[3, gs.length]]);
  });

  it('time series by version (daily/2-hourly from aggregates + edges, 30-minute from generations) matches counts', async () => {
    for (const [interval, from, to] of [
      [86_400, new Date(DAY0), new Date(DAY0 + 4 * 86_400_000)],
      [1800, new Date(DAY0), new Date(DAY0 + 4 * 86_400_000)],
      [7200, FROM, TO], // ragged window: partial first/last buckets come from generations
      [86_400, FROM, TO],
    ] as const) {
      const pts = await timeSeriesByVersion(client, {
        database: DB,
        projectId: PROJECT,
        promptName: PROMPT,
        from,
        to,
        intervalSeconds: interval,
      });
      const expected = new Map<
        string,
        { n: number; e: number; cost: number; tokens: number; lat: number[]; ttft: number[] }
      >();
      for (const g of gens.filter(
        (x) => x.linked && x.prompt === PROMPT && x.ms >= from.getTime() && x.ms < to.getTime(),
      )) {
        const b = new Date(Math.floor(g.ms / (interval * 1000)) * interval * 1000).toISOString();
        const k = `${b}|${g.version}`;
        const cur = expected.get(k) ?? { n: 0, e: 0, cost: 0, tokens: 0, lat: [], ttft: [] };
        cur.n++;
        cur.e += g.error ? 1 : 0;
        cur.cost += g.cost;
        cur.tokens += g.input + g.output;
        cur.lat.push(g.latencyMs);
        if (g.ttftMs !== null) cur.ttft.push(g.ttftMs);
        expected.set(k, cur);
      }
      expect(pts.length).toBe(expected.size);
      for (const p of pts) {
        const e = expected.get(`${p.bucket}|${p.version}`);
        expect(p.requests).toBe(e?.n);
        expect(p.errors).toBe(e?.e);
        expect(p.totalTokens).toBe(e?.tokens);
        close(p.costUsd, e?.cost ?? NaN, 'bucket cost');
        // Each bucket's percentiles within the histogram's stated error of the exact order statistic.
        expectQuantile(p.latencyP50Ms, e!.lat, 0.5, `${p.bucket} v${p.version} latency p50`);
        expectQuantile(p.latencyP95Ms, e!.lat, 0.95, `${p.bucket} v${p.version} latency p95`);
        expectQuantile(p.latencyP99Ms, e!.lat, 0.99, `${p.bucket} v${p.version} latency p99`);
        if (e!.ttft.length === 0) expect(p.ttftP50Ms).toBeNull();
        else expectQuantile(p.ttftP50Ms ?? NaN, e!.ttft, 0.5, `${p.bucket} v${p.version} ttft p50`);
      }
    }
  });

  it('traffic share by label and label history match', async () => {
    const shares = await trafficShareByLabel(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      from: FROM,
      to: TO,
    });
    const inW = gens.filter(inWindow);
    for (const s of shares) {
      const n = inW.filter((g) => g.label === s.label && g.version === s.version).length;
      expect(s.requests).toBe(n);
      close(s.share, n / inW.length, 'share');
    }
    expect(shares.reduce((a, s) => a + s.requests, 0)).toBe(inW.length);

    const hist = await labelHistory(client, { database: DB, projectId: PROJECT, promptName: PROMPT });
    const all = gens.filter((g) => g.linked && g.prompt === PROMPT);
    for (const h of hist) {
      const gs = all.filter((g) => g.label === h.label && g.version === h.version && g.env === h.environment);
      expect(h.requests).toBe(gs.length);
      expect(h.firstSeen).toBe(new Date(Math.min(...gs.map((g) => g.ms))).toISOString());
      expect(h.lastSeen).toBe(new Date(Math.max(...gs.map((g) => g.ms))).toISOString());
    }
    expect(hist.reduce((a, h) => a + h.requests, 0)).toBe(all.length);
  });

  it('fallback generations are stored but never linked to a version', async () => {
    const [r] = await queryRows<{ n: number; v: number }>(
      client,
      `SELECT count() AS n, max(prompt_version) AS v FROM ${DB}.promptline_generations WHERE prompt_fallback = 1`,
    );
    expect(Number(r?.n)).toBe(gens.filter((g) => !g.linked).length);
    expect(Number(r?.v)).toBe(0);
  });

  it('a raw edge over rawEdgeMaxRows is folded in SQL with the same results as the JS fold', async () => {
    const THRESHOLD = 10;
    // The window's raw edges (before the first whole hour, after the last one) hold more rows than that.
    const firstHour = Math.ceil(FROM.getTime() / 3_600_000) * 3_600_000;
    const lastHour = Math.floor(TO.getTime() / 3_600_000) * 3_600_000;
    const edgeRows = gens.filter((g) => inWindow(g) && (g.ms < firstHour || g.ms >= lastHour)).length;
    expect(edgeRows).toBeGreaterThan(THRESHOLD);
    const base = { database: DB, projectId: PROJECT, promptName: PROMPT, from: FROM, to: TO };
    const smallSeen: number[] = [];
    const bigSeen: number[] = [];
    const small = await metricsByVersion(countingRows(client, smallSeen), base);
    const big = await metricsByVersion(countingRows(client, bigSeen), { ...base, rawEdgeMaxRows: THRESHOLD });
    // The JS path read the edge rows; the SQL path never read more than THRESHOLD + 1 raw rows at once.
    expect(Math.max(...smallSeen)).toBeGreaterThan(THRESHOLD + 1);
    expect(Math.max(...bigSeen)).toBeLessThanOrEqual(THRESHOLD + 1);
    const floats = (m: (typeof small)[number]): number[] => [
      m.latencyMs.mean,
      m.ttftMs?.mean ?? 0,
      m.totalCostUsd,
      m.inputCostUsd,
      m.outputCostUsd,
      m.intervals['latencyMs.mean']?.lower ?? 0,
      m.intervals['latencyMs.mean']?.upper ?? 0,
      m.intervals['ttftMs.mean']?.lower ?? 0,
      m.intervals['ttftMs.mean']?.upper ?? 0,
      m.costPerPass?.usd ?? 0,
    ];
    // Means (and their intervals) are float sums, added in another order by the SQL fold.
    const exact = (m: (typeof small)[number]): unknown => ({
      ...m,
      intervals: Object.fromEntries(Object.entries(m.intervals).filter(([k]) => !k.endsWith('.mean'))),
      costPerPass: m.costPerPass === null ? null : { ...m.costPerPass, usd: 0 },
      latencyMs: { ...m.latencyMs, mean: 0 },
      ttftMs: m.ttftMs === null ? null : { ...m.ttftMs, mean: 0 },
      totalCostUsd: 0,
      inputCostUsd: 0,
      outputCostUsd: 0,
    });
    expect(big.map(exact)).toEqual(small.map(exact));
    expect(big.length).toBeGreaterThan(0);
    big.forEach((m, i) =>
      floats(m).forEach((v, j) => close(v, floats(small[i]!)[j]!, `version ${m.version} float ${j}`)),
    );
    // Time series: the partial first and last buckets come from the edges.
    const ts = { ...base, intervalSeconds: 7200 };
    const smallTs = await timeSeriesByVersion(client, ts);
    const bigTs = await timeSeriesByVersion(client, { ...ts, rawEdgeMaxRows: THRESHOLD });
    const row = (p: (typeof smallTs)[number]): unknown => ({ ...p, costUsd: 0 });
    expect(bigTs.map(row)).toEqual(smallTs.map(row));
    bigTs.forEach((p, i) => close(p.costUsd, smallTs[i]!.costUsd, `bucket ${p.bucket} cost`));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import {
  insertLogs,
  insertTraces,
  metricsByVersion,
  migrate,
  QueryOptionsError,
  scoresByVersion,
} from '../src/index.js';
import type { LogRow, ScoreSummary, TraceRow } from '../src/index.js';
import { studentTQuantile } from '../src/stats/index.js';
import { tempEngine } from '../../../test/kit/engine.js';
import { mulberry32 } from '../../../test/kit/random.js';
import { hexId, logRow, traceRow } from '../../../test/kit/rows.js';

/**
 * Per-version score distributions and the metrics' intervals on the real engine, against figures
 * computed here from the rows written: type-7 quantiles, t and Wilson intervals and order-statistic
 * ranks written out from their definitions (the t quantile is the stats module's, checked against
 * SciPy in statsReference.test.ts).
 */

const engine = tempEngine();
const { client } = engine;
const DB = 'sdist';
const PROJECT = 'proj-dist';
const PROMPT = 'support-reply';
const START = Date.UTC(2026, 10, 12, 9, 20, 0);
const FROM = new Date(START - 60_000);
const TO = new Date(START + 3 * 3_600_000);
const rnd = mulberry32(11);

interface Gen {
  version: number;
  ms: number;
  latencyMs: number;
  error: boolean;
  cost: number;
  validation: boolean | null;
  traceId: string;
  spanId: string;
}
interface Score {
  gen: Gen;
  name: string;
  value: number | null;
  label: string;
  dataType: string;
}

const TONES = Array.from({ length: 23 }, (_, i) => `tone-${String(i).padStart(2, '0')}`);
const gens: Gen[] = [];
const scores: Score[] = [];
let id = 100;
for (const version of [1, 2]) {
  for (let i = 0; i < 150; i++) {
    id++;
    const error = i % 25 === 3 + version;
    const g: Gen = {
      version,
      ms: START + i * 60_000 + version * 7_000,
      latencyMs: Math.round((version === 1 ? 300 : 420) * (0.5 + rnd()) * 1000) / 1000,
      error,
      cost: error ? 0 : Math.round((0.001 + rnd() * 0.004) * 1e6) / 1e6,
      validation: i % 3 === 0 ? null : rnd() < (version === 1 ? 0.7 : 0.85),
      traceId: hexId(id, 32),
      spanId: hexId(id, 16),
    };
    gens.push(g);
    if (error) continue;
    // 1–5 rating, SDK boolean (value + label), label-only declared boolean, categorical with 23
    // labels (top 20 + other), continuous 0–1 with many distinct values.
    const rating = 1 + Math.floor(rnd() * (version === 1 ? 4 : 5));
    scores.push({ gen: g, name: 'rating', value: rating, label: '', dataType: 'numeric' });
    const ok = rnd() < (version === 1 ? 0.6 : 0.8);
    scores.push({ gen: g, name: 'correct', value: ok ? 1 : 0, label: String(ok), dataType: 'boolean' });
    scores.push({
      gen: g,
      name: 'judged',
      value: null,
      label: rnd() < 0.5 ? 'true' : 'false',
      dataType: 'boolean',
    });
    const tone = TONES[Math.min(22, Math.floor(rnd() * rnd() * 30))]!;
    scores.push({ gen: g, name: 'tone', value: null, label: tone, dataType: 'categorical' });
    scores.push({
      gen: g,
      name: 'similarity',
      value: Math.round(rnd() * 1e6) / 1e6,
      label: '',
      dataType: 'numeric',
    });
  }
}

function span(g: Gen): TraceRow {
  const attrs: Record<string, string> = {
    [GEN_AI.OPERATION_NAME]: 'chat',
    [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
    [GEN_AI.PROMPT_NAME]: PROMPT,
    [PROMPTLINE.PROMPT_VERSION]: String(g.version),
    [PROMPTLINE.PROMPT_LABEL]: 'production',
    [PROMPTLINE.COST_USD]: String(g.cost),
  };
  if (g.validation !== null) attrs[PROMPTLINE.VALIDATION_PASSED] = String(g.validation);
  return traceRow({
    Timestamp: new Date(g.ms).toISOString(),
    TraceId: g.traceId,
    SpanId: g.spanId,
    Duration: Math.round(g.latencyMs * 1e6),
    StatusCode: g.error ? 'Error' : 'Unset',
    SpanAttributes: attrs,
    ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT, [RESOURCE.DEPLOYMENT_ENVIRONMENT]: 'prod' },
  });
}

function scoreLog(s: Score, i: number): LogRow {
  const attrs: Record<string, string> = {
    [EVALUATION.NAME]: s.name,
    [EVALUATION.ID]: `s-${i}`,
    [EVALUATION.DATA_TYPE]: s.dataType,
  };
  if (s.value !== null) attrs[EVALUATION.SCORE_VALUE] = String(s.value);
  if (s.label !== '') attrs[EVALUATION.SCORE_LABEL] = s.label;
  return logRow({
    Timestamp: new Date(s.gen.ms + 2_000).toISOString(),
    TraceId: s.gen.traceId,
    SpanId: s.gen.spanId,
    EventName: EVALUATION_EVENT_NAME,
    ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT },
    LogAttributes: attrs,
  });
}

beforeAll(async () => {
  await migrate(client, { database: DB });
  const logs = scores.map(scoreLog);
  // A third of the scores before their spans: stored unresolved, resolved at read time.
  await insertLogs(
    client,
    logs.filter((_, i) => i % 3 === 0),
    { database: DB, dedupToken: 'early' },
  );
  await insertTraces(client, gens.map(span), { database: DB, dedupToken: 'spans' });
  await insertLogs(
    client,
    logs.filter((_, i) => i % 3 !== 0),
    { database: DB, dedupToken: 'late' },
  );
}, 120_000);
afterAll(() => engine.close());

// ---- reference figures, from the definitions ----

const Z95 = 1.959963984540054;

function type7(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 >= sorted.length ? sorted[lo]! : sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!);
}

function wilson(k: number, n: number): [number, number] {
  const p = k / n;
  const d = 1 + (Z95 * Z95) / n;
  const c = (p + (Z95 * Z95) / (2 * n)) / d;
  const h = (Z95 / d) * Math.sqrt((p * (1 - p)) / n + (Z95 * Z95) / (4 * n * n));
  return [k === 0 ? 0 : c - h, k === n ? 1 : c + h];
}

/** P(B ≤ k), B ~ Binomial(n, q), summed term by term in logs. */
function binomCdf(k: number, n: number, q: number): number {
  let lnC = 0;
  let s = 0;
  for (let j = 0; j <= k; j++) {
    if (j > 0) lnC += Math.log((n - j + 1) / j);
    s += Math.exp(lnC + j * Math.log(q) + (n - j) * Math.log(1 - q));
  }
  return s;
}

/** 1-based ranks of the equal-tailed 95% order-statistic interval of the q-quantile. */
function ranks(n: number, q: number): [number, number] {
  let l = 0;
  while (binomCdf(l, n, q) < 0.025) l++;
  let u = 0;
  while (1 - binomCdf(u, n, q) > 0.025) u++;
  return [l, u + 1];
}

function numericTruth(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const variance = s.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(0.975, n - 1) * Math.sqrt(variance / n);
  const [l, u] = ranks(n, 0.5);
  return {
    n,
    mean,
    meanCi: [mean - half, mean + half],
    median: type7(s, 0.5),
    medianCi: [s[l - 1]!, s[u - 1]!],
    min: s[0]!,
    max: s[n - 1]!,
    p10: type7(s, 0.1),
    p25: type7(s, 0.25),
    p75: type7(s, 0.75),
    p90: type7(s, 0.9),
  };
}

const close = (a: number | null | undefined, b: number, what: string, tol = 1e-9): void => {
  expect(a, what).not.toBeNull();
  expect(Math.abs((a as number) - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(
    tol * Math.max(1, Math.abs(b)),
  );
};

const query = { database: DB, projectId: PROJECT, promptName: PROMPT, from: FROM, to: TO };
const of = (list: ScoreSummary[] | undefined, name: string): ScoreSummary => {
  const s = list?.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no score ${name}`);
  return s;
};
const scoresOf = (v: number, name: string): Score[] =>
  scores.filter((s) => s.gen.version === v && s.name === name);

describe('scoresByVersion: exact distributions per version', () => {
  let byVersion: Map<number, ScoreSummary[]>;
  beforeAll(async () => {
    byVersion = await scoresByVersion(client, query);
  });

  it('numeric 1–5 rating: n, mean ± t, median ± order statistics, min, max, p10…p90', () => {
    for (const v of [1, 2]) {
      const r = of(byVersion.get(v), 'rating');
      const t = numericTruth(scoresOf(v, 'rating').map((s) => s.value!));
      expect(r.kind).toBe('numeric');
      expect(r.exact).toBe(true);
      expect(r.count).toBe(t.n);
      const d = r.numeric!;
      expect(d.n).toBe(t.n);
      for (const k of ['mean', 'median', 'min', 'max', 'p10', 'p25', 'p75', 'p90'] as const)
        close(d[k], t[k], `v${v} ${k}`);
      close(d.meanCi!.lower, t.meanCi[0]!, `v${v} mean lower`);
      close(d.meanCi!.upper, t.meanCi[1]!, `v${v} mean upper`);
      expect([d.medianCi!.lower, d.medianCi!.upper]).toEqual(t.medianCi);
      expect(r.intervals.mean).toEqual(d.meanCi);
      expect(r.intervals.median).toEqual(d.medianCi);
    }
  });

  it('boolean score (value and label): pass rate with its Wilson interval', () => {
    for (const v of [1, 2]) {
      const r = of(byVersion.get(v), 'correct');
      const list = scoresOf(v, 'correct');
      const k = list.filter((s) => s.value === 1).length;
      expect(r.kind).toBe('boolean');
      expect(r.passRate).toMatchObject({ n: list.length, events: k });
      close(r.passRate!.rate, k / list.length, 'rate');
      const [lo, hi] = wilson(k, list.length);
      close(r.passRate!.ci!.lower, lo, 'wilson lower');
      close(r.passRate!.ci!.upper, hi, 'wilson upper');
      close(r.mean, k / list.length, 'mean is the rate');
      expect(r.labels).toEqual({ true: k, false: list.length - k });
      expect(r.intervals.mean).toEqual(r.passRate!.ci);
      expect(r.numeric).toBeNull();
    }
  });

  it('a declared boolean that carries only labels is a boolean score too', () => {
    const r = of(byVersion.get(2), 'judged');
    const list = scoresOf(2, 'judged');
    const k = list.filter((s) => s.label === 'true').length;
    expect(r.kind).toBe('boolean');
    expect(r.valueCount).toBe(list.length);
    expect(r.passRate).toMatchObject({ n: list.length, events: k });
    expect(r.dataTypes).toEqual(['boolean']);
  });

  it('categorical: counts per label, the 20 most frequent and (other)', () => {
    for (const v of [1, 2]) {
      const r = of(byVersion.get(v), 'tone');
      const counts = new Map<string, number>();
      for (const s of scoresOf(v, 'tone')) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const top = sorted.slice(0, 20);
      const rest = sorted.slice(20).reduce((a, [, c]) => a + c, 0);
      expect(r.kind).toBe('categorical');
      expect(r.labels).toEqual(Object.fromEntries(counts));
      const expected = rest > 0 ? [...top, ['(other)', rest] as [string, number]] : top;
      expect(r.categories!.categories.map((c) => [c.label, c.count]).sort()).toEqual(expected.sort());
      const n = scoresOf(v, 'tone').length;
      expect(r.categories!.n).toBe(n);
      const first = r.categories!.categories[0]!;
      const [lo, hi] = wilson(first.count, n);
      close(first.ci.lower, lo, 'share lower');
      close(first.ci.upper, hi, 'share upper');
    }
    // The seed does spread over more than 20 labels in version 1 (else (other) is untested).
    expect(new Set(scoresOf(1, 'tone').map((s) => s.label)).size).toBeGreaterThan(20);
  });

  it('more distinct values than the bound: exact n, mean, min, max; quantiles within 0.5% (histogram)', async () => {
    const bounded = await scoresByVersion(client, { ...query, maxDistinctValues: 50 });
    for (const v of [1, 2]) {
      const r = of(bounded.get(v), 'similarity');
      const values = scoresOf(v, 'similarity').map((s) => s.value!);
      const t = numericTruth(values);
      expect(r.exact).toBe(false);
      expect(r.numeric!.n).toBe(t.n);
      close(r.numeric!.mean, t.mean, 'mean');
      close(r.numeric!.min, t.min, 'min');
      close(r.numeric!.max, t.max, 'max');
      const s = [...values].sort((a, b) => a - b);
      for (const [k, q] of [
        ['p10', 0.1],
        ['median', 0.5],
        ['p90', 0.9],
      ] as const) {
        // The bucket of the order statistic of rank ⌊q·(n−1)⌋ (0-based), within 0.5% of it.
        const exact = s[Math.floor(q * (s.length - 1))]!;
        expect(Math.abs(r.numeric![k]! - exact)).toBeLessThanOrEqual(exact * 0.005 + 1e-12);
      }
      const [l, u] = ranks(t.n, 0.5);
      expect(Math.abs(r.numeric!.medianCi!.lower - s[l - 1]!)).toBeLessThanOrEqual(s[l - 1]! * 0.005);
      expect(Math.abs(r.numeric!.medianCi!.upper - s[u - 1]!)).toBeLessThanOrEqual(s[u - 1]! * 0.005);
      // Unbounded, the same score is exact.
      const full = of(byVersion.get(v), 'similarity');
      expect(full.exact).toBe(true);
      close(full.numeric!.median, t.median, 'exact median');
    }
  });

  it('refuses a bound outside 1…1000000', async () => {
    await expect(scoresByVersion(client, { ...query, maxDistinctValues: 0 })).rejects.toBeInstanceOf(
      QueryOptionsError,
    );
  });
});

describe('metricsByVersion: intervals and cost per passing outcome', () => {
  it('error rate and validation pass rate with Wilson, latency quantiles with order statistics', async () => {
    const rows = await metricsByVersion(client, query);
    expect(rows.map((r) => r.version)).toEqual([2, 1]);
    for (const r of rows) {
      const gs = gens.filter((g) => g.version === r.version);
      const errors = gs.filter((g) => g.error).length;
      const [elo, ehi] = wilson(errors, gs.length);
      close(r.intervals.errorRate!.lower, elo, 'error lower');
      close(r.intervals.errorRate!.upper, ehi, 'error upper');
      const validated = gs.filter((g) => g.validation !== null);
      const passed = validated.filter((g) => g.validation === true).length;
      const [vlo, vhi] = wilson(passed, validated.length);
      close(r.intervals.validationPassRate!.lower, vlo, 'validation lower');
      close(r.intervals.validationPassRate!.upper, vhi, 'validation upper');
      const lat = gs.map((g) => g.latencyMs).sort((a, b) => a - b);
      for (const [k, q] of [
        ['p50', 0.5],
        ['p95', 0.95],
      ] as const) {
        const [l, u] = ranks(lat.length, q);
        const i = r.intervals[`latencyMs.${k}`]!;
        expect(Math.abs(i.lower - lat[l - 1]!), `${k} lower`).toBeLessThanOrEqual(lat[l - 1]! * 0.005);
        expect(Math.abs(i.upper - lat[u - 1]!), `${k} upper`).toBeLessThanOrEqual(lat[u - 1]! * 0.005);
      }
      // 150 values: the p99 needs 368 for a 95% interval.
      expect(r.intervals['latencyMs.p99']).toBeUndefined();
      // Cost per passing outcome: every generation's cost over the validated passes.
      const cost = gs.reduce((a, g) => a + g.cost, 0);
      expect(r.costPerPass).toMatchObject({ basis: 'validation', passes: passed, judged: validated.length });
      close(r.costPerPass!.usd, cost / passed, 'cost per pass');
    }
  });

  it('cost per passing outcome of a chosen boolean score; a numeric one is refused', async () => {
    const rows = await metricsByVersion(client, { ...query, passScore: 'correct' });
    for (const r of rows) {
      const gs = gens.filter((g) => g.version === r.version);
      const cost = gs.reduce((a, g) => a + g.cost, 0);
      const list = scoresOf(r.version, 'correct');
      const passes = list.filter((s) => s.value === 1).length;
      expect(r.costPerPass).toMatchObject({ basis: 'score:correct', passes, judged: list.length });
      close(r.costPerPass!.usd, cost / passes, 'cost per correct answer');
    }
    await expect(metricsByVersion(client, { ...query, passScore: 'rating' })).rejects.toThrow(
      'metrics: passScore "rating" is a numeric score; cost per pass needs a boolean score',
    );
  });
});

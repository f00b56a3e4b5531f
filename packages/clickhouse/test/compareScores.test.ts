import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { compareVersions, insertLogs, insertTraces, migrate } from '../src/index.js';
import type { LogRow, MetricComparison, TraceRow, VersionComparison } from '../src/index.js';
import { normalCdf, studentTCdf, studentTQuantile } from '../src/stats/index.js';
import { lnGamma } from '../src/stats/special.js';
import { tempEngine } from '../../../test/kit/engine.js';
import { hexId, logRow, traceRow } from '../../../test/kit/rows.js';

/**
 * compareVersions reads every kind of score from the database and compares it by the statistic it
 * is about: the demo's case (a boolean `correct` and a 1–5 `rating` whose medians do not move while
 * the rate and the mean do) now shows the rate and the mean, with a change and a verdict that
 * agree; a categorical `tone` is tested for homogeneity; a declared boolean sent as labels only is
 * a rate. Every expected figure is computed here from the counts written.
 */

const engine = tempEngine();
const { client } = engine;
const DB = 'cmpscores';
const PROJECT = 'proj-scores';
const PROMPT = 'support-reply';
const START = Date.UTC(2026, 10, 14, 8, 0, 0);
const FROM = new Date(START);
const TO = new Date(START + 4 * 3_600_000);
const N = 100;

/** Per version: passes of `correct`, the ratings, tone counts, `judged` trues. */
const PLAN = {
  1: {
    correct: 68,
    ratings: [...Array<number>(52).fill(5), ...Array<number>(48).fill(2)],
    tone: { helpful: 50, neutral: 30, rude: 20 },
    judged: 40,
  },
  2: {
    correct: 90,
    ratings: [...Array<number>(88).fill(5), ...Array<number>(12).fill(4)],
    tone: { helpful: 70, neutral: 25, rude: 5 },
    judged: 45,
  },
} as const;

const spans: TraceRow[] = [];
const logs: LogRow[] = [];
let id = 0;
for (const version of [1, 2] as const) {
  const plan = PLAN[version];
  const tones = Object.entries(plan.tone).flatMap(([t, c]) => Array<string>(c).fill(t));
  for (let i = 0; i < N; i++) {
    id++;
    const ms = START + version * 3_600_000 + i * 20_000;
    const traceId = hexId(id, 32);
    const spanId = hexId(id, 16);
    spans.push(
      traceRow({
        Timestamp: new Date(ms).toISOString(),
        TraceId: traceId,
        SpanId: spanId,
        Duration: (200 + ((i * 37) % 100)) * 1_000_000,
        SpanAttributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.PROMPT_NAME]: PROMPT,
          [PROMPTLINE.PROMPT_VERSION]: String(version),
        },
        ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT },
      }),
    );
    const score = (name: string, attrs: Record<string, string>): void => {
      logs.push(
        logRow({
          Timestamp: new Date(ms + 1000).toISOString(),
          TraceId: traceId,
          SpanId: spanId,
          EventName: EVALUATION_EVENT_NAME,
          ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT },
          LogAttributes: { [EVALUATION.NAME]: name, [EVALUATION.ID]: `${name}-${id}`, ...attrs },
        }),
      );
    };
    const ok = i < plan.correct;
    // As the SDK sends a boolean: value 1/0 and label true/false.
    score('correct', {
      [EVALUATION.SCORE_VALUE]: ok ? '1' : '0',
      [EVALUATION.SCORE_LABEL]: String(ok),
      [EVALUATION.DATA_TYPE]: 'boolean',
    });
    score('rating', { [EVALUATION.SCORE_VALUE]: String(plan.ratings[i]), [EVALUATION.DATA_TYPE]: 'numeric' });
    score('tone', { [EVALUATION.SCORE_LABEL]: tones[i]!, [EVALUATION.DATA_TYPE]: 'categorical' });
    // A declared boolean with a label only (as some evaluators send it).
    score('judged', {
      [EVALUATION.SCORE_LABEL]: i < plan.judged ? 'TRUE' : 'false',
      [EVALUATION.DATA_TYPE]: 'boolean',
    });
  }
}

let result: VersionComparison;
beforeAll(async () => {
  await migrate(client, { database: DB });
  // Half the scores before the spans (resolved at read time), half after (resolved at insert).
  await insertLogs(
    client,
    logs.filter((_, i) => i % 2 === 0),
    { database: DB, dedupToken: 'early' },
  );
  await insertTraces(client, spans, { database: DB, dedupToken: 'spans' });
  await insertLogs(
    client,
    logs.filter((_, i) => i % 2 === 1),
    { database: DB, dedupToken: 'late' },
  );
  result = await compareVersions(client, {
    database: DB,
    projectId: PROJECT,
    promptName: PROMPT,
    baseline: 1,
    candidate: 2,
    from: FROM,
    to: TO,
  });
}, 120_000);
afterAll(() => engine.close());

const Z = 1.959963984540054;
const metric = (name: string): MetricComparison => {
  const m = result.metrics.find((x) => x.metric === name);
  if (m === undefined) throw new Error(`no ${name}`);
  return m;
};
const close = (a: number | null | undefined, b: number, what: string): void => {
  expect(a, what).not.toBeNull();
  expect(Math.abs((a as number) - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(b)),
  );
};
function wilson(k: number, n: number): [number, number] {
  const p = k / n;
  const d = 1 + (Z * Z) / n;
  const c = (p + (Z * Z) / (2 * n)) / d;
  const h = (Z / d) * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n));
  return [c - h, c + h];
}

describe('compareVersions: every score kind from the database', () => {
  it('lists the scores by name after the generation metrics', () => {
    expect(result.metrics.map((m) => m.metric)).toEqual([
      'latency_ms',
      'ttft_ms',
      'total_tokens',
      'cost_usd',
      'error_rate',
      'score:correct',
      'score:judged',
      'score:rating',
      'score:tone',
    ]);
  });

  it('boolean correct: pass rates, Wilson per side, Newcombe difference, two-proportion z, better', () => {
    const m = metric('score:correct');
    const [a, b] = [PLAN[1].correct, PLAN[2].correct];
    expect(m).toMatchObject({
      kind: 'boolean',
      headline: 'rate',
      better: 'higher',
      test: 'two-proportion-z',
    });
    expect(m.baseline).toMatchObject({ n: N, events: a, median: null });
    close(m.baseline.headline, a / N, 'baseline rate');
    close(m.candidate.headline, b / N, 'candidate rate');
    const [al, au] = wilson(a, N);
    const [bl, bu] = wilson(b, N);
    close(m.baseline.ci!.lower, al, 'baseline wilson lower');
    close(m.candidate.ci!.upper, bu, 'candidate wilson upper');
    const d = (b - a) / N;
    close(m.effect.difference, d, 'difference');
    close(m.effect.differenceCi!.lower, d - Math.hypot(b / N - bl, au - a / N), 'newcombe lower');
    close(m.effect.differenceCi!.upper, d + Math.hypot(bu - b / N, a / N - al), 'newcombe upper');
    close(m.effect.riskRatio, b / a, 'risk ratio');
    const pooled = (a + b) / (2 * N);
    const z = d / Math.sqrt(pooled * (1 - pooled) * (2 / N));
    close(m.p, 2 * normalCdf(-Math.abs(z)), 'p');
    close(m.effect.relativeChange, (b - a) / a, 'change');
    expect(m.verdict).toBe('better');
  });

  it('numeric rating: the means move (the medians do not): Welch, Hedges g, better — change and verdict agree', () => {
    const m = metric('score:rating');
    const x = PLAN[1].ratings as readonly number[];
    const y = PLAN[2].ratings as readonly number[];
    const mean = (v: readonly number[]): number => v.reduce((s, t) => s + t, 0) / v.length;
    const variance = (v: readonly number[]): number =>
      v.reduce((s, t) => s + (t - mean(v)) ** 2, 0) / (v.length - 1);
    expect(m).toMatchObject({ kind: 'numeric', headline: 'mean', test: 'welch-t' });
    close(m.baseline.headline, mean(x), 'baseline mean');
    close(m.candidate.headline, mean(y), 'candidate mean');
    expect([m.baseline.median, m.candidate.median]).toEqual([5, 5]);
    const half = studentTQuantile(0.975, N - 1) * Math.sqrt(variance(x) / N);
    close(m.baseline.ci!.lower, mean(x) - half, 'baseline t lower');
    const se2 = variance(x) / N + variance(y) / N;
    const t = (mean(y) - mean(x)) / Math.sqrt(se2);
    const df = se2 ** 2 / ((variance(x) / N) ** 2 / (N - 1) + (variance(y) / N) ** 2 / (N - 1));
    close(m.p, 2 * studentTCdf(-Math.abs(t), df), 'welch p');
    const sp = Math.sqrt((variance(x) + variance(y)) / 2);
    // Hedges' exact correction J(ν) = Γ(ν/2) / (√(ν/2) · Γ((ν−1)/2)), ν = 2N − 2.
    const nu = 2 * N - 2;
    const J = Math.exp(lnGamma(nu / 2) - 0.5 * Math.log(nu / 2) - lnGamma((nu - 1) / 2));
    close(m.effect.hedgesG, ((mean(y) - mean(x)) / sp) * J, 'hedges g');
    close(m.effect.relativeChange, (mean(y) - mean(x)) / mean(x), 'change of the mean');
    expect(m.effect.relativeChange!).toBeGreaterThan(0);
    expect(m.verdict).toBe('better');
  });

  it('categorical tone: counts per label, chi-square of homogeneity, Cramér V, changed', () => {
    const m = metric('score:tone');
    expect(m).toMatchObject({
      kind: 'categorical',
      headline: 'distribution',
      better: 'none',
      test: 'chi-square',
    });
    expect(m.baseline.categories).toEqual(PLAN[1].tone);
    expect(m.candidate.categories).toEqual(PLAN[2].tone);
    let chi2 = 0;
    for (const label of ['helpful', 'neutral', 'rude'] as const) {
      const col = PLAN[1].tone[label] + PLAN[2].tone[label];
      for (const v of [1, 2] as const) {
        const expected = (col * N) / (2 * N);
        chi2 += (PLAN[v].tone[label] - expected) ** 2 / expected;
      }
    }
    close(m.p, Math.exp(-chi2 / 2), 'p (chi-square, 2 df)');
    close(m.effect.cramersV, Math.sqrt(chi2 / (2 * N)), 'Cramér V');
    expect(m.verdict).toBe('changed');
  });

  it('declared boolean sent as labels only: a rate (TRUE counts as true)', () => {
    const m = metric('score:judged');
    expect(m).toMatchObject({ kind: 'boolean', headline: 'rate' });
    expect(m.baseline).toMatchObject({ n: N, events: PLAN[1].judged });
    expect(m.candidate).toMatchObject({ n: N, events: PLAN[2].judged });
    expect(m.verdict).toBe('no significant difference');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareVersions,
  detectRegressions,
  insertLogs,
  insertTraces,
  migrate,
  QueryOptionsError,
} from '../src/index.js';
import type { CompareVersionsQuery, MetricComparison, VersionComparison } from '../src/index.js';
import { tempEngine } from '../../../test/kit/engine.js';
import { buildScenario } from './versionScenario.js';

/**
 * compareVersions / detectRegressions on the real embedded engine: spans and scores go in through
 * insertTraces / insertLogs, the materialized views fill generations and scores, and the
 * comparisons read them back.
 */

const engine = tempEngine();
const { client } = engine;
const DB = 'cmp';
const PROJECT = 'proj-cmp';
const PROMPT = 'summarize';
const START = Date.UTC(2026, 10, 10, 0, 0, 0);
const PHASE = 6 * 3_600_000;
const PER_VERSION = 300;
const scenario = buildScenario({
  start: START,
  phaseMs: PHASE,
  perVersion: PER_VERSION,
  project: PROJECT,
  prompt: PROMPT,
  environment: 'prod',
  seed: 7,
  idBase: 5000,
});
const FROM = new Date(START);
const TO = new Date(START + 3 * PHASE);

beforeAll(async () => {
  await migrate(client, { database: DB });
  await insertLogs(client, scenario.earlyScores, { database: DB, dedupToken: 'early' });
  for (let i = 0; i < scenario.spans.length; i += 300) {
    await insertTraces(client, scenario.spans.slice(i, i + 300), { database: DB, dedupToken: `t-${i}` });
  }
  await insertLogs(client, scenario.lateScores, { database: DB, dedupToken: 'late' });
}, 120_000);
afterAll(() => engine.close());

const byMetric = (r: { metrics: MetricComparison[] }, name: string): MetricComparison => {
  const m = r.metrics.find((x) => x.metric === name);
  if (m === undefined) throw new Error(`no metric ${name} in ${r.metrics.map((x) => x.metric).join(', ')}`);
  return m;
};

const gensOf = (v: number): typeof scenario.gens => scenario.gens.filter((g) => g.version === v);

describe('compareVersions on the embedded engine', () => {
  let worse: VersionComparison;

  it('finds version 3 slower and worse-scored than version 2', async () => {
    worse = await compareVersions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      baseline: 2,
      candidate: 3,
      from: FROM,
      to: TO,
    });
    expect(worse.baselineGenerations).toBe(PER_VERSION);
    expect(worse.candidateGenerations).toBe(PER_VERSION);
    expect(worse.metrics.map((m) => m.metric)).toEqual([
      'latency_ms',
      'ttft_ms',
      'total_tokens',
      'cost_usd',
      'error_rate',
      'score:quality',
    ]);
    const latency = byMetric(worse, 'latency_ms');
    expect(latency.verdict).toBe('worse');
    expect(latency.test).toBe('mann-whitney-normal');
    expect(latency.baseline.n).toBe(PER_VERSION);
    expect(latency.effect.cliffsDelta!).toBeGreaterThan(0.3);
    expect(latency.pAdjusted!).toBeLessThan(1e-6);
    // Summary means are exact over the (uncapped) sample.
    const mean2 = gensOf(2).reduce((a, g) => a + g.latencyMs, 0) / PER_VERSION;
    expect(latency.baseline.mean!).toBeCloseTo(mean2, 6);

    const ttft = byMetric(worse, 'ttft_ms');
    expect(ttft.verdict).toBe('worse');
    expect(ttft.baseline.n).toBe(gensOf(2).filter((g) => g.ttftMs !== null).length);

    // Median headline with its interval; the Hodges–Lehmann shift (v3 is 1.5× slower) as the difference.
    expect(latency.headline).toBe('median');
    expect(latency.baseline.ci!.lower).toBeLessThanOrEqual(latency.baseline.median!);
    expect(latency.baseline.ci!.upper).toBeGreaterThanOrEqual(latency.baseline.median!);
    expect(latency.effect.differenceCi!.lower).toBeGreaterThan(0);

    const quality = byMetric(worse, 'score:quality');
    expect(quality.verdict).toBe('worse');
    expect(quality.better).toBe('higher');
    // A numeric score (values 0…1, not only 0/1): judged by its mean with Welch's t.
    expect(quality).toMatchObject({ kind: 'numeric', headline: 'mean', test: 'welch-t' });
    const q2 = gensOf(2).flatMap((g) => (g.quality === null ? [] : [g.quality]));
    expect(quality.baseline.headline!).toBeCloseTo(q2.reduce((a, v) => a + v, 0) / q2.length, 9);
    expect(quality.effect.relativeChange!).toBeLessThan(0);
    expect(quality.distributionTest!.p).toBeLessThan(0.05);
    // Early scores (resolved at read time) and late ones (resolved at insert) both count.
    expect(quality.baseline.n).toBe(gensOf(2).filter((g) => g.quality !== null).length);
    expect(quality.candidate.n).toBe(gensOf(3).filter((g) => g.quality !== null).length);

    const errors = byMetric(worse, 'error_rate');
    expect(errors.baseline.events).toBe(gensOf(2).filter((g) => g.error).length);
    expect(errors.verdict).toBe('no significant difference');
    // 8 errors in 300 per version: the smallest expected cell is 8 (≥ 5), so the z-test.
    expect(errors.baseline.events).toBe(8);
    expect(errors.test).toBe('two-proportion-z');

    const tokens = byMetric(worse, 'total_tokens');
    expect(tokens.test).toBe('welch-t');
    const ok2 = gensOf(2).filter((g) => !g.error);
    expect(tokens.baseline.n).toBe(ok2.length);
    expect(tokens.baseline.mean!).toBeCloseTo(ok2.reduce((a, g) => a + g.tokens, 0) / ok2.length, 9);
    expect(tokens.verdict).toBe('no significant difference');

    // Holm: adjusted p ≥ raw p, and the smallest raw p is multiplied by the number of tests.
    const tested = worse.metrics.filter((m) => m.p !== null);
    for (const m of tested) expect(m.pAdjusted!).toBeGreaterThanOrEqual(m.p!);
    const smallest = tested.reduce((a, m) => (m.p! < a.p! ? m : a));
    expect(smallest.pAdjusted!).toBeCloseTo(Math.min(1, smallest.p! * tested.length), 12);
  });

  it('finds no significant difference between versions 3 and 4 (same distributions)', async () => {
    const same = await compareVersions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      baseline: 3,
      candidate: 4,
      from: FROM,
      to: TO,
    });
    for (const m of same.metrics) expect(m.verdict, m.metric).toBe('no significant difference');
    expect(byMetric(same, 'latency_ms').candidate.n).toBe(PER_VERSION);
  });

  it('is deterministic, and the sample cap bounds what is read', async () => {
    const again = await compareVersions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      baseline: 2,
      candidate: 3,
      from: FROM,
      to: TO,
    });
    expect(again).toEqual(worse);
    const capped = await compareVersions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      baseline: 2,
      candidate: 3,
      from: FROM,
      to: TO,
      sampleLimit: 40,
    });
    const latency = byMetric(capped, 'latency_ms');
    expect(latency.baseline.n).toBe(40);
    expect(latency.baseline.total).toBe(PER_VERSION);
    expect(latency.test).toBe('mann-whitney-exact');
    expect(byMetric(capped, 'score:quality').candidate.n).toBe(40);
    const cappedAgain = await compareVersions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      baseline: 2,
      candidate: 3,
      from: FROM,
      to: TO,
      sampleLimit: 40,
    });
    expect(cappedAgain).toEqual(capped);
  });

  it('says insufficient data below minSamples and for unknown versions', async () => {
    const none = await compareVersions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      baseline: 2,
      candidate: 9,
      from: FROM,
      to: TO,
    });
    expect(none.candidateGenerations).toBe(0);
    for (const m of none.metrics) {
      expect(m.verdict).toBe('insufficient data');
      expect(m.p).toBeNull();
    }
  });

  it('rejects bad options with a QueryOptionsError naming them', async () => {
    const bad = async (q: Partial<CompareVersionsQuery>, message: RegExp): Promise<void> => {
      const q2 = { promptName: PROMPT, baseline: 2, candidate: 3, from: FROM, to: TO, ...q };
      const err = await compareVersions(client, q2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryOptionsError);
      expect((err as Error).message).toMatch(message);
    };
    await bad({ baseline: 0 }, /baseline must be a positive whole number or a version name/);
    await bad({ candidate: '0' }, /candidate "0" is not a version: version 0 is not a version/);
    await bad({ candidate: '  ' }, /candidate is required/);
    await bad({ candidate: `x${'y'.repeat(128)}` }, /longer than 128 characters/);
    await bad({ from: TO, to: FROM }, /from < to/);
    await bad({ alpha: 2 }, /alpha/);
    await bad({ promptName: '' }, /compare: promptName is required/);
    await bad({ database: 'x; DROP TABLE t' }, /database "x; DROP TABLE t" must match/);
    const regression = await detectRegressions(client, {
      promptName: PROMPT,
      label: 'production',
      from: FROM,
      to: TO,
      maxWindowMs: 10,
    }).catch((e: unknown) => e);
    expect(regression).toBeInstanceOf(QueryOptionsError);
    expect((regression as Error).message).toBe('regressions: maxWindowMs must be from 60000 to 2592000000');
  });
});

describe('detectRegressions on the embedded engine', () => {
  it('finds both moves of production and flags only the 2 → 3 move', async () => {
    const report = await detectRegressions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      label: 'production',
      from: FROM,
      to: TO,
    });
    expect(report.movesFound).toBe(2);
    expect(report.moves.map((m) => [m.fromVersion, m.toVersion])).toEqual([
      [2, 3],
      [3, 4],
    ]);
    const [first, second] = report.moves;
    const firstV3 = Math.min(...gensOf(3).map((g) => g.ms));
    expect(first!.at).toBe(new Date(firstV3).toISOString());
    expect(first!.environment).toBe('prod');
    // Equal windows: bounded by the previous run's start and the next move (6 h phases, 24 h cap;
    // moves are found at the second of each phase's first call, up to 72 s into the phase).
    const before = Date.parse(first!.before.to) - Date.parse(first!.before.from);
    const after = Date.parse(first!.after.to) - Date.parse(first!.after.from);
    expect(before).toBe(after);
    expect(before).toBeGreaterThan(PHASE - 3 * 60_000);
    expect(before).toBeLessThanOrEqual(PHASE + 72_000);
    expect(first!.source).toBe('spans');
    expect(report.moveSource).toBe('spans');
    const inWindow = (v: number, from: string, to: string): number =>
      gensOf(v).filter((g) => g.ms >= Date.parse(from) && g.ms < Date.parse(to)).length;
    expect(first!.before.generations).toBe(inWindow(2, first!.before.from, first!.before.to));
    expect(first!.after.generations).toBe(inWindow(3, first!.after.from, first!.after.to));
    expect(first!.regressions).toEqual(expect.arrayContaining(['latency_ms', 'ttft_ms', 'score:quality']));
    expect(first!.regressions).not.toContain('error_rate');
    expect(second!.regressions).toEqual([]);
  });

  it('finds nothing for a label that never moved, and honours a window without moves', async () => {
    const other = await detectRegressions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      label: 'staging',
      from: FROM,
      to: TO,
    });
    expect(other.movesFound).toBe(0);
    const early = await detectRegressions(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      label: 'production',
      from: FROM,
      to: new Date(START + PHASE - 60_000),
    });
    expect(early.moves).toEqual([]);
  });
});

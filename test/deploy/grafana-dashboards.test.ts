/**
 * Every dashboard panel query, template-variable query and annotation query of
 * deploy/grafana/dashboards, rendered the way Grafana and the ClickHouse plugin render them
 * (macros and variables expanded) and run on the real engine (chdb) after Promptline's
 * migrations, on history written as raw OpenTelemetry rows so the materialized views produced
 * the aggregates. Each query must return the expected columns and numbers equal to what this
 * test computes from the seed rows itself: counts and sums exact, quantiles within the sketch's
 * accuracy. A panel without an expectation here fails the test, so new panels get one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate, openClickHouse } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPanels, loadDashboards, variableSql } from './support/dashboards.js';
import type { Dashboard, Panel } from './support/dashboards.js';
import { renderDashboardSql } from './support/grafanaSql.js';
import type { VariableState } from './support/grafanaSql.js';
import { buildSeed, END, LABEL_MOVE_AT, PROJECT, SCORE_NAME, T0, writeSeed } from './support/seed.js';
import type { SeedGeneration, SeedScore } from './support/seed.js';
import {
  dayOf,
  expectClose,
  expectQuantile,
  groupBy,
  hourOf,
  num,
  quantileRange,
  runSql,
  stats,
  timeMs,
} from './support/truth.js';
import type { QueryResult } from './support/truth.js';

const seed = buildSeed();
const range = { from: new Date(T0), to: new Date(END), intervalSeconds: 3600 };
const dashboards = loadDashboards();
const byUid = (uid: string): Dashboard => {
  const d = dashboards.find((x) => x.uid === uid);
  if (d === undefined) throw new Error(`dashboard ${uid} missing`);
  return d;
};

let dir = '';
let client: ClickHouseClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promptline-grafana-'));
  client = openClickHouse({ path: dir });
  await migrate(client);
  await writeSeed(client, seed);
});

afterAll(async () => {
  await client?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

type Selection = Record<string, string[]>;

/** Resolves the variables in dashboard order, each query seeing the ones before it, like Grafana. */
async function resolveVariables(
  d: Dashboard,
  selection: Selection,
): Promise<{ state: Record<string, VariableState>; options: Record<string, string[]> }> {
  const state: Record<string, VariableState> = {};
  const options: Record<string, string[]> = {};
  for (const v of d.templating.list) {
    const res = await runSql(client, renderDashboardSql(variableSql(v), { ...range, variables: state }));
    expect(res.columns, `${d.uid} variable ${v.name}`).toHaveLength(1);
    const opts = res.rows.map((r) => String(r[res.columns[0]!]));
    options[v.name] = opts;
    const chosen = selection[v.name];
    const current = chosen ?? (v.includeAll === true ? '$__all' : opts.slice(0, 1));
    state[v.name] = { options: opts, current, multi: v.multi === true };
  }
  return { state, options };
}

async function runPanel(p: Panel, variables: Record<string, VariableState>): Promise<QueryResult> {
  const t = p.targets?.[0];
  if (t === undefined) throw new Error(`panel ${p.title} has no query`);
  return runSql(client, renderDashboardSql(t.rawSql, { ...range, variables }));
}

const scoresOf = (gens: SeedGeneration[]): SeedScore[] => {
  const set = new Set(gens);
  return seed.scores.filter((s) => set.has(s.generation));
};

type Check = (res: QueryResult, gens: SeedGeneration[]) => void;
interface Expectation {
  columns: string[];
  check: Check;
}

/** Time series in long form: one row per (time, series); compares every point with the seed. */
function series(
  valueCol: string,
  timeKey: (g: SeedGeneration) => number,
  seriesKey: ((g: SeedGeneration) => string) | null,
  value: (gens: SeedGeneration[], scores: SeedScore[], actual: unknown, what: string) => void,
  opts: { scoresOnly?: boolean } = {},
): Check {
  return (res, gens) => {
    const groups = groupBy(gens, (g) => `${timeKey(g)}|${seriesKey === null ? '' : seriesKey(g)}`);
    const expected = [...groups.entries()].filter(([, gs]) => !opts.scoresOnly || scoresOf(gs).length > 0);
    expect(res.rows.length, `${valueCol}: one point per time and series`).toBe(expected.length);
    for (const row of res.rows) {
      const key = `${timeMs(row.time)}|${seriesKey === null ? '' : String(row.series)}`;
      const gs = groups.get(key);
      expect(gs, `unexpected point ${key}`).toBeDefined();
      value(gs!, scoresOf(gs!), row[valueCol], `${valueCol} @ ${key}`);
    }
  };
}

const versionSeries = (g: SeedGeneration): string => `${g.prompt} v${g.version}`;
const shortVersion = (g: SeedGeneration): string => `v${g.version}`;
const hour = (g: SeedGeneration): number => hourOf(g.time);
const single = (res: QueryResult): Record<string, unknown> => {
  expect(res.rows).toHaveLength(1);
  return res.rows[0]!;
};

// ---------------------------------------------------------------------------------------------
// prompt overview

const overviewExpectations: Record<string, Expectation> = {
  Generations: {
    columns: ['generations'],
    check: (r, g) => expect(num(single(r).generations)).toBe(g.length),
  },
  Cost: {
    columns: ['cost_usd'],
    check: (r, g) => expectClose(single(r).cost_usd, stats(g, []).cost, 'cost'),
  },
  'Error rate': {
    columns: ['error_rate'],
    check: (r, g) => expectClose(single(r).error_rate, stats(g, []).errorRate, 'error rate'),
  },
  'p95 latency': {
    columns: ['p95_latency_ms'],
    check: (r, g) => expectQuantile(single(r).p95_latency_ms, stats(g, []).latencies, 0.95, 'p95'),
  },
  'Mean score': {
    columns: ['mean_score'],
    check: (r, g) => expectClose(single(r).mean_score, stats(g, scoresOf(g)).meanScore, 'mean score'),
  },
  'Prompt versions': {
    columns: [
      'prompt',
      'version',
      'labels',
      'generations',
      'error_rate',
      'p50_latency_ms',
      'p95_latency_ms',
      'p99_latency_ms',
      'mean_ttft_ms',
      'cost_usd',
      'cost_per_generation_usd',
      'mean_score',
      'first_seen',
      'last_seen',
    ],
    check: (r, g) => {
      const groups = groupBy(g, (x) => `${x.prompt}@${x.version}`);
      expect(r.rows.map((x) => `${String(x.prompt)}@${num(x.version)}`)).toEqual([...groups.keys()].sort());
      for (const row of r.rows) {
        const gs = groups.get(`${String(row.prompt)}@${num(row.version)}`)!;
        const s = stats(gs, scoresOf(gs));
        const what = `${String(row.prompt)} v${num(row.version)}`;
        expect(row.labels, what).toBe([...new Set(gs.map((x) => x.label))].sort().join(', '));
        expect(num(row.generations), what).toBe(s.count);
        expectClose(row.error_rate, s.errorRate, `${what} error rate`);
        expectQuantile(row.p50_latency_ms, s.latencies, 0.5, `${what} p50`);
        expectQuantile(row.p95_latency_ms, s.latencies, 0.95, `${what} p95`);
        expectQuantile(row.p99_latency_ms, s.latencies, 0.99, `${what} p99`);
        expectClose(row.mean_ttft_ms, s.meanTtft, `${what} ttft`, 1e-6);
        expectClose(row.cost_usd, s.cost, `${what} cost`);
        expectClose(row.cost_per_generation_usd, s.costPerGeneration, `${what} cost/gen`);
        expectClose(row.mean_score, s.meanScore, `${what} score`);
        expect(timeMs(row.first_seen), what).toBe(s.firstSeen);
        expect(timeMs(row.last_seen), what).toBe(s.lastSeen);
      }
    },
  },
  'Generations by version': {
    columns: ['time', 'series', 'generations'],
    check: series('generations', hour, versionSeries, (gs, _s, a, w) => expect(num(a), w).toBe(gs.length)),
  },
  'Cost per day by prompt': {
    columns: ['time', 'series', 'cost_usd'],
    check: series(
      'cost_usd',
      (g) => dayOf(g.time),
      (g) => g.prompt,
      (gs, _s, a, w) => expectClose(a, stats(gs, []).cost, w),
    ),
  },
  'p95 latency by version': {
    columns: ['time', 'series', 'p95_latency_ms'],
    check: series('p95_latency_ms', hour, versionSeries, (gs, _s, a, w) =>
      expectQuantile(a, stats(gs, []).latencies, 0.95, w),
    ),
  },
  'Error rate by version': {
    columns: ['time', 'series', 'error_rate'],
    check: series('error_rate', hour, versionSeries, (gs, _s, a, w) =>
      expectClose(a, stats(gs, []).errorRate, w),
    ),
  },
  'Mean score by version': {
    columns: ['time', 'series', 'mean_score'],
    check: series(
      'mean_score',
      hour,
      versionSeries,
      (gs, ss, a, w) => expectClose(a, stats(gs, ss).meanScore, w),
      { scoresOnly: true },
    ),
  },
};

// ---------------------------------------------------------------------------------------------
// version comparison (summarize, A = 2, B = 3)

const isCompared = (g: SeedGeneration): boolean =>
  g.prompt === 'summarize' && (g.version === 2 || g.version === 3);
const ofVersion = (gens: SeedGeneration[], v: number): SeedGeneration[] =>
  gens.filter((g) => g.version === v);

const compareExpectations: Record<string, Expectation> = {
  'Side by side': {
    columns: [
      'side',
      'version',
      'generations',
      'error_rate',
      'p50_latency_ms',
      'p95_latency_ms',
      'p99_latency_ms',
      'p50_ttft_ms',
      'p95_ttft_ms',
      'p50_tokens',
      'cost_per_generation_usd',
      'validation_pass_rate',
      'mean_score',
    ],
    check: (r, g) => {
      expect(r.rows.map((x) => [x.side, num(x.version)])).toEqual([
        ['A', 2],
        ['B', 3],
      ]);
      for (const row of r.rows) {
        const gs = ofVersion(g, num(row.version));
        const s = stats(gs, scoresOf(gs));
        const w = `side ${String(row.side)}`;
        expect(num(row.generations), w).toBe(s.count);
        expectClose(row.error_rate, s.errorRate, `${w} error rate`);
        expectQuantile(row.p50_latency_ms, s.latencies, 0.5, `${w} p50`);
        expectQuantile(row.p95_latency_ms, s.latencies, 0.95, `${w} p95`);
        expectQuantile(row.p99_latency_ms, s.latencies, 0.99, `${w} p99`);
        expectQuantile(row.p50_ttft_ms, s.ttfts, 0.5, `${w} ttft p50`);
        expectQuantile(row.p95_ttft_ms, s.ttfts, 0.95, `${w} ttft p95`);
        expectQuantile(row.p50_tokens, s.tokens, 0.5, `${w} tokens p50`);
        expectClose(row.cost_per_generation_usd, s.costPerGeneration, `${w} cost/gen`);
        expect(row.validation_pass_rate, `${w}: nothing was validated`).toBeNull();
        expectClose(row.mean_score, s.meanScore, `${w} score`);
      }
    },
  },
  'B against A': {
    columns: ['p95_latency_change', 'p95_ttft_change', 'cost_per_generation_change', 'error_rate_difference'],
    check: (r, g) => {
      const row = single(r);
      const a = stats(ofVersion(g, 2), []);
      const b = stats(ofVersion(g, 3), []);
      const ratioRange = (bv: number[], av: number[]): [number, number] => {
        const [bl, bh] = quantileRange(bv, 0.95);
        const [al, ah] = quantileRange(av, 0.95);
        return [bl / ah - 1, bh / al - 1];
      };
      const [ll, lh] = ratioRange(b.latencies, a.latencies);
      expect(num(row.p95_latency_change)).toBeGreaterThanOrEqual(ll);
      expect(num(row.p95_latency_change)).toBeLessThanOrEqual(lh);
      const [tl, th] = ratioRange(b.ttfts, a.ttfts);
      expect(num(row.p95_ttft_change)).toBeGreaterThanOrEqual(tl);
      expect(num(row.p95_ttft_change)).toBeLessThanOrEqual(th);
      expectClose(
        row.cost_per_generation_change,
        b.costPerGeneration / a.costPerGeneration - 1,
        'cost change',
        1e-6,
      );
      expectClose(row.error_rate_difference, b.errorRate - a.errorRate, 'error rate difference', 1e-6);
      // the regression is visible: version 3 is more than twice as slow at p95
      expect(num(row.p95_latency_change)).toBeGreaterThan(1);
    },
  },
  'Mean score B − A': {
    columns: ['mean_score_difference'],
    check: (r, g) => {
      const a = ofVersion(g, 2);
      const b = ofVersion(g, 3);
      const diff = stats(b, scoresOf(b)).meanScore - stats(a, scoresOf(a)).meanScore;
      expectClose(single(r).mean_score_difference, diff, 'score difference', 1e-6);
      expect(diff).toBeLessThan(-0.2);
    },
  },
  'p95 latency': {
    columns: ['time', 'series', 'p95_latency_ms'],
    check: series('p95_latency_ms', hour, shortVersion, (gs, _s, a, w) =>
      expectQuantile(a, stats(gs, []).latencies, 0.95, w),
    ),
  },
  'p95 time to first token': {
    columns: ['time', 'series', 'p95_ttft_ms'],
    check: series('p95_ttft_ms', hour, shortVersion, (gs, _s, a, w) =>
      expectQuantile(a, stats(gs, []).ttfts, 0.95, w),
    ),
  },
  'Cost per generation': {
    columns: ['time', 'series', 'cost_per_generation_usd'],
    check: series('cost_per_generation_usd', hour, shortVersion, (gs, _s, a, w) =>
      expectClose(a, stats(gs, []).costPerGeneration, w),
    ),
  },
  'Mean score': {
    columns: ['time', 'series', 'mean_score'],
    check: series(
      'mean_score',
      hour,
      shortVersion,
      (gs, ss, a, w) => expectClose(a, stats(gs, ss).meanScore, w),
      { scoresOnly: true },
    ),
  },
  'Score distribution': {
    columns: [
      'side',
      'version',
      'n',
      'is_boolean',
      'mean_score',
      'mean_ci_lower',
      'mean_ci_upper',
      'min_score',
      'p10',
      'p25',
      'median',
      'p75',
      'p90',
      'max_score',
    ],
    check: (r, g) => {
      expect(r.rows.map((x) => [x.side, num(x.version)])).toEqual([
        ['A', 2],
        ['B', 3],
      ]);
      // Type-7 quantiles (interpolated order statistics), written out here.
      const type7 = (sorted: number[], q: number): number => {
        const h = (sorted.length - 1) * q;
        const lo = Math.floor(h);
        return lo + 1 >= sorted.length
          ? sorted[lo]!
          : sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!);
      };
      for (const row of r.rows) {
        const values = scoresOf(ofVersion(g, num(row.version)))
          .map((s) => s.value)
          .sort((a, b) => a - b);
        const n = values.length;
        const mean = values.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
        const w = `side ${String(row.side)}`;
        expect(num(row.n), w).toBe(n);
        expect(num(row.is_boolean), `${w}: a 0..1 score with other values is not boolean`).toBe(0);
        expectClose(row.mean_score, mean, `${w} mean`);
        expectClose(row.mean_ci_lower, mean - (1.959964 * sd) / Math.sqrt(n), `${w} ci lower`);
        expectClose(row.mean_ci_upper, mean + (1.959964 * sd) / Math.sqrt(n), `${w} ci upper`);
        expectClose(row.min_score, values[0]!, `${w} min`);
        expectClose(row.max_score, values[n - 1]!, `${w} max`);
        for (const [col, q] of [
          ['p10', 0.1],
          ['p25', 0.25],
          ['median', 0.5],
          ['p75', 0.75],
          ['p90', 0.9],
        ] as const) {
          expectClose(row[col], type7(values, q), `${w} ${col}`);
        }
      }
    },
  },
  'Traffic share by version': {
    columns: ['time', 'series', 'share'],
    check: (r, g) => {
      const perHour = groupBy(g, (x) => String(hour(x)));
      series('share', hour, shortVersion, (gs, _s, a, w) =>
        expectClose(a, gs.length / perHour.get(String(hour(gs[0]!)))!.length, w),
      )(r, g);
    },
  },
};

// ---------------------------------------------------------------------------------------------
// cost

const costExpectations: Record<string, Expectation> = {
  'Total cost': {
    columns: ['cost_usd'],
    check: (r, g) => expectClose(single(r).cost_usd, stats(g, []).cost, 'total'),
  },
  'Input cost': {
    columns: ['input_cost_usd'],
    check: (r, g) => expectClose(single(r).input_cost_usd, stats(g, []).inputCost, 'input'),
  },
  'Output cost': {
    columns: ['output_cost_usd'],
    check: (r, g) => expectClose(single(r).output_cost_usd, stats(g, []).outputCost, 'output'),
  },
  'Cost per generation': {
    columns: ['cost_per_generation_usd'],
    check: (r, g) =>
      expectClose(single(r).cost_per_generation_usd, stats(g, []).costPerGeneration, 'per gen'),
  },
  'Cost by model': {
    columns: ['time', 'series', 'cost_usd'],
    check: series(
      'cost_usd',
      hour,
      (g) => g.model,
      (gs, _s, a, w) => expectClose(a, stats(gs, []).cost, w),
    ),
  },
  'Input vs output cost': {
    columns: ['time', 'input_cost_usd', 'output_cost_usd'],
    check: (r, g) => {
      series('input_cost_usd', hour, null, (gs, _s, a, w) => expectClose(a, stats(gs, []).inputCost, w))(
        r,
        g,
      );
      series('output_cost_usd', hour, null, (gs, _s, a, w) => expectClose(a, stats(gs, []).outputCost, w))(
        r,
        g,
      );
    },
  },
  'Cost by prompt version': {
    columns: ['time', 'series', 'cost_usd'],
    check: series('cost_usd', hour, versionSeries, (gs, _s, a, w) => expectClose(a, stats(gs, []).cost, w)),
  },
  'Cost share by model': {
    columns: ['model', 'cost_usd'],
    check: (r, g) => {
      const groups = groupBy(g, (x) => x.model);
      expect(r.rows).toHaveLength(groups.size);
      for (const row of r.rows)
        expectClose(row.cost_usd, stats(groups.get(String(row.model))!, []).cost, String(row.model));
      const costs = r.rows.map((x) => num(x.cost_usd));
      expect(costs).toEqual([...costs].sort((a, b) => b - a));
    },
  },
  'Cost by model, prompt and version': {
    columns: [
      'model',
      'prompt',
      'version',
      'generations',
      'input_tokens',
      'output_tokens',
      'input_cost_usd',
      'output_cost_usd',
      'cost_usd',
      'cost_per_generation_usd',
      'cost_share',
    ],
    check: (r, g) => {
      const groups = groupBy(g, (x) => `${x.model}|${x.prompt}|${x.version}`);
      const total = stats(g, []).cost;
      expect(r.rows).toHaveLength(groups.size);
      for (const row of r.rows) {
        const key = `${String(row.model)}|${String(row.prompt)}|${num(row.version)}`;
        const s = stats(groups.get(key)!, []);
        expect(num(row.generations), key).toBe(s.count);
        expect(num(row.input_tokens), key).toBe(s.inputTokens);
        expect(num(row.output_tokens), key).toBe(s.outputTokens);
        expectClose(row.input_cost_usd, s.inputCost, `${key} input`);
        expectClose(row.output_cost_usd, s.outputCost, `${key} output`);
        expectClose(row.cost_usd, s.cost, `${key} total`);
        expectClose(row.cost_per_generation_usd, s.costPerGeneration, `${key} per gen`);
        expectClose(row.cost_share, s.cost / total, `${key} share`);
      }
    },
  },
};

// ---------------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  selection: Selection;
  filter: (g: SeedGeneration) => boolean;
}

const suites: Array<{ uid: string; expectations: Record<string, Expectation>; scenarios: Scenario[] }> = [
  {
    uid: 'promptline-overview',
    expectations: overviewExpectations,
    scenarios: [
      {
        name: 'everything (All)',
        selection: { project: [PROJECT], score: [SCORE_NAME] },
        filter: () => true,
      },
      {
        name: 'summarize v3 in production',
        selection: {
          project: [PROJECT],
          environment: ['production'],
          prompt: ['summarize'],
          version: ['3'],
          score: [SCORE_NAME],
        },
        filter: (g) => g.prompt === 'summarize' && g.version === 3 && g.environment === 'production',
      },
      {
        name: 'two prompts, label staging',
        selection: {
          project: [PROJECT],
          prompt: ['summarize', 'classify'],
          label: ['staging'],
          score: [SCORE_NAME],
        },
        filter: (g) => g.label === 'staging' && (g.prompt === 'summarize' || g.prompt === 'classify'),
      },
    ],
  },
  {
    uid: 'promptline-version-compare',
    expectations: compareExpectations,
    scenarios: [
      {
        name: 'summarize 2 vs 3',
        selection: {
          project: [PROJECT],
          prompt: ['summarize'],
          version_a: ['2'],
          version_b: ['3'],
          score: [SCORE_NAME],
        },
        filter: isCompared,
      },
    ],
  },
  {
    uid: 'promptline-cost',
    expectations: costExpectations,
    scenarios: [
      { name: 'everything (All)', selection: { project: [PROJECT] }, filter: () => true },
      {
        name: 'model gpt-4o-mini, production',
        selection: { project: [PROJECT], model: ['gpt-4o-mini'], environment: ['production'] },
        filter: (g) => g.model === 'gpt-4o-mini' && g.environment === 'production',
      },
    ],
  },
];

describe('dashboards on the real engine', () => {
  it('covers every dashboard file', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(suites.map((s) => s.uid).sort());
  });

  it('template-variable queries return the seeded values, each narrowing by the ones before', async () => {
    const overview = await resolveVariables(byUid('promptline-overview'), { project: [PROJECT] });
    expect(overview.options).toEqual({
      project: [PROJECT],
      environment: ['production', 'staging'],
      prompt: ['classify', 'extract', 'summarize'],
      version: ['1', '2', '3'],
      label: ['production', 'staging'],
      score: [SCORE_NAME],
    });
    const narrowed = await resolveVariables(byUid('promptline-overview'), {
      project: [PROJECT],
      environment: ['staging'],
    });
    expect(narrowed.options.prompt).toEqual(['summarize']);
    expect(narrowed.options.version).toEqual(['3']);

    const compare = await resolveVariables(byUid('promptline-version-compare'), {
      project: [PROJECT],
      prompt: ['summarize'],
    });
    expect(compare.options.version_a).toEqual(['2', '3']);
    expect(compare.options.version_b).toEqual(['2', '3']);
    expect(compare.options.label).toEqual(['production', 'staging']);

    const cost = await resolveVariables(byUid('promptline-cost'), { project: [PROJECT] });
    expect(cost.options.model).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  for (const suite of suites) {
    for (const scenario of suite.scenarios) {
      it(`${suite.uid}: every panel, ${scenario.name}`, async () => {
        const d = byUid(suite.uid);
        const { state } = await resolveVariables(d, scenario.selection);
        const gens = seed.generations.filter(scenario.filter);
        expect(gens.length).toBeGreaterThan(0);
        const panels = allPanels(d).filter((p) => p.type !== 'row');
        for (const p of panels) {
          const e = suite.expectations[p.title];
          expect(e, `no expectation for panel "${p.title}" of ${suite.uid}`).toBeDefined();
          const res = await runPanel(p, state);
          expect(res.columns, p.title).toEqual(e!.columns);
          expect(res.rows.length, `${p.title} returned no rows`).toBeGreaterThan(0);
          e!.check(res, gens);
        }
        expect(Object.keys(suite.expectations).sort()).toEqual(panels.map((p) => p.title).sort());
      });
    }
  }

  it('version comparison annotations mark the label moves (registry log and spans)', async () => {
    const d = byUid('promptline-version-compare');
    const { state } = await resolveVariables(d, { project: [PROJECT], prompt: ['summarize'] });
    const queries = d.annotations.list.filter((a) => a.builtIn !== 1);
    expect(queries.map((a) => a.name)).toEqual([
      'Label moves (registry)',
      'Label first served a version (spans)',
    ]);

    const registry = await runSql(
      client,
      renderDashboardSql(queries[0]!.target!.rawSql, { ...range, variables: state }),
    );
    expect(registry.columns).toEqual(['time', 'text', 'tags']);
    const moves = seed.labelMoves.filter((m) => m.prompt === 'summarize' && m.at >= T0 && m.at <= END);
    expect(registry.rows.map((r) => [Math.floor(timeMs(r.time) / 1000), r.text, r.tags])).toEqual(
      moves.map((m) => [Math.floor(m.at / 1000), `${m.label} → v${m.version} by release-bot`, m.label]),
    );
    expect(registry.rows.some((r) => timeMs(r.time) === LABEL_MOVE_AT)).toBe(true);

    const spans = await runSql(
      client,
      renderDashboardSql(queries[1]!.target!.rawSql, { ...range, variables: state }),
    );
    expect(spans.columns).toEqual(['time', 'text', 'tags']);
    const firsts = groupBy(
      seed.generations.filter((g) => g.prompt === 'summarize'),
      (g) => `${g.label}|${g.version}`,
    );
    const expected = [...firsts.entries()]
      .map(([k, gs]) => {
        const [label, version] = k.split('|');
        return [
          Math.floor(Math.min(...gs.map((g) => g.time)) / 1000),
          `${label} first served v${version}`,
          label,
        ];
      })
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(spans.rows.map((r) => [Math.floor(timeMs(r.time) / 1000), r.text, r.tags])).toEqual(expected);
  });
});

/**
 * The provisioned alert rules, evaluated the way Grafana evaluates them: query A rendered with
 * the backend macros only (rules get no dashboard variables) over the rule's relative time range,
 * run on the real engine after migrations with a seeded regression, then threshold C from the
 * same YAML applied to every returned row (one alert instance per row).
 *
 * The seed: `summarize` moves its `production` label from version 2 to version 3 at
 * END − 45 min; version 3 is ~3× slower, scores worse and fails 1 in 12. `classify` stays
 * healthy; `extract` is over the cost budget all along and loses most of its traffic in the last
 * hour. The test computes every rule's expected firing set itself from the seed rows and also
 * pins the story: which instances cross their thresholds and which do not, before and after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate, openClickHouse } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAlerts } from './support/dashboards.js';
import type { AlertRule } from './support/dashboards.js';
import { renderAlertSql } from './support/grafanaSql.js';
import { buildSeed, END, LABEL_MOVE_AT, SCORE_NAME, writeSeed } from './support/seed.js';
import type { SeedGeneration } from './support/seed.js';
import { expectClose, expectQuantile, groupBy, hourOf, num, runSql, stats } from './support/truth.js';
import type { QueryResult } from './support/truth.js';

const seed = buildSeed();
// The per-version threshold rules (the baseline-relative group has its own test).
const rules = loadAlerts().groups.find((g) => g.name === 'promptline-prompt-versions')!.rules;
const rule = (uid: string): AlertRule => {
  const r = rules.find((x) => x.uid === uid);
  if (r === undefined) throw new Error(`alert rule ${uid} missing`);
  return r;
};

let dir = '';
let client: ClickHouseClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promptline-alerts-'));
  client = openClickHouse({ path: dir });
  await migrate(client);
  await writeSeed(client, seed);
});

afterAll(async () => {
  await client?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface Evaluation {
  result: QueryResult;
  /** Instance key (label values joined by `/`) → value and whether it crosses the threshold. */
  instances: Map<string, { value: number; firing: boolean }>;
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

function threshold(r: AlertRule): { type: string; params: number[] } {
  const c = r.data.find((d) => d.refId === r.condition);
  const evaluator = c?.model.conditions?.[0]?.evaluator;
  if (c?.model.type !== 'threshold' || evaluator === undefined) throw new Error(`${r.uid}: no threshold`);
  return evaluator;
}

function crosses(value: number, t: { type: string; params: number[] }): boolean {
  const [a = NaN, b = NaN] = t.params;
  switch (t.type) {
    case 'gt':
      return value > a;
    case 'lt':
      return value < a;
    case 'within_range':
      return value > a && value < b;
    case 'outside_range':
      return value < a || value > b;
    default:
      throw new Error(`unknown evaluator ${t.type}`);
  }
}

/** Evaluates a rule as Grafana would at time `now`. */
async function evaluate(r: AlertRule, now: number): Promise<Evaluation> {
  const a = r.data.find((d) => d.refId === 'A')!;
  const from = now - (a.relativeTimeRange?.from ?? 600) * 1000;
  const to = now - (a.relativeTimeRange?.to ?? 0) * 1000;
  const sql = renderAlertSql(a.model.rawSql!, {
    from: new Date(from),
    to: new Date(to),
    intervalSeconds: 60,
  });
  const result = await runSql(client, sql);
  const numeric = result.columns.filter((_, i) => NUMERIC.test(result.types[i]!));
  // Grafana turns a table into alert instances only with exactly one numeric column.
  expect(numeric, `${r.uid}: numeric columns`).toHaveLength(1);
  const valueCol = numeric[0]!;
  const labels = result.columns.filter((c) => c !== valueCol);
  const t = threshold(r);
  const instances = new Map<string, { value: number; firing: boolean }>();
  for (const row of result.rows) {
    const key = labels.map((l) => String(row[l])).join('/');
    const value = num(row[valueCol]);
    instances.set(key, { value, firing: crosses(value, t) });
  }
  return { result, instances };
}

const firing = (e: Evaluation): string[] =>
  [...e.instances.entries()]
    .filter(([, v]) => v.firing)
    .map(([k]) => k)
    .sort();
const quiet = (e: Evaluation): string[] =>
  [...e.instances.entries()]
    .filter(([, v]) => !v.firing)
    .map(([k]) => k)
    .sort();

/** Generations whose hourly bucket the rule's window covers (bucket ≥ hour(from), bucket ≤ to). */
function inWindow(r: AlertRule, now: number): SeedGeneration[] {
  const from = now - (r.data[0]!.relativeTimeRange?.from ?? 0) * 1000;
  return seed.generations.filter((g) => hourOf(g.time) >= hourOf(from) && hourOf(g.time) <= now);
}

const versionKey = (g: SeedGeneration): string => `acme/${g.prompt}/${g.version}/${g.environment}`;

/** The rule's expected instances computed from the seed rows, independent of the SQL. */
function expectedInstances(uid: string, now: number): Map<string, number> {
  const r = rule(uid);
  const out = new Map<string, number>();
  if (uid === 'promptline-volume-change') {
    const current = hourOf(now) - 3_600_000;
    const previous = current - 3_600_000;
    const groups = groupBy(
      seed.generations.filter((g) => hourOf(g.time) === current || hourOf(g.time) === previous),
      (g) => `acme/${g.prompt}/${g.environment}`,
    );
    for (const [k, gs] of groups) {
      const prev = gs.filter((g) => hourOf(g.time) === previous).length;
      if (prev >= 20) out.set(k, gs.filter((g) => hourOf(g.time) === current).length / prev);
    }
    return out;
  }
  const gens = inWindow(r, now);
  if (uid === 'promptline-score-below') {
    const set = new Set(gens);
    const scores = seed.scores.filter((s) => set.has(s.generation));
    for (const [k, ss] of groupBy(scores, (s) => `${versionKey(s.generation)}/${SCORE_NAME}`)) {
      if (ss.length >= 20) out.set(k, ss.reduce((a, s) => a + s.value, 0) / ss.length);
    }
    return out;
  }
  for (const [k, gs] of groupBy(gens, versionKey)) {
    if (gs.length < 20) continue;
    const s = stats(gs, []);
    if (uid === 'promptline-latency-p95-above') out.set(k, NaN); // checked as a quantile below
    if (uid === 'promptline-cost-per-generation-above') out.set(k, s.costPerGeneration);
    if (uid === 'promptline-error-rate-above') out.set(k, s.errorRate);
  }
  return out;
}

describe('alert rules on the seeded regression', () => {
  it('provisions the five documented rules', () => {
    expect(rules.map((r) => r.uid)).toEqual([
      'promptline-score-below',
      'promptline-latency-p95-above',
      'promptline-cost-per-generation-above',
      'promptline-error-rate-above',
      'promptline-volume-change',
    ]);
  });

  it.each(rules.map((r) => r.uid))(
    '%s returns exactly the instances and values the seed implies',
    async (uid) => {
      for (const now of [END, END - 2 * 3_600_000]) {
        const r = rule(uid);
        const e = await evaluate(r, now);
        const expected = expectedInstances(uid, now);
        expect([...e.instances.keys()].sort(), `${uid} instances at ${new Date(now).toISOString()}`).toEqual(
          [...expected.keys()].sort(),
        );
        expect(e.instances.size, `${uid} returned no rows`).toBeGreaterThan(0);
        for (const [k, v] of e.instances) {
          if (uid === 'promptline-latency-p95-above') {
            const gens = inWindow(r, now).filter((g) => versionKey(g) === k);
            expectQuantile(v.value, stats(gens, []).latencies, 0.95, k);
          } else {
            expectClose(v.value, expected.get(k)!, `${uid} ${k}`);
          }
          // the threshold decision agrees with the truth, not just with the SQL
          if (uid !== 'promptline-latency-p95-above') {
            expect(v.firing, `${uid} ${k}`).toBe(crosses(expected.get(k)!, threshold(r)));
          }
        }
      }
    },
  );

  it('after the label move: version 3 crosses score, latency and error rate; version 2 and classify do not', async () => {
    expect(LABEL_MOVE_AT).toBeLessThan(END);
    const score = await evaluate(rule('promptline-score-below'), END);
    expect(firing(score)).toEqual(['acme/summarize/3/production/quality']);
    expect(quiet(score)).toEqual([
      'acme/classify/1/production/quality',
      'acme/summarize/2/production/quality',
    ]);

    const latency = await evaluate(rule('promptline-latency-p95-above'), END);
    expect(firing(latency)).toEqual(['acme/summarize/3/production']);
    expect(quiet(latency)).toEqual(['acme/classify/1/production', 'acme/summarize/2/production']);

    const errors = await evaluate(rule('promptline-error-rate-above'), END);
    expect(firing(errors)).toEqual(['acme/summarize/3/production']);
    expect(quiet(errors)).toEqual(['acme/classify/1/production', 'acme/summarize/2/production']);
  });

  it('cost: only the expensive prompt is over budget; the regression does not cross it', async () => {
    const cost = await evaluate(rule('promptline-cost-per-generation-above'), END);
    expect(firing(cost)).toEqual(['acme/extract/1/production']);
    expect(quiet(cost)).toEqual([
      'acme/classify/1/production',
      'acme/summarize/2/production',
      'acme/summarize/3/production',
      'acme/summarize/3/staging',
    ]);
  });

  it('volume: the traffic drop of extract fires; the label move does not change the prompt volume', async () => {
    const volume = await evaluate(rule('promptline-volume-change'), END);
    expect(firing(volume)).toEqual(['acme/extract/production']);
    expect(volume.instances.get('acme/extract/production')!.value).toBeCloseTo(5 / 40, 9);
    expect(quiet(volume)).toEqual(['acme/classify/production', 'acme/summarize/production']);
    expect(volume.instances.get('acme/summarize/production')!.value).toBe(1);
  });

  it('two hours earlier, before the label move, nothing but the cost budget fires', async () => {
    const before = END - 2 * 3_600_000;
    for (const uid of [
      'promptline-score-below',
      'promptline-latency-p95-above',
      'promptline-error-rate-above',
      'promptline-volume-change',
    ]) {
      const e = await evaluate(rule(uid), before);
      expect(e.instances.size, uid).toBeGreaterThan(0);
      expect(firing(e), uid).toEqual([]);
    }
    expect(firing(await evaluate(rule('promptline-cost-per-generation-above'), before))).toEqual([
      'acme/extract/1/production',
    ]);
  });
});

/**
 * The baseline-relative alert rules (group `promptline-label-moves`): the provisioned YAML holds
 * exactly the SQL of packages/clickhouse/src/alerts/baselineRules.ts; each rule, rendered the way
 * Grafana renders alert queries and run on the real engine over a seeded set of label moves
 * (test/kit/labelMoveSeed.ts), returns the instances and values computed here from the seed rows
 * by the tests' definitions (Wilson bounds, order-statistic ranks on the log-bucketed values,
 * Welch's t); `baselineChecks` (what `promptline check` runs) agrees with Grafana's rendering.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  BASELINE_RULES,
  baselineChecks,
  baselineRuleSql,
  migrate,
  openClickHouse,
} from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMoveSeed, MOVES, NOW, PROJECT, writeMoveSeed } from '../kit/labelMoveSeed.js';
import type { MoveCall } from '../kit/labelMoveSeed.js';
import { baselineGroupYaml, FILE, GROUP } from '../../scripts/writeBaselineRules.js';
import { loadAlerts } from './support/dashboards.js';
import type { AlertRule } from './support/dashboards.js';
import { renderAlertSql } from './support/grafanaSql.js';
import { num, runSql } from './support/truth.js';

const seed = buildMoveSeed();
const group = loadAlerts().groups.find((g) => g.name === 'promptline-label-moves');
const HOUR = 3_600_000;
const Z = 3.2905;

let dir = '';
let client: ClickHouseClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promptline-baseline-'));
  client = openClickHouse({ path: dir });
  await migrate(client);
  await writeMoveSeed(client, seed);
}, 180_000);
afterAll(async () => {
  await client?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const hourOf = (ms: number): number => Math.floor(ms / HOUR) * HOUR;

/** When each prompt's label moved as the rules see it: the registry's time, else the first new-version call. */
function movedAt(prompt: string): number {
  if (prompt !== 'extract') return MOVES[prompt]!.at;
  return Math.min(
    ...seed.calls.filter((c) => c.prompt === prompt && c.version === MOVES[prompt]!.to).map((c) => c.ms),
  );
}

/** The two sides of a prompt's move: calls in whole hour buckets (errors, latency). */
function bucketSides(prompt: string): { now: MoveCall[]; base: MoveCall[] } {
  const m = MOVES[prompt]!;
  const at = movedAt(prompt);
  const mine = seed.calls.filter((c) => c.prompt === prompt);
  return {
    now: mine.filter(
      (c) =>
        c.version === m.to &&
        hourOf(c.ms) >= hourOf(at) &&
        hourOf(c.ms) >= hourOf(NOW) - 24 * HOUR &&
        hourOf(c.ms) <= NOW,
    ),
    base: mine.filter(
      (c) => c.version === m.from && hourOf(c.ms) >= hourOf(at) - 24 * HOUR && hourOf(c.ms) <= at,
    ),
  };
}

function wilson(e: number, n: number, sign: 1 | -1): number {
  const p = e / n;
  return (
    (p + (Z * Z) / (2 * n) + sign * Z * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n))) /
    (1 + (Z * Z) / n)
  );
}

/** A latency as the aggregates hold it: its log bucket's value (γ = 1.01, decision 0006). */
const bucketed = (x: number): number => (2 * Math.pow(1.01, Math.ceil(Math.log(x) / Math.log(1.01)))) / 2.01;

function expected(uid: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const prompt of ['summarize', 'classify', 'extract']) {
    const m = MOVES[prompt]!;
    const key = `${PROJECT}/${prompt}/production/prod/${m.to}/${m.from}`;
    if (uid === 'promptline-baseline-error-rate') {
      const { now, base } = bucketSides(prompt);
      const e = (cs: MoveCall[]): number => cs.filter((c) => c.error).length;
      out.set(key, wilson(e(now), now.length, -1) / wilson(e(base), base.length, 1));
    } else if (uid === 'promptline-baseline-latency-p95') {
      const { now, base } = bucketSides(prompt);
      const sorted = (cs: MoveCall[]): number[] => cs.map((c) => bucketed(c.latencyMs)).sort((a, b) => a - b);
      const l = Math.floor(now.length * 0.95 - Z * Math.sqrt(now.length * 0.95 * 0.05));
      const u = Math.ceil(base.length * 0.95 + Z * Math.sqrt(base.length * 0.95 * 0.05)) + 1;
      out.set(key, sorted(now)[l - 1]! / sorted(base)[u - 1]!);
    } else {
      const at = movedAt(prompt);
      for (const name of ['correct', 'quality']) {
        const values = (version: number, from: number, to: number, inclusive: boolean): number[] =>
          seed.scores
            .filter(
              (s) =>
                s.name === name &&
                s.call.prompt === prompt &&
                s.call.version === version &&
                s.call.ms >= from &&
                (inclusive ? s.call.ms <= to : s.call.ms < to),
            )
            .map((s) => s.value);
        const now = values(m.to, Math.max(at, NOW - 24 * HOUR), NOW, true);
        const base = values(m.from, at - 24 * HOUR, at, false);
        const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
        const v = (xs: number[]): number => xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1);
        out.set(
          `${key}/${name}`,
          (mean(base) - mean(now)) / Math.sqrt(v(now) / now.length + v(base) / base.length),
        );
      }
    }
  }
  return out;
}

async function evaluate(r: AlertRule): Promise<Map<string, number>> {
  const a = r.data.find((d) => d.refId === 'A')!;
  const sql = renderAlertSql(a.model.rawSql!, {
    from: new Date(NOW - (a.relativeTimeRange?.from ?? 0) * 1000),
    to: new Date(NOW),
  });
  const result = await runSql(client, sql);
  const numeric = result.columns.filter((_, i) => /^(Nullable\()?(U?Int\d+|Float\d+)/.test(result.types[i]!));
  expect(numeric, `${r.uid}: one numeric column`).toHaveLength(1);
  const labels = result.columns.filter((c) => c !== numeric[0]);
  return new Map(
    result.rows.map((row) => [labels.map((l) => String(row[l])).join('/'), num(row[numeric[0]!])]),
  );
}

describe('baseline-relative alert rules', () => {
  it('the YAML holds the rules of baselineRules.ts: same SQL, thresholds above', () => {
    expect(group?.rules.map((r) => r.uid)).toEqual(BASELINE_RULES.map((r) => r.uid));
    for (const rule of BASELINE_RULES) {
      const r = group!.rules.find((x) => x.uid === rule.uid)!;
      expect(r.title).toBe(rule.title);
      expect(r.data.find((d) => d.refId === 'A')!.model.rawSql!.trim()).toBe(baselineRuleSql(rule).trim());
      const c = r.data.find((d) => d.refId === r.condition)!;
      expect(c.model.conditions?.[0]?.evaluator).toEqual({ type: 'gt', params: [rule.threshold] });
    }
  });

  it('the YAML group is what `pnpm grafana:rules` writes (durations, severities, annotations too)', () => {
    const text = readFileSync(FILE, 'utf8');
    expect(text.indexOf(GROUP)).toBeGreaterThan(0);
    expect(text.slice(text.indexOf(GROUP))).toBe(baselineGroupYaml());
  });

  it.each(BASELINE_RULES.map((r) => r.uid))('%s: the instances and values the seed implies', async (uid) => {
    const got = await evaluate(group!.rules.find((r) => r.uid === uid)!);
    const want = expected(uid);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, v] of want) {
      const g = got.get(k)!;
      expect(Math.abs(g - v), `${uid} ${k}: ${g} vs ${v}`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(v)),
      );
    }
  });

  it('fires for the regressed moves only: summarize (registry) and extract (spans); the settled legacy move is not checked', async () => {
    const report = await baselineChecks(client, { projectId: PROJECT, now: new Date(NOW) });
    expect(
      report.firing.map((i) => `${i.prompt}/${i.metric}${i.score === undefined ? '' : `/${i.score}`}`),
    ).toEqual([
      'extract/error_rate',
      'extract/latency_p95',
      'summarize/error_rate',
      'summarize/latency_p95',
      'summarize/score/correct',
      'summarize/score/quality',
    ]);
    expect(report.instances.filter((i) => i.prompt === 'classify').every((i) => !i.firing)).toBe(true);
    expect(report.instances.some((i) => i.prompt === 'legacy')).toBe(false);
  });

  it('baselineChecks runs the same SQL as Grafana: the same values, and only the project asked for', async () => {
    const report = await baselineChecks(client, { projectId: PROJECT, now: new Date(NOW) });
    for (const rule of BASELINE_RULES) {
      const want = expected(rule.uid);
      const mine = report.instances.filter((i) => i.rule === rule.uid);
      expect(mine).toHaveLength(want.size);
      for (const i of mine) {
        const key = `${PROJECT}/${i.prompt}/${i.label}/${i.environment}/${i.version}/${i.baselineVersion}${i.score === undefined ? '' : `/${i.score}`}`;
        expect(Math.abs(i.value - want.get(key)!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(i.value)));
        expect(i.firing).toBe(i.value > rule.threshold);
      }
    }
    expect(
      (await baselineChecks(client, { projectId: 'someone-else', now: new Date(NOW) })).instances,
    ).toEqual([]);
    const one = await baselineChecks(client, {
      projectId: PROJECT,
      now: new Date(NOW),
      promptName: 'extract',
    });
    expect(new Set(one.instances.map((i) => i.prompt))).toEqual(new Set(['extract']));
  });
});

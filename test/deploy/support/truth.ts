/** Ground truth computed from the seed rows, and result helpers for the dashboard/alert tests. */
import type { ClickHouseClient } from '@clickhouse/client';
import { expect } from 'vitest';
import type { SeedGeneration, SeedScore } from './seed.js';

export interface QueryResult {
  columns: string[];
  types: string[];
  rows: Array<Record<string, unknown>>;
}

/** Runs a rendered query and returns column names, types and rows. */
export async function runSql(client: ClickHouseClient, sql: string): Promise<QueryResult> {
  const rs = await client.query({ query: sql, format: 'JSON' });
  const body = (await rs.json()) as unknown as {
    meta: Array<{ name: string; type: string }>;
    data: Array<Record<string, unknown>>;
  };
  return { columns: body.meta.map((m) => m.name), types: body.meta.map((m) => m.type), rows: body.data };
}

export function num(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  return typeof v === 'number' ? v : Number(v);
}

/** `YYYY-MM-DD hh:mm:ss[.fff…]` (UTC) → epoch ms. */
export function timeMs(v: unknown): number {
  const s = String(v);
  return Date.parse(`${s.slice(0, 10)}T${s.slice(11, 23)}Z`);
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
export const mean = (xs: number[]): number => sum(xs) / xs.length;

/**
 * The range an approximate quantile at level q may fall in: between the order statistics at
 * ranks q·(n−1) ∓ 1, widened by 1% (the aggregates' log-bucketed histograms read a bucket back within
 * 0.5% of the order statistic it holds).
 */
export function quantileRange(values: number[], q: number): [number, number] {
  const s = [...values].sort((a, b) => a - b);
  const r = q * (s.length - 1);
  const lo = s[Math.max(0, Math.floor(r) - 1)]!;
  const hi = s[Math.min(s.length - 1, Math.ceil(r) + 1)]!;
  return [lo * 0.99, hi * 1.01];
}

export function expectQuantile(actual: unknown, values: number[], q: number, what: string): void {
  const [lo, hi] = quantileRange(values, q);
  const a = num(actual);
  expect(a, `${what}: ${a} not in [${lo}, ${hi}]`).toBeGreaterThanOrEqual(lo);
  expect(a, `${what}: ${a} not in [${lo}, ${hi}]`).toBeLessThanOrEqual(hi);
}

export function expectClose(actual: unknown, expected: number, what: string, rel = 1e-9): void {
  const a = num(actual);
  expect(Number.isFinite(a), `${what}: ${String(actual)} is not a number`).toBe(true);
  const tol = Math.max(Math.abs(expected) * rel, 1e-12);
  expect(Math.abs(a - expected), `${what}: got ${a}, expected ${expected}`).toBeLessThanOrEqual(tol);
}

export function hourOf(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}

export function dayOf(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}

/** Group seed rows by a string key. */
export function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list === undefined) out.set(k, [r]);
    else list.push(r);
  }
  return out;
}

/** Aggregates over a set of generations (and their scores), as the dashboards define them. */
export function stats(gens: readonly SeedGeneration[], scores: readonly SeedScore[]) {
  const ok = gens.filter((g) => !g.isError);
  return {
    count: gens.length,
    errors: gens.filter((g) => g.isError).length,
    errorRate: gens.filter((g) => g.isError).length / gens.length,
    latencies: gens.map((g) => g.latencyMs),
    ttfts: gens.map((g) => g.ttftMs),
    meanTtft: mean(gens.map((g) => g.ttftMs)),
    tokens: ok.map((g) => g.inputTokens + g.outputTokens),
    cost: sum(gens.map((g) => g.inputCost + g.outputCost)),
    inputCost: sum(gens.map((g) => g.inputCost)),
    outputCost: sum(gens.map((g) => g.outputCost)),
    inputTokens: sum(gens.map((g) => g.inputTokens)),
    outputTokens: sum(gens.map((g) => g.outputTokens)),
    costPerGeneration: sum(gens.map((g) => g.inputCost + g.outputCost)) / gens.length,
    scoreValues: scores.map((s) => s.value),
    meanScore: scores.length === 0 ? NaN : mean(scores.map((s) => s.value)),
    firstSeen: Math.min(...gens.map((g) => g.time)),
    lastSeen: Math.max(...gens.map((g) => g.time)),
  };
}

import { describe, expect, it } from 'vitest';

import type { MetricsReport, ScoreSummary, VersionMetrics } from '../src/metricsReport.js';
import { formatTable, renderBreakdownTable, renderMetricsTable } from '../src/metricsReport.js';

function version(
  v: number,
  over: Partial<Omit<VersionMetrics, 'versionName'>> & { name?: string } = {},
): VersionMetrics {
  const { name, ...rest } = over;
  return {
    version: v,
    versionName: name ?? String(v),
    labels: [],
    count: 10,
    errors: 1,
    errorRate: 0.1,
    latencyMs: { p50: 120.4, p95: 980, p99: 1530, mean: 300, n: 10 },
    ttftMs: { p50: null, p95: null, p99: null, mean: null, n: 0 },
    tokens: { input: 1200, output: 340 },
    costUsd: { total: 0.0123, perCall: 0.00123, unpricedCalls: 0 },
    costPerPass: null,
    intervals: {},
    scores: {},
    firstSeen: '2026-11-21T10:00:00.000Z',
    lastSeen: '2026-11-21T11:30:00.000Z',
    ...rest,
  };
}

describe('metrics table', () => {
  it('renders one aligned row per version, newest first, with units', () => {
    const report: MetricsReport = {
      prompt: 'p',
      from: '2026-11-20T12:00:00.000Z',
      to: '2026-11-21T12:00:00.000Z',
      source: 'embedded:/x',
      versions: [
        version(1, {
          labels: ['production'],
          scores: {
            correct: {
              mean: 0.5,
              count: 4,
              labels: { true: 2, false: 2 },
              kind: 'boolean',
              numeric: null,
              passRate: { n: 4, events: 2, rate: 0.5, ci: { lower: 0.15, upper: 0.85, level: 0.95 } },
              categories: null,
              exact: true,
            },
          },
        }),
        version(2, {
          ttftMs: { p50: 42, p95: 60, p99: 70, mean: 50, n: 7 },
          costUsd: { total: 2.5, perCall: 0.25, unpricedCalls: 0 },
        }),
      ],
      unlinked: [],
    };
    const lines = renderMetricsTable(report);
    // The version table, a blank line, then the score table (one score).
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(
      /^version\s+labels\s+calls\s+errors \[95% CI\]\s+p50\s+p95 \[95% CI\]\s+p99\s+ttft p50 \(n\)/,
    );
    expect(lines[2]).toMatch(
      /^v2\s+–\s+10\s+10\.0%\s+120ms\s+980ms\s+1\.53s\s+42ms \(7\)\s+1200\/340\s+\$2\.50\s+\$0\.25\s+–\s+–/,
    );
    expect(lines[3]).toMatch(/^v1\s+production\s+10/);
    expect(lines[3]).toContain('correct=0.50');
    expect(lines[3]).toContain('2026-11-21 10:00');
    // Every row has the same width up to its last column: the columns line up.
    const col = (line: string | undefined): number => (line ?? '').indexOf('$');
    expect(col(lines[2])).toBeGreaterThan(0);
    expect(lines[0]!.indexOf('first seen')).toBe(lines[2]!.indexOf('2026'));
  });

  it('names the versions with unpriced calls under the table', () => {
    const lines = renderMetricsTable({
      prompt: 'p',
      from: '2026-11-20T12:00:00.000Z',
      to: '2026-11-21T12:00:00.000Z',
      source: 'embedded:/x',
      versions: [version(1), version(2, { costUsd: { total: 0.5, perCall: 0.05, unpricedCalls: 3 } })],
      unlinked: [],
    });
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('v2: 3 of 10 calls unpriced (no price for their model): cost shown without them');
  });

  it('shows named versions by name after the numbered ones, latest first, and counts unlinked calls', () => {
    const lines = renderMetricsTable({
      prompt: 'p',
      from: '2026-11-20T12:00:00.000Z',
      to: '2026-11-21T12:00:00.000Z',
      source: 'embedded:/x',
      versions: [
        version(3_529_375_573, { name: '2.1.0', firstSeen: '2026-11-21T08:00:00.000Z' }),
        version(2_300_000_000, { name: '#a1b2c3d4', firstSeen: '2026-11-21T07:00:00.000Z' }),
        version(4_000_000_000, { name: '2.2.0-rc1', firstSeen: '2026-11-21T09:00:00.000Z' }),
        version(7),
      ],
      unlinked: [
        { reason: 'unparsable_version', generations: 4 },
        { reason: 'fallback', generations: 2 },
      ],
    });
    expect(lines.slice(2, 6).map((l) => l.split(/\s+/)[0])).toEqual([
      'v7',
      '2.2.0-rc1',
      '2.1.0',
      '#a1b2c3d4',
    ]);
    expect(lines[6]).toBe(
      '6 calls linked to no version (not in the rows above): 4 unparsable version, 2 fallback prompt',
    );
  });

  it('shows intervals, cost per pass and each score kind', () => {
    const ci = (lower: number, upper: number) => ({ lower, upper, level: 0.95 });
    const rating: ScoreSummary = {
      mean: 4.25,
      count: 40,
      labels: {},
      kind: 'numeric',
      numeric: {
        n: 40,
        mean: 4.25,
        meanCi: ci(3.9, 4.6),
        median: 5,
        medianCi: ci(4, 5),
        min: 1,
        max: 5,
        p10: 2.5,
        p25: 4,
        p75: 5,
        p90: 5,
      },
      passRate: null,
      categories: null,
      exact: true,
    };
    const tone: ScoreSummary = {
      mean: null,
      count: 20,
      labels: { helpful: 15, rude: 5 },
      kind: 'categorical',
      numeric: null,
      passRate: null,
      categories: [
        { label: 'helpful', count: 15, share: 0.75, ci: ci(0.53, 0.89) },
        { label: 'rude', count: 5, share: 0.25, ci: ci(0.11, 0.47) },
      ],
      exact: true,
    };
    const lines = renderMetricsTable({
      prompt: 'p',
      from: '2026-11-20T12:00:00.000Z',
      to: '2026-11-21T12:00:00.000Z',
      source: 'embedded:/x',
      unlinked: [],
      versions: [
        version(3, {
          intervals: { errorRate: ci(0.018, 0.41), 'latencyMs.p95': ci(900, 1100) },
          costPerPass: { basis: 'validation', passes: 8, judged: 9, usd: 0.0015375 },
          scores: { rating, tone },
        }),
      ],
    });
    expect(lines[2]).toMatch(/^v3\s+–\s+10\s+10\.0% \[1\.8%, 41\.0%\]\s+120ms\s+980ms \[900ms, 1\.10s\]/);
    expect(lines[2]).toContain('$0.0015');
    expect(lines[3]).toBe('cost/pass: cost over the calls that passed (validation passed)');
    expect(lines[5]).toMatch(/^version\s+score\s+kind\s+n\s+mean or rate \[95% CI\]\s+median \[95% CI\]/);
    expect(lines[7]).toMatch(
      /^v3\s+rating\s+numeric\s+40\s+4\.25 \[3\.90, 4\.60\]\s+5 \[4, 5\]\s+1\s+2\.50\s+4\s+5\s+5\s+5$/,
    );
    expect(lines[8]).toMatch(/^v3\s+tone\s+categorical\s+20\s+helpful 75\.0%, rude 25\.0%/);
  });

  it('lays a breakdown out as one row per value and version, the pooled values last', () => {
    const lines = renderBreakdownTable({
      by: 'app.document_type',
      readFrom: 'spans',
      values: [
        { value: 'invoice', count: 20, versions: [version(2, { count: 12 }), version(1, { count: 8 })] },
        { value: '', count: 5, versions: [version(2, { count: 5 })] },
      ],
      other: { values: 3, count: 4, versions: [version(2, { count: 4 })] },
    });
    expect(lines[0]).toMatch(/^app\.document_type\s+version\s+calls/);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['invoice', 'v2', '12'],
      ['invoice', 'v1', '8'],
      ['(none)', 'v2', '5'],
      ['(3 other values)', 'v2', '4'],
    ]);
  });

  it('says when --pass-score names a score no call has, and which scores there are', () => {
    const base = {
      prompt: 'p',
      from: '2026-11-20T12:00:00.000Z',
      to: '2026-11-21T12:00:00.000Z',
      source: 'embedded:/x',
      unlinked: [],
    };
    const none = renderMetricsTable({ ...base, passScore: 'nosuch', versions: [version(3)] });
    expect(none).toContain(
      'cost/pass: no call in this window has a score "nosuch" (no scores in this window)',
    );
    const judged = renderMetricsTable({
      ...base,
      passScore: 'correct',
      versions: [version(3, { costPerPass: { basis: 'score:correct', passes: 8, judged: 9, usd: 0.01 } })],
    });
    expect(judged.some((l) => l.includes('no call in this window has a score'))).toBe(false);
  });

  it('names one pooled value in the singular', () => {
    const lines = renderBreakdownTable({
      by: 'model',
      readFrom: 'aggregates',
      values: [{ value: 'a', count: 2, versions: [version(2, { count: 2 })] }],
      other: { values: 1, count: 1, versions: [version(2, { count: 1 })] },
    });
    expect(lines.at(-1)!.split(/\s{2,}/)[0]).toBe('(1 other value)');
  });

  it('right-aligns the numeric columns', () => {
    expect(
      formatTable(
        ['a', 'n'],
        [
          ['x', '1'],
          ['yy', '100'],
        ],
        new Set([1]),
      ),
    ).toEqual(['a     n', '--  ---', 'x     1', 'yy  100']);
  });
});

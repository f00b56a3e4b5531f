import { describe, expect, it } from 'vitest';

import type { MetricsReport, VersionMetrics } from '../src/metricsReport.js';
import { formatTable, renderMetricsTable } from '../src/metricsReport.js';

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
    latencyMs: { p50: 120.4, p95: 980, p99: 1530, mean: 300 },
    ttftMs: { p50: null, p95: null, p99: null, mean: null },
    tokens: { input: 1200, output: 340 },
    costUsd: { total: 0.0123, perCall: 0.00123, unpricedCalls: 0 },
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
          scores: { correct: { mean: 0.5, count: 4, labels: { true: 2, false: 2 } } },
        }),
        version(2, {
          ttftMs: { p50: 42, p95: 60, p99: 70, mean: 50 },
          costUsd: { total: 2.5, perCall: 0.25, unpricedCalls: 0 },
        }),
      ],
      unlinked: [],
    };
    const lines = renderMetricsTable(report);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^version\s+labels\s+calls\s+errors\s+p50\s+p95\s+p99\s+ttft p50/);
    expect(lines[2]).toMatch(
      /^v2\s+–\s+10\s+10\.0%\s+120ms\s+980ms\s+1\.53s\s+42ms\s+1200\/340\s+\$2\.50\s+\$0\.25\s+–/,
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

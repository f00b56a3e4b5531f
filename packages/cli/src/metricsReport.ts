import { newestVersionFirst } from '@promptline/clickhouse';

/**
 * The `promptline metrics` report: what `--json` prints (a stable, documented shape) and what the
 * human table is rendered from. Durations in milliseconds, money in US dollars, times ISO-8601 UTC.
 */
export interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
}

export interface ScoreSummary {
  /** Mean of numeric / boolean (0–1) scores; `null` when the score only has labels. */
  mean: number | null;
  count: number;
  /** Count per categorical label (boolean scores count `true` / `false`). */
  labels: Record<string, number>;
}

export interface VersionMetrics {
  /**
   * The stored version number: the version itself for whole-number versions, a stable id (≥ 2^31) for
   * named ones. `compare` takes either this or `versionName`.
   */
  version: number;
  /** The version as sent and shown: `3`, `2.1.0`, `2.2.0-rc1`, `#a1b2c3d4` (implicit, from a template hash). */
  versionName: string;
  /** Labels the version was resolved through in the window (e.g. `production`). */
  labels: string[];
  count: number;
  errors: number;
  /** errors / count, 0–1. */
  errorRate: number;
  latencyMs: Quantiles;
  /** Time to first token of streamed calls; nulls when no call was streamed. */
  ttftMs: Quantiles;
  /** Token sums over the window. */
  tokens: { input: number; output: number };
  /**
   * Cost sum over the window, that sum divided by the calls, and the calls that used tokens but have
   * no price (their model is not in the price table): the sum leaves them out.
   */
  costUsd: { total: number; perCall: number; unpricedCalls: number };
  scores: Record<string, ScoreSummary>;
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface MetricsReport {
  prompt: string;
  /** Window start and end, ISO-8601 UTC. */
  from: string;
  to: string;
  /** Where the numbers came from: `embedded:<dir>`, `clickhouse:<url>` or `collector:<url>`. */
  source: string;
  versions: VersionMetrics[];
  /** Generations of the prompt in the window that count towards no version, by reason. */
  unlinked: UnlinkedSummary[];
}

/** Generations not linked to a prompt version, for one reason. */
export interface UnlinkedSummary {
  /** `fallback`, `no_prompt_name`, `no_version` or `unparsable_version`. */
  reason: string;
  generations: number;
}

/** Why generations are not linked, in words. */
export const UNLINKED_REASON_TEXT: Record<string, string> = {
  fallback: 'fallback prompt',
  no_prompt_name: 'no prompt name',
  no_version: 'no version',
  unparsable_version: 'unparsable version',
};

/** How a version is shown: `v3` for whole-number versions, the name as sent otherwise (`2.1.0`, `#a1b2c3d4`). */
export function versionLabel(v: { version: number; versionName?: string }): string {
  const name = v.versionName ?? '';
  if (name === '' || name === String(v.version)) return `v${v.version}`;
  return name;
}

function ms(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (value >= 1000) return `${(value / 1000).toFixed(2)}s`;
  return `${Math.round(value)}ms`;
}

function usd(value: number): string {
  if (value === 0) return '$0';
  if (value >= 1) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(2)}`;
}

function when(iso: string | null): string {
  return iso === null ? '–' : iso.replace('T', ' ').slice(0, 16);
}

function scoreCell(scores: Record<string, ScoreSummary>): string {
  const names = Object.keys(scores).sort();
  if (names.length === 0) return '–';
  return names
    .map((name) => {
      const s = scores[name];
      return `${name}=${s?.mean === null || s?.mean === undefined ? '–' : s.mean.toFixed(2)}`;
    })
    .join(' ');
}

/** Lays out rows as aligned columns (numbers right-aligned). */
export function formatTable(
  header: readonly string[],
  rows: readonly string[][],
  rightAligned: ReadonlySet<number>,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/**
 * The human table: one row per version, newest first (whole-number versions by number, then named
 * versions by first call in the window), then notes on unpriced and unlinked calls.
 */
export function renderMetricsTable(report: MetricsReport): string[] {
  const header = [
    'version',
    'labels',
    'calls',
    'errors',
    'p50',
    'p95',
    'p99',
    'ttft p50',
    'tok in/out',
    'cost',
    'cost/call',
    'scores',
    'first seen',
    'last seen',
  ];
  const versions = [...report.versions].sort((a, b) =>
    newestVersionFirst(
      { version: a.version, firstSeen: a.firstSeen ?? '' },
      { version: b.version, firstSeen: b.firstSeen ?? '' },
    ),
  );
  const rows = versions.map((v) => [
    versionLabel(v),
    v.labels.length > 0 ? v.labels.join(',') : '–',
    String(v.count),
    `${(v.errorRate * 100).toFixed(1)}%`,
    ms(v.latencyMs.p50),
    ms(v.latencyMs.p95),
    ms(v.latencyMs.p99),
    ms(v.ttftMs.p50),
    `${v.tokens.input}/${v.tokens.output}`,
    usd(v.costUsd.total),
    usd(v.costUsd.perCall),
    scoreCell(v.scores),
    when(v.firstSeen),
    when(v.lastSeen),
  ]);
  const table = formatTable(header, rows, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]));
  for (const v of versions) {
    if (v.costUsd.unpricedCalls > 0)
      table.push(
        `${versionLabel(v)}: ${v.costUsd.unpricedCalls} of ${v.count} calls unpriced (no price for their model): cost shown without them`,
      );
  }
  const unlinked = report.unlinked.reduce((a, u) => a + u.generations, 0);
  if (unlinked > 0) {
    const parts = report.unlinked.map(
      (u) => `${u.generations} ${UNLINKED_REASON_TEXT[u.reason] ?? u.reason}`,
    );
    table.push(`${unlinked} calls linked to no version (not in the rows above): ${parts.join(', ')}`);
  }
  return table;
}

import { newestVersionFirst } from '@promptline/clickhouse';

/**
 * The `promptline metrics` report: what `--json` prints (a stable, documented shape) and what the
 * human table is rendered from. Durations in milliseconds, money in US dollars, times ISO-8601 UTC.
 * Intervals are 95% confidence intervals `{ lower, upper, level }`.
 */
export interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
  /** Values behind the figures (calls; for TTFT the streamed calls). */
  n: number;
}

export interface Interval {
  lower: number;
  upper: number;
  level: number;
}

export interface ScoreSummary {
  /** Mean of numeric / boolean (0–1) scores; `null` when the score only has labels. */
  mean: number | null;
  count: number;
  /** Count per categorical label (boolean scores count `true` / `false`). */
  labels: Record<string, number>;
  /** `numeric`, `boolean` (0/1 values or declared boolean) or `categorical` (labels). */
  kind: 'numeric' | 'boolean' | 'categorical';
  /** Numeric scores: the distribution (exact, or within 0.5% when `exact` is false). */
  numeric: {
    n: number;
    mean: number | null;
    meanCi: Interval | null;
    median: number | null;
    medianCi: Interval | null;
    min: number | null;
    max: number | null;
    p10: number | null;
    p25: number | null;
    p75: number | null;
    p90: number | null;
  } | null;
  /** Boolean scores: passes of the scores with a value, the rate and its Wilson interval. */
  passRate: { n: number; events: number; rate: number | null; ci: Interval | null } | null;
  /** Categorical scores: the most frequent labels (then `(other)`), shares with Wilson intervals. */
  categories: Array<{ label: string; count: number; share: number; ci: Interval }> | null;
  /** `false` when the quantiles came from the histogram (more distinct values than the bound). */
  exact: boolean;
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
  /**
   * Cost per passing outcome: the cost sum divided by the calls that passed — validation passed
   * (`basis: 'validation'`) or the `--pass-score` boolean score true (`score:<name>`); `null`
   * without a basis.
   */
  costPerPass: { basis: string; passes: number; judged: number; usd: number | null } | null;
  /**
   * 95% intervals by figure: `errorRate`, `validationPassRate` (Wilson); `latencyMs.p50|p90|p95|p99`,
   * `ttftMs.p50|p95`, `totalTokens.p50`, `costUsd.p50|p95` (order statistics, within 0.5%);
   * `latencyMs.mean`, `ttftMs.mean` (t). Figures with too few values have none.
   */
  intervals: Record<string, Interval>;
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
  /** With `--by`: the per-version figures per value of the dimension (scores not broken down). */
  breakdown?: MetricsBreakdownReport;
  /** `--pass-score`: the boolean score whose passes cost/pass counts. */
  passScore?: string;
}

/** `metrics --by`: the top values of a dimension, each with its per-version figures. */
export interface MetricsBreakdownReport {
  by: string;
  /** `aggregates`, `generations` or `spans`: where the dimension was read (what it costs). */
  readFrom: string;
  values: Array<{ value: string; count: number; versions: VersionMetrics[] }>;
  /** The values beyond `--top`, pooled; `null` when there were no more. */
  other: { values: number; count: number; versions: VersionMetrics[] } | null;
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

function pct(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : `${(value * 100).toFixed(1)}%`;
}

function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : 2);
}

/** `[lower, upper]` of an interval in the figure's format, or '' without one. */
function ci(i: Interval | null | undefined, format: (v: number) => string): string {
  return i === null || i === undefined ? '' : ` [${format(i.lower)}, ${format(i.upper)}]`;
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
 * versions by first call in the window), then notes on unpriced and unlinked calls, then the score
 * distributions.
 */
export function renderMetricsTable(report: MetricsReport): string[] {
  const header = [
    'version',
    'labels',
    'calls',
    'errors [95% CI]',
    'p50',
    'p95 [95% CI]',
    'p99',
    'ttft p50 (n)',
    'tok in/out',
    'cost',
    'cost/call',
    'cost/pass',
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
    `${pct(v.errorRate)}${ci(v.intervals.errorRate, pct)}`,
    ms(v.latencyMs.p50),
    `${ms(v.latencyMs.p95)}${ci(v.intervals['latencyMs.p95'], ms)}`,
    ms(v.latencyMs.p99),
    v.ttftMs.n === 0 ? '–' : `${ms(v.ttftMs.p50)} (${v.ttftMs.n})`,
    `${v.tokens.input}/${v.tokens.output}`,
    usd(v.costUsd.total),
    usd(v.costUsd.perCall),
    v.costPerPass?.usd === null || v.costPerPass?.usd === undefined ? '–' : usd(v.costPerPass.usd),
    scoreCell(v.scores),
    when(v.firstSeen),
    when(v.lastSeen),
  ]);
  const table = formatTable(header, rows, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
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
  if (report.passScore !== undefined && !versions.some((v) => (v.costPerPass?.judged ?? 0) > 0)) {
    const seen = [...new Set(versions.flatMap((v) => Object.keys(v.scores)))].sort();
    table.push(
      `cost/pass: no call in this window has a score "${report.passScore}"${seen.length > 0 ? ` (scores seen: ${seen.join(', ')})` : ' (no scores in this window)'}`,
    );
  }
  const basis = versions.find((v) => v.costPerPass !== null)?.costPerPass?.basis;
  if (basis !== undefined)
    table.push(
      `cost/pass: cost over the calls that passed (${basis === 'validation' ? 'validation passed' : `${basis.slice(6)} true`})`,
    );
  const scores = renderScoreTable(versions);
  if (scores.length > 0) table.push('', ...scores);
  return table;
}

/** One row per version and score: the distribution of a numeric score, a pass rate, or the labels. */
export function renderScoreTable(versions: readonly VersionMetrics[]): string[] {
  const header = [
    'version',
    'score',
    'kind',
    'n',
    'mean or rate [95% CI]',
    'median [95% CI]',
    'min',
    'p10',
    'p25',
    'p75',
    'p90',
    'max',
  ];
  const rows: string[][] = [];
  for (const v of versions) {
    for (const name of Object.keys(v.scores).sort()) {
      const s = v.scores[name]!;
      const d = s.numeric;
      if (s.kind === 'numeric' && d !== null) {
        rows.push([
          versionLabel(v),
          name,
          s.exact ? 'numeric' : 'numeric*',
          String(d.n),
          `${num(d.mean)}${ci(d.meanCi, num)}`,
          `${num(d.median)}${ci(d.medianCi, num)}`,
          num(d.min),
          num(d.p10),
          num(d.p25),
          num(d.p75),
          num(d.p90),
          num(d.max),
        ]);
      } else if (s.kind === 'boolean' && s.passRate !== null) {
        const r = s.passRate;
        rows.push([
          versionLabel(v),
          name,
          'boolean',
          String(r.n),
          `${pct(r.rate)}${ci(r.ci, pct)} pass`,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ]);
      } else {
        const labels = (s.categories ?? [])
          .slice(0, 4)
          .map((c) => `${c.label} ${pct(c.share)}`)
          .join(', ');
        const more = (s.categories?.length ?? 0) > 4 ? ', …' : '';
        rows.push([
          versionLabel(v),
          name,
          s.kind,
          String(s.count),
          `${labels}${more}`,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ]);
      }
    }
  }
  if (rows.length === 0) return [];
  const table = formatTable(header, rows, new Set([3, 6, 7, 8, 9, 10, 11]));
  if (rows.some((r) => r[2] === 'numeric*'))
    table.push('numeric*: more distinct values than the exact bound; quantiles within 0.5% (histogram)');
  return table;
}

/** `metrics --by`: one row per value and version. */
export function renderBreakdownTable(b: MetricsBreakdownReport): string[] {
  const header = [
    b.by,
    'version',
    'calls',
    'errors [95% CI]',
    'p50',
    'p95',
    'ttft p50',
    'cost',
    'cost/call',
    'cost/pass',
  ];
  const shown = (value: string): string => (value === '' ? '(none)' : value);
  const groups: Array<[string, VersionMetrics[]]> = [
    ...b.values.map((v): [string, VersionMetrics[]] => [shown(v.value), v.versions]),
    ...(b.other === null
      ? []
      : [
          [`(${b.other.values} other ${b.other.values === 1 ? 'value' : 'values'})`, b.other.versions] as [
            string,
            VersionMetrics[],
          ],
        ]),
  ];
  const rows = groups.flatMap(([value, versions]) =>
    versions.map((v) => [
      value,
      versionLabel(v),
      String(v.count),
      `${pct(v.errorRate)}${ci(v.intervals.errorRate, pct)}`,
      ms(v.latencyMs.p50),
      ms(v.latencyMs.p95),
      ms(v.ttftMs.p50),
      usd(v.costUsd.total),
      usd(v.costUsd.perCall),
      v.costPerPass?.usd === null || v.costPerPass?.usd === undefined ? '–' : usd(v.costPerPass.usd),
    ]),
  );
  return formatTable(header, rows, new Set([2, 3, 4, 5, 6, 7, 8, 9]));
}

import type { Interval, MetricComparison } from '@promptline/clickhouse';

import { formatTable } from './metricsReport.js';

/**
 * The human table of `promptline compare` and `promptline regressions`: one row per metric with
 * both sides' headline statistic and its 95% interval, the change, the difference the test measures
 * with its interval, the effect size, the test, raw and Holm-adjusted p, and the verdict.
 */

function value(m: MetricComparison, v: number | null | undefined): string {
  const metric = m.metric;
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (m.headline === 'rate') return `${(v * 100).toFixed(1)}%`;
  if (metric === 'latency_ms' || metric === 'ttft_ms') {
    return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${Math.round(v)}ms`;
  }
  if (metric === 'cost_usd') return v === 0 ? '$0' : `${v < 0 ? '-' : ''}$${Math.abs(v).toPrecision(2)}`;
  if (metric === 'total_tokens') return v.toFixed(0);
  return v.toFixed(2);
}

/** A difference: percentage points for rates, else the metric's unit, signed. */
function signed(m: MetricComparison, v: number): string {
  if (m.headline === 'rate') return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}pp`;
  const text = value(m, v);
  return v > 0 ? `+${text}` : text;
}

function interval(m: MetricComparison, i: Interval | null | undefined, format = value): string {
  return i === null || i === undefined ? '' : ` [${format(m, i.lower)}, ${format(m, i.upper)}]`;
}

/** The side's headline statistic (median, mean or rate, named in the row) with its interval, or its label counts. */
function side(m: MetricComparison, s: MetricComparison['baseline']): string {
  const n = s.total > s.n ? `${s.n}/${s.total}` : String(s.n);
  if (m.headline === 'distribution') return `${Object.keys(s.categories ?? {}).length} labels n=${n}`;
  return `${m.headline} ${value(m, s.headline)}${interval(m, s.ci)} n=${n}`;
}

function pValue(p: number | null): string {
  if (p === null) return '–';
  if (p < 0.0001) return '<0.0001';
  return p.toFixed(4);
}

function change(m: MetricComparison): string {
  const r = m.effect.relativeChange;
  if (r === null) return '–';
  return `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)}%`;
}

function difference(m: MetricComparison): string {
  const d = m.effect.difference;
  if (d === null) return '–';
  const i = m.effect.differenceCi;
  return `${signed(m, d)}${i === null ? '' : ` [${signed(m, i.lower)}, ${signed(m, i.upper)}]`}`;
}

/** The effect size that goes with the test: Cliff's δ, Hedges' g, the risk ratio or Cramér's V. */
function effect(m: MetricComparison): string {
  const e = m.effect;
  if (e.cramersV !== null) return `V=${e.cramersV.toFixed(2)}`;
  if (m.headline === 'rate') return e.riskRatio === null ? '–' : `RR=${e.riskRatio.toFixed(2)}`;
  if (m.headline === 'mean' && e.hedgesG !== null) return `g=${e.hedgesG.toFixed(2)}`;
  if (e.cliffsDelta !== null) return `δ=${e.cliffsDelta.toFixed(2)}`;
  return '–';
}

const TEST_NAMES: Record<MetricComparison['test'], string> = {
  'mann-whitney-exact': 'MWU exact',
  'mann-whitney-normal': 'MWU',
  'welch-t': 'Welch t',
  'two-proportion-z': 'z (2 prop.)',
  'fisher-exact': 'Fisher',
  'chi-square': 'chi²',
  'chi-square-merged': 'chi² (pooled)',
  'fisher-freeman-halton': 'exact (FFH)',
  none: '–',
};

/** Rows for a metric comparison list. */
export function renderComparisonTable(metrics: readonly MetricComparison[]): string[] {
  const header = [
    'metric',
    'better',
    'baseline [95% CI]',
    'candidate [95% CI]',
    'change',
    'difference [95% CI]',
    'effect',
    'test',
    'p',
    'p (Holm)',
    'verdict',
  ];
  const rows = metrics.map((m) => [
    m.metric,
    m.better,
    side(m, m.baseline),
    side(m, m.candidate),
    change(m),
    difference(m),
    effect(m),
    TEST_NAMES[m.test],
    pValue(m.p),
    pValue(m.pAdjusted),
    m.verdict,
  ]);
  return formatTable(header, rows, new Set([2, 3, 4, 5, 8, 9]));
}

import type { MetricComparison } from '@promptline/clickhouse';

import { formatTable } from './metricsReport.js';

/**
 * The human table of `promptline compare` and `promptline regressions`: one row per metric with
 * both sides, the change, the test, raw and Holm-adjusted p, and the verdict.
 */

function value(m: MetricComparison, v: number | null): string {
  const metric = m.metric;
  if (v === null || !Number.isFinite(v)) return '–';
  if (m.headline === 'rate') return `${(v * 100).toFixed(1)}%`;
  if (metric === 'latency_ms' || metric === 'ttft_ms') {
    return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${Math.round(v)}ms`;
  }
  if (metric === 'cost_usd') return v === 0 ? '$0' : `$${v.toPrecision(2)}`;
  if (metric === 'total_tokens') return v.toFixed(0);
  return v.toFixed(2);
}

/** The side's headline statistic (median, mean or rate, named in the row), or its label counts. */
function side(m: MetricComparison, s: MetricComparison['baseline']): string {
  const n = s.total > s.n ? `${s.n}/${s.total}` : String(s.n);
  if (m.headline === 'distribution') return `${Object.keys(s.categories ?? {}).length} labels (n=${n})`;
  return `${m.headline} ${value(m, s.headline)} (n=${n})`;
}

function pValue(p: number | null): string {
  if (p === null) return '–';
  if (p < 0.0001) return '<0.0001';
  return p.toFixed(4);
}

function change(m: MetricComparison): string {
  const r = m.effect.relativeChange;
  if (r === null) return '–';
  const pct = `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)}%`;
  return m.effect.cliffsDelta === null ? pct : `${pct} δ=${m.effect.cliffsDelta.toFixed(2)}`;
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
  const header = ['metric', 'better', 'baseline', 'candidate', 'change', 'test', 'p', 'p (Holm)', 'verdict'];
  const rows = metrics.map((m) => [
    m.metric,
    m.better,
    side(m, m.baseline),
    side(m, m.candidate),
    change(m),
    TEST_NAMES[m.test],
    pValue(m.p),
    pValue(m.pAdjusted),
    m.verdict,
  ]);
  return formatTable(header, rows, new Set([2, 3, 4, 6, 7]));
}

import type { MetricComparison } from '../api.js';
import { fmtChange, fmtCount, fmtMs, fmtNum, fmtP, fmtRate, fmtUsd } from '../format.js';
import { Verdict } from './common.js';

/** How a metric's values read (`latency_ms` in ms, `error_rate` as a rate, …). */
export function metricFormat(metric: string): (v: number) => string {
  if (metric === 'latency_ms' || metric === 'ttft_ms') return fmtMs;
  if (metric === 'cost_usd') return fmtUsd;
  if (metric === 'error_rate') return fmtRate;
  if (metric === 'total_tokens') return fmtCount;
  return fmtNum;
}

const NAMES: Record<string, string> = {
  latency_ms: 'Latency',
  ttft_ms: 'Time to first token',
  total_tokens: 'Tokens per call',
  cost_usd: 'Cost per call',
  error_rate: 'Error rate',
};

export function metricName(metric: string): string {
  return NAMES[metric] ?? (metric.startsWith('score:') ? `Score ${metric.slice(6)}` : metric);
}

/**
 * A side's headline as the API names it (the test is about it): the median of latency and TTFT,
 * the mean of tokens, cost and numeric scores, the rate of errors and boolean scores.
 */
function sideText(
  m: MetricComparison,
  side: 'baseline' | 'candidate',
): { value: number | null; text: string; format: (v: number) => string } {
  const s = m[side];
  const v = s.headline;
  if (m.headline === 'distribution') return { value: null, text: 'distribution', format: fmtNum };
  if (m.headline === 'rate') {
    return {
      value: v,
      text: `${fmtRate(v)} (${fmtCount(s.events ?? 0)} of ${fmtCount(s.n)})`,
      format: fmtRate,
    };
  }
  const f = metricFormat(m.metric);
  return { value: v, text: `${m.headline} ${v === null ? '–' : f(v)}`, format: f };
}

/** A difference with its sign, as the CLI prints it: `+12 ms`, `−0.25`, a rate's in points (`+1.2 pp`). */
function signed(m: MetricComparison, format: (v: number) => string, v: number): string {
  const sign = v < 0 ? '−' : '+';
  return m.headline === 'rate'
    ? `${sign}${(Math.abs(v) * 100).toFixed(1)} pp`
    : `${sign}${format(Math.abs(v))}`;
}

/** The comparison report as `promptline compare` prints it: per metric, both sides, test, p, verdict. */
export function ComparisonTable(props: {
  id: string;
  caption: string;
  metrics: MetricComparison[];
  baseline: string;
  candidate: string;
}) {
  return (
    // Focusable, so a table wider than the page can be scrolled from the keyboard.
    <div class="scroll" tabIndex={0} role="region" aria-label={props.caption}>
      <table class="data" id={props.id}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" class="num">
              {props.baseline}
            </th>
            <th scope="col" class="num">
              n
            </th>
            <th scope="col" class="num">
              {props.candidate}
            </th>
            <th scope="col" class="num">
              n
            </th>
            <th scope="col" class="num">
              Change
            </th>
            <th scope="col">Test</th>
            <th scope="col" class="num">
              p
            </th>
            <th scope="col" class="num">
              p (Holm)
            </th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {props.metrics.map((m) => {
            const b = sideText(m, 'baseline');
            const c = sideText(m, 'candidate');
            return (
              <tr key={m.metric} data-metric={m.metric}>
                <th scope="row">
                  {metricName(m.metric)} <span class="muted">({m.better} is better)</span>
                </th>
                <td class="num" data-fig="baseline" data-value={b.value ?? ''}>
                  {b.text}
                  {m.baseline.ci !== null ? (
                    <span class="ci below">
                      {' '}
                      [{b.format(m.baseline.ci.lower)}, {b.format(m.baseline.ci.upper)}]
                    </span>
                  ) : null}
                </td>
                <td class="num" data-fig="baseline.n" data-value={m.baseline.n}>
                  {fmtCount(m.baseline.n)}
                  {m.baseline.total > m.baseline.n ? (
                    <span class="muted"> of {fmtCount(m.baseline.total)}</span>
                  ) : null}
                </td>
                <td class="num" data-fig="candidate" data-value={c.value ?? ''}>
                  {c.text}
                  {m.candidate.ci !== null ? (
                    <span class="ci below">
                      {' '}
                      [{c.format(m.candidate.ci.lower)}, {c.format(m.candidate.ci.upper)}]
                    </span>
                  ) : null}
                </td>
                <td class="num" data-fig="candidate.n" data-value={m.candidate.n}>
                  {fmtCount(m.candidate.n)}
                  {m.candidate.total > m.candidate.n ? (
                    <span class="muted"> of {fmtCount(m.candidate.total)}</span>
                  ) : null}
                </td>
                <td class="num" data-fig="relativeChange" data-value={m.effect.relativeChange ?? ''}>
                  {fmtChange(m.effect.relativeChange)}
                  {m.effect.difference !== null && m.effect.differenceCi !== null ? (
                    // The difference and its interval, as `promptline compare` prints them (one line
                    // each, so the table stays narrow).
                    <>
                      <span class="ci below">{signed(m, b.format, m.effect.difference)}</span>
                      <span class="ci below">
                        [{signed(m, b.format, m.effect.differenceCi.lower)},{' '}
                        {signed(m, b.format, m.effect.differenceCi.upper)}]
                      </span>
                    </>
                  ) : null}
                </td>
                <td>{m.test}</td>
                <td class="num" data-fig="p" data-value={m.p ?? ''}>
                  {fmtP(m.p)}
                </td>
                <td class="num" data-fig="pAdjusted" data-value={m.pAdjusted ?? ''}>
                  {fmtP(m.pAdjusted)}
                </td>
                <td data-fig="verdict" data-value={m.verdict}>
                  <Verdict verdict={m.verdict} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

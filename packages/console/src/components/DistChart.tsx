import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Distribution } from '../api.js';
import { Swatch, versionColors } from './common.js';

/**
 * Two or more versions' distributions on shared bins, drawn as side-by-side bars per bin (share of
 * each version's values, so versions with different traffic compare). Bin edges come from the API.
 */
export function DistChart(props: {
  id: string;
  title: string;
  dist: Distribution;
  /** Stored version numbers (the keys of `dist`). */
  versions: number[];
  /** How each version is shown (`v3`, `2.1.0`), in the order of `versions`. */
  labels: string[];
  format: (v: number) => string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const { dist, versions, labels } = props;
  const colors = versionColors(versions);
  const xs = dist.bins.map((_, i) => i);
  const shares = versions.map((v) => {
    const counts = dist.counts[String(v)] ?? [];
    const n = dist.n[String(v)] ?? 0;
    return counts.map((c) => (n === 0 ? 0 : c / n));
  });
  const binLabel = (i: number): string => {
    const b = dist.bins[i];
    if (b === undefined) return '';
    return b[0] === b[1] ? props.format(b[0]) : props.format((b[0] + b[1]) / 2);
  };

  useEffect(() => {
    const target = host.current;
    if (target === null || xs.length === 0) return;
    const opts: uPlot.Options = {
      width: Math.max(240, target.clientWidth),
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: [-0.5, xs.length - 0.5] },
        y: { range: [0, null] as unknown as uPlot.Range.MinMax },
      },
      series: [
        {},
        ...versions.map((v, i) => ({
          label: labels[i] ?? String(v),
          stroke: colors[i],
          fill: `${colors[i]}99`,
          width: 1,
          // Two versions: bars side by side around each bin; more: overlapping, translucent.
          paths: uPlot.paths.bars!({
            size: [versions.length === 2 ? 0.4 : 0.8, 60],
            align: versions.length === 2 ? (i === 0 ? -1 : 1) : 0,
          }),
          points: { show: false },
        })),
      ],
      axes: [
        {
          stroke: '#444',
          grid: { show: false },
          values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? binLabel(v) : '')),
        },
        {
          stroke: '#444',
          grid: { stroke: '#e6e6e6' },
          values: (_u, vals) => vals.map((v) => `${Math.round(v * 100)}%`),
        },
      ],
    };
    const chart = new uPlot(opts, [xs, ...shares] as uPlot.AlignedData, target);
    const resize = new ResizeObserver(() => {
      const w = Math.max(240, target.clientWidth);
      if (w !== chart.width) chart.setSize({ width: w, height: chart.height });
    });
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [JSON.stringify([dist, versions, labels])]);

  return (
    <figure class="chart" id={props.id} data-chart={props.id}>
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <span class="legend">
          {versions.map((v, i) => (
            <Swatch key={v} color={colors[i] ?? '#333'}>
              {labels[i] ?? String(v)} (n={(dist.n[String(v)] ?? 0).toLocaleString('en-US')})
            </Swatch>
          ))}
        </span>
      </figcaption>
      {xs.length === 0 ? (
        <p class="muted">No values in this window.</p>
      ) : (
        <div
          class="chart-canvas"
          ref={host}
          role="img"
          aria-label={`${props.title}: share of values per bin for ${versions.map((v, i) => labels[i] ?? String(v)).join(' and ')}${dist.scale === 'log' ? ' (log-spaced bins)' : ''}`}
        />
      )}
    </figure>
  );
}

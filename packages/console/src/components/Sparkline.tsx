import type { Sparkpoint } from '../api.js';
import { fmtCount } from '../format.js';

/** Calls per bucket as a small SVG line (no axes), with its summary as the accessible name. */
export function Sparkline(props: { points: Sparkpoint[]; label: string }) {
  const { points } = props;
  const w = 120;
  const h = 28;
  const max = Math.max(1, ...points.map((p) => p.requests));
  const step = points.length > 1 ? w / (points.length - 1) : w;
  const coords = points.map(
    (p, i) => `${(i * step).toFixed(1)},${(h - 2 - (p.requests / max) * (h - 4)).toFixed(1)}`,
  );
  const total = points.reduce((a, p) => a + p.requests, 0);
  return (
    <svg
      class="sparkline"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`${props.label}: ${fmtCount(total)} calls, at most ${fmtCount(max)} per bucket`}
      data-points={points.length}
    >
      <polyline points={coords.join(' ')} fill="none" stroke="#1f5fbf" stroke-width="1.5" />
    </svg>
  );
}

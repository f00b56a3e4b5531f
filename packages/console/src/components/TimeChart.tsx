import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtAxisTimes, fmtTimeSeconds, versionLabel } from '../format.js';
import type { VersionRef } from '../format.js';
import { Swatch } from './common.js';

export interface ChartSeries {
  label: string;
  color: string;
  /** One value per x; `null` = no data in that bucket. */
  values: Array<number | null>;
  dash?: number[];
}

/** A label move drawn on a chart. */
export interface Marker {
  /** Seconds since the epoch. */
  t: number;
  /** Short text, e.g. `production → v2`. */
  title: string;
  /** Who and when, shown on hover and focus. */
  detail: string;
  /** `registry` (a move in the prompt registry) or `spans` (first seen in traffic). */
  source: 'registry' | 'spans';
}

/** Positions of the marker flags, in CSS pixels inside the chart box. */
interface Placed {
  marker: Marker;
  left: number;
  top: number;
  height: number;
}

/**
 * A time series chart (uPlot on a canvas) with one line per series, a static legend and label-move
 * markers: a dashed line on the canvas and a focusable flag whose tooltip says who moved what, when.
 */
export function TimeChart(props: {
  id: string;
  title: string;
  /** Bucket starts, seconds since the epoch. */
  x: number[];
  series: ChartSeries[];
  /** Visible x range (seconds). */
  range: [number, number];
  markers?: Marker[];
  yFormat: (v: number) => string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const [placed, setPlaced] = useState<Placed[]>([]);
  const markers = (props.markers ?? []).filter((m) => m.t >= props.range[0] && m.t <= props.range[1]);

  useEffect(() => {
    const target = host.current;
    const outer = box.current;
    if (target === null || outer === null) return;
    const place = (u: uPlot): void => {
      const over = u.over.getBoundingClientRect();
      const base = outer.getBoundingClientRect();
      setPlaced(
        markers.map((marker) => ({
          marker,
          left: over.left - base.left + u.valToPos(marker.t, 'x'),
          // Registry flags along the top, traffic flags along the bottom: a move usually shows in
          // both within seconds, and the two must not cover each other.
          top: over.top - base.top + (marker.source === 'spans' ? over.height - 12 : 0),
          height: over.height,
        })),
      );
    };
    let ticks: Array<[number, string]> = [];
    const opts: uPlot.Options = {
      width: Math.max(240, target.clientWidth),
      height: props.height ?? 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => props.range } },
      // Ticks fall on UTC hours and days, and read in UTC, whatever the browser's time zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          spanGaps: false,
          points: { show: props.x.length < 60, size: 4 },
          ...(s.dash === undefined ? {} : { dash: s.dash }),
        })),
      ],
      axes: [
        {
          stroke: '#444',
          grid: { stroke: '#e6e6e6' },
          space: 70,
          values: (_u, splits) => {
            const labels = fmtAxisTimes(splits, props.range[1] - props.range[0]);
            ticks = splits.map((t, i) => [t, labels[i] ?? '']);
            return labels;
          },
        },
        {
          stroke: '#444',
          grid: { stroke: '#e6e6e6' },
          size: 64,
          values: (_u, vals) => vals.map((v) => props.yFormat(v)),
        },
      ],
      hooks: {
        draw: [
          (u) => {
            const { ctx } = u;
            ctx.save();
            ctx.setLineDash([4, 4]);
            ctx.lineWidth = Math.max(1, devicePixelRatio);
            for (const m of markers) {
              const cx = Math.round(u.valToPos(m.t, 'x', true));
              ctx.strokeStyle = m.source === 'registry' ? '#7e22ce' : '#b45309';
              ctx.beginPath();
              ctx.moveTo(cx, u.bbox.top);
              ctx.lineTo(cx, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
            // The time axis's ticks as drawn, for tests and tools (the canvas holds no text).
            target.dataset.xTicks = JSON.stringify(ticks);
            place(u);
          },
        ],
      },
    };
    const chart = new uPlot(
      opts,
      [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      target,
    );
    const resize = new ResizeObserver(() => {
      const w = Math.max(240, target.clientWidth);
      if (w !== chart.width) chart.setSize({ width: w, height: chart.height });
    });
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
    // The chart is rebuilt when its data changes (the key names the data).
  }, [JSON.stringify([props.x, props.series, props.range, markers])]);

  const empty = props.series.every((s) => s.values.every((v) => v === null));
  return (
    <figure class="chart" id={props.id} data-chart={props.id}>
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <span class="legend">
          {props.series.map((s) => (
            <Swatch key={s.label} color={s.color}>
              {s.label}
            </Swatch>
          ))}
        </span>
      </figcaption>
      <div class="chart-box" ref={box}>
        <div
          class="chart-canvas"
          ref={host}
          role="img"
          aria-label={`${props.title}: ${props.series.map((s) => s.label).join(', ')}${empty ? ' (no data)' : ''}`}
        />
        {placed.map((p, i) => (
          <button
            type="button"
            key={`${p.marker.source}-${p.marker.t}-${i}`}
            class={`marker marker-${p.marker.source}`}
            data-testid="label-move"
            data-source={p.marker.source}
            data-t={p.marker.t}
            aria-label={`${p.marker.title}: ${p.marker.detail}`}
            ref={(el) => {
              if (el !== null) {
                el.style.left = `${p.left}px`;
                el.style.top = `${p.top}px`;
              }
            }}
          >
            <span class="marker-flag" aria-hidden="true">
              ◆
            </span>
            <span class="tip" role="tooltip">
              <strong>{p.marker.title}</strong>
              <br />
              {p.marker.detail}
            </span>
          </button>
        ))}
      </div>
    </figure>
  );
}

/** Label moves as markers: registry moves (who, when; whole-number versions) and moves first seen in spans. */
export function markerText(
  kind: 'registry',
  m: { label: string; version: number; previousVersion: number | null; actor: string; movedAt: string },
): Marker;
export function markerText(
  kind: 'spans',
  m: VersionRef & { label: string; environment: string; firstSeen: string; from?: VersionRef },
): Marker;
export function markerText(kind: 'registry' | 'spans', move: object): Marker {
  const m = move as Record<string, unknown>;
  if (kind === 'registry') {
    const movedAt = String(m.movedAt);
    const previous = m.previousVersion as number | null;
    return {
      t: Date.parse(movedAt) / 1000,
      title: `${String(m.label)} → ${versionLabel({ version: m.version as number })}${previous === null ? '' : ` (was ${versionLabel({ version: previous })})`}`,
      detail: `moved in the registry by ${String(m.actor)} at ${fmtTimeSeconds(movedAt)}`,
      source: 'registry',
    };
  }
  const firstSeen = String(m.firstSeen);
  const from = m.from as VersionRef | undefined;
  return {
    t: Date.parse(firstSeen) / 1000,
    title: `${String(m.label)} → ${versionLabel(move as VersionRef)}${from === undefined ? '' : ` (was ${versionLabel(from)})`}`,
    detail: `first served in spans${m.environment === '' ? '' : ` (${String(m.environment)})`} at ${fmtTimeSeconds(firstSeen)}`,
    source: 'spans',
  };
}

import type { ComponentChildren } from 'preact';
import type { Async } from '../useAsync.js';
import { Unauthorized } from '../api.js';
import type { Interval } from '../api.js';

/** Shows loading / error states of an async value, or renders `children(data)`. */
export function Loaded<T>(props: {
  state: Async<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  const { state } = props;
  if (state.error !== undefined) {
    if (state.error instanceof Unauthorized) return null;
    return (
      <p class="error" role="alert">
        Could not load {props.what}: {state.error.message}
      </p>
    );
  }
  if (state.data === undefined)
    return (
      <p class="muted" aria-live="polite">
        Loading {props.what}…
      </p>
    );
  return <>{props.children(state.data)}</>;
}

/** An empty state: what is missing and what to do next. */
export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children}
    </div>
  );
}

/** A table cell holding a figure: the shown text, the exact value for tests and tools, and its interval. */
export function Fig(props: {
  value: number | null | undefined;
  text: string;
  name?: string;
  interval?: Interval | undefined;
  n?: number | undefined;
  format?: (v: number) => string;
}) {
  const { interval, format } = props;
  return (
    <td class="num" data-value={props.value ?? ''} data-fig={props.name}>
      {props.text}
      {interval !== undefined && format !== undefined ? (
        <span class="ci" data-ci-low={interval.lower} data-ci-high={interval.upper}>
          {' '}
          [{format(interval.lower)}, {format(interval.upper)}]
        </span>
      ) : null}
      {props.n !== undefined ? <span class="n"> n={props.n.toLocaleString('en-US')}</span> : null}
    </td>
  );
}

/** Small label badge. */
export function Chip(props: { children: ComponentChildren; kind?: string }) {
  return <span class={`chip ${props.kind ?? ''}`}>{props.children}</span>;
}

/** Verdict badge of a comparison. */
export function Verdict(props: { verdict: string }) {
  const kind =
    props.verdict === 'worse'
      ? 'bad'
      : props.verdict === 'better'
        ? 'good'
        : props.verdict === 'insufficient data'
          ? 'muted'
          : 'neutral';
  return <span class={`chip verdict ${kind}`}>{props.verdict}</span>;
}

/** One colour per version (stable by version number). */
const PALETTE = ['#1f5fbf', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d'];
export function versionColor(version: number): string {
  return PALETTE[(version - 1) % PALETTE.length] ?? '#333';
}

/**
 * Colours of versions drawn together: each its {@link versionColor}, unless a version before it in
 * the list has it already (named versions' ids can share one), then the next colour not yet taken.
 */
export function versionColors(versions: readonly number[]): string[] {
  const taken = new Set<string>();
  return versions.map((v) => {
    let i = (((v - 1) % PALETTE.length) + PALETTE.length) % PALETTE.length;
    for (let step = 0; step < PALETTE.length && taken.has(PALETTE[i]!); step++) i = (i + 1) % PALETTE.length;
    const color = PALETTE[i] ?? '#333';
    taken.add(color);
    return color;
  });
}

/** Colour swatch + text, for legends. */
export function Swatch(props: { color: string; children: ComponentChildren }) {
  return (
    <span class="swatch-item">
      <svg class="swatch" width="12" height="12" aria-hidden="true">
        <rect width="12" height="12" fill={props.color} />
      </svg>
      {props.children}
    </span>
  );
}

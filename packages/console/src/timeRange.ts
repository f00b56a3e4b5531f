/** The time range of a view, from its URL (`range=24h`, or `range=custom&from=…&to=…`). */

export interface RangeChoice {
  id: string;
  label: string;
  ms: number;
}

export const RANGES: readonly RangeChoice[] = [
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];

export interface TimeWindow {
  /** `1h` … `30d` or `custom`. */
  id: string;
  from: string;
  to: string;
  /** Chart bucket in seconds: minutes for short ranges, whole hours (read from the aggregates) beyond. */
  intervalSeconds: number;
}

/** A chart bucket that gives a readable number of points for a window of `ms`. */
export function intervalFor(ms: number): number {
  if (ms <= 3_600_000) return 60;
  if (ms <= 6 * 3_600_000) return 300;
  if (ms <= 2 * 86_400_000) return 3600;
  if (ms <= 14 * 86_400_000) return 6 * 3600;
  return 86_400;
}

/**
 * Where a relative range of `ms` ends, at `now`: at the next whole hour when its chart buckets are
 * whole hours (24 h and more: the window is then whole hours, read from the aggregates alone, with
 * no raw edges, and its first and last buckets are whole), else at the next whole minute. Either way
 * every request of one view asks for the same window, and the window holds everything up to now.
 */
export function rangeEnd(ms: number, now: number): number {
  const unit = intervalFor(ms) % 3600 === 0 ? 3_600_000 : 60_000;
  return Math.ceil(now / unit) * unit;
}

/**
 * The window for `query` at `now`: relative ranges end at {@link rangeEnd} (so the URL's range can
 * be shared); `custom` takes `from` and `to` as given.
 */
export function resolveWindow(query: URLSearchParams, fallback = '24h', now = Date.now()): TimeWindow {
  const id = query.get('range') ?? fallback;
  if (id === 'custom') {
    const from = Date.parse(query.get('from') ?? '');
    const to = Date.parse(query.get('to') ?? '');
    if (Number.isFinite(from) && Number.isFinite(to) && to > from) {
      return {
        id,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        intervalSeconds: intervalFor(to - from),
      };
    }
  }
  const choice = RANGES.find((r) => r.id === id) ?? RANGES.find((r) => r.id === fallback) ?? RANGES[2]!;
  const to = rangeEnd(choice.ms, now);
  return {
    id: choice.id,
    from: new Date(to - choice.ms).toISOString(),
    to: new Date(to).toISOString(),
    intervalSeconds: intervalFor(choice.ms),
  };
}

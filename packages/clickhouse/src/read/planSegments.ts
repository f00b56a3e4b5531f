/** Where a piece of a window is read from: raw generations, hourly or daily aggregate rows. */
export type Source = 'raw' | '1h' | '1d';

/** One piece `[from, to)` of a window (epoch ms) and where it is read from. */
export interface Segment {
  source: Source;
  from: number;
  to: number;
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * Splits `[from, to)` into the coarsest exact pieces: whole days and whole hours (aggregate rows)
 * and the sub-hour edges (raw generations).
 */
export function planSegments(from: number, to: number): Segment[] {
  if (!(to > from)) return [];
  const h1 = Math.ceil(from / HOUR) * HOUR;
  const h2 = Math.floor(to / HOUR) * HOUR;
  if (h1 >= h2) return [{ source: 'raw', from, to }];
  const out: Segment[] = [];
  if (from < h1) out.push({ source: 'raw', from, to: h1 });
  const d1 = Math.ceil(h1 / DAY) * DAY;
  const d2 = Math.floor(h2 / DAY) * DAY;
  if (d1 < d2) {
    if (h1 < d1) out.push({ source: '1h', from: h1, to: d1 });
    out.push({ source: '1d', from: d1, to: d2 });
    if (d2 < h2) out.push({ source: '1h', from: d2, to: h2 });
  } else {
    out.push({ source: '1h', from: h1, to: h2 });
  }
  if (h2 < to) out.push({ source: 'raw', from: h2, to });
  return out;
}

import { describe, expect, it } from 'vitest';
import { rangeEnd, resolveWindow } from '../src/timeRange.js';

const HOUR = 3_600_000;
const at = (iso: string): number => Date.parse(iso);
const windowOf = (range: string, now: number) => resolveWindow(new URLSearchParams({ range }), '24h', now);

describe('the time range of a view', () => {
  it('ends a range of a day or more at the next whole hour: whole hours, everything up to now', () => {
    const now = at('2026-12-07T10:40:12.345Z');
    for (const [range, ms, interval] of [
      ['24h', 24 * HOUR, 3600],
      ['7d', 7 * 24 * HOUR, 6 * 3600],
      ['30d', 30 * 24 * HOUR, 86_400],
    ] as const) {
      const w = windowOf(range, now);
      expect(w.to).toBe('2026-12-07T11:00:00.000Z');
      expect(Date.parse(w.to) - Date.parse(w.from)).toBe(ms);
      expect(Date.parse(w.from) % HOUR).toBe(0);
      expect(w.intervalSeconds).toBe(interval);
    }
    // On the hour, the window ends there (it still holds now's data: the window is [from, to)).
    expect(rangeEnd(24 * HOUR, at('2026-12-07T11:00:00.000Z'))).toBe(at('2026-12-07T11:00:00.000Z'));
    expect(rangeEnd(24 * HOUR, at('2026-12-07T11:00:00.001Z'))).toBe(at('2026-12-07T12:00:00.000Z'));
  });

  it('ends shorter ranges at the next whole minute', () => {
    const now = at('2026-12-07T10:40:12.345Z');
    expect(windowOf('1h', now)).toEqual({
      id: '1h',
      from: '2026-12-07T09:41:00.000Z',
      to: '2026-12-07T10:41:00.000Z',
      intervalSeconds: 60,
    });
    expect(windowOf('6h', now).to).toBe('2026-12-07T10:41:00.000Z');
  });

  it('takes a custom range as given, and falls back to the default range for an unknown one', () => {
    const q = new URLSearchParams({
      range: 'custom',
      from: '2026-12-01T00:17:00Z',
      to: '2026-12-02T05:43:00Z',
    });
    expect(resolveWindow(q, '24h', at('2026-12-07T10:40:00Z'))).toMatchObject({
      from: '2026-12-01T00:17:00.000Z',
      to: '2026-12-02T05:43:00.000Z',
    });
    expect(windowOf('2w', at('2026-12-07T10:40:00Z'))).toMatchObject({
      id: '24h',
      to: '2026-12-07T11:00:00.000Z',
    });
  });
});

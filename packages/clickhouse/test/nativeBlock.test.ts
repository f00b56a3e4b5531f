import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTraceBlock, insertLogs, insertNative, insertTraces, migrate } from '../src/index.js';
import { validateLogRow, validateTraceRow } from '../src/write/insert.js';
import type { AttributeMap, LogRow, TraceRow } from '../src/index.js';
import { timestampNanos } from '../src/write/nativeBlock.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { logRow, traceRow } from '../../../test/kit/rows.js';

/** Any text, including multi-byte UTF-8 (emoji are surrogate pairs in JS), control characters and long values. */
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 100, maxLength: 400 }),
  fc.string({ unit: 'binary-ascii', minLength: 100, maxLength: 300 }),
);
const attrs: fc.Arbitrary<AttributeMap> = fc
  .array(fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), text), { maxLength: 8 })
  .map((pairs) => Object.fromEntries(pairs));
/** 1900-01-01 .. 2262-04-11 in nanoseconds, as the two accepted text forms. */
const nanos = fc.bigInt({ min: -2208988800n * 1_000_000_000n, max: 9223372036854775807n });
function timestampText(ns: bigint, iso: boolean): string {
  const seconds = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  const frac = ns - seconds * 1_000_000_000n;
  const d = new Date(Number(seconds) * 1000).toISOString();
  const f = String(frac).padStart(9, '0');
  return iso ? `${d.slice(0, 19)}.${f}Z` : `${d.slice(0, 10)} ${d.slice(11, 19)}.${f}`;
}
const timestamp = fc.tuple(nanos, fc.boolean()).map(([ns, iso]) => ({ ns, text: timestampText(ns, iso) }));
const hex = (n: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((c) => c.join(''));

const spanArbitrary = fc
  .record({
    ts: timestamp,
    traceId: hex(32),
    spanId: hex(16),
    name: text,
    service: text,
    resource: attrs,
    attributes: attrs,
    duration: fc.oneof(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.bigInt({ min: 0n, max: 18446744073709551615n }).map(String),
    ),
    status: fc.constantFrom('Unset' as const, 'Ok' as const, 'Error' as const),
    message: text,
    events: fc.array(fc.record({ ts: timestamp, name: text, attributes: attrs }), { maxLength: 3 }),
    links: fc.array(fc.record({ traceId: hex(32), spanId: hex(16), state: text, attributes: attrs }), {
      maxLength: 2,
    }),
  })
  .map((r) => ({
    nanos: [r.ts.ns, ...r.events.map((e) => e.ts.ns)],
    row: traceRow({
      Timestamp: r.ts.text,
      TraceId: r.traceId,
      SpanId: r.spanId,
      SpanName: r.name,
      ServiceName: r.service,
      ResourceAttributes: r.resource,
      SpanAttributes: r.attributes,
      Duration: r.duration,
      StatusCode: r.status,
      StatusMessage: r.message,
      'Events.Timestamp': r.events.map((e) => e.ts.text),
      'Events.Name': r.events.map((e) => e.name),
      'Events.Attributes': r.events.map((e) => e.attributes),
      'Links.TraceId': r.links.map((l) => l.traceId),
      'Links.SpanId': r.links.map((l) => l.spanId),
      'Links.TraceState': r.links.map((l) => l.state),
      'Links.Attributes': r.links.map((l) => l.attributes),
    }),
  }));

/** A span as read back: times as nanosecond counts, the duration as text. */
type StoredSpan = Omit<
  TraceRow,
  | 'Timestamp'
  | 'Duration'
  | 'Events.Timestamp'
  | 'ParentSpanId'
  | 'TraceState'
  | 'SpanKind'
  | 'ScopeName'
  | 'ScopeVersion'
> & { i: number; ns: string; event_ns: string[]; Duration: string };

describe('Native blocks', () => {
  it('store every value of any row exactly as given (strings, maps, 64-bit durations, nanosecond times)', async () => {
    const e = tempEngine();
    try {
      await migrate(e.client);
      const samples = fc.sample(fc.array(spanArbitrary, { minLength: 1, maxLength: 40 }), {
        numRuns: 25,
        seed: 7,
      });
      let batch = 0;
      for (const sample of samples) {
        batch++;
        // Each batch gets its own scope name so the read-back finds it; insertTraces validates too.
        const given = sample.map((s, i) => ({
          ...s,
          row: { ...s.row, ScopeName: `b${batch}`, ScopeVersion: String(i) },
        }));
        await insertTraces(
          e.client,
          given.map((g) => g.row),
          { dedupToken: `native-${batch}` },
        );
        const got = await queryRows<StoredSpan>(
          e.client,
          `SELECT toUInt32(ScopeVersion) AS i, toString(toUnixTimestamp64Nano(Timestamp)) AS ns,
                  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS event_ns,
                  SpanName, ServiceName, ResourceAttributes, SpanAttributes, toString(Duration) AS Duration,
                  StatusCode, StatusMessage, TraceId, SpanId, Events.Name, Events.Attributes,
                  Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes
           FROM otel_traces WHERE ScopeName = {scope:String} ORDER BY i`,
          { scope: `b${batch}` },
        );
        expect(got).toHaveLength(given.length);
        for (const [i, g] of given.entries()) {
          const r = g.row;
          expect(got[i]).toEqual({
            i,
            ns: String(g.nanos[0]),
            event_ns: g.nanos.slice(1).map(String),
            SpanName: r.SpanName,
            ServiceName: r.ServiceName,
            ResourceAttributes: r.ResourceAttributes,
            SpanAttributes: r.SpanAttributes,
            Duration: String(r.Duration),
            StatusCode: r.StatusCode,
            StatusMessage: r.StatusMessage,
            TraceId: r.TraceId,
            SpanId: r.SpanId,
            'Events.Name': r['Events.Name'],
            'Events.Attributes': r['Events.Attributes'],
            'Links.TraceId': r['Links.TraceId'],
            'Links.SpanId': r['Links.SpanId'],
            'Links.TraceState': r['Links.TraceState'],
            'Links.Attributes': r['Links.Attributes'],
          });
        }
      }
    } finally {
      await e.close();
    }
  });

  it('blocks written back to back are one insert: one part per table, and a replay with the token is a no-op', async () => {
    const e = tempEngine();
    try {
      await migrate(e.client);
      const blocks = Array.from({ length: 5 }, () =>
        encodeTraceBlock(
          Array.from({ length: 7 }, () =>
            traceRow({
              SpanAttributes: {
                'gen_ai.operation.name': 'chat',
                'gen_ai.prompt.name': 'p',
                'promptline.prompt.version': '2',
                'gen_ai.request.model': 'gpt-4o-mini',
              },
            }),
          ),
        ),
      );
      const body = Buffer.concat(blocks);
      await insertNative(e.client, 'otel_traces', body, { dedupToken: 'five-blocks' });
      await insertNative(e.client, 'otel_traces', body, { dedupToken: 'five-blocks' });
      const parts = await queryRows<{ table: string; parts: string; rows: string }>(
        e.client,
        `SELECT table, count() AS parts, sum(rows) AS rows FROM system.parts
         WHERE database = currentDatabase() AND active AND table IN ('otel_traces', 'promptline_generations')
         GROUP BY table ORDER BY table`,
      );
      expect(parts.map((p) => [p.table, Number(p.parts), Number(p.rows)])).toEqual([
        ['otel_traces', 1, 35],
        ['promptline_generations', 1, 35],
      ]);
    } finally {
      await e.close();
    }
  });

  it('log rows: every column, and the table computes TimestampTime', async () => {
    const e = tempEngine();
    try {
      await migrate(e.client);
      const given: LogRow[] = [
        logRow({
          Timestamp: '2026-11-02T03:04:05.000000001Z',
          TraceFlags: 255,
          SeverityNumber: 24,
          SeverityText: 'FATAL4',
          Body: 'é\u0000"x"',
          EventName: 'e',
          ScopeVersion: '1.2',
          ScopeAttributes: { s: 'v' },
          LogAttributes: { 'k.é': '🙂' },
        }),
        logRow({ Timestamp: '1900-01-01 00:00:00', TraceFlags: 0, SeverityNumber: 0 }),
      ];
      await insertLogs(e.client, given);
      const got = await queryRows<Record<string, unknown>>(
        e.client,
        `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ns, toString(TimestampTime) AS tt, TraceFlags, SeverityText,
                SeverityNumber, Body, ScopeVersion, ScopeAttributes, LogAttributes, EventName
         FROM otel_logs ORDER BY Timestamp DESC`,
      );
      expect(got).toEqual([
        {
          ns: '1793588645000000001',
          tt: '2026-11-02 03:04:05',
          TraceFlags: 255,
          SeverityText: 'FATAL4',
          SeverityNumber: 24,
          Body: 'é\u0000"x"',
          ScopeVersion: '1.2',
          ScopeAttributes: { s: 'v' },
          LogAttributes: { 'k.é': '🙂' },
          EventName: 'e',
        },
        expect.objectContaining({ ns: '-2208988800000000000', TraceFlags: 0, SeverityNumber: 0 }),
      ]);
    } finally {
      await e.close();
    }
  });

  it('reads many timestamps of one day exactly (the day is cached), and a bad one on that day still fails', () => {
    fc.assert(
      fc.property(
        nanos,
        fc.array(fc.integer({ min: 0, max: 86_399_999_999_999 }), { minLength: 1, maxLength: 20 }),
        (start, offsets) => {
          const dayStart =
            start - (((start % 86_400_000_000_000n) + 86_400_000_000_000n) % 86_400_000_000_000n);
          for (const off of offsets) {
            const ns = dayStart + BigInt(off);
            if (ns > 9223372036854775807n) continue;
            expect(timestampNanos(timestampText(ns, false))).toBe(ns);
          }
          const day = timestampText(dayStart, false).slice(0, 11);
          for (const bad of [
            '24:00:00.000000000',
            '23:60:00.000000000',
            '23:00:60.000000000',
            '2x:00:00.000000000',
            '23:00:00.00000000x',
            '23-00:00.000000000',
          ])
            expect(timestampNanos(day + bad), day + bad).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the two timestamp forms to the nanosecond and refuses anything else, naming row and field', () => {
    expect(timestampNanos('1970-01-01 00:00:00')).toBe(0n);
    expect(timestampNanos('2026-11-21 10:00:00.5')).toBe(1795255200500000000n);
    expect(timestampNanos('2026-11-21T10:00:00.000000001Z')).toBe(1795255200000000001n);
    expect(timestampNanos('2262-04-11 23:47:16.854775807')).toBe(9223372036854775807n);
    for (const bad of [
      '',
      '2026-11-21',
      '2026-02-30 00:00:00',
      '2026-13-01 00:00:00',
      '2026-11-21 24:00:00',
      '2026-11-21 10:00:00.0000000001',
      '2026-11-21 10:00:00+02:00',
      '1899-12-31 23:59:59',
      '2262-04-11 23:47:16.854775808',
    ])
      expect(timestampNanos(bad), bad).toBeUndefined();
    expect(() => validateTraceRow(traceRow({ Timestamp: '2026-02-30 00:00:00' }), 3)).toThrow(
      /trace row 3: Timestamp "2026-02-30 00:00:00" is invalid/,
    );
    expect(() =>
      validateTraceRow(
        traceRow({ 'Events.Timestamp': ['x'], 'Events.Name': ['n'], 'Events.Attributes': [{}] }),
        0,
      ),
    ).toThrow(/Events\.Timestamp "x" is invalid/);
    expect(() => validateTraceRow(traceRow({ 'Events.Name': ['n'] }), 1)).toThrow(
      /trace row 1: Events\.\* \[0,1,0\] is invalid \(expected arrays of one length\)/,
    );
    expect(() => validateTraceRow(traceRow({ 'Links.SpanId': ['0000000000000001'] }), 1)).toThrow(
      /Links\.\*/,
    );
    expect(() => validateTraceRow(traceRow({ Duration: '18446744073709551616' }), 2)).toThrow(
      /Duration "18446744073709551616" is invalid/,
    );
    expect(() => validateLogRow(logRow({ TraceFlags: 256 }), 4)).toThrow(
      /log row 4: TraceFlags 256 is invalid \(expected 0\.\.255\)/,
    );
    expect(() => encodeTraceBlock([traceRow({ Timestamp: 'soon' })])).toThrow(/timestamp "soon" is invalid/);
    expect(encodeTraceBlock([]).length).toBe(0);
  });
});

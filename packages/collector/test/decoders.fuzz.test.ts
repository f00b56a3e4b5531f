import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { OtlpDecodeError } from '../src/otlp/OtlpDecodeError.js';
import { decodeLogsJson, decodeTracesJson, quoteLongIntegers } from '../src/otlp/otlpJsonDecoder.js';
import { decodeLogsProto } from '../src/otlp/proto/decodeLogsProto.js';
import { decodeTracesProto } from '../src/otlp/proto/decodeTracesProto.js';
import { formatDouble, nanosToTimestamp } from '../src/otlp/values.js';
import type { AnyValue } from './otlpWire.js';
import { captureExporterPayload, encodeRequest, encodeSpan } from './otlpWire.js';

/** Decoding either succeeds or throws OtlpDecodeError: never another exception, never a hang. */
function decodesOrRejects(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof OtlpDecodeError) return true;
    throw e;
  }
}

const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ v: AnyValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string().map((s) => ({ s })),
    fc.boolean().map((b) => ({ b })),
    fc.integer().map((i) => ({ i })),
    fc.double({ noNaN: true }).map((d) => ({ d })),
    fc.uint8Array({ maxLength: 8 }).map((bytes) => ({ bytes })),
    fc.array(tie('v'), { maxLength: 3 }).map((arr) => ({ arr })),
    fc.array(fc.tuple(fc.string({ maxLength: 5 }), tie('v')), { maxLength: 3 }).map((kv) => ({ kv })),
  ),
})).v;

/** What the exporter stores for a value (the reference the decoder must match). */
function expected(v: AnyValue, nested = false): string {
  if ('s' in v) return nested ? JSON.stringify(v.s) : v.s;
  if ('b' in v) return String(v.b);
  if ('i' in v) return String(v.i);
  // Nested non-finite doubles are JSON strings (`["-Inf"]`), so an array or map stays valid JSON.
  if ('d' in v)
    return nested && !Number.isFinite(v.d) ? JSON.stringify(formatDouble(v.d)) : formatDouble(v.d);
  if ('bytes' in v)
    return nested
      ? JSON.stringify(Buffer.from(v.bytes).toString('base64'))
      : Buffer.from(v.bytes).toString('base64');
  if ('arr' in v) return `[${v.arr.map((x) => expected(x, true)).join(',')}]`;
  return `{${v.kv.map(([k, x]) => `${JSON.stringify(k)}:${expected(x, true)}`).join(',')}}`;
}

describe('decoder properties (fast-check)', () => {
  let real: Buffer;
  beforeAll(async () => {
    real = await captureExporterPayload(5);
  });

  it('mutated real exporter payloads decode or are rejected with OtlpDecodeError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (flips, cut) => {
          const buf = Buffer.from(real);
          for (const [at, value] of flips) buf[at % buf.length] = value;
          const body = buf.subarray(0, buf.length - (cut % 4));
          return (
            decodesOrRejects(() => decodeTracesProto(body)) && decodesOrRejects(() => decodeLogsProto(body))
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes decode or are rejected with OtlpDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        return decodesOrRejects(() => decodeTracesProto(b)) && decodesOrRejects(() => decodeLogsProto(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary JSON documents decode or are rejected with OtlpDecodeError', () => {
    const doc = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((v) => ({
        resourceSpans: [{ scopeSpans: [{ spans: [v] }] }],
        resourceLogs: [{ scopeLogs: [{ logRecords: [v] }] }],
      })),
      fc
        .jsonValue()
        .map((v) => ({ resourceSpans: [{ resource: { attributes: [{ key: 'k', value: v }] } }] })),
    );
    fc.assert(
      fc.property(doc, (d) => {
        const b = Buffer.from(JSON.stringify(d));
        return decodesOrRejects(() => decodeTracesJson(b)) && decodesOrRejects(() => decodeLogsJson(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('attribute values round-trip to the exporter string form', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), anyValue), { maxLength: 6 }),
        fc.string(),
        fc.bigInt({ min: 0n, max: 7_000_000_000n * 1_000_000_000n }),
        (attrs, name, start) => {
          const span = encodeSpan({
            traceId: new Uint8Array(16).fill(0xab),
            spanId: new Uint8Array(8).fill(0xcd),
            name,
            startNs: start,
            endNs: start + 1234n,
            attributes: attrs,
          });
          const { rows } = decodeTracesProto(Buffer.from(encodeRequest([span])));
          expect(rows).toHaveLength(1);
          const row = rows[0]!;
          const want = new Map<string, string>();
          for (const [k, v] of attrs) want.set(k, expected(v));
          expect(new Map(Object.entries(row.SpanAttributes))).toEqual(want);
          expect(row.SpanName).toBe(name);
          expect(row.Duration).toBe(start === 0n ? 0 : 1234);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('nanosecond timestamps are exact over the whole 64-bit range used by real clocks', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 7_000_000_000n * 1_000_000_000n }), (ns) => {
        const text = nanosToTimestamp(Number(ns >> 32n), Number(ns & 0xffffffffn));
        const seconds = ns / 1_000_000_000n;
        const iso = new Date(Number(seconds) * 1000).toISOString();
        return (
          text ===
          `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('log bodies and attributes decode to the exporter string form', () => {
    const { rows } = decodeLogsJson(
      Buffer.from(
        JSON.stringify({
          resourceLogs: [
            {
              scopeLogs: [
                {
                  logRecords: [
                    {
                      body: { stringValue: 'a "quoted"\n\u0001 body' },
                      attributes: [{ key: 'x', value: { doubleValue: 1e-7 } }],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    const parsed = rows[0]!;
    expect(parsed.Body).toBe('a "quoted"\n\u0001 body');
    expect(parsed.LogAttributes).toEqual({ x: '0.0000001' });
    const named = decodeLogsJson(
      Buffer.from(
        JSON.stringify({
          resourceLogs: [
            {
              scopeLogs: [
                { logRecords: [{ severityNumber: 'SEVERITY_NUMBER_WARN' }, { severityNumber: 17 }] },
              ],
            },
          ],
        }),
      ),
    );
    expect(named.rows.map((r) => r.SeverityNumber)).toEqual([13, 17]);
  });

  it('64-bit integers are exact whether sent as JSON strings or as JSON numbers above 2^53', () => {
    // Raw text: JSON.stringify cannot write these numbers exactly, which is the point.
    const span = (start: string, end: string, big: string): string =>
      `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"s",` +
      `"startTimeUnixNano":${start},"endTimeUnixNano":${end},` +
      `"attributes":[{"key":"n","value":{"intValue":${big}}},{"key":"d","value":{"doubleValue":1e300}},` +
      `{"key":"t","value":{"stringValue":"12345678901234567890 stays text"}}]}`;
    const body = (spans: string[]): Buffer =>
      Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${spans.join(',')}]}]}]}`);
    const { rows } = decodeTracesJson(
      body([
        span('"1700000000000000001"', '"1700000000000000003"', '"9007199254740993"'),
        span('1700000000000000001', '1700000000000000003', '9007199254740993'),
        span('1700000000000000001', '1700000000000000003', '-9223372036854775808'),
      ]),
    );
    expect(rows.map((r) => [r.Timestamp, r.Duration, r.SpanAttributes.n])).toEqual([
      ['2023-11-14 22:13:20.000000001', 2, '9007199254740993'],
      ['2023-11-14 22:13:20.000000001', 2, '9007199254740993'],
      ['2023-11-14 22:13:20.000000001', 2, '-9223372036854775808'],
    ]);
    expect(rows[1]!.SpanAttributes.d).toBe(formatDouble(1e300));
    expect(rows[1]!.SpanAttributes.t).toBe('12345678901234567890 stays text');
    // Beyond int64 is still refused, naming the field.
    expect(() => decodeTracesJson(body([span('1', '2', '9223372036854775808')]))).toThrow(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value.*64-bit integer/,
    );
  });

  it('quoteLongIntegers changes nothing but integer literals of 16+ digits', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        const text = JSON.stringify(doc);
        const parsed: unknown = JSON.parse(quoteLongIntegers(text));
        const reference: unknown = JSON.parse(text, (_k, v: unknown) =>
          typeof v === 'number' &&
          Number.isInteger(v) &&
          Math.abs(v) >= 1e15 &&
          /^-?[1-9]\d{15,}$/.test(String(v))
            ? String(v)
            : v,
        );
        expect(parsed).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * Value formatting shared by the protobuf and JSON decoders: the string forms the upstream
 * ClickHouse exporter stores (attribute maps are `Map(String, String)`), span kinds and status codes
 * as the exporter names them, and nanosecond timestamps as exact decimal seconds.
 */
import { SPAN_KIND_TEXT, STATUS_CODE_TEXT } from '@promptline/clickhouse';
import type { AttributeMap, SpanKindText, StatusCodeText } from './rowTypes.js';

/** `SpanKind` enum → the exporter's `SpanKind` column value. */
export const SPAN_KIND_NAMES: readonly SpanKindText[] = SPAN_KIND_TEXT;

/** `Status.code` enum → the exporter's `StatusCode` column value. */
export const STATUS_CODE_NAMES: readonly StatusCodeText[] = STATUS_CODE_TEXT;

const SPAN_KIND_BY_NAME: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_BY_NAME: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

export function spanKindName(kind: number): SpanKindText {
  return SPAN_KIND_NAMES[kind] ?? 'Unspecified';
}

export function statusCodeName(code: number): StatusCodeText {
  return STATUS_CODE_NAMES[code] ?? 'Unset';
}

/** Enum given by name in OTLP/JSON (protobuf JSON mapping allows it), or `undefined`. */
export function spanKindFromName(name: string): number | undefined {
  return SPAN_KIND_BY_NAME[name];
}

export function statusCodeFromName(name: string): number | undefined {
  return STATUS_CODE_BY_NAME[name];
}

const TWO_32 = 4294967296;

let cachedSecond = -1;
let cachedPrefix = '';

/** `YYYY-MM-DD HH:MM:SS.` of a Unix second (UTC), cached for the last second seen. */
let cachedDay = -1;
let cachedDayText = '';
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

function secondPrefix(seconds: number): string {
  if (seconds !== cachedSecond) {
    const day = Math.floor(seconds / 86400);
    if (day !== cachedDay) {
      cachedDayText = new Date(day * 86_400_000).toISOString().slice(0, 10);
      cachedDay = day;
    }
    const rest = seconds - day * 86400;
    const h = Math.floor(rest / 3600);
    const m = Math.floor((rest - h * 3600) / 60);
    cachedPrefix = `${cachedDayText} ${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[rest - h * 3600 - m * 60]}.`;
    cachedSecond = seconds;
  }
  return cachedPrefix;
}

/** Nanoseconds from (startHi, startLo) to (endHi, endLo), 0 if negative; exact below 2^53. */
export function nanosBetween(startHi: number, startLo: number, endHi: number, endLo: number): number {
  const d = (endHi - startHi) * TWO_32 + (endLo - startLo);
  return d > 0 ? d : 0;
}

/** Zero time (OTLP's "unset"), as stored. */
export const ZERO_TIMESTAMP = '1970-01-01 00:00:00.000000000';

/**
 * UTC text timestamp `YYYY-MM-DD HH:MM:SS.fffffffff` (the `DateTime64(9)` text form) of an
 * unsigned 64-bit nanosecond count given as high and low 32-bit halves. Exact: plain double
 * arithmetic where every intermediate stays below 2^53.
 */
export function nanosToTimestamp(hi: number, lo: number): string {
  if (hi === 0 && lo === 0) return ZERO_TIMESTAMP;
  const hiQ = Math.floor(hi / 1e9);
  const hiR = hi - hiQ * 1e9;
  const t1 = hiR * 65536 + (lo >>> 16);
  const q1 = Math.floor(t1 / 1e9);
  const r1 = t1 - q1 * 1e9;
  const t2 = r1 * 65536 + (lo & 0xffff);
  const q2 = Math.floor(t2 / 1e9);
  const nanos = t2 - q2 * 1e9;
  const seconds = hiQ * TWO_32 + q1 * 65536 + q2;
  if (seconds > 8_000_000_000) return ZERO_TIMESTAMP.replace('1970', '2200');
  return secondPrefix(seconds) + String(1e9 + nanos).slice(1);
}

/**
 * The timestamp text of a non-negative decimal nanosecond string (OTLP/JSON `fixed64` fields),
 * or `undefined` when the text is not such a number.
 */
export function decimalNanosToTimestamp(text: string): string | undefined {
  const n = text.length;
  if (n === 0 || n > 20) return undefined;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const big = BigInt(text);
  if (big > 0xffffffffffffffffn) return undefined;
  return nanosToTimestamp(Number(big >> 32n), Number(big & 0xffffffffn));
}

/** Nanoseconds between two timestamps made by the functions above (0 if negative or unset). */
export function durationNanos(start: string, end: string): number {
  if (start === ZERO_TIMESTAMP || end === ZERO_TIMESTAMP) return 0;
  let d: number;
  if (start.charCodeAt(18) === end.charCodeAt(18) && start.slice(0, 18) === end.slice(0, 18)) {
    // Same ten-second window: only the last second digit and the nanoseconds differ.
    d = (end.charCodeAt(18) - start.charCodeAt(18)) * 1e9 + (Number(end.slice(20)) - Number(start.slice(20)));
  } else {
    const s1 = Date.parse(`${start.slice(0, 10)}T${start.slice(11, 19)}Z`);
    const s2 = Date.parse(`${end.slice(0, 10)}T${end.slice(11, 19)}Z`);
    d = (s2 - s1) * 1e6 + (Number(end.slice(20)) - Number(start.slice(20)));
  }
  return d > 0 ? d : 0;
}

/**
 * A double as Go's `strconv.FormatFloat(v, 'f', -1, 64)` prints it (what the upstream exporter
 * stores): no exponent notation.
 */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (s.indexOf('e') === -1) return s;
  const negative = v < 0;
  const [mantissa = '', expText = '0'] = (negative ? s.slice(1) : s).split('e');
  const exp = Number(expText);
  const [intPart = '', fracPart = ''] = mantissa.split('.');
  const digits = intPart + fracPart;
  const pointAt = intPart.length + exp;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${out}` : out;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const JSON_ESCAPE = /["\\\u0000-\u001f]/;

/** A JSON string literal (no allocation beyond the result for the common, escape-free case). */
export function jsonString(s: string): string {
  return JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * A new attribute map: a plain object (V8 keeps it in fast mode, unlike a null-prototype one). Use
 * {@link setAttribute} to write keys so that `__proto__` is stored as an ordinary key.
 */
export function newAttributeMap(): AttributeMap {
  return {};
}

export function setAttribute(map: AttributeMap, key: string, value: string): void {
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

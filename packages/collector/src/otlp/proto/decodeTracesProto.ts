/**
 * OTLP protobuf decoder written for our rows: it walks `ExportTraceServiceRequest` /
 * `ExportLogsServiceRequest` bytes with protobufjs's wire-format `Reader` and builds `otel_traces` /
 * `otel_logs` rows directly, with no intermediate message objects. Unknown fields are skipped (as
 * protobuf requires); wrong wire types, truncation, invalid UTF-8 and limit breaches throw
 * {@link OtlpDecodeError} naming the field.
 */
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs/minimal.js';
import type { AttributeMap, LogRow, TraceRow } from '../rowTypes.js';
import { DEFAULT_DECODE_LIMITS, OtlpDecodeError } from '../OtlpDecodeError.js';
import type { DecodeLimits } from '../OtlpDecodeError.js';
import {
  nanosBetween,
  formatDouble,
  jsonString,
  nanosToTimestamp,
  spanKindName,
  statusCodeName,
  ZERO_TIMESTAMP,
  newAttributeMap,
  setAttribute,
} from '../values.js';
import { RESOURCE } from '@promptline/semconv';

type Reader = protobuf.Reader;
const { Reader: ReaderClass } = protobuf;

/** Result of decoding one request: the rows plus items rejected as invalid (partial success). */
export interface DecodedTraces {
  rows: TraceRow[];
  rejected: number;
  rejectReason: string;
}

export interface DecodedLogs {
  rows: LogRow[];
  rejected: number;
  rejectReason: string;
}

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_I32 = 5;
const WIRE_NAMES = ['varint', 'i64', 'len', 'sgroup', 'egroup', 'i32', '6', '7'];

/** Decoder state: the reader, limits, and where we are (for error messages). */
class Cursor {
  readonly r: Reader;
  readonly buf: Buffer;
  readonly limits: DecodeLimits;
  path = '';
  /** Halves of the last fixed64 read (for exact durations without re-parsing). */
  lastHi = 0;
  lastLo = 0;
  constructor(buf: Buffer, limits: DecodeLimits) {
    this.buf = buf;
    this.r = ReaderClass.create(buf);
    this.limits = limits;
  }

  fail(message: string): never {
    throw new OtlpDecodeError(`${this.path === '' ? 'request' : this.path}: ${message}`);
  }

  /** Reads a length prefix and returns the end offset of the field, checked against `end`. */
  lenEnd(end: number): number {
    const len = this.r.uint32();
    const stop = this.r.pos + len;
    if (stop > end) this.fail(`truncated: a field of ${len} bytes runs past the end of its message`);
    return stop;
  }

  expect(wt: number, want: number, field: string): void {
    if (wt !== want)
      this.fail(`wrong wire type ${WIRE_NAMES[wt] ?? wt} for field ${field} (expected ${WIRE_NAMES[want]})`);
  }

  skip(wt: number, end: number): void {
    if (wt === WT_LEN) {
      this.r.pos = this.lenEnd(end);
      return;
    }
    if (wt === 3 || wt === 4 || wt > 5) this.fail(`unsupported wire type ${WIRE_NAMES[wt] ?? wt}`);
    this.r.skipType(wt);
    if (this.r.pos > end) this.fail('truncated: a field runs past the end of its message');
  }

  string(end: number, field: string): string {
    const stop = this.lenEnd(end);
    const start = this.r.pos;
    this.r.pos = stop;
    return readUtf8(this, start, stop, field);
  }

  bytesHex(end: number): string {
    const stop = this.lenEnd(end);
    const start = this.r.pos;
    this.r.pos = stop;
    return start === stop ? '' : this.buf.toString('hex', start, stop);
  }

  /** Reads a fixed64 nanosecond time as timestamp text. */
  fixed64Timestamp(end: number): string {
    const pos = this.r.pos;
    if (pos + 8 > end) this.fail('truncated: fixed64 runs past the end of its message');
    const b = this.buf;
    const lo = (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
    const hi = (b[pos + 4]! | (b[pos + 5]! << 8) | (b[pos + 6]! << 16) | (b[pos + 7]! << 24)) >>> 0;
    this.r.pos = pos + 8;
    this.lastHi = hi;
    this.lastLo = lo;
    return nanosToTimestamp(hi, lo);
  }

  fixed32(end: number): number {
    const pos = this.r.pos;
    if (pos + 4 > end) this.fail('truncated: fixed32 runs past the end of its message');
    const b = this.buf;
    this.r.pos = pos + 4;
    return (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
  }

  varint(end: number): number {
    const v = this.r.uint32();
    if (this.r.pos > end) this.fail('truncated: varint runs past the end of its message');
    return v;
  }

  /** int64 varint as exact decimal text (two's complement, up to 10 bytes). */
  int64Text(end: number): string {
    const b = this.buf;
    let pos = this.r.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let byte: number;
    // Low 28 bits.
    do {
      if (pos >= end) this.fail('truncated: varint runs past the end of its message');
      byte = b[pos++]!;
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28;
        hi |= (byte & 0x7f) >>> 4;
      } else hi |= (byte & 0x7f) << (shift - 32);
      shift += 7;
    } while (byte >= 0x80 && shift < 70);
    if (byte >= 0x80) this.fail('malformed varint (more than 10 bytes)');
    this.r.pos = pos;
    lo >>>= 0;
    hi >>>= 0;
    if (hi < 0x200000) return String(hi * 4294967296 + lo);
    if (hi >= 0xffe00000) {
      // Negative and above -2^53: exact as a double.
      return String((hi - 4294967296) * 4294967296 + lo);
    }
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  double(end: number): number {
    if (this.r.pos + 8 > end) this.fail('truncated: double runs past the end of its message');
    return this.r.double();
  }
}

/** Node's Buffer methods behind `toString(encoding, …)`, called directly (no encoding dispatch). */
type SliceBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

/** Interned short ASCII strings (attribute keys and repeated values), by a hash of their bytes. */
const INTERN_SIZE = 4096;
const internBytes: Array<string | undefined> = new Array<string | undefined>(INTERN_SIZE);

function readUtf8(c: Cursor, start: number, stop: number, field: string): string {
  const b = c.buf;
  const n = stop - start;
  if (n === 0) return '';
  if (n <= 48) {
    let h = n;
    let i = start;
    for (; i < stop; i++) {
      const x = b[i]!;
      if (x >= 0x80) break;
      h = (Math.imul(h, 31) + x) | 0;
    }
    if (i === stop) {
      const slot = (h ^ (h >>> 12)) & (INTERN_SIZE - 1);
      const hit = internBytes[slot];
      if (hit !== undefined && hit.length === n) {
        let same = true;
        for (let j = 0; j < n; j++) {
          if (hit.charCodeAt(j) !== b[start + j]) {
            same = false;
            break;
          }
        }
        if (same) return hit;
      }
      const text = (b as SliceBuffer).latin1Slice(start, stop);
      internBytes[slot] = text;
      return text;
    }
  }
  const view = b.subarray(start, stop);
  if (!isUtf8(view)) c.fail(`invalid UTF-8 in string field ${field}`);
  return (b as SliceBuffer).utf8Slice(start, stop);
}

// ---------------------------------------------------------------------------------------------
// Common messages

interface KeyValueTarget {
  map: AttributeMap;
  count: number;
}

/** Reads one `KeyValue` into `target.map` (string form of the value, as the exporter stores it). */
function readKeyValue(c: Cursor, end: number, target: KeyValueTarget): void {
  const r = c.r;
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'KeyValue.key');
      key = c.string(end, 'KeyValue.key');
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'KeyValue.value');
      const stop = c.lenEnd(end);
      value = readAnyValueText(c, stop, 0);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  if (++target.count > c.limits.maxAttributes) c.fail(`more than ${c.limits.maxAttributes} attributes`);
  setAttribute(target.map, key, value);
}

function checkEnd(c: Cursor, stop: number): void {
  if (c.r.pos !== stop) c.fail('truncated: a nested message overruns its length');
}

/** `AnyValue` in the exporter's string form: scalars plainly, arrays and maps as JSON. */
function readAnyValueText(c: Cursor, end: number, depth: number): string {
  const r = c.r;
  let out = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        c.expect(wt, WT_LEN, 'AnyValue.string_value');
        out = c.string(end, 'AnyValue.string_value');
        break;
      case 2:
        c.expect(wt, WT_VARINT, 'AnyValue.bool_value');
        out = c.varint(end) !== 0 ? 'true' : 'false';
        break;
      case 3:
        c.expect(wt, WT_VARINT, 'AnyValue.int_value');
        out = c.int64Text(end);
        break;
      case 4:
        c.expect(wt, WT_I64, 'AnyValue.double_value');
        out = formatDouble(c.double(end));
        break;
      case 5:
      case 6: {
        c.expect(wt, WT_LEN, field === 5 ? 'AnyValue.array_value' : 'AnyValue.kvlist_value');
        const stop = c.lenEnd(end);
        out = field === 5 ? readArrayJson(c, stop, depth + 1) : readKvListJson(c, stop, depth + 1);
        checkEnd(c, stop);
        break;
      }
      case 7: {
        c.expect(wt, WT_LEN, 'AnyValue.bytes_value');
        const stop = c.lenEnd(end);
        out = c.buf.toString('base64', r.pos, stop);
        r.pos = stop;
        break;
      }
      default:
        c.skip(wt, end);
    }
  }
  return out;
}

/** `AnyValue` as a JSON value (inside arrays and maps). */
function readAnyValueJson(c: Cursor, end: number, depth: number): string {
  const r = c.r;
  let out = 'null';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        c.expect(wt, WT_LEN, 'AnyValue.string_value');
        out = jsonString(c.string(end, 'AnyValue.string_value'));
        break;
      case 2:
        c.expect(wt, WT_VARINT, 'AnyValue.bool_value');
        out = c.varint(end) !== 0 ? 'true' : 'false';
        break;
      case 3:
        c.expect(wt, WT_VARINT, 'AnyValue.int_value');
        out = c.int64Text(end);
        break;
      case 4: {
        c.expect(wt, WT_I64, 'AnyValue.double_value');
        const d = c.double(end);
        out = Number.isFinite(d) ? formatDouble(d) : `"${formatDouble(d)}"`;
        break;
      }
      case 5:
      case 6: {
        c.expect(wt, WT_LEN, field === 5 ? 'AnyValue.array_value' : 'AnyValue.kvlist_value');
        const stop = c.lenEnd(end);
        out = field === 5 ? readArrayJson(c, stop, depth + 1) : readKvListJson(c, stop, depth + 1);
        checkEnd(c, stop);
        break;
      }
      case 7: {
        c.expect(wt, WT_LEN, 'AnyValue.bytes_value');
        const stop = c.lenEnd(end);
        out = `"${c.buf.toString('base64', r.pos, stop)}"`;
        r.pos = stop;
        break;
      }
      default:
        c.skip(wt, end);
    }
  }
  return out;
}

function readArrayJson(c: Cursor, end: number, depth: number): string {
  if (depth > c.limits.maxValueDepth) c.fail(`values nested deeper than ${c.limits.maxValueDepth} levels`);
  const r = c.r;
  const parts: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      c.expect(wt, WT_LEN, 'ArrayValue.values');
      const stop = c.lenEnd(end);
      parts.push(readAnyValueJson(c, stop, depth));
      checkEnd(c, stop);
      if (parts.length > c.limits.maxAttributes)
        c.fail(`array value with more than ${c.limits.maxAttributes} elements`);
    } else c.skip(wt, end);
  }
  return `[${parts.join(',')}]`;
}

function readKvListJson(c: Cursor, end: number, depth: number): string {
  if (depth > c.limits.maxValueDepth) c.fail(`values nested deeper than ${c.limits.maxValueDepth} levels`);
  const r = c.r;
  const parts: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      c.expect(wt, WT_LEN, 'KeyValueList.values');
      const stop = c.lenEnd(end);
      let key = '';
      let value = 'null';
      while (r.pos < stop) {
        const t2 = r.uint32();
        const w2 = t2 & 7;
        const f2 = t2 >>> 3;
        if (f2 === 1) {
          c.expect(w2, WT_LEN, 'KeyValue.key');
          key = c.string(stop, 'KeyValue.key');
        } else if (f2 === 2) {
          c.expect(w2, WT_LEN, 'KeyValue.value');
          const s2 = c.lenEnd(stop);
          value = readAnyValueJson(c, s2, depth);
          checkEnd(c, s2);
        } else c.skip(w2, stop);
      }
      checkEnd(c, stop);
      parts.push(`${jsonString(key)}:${value}`);
      if (parts.length > c.limits.maxAttributes)
        c.fail(`map value with more than ${c.limits.maxAttributes} entries`);
    } else c.skip(wt, end);
  }
  return `{${parts.join(',')}}`;
}

interface ResourceInfo {
  attributes: AttributeMap;
  serviceName: string;
}

function readResource(c: Cursor, end: number): ResourceInfo {
  const r = c.r;
  const target: KeyValueTarget = { map: newAttributeMap(), count: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      c.expect(wt, WT_LEN, 'Resource.attributes');
      const stop = c.lenEnd(end);
      readKeyValue(c, stop, target);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  return { attributes: target.map, serviceName: target.map[RESOURCE.SERVICE_NAME] ?? '' };
}

interface ScopeInfo {
  name: string;
  version: string;
  attributes: AttributeMap;
}

function readScope(c: Cursor, end: number): ScopeInfo {
  const r = c.r;
  const scope: ScopeInfo = { name: '', version: '', attributes: newAttributeMap() };
  const target: KeyValueTarget = { map: scope.attributes, count: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'InstrumentationScope.name');
      scope.name = c.string(end, 'InstrumentationScope.name');
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'InstrumentationScope.version');
      scope.version = c.string(end, 'InstrumentationScope.version');
    } else if (field === 3) {
      c.expect(wt, WT_LEN, 'InstrumentationScope.attributes');
      const stop = c.lenEnd(end);
      readKeyValue(c, stop, target);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  return scope;
}

const EMPTY_SCOPE: ScopeInfo = { name: '', version: '', attributes: newAttributeMap() };
const EMPTY_RESOURCE: ResourceInfo = { attributes: newAttributeMap(), serviceName: '' };

function wrap(e: unknown): never {
  if (e instanceof OtlpDecodeError) throw e;
  const message = e instanceof Error ? e.message : String(e);
  if (/index out of range/.test(message))
    throw new OtlpDecodeError(`request: truncated protobuf (${message})`);
  throw new OtlpDecodeError(`request: malformed protobuf (${message})`);
}

// ---------------------------------------------------------------------------------------------
// Traces

/** Decodes an `ExportTraceServiceRequest` into `otel_traces` rows. */
export function decodeTracesProto(buf: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedTraces {
  const c = new Cursor(buf, limits);
  const out: DecodedTraces = { rows: [], rejected: 0, rejectReason: '' };
  try {
    const r = c.r;
    const end = buf.length;
    let ri = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      if (tag >>> 3 === 1) {
        c.path = `resourceSpans[${ri}]`;
        c.expect(wt, WT_LEN, 'resource_spans');
        const stop = c.lenEnd(end);
        readResourceSpans(c, stop, out, ri);
        checkEnd(c, stop);
        ri++;
      } else {
        c.path = '';
        c.skip(wt, end);
      }
    }
  } catch (e) {
    wrap(e);
  }
  return out;
}

function readResourceSpans(c: Cursor, end: number, out: DecodedTraces, ri: number): void {
  const r = c.r;
  // The resource may come after the scopes on the wire: collect scope spans as offsets first.
  let resource = EMPTY_RESOURCE;
  const scopes: Array<[number, number]> = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'ResourceSpans.resource');
      const stop = c.lenEnd(end);
      c.path = `resourceSpans[${ri}].resource`;
      resource = readResource(c, stop);
      checkEnd(c, stop);
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'ResourceSpans.scope_spans');
      const stop = c.lenEnd(end);
      scopes.push([r.pos, stop]);
      r.pos = stop;
    } else c.skip(wt, end);
  }
  const after = r.pos;
  for (let si = 0; si < scopes.length; si++) {
    const [start, stop] = scopes[si]!;
    r.pos = start;
    c.path = `resourceSpans[${ri}].scopeSpans[${si}]`;
    readScopeSpans(c, stop, out, resource, ri, si);
    checkEnd(c, stop);
  }
  r.pos = after;
}

function readScopeSpans(
  c: Cursor,
  end: number,
  out: DecodedTraces,
  resource: ResourceInfo,
  ri: number,
  si: number,
): void {
  const r = c.r;
  let scope = EMPTY_SCOPE;
  const spans: Array<[number, number]> = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'ScopeSpans.scope');
      const stop = c.lenEnd(end);
      scope = readScope(c, stop);
      checkEnd(c, stop);
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'ScopeSpans.spans');
      const stop = c.lenEnd(end);
      spans.push([r.pos, stop]);
      r.pos = stop;
    } else c.skip(wt, end);
  }
  const after = r.pos;
  for (let i = 0; i < spans.length; i++) {
    const [start, stop] = spans[i]!;
    r.pos = start;
    c.path = `resourceSpans[${ri}].scopeSpans[${si}].spans[${i}]`;
    const row = readSpan(c, stop, resource, scope);
    checkEnd(c, stop);
    const problem = spanProblem(row);
    if (problem === undefined) out.rows.push(row);
    else {
      out.rejected++;
      if (out.rejectReason === '') out.rejectReason = `${c.path}: ${problem}`;
    }
  }
  r.pos = after;
}

/** Why a decoded span cannot be stored (partial success), or `undefined`. */
export function spanProblem(row: TraceRow): string | undefined {
  if (row.TraceId.length !== 32 || row.TraceId === '00000000000000000000000000000000')
    return 'trace id must be 16 bytes and not all zero';
  if (row.SpanId.length !== 16 || row.SpanId === '0000000000000000')
    return 'span id must be 8 bytes and not all zero';
  if (row.ParentSpanId.length !== 0 && row.ParentSpanId.length !== 16)
    return 'parent span id must be empty or 8 bytes';
  return undefined;
}

function readSpan(c: Cursor, end: number, resource: ResourceInfo, scope: ScopeInfo): TraceRow {
  const r = c.r;
  const attrs: KeyValueTarget = { map: newAttributeMap(), count: 0 };
  let start = ZERO_TIMESTAMP;
  let finish = ZERO_TIMESTAMP;
  let startHi = 0;
  let startLo = 0;
  let endHi = 0;
  let endLo = 0;
  const row: TraceRow = {
    Timestamp: ZERO_TIMESTAMP,
    TraceId: '',
    SpanId: '',
    ParentSpanId: '',
    TraceState: '',
    SpanName: '',
    SpanKind: 'Unspecified',
    ServiceName: resource.serviceName,
    ResourceAttributes: resource.attributes,
    ScopeName: scope.name,
    ScopeVersion: scope.version,
    SpanAttributes: attrs.map,
    Duration: 0,
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        c.expect(wt, WT_LEN, 'Span.trace_id');
        row.TraceId = c.bytesHex(end);
        break;
      case 2:
        c.expect(wt, WT_LEN, 'Span.span_id');
        row.SpanId = c.bytesHex(end);
        break;
      case 3:
        c.expect(wt, WT_LEN, 'Span.trace_state');
        row.TraceState = c.string(end, 'Span.trace_state');
        break;
      case 4:
        c.expect(wt, WT_LEN, 'Span.parent_span_id');
        row.ParentSpanId = c.bytesHex(end);
        break;
      case 5:
        c.expect(wt, WT_LEN, 'Span.name');
        row.SpanName = c.string(end, 'Span.name');
        break;
      case 6:
        c.expect(wt, WT_VARINT, 'Span.kind');
        row.SpanKind = spanKindName(c.varint(end));
        break;
      case 7:
        c.expect(wt, WT_I64, 'Span.start_time_unix_nano');
        start = c.fixed64Timestamp(end);
        startHi = c.lastHi;
        startLo = c.lastLo;
        break;
      case 8:
        c.expect(wt, WT_I64, 'Span.end_time_unix_nano');
        finish = c.fixed64Timestamp(end);
        endHi = c.lastHi;
        endLo = c.lastLo;
        break;
      case 9: {
        c.expect(wt, WT_LEN, 'Span.attributes');
        const stop = c.lenEnd(end);
        readKeyValue(c, stop, attrs);
        checkEnd(c, stop);
        break;
      }
      case 11: {
        c.expect(wt, WT_LEN, 'Span.events');
        const stop = c.lenEnd(end);
        readEvent(c, stop, row);
        checkEnd(c, stop);
        break;
      }
      case 13: {
        c.expect(wt, WT_LEN, 'Span.links');
        const stop = c.lenEnd(end);
        readLink(c, stop, row);
        checkEnd(c, stop);
        break;
      }
      case 15: {
        c.expect(wt, WT_LEN, 'Span.status');
        const stop = c.lenEnd(end);
        readStatus(c, stop, row);
        checkEnd(c, stop);
        break;
      }
      default:
        c.skip(wt, end);
    }
  }
  row.Timestamp = start;
  row.Duration =
    finish === ZERO_TIMESTAMP || start === ZERO_TIMESTAMP ? 0 : nanosBetween(startHi, startLo, endHi, endLo);
  return row;
}

function readEvent(c: Cursor, end: number, row: TraceRow): void {
  const r = c.r;
  const attrs: KeyValueTarget = { map: newAttributeMap(), count: 0 };
  let ts = ZERO_TIMESTAMP;
  let name = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_I64, 'Event.time_unix_nano');
      ts = c.fixed64Timestamp(end);
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'Event.name');
      name = c.string(end, 'Event.name');
    } else if (field === 3) {
      c.expect(wt, WT_LEN, 'Event.attributes');
      const stop = c.lenEnd(end);
      readKeyValue(c, stop, attrs);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  row['Events.Timestamp'].push(ts);
  row['Events.Name'].push(name);
  row['Events.Attributes'].push(attrs.map);
  if (row['Events.Name'].length > c.limits.maxAttributes)
    c.fail(`more than ${c.limits.maxAttributes} events`);
}

function readLink(c: Cursor, end: number, row: TraceRow): void {
  const r = c.r;
  const attrs: KeyValueTarget = { map: newAttributeMap(), count: 0 };
  let traceId = '';
  let spanId = '';
  let state = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'Link.trace_id');
      traceId = c.bytesHex(end);
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'Link.span_id');
      spanId = c.bytesHex(end);
    } else if (field === 3) {
      c.expect(wt, WT_LEN, 'Link.trace_state');
      state = c.string(end, 'Link.trace_state');
    } else if (field === 4) {
      c.expect(wt, WT_LEN, 'Link.attributes');
      const stop = c.lenEnd(end);
      readKeyValue(c, stop, attrs);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  row['Links.TraceId'].push(traceId);
  row['Links.SpanId'].push(spanId);
  row['Links.TraceState'].push(state);
  row['Links.Attributes'].push(attrs.map);
  if (row['Links.SpanId'].length > c.limits.maxAttributes)
    c.fail(`more than ${c.limits.maxAttributes} links`);
}

function readStatus(c: Cursor, end: number, row: TraceRow): void {
  const r = c.r;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 2) {
      c.expect(wt, WT_LEN, 'Status.message');
      row.StatusMessage = c.string(end, 'Status.message');
    } else if (field === 3) {
      c.expect(wt, WT_VARINT, 'Status.code');
      row.StatusCode = statusCodeName(c.varint(end));
    } else c.skip(wt, end);
  }
}

// ---------------------------------------------------------------------------------------------
// Logs

/** Decodes an `ExportLogsServiceRequest` into `otel_logs` rows. */
export function decodeLogsProto(buf: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedLogs {
  const c = new Cursor(buf, limits);
  const out: DecodedLogs = { rows: [], rejected: 0, rejectReason: '' };
  try {
    const r = c.r;
    const end = buf.length;
    let ri = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      if (tag >>> 3 === 1) {
        c.path = `resourceLogs[${ri}]`;
        c.expect(wt, WT_LEN, 'resource_logs');
        const stop = c.lenEnd(end);
        readResourceLogs(c, stop, out, ri);
        checkEnd(c, stop);
        ri++;
      } else {
        c.path = '';
        c.skip(wt, end);
      }
    }
  } catch (e) {
    wrap(e);
  }
  return out;
}

function readResourceLogs(c: Cursor, end: number, out: DecodedLogs, ri: number): void {
  const r = c.r;
  let resource = EMPTY_RESOURCE;
  let schemaUrl = '';
  const scopes: Array<[number, number]> = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'ResourceLogs.resource');
      const stop = c.lenEnd(end);
      c.path = `resourceLogs[${ri}].resource`;
      resource = readResource(c, stop);
      checkEnd(c, stop);
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'ResourceLogs.scope_logs');
      const stop = c.lenEnd(end);
      scopes.push([r.pos, stop]);
      r.pos = stop;
    } else if (field === 3) {
      c.expect(wt, WT_LEN, 'ResourceLogs.schema_url');
      schemaUrl = c.string(end, 'ResourceLogs.schema_url');
    } else c.skip(wt, end);
  }
  const after = r.pos;
  for (let si = 0; si < scopes.length; si++) {
    const [start, stop] = scopes[si]!;
    r.pos = start;
    c.path = `resourceLogs[${ri}].scopeLogs[${si}]`;
    readScopeLogs(c, stop, out, resource, schemaUrl, ri, si);
    checkEnd(c, stop);
  }
  r.pos = after;
}

function readScopeLogs(
  c: Cursor,
  end: number,
  out: DecodedLogs,
  resource: ResourceInfo,
  resourceSchemaUrl: string,
  ri: number,
  si: number,
): void {
  const r = c.r;
  let scope = EMPTY_SCOPE;
  let schemaUrl = '';
  const records: Array<[number, number]> = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'ScopeLogs.scope');
      const stop = c.lenEnd(end);
      scope = readScope(c, stop);
      checkEnd(c, stop);
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'ScopeLogs.log_records');
      const stop = c.lenEnd(end);
      records.push([r.pos, stop]);
      r.pos = stop;
    } else if (field === 3) {
      c.expect(wt, WT_LEN, 'ScopeLogs.schema_url');
      schemaUrl = c.string(end, 'ScopeLogs.schema_url');
    } else c.skip(wt, end);
  }
  const after = r.pos;
  for (let i = 0; i < records.length; i++) {
    const [start, stop] = records[i]!;
    r.pos = start;
    c.path = `resourceLogs[${ri}].scopeLogs[${si}].logRecords[${i}]`;
    const row = readLogRecord(c, stop, resource, scope, resourceSchemaUrl, schemaUrl);
    checkEnd(c, stop);
    const problem = logProblem(row);
    if (problem === undefined) out.rows.push(row);
    else {
      out.rejected++;
      if (out.rejectReason === '') out.rejectReason = `${c.path}: ${problem}`;
    }
  }
  r.pos = after;
}

/** Why a decoded log record cannot be stored (partial success), or `undefined`. */
export function logProblem(row: LogRow): string | undefined {
  if (row.TraceId.length !== 0 && row.TraceId.length !== 32) return 'trace id must be empty or 16 bytes';
  if (row.SpanId.length !== 0 && row.SpanId.length !== 16) return 'span id must be empty or 8 bytes';
  return undefined;
}

function readLogRecord(
  c: Cursor,
  end: number,
  resource: ResourceInfo,
  scope: ScopeInfo,
  resourceSchemaUrl: string,
  scopeSchemaUrl: string,
): LogRow {
  const r = c.r;
  const attrs: KeyValueTarget = { map: newAttributeMap(), count: 0 };
  let observed = ZERO_TIMESTAMP;
  const row: LogRow = {
    Timestamp: ZERO_TIMESTAMP,
    TraceId: '',
    SpanId: '',
    TraceFlags: 0,
    SeverityText: '',
    SeverityNumber: 0,
    ServiceName: resource.serviceName,
    Body: '',
    ResourceSchemaUrl: resourceSchemaUrl,
    ResourceAttributes: resource.attributes,
    ScopeSchemaUrl: scopeSchemaUrl,
    ScopeName: scope.name,
    ScopeVersion: scope.version,
    ScopeAttributes: scope.attributes,
    LogAttributes: attrs.map,
    EventName: '',
  };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        c.expect(wt, WT_I64, 'LogRecord.time_unix_nano');
        row.Timestamp = c.fixed64Timestamp(end);
        break;
      case 11:
        c.expect(wt, WT_I64, 'LogRecord.observed_time_unix_nano');
        observed = c.fixed64Timestamp(end);
        break;
      case 2:
        c.expect(wt, WT_VARINT, 'LogRecord.severity_number');
        row.SeverityNumber = c.varint(end) & 0xff;
        break;
      case 3:
        c.expect(wt, WT_LEN, 'LogRecord.severity_text');
        row.SeverityText = c.string(end, 'LogRecord.severity_text');
        break;
      case 5: {
        c.expect(wt, WT_LEN, 'LogRecord.body');
        const stop = c.lenEnd(end);
        row.Body = readAnyValueText(c, stop, 0);
        checkEnd(c, stop);
        break;
      }
      case 6: {
        c.expect(wt, WT_LEN, 'LogRecord.attributes');
        const stop = c.lenEnd(end);
        readKeyValue(c, stop, attrs);
        checkEnd(c, stop);
        break;
      }
      case 8:
        c.expect(wt, WT_I32, 'LogRecord.flags');
        row.TraceFlags = c.fixed32(end) & 0xff;
        break;
      case 9:
        c.expect(wt, WT_LEN, 'LogRecord.trace_id');
        row.TraceId = c.bytesHex(end);
        break;
      case 10:
        c.expect(wt, WT_LEN, 'LogRecord.span_id');
        row.SpanId = c.bytesHex(end);
        break;
      case 12:
        c.expect(wt, WT_LEN, 'LogRecord.event_name');
        row.EventName = c.string(end, 'LogRecord.event_name');
        break;
      default:
        c.skip(wt, end);
    }
  }
  if (row.Timestamp === ZERO_TIMESTAMP) row.Timestamp = observed;
  return row;
}

/**
 * Decodes an OTLP `ExportTraceServiceRequest` straight into `otel_traces` rows: it walks the bytes
 * with the wire reader ({@link Cursor}) and builds rows directly, with no intermediate message
 * objects. Unknown fields are skipped (as protobuf requires); wrong wire types, truncation, invalid
 * UTF-8 and limit breaches throw `OtlpDecodeError` naming the field; a span without valid ids
 * is rejected alone (partial success).
 */
import { DEFAULT_DECODE_LIMITS } from '../OtlpDecodeError.js';
import type { DecodeLimits } from '../OtlpDecodeError.js';
import { spanProblem } from '../rowProblems.js';
import type { DecodedTraces, TraceRow } from '../rowTypes.js';
import { nanosBetween, newAttributeMap, spanKindName, statusCodeName, ZERO_TIMESTAMP } from '../values.js';
import { EMPTY_RESOURCE, EMPTY_SCOPE, readKeyValue, readResource, readScope } from './commonMessages.js';
import type { KeyValueTarget, ResourceInfo, ScopeInfo } from './commonMessages.js';
import { checkEnd, Cursor, decodeFailure, WT_I64, WT_LEN, WT_VARINT } from './Cursor.js';

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
    decodeFailure(e);
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

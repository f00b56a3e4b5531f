/**
 * OTLP/JSON decoder (the protobuf JSON mapping with OTLP's exceptions: ids as hex, enums as
 * integers, 64-bit integers as strings or numbers, unknown fields ignored) into `otel_traces` /
 * `otel_logs` rows. The body's nesting depth is checked on the raw bytes before `JSON.parse`, so a
 * deeply nested document is a 400, never a stack overflow. 64-bit integers are exact either way:
 * integer literals of 16+ digits are turned into strings before `JSON.parse` (see
 * {@link quoteLongIntegers}), so they never pass through a double.
 */
import { isUtf8 } from 'node:buffer';
import { RESOURCE } from '@promptline/semconv';
import type { AttributeMap, DecodedLogs, DecodedTraces, LogRow, TraceRow } from './rowTypes.js';
import { DEFAULT_DECODE_LIMITS, OtlpDecodeError } from './OtlpDecodeError.js';
import type { DecodeLimits } from './OtlpDecodeError.js';
import { logProblem, spanProblem } from './rowProblems.js';
import {
  decimalNanosToTimestamp,
  ZERO_TIMESTAMP,
  durationNanos,
  formatDouble,
  jsonString,
  newAttributeMap,
  setAttribute,
  spanKindFromName,
  spanKindName,
  statusCodeFromName,
  statusCodeName,
} from './values.js';

const SEVERITY_NAMES = [
  'UNSPECIFIED',
  'TRACE',
  'TRACE2',
  'TRACE3',
  'TRACE4',
  'DEBUG',
  'DEBUG2',
  'DEBUG3',
  'DEBUG4',
  'INFO',
  'INFO2',
  'INFO3',
  'INFO4',
  'WARN',
  'WARN2',
  'WARN3',
  'WARN4',
  'ERROR',
  'ERROR2',
  'ERROR3',
  'ERROR4',
  'FATAL',
  'FATAL2',
  'FATAL3',
  'FATAL4',
];

/** `SEVERITY_NUMBER_INFO` → 9 (the protobuf JSON mapping allows enum names). */
function severityFromName(name: string): number | undefined {
  const i = name.startsWith('SEVERITY_NUMBER_') ? SEVERITY_NAMES.indexOf(name.slice(16)) : -1;
  return i === -1 ? undefined : i;
}

/** Deepest `{`/`[` nesting accepted in an OTLP/JSON body. */
export const MAX_JSON_DEPTH = 64;

type Json = unknown;
type Obj = Record<string, Json>;

function fail(path: string, message: string): never {
  throw new OtlpDecodeError(`${path === '' ? 'request' : path}: ${message}`);
}

/** Throws when the JSON text nests deeper than `maxDepth` (strings are skipped correctly). */
export function checkJsonDepth(buf: Uint8Array, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > maxDepth) fail('', `JSON nested deeper than ${maxDepth} levels`);
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const isDigit = (c: number): boolean => c >= DIGIT_0 && c <= DIGIT_9;
const SIXTEEN_DIGITS = /\d{16}/;

/**
 * Wraps every integer literal of 16 or more digits (outside strings) in quotes, so `JSON.parse`
 * keeps its exact text: such numbers can exceed 2^53 (nanosecond timestamps always do) and would
 * otherwise be rounded. Every field that takes a 64-bit integer or a double also accepts a string
 * (the protobuf JSON mapping allows both). Literals with a fraction or an exponent, and invalid
 * ones (leading zeros), are left alone. Skipped at no cost when no 16-digit run exists.
 */
export function quoteLongIntegers(text: string): string {
  if (!SIXTEEN_DIGITS.test(text)) return text;
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c !== 0x2d && !isDigit(c)) continue;
    const start = c === 0x2d ? i + 1 : i;
    let j = start;
    while (j < text.length && isDigit(text.charCodeAt(j))) j++;
    const next = text.charCodeAt(j);
    const integer = next !== 0x2e && next !== 0x65 && next !== 0x45;
    if (integer && j - start >= 16 && text.charCodeAt(start) !== DIGIT_0) {
      out += `${text.slice(last, i)}"${text.slice(i, j)}"`;
      last = j;
    } else {
      // The rest of this number (fraction, exponent): no digit run in it starts a new literal.
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
    }
    i = j - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function parseBody(buf: Buffer): Obj {
  if (!isUtf8(buf)) fail('', 'body is not valid UTF-8');
  checkJsonDepth(buf, MAX_JSON_DEPTH);
  let doc: Json;
  try {
    doc = JSON.parse(quoteLongIntegers(buf.toString('utf8')));
  } catch (e) {
    fail('', `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return asObject(doc, '');
}

function asObject(v: Json, path: string): Obj {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'expected a JSON object');
  return v as Obj;
}

function asArray(v: Json, path: string): Json[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) fail(path, 'expected a JSON array');
  return v;
}

function asString(v: Json, path: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v;
}

function asInt(v: Json, path: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v)) return Number(v);
  fail(path, 'expected an integer');
}

function asEnum(v: Json, path: string, byName: (name: string) => number | undefined): number {
  if (typeof v === 'string') {
    const n = byName(v);
    if (n !== undefined) return n;
  }
  return asInt(v, path);
}

const HEX = /^[0-9a-fA-F]*$/;

/** Lowercase hex of an id field; `bytes` must be `size` bytes (or empty when allowed). */
function asHexId(v: Json, path: string): string {
  const s = asString(v, path);
  if (s.length % 2 !== 0 || !HEX.test(s))
    fail(path, `not a hex-encoded id: ${JSON.stringify(s.slice(0, 40))}`);
  return s.toLowerCase();
}

/**
 * fixed64 nanoseconds (string or number) as exact decimal seconds. Integer literals arrive here as
 * strings (see {@link quoteLongIntegers}); only a number written with an exponent or fraction above
 * 2^53 is rounded to the nearest double.
 */
function asNanos(v: Json, path: string): string {
  if (v === null || v === undefined) return ZERO_TIMESTAMP;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) fail(path, 'expected a non-negative integer of nanoseconds');
    const text = Number.isSafeInteger(v) ? String(v) : BigInt(Math.round(v)).toString();
    return decimalNanosToTimestamp(text) ?? fail(path, 'expected a non-negative integer of nanoseconds');
  }
  if (typeof v === 'string') {
    return decimalNanosToTimestamp(v) ?? fail(path, 'expected a non-negative integer of nanoseconds');
  }
  fail(path, 'expected a non-negative integer of nanoseconds');
}

interface Ctx {
  limits: DecodeLimits;
}

function readAttributes(ctx: Ctx, v: Json, path: string, into?: AttributeMap): AttributeMap {
  const list = asArray(v, path);
  if (list.length > ctx.limits.maxAttributes) fail(path, `more than ${ctx.limits.maxAttributes} attributes`);
  const map = into ?? newAttributeMap();
  for (let i = 0; i < list.length; i++) {
    const kv = asObject(list[i], `${path}[${i}]`);
    const key = asString(kv.key, `${path}[${i}].key`);
    setAttribute(map, key, anyValueText(ctx, kv.value, `${path}[${i}].value`, 0));
  }
  return map;
}

function anyValueText(ctx: Ctx, v: Json, path: string, depth: number): string {
  const o = asObject(v, path);
  if (o.stringValue !== undefined) return asString(o.stringValue, `${path}.stringValue`);
  if (o.boolValue !== undefined) {
    if (typeof o.boolValue !== 'boolean') fail(`${path}.boolValue`, 'expected a boolean');
    return o.boolValue ? 'true' : 'false';
  }
  if (o.intValue !== undefined) return intText(o.intValue, `${path}.intValue`);
  if (o.doubleValue !== undefined) return formatDouble(doubleOf(o.doubleValue, `${path}.doubleValue`));
  if (o.arrayValue !== undefined) return arrayJson(ctx, o.arrayValue, `${path}.arrayValue`, depth + 1);
  if (o.kvlistValue !== undefined) return kvlistJson(ctx, o.kvlistValue, `${path}.kvlistValue`, depth + 1);
  if (o.bytesValue !== undefined) return bytesBase64(o.bytesValue, `${path}.bytesValue`);
  return '';
}

function anyValueJson(ctx: Ctx, v: Json, path: string, depth: number): string {
  const o = asObject(v, path);
  if (o.stringValue !== undefined) return jsonString(asString(o.stringValue, `${path}.stringValue`));
  if (o.boolValue !== undefined) {
    if (typeof o.boolValue !== 'boolean') fail(`${path}.boolValue`, 'expected a boolean');
    return o.boolValue ? 'true' : 'false';
  }
  if (o.intValue !== undefined) return intText(o.intValue, `${path}.intValue`);
  if (o.doubleValue !== undefined) {
    const d = doubleOf(o.doubleValue, `${path}.doubleValue`);
    return Number.isFinite(d) ? formatDouble(d) : `"${formatDouble(d)}"`;
  }
  if (o.arrayValue !== undefined) return arrayJson(ctx, o.arrayValue, `${path}.arrayValue`, depth + 1);
  if (o.kvlistValue !== undefined) return kvlistJson(ctx, o.kvlistValue, `${path}.kvlistValue`, depth + 1);
  if (o.bytesValue !== undefined) return `"${bytesBase64(o.bytesValue, `${path}.bytesValue`)}"`;
  return 'null';
}

function arrayJson(ctx: Ctx, v: Json, path: string, depth: number): string {
  if (depth > ctx.limits.maxValueDepth)
    fail(path, `values nested deeper than ${ctx.limits.maxValueDepth} levels`);
  const values = asArray(asObject(v, path).values, `${path}.values`);
  if (values.length > ctx.limits.maxAttributes) fail(path, `more than ${ctx.limits.maxAttributes} elements`);
  const parts = values.map((item, i) => anyValueJson(ctx, item, `${path}.values[${i}]`, depth));
  return `[${parts.join(',')}]`;
}

function kvlistJson(ctx: Ctx, v: Json, path: string, depth: number): string {
  if (depth > ctx.limits.maxValueDepth)
    fail(path, `values nested deeper than ${ctx.limits.maxValueDepth} levels`);
  const values = asArray(asObject(v, path).values, `${path}.values`);
  if (values.length > ctx.limits.maxAttributes) fail(path, `more than ${ctx.limits.maxAttributes} entries`);
  const parts = values.map((item, i) => {
    const kv = asObject(item, `${path}.values[${i}]`);
    const key = asString(kv.key, `${path}.values[${i}].key`);
    return `${jsonString(key)}:${anyValueJson(ctx, kv.value, `${path}.values[${i}].value`, depth)}`;
  });
  return `{${parts.join(',')}}`;
}

function intText(v: Json, path: string): string {
  if (typeof v === 'number' && Number.isInteger(v))
    return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const big = BigInt(v);
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return big.toString();
  }
  fail(path, 'expected a 64-bit integer');
}

function doubleOf(v: Json, path: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  fail(path, 'expected a number');
}

function bytesBase64(v: Json, path: string): string {
  const s = asString(v, path);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) fail(path, 'expected base64');
  return Buffer.from(s, 'base64').toString('base64');
}

interface Resource {
  attributes: AttributeMap;
  serviceName: string;
  schemaUrl: string;
}

function readResource(ctx: Ctx, holder: Obj, path: string): Resource {
  const res = asObject(holder.resource, `${path}.resource`);
  const attributes = readAttributes(ctx, res.attributes, `${path}.resource.attributes`);
  return {
    attributes,
    serviceName: attributes[RESOURCE.SERVICE_NAME] ?? '',
    schemaUrl: asString(holder.schemaUrl, `${path}.schemaUrl`),
  };
}

interface Scope {
  name: string;
  version: string;
  attributes: AttributeMap;
  schemaUrl: string;
}

function readScope(ctx: Ctx, holder: Obj, path: string): Scope {
  const s = asObject(holder.scope, `${path}.scope`);
  return {
    name: asString(s.name, `${path}.scope.name`),
    version: asString(s.version, `${path}.scope.version`),
    attributes: readAttributes(ctx, s.attributes, `${path}.scope.attributes`),
    schemaUrl: asString(holder.schemaUrl, `${path}.schemaUrl`),
  };
}

/** Decodes an OTLP/JSON `ExportTraceServiceRequest` into `otel_traces` rows. */
export function decodeTracesJson(buf: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedTraces {
  const ctx: Ctx = { limits };
  const doc = parseBody(buf);
  const out: DecodedTraces = { rows: [], rejected: 0, rejectReason: '' };
  const resourceSpans = asArray(doc.resourceSpans, 'resourceSpans');
  for (let ri = 0; ri < resourceSpans.length; ri++) {
    const rpath = `resourceSpans[${ri}]`;
    const rs = asObject(resourceSpans[ri], rpath);
    const resource = readResource(ctx, rs, rpath);
    const scopeSpans = asArray(rs.scopeSpans, `${rpath}.scopeSpans`);
    for (let si = 0; si < scopeSpans.length; si++) {
      const spath = `${rpath}.scopeSpans[${si}]`;
      const ss = asObject(scopeSpans[si], spath);
      const scope = readScope(ctx, ss, spath);
      const spans = asArray(ss.spans, `${spath}.spans`);
      for (let i = 0; i < spans.length; i++) {
        const path = `${spath}.spans[${i}]`;
        const row = readSpan(ctx, asObject(spans[i], path), path, resource, scope);
        const problem = spanProblem(row);
        if (problem === undefined) out.rows.push(row);
        else {
          out.rejected++;
          if (out.rejectReason === '') out.rejectReason = `${path}: ${problem}`;
        }
      }
    }
  }
  return out;
}

function readSpan(ctx: Ctx, s: Obj, path: string, resource: Resource, scope: Scope): TraceRow {
  const start = asNanos(s.startTimeUnixNano, `${path}.startTimeUnixNano`);
  const end = asNanos(s.endTimeUnixNano, `${path}.endTimeUnixNano`);
  const status = asObject(s.status, `${path}.status`);
  const row: TraceRow = {
    Timestamp: start,
    TraceId: asHexId(s.traceId, `${path}.traceId`),
    SpanId: asHexId(s.spanId, `${path}.spanId`),
    ParentSpanId: asHexId(s.parentSpanId, `${path}.parentSpanId`),
    TraceState: asString(s.traceState, `${path}.traceState`),
    SpanName: asString(s.name, `${path}.name`),
    SpanKind: spanKindName(asEnum(s.kind, `${path}.kind`, spanKindFromName)),
    ServiceName: resource.serviceName,
    ResourceAttributes: resource.attributes,
    ScopeName: scope.name,
    ScopeVersion: scope.version,
    SpanAttributes: readAttributes(ctx, s.attributes, `${path}.attributes`),
    Duration: durationNanos(start, end),
    StatusCode: statusCodeName(asEnum(status.code, `${path}.status.code`, statusCodeFromName)),
    StatusMessage: asString(status.message, `${path}.status.message`),
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
  const events = asArray(s.events, `${path}.events`);
  if (events.length > ctx.limits.maxAttributes)
    fail(`${path}.events`, `more than ${ctx.limits.maxAttributes} events`);
  for (let i = 0; i < events.length; i++) {
    const epath = `${path}.events[${i}]`;
    const e = asObject(events[i], epath);
    row['Events.Timestamp'].push(asNanos(e.timeUnixNano, `${epath}.timeUnixNano`));
    row['Events.Name'].push(asString(e.name, `${epath}.name`));
    row['Events.Attributes'].push(readAttributes(ctx, e.attributes, `${epath}.attributes`));
  }
  const links = asArray(s.links, `${path}.links`);
  if (links.length > ctx.limits.maxAttributes)
    fail(`${path}.links`, `more than ${ctx.limits.maxAttributes} links`);
  for (let i = 0; i < links.length; i++) {
    const lpath = `${path}.links[${i}]`;
    const l = asObject(links[i], lpath);
    row['Links.TraceId'].push(asHexId(l.traceId, `${lpath}.traceId`));
    row['Links.SpanId'].push(asHexId(l.spanId, `${lpath}.spanId`));
    row['Links.TraceState'].push(asString(l.traceState, `${lpath}.traceState`));
    row['Links.Attributes'].push(readAttributes(ctx, l.attributes, `${lpath}.attributes`));
  }
  return row;
}

/** Decodes an OTLP/JSON `ExportLogsServiceRequest` into `otel_logs` rows. */
export function decodeLogsJson(buf: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedLogs {
  const ctx: Ctx = { limits };
  const doc = parseBody(buf);
  const out: DecodedLogs = { rows: [], rejected: 0, rejectReason: '' };
  const resourceLogs = asArray(doc.resourceLogs, 'resourceLogs');
  for (let ri = 0; ri < resourceLogs.length; ri++) {
    const rpath = `resourceLogs[${ri}]`;
    const rl = asObject(resourceLogs[ri], rpath);
    const resource = readResource(ctx, rl, rpath);
    const scopeLogs = asArray(rl.scopeLogs, `${rpath}.scopeLogs`);
    for (let si = 0; si < scopeLogs.length; si++) {
      const spath = `${rpath}.scopeLogs[${si}]`;
      const sl = asObject(scopeLogs[si], spath);
      const scope = readScope(ctx, sl, spath);
      const records = asArray(sl.logRecords, `${spath}.logRecords`);
      for (let i = 0; i < records.length; i++) {
        const path = `${spath}.logRecords[${i}]`;
        const lr = asObject(records[i], path);
        const ts = asNanos(lr.timeUnixNano, `${path}.timeUnixNano`);
        const observed = asNanos(lr.observedTimeUnixNano, `${path}.observedTimeUnixNano`);
        const row: LogRow = {
          Timestamp: ts === ZERO_TIMESTAMP ? observed : ts,
          TraceId: asHexId(lr.traceId, `${path}.traceId`),
          SpanId: asHexId(lr.spanId, `${path}.spanId`),
          TraceFlags: asInt(lr.flags, `${path}.flags`) & 0xff,
          SeverityText: asString(lr.severityText, `${path}.severityText`),
          SeverityNumber: asEnum(lr.severityNumber, `${path}.severityNumber`, severityFromName) & 0xff,
          ServiceName: resource.serviceName,
          Body:
            lr.body === undefined || lr.body === null ? '' : anyValueText(ctx, lr.body, `${path}.body`, 0),
          ResourceSchemaUrl: resource.schemaUrl,
          ResourceAttributes: resource.attributes,
          ScopeSchemaUrl: scope.schemaUrl,
          ScopeName: scope.name,
          ScopeVersion: scope.version,
          ScopeAttributes: scope.attributes,
          LogAttributes: readAttributes(ctx, lr.attributes, `${path}.attributes`),
          EventName: asString(lr.eventName, `${path}.eventName`),
        };
        const problem = logProblem(row);
        if (problem === undefined) out.rows.push(row);
        else {
          out.rejected++;
          if (out.rejectReason === '') out.rejectReason = `${path}: ${problem}`;
        }
      }
    }
  }
  return out;
}

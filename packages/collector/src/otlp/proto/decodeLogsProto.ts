/**
 * Decodes an OTLP `ExportLogsServiceRequest` straight into `otel_logs` rows, like
 * `decodeTracesProto` does for spans: wrong wire types, truncation, invalid UTF-8 and limit
 * breaches throw `OtlpDecodeError` naming the field; a record with malformed ids is rejected
 * alone (partial success).
 */
import { DEFAULT_DECODE_LIMITS } from '../OtlpDecodeError.js';
import type { DecodeLimits } from '../OtlpDecodeError.js';
import { logProblem } from '../rowProblems.js';
import type { DecodedLogs, LogRow } from '../rowTypes.js';
import { newAttributeMap, ZERO_TIMESTAMP } from '../values.js';
import {
  EMPTY_RESOURCE,
  EMPTY_SCOPE,
  readAnyValueText,
  readKeyValue,
  readResource,
  readScope,
} from './commonMessages.js';
import type { KeyValueTarget, ResourceInfo, ScopeInfo } from './commonMessages.js';
import { checkEnd, Cursor, decodeFailure, WT_I32, WT_I64, WT_LEN, WT_VARINT } from './Cursor.js';

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
    decodeFailure(e);
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

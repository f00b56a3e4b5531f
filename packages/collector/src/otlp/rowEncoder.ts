/**
 * `JSONEachRow` lines for `otel_traces` / `otel_logs` rows, built by concatenation: the same text
 * `JSON.stringify(row)` would give (minus key-order freedom), without walking the object
 * generically. Resource and scope maps shared by many rows are encoded once per batch.
 */
import type { AttributeMap, LogRow, TraceRow } from './rowTypes.js';
import { jsonString } from './values.js';

/** Encodes attribute maps, remembering the last few shared maps (resource, scope). */
export class MapEncoder {
  private lastMap: AttributeMap | undefined;
  private lastText = '';
  private lastMap2: AttributeMap | undefined;
  private lastText2 = '';

  /** Encodes a map that many rows share (by identity); cached until the map object changes. */
  shared(map: AttributeMap): string {
    if (map === this.lastMap) return this.lastText;
    if (map === this.lastMap2) return this.lastText2;
    const text = encodeMap(map);
    this.lastMap2 = this.lastMap;
    this.lastText2 = this.lastText;
    this.lastMap = map;
    this.lastText = text;
    return text;
  }
}

export function encodeMap(map: AttributeMap): string {
  let out = '{';
  let first = true;
  for (const key in map) {
    if (first) first = false;
    else out += ',';
    out += jsonString(key) + ':' + jsonString(map[key]!);
  }
  return out + '}';
}

function encodeStrings(list: readonly string[]): string {
  if (list.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i === 0 ? '' : ',') + jsonString(list[i]!);
  return out + ']';
}

function encodeMaps(list: readonly AttributeMap[]): string {
  if (list.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i === 0 ? '' : ',') + encodeMap(list[i]!);
  return out + ']';
}

/** One `otel_traces` row as a `JSONEachRow` line (with trailing newline). */
export function encodeTraceRow(r: TraceRow, maps: MapEncoder): string {
  return (
    '{"Timestamp":"' +
    r.Timestamp +
    '","TraceId":"' +
    r.TraceId +
    '","SpanId":"' +
    r.SpanId +
    '","ParentSpanId":"' +
    r.ParentSpanId +
    '","TraceState":' +
    jsonString(r.TraceState) +
    ',"SpanName":' +
    jsonString(r.SpanName) +
    ',"SpanKind":"' +
    r.SpanKind +
    '","ServiceName":' +
    jsonString(r.ServiceName) +
    ',"ResourceAttributes":' +
    maps.shared(r.ResourceAttributes) +
    ',"ScopeName":' +
    jsonString(r.ScopeName) +
    ',"ScopeVersion":' +
    jsonString(r.ScopeVersion) +
    ',"SpanAttributes":' +
    encodeMap(r.SpanAttributes) +
    ',"Duration":' +
    (typeof r.Duration === 'number' ? String(r.Duration) : `"${r.Duration}"`) +
    ',"StatusCode":"' +
    r.StatusCode +
    '","StatusMessage":' +
    jsonString(r.StatusMessage) +
    ',"Events.Timestamp":' +
    encodeStrings(r['Events.Timestamp']) +
    ',"Events.Name":' +
    encodeStrings(r['Events.Name']) +
    ',"Events.Attributes":' +
    encodeMaps(r['Events.Attributes']) +
    ',"Links.TraceId":' +
    encodeStrings(r['Links.TraceId']) +
    ',"Links.SpanId":' +
    encodeStrings(r['Links.SpanId']) +
    ',"Links.TraceState":' +
    encodeStrings(r['Links.TraceState']) +
    ',"Links.Attributes":' +
    encodeMaps(r['Links.Attributes']) +
    '}\n'
  );
}

/** One `otel_logs` row as a `JSONEachRow` line (with trailing newline). */
export function encodeLogRow(r: LogRow, maps: MapEncoder): string {
  return (
    '{"Timestamp":"' +
    r.Timestamp +
    '","TraceId":"' +
    r.TraceId +
    '","SpanId":"' +
    r.SpanId +
    '","TraceFlags":' +
    String(r.TraceFlags) +
    ',"SeverityText":' +
    jsonString(r.SeverityText) +
    ',"SeverityNumber":' +
    String(r.SeverityNumber) +
    ',"ServiceName":' +
    jsonString(r.ServiceName) +
    ',"Body":' +
    jsonString(r.Body) +
    ',"ResourceSchemaUrl":' +
    jsonString(r.ResourceSchemaUrl) +
    ',"ResourceAttributes":' +
    maps.shared(r.ResourceAttributes) +
    ',"ScopeSchemaUrl":' +
    jsonString(r.ScopeSchemaUrl) +
    ',"ScopeName":' +
    jsonString(r.ScopeName) +
    ',"ScopeVersion":' +
    jsonString(r.ScopeVersion) +
    ',"ScopeAttributes":' +
    maps.shared(r.ScopeAttributes) +
    ',"LogAttributes":' +
    encodeMap(r.LogAttributes) +
    ',"EventName":' +
    jsonString(r.EventName) +
    '}\n'
  );
}

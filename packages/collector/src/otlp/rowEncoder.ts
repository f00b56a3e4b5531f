/**
 * `JSONEachRow` bytes for `otel_traces` / `otel_logs` rows, written straight into one growing
 * buffer: ASCII text is copied char by char (no intermediate strings), strings that need escaping
 * or hold non-ASCII characters take the slow path. The output is byte for byte what
 * `JSON.stringify(row)` + `\n` gives. Resource and scope maps shared by many rows are encoded once
 * per batch and copied.
 */
import type { AttributeMap, LogRow, TraceRow } from './rowTypes.js';

/** Characters JSON must escape, and everything beyond ASCII (written as UTF-8 by the slow path). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_SLOW_PATH = /["\\\u0000-\u001f\u007f-\uffff]/;

/** Node's Buffer method behind `write(…, 'latin1')`, called directly. */
type WritableBuffer = Buffer & { latin1Write(s: string, offset: number, length: number): number };

/** A growable byte buffer with JSON writers. */
export class JsonLineWriter {
  buf: Buffer;
  pos = 0;
  private lastMap: AttributeMap | undefined;
  private lastStart = 0;
  private lastEnd = 0;
  private lastMap2: AttributeMap | undefined;
  private lastStart2 = 0;
  private lastEnd2 = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes text known to be ASCII without characters JSON must escape (keys, enums, hex, digits). */
  raw(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Writes a JSON string literal. */
  string(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    if (n > 32) {
      // Long strings: one native scan, one native copy.
      if (NEEDS_SLOW_PATH.test(s)) {
        this.slowString(s);
        return;
      }
      const b = this.buf as WritableBuffer;
      b[this.pos++] = 0x22;
      this.pos += b.latin1Write(s, this.pos, n);
      b[this.pos++] = 0x22;
      return;
    }
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
        // Slow path (escapes, non-ASCII): V8's JSON string serialiser, written over what we had.
        this.slowString(s);
        return;
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  private slowString(s: string): void {
    const text = JSON.stringify(s);
    const bytes = Buffer.byteLength(text, 'utf8');
    this.ensure(bytes);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  number(n: number): void {
    this.raw(String(n));
  }

  map(map: AttributeMap): void {
    this.ensure(2);
    this.buf[this.pos++] = 0x7b;
    let first = true;
    for (const key in map) {
      if (first) first = false;
      else this.buf[this.pos++] = 0x2c;
      this.string(key);
      this.ensure(1);
      this.buf[this.pos++] = 0x3a;
      this.string(map[key]!);
      this.ensure(1);
    }
    this.ensure(1);
    this.buf[this.pos++] = 0x7d;
  }

  /** A map many rows share (by identity): encoded once, then copied. */
  sharedMap(map: AttributeMap): void {
    if (map === this.lastMap || map === this.lastMap2) {
      const [start, end] =
        map === this.lastMap ? [this.lastStart, this.lastEnd] : [this.lastStart2, this.lastEnd2];
      this.ensure(end - start);
      this.buf.copy(this.buf, this.pos, start, end);
      this.pos += end - start;
      return;
    }
    const start = this.pos;
    this.map(map);
    this.lastMap2 = this.lastMap;
    this.lastStart2 = this.lastStart;
    this.lastEnd2 = this.lastEnd;
    this.lastMap = map;
    this.lastStart = start;
    this.lastEnd = this.pos;
  }

  strings(list: readonly string[]): void {
    this.raw('[');
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.raw(',');
      this.string(list[i]!);
    }
    this.raw(']');
  }

  maps(list: readonly AttributeMap[]): void {
    this.raw('[');
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.raw(',');
      this.map(list[i]!);
    }
    this.raw(']');
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Appends one `otel_traces` row as a `JSONEachRow` line. */
export function writeTraceRow(w: JsonLineWriter, r: TraceRow): void {
  w.raw('{"Timestamp":');
  w.string(r.Timestamp);
  w.raw(',"TraceId":');
  w.string(r.TraceId);
  w.raw(',"SpanId":');
  w.string(r.SpanId);
  w.raw(',"ParentSpanId":');
  w.string(r.ParentSpanId);
  w.raw(',"TraceState":');
  w.string(r.TraceState);
  w.raw(',"SpanName":');
  w.string(r.SpanName);
  w.raw(',"SpanKind":');
  w.string(r.SpanKind);
  w.raw(',"ServiceName":');
  w.string(r.ServiceName);
  w.raw(',"ResourceAttributes":');
  w.sharedMap(r.ResourceAttributes);
  w.raw(',"ScopeName":');
  w.string(r.ScopeName);
  w.raw(',"ScopeVersion":');
  w.string(r.ScopeVersion);
  w.raw(',"SpanAttributes":');
  w.map(r.SpanAttributes);
  w.raw(',"Duration":');
  if (typeof r.Duration === 'number') w.number(r.Duration);
  else w.string(r.Duration);
  w.raw(',"StatusCode":');
  w.string(r.StatusCode);
  w.raw(',"StatusMessage":');
  w.string(r.StatusMessage);
  w.raw(',"Events.Timestamp":');
  w.strings(r['Events.Timestamp']);
  w.raw(',"Events.Name":');
  w.strings(r['Events.Name']);
  w.raw(',"Events.Attributes":');
  w.maps(r['Events.Attributes']);
  w.raw(',"Links.TraceId":');
  w.strings(r['Links.TraceId']);
  w.raw(',"Links.SpanId":');
  w.strings(r['Links.SpanId']);
  w.raw(',"Links.TraceState":');
  w.strings(r['Links.TraceState']);
  w.raw(',"Links.Attributes":');
  w.maps(r['Links.Attributes']);
  w.raw('}\n');
}

/** Appends one `otel_logs` row as a `JSONEachRow` line. */
export function writeLogRow(w: JsonLineWriter, r: LogRow): void {
  w.raw('{"Timestamp":');
  w.string(r.Timestamp);
  w.raw(',"TraceId":');
  w.string(r.TraceId);
  w.raw(',"SpanId":');
  w.string(r.SpanId);
  w.raw(',"TraceFlags":');
  w.number(r.TraceFlags);
  w.raw(',"SeverityText":');
  w.string(r.SeverityText);
  w.raw(',"SeverityNumber":');
  w.number(r.SeverityNumber);
  w.raw(',"ServiceName":');
  w.string(r.ServiceName);
  w.raw(',"Body":');
  w.string(r.Body);
  w.raw(',"ResourceSchemaUrl":');
  w.string(r.ResourceSchemaUrl);
  w.raw(',"ResourceAttributes":');
  w.sharedMap(r.ResourceAttributes);
  w.raw(',"ScopeSchemaUrl":');
  w.string(r.ScopeSchemaUrl);
  w.raw(',"ScopeName":');
  w.string(r.ScopeName);
  w.raw(',"ScopeVersion":');
  w.string(r.ScopeVersion);
  w.raw(',"ScopeAttributes":');
  w.sharedMap(r.ScopeAttributes);
  w.raw(',"LogAttributes":');
  w.map(r.LogAttributes);
  w.raw(',"EventName":');
  w.string(r.EventName);
  w.raw('}\n');
}

/** `JSONEachRow` bytes of a batch of `otel_traces` rows. */
export function encodeTraceRows(rows: readonly TraceRow[]): Buffer {
  const w = new JsonLineWriter(Math.max(4096, rows.length * 1024));
  for (let i = 0; i < rows.length; i++) writeTraceRow(w, rows[i]!);
  return w.bytes();
}

/** `JSONEachRow` bytes of a batch of `otel_logs` rows. */
export function encodeLogRows(rows: readonly LogRow[]): Buffer {
  const w = new JsonLineWriter(Math.max(4096, rows.length * 512));
  for (let i = 0; i < rows.length; i++) writeLogRow(w, rows[i]!);
  return w.bytes();
}

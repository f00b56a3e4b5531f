/**
 * Fresh trace ids for re-sent bench batches. The bench sends its captured requests round-robin; with
 * the same ids every round, spans after the first round would be copies of spans already stored
 * (which the schema counts once, migration 0015), so every round rewrites 4 bytes of each span's
 * trace id instead: the bodies keep their size and encoding, and every span sent is a new span.
 */

/** One protobuf varint at `pos`: its value and the position after it. */
function varint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}

/** The (start, end) of each length-delimited field `field` directly inside `[start, end)`. */
function fields(buf: Buffer, start: number, end: number, field: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = varint(buf, pos);
    const wire = key & 7;
    pos = afterKey;
    if (wire === 0) pos = varint(buf, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, body] = varint(buf, pos);
      if (Math.floor(key / 8) === field) out.push([body, body + len]);
      pos = body + len;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
  return out;
}

/**
 * Offsets of every span's 16-byte trace id in an OTLP `ExportTraceServiceRequest`
 * (resource_spans = 1 → scope_spans = 2 → spans = 2 → trace_id = 1).
 */
export function traceIdOffsets(body: Buffer): number[] {
  const out: number[] = [];
  for (const [rs, rsEnd] of fields(body, 0, body.length, 1))
    for (const [ss, ssEnd] of fields(body, rs, rsEnd, 2))
      for (const [span, spanEnd] of fields(body, ss, ssEnd, 2))
        for (const [id, idEnd] of fields(body, span, spanEnd, 1)) if (idEnd - id === 16) out.push(id);
  return out;
}

/** A copy of `body` whose trace ids carry `round` in their first 4 bytes. */
export function withRound(body: Buffer, offsets: readonly number[], round: number): Buffer {
  const copy = Buffer.from(body);
  for (const at of offsets) copy.writeUInt32BE(round >>> 0, at);
  return copy;
}

/** A hex trace id with `round` in its first 4 bytes (the ceiling process's rows). */
export function hexWithRound(traceId: string, round: number): string {
  return (round >>> 0).toString(16).padStart(8, '0') + traceId.slice(8);
}

/**
 * Rows `n·size` … `n·size + size − 1` of an endless cycle over `rows`, the trace ids of each round
 * over them carrying the round (see {@link hexWithRound}): block `n` of an insert series in which
 * every span is new.
 */
export function freshRows<R extends { TraceId: string }>(rows: readonly R[], n: number, size: number): R[] {
  const out: R[] = [];
  for (let k = 0; k < size; k++) {
    const g = n * size + k;
    const r = rows[g % rows.length]!;
    out.push({ ...r, TraceId: hexWithRound(r.TraceId, Math.floor(g / rows.length)) });
  }
  return out;
}

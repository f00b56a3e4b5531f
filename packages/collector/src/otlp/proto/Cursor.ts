/**
 * The protobuf wire reader of the OTLP decoders: protobufjs's `Reader` over the request bytes, with
 * the limits and the current path (for error messages), bounds-checked reads of every wire type,
 * and interned UTF-8 strings. Wrong wire types, truncation and invalid UTF-8 throw
 * {@link OtlpDecodeError} naming the field.
 */
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs/minimal.js';
import { OtlpDecodeError } from '../OtlpDecodeError.js';
import type { DecodeLimits } from '../OtlpDecodeError.js';
import { nanosToTimestamp } from '../values.js';

type Reader = protobuf.Reader;
const { Reader: ReaderClass } = protobuf;

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;
const WIRE_NAMES = ['varint', 'i64', 'len', 'sgroup', 'egroup', 'i32', '6', '7'];

/** Decoder state: the reader, limits, and where we are (for error messages). */
export class Cursor {
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

/** Throws unless the reader is exactly at the end `stop` of a nested message. */
export function checkEnd(c: Cursor, stop: number): void {
  if (c.r.pos !== stop) c.fail('truncated: a nested message overruns its length');
}

/** Rethrows a decoder failure as an {@link OtlpDecodeError} (protobufjs throws plain errors). */
export function decodeFailure(e: unknown): never {
  if (e instanceof OtlpDecodeError) throw e;
  const message = e instanceof Error ? e.message : String(e);
  if (/index out of range/.test(message))
    throw new OtlpDecodeError(`request: truncated protobuf (${message})`);
  throw new OtlpDecodeError(`request: malformed protobuf (${message})`);
}

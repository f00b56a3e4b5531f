/**
 * The on-disk format of a write-ahead log segment (see `WriteAheadLog.ts` for the log itself): the
 * segment file name, the record header, and the reads and writes of segment files.
 *
 * A segment is named `seg-<id>.wal`, the id being time, sequence and random (`segmentId`). It is a
 * run of records, each laid out (little-endian) as: magic u32 `PLW1` | payload length u32 | rows
 * u32 | kind u8 | format u8 | 2 reserved bytes | crc32 u32 (of the 16 header bytes before it, then
 * the payload) | payload. Format 1 is ClickHouse `Native` blocks (what this collector writes); 0 is
 * `JSONEachRow` lines, which collectors before the `Native` encoding wrote, so their segments still
 * replay.
 *
 * `scanSegment` verifies every record of a segment file: after a damaged one it finds the next
 * whole, checksum-valid record by its magic, and damage with no valid record after it is a torn tail.
 */
import { closeSync, openSync, readSync, writevSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type WalKind = 'traces' | 'logs';
/** How a record's payload is encoded (a ClickHouse input format name). */
export type WalFormat = 'Native' | 'JSONEachRow';

/** Size of the pieces a segment file is read in (a `WalBatch`'s chunks, a scan's window). */
export const READ_CHUNK_BYTES = 1024 * 1024;

const MAGIC = 0x31574c50; // "PLW1"
const MAGIC_BYTES = Buffer.from([0x50, 0x4c, 0x57, 0x31]);
/** Bytes of a record's header; its payload follows. */
export const RECORD_HEADER_BYTES = 20;
const KIND_CODE: Record<WalKind, number> = { traces: 1, logs: 2 };
const KIND_OF = new Map<number, WalKind>([
  [1, 'traces'],
  [2, 'logs'],
]);
const FORMAT_CODE: Record<WalFormat, number> = { JSONEachRow: 0, Native: 1 };
const FORMAT_OF = new Map<number, WalFormat>([
  [0, 'JSONEachRow'],
  [1, 'Native'],
]);
const SEGMENT_RE = /^seg-(\d{14}-\d{6}-[0-9a-f]{8})\.wal$/;

/**
 * A new segment's id, unique forever: the time, the log's sequence number `seq` (modulo a million)
 * and random bytes.
 */
export function segmentId(seq: number): string {
  return `${String(Date.now()).padStart(14, '0')}-${String(seq % 1_000_000).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
}

/** The file name of segment `id`. */
export function segmentFileName(id: string): string {
  return `seg-${id}.wal`;
}

/** The id of the segment a file name names, or `undefined` when it is not a segment's name. */
export function segmentIdOf(fileName: string): string | undefined {
  return SEGMENT_RE.exec(fileName)?.[1];
}

/** The header of a record holding `payload` (its checksum covers the payload). */
export function recordHeader(rec: {
  kind: WalKind;
  format: WalFormat;
  rows: number;
  payload: Buffer;
}): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(rec.payload.length, 4);
  header.writeUInt32LE(rec.rows, 8);
  header.writeUInt32LE(KIND_CODE[rec.kind] | (FORMAT_CODE[rec.format] << 8), 12);
  header.writeUInt32LE(crc32(rec.payload, crc32(header.subarray(0, 16))), 16);
  return header;
}

/** Where one whole, checksum-valid record sits in a segment file. */
export interface RecordInfo {
  offset: number;
  /** Payload bytes (after the header). */
  length: number;
  rows: number;
  kind: WalKind;
  format: WalFormat;
}

/** What a verified read of a segment found. */
export interface SegmentScan {
  records: RecordInfo[];
  /** Damaged byte ranges `[offset, length]` with whole records after them (skipped). */
  corrupt: Array<[number, number]>;
  /** End of the last whole record; anything after it is a torn tail. */
  end: number;
}

/**
 * Writes all of `parts` (`total` bytes) at the end of the file `fd` was opened to append to, in
 * one vectored write unless the disk takes less.
 */
export function writevAll(fd: number, parts: Buffer[], total: number): void {
  let written = writevSync(fd, parts);
  while (written < total) {
    // Partial write (disk full or signal): write the rest; an error is thrown to the caller, which
    // cuts what was written off again.
    let skip = written;
    const rest: Buffer[] = [];
    for (const p of parts) {
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      rest.push(skip > 0 ? p.subarray(skip) : p);
      skip = 0;
    }
    const n = writevSync(fd, rest);
    if (n === 0) throw new Error('WAL write made no progress');
    written += n;
  }
}

/** Reads into all of `buf` from `position` unless the file ends first; the bytes read. */
function readFully(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** The bytes of `ranges` ([offset, length] in `file`) in pieces of one reused buffer. */
export function* readRanges(
  file: string,
  ranges: ReadonlyArray<readonly [number, number]>,
): Generator<Buffer> {
  const largest = ranges.reduce((n, [, len]) => Math.max(n, len), 0);
  const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(1, largest)));
  const fd = openSync(file, 'r');
  try {
    for (const [offset, len] of ranges) {
      for (let done = 0; done < len;) {
        const want = buf.subarray(0, Math.min(buf.length, len - done));
        const n = readFully(fd, want, offset + done);
        if (n < want.length) throw new Error(`WAL segment ${file} ends inside a record`);
        yield want;
        done += n;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the first `size` bytes of a segment file and verifies every record (header fields and
 * checksum). After a damaged record the scan looks for the next whole, checksum-valid record (by its
 * magic) and goes on from there; damage with no valid record after it is a torn tail.
 */
export function scanSegment(fd: number, size: number): SegmentScan {
  const reader = new SegmentReader(fd, size);
  const records: RecordInfo[] = [];
  const corrupt: Array<[number, number]> = [];
  let pos = 0;
  let end = 0;
  while (pos < size) {
    const rec = reader.recordAt(pos);
    if (rec !== undefined) {
      records.push(rec);
      pos += RECORD_HEADER_BYTES + rec.length;
      end = pos;
      continue;
    }
    const next = reader.nextRecord(pos + 1);
    if (next === undefined) break;
    corrupt.push([pos, next - pos]);
    pos = next;
  }
  return { records, corrupt, end };
}

/** Sequential reads of a segment file through one window buffer (records are mostly small). */
class SegmentReader {
  private readonly fd: number;
  private readonly size: number;
  private readonly window = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  private windowStart = 0;
  private windowEnd = 0;

  constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
  }

  /** `length` bytes from `pos` (at most the window's size), or fewer at the end of the file. */
  private bytes(pos: number, length: number): Buffer {
    if (pos < this.windowStart || pos + length > this.windowEnd) {
      const n = readFully(
        this.fd,
        this.window.subarray(0, Math.min(this.window.length, this.size - pos)),
        pos,
      );
      this.windowStart = pos;
      this.windowEnd = pos + n;
    }
    const from = pos - this.windowStart;
    return this.window.subarray(from, Math.min(from + length, this.windowEnd - this.windowStart));
  }

  /** The whole, checksum-valid record at `pos`, or `undefined`. */
  recordAt(pos: number): RecordInfo | undefined {
    if (pos + RECORD_HEADER_BYTES > this.size) return undefined;
    const header = this.bytes(pos, RECORD_HEADER_BYTES);
    if (header.length < RECORD_HEADER_BYTES || header.readUInt32LE(0) !== MAGIC) return undefined;
    const length = header.readUInt32LE(4);
    const rows = header.readUInt32LE(8);
    const kind = KIND_OF.get(header[12]!);
    const format = FORMAT_OF.get(header[13]!);
    const want = header.readUInt32LE(16);
    if (kind === undefined || format === undefined || header.readUInt16LE(14) !== 0) return undefined;
    if (pos + RECORD_HEADER_BYTES + length > this.size) return undefined;
    let crc = crc32(header.subarray(0, 16));
    for (let done = 0; done < length;) {
      const piece = this.bytes(pos + RECORD_HEADER_BYTES + done, Math.min(this.window.length, length - done));
      if (piece.length === 0) return undefined;
      crc = crc32(piece, crc);
      done += piece.length;
    }
    return crc === want ? { offset: pos, length, rows, kind, format } : undefined;
  }

  /** Offset of the first whole, checksum-valid record at or after `from`, or `undefined`. */
  nextRecord(from: number): number | undefined {
    for (let base = from; base + RECORD_HEADER_BYTES <= this.size;) {
      const chunk = Buffer.from(this.bytes(base, this.window.length));
      for (let i = chunk.indexOf(MAGIC_BYTES); i !== -1; i = chunk.indexOf(MAGIC_BYTES, i + 1)) {
        if (this.recordAt(base + i) !== undefined) return base + i;
      }
      if (base + chunk.length >= this.size) break;
      // Overlap by a magic's length less one, so a magic across the edge is found.
      base += chunk.length - (MAGIC_BYTES.length - 1);
    }
    return undefined;
  }
}

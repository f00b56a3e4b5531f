/**
 * The collector's write-ahead log: a directory of append-only segment files. A request is
 * acknowledged only once its encoded rows are appended here (and, with `fsync: always`, flushed to
 * disk). A segment is sealed when it reaches `segmentMaxBytes` or when the drainer finds it older
 * than its flush interval; sealed segments are immutable and are exactly one ClickHouse insert
 * batch each, whose `insert_deduplication_token` is derived from the segment's id. Replaying a
 * segment after a crash therefore re-sends identical data with an identical token, which
 * ClickHouse drops as a duplicate: at-least-once delivery, counted once.
 *
 * Record layout (little-endian): magic u32 `PLW1` | payload length u32 | rows u32 | kind u8 |
 * format u8 | 2 reserved bytes | crc32 u32 (of the 16 header bytes before it, then the payload) |
 * payload. Format 1 is ClickHouse `Native` blocks (what this collector writes); 0 is `JSONEachRow`
 * lines, which collectors before the `Native` encoding wrote, so their segments still replay.
 * A torn or corrupt tail (crash mid-write) is cut off at the last whole record on open.
 */
import {
  closeSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import { readFile, rename, stat, truncate } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../logger.js';

export type WalKind = 'traces' | 'logs';
/** How a record's payload is encoded (a ClickHouse input format name). */
export type WalFormat = 'Native' | 'JSONEachRow';
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface WalOptions {
  dir: string;
  /**
   * `always`: fdatasync before acknowledging (group commit: one flush covers every request that
   * arrived while the previous flush ran). `interval`: flush every `fsyncIntervalMs`, acknowledge
   * after the write (survives a killed process, not a power cut). `never`: leave it to the OS.
   */
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  /** A segment is sealed (becomes an insert batch) at this size. */
  segmentMaxBytes: number;
  /** Bound on un-exported bytes on disk; appends beyond it are refused (back-pressure). */
  maxBytes: number;
  /**
   * Bound on the dead-letter folder (`<dir>-dead-letter`, next to the WAL). When a segment does not
   * fit, it is not dead-lettered: it stays at the head of the WAL (nothing is ever deleted).
   */
  deadLetterMaxBytes?: number;
}

/** The dead-letter folder of a WAL directory: `<dir>-dead-letter`, next to it. */
export function deadLetterDir(walDir: string): string {
  return join(dirname(walDir), `${basename(walDir)}-dead-letter`);
}

export interface WalRecord {
  kind: WalKind;
  format: WalFormat;
  rows: number;
  payload: Buffer;
}

/** A sealed, immutable segment awaiting export. */
export interface SealedSegment {
  /** Unique forever (time, sequence, random): the basis of the batch's deduplication token. */
  readonly id: string;
  readonly file: string;
  readonly bytes: number;
  /** Batches already inserted, by {@link WalBatch.id} (a failed insert of another is retried alone). */
  readonly done: Set<string>;
}

/**
 * One insert's worth of a sealed segment: the payloads of one kind and format, in order. A segment
 * normally holds one batch per kind; a format change within a kind (a segment written by two
 * collector versions) starts another.
 */
export interface WalBatch {
  kind: WalKind;
  format: WalFormat;
  /** 0 for the kind's first batch in the segment, then 1, 2, … */
  index: number;
  rows: number;
  /** Length of the body (the payloads back to back). */
  bytes: number;
  /**
   * The body in pieces of at most {@link READ_CHUNK_BYTES}, read from the segment file as they are
   * requested, so a batch is never in memory at once. One buffer is reused: a piece is valid until
   * the next is requested. Each call reads the body afresh (a retried insert does).
   */
  chunks(): Iterable<Buffer>;
}

/** Size of the pieces a {@link WalBatch} is read in. */
export const READ_CHUNK_BYTES = 1024 * 1024;

const MAGIC = 0x31574c50; // "PLW1"
const HEADER = 20;
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

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

class ActiveSegment {
  readonly id: string;
  readonly file: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  bytes = 0;
  waiters: Waiter[] = [];
  syncing = false;
  closed = false;
  sealWaiters: Array<() => void> = [];

  constructor(id: string, file: string) {
    this.id = id;
    this.file = file;
    this.fd = openSync(file, 'a');
  }
}

/** Thrown by {@link WriteAheadLog.append} when the disk bound is reached. */
export class WalFullError extends Error {
  override readonly name = 'WalFullError';
}

export class WriteAheadLog {
  private readonly opts: WalOptions;
  private readonly log: Logger;
  private active: ActiveSegment | undefined;
  private readonly sealedList: SealedSegment[] = [];
  private sealedBytes = 0;
  private deadBytes = 0;
  private seq = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private onSealed: (() => void) | undefined;

  private constructor(opts: WalOptions, log: Logger) {
    this.opts = opts;
    this.log = log;
  }

  /** Opens (creating) the WAL directory; segments left by a previous run become sealed batches. */
  static async open(opts: WalOptions, log: Logger): Promise<WriteAheadLog> {
    mkdirSync(opts.dir, { recursive: true });
    const wal = new WriteAheadLog(opts, log);
    const names = readdirSync(opts.dir)
      .filter((n) => SEGMENT_RE.test(n))
      .sort();
    for (const name of names) {
      const file = join(opts.dir, name);
      const data = await readFile(file);
      const valid = scanValidLength(data);
      if (valid < data.length) {
        log.warn(
          `WAL segment ${name}: cut ${data.length - valid} bytes of torn or corrupt tail (unacknowledged data)`,
        );
        await truncate(file, valid);
      }
      if (valid === 0) {
        unlinkIfExists(file);
        continue;
      }
      const id = SEGMENT_RE.exec(name)![1]!;
      wal.sealedList.push({ id, file, bytes: valid, done: new Set() });
      wal.sealedBytes += valid;
    }
    try {
      for (const name of readdirSync(deadLetterDir(opts.dir)))
        wal.deadBytes += (await stat(join(deadLetterDir(opts.dir), name))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (wal.sealedList.length > 0) {
      log.info(
        `WAL: ${wal.sealedList.length} segment(s), ${wal.sealedBytes} bytes to replay from ${opts.dir}`,
      );
    }
    if (opts.fsync === 'interval') {
      wal.intervalTimer = setInterval(() => wal.flushActive(), opts.fsyncIntervalMs);
      wal.intervalTimer.unref();
    }
    return wal;
  }

  /** Called whenever a segment is sealed (the drainer wakes up). */
  setOnSealed(fn: () => void): void {
    this.onSealed = fn;
  }

  /** Un-exported bytes on disk (sealed + active). */
  get pendingBytes(): number {
    return this.sealedBytes + (this.active?.bytes ?? 0);
  }

  get activeBytes(): number {
    return this.active?.bytes ?? 0;
  }

  /** Milliseconds since the active segment got its first record (0 when empty). */
  get activeAgeMs(): number {
    return this.active === undefined || this.active.bytes === 0 ? 0 : Date.now() - this.active.createdAt;
  }

  get sealedCount(): number {
    return this.sealedList.length;
  }

  /** The disk bound (`maxBytes`). */
  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /** Whether `bytes` more fit under `maxBytes`. */
  hasRoom(bytes: number): boolean {
    return this.pendingBytes + bytes <= this.opts.maxBytes;
  }

  /**
   * Appends one request's records; resolves once they are durable per the fsync policy. Throws
   * {@link WalFullError} (nothing written) when the disk bound would be exceeded.
   */
  append(records: readonly WalRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('WAL is closed'));
    const parts: Buffer[] = [];
    let total = 0;
    for (const rec of records) {
      if (rec.rows === 0) continue;
      const header = Buffer.allocUnsafe(HEADER);
      header.writeUInt32LE(MAGIC, 0);
      header.writeUInt32LE(rec.payload.length, 4);
      header.writeUInt32LE(rec.rows, 8);
      header.writeUInt32LE(KIND_CODE[rec.kind] | (FORMAT_CODE[rec.format] << 8), 12);
      header.writeUInt32LE(crc32(rec.payload, crc32(header.subarray(0, 16))), 16);
      parts.push(header, rec.payload);
      total += HEADER + rec.payload.length;
    }
    if (total === 0) return Promise.resolve();
    if (!this.hasRoom(total))
      return Promise.reject(
        new WalFullError(`WAL holds ${this.pendingBytes} bytes (max ${this.opts.maxBytes})`),
      );
    if (
      this.active !== undefined &&
      this.active.bytes > 0 &&
      this.active.bytes + total > this.opts.segmentMaxBytes
    ) {
      this.seal();
    }
    const seg = this.active ?? (this.active = this.newSegment());
    // One synchronous vectored write per request keeps records whole and ordered.
    writevAll(seg.fd, parts, total);
    seg.bytes += total;
    if (this.opts.fsync !== 'always') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      seg.waiters.push({ resolve, reject });
      this.sync(seg);
    });
  }

  private newSegment(): ActiveSegment {
    const id = `${String(Date.now()).padStart(14, '0')}-${String(++this.seq % 1_000_000).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
    return new ActiveSegment(id, join(this.opts.dir, `seg-${id}.wal`));
  }

  /** Group commit: one fdatasync for every waiter queued when it starts. */
  private sync(seg: ActiveSegment): void {
    if (seg.syncing || seg.waiters.length === 0) return;
    seg.syncing = true;
    const batch = seg.waiters;
    seg.waiters = [];
    fdatasync(seg.fd, (err) => {
      seg.syncing = false;
      for (const w of batch) {
        if (err) w.reject(err);
        else w.resolve();
      }
      if (seg.waiters.length > 0) this.sync(seg);
      else if (seg.closed) this.finishSeal(seg);
    });
  }

  private flushActive(): void {
    const seg = this.active;
    if (seg === undefined || seg.syncing || seg.bytes === 0) return;
    seg.syncing = true;
    fdatasync(seg.fd, () => {
      seg.syncing = false;
      if (seg.closed) this.finishSeal(seg);
    });
  }

  /**
   * Seals the active segment (if it has records): no more appends go to it, and once its data is
   * flushed it becomes the next export batch.
   */
  seal(): void {
    const seg = this.active;
    if (seg === undefined || seg.bytes === 0) return;
    this.active = undefined;
    seg.closed = true;
    // Its bytes move from "active" to "sealing"; count them as sealed right away for the bound.
    this.sealedBytes += seg.bytes;
    if (!seg.syncing && seg.waiters.length === 0) this.finishSeal(seg);
  }

  private finishSeal(seg: ActiveSegment): void {
    if (this.opts.fsync !== 'never') {
      try {
        fsyncSync(seg.fd);
      } catch (e) {
        this.log.error(`WAL: fsync of sealed segment ${seg.id} failed`, e);
      }
    }
    closeSync(seg.fd);
    this.sealedList.push({ id: seg.id, file: seg.file, bytes: seg.bytes, done: new Set() });
    for (const fn of seg.sealWaiters) fn();
    this.onSealed?.();
  }

  /** Sealed segments, oldest first. */
  sealed(): readonly SealedSegment[] {
    return this.sealedList;
  }

  /**
   * A sealed segment's records as insert batches: traces first, then logs (see {@link WalBatch}).
   * Only the record headers are read here; the payloads are read when a batch's chunks are.
   */
  async read(seg: SealedSegment): Promise<WalBatch[]> {
    // Synchronous reads, like appends: asynchronous ones are each a round trip through an event loop
    // busy decoding requests, and the engine, which only inserts one batch at a time, would sit idle.
    const byKind: Record<
      WalKind,
      Array<{ format: WalFormat; ranges: Array<[number, number]>; rows: number }>
    > = { traces: [], logs: [] };
    const header = Buffer.alloc(HEADER);
    const fd = openSync(seg.file, 'r');
    try {
      let pos = 0;
      while (pos + HEADER <= seg.bytes && readFully(fd, header, pos) === HEADER) {
        const len = header.readUInt32LE(4);
        const rows = header.readUInt32LE(8);
        const kind = KIND_OF.get(header[12]!);
        const format = FORMAT_OF.get(header[13]!);
        const range: [number, number] = [pos + HEADER, Math.min(len, seg.bytes - pos - HEADER)];
        pos += HEADER + len;
        if (kind === undefined || format === undefined) continue;
        const runs = byKind[kind];
        const last = runs.at(-1);
        if (last?.format === format) {
          last.ranges.push(range);
          last.rows += rows;
        } else runs.push({ format, ranges: [range], rows });
      }
    } finally {
      closeSync(fd);
    }
    return (['traces', 'logs'] as const).flatMap((kind) =>
      byKind[kind].map((run, index) => ({
        kind,
        format: run.format,
        index,
        rows: run.rows,
        bytes: run.ranges.reduce((n, [, len]) => n + len, 0),
        chunks: () => readRanges(seg.file, run.ranges),
      })),
    );
  }

  /** Deletes an exported segment. */
  async remove(seg: SealedSegment): Promise<void> {
    const i = this.sealedList.indexOf(seg);
    if (i !== -1) {
      this.sealedList.splice(i, 1);
      this.sealedBytes -= seg.bytes;
    }
    unlinkIfExists(seg.file);
  }

  /** Bytes in the dead-letter folder. */
  get deadLetterBytes(): number {
    return this.deadBytes;
  }

  /**
   * Moves a sealed segment to the dead-letter folder (same file name; moving it back into the WAL
   * directory before a start replays it). Returns the new path, or `undefined` when the folder's
   * bound (`deadLetterMaxBytes`, default 256 MiB) would be exceeded (the segment then stays put).
   */
  async deadLetter(seg: SealedSegment): Promise<string | undefined> {
    const max = this.opts.deadLetterMaxBytes ?? 256 * 1024 * 1024;
    if (this.deadBytes + seg.bytes > max) return undefined;
    const dir = deadLetterDir(this.opts.dir);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, basename(seg.file));
    await rename(seg.file, target);
    this.deadBytes += seg.bytes;
    const i = this.sealedList.indexOf(seg);
    if (i !== -1) {
      this.sealedList.splice(i, 1);
      this.sealedBytes -= seg.bytes;
    }
    return target;
  }

  /** Seals the active segment and waits until it is flushed and listed. */
  async sealAndWait(): Promise<void> {
    const seg = this.active;
    if (seg === undefined || seg.bytes === 0) return;
    const done = new Promise<void>((resolve) => seg.sealWaiters.push(resolve));
    this.seal();
    await done;
  }

  /** Seals and closes; nothing written is lost (segments stay on disk until exported). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.sealAndWait();
    this.closed = true;
    if (this.intervalTimer !== undefined) clearInterval(this.intervalTimer);
  }

  /** Total bytes of segment files in the directory (for tests and health). */
  async diskBytes(): Promise<number> {
    let total = 0;
    for (const s of this.sealedList) total += (await stat(s.file).catch(() => ({ size: 0 }))).size;
    return total + (this.active?.bytes ?? 0);
  }
}

function unlinkIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function writevAll(fd: number, parts: Buffer[], total: number): void {
  let written = writevSync(fd, parts);
  while (written < total) {
    // Partial write (rare: disk full or signal): write the rest.
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
function* readRanges(file: string, ranges: ReadonlyArray<readonly [number, number]>): Generator<Buffer> {
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

/** Length of the prefix of `data` made of whole, checksum-valid records. */
export function scanValidLength(data: Buffer): number {
  let pos = 0;
  while (pos + HEADER <= data.length) {
    if (data.readUInt32LE(pos) !== MAGIC) break;
    const len = data.readUInt32LE(pos + 4);
    if (pos + HEADER + len > data.length) break;
    if (!KIND_OF.has(data[pos + 12]!) || !FORMAT_OF.has(data[pos + 13]!) || data.readUInt16LE(pos + 14) !== 0)
      break;
    const want = data.readUInt32LE(pos + 16);
    const got = crc32(data.subarray(pos + HEADER, pos + HEADER + len), crc32(data.subarray(pos, pos + 16)));
    if (want !== got) break;
    pos += HEADER + len;
  }
  return pos;
}

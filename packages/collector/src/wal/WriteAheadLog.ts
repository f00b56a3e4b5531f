/**
 * The collector's write-ahead log: a directory of append-only segment files. A request is
 * acknowledged only once its encoded rows are appended here (and, with `fsync: always`, flushed to
 * disk). A segment is sealed when it reaches `segmentMaxBytes` or when the drainer finds it older
 * than its flush interval; sealed segments are immutable and are exactly one ClickHouse insert
 * batch each, whose `insert_deduplication_token` is derived from the segment's id. Replaying a
 * segment after a crash therefore re-sends identical data with an identical token, which
 * ClickHouse drops as a duplicate: at-least-once delivery, counted once.
 *
 * This file holds the log: appending, flushing, sealing, reading sealed segments as insert batches,
 * removing and dead-lettering them. The segment files' format (file names, the record header and
 * its checksum, verifying scans, chunked reads) is in `segmentFormat.ts`.
 *
 * Damage never reaches ClickHouse and never holds up other segments. An append that fails (disk
 * full, I/O error) is cut back off the segment before the request is refused, so the next
 * acknowledged request follows the last whole record; if it cannot be cut, the segment is sealed at
 * its last whole record and appends go to a new one. Every record's checksum is verified before a
 * segment is exported: a corrupt record is skipped (logged, counted in {@link corruptBytes}) and the
 * records after it, found again by their magic and checksum, are exported. On open, a torn tail (a
 * write a crash interrupted: never acknowledged) is cut off.
 */
import {
  chmodSync,
  closeSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../logger.js';
import {
  READ_CHUNK_BYTES,
  RECORD_HEADER_BYTES,
  readRanges,
  recordHeader,
  scanSegment,
  segmentFileName,
  segmentId,
  segmentIdOf,
  writevAll,
} from './segmentFormat.js';
import type { RecordInfo, SegmentScan, WalFormat, WalKind } from './segmentFormat.js';

// The record vocabulary and the read piece size are part of the log's interface.
export { READ_CHUNK_BYTES };
export type { WalFormat, WalKind };

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
  /**
   * Bytes of span identities (`WalRecord.identities`, 16 a span) kept in memory with segments at
   * most; a segment whose identities do not fit keeps none. Default 32 MiB (~2M spans, a backlog of
   * ~2 GB of segments at ~1 KB a span).
   */
  maxIdentityBytes?: number;
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
  /**
   * The project whose rows these are (the request's key's). Kept in memory with the segment, not
   * written to it: it tells readers whose data an export changed (see {@link SealedSegment.projects}).
   */
  project?: string;
  /**
   * With `project`: every prompt name the rows may be stored under, when they can be told (see
   * `promptNamesOf`). Kept in memory like `project` (see {@link SealedSegment.prompts}).
   */
  prompts?: ReadonlySet<string>;
  /**
   * For a traces record: its spans' identities (`spanIdentities` of exporter/NewSpans.ts), kept in
   * memory like `project`: they let the exporter tell an insert of only new spans (decision 0035).
   */
  identities?: Float64Array;
}

function identityBytesOf(ids: readonly Float64Array[] | undefined): number {
  let n = 0;
  for (const a of ids ?? []) n += a.byteLength;
  return n;
}

/** A sealed, immutable segment awaiting export. */
export interface SealedSegment {
  /** Unique forever (time, sequence, random): the basis of the batch's deduplication token. */
  readonly id: string;
  readonly file: string;
  readonly bytes: number;
  /** Batches already inserted, by {@link WalBatch.id} (a failed insert of another is retried alone). */
  readonly done: Set<string>;
  /**
   * The projects whose rows the segment holds, when known: recorded as the records were appended.
   * Undefined for a segment found on disk at open (written by an earlier run) or holding a record
   * without a project: then any project's data may change when it is exported.
   */
  readonly projects?: ReadonlySet<string>;
  /**
   * For each of {@link projects} whose every record told its prompts: those prompts (the segment
   * changes no other prompt's figures of that project). A project of `projects` missing here may
   * have any of its prompts changed.
   */
  readonly prompts?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * The identities of the segment's spans, when every traces record told them (see
   * {@link WalRecord.identities}); undefined for a segment found on disk at open.
   */
  readonly identities?: readonly Float64Array[];
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
  /** The segment's {@link SealedSegment.projects}: whose data inserting this batch changes. */
  projects?: ReadonlySet<string>;
  /** The segment's {@link SealedSegment.prompts}. */
  prompts?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The identities of a traces batch's spans, when the segment holds them (and only this traces batch). */
  identities?: readonly Float64Array[];
  /**
   * The body in pieces of at most {@link READ_CHUNK_BYTES}, read from the segment file as they are
   * requested, so a batch is never in memory at once. One buffer is reused: a piece is valid until
   * the next is requested. Each call reads the body afresh (a retried insert does).
   */
  chunks(): Iterable<Buffer>;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

class ActiveSegment {
  readonly id: string;
  readonly file: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  /** Bytes of whole records written. */
  bytes = 0;
  /** Bytes covered by the last successful flush (`fsync: always`): what has been acknowledged. */
  durable = 0;
  waiters: Waiter[] = [];
  syncing = false;
  closed = false;
  sealWaiters: Array<() => void> = [];
  /** Projects of the records written (undefined once a record without one was). */
  projects: Set<string> | undefined = new Set();
  /** Prompts of the records written, per project (null once a record of it did not tell them). */
  prompts = new Map<string, Set<string> | null>();
  /** Identities of the traces records written (undefined once a traces record without them was). */
  identities: Float64Array[] | undefined = [];

  constructor(id: string, file: string) {
    this.id = id;
    this.file = file;
    this.fd = openSync(file, 'a', 0o600);
  }
}

/** Thrown by {@link WriteAheadLog.append} when the disk bound is reached. */
export class WalFullError extends Error {
  override readonly name = 'WalFullError';
}

/**
 * Thrown by {@link WriteAheadLog.append} when the disk refused the write or its flush (full, quota,
 * I/O error). Nothing of the request stays in the WAL: it was cut back off, or its segment sealed
 * before it.
 */
export class WalWriteError extends Error {
  override readonly name = 'WalWriteError';
  /** The failed call's errno code, e.g. `ENOSPC`; `EUNKNOWN` when it had none. */
  readonly code: string;
  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }

  /** The filesystem (or the user's quota on it) is full. */
  get diskFull(): boolean {
    return this.code === 'ENOSPC' || this.code === 'EDQUOT';
  }
}

export class WriteAheadLog {
  private readonly opts: WalOptions;
  private readonly log: Logger;
  private active: ActiveSegment | undefined;
  private readonly sealedList: SealedSegment[] = [];
  /**
   * What the last verified read of a sealed segment found; `fresh` when open() just scanned it (the
   * first read uses that scan, later ones verify again).
   */
  private readonly layouts = new WeakMap<SealedSegment, { scan: SegmentScan; fresh: boolean }>();
  private sealedBytes = 0;
  /** Bytes of span identities held with segments (see {@link keepIdentities}). */
  private identityBytes = 0;
  private deadBytes = 0;
  private seq = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private onSealed: (() => void) | undefined;
  /** Bytes skipped because their checksum did not verify (acknowledged data that is lost). */
  corruptBytes = 0;
  /** Damaged ranges skipped (each one or more records). */
  corruptRegions = 0;

  private constructor(opts: WalOptions, log: Logger) {
    this.opts = opts;
    this.log = log;
  }

  /** Opens (creating) the WAL directory; segments left by a previous run become sealed batches. */
  static async open(opts: WalOptions, log: Logger): Promise<WriteAheadLog> {
    ensurePrivateDir(opts.dir, log);
    const wal = new WriteAheadLog(opts, log);
    const names = readdirSync(opts.dir)
      .filter((n) => segmentIdOf(n) !== undefined)
      .sort();
    for (const name of names) {
      const file = join(opts.dir, name);
      const fd = openSync(file, 'r+');
      let scan: SegmentScan;
      try {
        // Segments of older versions were created readable by everyone.
        if ((fstatSync(fd).mode & 0o077) !== 0) chmodSync(file, 0o600);
        const size = fstatSync(fd).size;
        scan = scanSegment(fd, size);
        if (scan.end < size) {
          log.warn(
            `WAL segment ${name}: cut ${size - scan.end} bytes of torn tail (a write the process did not finish: never acknowledged)`,
          );
          ftruncateSync(fd, scan.end);
        }
      } finally {
        closeSync(fd);
      }
      wal.reportCorrupt(name, scan.corrupt);
      if (scan.end === 0) {
        unlinkIfExists(file);
        continue;
      }
      const id = segmentIdOf(name)!;
      const seg: SealedSegment = { id, file, bytes: scan.end, done: new Set() };
      wal.layouts.set(seg, { scan, fresh: true });
      wal.sealedList.push(seg);
      wal.sealedBytes += scan.end;
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
   * {@link WalFullError} (nothing written) when the disk bound would be exceeded, and
   * {@link WalWriteError} (nothing kept) when the disk refuses the write or its flush.
   */
  append(records: readonly WalRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('WAL is closed'));
    const parts: Buffer[] = [];
    let total = 0;
    for (const rec of records) {
      if (rec.rows === 0) continue;
      parts.push(recordHeader(rec), rec.payload);
      total += RECORD_HEADER_BYTES + rec.payload.length;
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
    let seg: ActiveSegment;
    try {
      seg = this.active ?? (this.active = this.newSegment());
    } catch (e) {
      return Promise.reject(this.writeError('create a segment in', e));
    }
    try {
      // One synchronous vectored write per request keeps records whole and ordered.
      writevAll(seg.fd, parts, total);
    } catch (e) {
      this.cutFailedWrite(seg);
      return Promise.reject(this.writeError('write to', e));
    }
    seg.bytes += total;
    for (const rec of records) {
      if (rec.kind === 'traces') this.keepIdentities(seg, rec.identities);
      if (rec.project === undefined) {
        seg.projects = undefined;
        continue;
      }
      seg.projects?.add(rec.project);
      const known = seg.prompts.get(rec.project);
      if (rec.prompts === undefined) seg.prompts.set(rec.project, null);
      else if (known === undefined) seg.prompts.set(rec.project, new Set(rec.prompts));
      else if (known !== null) for (const name of rec.prompts) known.add(name);
    }
    if (this.opts.fsync !== 'always') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      seg.waiters.push({ resolve, reject });
      this.sync(seg);
    });
  }

  private writeError(what: string, e: unknown): WalWriteError {
    const code = (e as NodeJS.ErrnoException | null)?.code ?? 'EUNKNOWN';
    const reason =
      code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is used up' : code;
    return new WalWriteError(
      `could not ${what} the write-ahead log in ${this.opts.dir}: ${reason} (${e instanceof Error ? e.message : String(e)})`,
      code,
      e,
    );
  }

  /**
   * After a failed write (part of it may be on disk), cuts the segment back to its last whole
   * record, so the next request's records follow it. When that is impossible too, the segment is
   * sealed there: the partial bytes stay as its tail, outside its length (cut on the next open).
   */
  private cutFailedWrite(seg: ActiveSegment): void {
    try {
      ftruncateSync(seg.fd, seg.bytes);
      return;
    } catch (e) {
      this.log.error(
        `WAL: could not cut a failed write off segment ${seg.id} (${e instanceof Error ? e.message : String(e)}); sealing it at its last whole record`,
      );
    }
    this.retire(seg, seg.bytes);
  }

  /**
   * Takes `seg` out of service with its first `keep` bytes (the rest belongs to refused requests):
   * sealed as an export batch, or removed when nothing is left.
   */
  private retire(seg: ActiveSegment, keep: number): void {
    if (this.active === seg) this.active = undefined;
    if (seg.closed) this.sealedBytes -= seg.bytes - keep;
    else {
      seg.closed = true;
      this.sealedBytes += keep;
    }
    seg.bytes = keep;
    if (seg.syncing || seg.waiters.length > 0) return; // finished when the flush in progress ends
    if (keep > 0) {
      this.finishSeal(seg);
      return;
    }
    closeSync(seg.fd);
    unlinkIfExists(seg.file);
    for (const fn of seg.sealWaiters) fn();
  }

  private newSegment(): ActiveSegment {
    const id = segmentId(++this.seq);
    return new ActiveSegment(id, join(this.opts.dir, segmentFileName(id)));
  }

  /** Group commit: one fdatasync for every waiter queued when it starts. */
  private sync(seg: ActiveSegment): void {
    if (seg.syncing || seg.waiters.length === 0) return;
    seg.syncing = true;
    const batch = seg.waiters;
    const upTo = seg.bytes;
    seg.waiters = [];
    fdatasync(seg.fd, (err) => {
      seg.syncing = false;
      if (err !== null) {
        this.flushFailed(seg, batch, err);
        return;
      }
      seg.durable = upTo;
      for (const w of batch) w.resolve();
      if (seg.waiters.length > 0) this.sync(seg);
      else if (seg.closed) this.finishSeal(seg);
    });
  }

  /**
   * A flush failed: what it covered may not be on disk. Every request waiting for it (or for the
   * next one) is refused, their records are cut off (back to the last successful flush, i.e. what
   * was acknowledged), and the segment is sealed there; new requests go to a new segment.
   */
  private flushFailed(seg: ActiveSegment, batch: Waiter[], err: NodeJS.ErrnoException): void {
    const refused = [...batch, ...seg.waiters];
    seg.waiters = [];
    const error = this.writeError('flush', err);
    try {
      ftruncateSync(seg.fd, seg.durable);
    } catch (e) {
      this.log.error(
        `WAL: could not cut refused requests off segment ${seg.id} (${e instanceof Error ? e.message : String(e)}); after a restart they may be exported as well as retried`,
      );
    }
    this.log.error(
      `WAL: flushing segment ${seg.id} failed (${err.message}); ${refused.length} request(s) refused, segment sealed at its ${seg.durable} acknowledged bytes`,
    );
    this.retire(seg, seg.durable);
    for (const w of refused) w.reject(error);
  }

  private flushActive(): void {
    const seg = this.active;
    if (seg === undefined || seg.syncing || seg.bytes === 0) return;
    seg.syncing = true;
    fdatasync(seg.fd, (err) => {
      seg.syncing = false;
      if (err !== null)
        this.log.once('wal-interval-flush', 'error', `WAL: periodic flush failed: ${err.message}`);
      else this.log.reset('wal-interval-flush', 'WAL: periodic flushes succeed again');
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
    if (seg.bytes === 0) {
      this.retire(seg, 0);
      return;
    }
    if (this.opts.fsync !== 'never') {
      try {
        fsyncSync(seg.fd);
      } catch (e) {
        this.log.error(`WAL: fsync of sealed segment ${seg.id} failed`, e);
      }
    }
    closeSync(seg.fd);
    this.sealedList.push({
      id: seg.id,
      file: seg.file,
      bytes: seg.bytes,
      done: new Set(),
      ...(seg.projects === undefined ? {} : { projects: seg.projects, prompts: knownPrompts(seg.prompts) }),
      ...(seg.identities === undefined ? {} : { identities: seg.identities }),
    });
    for (const fn of seg.sealWaiters) fn();
    this.onSealed?.();
  }

  /** Sealed segments, oldest first. */
  sealed(): readonly SealedSegment[] {
    return this.sealedList;
  }

  /**
   * A sealed segment's records as insert batches: traces first, then logs (see {@link WalBatch}).
   * The first read verifies every record's checksum (damaged ones are skipped, logged and counted);
   * the payloads are read again when a batch's chunks are.
   */
  async read(seg: SealedSegment): Promise<WalBatch[]> {
    // Synchronous reads, like appends: asynchronous ones are each a round trip through an event loop
    // busy decoding requests, and the engine, which only inserts one batch at a time, would sit idle.
    const byKind: Record<
      WalKind,
      Array<{ format: WalFormat; ranges: Array<[number, number]>; rows: number }>
    > = { traces: [], logs: [] };
    for (const rec of this.recordsOf(seg)) {
      const runs = byKind[rec.kind];
      const last = runs.at(-1);
      const range: [number, number] = [rec.offset + RECORD_HEADER_BYTES, rec.length];
      if (last?.format === rec.format) {
        last.ranges.push(range);
        last.rows += rec.rows;
      } else runs.push({ format: rec.format, ranges: [range], rows: rec.rows });
    }
    return (['traces', 'logs'] as const).flatMap((kind) =>
      byKind[kind].map((run, index) => ({
        kind,
        format: run.format,
        index,
        rows: run.rows,
        bytes: run.ranges.reduce((n, [, len]) => n + len, 0),
        ...(seg.projects === undefined ? {} : { projects: seg.projects }),
        ...(seg.prompts === undefined ? {} : { prompts: seg.prompts }),
        ...(kind === 'traces' && byKind.traces.length === 1 && seg.identities !== undefined
          ? { identities: seg.identities }
          : {}),
        chunks: () => readRanges(seg.file, run.ranges),
      })),
    );
  }

  /**
   * The verified records of a sealed segment. Every read verifies again (a segment can wait on disk
   * for hours while ClickHouse is down); damage is reported and counted once.
   */
  private recordsOf(seg: SealedSegment): RecordInfo[] {
    const last = this.layouts.get(seg);
    if (last?.fresh === true) {
      last.fresh = false;
      return last.scan.records;
    }
    let scan: SegmentScan;
    let fd: number;
    try {
      fd = openSync(seg.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      scan = { records: [], corrupt: [[0, seg.bytes]], end: 0 };
      if (last?.scan.end !== 0) {
        this.log.error(
          `WAL segment ${seg.id}: its file ${seg.file} is gone; its ${seg.bytes} bytes are lost`,
        );
        this.count([[0, seg.bytes]]);
      }
      this.layouts.set(seg, { scan, fresh: false });
      return scan.records;
    }
    try {
      scan = scanSegment(fd, seg.bytes);
    } finally {
      closeSync(fd);
    }
    // Inside a sealed segment's length every byte was acknowledged: a bad end is damage too.
    if (scan.end < seg.bytes) scan.corrupt.push([scan.end, seg.bytes - scan.end]);
    const known = new Set(last?.scan.corrupt.map(([offset]) => offset));
    this.reportCorrupt(
      segmentFileName(seg.id),
      scan.corrupt.filter(([offset]) => !known.has(offset)),
    );
    this.layouts.set(seg, { scan, fresh: false });
    return scan.records;
  }

  /** Whether the last read of `seg` found damaged records (skipped). */
  damaged(seg: SealedSegment): boolean {
    return (this.layouts.get(seg)?.scan.corrupt.length ?? 0) > 0;
  }

  private reportCorrupt(name: string, corrupt: ReadonlyArray<readonly [number, number]>): void {
    for (const [offset, length] of corrupt) {
      this.log.error(
        `WAL segment ${name}: skipped ${length} corrupt bytes at offset ${offset} (checksum mismatch: the records in them are lost; the records after them are exported)`,
      );
    }
    this.count(corrupt);
  }

  private count(corrupt: ReadonlyArray<readonly [number, number]>): void {
    for (const [, length] of corrupt) {
      this.corruptRegions++;
      this.corruptBytes += length;
    }
  }

  /**
   * Keeps a traces record's span identities with its segment, within `maxIdentityBytes` for all
   * segments: beyond, or after a record without them, the segment keeps none (its export is looked
   * up, as a segment of an earlier run's is).
   */
  private keepIdentities(seg: ActiveSegment, ids: Float64Array | undefined): void {
    if (seg.identities === undefined) return;
    const max = this.opts.maxIdentityBytes ?? 32 * 1024 * 1024;
    if (ids === undefined || this.identityBytes + ids.byteLength > max) {
      this.identityBytes -= identityBytesOf(seg.identities);
      seg.identities = undefined;
      return;
    }
    seg.identities.push(ids);
    this.identityBytes += ids.byteLength;
  }

  /** Drops a sealed segment from the list (exported or dead-lettered). */
  private unlist(seg: SealedSegment): void {
    const i = this.sealedList.indexOf(seg);
    if (i === -1) return;
    this.sealedList.splice(i, 1);
    this.sealedBytes -= seg.bytes;
    this.identityBytes -= identityBytesOf(seg.identities);
  }

  /** Deletes an exported segment. */
  async remove(seg: SealedSegment): Promise<void> {
    this.unlist(seg);
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
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = join(dir, basename(seg.file));
    await rename(seg.file, target);
    this.deadBytes += seg.bytes;
    this.unlist(seg);
    return target;
  }

  /** Seals the active segment and waits until it is flushed and listed. */
  async sealAndWait(): Promise<void> {
    const seg = this.active;
    if (seg === undefined) return;
    if (seg.bytes === 0) {
      // Created, but its first write failed: nothing to keep.
      if (!seg.syncing && seg.waiters.length === 0) this.retire(seg, 0);
      return;
    }
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

/**
 * Creates `dir` (and missing parents) readable by the owner only, and restricts an existing one
 * that others can read: it holds telemetry (prompts, outputs, user data).
 */
export function ensurePrivateDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
    log.info(`${dir}: access restricted to its owner (mode ${mode.toString(8)} -> 700)`);
  } catch (e) {
    log.warn(
      `${dir} is readable by other users (mode ${mode.toString(8)}) and could not be restricted: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function unlinkIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** The projects whose every record told its prompts, with those prompts. */
function knownPrompts(
  prompts: ReadonlyMap<string, Set<string> | null>,
): ReadonlyMap<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  for (const [project, names] of prompts) if (names !== null) out.set(project, names);
  return out;
}

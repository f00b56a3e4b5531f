/**
 * Drains sealed WAL segments into ClickHouse, oldest first, one insert per table per segment, with
 * exponential backoff on failure. Transient failures (network, timeouts, memory, too many parts,
 * anything unrecognised) are retried forever: data is never dropped, back-pressure stops new
 * intake instead. A segment that ClickHouse rejects with a permanent error (see
 * {@link PERMANENT_ERROR_CODES}) `deadLetterAfter` times in a row is moved to the dead-letter
 * folder next to the WAL, so the segments behind it are exported. Each insert carries
 * `insert_deduplication_token = <segment id>-<table>`, so a segment inserted before a crash and
 * replayed after it is counted once.
 */
import type { Logger } from '../logger.js';
import type { SealedSegment, WalBatch, WalKind, WriteAheadLog } from '../wal/WriteAheadLog.js';
import type { SelfMetrics } from '../server/SelfMetrics.js';

/** Where batches go: one call per batch of a segment (normally one per table). */
export interface BatchSink {
  insert(batch: WalBatch, dedupToken: string): Promise<void>;
  /**
   * Called after a segment's batches are in, when no other sealed segment waits (before the segment
   * is removed, so a flush sees it done): housekeeping that should not slow a backlog. Never throws.
   */
  caughtUp?(): Promise<void>;
}

export interface DrainerOptions {
  /** Seal the active segment when it is older than this (ms). */
  flushIntervalMs: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  multiplier: number;
  /** Consecutive permanent failures of one segment before it is dead-lettered. Default 5. */
  deadLetterAfter?: number;
}

/**
 * ClickHouse error codes that a retry of the same batch can never fix: the data or the schema is
 * wrong (parse / type errors, unknown table / column / database). Every other error, and an error
 * without a code (connection refused, socket timeout), is transient: e.g. 159 TIMEOUT_EXCEEDED,
 * 202 TOO_MANY_SIMULTANEOUS_QUERIES, 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR, 241
 * MEMORY_LIMIT_EXCEEDED, 242 TABLE_IS_READ_ONLY, 252 TOO_MANY_PARTS.
 */
export const PERMANENT_ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [8, 'THERE_IS_NO_COLUMN'],
  [16, 'NO_SUCH_COLUMN_IN_TABLE'],
  [20, 'NUMBER_OF_COLUMNS_DOESNT_MATCH'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  // The batch ends inside a block. Segments are checksum-verified before export, so this means data
  // the engine cannot read whole, every time: retrying would hold up every later segment forever.
  [33, 'CANNOT_READ_ALL_DATA'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [60, 'UNKNOWN_TABLE'],
  [62, 'SYNTAX_ERROR'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [81, 'UNKNOWN_DATABASE'],
  [117, 'INCORRECT_DATA'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [467, 'CANNOT_PARSE_BOOL'],
]);

/** The ClickHouse error code of an insert failure (`code` of a ClickHouseError, or `Code: N.` in the text). */
export function clickHouseErrorCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && Number.isInteger(code)) return code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const m = /\bCode: (\d+)\b/.exec(e instanceof Error ? e.message : String(e));
  return m === null ? undefined : Number(m[1]);
}

/** Whether retrying the same batch can never succeed. */
export function isPermanentError(e: unknown): boolean {
  const code = clickHouseErrorCode(e);
  return code !== undefined && PERMANENT_ERROR_CODES.has(code);
}

/**
 * Deterministic deduplication token of one batch of a segment: `promptline-wal-<id>-<kind>` for a
 * kind's first batch (the token collectors have always used, so a segment half-exported by an older
 * version replays without doubling), `…-<kind>-<index>` for any further one.
 */
export function dedupToken(segmentId: string, kind: WalKind, index = 0): string {
  return `promptline-wal-${segmentId}-${kind}${index === 0 ? '' : `-${index}`}`;
}

export class WalDrainer {
  private readonly wal: WriteAheadLog;
  private readonly sink: BatchSink;
  private readonly opts: DrainerOptions;
  private readonly metrics: SelfMetrics;
  private readonly log: Logger;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private backoffMs: number;
  /** Consecutive failed attempts (0 when healthy). */
  failures = 0;
  lastError = '';
  /** Consecutive permanent failures of the segment {@link permanentSegment}. */
  private permanentFailures = 0;
  private permanentSegment = '';
  private deadLetterFullLogged = false;

  constructor(wal: WriteAheadLog, sink: BatchSink, opts: DrainerOptions, metrics: SelfMetrics, log: Logger) {
    this.wal = wal;
    this.sink = sink;
    this.opts = opts;
    this.metrics = metrics;
    this.log = log;
    this.backoffMs = opts.initialIntervalMs;
    wal.setOnSealed(() => this.wake?.());
  }

  start(): void {
    if (this.loop === undefined) this.loop = this.run();
  }

  /** Whether the last export attempt succeeded (or none failed yet). */
  get healthy(): boolean {
    return this.failures === 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const next = this.wal.sealed()[0];
      if (next === undefined) {
        const age = this.wal.activeAgeMs;
        if (this.wal.activeBytes > 0 && age >= this.opts.flushIntervalMs) {
          await this.wal.sealAndWait();
          continue;
        }
        await this.sleep(this.wal.activeBytes > 0 ? Math.max(1, this.opts.flushIntervalMs - age) : 50);
        continue;
      }
      const ok = await this.exportSegment(next);
      if (!ok && !this.stopped) await this.sleep(this.backoffMs);
      if (!ok) this.backoffMs = Math.min(this.opts.maxIntervalMs, this.backoffMs * this.opts.multiplier);
    }
  }

  /** Exports one sealed segment; `true` when it is fully in ClickHouse (and deleted). */
  async exportSegment(seg: SealedSegment): Promise<boolean> {
    try {
      for (const batch of await this.wal.read(seg)) {
        const token = dedupToken(seg.id, batch.kind, batch.index);
        if (batch.rows === 0 || seg.done.has(token)) continue;
        const started = performance.now();
        await this.sink.insert(batch, token);
        this.metrics.observeInsert(batch.kind, batch.rows, batch.bytes, performance.now() - started);
        seg.done.add(token);
      }
      if (this.wal.sealed().length === 1) await this.sink.caughtUp?.();
      await this.retire(seg);
      if (this.failures > 0) {
        this.log.reset(
          'export-failing',
          `ClickHouse export recovered after ${this.failures} failed attempt(s)`,
        );
      }
      this.failures = 0;
      this.lastError = '';
      this.backoffMs = this.opts.initialIntervalMs;
      return true;
    } catch (e) {
      this.failures++;
      this.metrics.exportRetries++;
      this.lastError = e instanceof Error ? e.message : String(e);
      if (isPermanentError(e)) {
        if (await this.maybeDeadLetter(seg, e)) return true;
      } else this.permanentFailures = 0;
      this.log.once(
        'export-failing',
        'warn',
        `ClickHouse export failing, retrying with backoff (data stays in the WAL): ${this.lastError}`,
      );
      return false;
    }
  }

  /**
   * Removes an exported segment; one with damaged records is kept in the dead-letter folder instead
   * (while it fits), so the damage can be inspected.
   */
  private async retire(seg: SealedSegment): Promise<void> {
    if (this.wal.damaged(seg)) {
      const kept = await this.wal.deadLetter(seg);
      if (kept !== undefined) {
        this.log.warn(
          `WAL segment ${seg.id}: its undamaged records are exported; the segment is kept in ${kept} for inspection`,
        );
        return;
      }
    }
    await this.wal.remove(seg);
  }

  /**
   * Counts a permanent failure of `seg`; at `deadLetterAfter` in a row, moves it to the dead-letter
   * folder. `true` when it was moved (the next segment is exported right away).
   */
  private async maybeDeadLetter(seg: SealedSegment, err: unknown): Promise<boolean> {
    if (this.permanentSegment !== seg.id) {
      this.permanentSegment = seg.id;
      this.permanentFailures = 0;
    }
    this.permanentFailures++;
    if (this.permanentFailures < (this.opts.deadLetterAfter ?? 5)) return false;
    const code = clickHouseErrorCode(err);
    const target = await this.wal.deadLetter(seg);
    if (target === undefined) {
      if (!this.deadLetterFullLogged) {
        this.deadLetterFullLogged = true;
        this.log.error(
          `WAL segment ${seg.id} is rejected permanently but the dead-letter folder is full (${this.wal.deadLetterBytes} bytes); inspect and remove dead-lettered segments, export stays blocked meanwhile`,
        );
      }
      return false;
    }
    this.metrics.deadLetterSegments++;
    this.log.error(
      `WAL segment ${seg.id} dead-lettered to ${target} after ${this.permanentFailures} permanent ClickHouse errors (code ${code ?? '?'} ${PERMANENT_ERROR_CODES.get(code ?? -1) ?? ''}): ${this.lastError}`,
    );
    this.log.reset('export-failing', `ClickHouse export continues after dead-lettering segment ${seg.id}`);
    this.permanentSegment = '';
    this.permanentFailures = 0;
    this.failures = 0;
    this.lastError = '';
    this.backoffMs = this.opts.initialIntervalMs;
    return true;
  }

  /**
   * Seals the active segment and exports everything, giving up at `deadline` (epoch ms) or after
   * the first failure; what is left stays in the WAL for the next start.
   */
  async drain(deadline: number): Promise<boolean> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.wal.sealAndWait();
    for (;;) {
      const seg = this.wal.sealed()[0];
      if (seg === undefined) return true;
      if (Date.now() > deadline) return false;
      if (!(await this.exportSegment(seg))) return false;
    }
  }
}

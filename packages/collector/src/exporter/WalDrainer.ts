/**
 * Drains sealed WAL segments into ClickHouse, oldest first, one insert per table per segment, with
 * exponential backoff on failure (retried forever: data is never dropped, back-pressure stops new
 * intake instead). Each insert carries `insert_deduplication_token = <segment id>-<table>`, so a
 * segment inserted before a crash and replayed after it is counted once.
 */
import type { Logger } from '../logger.js';
import type { SealedSegment, WalKind, WriteAheadLog } from '../wal/WriteAheadLog.js';
import type { SelfMetrics } from '../server/SelfMetrics.js';

/** Where batches go: one call per table per segment. */
export interface BatchSink {
  insert(kind: WalKind, body: Buffer, rows: number, dedupToken: string): Promise<void>;
}

export interface DrainerOptions {
  /** Seal the active segment when it is older than this (ms). */
  flushIntervalMs: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  multiplier: number;
}

/** Deterministic deduplication token of one table's batch in one segment. */
export function dedupToken(segmentId: string, kind: WalKind): string {
  return `promptline-wal-${segmentId}-${kind}`;
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
      const contents = await this.wal.read(seg);
      const parts: Array<[WalKind, Buffer, number]> = [
        ['traces', contents.traces, contents.tracesRows],
        ['logs', contents.logs, contents.logsRows],
      ];
      for (const [kind, body, rows] of parts) {
        if (rows === 0 || seg.done.has(kind)) continue;
        const started = performance.now();
        await this.sink.insert(kind, body, rows, dedupToken(seg.id, kind));
        this.metrics.observeInsert(kind, rows, body.length, performance.now() - started);
        seg.done.add(kind);
      }
      await this.wal.remove(seg);
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
      this.log.once(
        'export-failing',
        'warn',
        `ClickHouse export failing, retrying with backoff (data stays in the WAL): ${this.lastError}`,
      );
      return false;
    }
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

import type { ClickHouseClient } from '@clickhouse/client';
import { insertJsonEachRow, insertNative, releaseEngineMemory } from '@promptline/clickhouse';
import type { ReleaseMemory } from './exporterConfig.js';
import type { Logger } from '../logger.js';
import type { WriteScope } from '../read/WriteCounter.js';
import type { NewSpanTracker, StoredHours } from './NewSpans.js';
import type { WalKind } from '../wal/WriteAheadLog.js';
import type { BatchSink } from './WalDrainer.js';

const NO_PROJECTS: WriteScope = { projects: new Set() };

const TABLE = { traces: 'otel_traces', logs: 'otel_logs' } as const satisfies Record<WalKind, string>;

/** Options of {@link clickHouseSink}. */
export interface ClickHouseSinkOptions {
  /** Database of `otel_traces` / `otel_logs`. */
  database: string;
  /** `exporters.clickhouse.release_memory`. Default `when_idle`. */
  releaseMemory?: ReleaseMemory;
  /** Where a failed release is reported (once). */
  log?: Logger;
  /**
   * Runs an insert as a write of the batch's projects and prompts only (`WriteCounter.attributed`),
   * so cached answers of other projects and prompts stay valid. Default: the insert runs as it is.
   */
  attributed?: <T>(scope: WriteScope, write: () => Promise<T>) => Promise<T>;
  /**
   * Only with a data directory no one else writes (the embedded engine this collector opened): the
   * spans it inserted. A traces batch whose spans it tells are all new is inserted as such (the
   * generations view skips its identity lookup, decision 0035); after a batch whose spans it does
   * not know (a segment replayed from an earlier run), `storedHours` tells it which hours may now
   * hold stored spans. Default: every batch is looked up.
   */
  newSpans?: { tracker: NewSpanTracker; storedHours: () => Promise<StoredHours> };
  /** Counts each traces insert by its path. */
  onSpanInsert?: (path: 'new' | 'looked_up') => void;
}

/**
 * Inserts a WAL batch (`Native` blocks from `@promptline/clickhouse`'s `encodeTraceBlock` /
 * `encodeLogBlock`, or `JSONEachRow` lines in segments of older collectors) through the schema's
 * insert functions: the batch's deduplication token goes into the statement's SETTINGS and also
 * holds in dependent materialized views. On the embedded engine, the memory inserts freed is handed
 * back to the OS (`releaseEngineMemory`) when the backlog is exported, or after every batch
 * (`releaseMemory`): best effort, since the data is already stored.
 */
export function clickHouseSink(client: ClickHouseClient, opts: ClickHouseSinkOptions): BatchSink {
  const mode = opts.releaseMemory ?? 'when_idle';
  const attributed = opts.attributed ?? ((_scope, write) => write());
  const release = async (): Promise<void> => {
    try {
      // Hands memory back to the OS: no project's data changes.
      await attributed(NO_PROJECTS, () => releaseEngineMemory(client));
    } catch (err) {
      opts.log?.once(
        'release-engine-memory',
        'warn',
        `embedded engine did not release freed memory: ${String(err)}`,
      );
    }
  };
  let untrackPending = false;
  return {
    async insert(batch, token) {
      const tracked = batch.kind === 'traces' ? opts.newSpans : undefined;
      let newSpans = false;
      if (tracked !== undefined && batch.identities !== undefined) {
        // Spans the tracker never saw may have been stored since the last batch it did (a backlog of
        // an earlier run's segments, even one whose insert failed half-way): once before the next
        // batch it checks, the hours up to the newest stored are no longer tracked.
        if (untrackPending) {
          let stored: StoredHours = { floor: Infinity, later: [] };
          try {
            stored = await tracked.storedHours();
          } catch (err) {
            opts.log?.warn(
              `span dedupe: cannot read which hours hold stored spans (${String(err)}); every span insert is looked up from now on`,
            );
          }
          tracked.tracker.untrack(stored);
          untrackPending = false;
        }
        newSpans = true;
        // Every record's spans are remembered, even after one turned out not new.
        for (const ids of batch.identities) newSpans = tracked.tracker.admit(ids) && newSpans;
      }
      if (tracked !== undefined && batch.identities === undefined) untrackPending = true;
      const insertOpts = { dedupToken: token, database: opts.database, newSpans };
      // The body goes to the engine piece by piece from the segment file, never whole in memory.
      const body = batch.chunks();
      const write = (): Promise<void> =>
        batch.format === 'Native'
          ? insertNative(client, TABLE[batch.kind], body, insertOpts)
          : insertJsonEachRow(client, TABLE[batch.kind], body, insertOpts);
      await attributed(batch, write);
      if (batch.kind === 'traces') opts.onSpanInsert?.(newSpans ? 'new' : 'looked_up');
      if (mode === 'after_each_batch') await release();
    },
    async caughtUp() {
      if (mode === 'when_idle') await release();
    },
  };
}

import type { ClickHouseClient } from '@clickhouse/client';
import { insertJsonEachRow } from '@promptline/clickhouse';
import type { WalKind } from '../wal/WriteAheadLog.js';
import type { BatchSink } from './WalDrainer.js';

const TABLE = { traces: 'otel_traces', logs: 'otel_logs' } as const satisfies Record<WalKind, string>;

/**
 * Inserts pre-encoded `JSONEachRow` batches (rows shaped as `@promptline/clickhouse`'s
 * `TraceRow` / `LogRow`) through the schema's `insertJsonEachRow`: the batch's deduplication token
 * goes into the statement's SETTINGS and also holds in dependent materialized views.
 */
export function clickHouseSink(client: ClickHouseClient, database: string): BatchSink {
  return {
    async insert(kind, body, _rows, token) {
      await insertJsonEachRow(client, TABLE[kind], body, { dedupToken: token, database });
    },
  };
}

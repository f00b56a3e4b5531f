import type { ClickHouseClient } from '@clickhouse/client';
import { insertJsonEachRow, insertNative } from '@promptline/clickhouse';
import type { WalKind } from '../wal/WriteAheadLog.js';
import type { BatchSink } from './WalDrainer.js';

const TABLE = { traces: 'otel_traces', logs: 'otel_logs' } as const satisfies Record<WalKind, string>;

/**
 * Inserts a WAL batch (`Native` blocks from `@promptline/clickhouse`'s `encodeTraceBlock` /
 * `encodeLogBlock`, or `JSONEachRow` lines in segments of older collectors) through the schema's
 * insert functions: the batch's deduplication token goes into the statement's SETTINGS and also
 * holds in dependent materialized views.
 */
export function clickHouseSink(client: ClickHouseClient, database: string): BatchSink {
  return {
    async insert(batch, token) {
      const opts = { dedupToken: token, database };
      if (batch.format === 'Native') await insertNative(client, TABLE[batch.kind], batch.body, opts);
      else await insertJsonEachRow(client, TABLE[batch.kind], batch.body, opts);
    },
  };
}

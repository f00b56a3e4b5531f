import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { WalKind } from '../wal/WriteAheadLog.js';
import type { BatchSink } from './WalDrainer.js';

const TABLE: Record<WalKind, string> = { traces: 'otel_traces', logs: 'otel_logs' };

/**
 * Inserts pre-encoded `JSONEachRow` batches (rows shaped as `@promptline/clickhouse`'s
 * `TraceRow` / `LogRow`) with the schema's insert settings: the batch's deduplication token, also
 * applied in dependent materialized views. Settings live in the statement, never as session `SET`s
 * (the embedded engine would keep a token for the next batch).
 */
export function clickHouseSink(client: ClickHouseClient, database: string): BatchSink {
  return {
    async insert(kind, body, _rows, token) {
      if (!/^[A-Za-z0-9._:-]{1,128}$/.test(token))
        throw new Error(`unsafe deduplication token ${JSON.stringify(token)}`);
      const query =
        `INSERT INTO ${database}.${TABLE[kind]} SETTINGS insert_deduplication_token = '${token}', ` +
        'deduplicate_blocks_in_dependent_materialized_views = 1, ' +
        "date_time_input_format = 'best_effort', input_format_skip_unknown_fields = 0 FORMAT JSONEachRow";
      const res = await client.exec({ query, values: Readable.from([body]) });
      res.stream.resume();
    },
  };
}

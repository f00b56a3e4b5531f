import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from '@promptline/clickhouse';

/** A fresh embedded engine on a temp dir; `close()` closes it and removes the dir. */
export function tempEngine(prefix = 'promptline-ch-'): {
  client: ClickHouseClient;
  dir: string;
  close: () => Promise<void>;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const client = openClickHouse({ path: dir });
  return {
    client,
    dir,
    close: async () => {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The rows of one query (`JSONEachRow`; 64-bit integers arrive as strings), values as `{name:Type}` parameters. */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow', query_params: params });
  return rs.json<T>();
}

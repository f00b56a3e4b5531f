import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import type { ClickHouseProcess } from '../support/clickhouseProcess.js';
import { freePort } from '../support/ports.js';

// The reliability tests stand in for a ClickHouse server with this fixture (real engine via chdb,
// ClickHouse's HTTP interface). Here we check it behaves like one for @clickhouse/client.
describe('ClickHouse HTTP fixture (chdb behind the HTTP interface)', () => {
  let dir: string;
  let port: number;
  let server: ClickHouseProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-chfixture-'));
    port = await freePort();
    server = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves DDL, deduplicated inserts, bound parameters and errors, and keeps data across a restart', async () => {
    // The expected error below would otherwise be logged by the client as well.
    const client = createClient({
      url: server!.url,
      request_timeout: 20_000,
      log: { level: ClickHouseLogLevel.OFF },
    });
    expect((await client.ping()).success).toBe(true);
    await client.command({
      query:
        'CREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100',
    });
    const rows = [
      { id: 1, name: 'a' },
      { id: 2, name: "b'quote" },
    ];
    for (let i = 0; i < 2; i++) {
      await client.insert({
        table: 't',
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'batch-1' },
      });
    }
    // A different batch without a token must not inherit the previous request's token.
    await client.insert({ table: 't', values: [{ id: 3, name: 'c' }], format: 'JSONEachRow' });
    const result = await client.query({
      query: 'SELECT count() AS n, sum(id) AS s FROM t WHERE name != {skip:String}',
      query_params: { skip: 'zzz' },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: '3', s: '6' }]);
    await expect(
      client.query({ query: 'SELECT * FROM missing_table', format: 'JSONEachRow' }),
    ).rejects.toThrow(/missing_table/);
    await client.close();

    await server!.stop();
    server = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port });
    const again = createClient({ url: server.url });
    const after = await again.query({ query: 'SELECT count() AS n FROM t', format: 'JSONEachRow' });
    expect(await after.json()).toEqual([{ n: '3' }]);
    await again.close();
  });
});

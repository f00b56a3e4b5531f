import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { insertJsonEachRow, migrate, openClickHouse } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import type { ClickHouseProcess } from '../support/clickhouseProcess.js';
import { freePort } from '../support/ports.js';

// A body given as chunks of one reused buffer (what the collector's WAL hands out) reaches a
// ClickHouse server (the HTTP fixture, real engine) whole, as the request body: the chunks are
// copied before they are queued, and chunk boundaries fall anywhere, even inside a row.
describe('@promptline/clickhouse server inserts of chunked bodies', () => {
  let dir: string;
  let server: ClickHouseProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-chunked-'));
    server = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port: await freePort() });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('inserts every row of a many-chunk body once, and a repeat with the same token not again', async () => {
    const client = openClickHouse({ url: server!.url });
    try {
      await migrate(client);
      const n = 3000;
      const lines = Array.from({ length: n }, (_, i) => {
        const id = (i + 1).toString(16).padStart(16, '0');
        return `${JSON.stringify({
          Timestamp: '2026-11-22 01:02:03.000000000',
          TraceId: id.padStart(32, '0'),
          SpanId: id,
          SpanName: `op-${i % 7}`,
          Duration: i + 1,
        })}\n`;
      });
      const body = Buffer.from(lines.join(''));
      // 997-byte pieces (prime, so they cut rows anywhere), each overwriting the one before.
      function* pieces(): Generator<Uint8Array> {
        const buf = Buffer.alloc(997);
        for (let off = 0; off < body.length; off += buf.length) {
          yield buf.subarray(0, body.copy(buf, 0, off, Math.min(body.length, off + buf.length)));
        }
      }
      expect(body.length).toBeGreaterThan(100 * 997);
      await insertJsonEachRow(client, 'otel_traces', pieces(), { dedupToken: 'chunked-1' });
      await insertJsonEachRow(client, 'otel_traces', pieces(), { dedupToken: 'chunked-1' });
      const rs = await client.query({
        query: 'SELECT count() AS n, sum(Duration) AS d, uniqExact(SpanName) AS names FROM otel_traces',
        format: 'JSONEachRow',
      });
      const [got] = await rs.json<{ n: string; d: string; names: string }>();
      expect([Number(got?.n), Number(got?.d), Number(got?.names)]).toEqual([n, (n * (n + 1)) / 2, 7]);
    } finally {
      await client.close();
    }
  });
});

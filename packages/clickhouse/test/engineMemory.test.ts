import { afterAll, describe, expect, it } from 'vitest';
import { engineMemoryBytes, migrate, openClickHouse, releaseEngineMemory } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import type { ClickHouseClient } from '@clickhouse/client';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

/** The embedded allocator's freed-but-resident bytes: jemalloc's `resident` minus its `active`. */
async function freedResident(c: ClickHouseClient): Promise<number> {
  const [stats] = await queryRows<{ stats: string }>(c, 'SELECT stats FROM system.jemalloc_stats');
  const m = /Allocated: \d+, active: (\d+), .*resident: (\d+)/.exec(stats?.stats ?? '');
  if (!m) throw new Error('jemalloc totals line not found in system.jemalloc_stats');
  return Number(m[2]) - Number(m[1]);
}

/** A query that allocates and frees a few hundred MB (a 3M-key hash table of strings). */
async function churn(c: ClickHouseClient): Promise<void> {
  await queryRows(
    c,
    'SELECT count() AS n FROM (SELECT toString(number) AS k FROM numbers(3000000) GROUP BY k)',
  );
}

describe('releaseEngineMemory', () => {
  it('returns the embedded engine’s freed pages to the OS', async () => {
    await churn(client);
    const before = await freedResident(client);
    expect(before).toBeGreaterThan(64 * 1024 * 1024);
    expect(await releaseEngineMemory(client)).toBe(true);
    expect(await freedResident(client)).toBeLessThan(32 * 1024 * 1024);
  });

  it('sends nothing to a server', async () => {
    // Nothing listens on port 9: a request would fail.
    const server = openClickHouse({ url: 'http://127.0.0.1:9', requestTimeoutMs: 500 });
    try {
      expect(await releaseEngineMemory(server)).toBe(false);
      expect(await engineMemoryBytes(server)).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('engineMemoryBytes', () => {
  it("reports the embedded engine's tracked memory in bytes", async () => {
    await migrate(client, { database: 'mem' });
    const bytes = await engineMemoryBytes(client);
    // An engine with a migrated schema tracks a few MB at least, and far less than this machine's RAM.
    expect(bytes).toBeGreaterThan(1024 * 1024);
    expect(bytes).toBeLessThan(4 * 1024 * 1024 * 1024);
  });
});

describe('0011: compression block size', () => {
  it('caps compression blocks of otel_traces and otel_logs at 256 KiB', async () => {
    await migrate(client, { database: 'cbs' });
    const tables = await queryRows<{ name: string; engine_full: string }>(
      client,
      "SELECT name, engine_full FROM system.tables WHERE database = 'cbs' AND name IN ('otel_traces', 'otel_logs') ORDER BY name",
    );
    expect(tables.map((t) => t.name)).toEqual(['otel_logs', 'otel_traces']);
    for (const t of tables) expect(t.engine_full).toContain('max_compress_block_size = 262144');
  });
});

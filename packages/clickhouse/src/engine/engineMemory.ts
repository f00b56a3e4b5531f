import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedDataDir } from './openClickHouse.js';

/**
 * Hand the memory the embedded engine has freed back to the operating system now, instead of when
 * its allocator's decay gets to it. The embedded engine shares this process: its allocator (jemalloc)
 * keeps freed pages resident for seconds in case they are wanted again, and a process that inserts a
 * large batch every second or so carries one or two inserts' worth of freed memory in its resident
 * size all the time. Purging cost 0.1 ms when little was free and 22–31 ms after a 32k-span insert
 * (see the package README, Insert memory). Server clients: nothing is sent (the server manages its
 * own memory) and the result is `false`.
 *
 * @returns `true` when the embedded engine purged its freed pages.
 * @example
 * await insertNative(client, 'otel_traces', body, { dedupToken });
 * await releaseEngineMemory(client);
 */
export async function releaseEngineMemory(client: ClickHouseClient): Promise<boolean> {
  if (embeddedDataDir(client) === undefined) return false;
  await client.command({ query: 'SYSTEM JEMALLOC PURGE' });
  return true;
}

/**
 * Bytes the embedded engine has allocated now (its own memory tracker, `MemoryTracking` in
 * `system.metrics`: queries, inserts, merges, caches), or `undefined` for a server client (whose
 * figure would be the whole server's).
 *
 * @example
 * const bytes = await engineMemoryBytes(client); // e.g. 160_000_000 during a large insert
 */
export async function engineMemoryBytes(client: ClickHouseClient): Promise<number | undefined> {
  if (embeddedDataDir(client) === undefined) return undefined;
  const rs = await client.query({
    query: "SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'",
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ value: string | number }>();
  return row === undefined ? undefined : Number(row.value);
}

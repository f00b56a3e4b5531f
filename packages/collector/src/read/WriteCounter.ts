/**
 * Counts the writes that go through the collector's ClickHouse client, so that {@link ReadCache}
 * can tell whether the data changed since it kept an answer. Every `insert`, `command` and `exec`
 * (the exporter's span and log batches, score and registry writes, migrations) moves the counter
 * when it starts and again when it ends: an answer read while a write was under way carries an older
 * value than the one after the write, and is not reused. Reads (`query`) do not count.
 *
 * The counter sees this process only: on the embedded engine that is every write (one process owns
 * the data directory); against a ClickHouse server other writers (another collector, a direct
 * insert) are not seen, and the cache's lifetimes bound how old an answer can be.
 */
import type { ClickHouseClient } from '@clickhouse/client';

const WRITES = ['insert', 'command', 'exec'] as const;

export class WriteCounter {
  #value = 0;

  /** Moves on every write start and end: equal values mean no write happened in between. */
  get value(): number {
    return this.#value;
  }

  /**
   * Counts the writes of `client` from now on and returns it. The client is instrumented in place
   * (its `insert`, `command` and `exec`), not wrapped: it stays the same object, which the schema
   * package uses to recognise an embedded engine's client.
   *
   * @example
   * const writes = new WriteCounter();
   * writes.count(client);
   * const before = writes.value;
   * await client.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' });
   * writes.value !== before; // true
   */
  count(client: ClickHouseClient): ClickHouseClient {
    const target = client as unknown as Record<string, unknown>;
    for (const name of WRITES) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      const fn = (original as (...a: unknown[]) => Promise<unknown>).bind(client);
      target[name] = async (...args: unknown[]) => {
        this.#value++;
        try {
          return await fn(...args);
        } finally {
          this.#value++;
        }
      };
    }
    return client;
  }
}

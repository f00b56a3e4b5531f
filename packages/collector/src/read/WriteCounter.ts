/**
 * Counts the writes that go through the collector's ClickHouse client, per project, so that
 * {@link ReadCache} can tell whether a project's data changed since it kept an answer. Every
 * `insert`, `command` and `exec` moves the counters when it starts and again when it ends: an answer
 * read while a write was under way carries an older value than the one after the write, and is not
 * reused. Reads (`query`) do not count.
 *
 * A write made inside {@link WriteCounter.attributed} (the exporter's insert of a WAL batch whose
 * projects are known) moves only those projects' counters: the views built from otel_traces and
 * otel_logs key every row by its project, so inserting one project's spans or scores changes no
 * other project's answer. Every other write (a batch of unknown projects, registry changes,
 * migrations, anything the collector's own code does not attribute) moves the counter of every
 * project at once.
 *
 * The counter sees this process only: on the embedded engine that is every write (one process owns
 * the data directory); against a ClickHouse server other writers (another collector, a direct
 * insert) are not seen, and the cache's lifetimes bound how old an answer can be.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClickHouseClient } from '@clickhouse/client';

const WRITES = ['insert', 'command', 'exec'] as const;

export class WriteCounter {
  /** Writes that may have changed any project's data. */
  #all = 0;
  /** Writes attributed to one project. */
  readonly #projects = new Map<string, number>();
  readonly #attribution = new AsyncLocalStorage<ReadonlySet<string>>();

  /**
   * The version of `project`'s data: moves on every write start and end that may have changed it,
   * so equal values mean no such write happened in between.
   */
  valueFor(project: string): number {
    return this.#all + (this.#projects.get(project) ?? 0);
  }

  /**
   * Runs `write` with the writes it makes through a counted client attributed to `projects` only.
   * `undefined` (projects unknown): attributed to every project, as outside this call.
   */
  attributed<T>(projects: ReadonlySet<string> | undefined, write: () => Promise<T>): Promise<T> {
    return projects === undefined ? write() : this.#attribution.run(projects, write);
  }

  #move(projects: ReadonlySet<string> | undefined): void {
    if (projects === undefined) {
      this.#all++;
      return;
    }
    for (const p of projects) this.#projects.set(p, (this.#projects.get(p) ?? 0) + 1);
  }

  /**
   * Counts the writes of `client` from now on and returns it. The client is instrumented in place
   * (its `insert`, `command` and `exec`), not wrapped: it stays the same object, which the schema
   * package uses to recognise an embedded engine's client.
   *
   * @example
   * const writes = new WriteCounter();
   * writes.count(client);
   * const before = writes.valueFor('shop');
   * await writes.attributed(new Set(['web']), () => client.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' }));
   * writes.valueFor('shop') === before; // true: only project web's data changed
   */
  count(client: ClickHouseClient): ClickHouseClient {
    const target = client as unknown as Record<string, unknown>;
    for (const name of WRITES) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      const fn = (original as (...a: unknown[]) => Promise<unknown>).bind(client);
      target[name] = async (...args: unknown[]) => {
        const projects = this.#attribution.getStore();
        this.#move(projects);
        try {
          return await fn(...args);
        } finally {
          this.#move(projects);
        }
      };
    }
    return client;
  }
}

/**
 * Counts the writes that go through the collector's ClickHouse client, per project and per prompt,
 * so that {@link ReadCache} can tell whether the data an answer depends on changed since it kept
 * the answer. Every `insert`, `command` and `exec` moves the counters when it starts and again when
 * it ends: an answer read while a write was under way carries an older value than the one after the
 * write, and is not reused. Reads (`query`) do not count.
 *
 * A write made inside {@link WriteCounter.attributed} (the exporter's insert of a WAL batch whose
 * projects are known) moves only those projects' counters: the views built from otel_traces and
 * otel_logs key every row by its project, and the reads of one project filter on it, so inserting
 * one project's spans or scores changes no other project's answer. When the batch also tells, for
 * a project, the prompts its spans may be stored under, only those prompts' counters move (and the
 * project's own, which answers about the whole project follow): an answer about one prompt, read
 * from rows filtered on its name, cannot change with another prompt's spans. Every other write (a
 * batch of unknown projects, registry changes, migrations, anything the collector's own code does
 * not attribute) moves the counter of every project and prompt at once.
 *
 * The counter sees this process only: on the embedded engine that is every write (one process owns
 * the data directory); against a ClickHouse server other writers (another collector, a direct
 * insert) are not seen, and the cache's lifetimes bound how old an answer can be.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClickHouseClient } from '@clickhouse/client';

const WRITES = ['insert', 'command', 'exec'] as const;

/** Prompts counted one by one at most, by default; beyond that the counts start afresh (`#movePrompt`). */
const MAX_PROMPTS = 100_000;

/**
 * What a write may change: `projects` (undefined: every project) and, for some of them, the only
 * prompts whose data it may change (a project missing from `prompts`: any of its prompts).
 */
export interface WriteScope {
  projects?: ReadonlySet<string>;
  prompts?: ReadonlyMap<string, ReadonlySet<string>>;
}

export class WriteCounter {
  /** Writes that may have changed any project's data. */
  #all = 0;
  /** Writes attributed to one project, whatever their prompts. */
  readonly #projects = new Map<string, number>();
  /** Writes attributed to one project whose prompts were not told. */
  readonly #wholeProjects = new Map<string, number>();
  /** Writes attributed to one prompt of one project (key: project, NUL, prompt). */
  readonly #prompts = new Map<string, number>();
  readonly #attribution = new AsyncLocalStorage<WriteScope>();
  readonly #maxPrompts: number;

  /** `maxPrompts`: prompts counted one by one at most (default 100,000). */
  constructor(opts: { maxPrompts?: number } = {}) {
    this.#maxPrompts = opts.maxPrompts ?? MAX_PROMPTS;
  }

  /**
   * The version of `project`'s data (or, with `prompt`, of that prompt's data in it): moves on every
   * write start and end that may have changed it, so equal values mean no such write happened in
   * between. Never returns a value it returned before a write that may have changed the data.
   */
  valueFor(project: string, prompt?: string): number {
    if (prompt === undefined) return this.#all + (this.#projects.get(project) ?? 0);
    return (
      this.#all +
      (this.#wholeProjects.get(project) ?? 0) +
      (this.#prompts.get(`${project}\u0000${prompt}`) ?? 0)
    );
  }

  /**
   * Runs `write` with the writes it makes through a counted client attributed to `scope` only.
   * `scope.projects` undefined (projects unknown): attributed to every project, as outside this call.
   */
  attributed<T>(scope: WriteScope, write: () => Promise<T>): Promise<T> {
    return scope.projects === undefined ? write() : this.#attribution.run(scope, write);
  }

  #move(scope: WriteScope | undefined): void {
    if (scope?.projects === undefined) {
      this.#all++;
      return;
    }
    for (const p of scope.projects) {
      bump(this.#projects, p);
      const prompts = scope.prompts?.get(p);
      if (prompts === undefined) bump(this.#wholeProjects, p);
      else for (const name of prompts) this.#movePrompt(`${p}\u0000${name}`);
    }
  }

  #movePrompt(key: string): void {
    if (this.#prompts.size >= this.#maxPrompts && !this.#prompts.has(key)) {
      // Starting afresh must not bring back a value seen before: #all jumps past every prompt's count.
      let most = 0;
      for (const n of this.#prompts.values()) most = Math.max(most, n);
      this.#all += most + 1;
      this.#prompts.clear();
    }
    bump(this.#prompts, key);
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
   * await writes.attributed({ projects: new Set(['web']) }, () =>
   *   client.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' }),
   * );
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

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import { inlineQueryParams } from './inlineQueryParams.js';

/** A connection of `@clickhouse/client` (its own type is not exported by name). */
export type EngineConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;
type Arg<K extends keyof EngineConnection> = Parameters<EngineConnection[K]>[0];
type Result<K extends keyof EngineConnection> = ReturnType<EngineConnection[K]>;

/**
 * The embedded engine's connections of one client: one that every write and statement goes
 * through, in the order they are sent (inserts, DDL, commands: as on a single connection), and
 * `readers` more that answer reads side by side.
 *
 * One chdb connection runs one statement at a time, and chdb runs every statement with query
 * parameters one at a time across all of a process's connections (its parameter binding is not
 * isolated between them). Statements without parameters on different connections of one data
 * directory run at once on the engine's shared data. So a read (`query`) goes to a reader that is
 * not running one (or waits, in order, for the first that finishes), with its parameters written
 * into the statement (inlineQueryParams.ts); a read whose parameters cannot be written so, or that
 * sets settings (the embedded engine applies them as session-wide `SET`s), goes through the writing
 * connection with its parameters bound, as before. A read sent after a write has finished sees it
 * (one engine, one storage). Decision 0056.
 */
export class EngineConnections implements EngineConnection {
  readonly #writer: EngineConnection;
  readonly #readers: ReadonlyArray<EngineConnection>;
  /** Readers not running a read; reads wait in order when none is. */
  readonly #idle: EngineConnection[];
  readonly #waiting: Array<(reader: EngineConnection) => void> = [];

  /**
   * @param open opens one chdb connection on the client's data directory (called `readers + 1` times).
   * @param readers connections for reads (0: everything through one connection).
   */
  constructor(open: () => EngineConnection, readers: number) {
    this.#writer = open();
    const opened: Array<EngineConnection> = [];
    try {
      for (let i = 0; i < readers; i++) opened.push(open());
    } catch (e) {
      for (const c of [this.#writer, ...opened]) void c.close();
      throw e;
    }
    this.#readers = opened;
    this.#idle = [...opened].reverse();
  }

  async query(params: Arg<'query'>): Result<'query'> {
    const settings = Object.values(params.clickhouse_settings ?? {}).some((v) => v !== undefined);
    if (this.#readers.length === 0 || settings) return this.#writer.query(params);
    let sent = params;
    const p = params.query_params;
    if (p !== undefined && Object.keys(p).length > 0) {
      const query = inlineQueryParams(params.query, p);
      if (query === undefined) return this.#writer.query(params);
      sent = { ...params, query, query_params: {} };
    }
    const reader = this.#idle.pop() ?? (await new Promise<EngineConnection>((r) => this.#waiting.push(r)));
    try {
      return await reader.query(sent);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(reader);
      else this.#idle.push(reader);
    }
  }

  insert(params: Arg<'insert'>): Result<'insert'> {
    return this.#writer.insert(params);
  }

  command(params: Arg<'command'>): Result<'command'> {
    return this.#writer.command(params);
  }

  exec(params: Arg<'exec'>): Result<'exec'> {
    return this.#writer.exec(params);
  }

  ping(params: Arg<'ping'>): Result<'ping'> {
    return this.#writer.ping(params);
  }

  async close(): Promise<void> {
    // Reads still waiting for a reader get a closed one, which refuses them.
    for (const next of this.#waiting.splice(0)) next(this.#readers[0] as EngineConnection);
    await Promise.all([...this.#readers, this.#writer].map((c) => c.close()));
  }
}

/**
 * Bounds how many requests of one kind run at once, in total and per API key, with a short queue
 * in front of each bound. A request over the queue is refused at once ({@link GateFullError}, which
 * handlers answer with 429 + `Retry-After`) instead of waiting without limit.
 */

/** Refused because the gate's queue is full; `scope` says which bound was hit. */
export class GateFullError extends Error {
  override readonly name = 'GateFullError';
  readonly scope: 'key' | 'total';
  constructor(scope: 'key' | 'total', message: string) {
    super(message);
    this.scope = scope;
  }
}

export interface ConcurrencyGateOptions {
  /** Requests running at once, all keys together. */
  maxRunning: number;
  /** Requests waiting for a slot, all keys together. */
  maxQueued: number;
  /** Requests of one key running at once. */
  maxRunningPerKey: number;
  /** Requests of one key waiting. */
  maxQueuedPerKey: number;
}

interface Waiter {
  key: string;
  grant: () => void;
}

/**
 * @example
 * const gate = new ConcurrencyGate({ maxRunning: 2, maxQueued: 2, maxRunningPerKey: 1, maxQueuedPerKey: 1 });
 * const release = await gate.enter(principal.id); // throws GateFullError when full
 * try { await run(); } finally { release(); }
 */
export class ConcurrencyGate {
  private readonly opts: ConcurrencyGateOptions;
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  private readonly queuedByKey = new Map<string, number>();
  private readonly queue: Waiter[] = [];

  constructor(opts: ConcurrencyGateOptions) {
    for (const [name, v] of Object.entries(opts)) {
      if (!Number.isInteger(v) || v < (name.startsWith('maxRunning') ? 1 : 0))
        throw new Error(`ConcurrencyGate: ${name} must be a whole number (got ${String(v)})`);
    }
    this.opts = opts;
  }

  /** Requests running now. */
  get active(): number {
    return this.running;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits for a slot for `key` and resolves with its release function (idempotent). Throws
   * {@link GateFullError} at once when the key's or the total queue is full. An aborted `signal`
   * (the client went away) takes a waiting request out of the queue and rejects with its reason.
   */
  enter(key: string, signal?: AbortSignal): Promise<() => void> {
    if (this.canRun(key)) return Promise.resolve(this.start(key));
    const queued = this.queuedByKey.get(key) ?? 0;
    if (queued >= this.opts.maxQueuedPerKey) {
      return Promise.reject(
        new GateFullError(
          'key',
          `this API key already has ${this.opts.maxRunningPerKey} request(s) running and ${queued} waiting; retry when one finishes`,
        ),
      );
    }
    if (this.queue.length >= this.opts.maxQueued) {
      return Promise.reject(
        new GateFullError(
          'total',
          `${this.opts.maxRunning} request(s) running and ${this.queue.length} waiting; retry shortly`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.start(key));
        },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i === -1) return;
        this.queue.splice(i, 1);
        this.bump(this.queuedByKey, key, -1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('request aborted'));
      };
      if (signal?.aborted === true) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('request aborted'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.bump(this.queuedByKey, key, 1);
    });
  }

  private canRun(key: string): boolean {
    return (
      this.running < this.opts.maxRunning && (this.runningByKey.get(key) ?? 0) < this.opts.maxRunningPerKey
    );
  }

  private start(key: string): () => void {
    this.running++;
    this.bump(this.runningByKey, key, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.bump(this.runningByKey, key, -1);
      this.next();
    };
  }

  /** Starts the first waiters that may run now (FIFO, skipping keys at their own bound). */
  private next(): void {
    for (let i = 0; i < this.queue.length && this.running < this.opts.maxRunning;) {
      const w = this.queue[i]!;
      if (!this.canRun(w.key)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.bump(this.queuedByKey, w.key, -1);
      w.grant();
    }
  }

  private bump(map: Map<string, number>, key: string, by: number): void {
    const v = (map.get(key) ?? 0) + by;
    if (v <= 0) map.delete(key);
    else map.set(key, v);
  }
}

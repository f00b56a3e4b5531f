/**
 * Admission of OTLP requests: every check a request passes before its body is read, in one step
 * ({@link IngestAdmission.admit}), and the request memory it holds while it is read and decoded
 * ({@link Admitted.hold}). Every bound holds collector-wide and per API key (decision 0026).
 *
 * Request memory is reserved as it is held: a body with a `Content-Length` reserves that length
 * up front (so a request that cannot fit is refused before it is read); a body without one
 * (chunked), and a compressed body as it inflates, reserve more as the bytes arrive. A request
 * that would take more than its share while it is read is refused then (429, connection closed),
 * and the bytes it held are freed. One request always fits: the first request to hold bytes
 * (collector-wide, or of its key) is bounded only by the per-request body limit.
 */
import type { Logger } from '../logger.js';

/** Why a request was refused under back-pressure (each logged once until it clears). */
export type RefusalReason =
  | 'stopping'
  | 'concurrency'
  | 'memory'
  | 'key-concurrency'
  | 'key-memory'
  | 'lag'
  | 'wal-full'
  | 'disk-full'
  | 'disk-error'
  | 'stalled';

/**
 * A request refused for now: the client retries it after `Retry-After` (OTLP/HTTP clients retry
 * 429 and 503). Nothing of it was kept.
 */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  readonly status: 429 | 503;
  readonly reason: RefusalReason;
  constructor(status: 429 | 503, reason: RefusalReason, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** The bounds of {@link IngestAdmission} (the receiver's config, plus the exporter's lag bounds). */
export interface AdmissionOptions {
  /** Largest body of one request (wire bytes, and inflated bytes). */
  maxRequestBodySize: number;
  maxConcurrentRequests: number;
  /** Request bytes held at once, all keys together (429 beyond; one request always fits). */
  maxInFlightBytes: number;
  /**
   * Share of those bounds one API key may hold (429 beyond), so one client's slow or large requests
   * never refuse everybody else's. Anonymous ingest counts as one key.
   */
  maxConcurrentRequestsPerKey: number;
  /** One request of a key always fits this bound (the collector-wide one still applies). */
  maxInFlightBytesPerKey: number;
  /**
   * While exports succeed and more than this many bytes are un-exported, a request is held (its body
   * unread) for up to `maxLagWaitMs` until ClickHouse catches up, then refused with 429.
   */
  maxLagBytes: number;
  maxLagWaitMs: number;
}

/** What admission needs to know about the write-ahead log and the exporter. */
export interface AdmissionState {
  /** Bytes in the WAL not yet in ClickHouse. */
  pendingBytes(): number;
  /** Whether the WAL has room for `bytes` more. */
  walHasRoom(bytes: number): boolean;
  /** The WAL's bound (`wal.max_bytes`). */
  walMaxBytes(): number;
  /** `false` while exports to ClickHouse fail. */
  exportHealthy(): boolean;
  /** A request is being held while ClickHouse catches up (counted on `/metrics`). */
  onHeldForLag(): void;
}

/** The calling key (`Principal.id` and its name, for messages). */
export interface AdmissionKey {
  id: string;
  name: string;
}

/** What one API key holds right now. */
interface KeyLoad {
  requests: number;
  bytes: number;
}

/** How often a held request looks at the export lag again. */
const LAG_POLL_MS = 20;

/** An admitted request: its slot and the bytes it holds, until {@link Admitted.release}. */
export interface Admitted {
  /** Bytes reserved now (at least the bytes held). */
  readonly reserved: number;
  /**
   * The request now holds `bytes` in all (read, or inflated); reserves what that exceeds. Throws a
   * {@link Refusal} (429) when the collector or the key has no room for it.
   */
  hold(bytes: number): void;
  /** The request holds exactly `bytes` now (e.g. the inflated body, the compressed bytes gone). */
  settle(bytes: number): void;
  /** Frees the slot and every byte (idempotent). */
  release(): void;
}

/**
 * @example
 * const admitted = await admission.admit({ id, name }, contentLength);
 * if (admitted instanceof Refusal) return refuse(admitted);
 * try { … admitted.hold(bytesSoFar) … } finally { admitted.release(); }
 */
export class IngestAdmission {
  private readonly opts: AdmissionOptions;
  private readonly state: AdmissionState;
  private readonly log: Logger;
  private requests = 0;
  private bytes = 0;
  /** Requests and bytes in flight per API key; entries leave at zero requests. */
  private readonly perKey = new Map<string, KeyLoad>();
  private draining = false;

  constructor(opts: AdmissionOptions, state: AdmissionState, log: Logger) {
    this.opts = opts;
    this.state = state;
    this.log = log;
  }

  /** Requests being read, decoded or held for the export lag now. */
  get inFlight(): number {
    return this.requests;
  }

  /** Request bytes reserved now. */
  get inFlightBytes(): number {
    return this.bytes;
  }

  /** Bytes reserved now by one key's requests. */
  keyBytes(keyId: string): number {
    return this.perKey.get(keyId)?.bytes ?? 0;
  }

  /** Refuse new requests from now on (graceful shutdown). */
  stopAccepting(): void {
    this.draining = true;
  }

  /** Whether the collector is stopping. */
  get stopping(): boolean {
    return this.draining;
  }

  /**
   * Every check before a request's body is read, in order: shutdown, the collector's and the key's
   * request slots, the export lag (the request may be held while ClickHouse catches up), room in
   * the WAL, and the collector's and the key's request memory for `declaredBytes` (the body's
   * `Content-Length` when it is not compressed; `undefined` reserves nothing up front). Resolves to
   * the admitted request, or to the {@link Refusal} to answer with.
   */
  async admit(key: AdmissionKey, declaredBytes: number | undefined): Promise<Admitted | Refusal> {
    const o = this.opts;
    if (this.draining) return new Refusal(503, 'stopping', 'collector is shutting down');
    if (this.requests >= o.maxConcurrentRequests) {
      return new Refusal(429, 'concurrency', `more than ${o.maxConcurrentRequests} requests in flight`);
    }
    const keyLoad = this.perKey.get(key.id);
    if (keyLoad !== undefined && keyLoad.requests >= o.maxConcurrentRequestsPerKey) {
      return new Refusal(
        429,
        'key-concurrency',
        `API key "${key.name}" has ${keyLoad.requests} requests in flight (max_concurrent_requests_per_key ${o.maxConcurrentRequestsPerKey})`,
      );
    }
    if (this.lagging() && !(await this.waitForExport(key.id))) {
      if (this.draining) return new Refusal(503, 'stopping', 'collector is shutting down');
      return new Refusal(
        429,
        'lag',
        `ClickHouse is behind by ${this.state.pendingBytes()} bytes (max_lag_bytes ${o.maxLagBytes})`,
      );
    }
    if (!this.state.walHasRoom(1)) {
      return new Refusal(
        503,
        'wal-full',
        `write-ahead log is full (${this.state.pendingBytes()} bytes waiting for ClickHouse${this.state.exportHealthy() ? '' : ', which is failing'})`,
      );
    }
    const reserve = declaredBytes === undefined ? 0 : Math.min(declaredBytes, o.maxRequestBodySize);
    const memory = this.memoryRefusal(key, reserve, 0);
    if (memory !== undefined) return memory;
    this.clearThrottles();
    return this.enter(key, reserve);
  }

  /**
   * The refusal for reserving `more` bytes for a request of `key` that already reserves `own`, or
   * `undefined` when it fits. The only holder of bytes (collector-wide, or of its key) always fits.
   */
  private memoryRefusal(key: AdmissionKey, more: number, own: number): Refusal | undefined {
    const o = this.opts;
    if (this.bytes - own > 0 && this.bytes + more > o.maxInFlightBytes) {
      return new Refusal(
        429,
        'memory',
        `requests in flight hold ${this.bytes} bytes (max_in_flight_bytes ${o.maxInFlightBytes})`,
      );
    }
    const held = this.keyBytes(key.id);
    if (held - own > 0 && held + more > o.maxInFlightBytesPerKey) {
      return new Refusal(
        429,
        'key-memory',
        `requests of API key "${key.name}" hold ${held} bytes (max_in_flight_bytes_per_key ${o.maxInFlightBytesPerKey})`,
      );
    }
    return undefined;
  }

  private enter(key: AdmissionKey, reserve: number): Admitted {
    const load = this.holdKey(key.id, reserve);
    this.requests++;
    this.bytes += reserve;
    let reserved = reserve;
    let released = false;
    const adjust = (by: number): void => {
      reserved += by;
      this.bytes += by;
      load.bytes += by;
    };
    return {
      get reserved() {
        return reserved;
      },
      hold: (bytes) => {
        if (released || bytes <= reserved) return;
        const refusal = this.memoryRefusal(key, bytes - reserved, reserved);
        if (refusal !== undefined) throw refusal;
        adjust(bytes - reserved);
      },
      settle: (bytes) => {
        if (!released) adjust(bytes - reserved);
      },
      release: () => {
        if (released) return;
        released = true;
        adjust(-reserved);
        this.requests--;
        this.releaseKey(key.id, load);
      },
    };
  }

  /** Counts a request (and `bytes`) against its key. */
  private holdKey(keyId: string, bytes: number): KeyLoad {
    let load = this.perKey.get(keyId);
    if (load === undefined) this.perKey.set(keyId, (load = { requests: 0, bytes: 0 }));
    load.requests++;
    load.bytes += bytes;
    return load;
  }

  private releaseKey(keyId: string, load: KeyLoad): void {
    load.requests--;
    if (load.requests === 0) this.perKey.delete(keyId);
  }

  /** ClickHouse is healthy but behind by more than `maxLagBytes`. */
  private lagging(): boolean {
    return this.state.exportHealthy() && this.state.pendingBytes() > this.opts.maxLagBytes;
  }

  /**
   * Holds a request while ClickHouse catches up, up to `maxLagWaitMs`: slowing clients down keeps the
   * engine supplied with batches, where a 429 makes every client pause for `Retry-After` at once and
   * leaves the engine idle meanwhile. A held request counts against `maxConcurrentRequests` and holds
   * no body bytes (its body is not read yet). `false` when the lag outlasted the wait or the collector
   * began stopping.
   */
  private async waitForExport(keyId: string): Promise<boolean> {
    const deadline = Date.now() + this.opts.maxLagWaitMs;
    this.requests++;
    const load = this.holdKey(keyId, 0);
    this.state.onHeldForLag();
    try {
      while (this.lagging()) {
        const left = deadline - Date.now();
        if (left <= 0 || this.draining) return false;
        await new Promise((r) => setTimeout(r, Math.min(LAG_POLL_MS, left)).unref());
      }
      return !this.draining;
    } finally {
      this.requests--;
      this.releaseKey(keyId, load);
    }
  }

  /** Re-arms back-pressure logs once their condition is well clear (half the bound), not at every dip. */
  private clearThrottles(): void {
    const o = this.opts;
    if (this.state.pendingBytes() <= o.maxLagBytes / 2) {
      this.log.reset(
        'back-pressure:lag',
        'back-pressure cleared: ClickHouse caught up; requests refused meanwhile',
      );
    }
    if (this.state.walHasRoom(this.state.walMaxBytes() / 2)) {
      this.log.reset(
        'back-pressure:wal-full',
        'back-pressure cleared: the WAL has room again; requests refused meanwhile',
      );
    }
    if (this.bytes <= o.maxInFlightBytes / 2) {
      this.log.reset(
        'back-pressure:memory',
        'back-pressure cleared: request memory back to normal; requests refused meanwhile',
      );
    }
    if (this.requests < o.maxConcurrentRequests / 2) {
      this.log.reset(
        'back-pressure:concurrency',
        'back-pressure cleared: requests in flight back to normal; requests refused meanwhile',
      );
    }
    let busiest = 0;
    let heaviest = 0;
    for (const load of this.perKey.values()) {
      busiest = Math.max(busiest, load.requests);
      heaviest = Math.max(heaviest, load.bytes);
    }
    if (busiest <= o.maxConcurrentRequestsPerKey / 2) {
      this.log.reset(
        'back-pressure:key-concurrency',
        "back-pressure cleared: no API key holds more than half its share of requests in flight; requests over a key's share refused meanwhile",
      );
    }
    if (heaviest <= o.maxInFlightBytesPerKey / 2) {
      this.log.reset(
        'back-pressure:key-memory',
        "back-pressure cleared: no API key holds more than half its share of request memory; requests over a key's share refused meanwhile",
      );
    }
  }
}

/**
 * A short-lived cache of the typed read API's answers, shared by every reader of a project: a team
 * looking at one console view (or one dashboard) asks the same questions at the same moment, and
 * the engine's time is what a cold answer costs. Identical requests in flight share one read
 * (single flight). An answer is reused only while the data has not changed: with `writes` (a
 * {@link WriteCounter}'s value for the answer's project, or for its prompt when `promptOf` tells that
 * the answer reads only that prompt's data), any write through the collector that may have changed
 * that data since the read started makes the answer stale at once; and in any case an answer lives
 * at most a few seconds (windows that reach into the last two hours) or a few minutes (older
 * windows), which bounds what writers the counter does not see (other processes writing to a
 * ClickHouse server, TTL deletes; with `allWritesSeen`, the embedded engine, every answer lives the
 * few minutes). Bounded by entries and bytes, oldest dropped first. Only 200 answers to requests
 * with an explicit window (`from` and `to`, as the console sends them, rounded to the minute) are
 * kept; the key holds the project, the path and the sorted query.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/ApiKeyStore.js';
import type { RouteHandler } from '../server/Router.js';

/** Bounds and lifetimes of {@link ReadCache}. */
export interface ReadCacheOptions {
  /**
   * Lifetime of an answer whose window ends within `freshWindowMs` of now. Default 10 s, or
   * `settledTtlMs` when {@link ReadCacheOptions.allWritesSeen}.
   */
  freshTtlMs?: number;
  /** Lifetime of an answer about an older window. Default 5 min. */
  settledTtlMs?: number;
  /** A window ending later than now minus this is still filling. Default 2 h. */
  freshWindowMs?: number;
  /**
   * `writes` sees every write of the data (the embedded engine, whose only writer is the collector):
   * a window still filling changes only with a write, so its answers live as long as older ones.
   */
  allWritesSeen?: boolean;
  /** Answers kept at most. Default 1000. */
  maxEntries?: number;
  /** Bytes of answers kept at most. Default 64 MiB. */
  maxBytes?: number;
  now?: () => number;
  /**
   * The version of a project's data, or of one prompt's data in it (a {@link WriteCounter}'s value):
   * an answer is reused only while it is the one the answer was read at. Default: none (lifetimes
   * alone).
   */
  writes?: (project: string, prompt?: string) => number;
  /**
   * The prompt an answer is about, when it reads nothing but that prompt's data (its version then
   * follows writes of that prompt only); undefined: the answer is about the whole project.
   */
  promptOf?: (url: URL) => string | undefined;
}

interface Answer {
  status: number;
  headers: Record<string, string | number | string[]>;
  body: Buffer;
}

interface Entry extends Answer {
  expires: number;
  /** The data's version when the read started. */
  version: number;
}

/** Hit / miss counters (for /metrics and the benchmark). */
export interface ReadCacheStats {
  hits: number;
  misses: number;
  shared: number;
  entries: number;
  bytes: number;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Answer | undefined>>();
  private bytes = 0;
  private readonly freshTtlMs: number;
  private readonly settledTtlMs: number;
  private readonly freshWindowMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly writes: (project: string, prompt?: string) => number;
  private readonly promptOf: (url: URL) => string | undefined;
  readonly stats: Omit<ReadCacheStats, 'entries' | 'bytes'> = { hits: 0, misses: 0, shared: 0 };

  constructor(opts: ReadCacheOptions = {}) {
    this.settledTtlMs = opts.settledTtlMs ?? 300_000;
    this.freshTtlMs = opts.freshTtlMs ?? (opts.allWritesSeen === true ? this.settledTtlMs : 10_000);
    this.freshWindowMs = opts.freshWindowMs ?? 2 * 3_600_000;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.writes = opts.writes ?? (() => 0);
    this.promptOf = opts.promptOf ?? (() => undefined);
  }

  /** Current counters. */
  snapshot(): ReadCacheStats {
    return { ...this.stats, entries: this.entries.size, bytes: this.bytes };
  }

  /** How long an answer about `url` stays: short while its window can still change. */
  ttlFor(url: URL): number {
    const to = url.searchParams.get('to');
    const end = to === null ? this.now() : Date.parse(to);
    return Number.isFinite(end) && end < this.now() - this.freshWindowMs
      ? this.settledTtlMs
      : this.freshTtlMs;
  }

  /**
   * Wraps a GET handler: `principal(req)` authenticates (and throws as the handler would) and
   * names the project the answer belongs to.
   */
  wrap(handler: RouteHandler, principal: (req: IncomingMessage) => Principal): RouteHandler {
    return async (req, res, params, url) => {
      // Only explicit windows are shared: `since=1h` means "until now" and must stay fresh.
      if (
        (req.method !== 'GET' && req.method !== 'HEAD') ||
        !url.searchParams.has('from') ||
        !url.searchParams.has('to')
      )
        return handler(req, res, params, url);
      const who = principal(req);
      const query = [...url.searchParams].sort(([a, av], [b, bv]) =>
        a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1,
      );
      const key = `${who.project}\u0000${url.pathname}?${new URLSearchParams(query).toString()}`;
      const prompt = this.promptOf(url);
      const version = this.writes(who.project, prompt);
      const hit = this.entries.get(key);
      if (hit !== undefined && hit.expires > this.now() && hit.version === version) {
        this.stats.hits++;
        send(res, hit);
        return;
      }
      if (hit !== undefined) this.drop(key);
      // A read started before a write is not shared with requests that come after it.
      const flightKey = `${version}\u0000${key}`;
      const flight = this.inFlight.get(flightKey);
      if (flight !== undefined) {
        const shared = await flight;
        if (shared !== undefined) {
          this.stats.shared++;
          send(res, shared);
          return;
        }
        // The first request failed: answer this one on its own.
        return handler(req, res, params, url);
      }
      this.stats.misses++;
      let resolve!: (a: Answer | undefined) => void;
      this.inFlight.set(
        flightKey,
        new Promise<Answer | undefined>((r) => {
          resolve = r;
        }),
      );
      const answer = capture(res);
      try {
        await handler(req, res, params, url);
      } finally {
        this.inFlight.delete(flightKey);
        const a = answer();
        if (a !== undefined && a.status === 200) {
          // Kept only when no write happened during the read (it may have seen part of one).
          if (this.writes(who.project, prompt) === version)
            this.store(key, { ...a, expires: this.now() + this.ttlFor(url), version });
          resolve(a);
        } else resolve(undefined);
      }
    };
  }

  private store(key: string, entry: Entry): void {
    if (entry.body.length > this.maxBytes / 4) return;
    this.drop(key);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.bytes -= e.body.length;
    this.entries.delete(key);
  }
}

function send(res: ServerResponse, a: Answer): void {
  res.writeHead(a.status, a.headers);
  res.end(a.body);
}

/** Records what a handler writes (status, headers, one body) while it goes to the client as usual. */
function capture(res: ServerResponse): () => Answer | undefined {
  let status = 0;
  let headers: Record<string, string | number | string[]> = {};
  let body: Buffer | undefined;
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  res.writeHead = ((code: number, ...rest: unknown[]) => {
    status = code;
    const h = rest.find((x) => typeof x === 'object' && x !== null);
    if (h !== undefined) headers = { ...(h as Record<string, string | number | string[]>) };
    return (writeHead as (...a: unknown[]) => ServerResponse)(code, ...rest);
  }) as typeof res.writeHead;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') body = Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) body = chunk;
    return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as typeof res.end;
  return () => (status === 0 || body === undefined ? undefined : { status, headers, body });
}

/**
 * Console logins: one-time login tokens (printed as a URL, Jupyter-style) and cookie sessions.
 * A session is always read-only and bound to one project: it can read what a `read` key of that
 * project reads through the typed read API, and nothing else (no SQL, no registry writes).
 *
 * Secrets are 256-bit random values; only their SHA-256 digests are kept. A token is compared with
 * every pending token's digest in constant time, used once, and expires.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/ApiKeyStore.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'promptline_session';

/** Who a login token or session stands for: a project, and the key (by name) it came from. */
export interface ConsoleIdentity {
  project: string;
  /** Label of the key the login came from (shown in the console; never the key). */
  keyName: string;
}

/** Bounds and lifetimes of {@link ConsoleAuth}. */
export interface ConsoleAuthOptions {
  /** How long a login token stays valid. Default 15 min. */
  tokenTtlMs?: number;
  /** Login tokens pending at once; the oldest is dropped beyond it. Default 32. */
  maxTokens?: number;
  /** Session lifetime from login. Default 12 h. */
  sessionTtlMs?: number;
  /** Sessions at once; the oldest is dropped beyond it. Default 1000. */
  maxSessions?: number;
  /** Failed logins per client address per minute before 429. Default 20. */
  maxFailuresPerMinute?: number;
  /** Clock (tests). */
  now?: () => number;
}

interface Pending {
  digest: Buffer;
  identity: ConsoleIdentity;
  expires: number;
}

interface Session {
  identity: ConsoleIdentity;
  expires: number;
}

const digestOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** Value of one cookie in a `Cookie` header, or `undefined`. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Login tokens and sessions of one collector (in memory: a restart logs everyone out). */
export class ConsoleAuth {
  private readonly tokens: Pending[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, { windowStart: number; count: number }>();
  private readonly tokenTtlMs: number;
  private readonly maxTokens: number;
  private readonly sessionTtlMs: number;
  private readonly maxSessions: number;
  private readonly maxFailures: number;
  private readonly now: () => number;

  constructor(opts: ConsoleAuthOptions = {}) {
    this.tokenTtlMs = opts.tokenTtlMs ?? 15 * 60_000;
    this.maxTokens = opts.maxTokens ?? 32;
    this.sessionTtlMs = opts.sessionTtlMs ?? 12 * 3_600_000;
    this.maxSessions = opts.maxSessions ?? 1000;
    this.maxFailures = opts.maxFailuresPerMinute ?? 20;
    this.now = opts.now ?? Date.now;
  }

  /** Session lifetime in seconds (the cookie's Max-Age). */
  get sessionTtlSeconds(): number {
    return Math.floor(this.sessionTtlMs / 1000);
  }

  /** A new one-time login token for `identity`, valid for the token TTL. */
  issueToken(identity: ConsoleIdentity): { token: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    const expires = this.now() + this.tokenTtlMs;
    this.dropExpiredTokens();
    this.tokens.push({ digest: digestOf(token), identity: { ...identity }, expires });
    while (this.tokens.length > this.maxTokens) this.tokens.shift();
    return { token, expiresAt: new Date(expires) };
  }

  /**
   * Redeems a login token: compared in constant time with every pending token, single use,
   * expiring. Returns the identity it stands for, or `undefined`.
   */
  redeemToken(token: string): ConsoleIdentity | undefined {
    this.dropExpiredTokens();
    const presented = digestOf(token);
    let found = -1;
    // Every pending digest is compared (no early exit), each in constant time.
    for (let i = 0; i < this.tokens.length; i++) {
      if (timingSafeEqual(presented, this.tokens[i]!.digest) && found === -1) found = i;
    }
    if (found === -1) return undefined;
    const [pending] = this.tokens.splice(found, 1);
    return pending!.identity;
  }

  /** Starts a session; returns the cookie secret. */
  createSession(identity: ConsoleIdentity): string {
    const secret = randomBytes(32).toString('base64url');
    this.dropExpiredSessions();
    this.sessions.set(digestOf(secret).toString('hex'), {
      identity: { ...identity },
      expires: this.now() + this.sessionTtlMs,
    });
    // Maps iterate in insertion order: the first key is the oldest session.
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return secret;
  }

  /** The live session of a request's cookie, or `undefined`. */
  session(req: IncomingMessage): ConsoleIdentity | undefined {
    const secret = cookieValue(req, SESSION_COOKIE);
    if (secret === undefined || secret === '') return undefined;
    const key = digestOf(secret).toString('hex');
    const s = this.sessions.get(key);
    if (s === undefined) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return s.identity;
  }

  /** The read-only principal of a request's session, or `undefined`. */
  principal(req: IncomingMessage): Principal | undefined {
    const s = this.session(req);
    if (s === undefined) return undefined;
    // Bounds per key apply to the key the session was opened with.
    return {
      id: `console:${s.keyName}`,
      project: s.project,
      scopes: new Set(['read']),
      name: `console:${s.keyName}`,
      anonymous: false,
    };
  }

  /** Ends the request's session (logout). */
  endSession(req: IncomingMessage): void {
    const secret = cookieValue(req, SESSION_COOKIE);
    if (secret !== undefined) this.sessions.delete(digestOf(secret).toString('hex'));
  }

  /** `true` when `address` may try another login (fewer than the bound of failures this minute). */
  mayTry(address: string): boolean {
    const f = this.failures.get(address);
    if (f === undefined || this.now() - f.windowStart >= 60_000) return true;
    return f.count < this.maxFailures;
  }

  /** Counts a failed login of `address`. */
  recordFailure(address: string): void {
    const now = this.now();
    const f = this.failures.get(address);
    if (f === undefined || now - f.windowStart >= 60_000) {
      this.failures.set(address, { windowStart: now, count: 1 });
      // Bounded: forget the oldest address beyond 10,000.
      if (this.failures.size > 10_000) {
        const oldest = this.failures.keys().next().value;
        if (oldest !== undefined) this.failures.delete(oldest);
      }
    } else f.count++;
  }

  /** Pending login tokens (for tests and metrics). */
  get pendingTokens(): number {
    this.dropExpiredTokens();
    return this.tokens.length;
  }

  private dropExpiredTokens(): void {
    const now = this.now();
    for (let i = this.tokens.length - 1; i >= 0; i--)
      if (this.tokens[i]!.expires <= now) this.tokens.splice(i, 1);
  }

  private dropExpiredSessions(): void {
    const now = this.now();
    for (const [k, s] of this.sessions) if (s.expires <= now) this.sessions.delete(k);
  }
}

/**
 * API keys: stored only as SHA-256 digests (keys are 256-bit random secrets, so a fast hash is the
 * right tool; no salt or stretching is needed), each bound to one project and a set of scopes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * `ingest` sends telemetry; `read` reads the key's own project through the typed read API;
 * `sql` runs read-only SQL (served only with a ClickHouse server, as its read-only reader user),
 * which is NOT project-scoped (every project's rows are visible), so it is granted separately;
 * `write` changes the prompt registry; `admin` implies every scope.
 */
export type Scope = 'ingest' | 'read' | 'sql' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['ingest', 'read', 'sql', 'write', 'admin'];

/** One configured key (as in the config file / keys file). */
export interface ApiKeyEntry {
  /** Lowercase hex SHA-256 of the key. */
  sha256: string;
  project: string;
  scopes: readonly Scope[];
  /** Label for logs and metrics (never the key). */
  name?: string;
}

/** Who a request is, once its key checked out. */
export interface Principal {
  /**
   * Stable identifier of the key for per-key bounds: the first 16 hex digits of its SHA-256 (not
   * the key, and not enough of the digest to match it against a leaked config); `anonymous`.
   */
  id: string;
  project: string;
  scopes: ReadonlySet<Scope>;
  /** Key label, or `anonymous`. */
  name: string;
  anonymous: boolean;
}

/** HTTP-mapped authentication failure: 401 without/unknown key, 403 when a scope is missing. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.status = status;
  }
}

/** Lowercase hex SHA-256 of an API key: what the config stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key (`pl_` + 43 base64url characters = 256 bits). */
export function generateApiKey(): string {
  return `pl_${randomBytes(32).toString('base64url')}`;
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, `x-promptline-api-key: <key>`,
 * ClickHouse-style `X-ClickHouse-Key` or the password of HTTP Basic auth.
 */
export function presentedKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const space = auth.indexOf(' ');
    const scheme = space === -1 ? auth : auth.slice(0, space);
    const value = space === -1 ? '' : auth.slice(space + 1).trim();
    if (/^bearer$/i.test(scheme) && value !== '') return value;
    if (/^basic$/i.test(scheme) && value !== '') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon === -1 ? decoded : decoded.slice(colon + 1);
      if (password !== '') return password;
    }
  }
  const header = req.headers['x-promptline-api-key'] ?? req.headers['x-clickhouse-key'];
  if (typeof header === 'string' && header !== '') return header;
  return undefined;
}

export interface ApiKeyStoreOptions {
  keys: readonly ApiKeyEntry[];
  /** Accept ingest without a key, into `anonymousProject`. Reads always need a key. */
  allowAnonymousIngest: boolean;
  anonymousProject: string;
}

/** Looks up presented keys by digest and checks scopes. */
export class ApiKeyStore {
  private readonly byDigest = new Map<string, ApiKeyEntry>();
  private readonly opts: ApiKeyStoreOptions;

  constructor(opts: ApiKeyStoreOptions) {
    this.opts = opts;
    for (const k of opts.keys) this.byDigest.set(k.sha256.toLowerCase(), k);
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The principal of a key, or `undefined` for an unknown key. */
  lookup(key: string): Principal | undefined {
    const digest = hashApiKey(key);
    const entry = this.byDigest.get(digest);
    if (entry === undefined) return undefined;
    // The map lookup already matched; compare digests in constant time all the same.
    if (!timingSafeEqual(Buffer.from(digest, 'hex'), Buffer.from(entry.sha256.toLowerCase(), 'hex')))
      return undefined;
    return {
      id: digest.slice(0, 16),
      project: entry.project,
      scopes: new Set(entry.scopes),
      name: entry.name ?? 'key',
      anonymous: false,
    };
  }

  /**
   * Authenticates a request and requires `scope`. Throws {@link AuthError} (401 / 403).
   *
   * @example
   * const who = keys.require(req, 'write'); // who.project scopes every query
   */
  require(req: IncomingMessage, scope: Scope): Principal {
    const key = presentedKey(req);
    if (key === undefined) {
      if (scope === 'ingest' && this.opts.allowAnonymousIngest) {
        return {
          id: 'anonymous',
          project: this.opts.anonymousProject,
          scopes: new Set(['ingest']),
          name: 'anonymous',
          anonymous: true,
        };
      }
      throw new AuthError(401, 'missing API key (send "Authorization: Bearer <key>")');
    }
    const who = this.lookup(key);
    if (who === undefined) throw new AuthError(401, 'unknown API key');
    if (!who.scopes.has(scope) && !who.scopes.has('admin')) {
      throw new AuthError(403, `API key "${who.name}" lacks the "${scope}" scope`);
    }
    return who;
  }
}

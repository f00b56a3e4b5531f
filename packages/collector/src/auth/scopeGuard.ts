/**
 * The one check every keyed route makes (`RouteDeps.requireScope`): a presented API key with the
 * scope, or, for reads only, a console session (cookie).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../server/Router.js';
import { AuthError, presentedKey } from './ApiKeyStore.js';
import type { ApiKeyStore, Principal, Scope } from './ApiKeyStore.js';

/** Console sessions: a read-only principal for a request's session cookie, if it has one. */
export interface ReadSessions {
  principal(req: IncomingMessage): Principal | undefined;
}

/**
 * Returns `requireScope`: authenticates the request and requires `scope`; throws an `HttpError`
 * 401 (no or unknown key, with `WWW-Authenticate: Bearer`) or 403 (scope missing).
 */
export function scopeGuard(
  keys: ApiKeyStore,
  sessions: ReadSessions | undefined,
): (req: IncomingMessage, scope: Scope) => Principal {
  return (req, scope) => {
    // A console session reads, and only reads; a presented key always wins.
    if (scope === 'read' && sessions !== undefined && presentedKey(req) === undefined) {
      const session = sessions.principal(req);
      if (session !== undefined) return session;
    }
    try {
      return keys.require(req, scope);
    } catch (e) {
      if (e instanceof AuthError)
        throw new HttpError(e.status, e.message, e.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      throw e;
    }
  };
}

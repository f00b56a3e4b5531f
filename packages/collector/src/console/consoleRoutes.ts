/**
 * The console's routes: the page at `/` (login by one-time token or by pasting a read key), its
 * hashed static files, and the session endpoints. The page reads data only through the read API
 * (`/api/v1/…`), authenticated by the session cookie; a session is read-only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { presentedKey } from '../auth/ApiKeyStore.js';
import type { RouteModule } from '../server/RouteModule.js';
import { HttpError, readJson, sendJson } from '../server/Router.js';
import type { ConsoleAssets } from './consoleAssets.js';
import { SESSION_COOKIE } from './ConsoleAuth.js';
import type { ConsoleAuth, ConsoleIdentity } from './ConsoleAuth.js';

/**
 * Content-Security-Policy of the console page: its own scripts, styles and API only; no inline
 * script or style, no framing, no other origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Options of {@link consoleRoutes}. */
export interface ConsoleRoutesOptions {
  auth: ConsoleAuth;
  /** The built console, or the reason it could not be loaded (the page then answers 503 with it). */
  assets: ConsoleAssets | Error;
  /** Add `Secure` to the session cookie (when the console is served over HTTPS). Default `false`. */
  secureCookie?: boolean;
}

function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * A state-changing console request must come from the console's own origin: browsers send
 * `Origin` (and `Sec-Fetch-Site`) on every POST; requests without them are not from a page.
 */
function checkSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
    throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site: ${site})`);
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'cross-origin request refused (unreadable Origin)');
  }
  if (host !== req.headers.host) throw new HttpError(403, `cross-origin request refused (Origin ${origin})`);
}

function sessionCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The console's routes (see the module comment). Mount before the SQL endpoint, which shares `/`. */
export function consoleRoutes(opts: ConsoleRoutesOptions): RouteModule {
  const { auth, assets } = opts;
  const secure = opts.secureCookie ?? false;

  const sendPage = (res: ServerResponse, status: number, extra: Record<string, string> = {}): void => {
    if (assets instanceof Error) {
      const body = `${assets.message}\n`;
      res.writeHead(503, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        ...PAGE_HEADERS,
      });
      res.end(body);
      return;
    }
    res.writeHead(status, {
      'content-type': assets.index.contentType,
      'content-length': assets.index.body.length,
      'cache-control': 'no-store',
      ...PAGE_HEADERS,
      ...extra,
    });
    res.end(assets.index.body);
  };

  const login = (identity: ConsoleIdentity): string =>
    sessionCookie(auth.createSession(identity), auth.sessionTtlSeconds, secure);

  return (router, deps) => {
    // The page. `/?query=…` stays the SQL endpoint's (ClickHouse HTTP protocol).
    router.get(
      '/',
      (req, res, _p, url) => {
        const token = url.searchParams.get('token');
        if (token !== null) {
          const address = clientAddress(req);
          if (!auth.mayTry(address)) {
            sendPage(res, 429, { 'retry-after': '60' });
            return;
          }
          const identity = auth.redeemToken(token);
          if (identity === undefined) {
            auth.recordFailure(address);
            sendPage(res, 401);
            return;
          }
          // Drop the token from the address bar and history.
          res.writeHead(303, {
            location: '/',
            'set-cookie': login(identity),
            'cache-control': 'no-store',
            ...PAGE_HEADERS,
          });
          res.end();
          return;
        }
        sendPage(res, auth.session(req) === undefined ? 401 : 200);
      },
      { when: (query) => !query.has('query') },
    );

    // Hashed files: their content never changes under a name, so caches may keep them.
    router.get('/assets/:name', (_req, res, _p, url) => {
      const file = assets instanceof Error ? undefined : assets.files.get(url.pathname);
      if (file === undefined) throw new HttpError(404, `no console file ${url.pathname}`);
      res.writeHead(200, {
        'content-type': file.contentType,
        'content-length': file.body.length,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'same-origin',
      });
      res.end(file.body);
    });

    // Who is logged in (401 without a session).
    router.get('/api/v1/console/session', (req, res) => {
      const s = auth.session(req);
      if (s === undefined) throw new HttpError(401, 'not logged in');
      sendJson(res, 200, { project: s.project, keyName: s.keyName, scopes: ['read'] });
    });

    // Log in with a pasted key: any key with the read scope (or admin) of a project; the session
    // can only read, whatever else the key may do.
    router.post('/api/v1/console/session', async (req, res) => {
      checkSameOrigin(req);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') {
        req.resume();
        throw new HttpError(415, 'Content-Type must be application/json');
      }
      const address = clientAddress(req);
      if (!auth.mayTry(address))
        throw new HttpError(429, 'too many failed logins; try again in a minute', { 'retry-after': '60' });
      const body = (await readJson(req, 4096)) as { key?: unknown } | undefined;
      const key = typeof body?.key === 'string' ? body.key.trim() : '';
      if (key === '') throw new HttpError(400, 'key: required ({"key": "<read key>"})');
      const who = deps.keys.lookup(key);
      if (who === undefined || !(who.scopes.has('read') || who.scopes.has('admin'))) {
        auth.recordFailure(address);
        throw new HttpError(
          401,
          who === undefined ? 'unknown API key' : `API key "${who.name}" lacks the "read" scope`,
        );
      }
      const identity = { project: who.project, keyName: who.name };
      sendJson(
        res,
        200,
        { project: identity.project, keyName: identity.keyName, scopes: ['read'] },
        {
          'set-cookie': login(identity),
        },
      );
    });

    router.post('/api/v1/console/logout', (req, res) => {
      checkSameOrigin(req);
      req.resume();
      auth.endSession(req);
      res.writeHead(204, { 'set-cookie': clearedCookie(secure) });
      res.end();
    });

    // A one-time login link for the holder of a read key (`promptline console`); a session cookie
    // cannot ask for one.
    router.post('/api/v1/console/login-tokens', (req, res) => {
      req.resume();
      if (presentedKey(req) === undefined)
        throw new HttpError(401, 'missing API key (send "Authorization: Bearer <key>")', {
          'www-authenticate': 'Bearer',
        });
      const who = deps.requireScope(req, 'read');
      const { token, expiresAt } = auth.issueToken({ project: who.project, keyName: who.name });
      sendJson(res, 201, { token, path: `/?token=${token}`, expiresAt: expiresAt.toISOString() });
    });
  };
}

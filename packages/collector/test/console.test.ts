import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import { ConsoleAuth, SESSION_COOKIE } from '../src/console/ConsoleAuth.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { tempDir, testConfig } from '../../../test/kit/collector.js';

/**
 * The console's server side on a real collector (embedded engine): login by one-time token or by
 * key, cookie sessions that can only read, the page's security headers, cached hashed files, and
 * `no-store` on every API answer. The console's files are a small stand-in `dist/` here; the
 * browser tests (test/browser) run the real build.
 */

const READ = generateApiKey();
const ADMIN = generateApiKey();
const INGEST = generateApiKey();
const OTHER = generateApiKey();

function sessionOf(res: Response): string {
  const cookie = res.headers.get('set-cookie') ?? '';
  const m = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(cookie);
  if (m === null) throw new Error(`no session cookie in ${JSON.stringify(cookie)}`);
  return `${SESSION_COOKIE}=${m[1]}`;
}

describe('console routes on the collector', () => {
  const tmp = tempDir('promptline-console-');
  let collector: RunningCollector;
  let url: string;
  const dist = join(tmp.dir, 'dist');

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Promptline</title><div id="app"></div>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    collector = await startCollector(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: [
              { sha256: hashApiKey(READ), project: 'acme', scopes: ['read', 'sql'], name: 'dash' },
              { sha256: hashApiKey(ADMIN), project: 'acme', scopes: ['admin'], name: 'ops' },
              { sha256: hashApiKey(INGEST), project: 'acme', scopes: ['ingest'], name: 'app' },
              { sha256: hashApiKey(OTHER), project: 'globex', scopes: ['read'], name: 'other' },
            ],
          },
        },
      }),
      { consoleDir: dist },
    );
    url = collector.url;
  }, 60_000);
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('answers 401 without a session: the page (with the login) and every API route', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('<div id="app">');
    for (const path of [
      '/api/v1/console/session',
      '/api/v1/overview',
      '/api/v1/metrics?prompt=x',
      '/api/v1/prompts',
      '/api/v1/generations?prompt=x&version=1',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('serves the page under a strict CSP and the hashed files with long cache headers', async () => {
    const page = await fetch(`${url}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const asset = await fetch(`${url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${url}/assets/nope.js`)).status).toBe(404);
  });

  it('logs in once with a one-time token: HttpOnly, SameSite=Strict session, token gone after use', async () => {
    const { url: link, expiresAt } = collector.console!.loginUrl({ project: 'acme', keyName: 'dash' });
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    const session = sessionOf(first);
    const page = await fetch(`${url}/`, { headers: { cookie: session } });
    expect(page.status).toBe(200);
    const who = await fetch(`${url}/api/v1/console/session`, { headers: { cookie: session } });
    expect(await who.json()).toEqual({ project: 'acme', keyName: 'dash', scopes: ['read'] });
    // Single use.
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    // A wrong token and a forged cookie get nothing.
    expect((await fetch(`${url}/?token=${'A'.repeat(43)}`, { redirect: 'manual' })).status).toBe(401);
    expect(
      (await fetch(`${url}/api/v1/overview`, { headers: { cookie: `${SESSION_COOKIE}=forged` } })).status,
    ).toBe(401);
  });

  it('a session reads its project through the read API, and only reads', async () => {
    const login = await fetch(`${url}/api/v1/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: ADMIN }),
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toEqual({ project: 'acme', keyName: 'ops', scopes: ['read'] });
    const session = sessionOf(login);
    const overview = await fetch(`${url}/api/v1/overview?since=1h`, { headers: { cookie: session } });
    expect(overview.status).toBe(200);
    expect(overview.headers.get('cache-control')).toBe('no-store');
    expect(((await overview.json()) as { project: string }).project).toBe('acme');
    expect((await fetch(`${url}/api/v1/prompts`, { headers: { cookie: session } })).status).toBe(200);
    // Admin key or not, the session cannot write to the registry, run SQL, or mint login links.
    const write = await fetch(`${url}/api/v1/prompts`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', template: 'hi' }),
    });
    expect(write.status).toBe(401);
    // `/?query=` is the SQL endpoint's, never the page: on the embedded engine it serves no SQL (404).
    expect((await fetch(`${url}/?query=SELECT%201`, { headers: { cookie: session } })).status).toBe(404);
    const mint = await fetch(`${url}/api/v1/console/login-tokens`, {
      method: 'POST',
      headers: { cookie: session },
    });
    expect(mint.status).toBe(401);
    // Logout ends it.
    expect(
      (await fetch(`${url}/api/v1/console/logout`, { method: 'POST', headers: { cookie: session } })).status,
    ).toBe(204);
    expect((await fetch(`${url}/api/v1/overview`, { headers: { cookie: session } })).status).toBe(401);
  });

  it('refuses a key without the read scope, cross-site logins and non-JSON bodies', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}/api/v1/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await post({ key: INGEST })).status).toBe(401);
    expect((await post({ key: 'pl_nope' })).status).toBe(401);
    expect((await post({ key: READ }, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ key: READ }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const form = await fetch(`${url}/api/v1/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${READ}`,
    });
    expect(form.status).toBe(415);
  });

  it('mints a login link for an explicit read key (promptline console)', async () => {
    const res = await fetch(`${url}/api/v1/console/login-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { path: string; expiresAt: string };
    expect(body.path).toMatch(/^\/\?token=[A-Za-z0-9_-]{43}$/);
    const used = await fetch(`${url}${body.path}`, { redirect: 'manual' });
    expect(used.status).toBe(303);
    const ingestOnly = await fetch(`${url}/api/v1/console/login-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST}` },
    });
    expect(ingestOnly.status).toBe(403);
  });

  it('shares answers of one window per project, never across projects', async () => {
    const q = `/api/v1/overview?from=${encodeURIComponent('2026-01-01T00:00:00.000Z')}&to=${encodeURIComponent('2026-01-02T00:00:00.000Z')}`;
    const get = async (key: string): Promise<{ project: string }> =>
      (await fetch(`${url}${q}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<{
        project: string;
      }>;
    const [a, b, c] = await Promise.all([get(READ), get(READ), get(OTHER)]);
    expect([a.project, b.project, c.project]).toEqual(['acme', 'acme', 'globex']);
    expect((await get(OTHER)).project).toBe('globex');
    expect((await fetch(`${url}${q}`)).status).toBe(401);
  });

  it('keeps /?query= for the SQL endpoint (which the embedded engine does not serve)', async () => {
    const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT 41 + 1')}`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toContain('/api/v1/');
    expect(body).not.toContain('<html');
  });
});

describe('ConsoleAuth', () => {
  it('expires tokens and sessions, and bounds failed logins per address', () => {
    let now = 1_000_000;
    const auth = new ConsoleAuth({
      now: () => now,
      tokenTtlMs: 1000,
      sessionTtlMs: 5000,
      maxFailuresPerMinute: 3,
    });
    const { token } = auth.issueToken({ project: 'p', keyName: 'k' });
    now += 1001;
    expect(auth.redeemToken(token)).toBeUndefined();
    const fresh = auth.issueToken({ project: 'p', keyName: 'k' });
    expect(auth.redeemToken(`${fresh.token}x`)).toBeUndefined();
    expect(auth.redeemToken(fresh.token)).toEqual({ project: 'p', keyName: 'k' });
    expect(auth.redeemToken(fresh.token)).toBeUndefined();
    const secret = auth.createSession({ project: 'p', keyName: 'k' });
    const req = { headers: { cookie: `other=1; ${SESSION_COOKIE}=${secret}` } } as never;
    expect(auth.principal(req)?.scopes).toEqual(new Set(['read']));
    now += 5001;
    expect(auth.principal(req)).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      expect(auth.mayTry('1.2.3.4')).toBe(true);
      auth.recordFailure('1.2.3.4');
    }
    expect(auth.mayTry('1.2.3.4')).toBe(false);
    expect(auth.mayTry('5.6.7.8')).toBe(true);
    now += 60_000;
    expect(auth.mayTry('1.2.3.4')).toBe(true);
  });

  it('keeps at most maxTokens pending and maxSessions live, dropping the oldest', () => {
    const auth = new ConsoleAuth({ maxTokens: 2, maxSessions: 2 });
    const a = auth.issueToken({ project: 'p', keyName: 'a' });
    auth.issueToken({ project: 'p', keyName: 'b' });
    auth.issueToken({ project: 'p', keyName: 'c' });
    expect(auth.pendingTokens).toBe(2);
    expect(auth.redeemToken(a.token)).toBeUndefined();
    const s1 = auth.createSession({ project: 'p', keyName: '1' });
    auth.createSession({ project: 'p', keyName: '2' });
    auth.createSession({ project: 'p', keyName: '3' });
    expect(auth.session({ headers: { cookie: `${SESSION_COOKIE}=${s1}` } } as never)).toBeUndefined();
  });
});

import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson, setUnauthorizedHandler, Unauthorized } from './api.js';
import type { Session } from './api.js';
import { ComparePage } from './pages/ComparePage.js';
import { GenerationPage } from './pages/GenerationPage.js';
import { GenerationsPage } from './pages/GenerationsPage.js';
import { PromptPage } from './pages/PromptPage.js';
import { PromptsPage } from './pages/PromptsPage.js';
import { RegistryListPage, RegistryPromptPage } from './pages/RegistryPage.js';
import { RegressionsPage } from './pages/RegressionsPage.js';
import { AUTO_REFRESH, RefreshCount, useRefresh } from './refresh.js';
import { href, useRoute } from './route.js';
import type { Route } from './route.js';
import { resolveWindow } from './timeRange.js';

type Auth = { state: 'checking' } | { state: 'out' } | { state: 'in'; session: Session };

/** The console: the login, or the header with navigation and the page the URL names. */
export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  useEffect(() => {
    setUnauthorizedHandler(() => setAuth({ state: 'out' }));
    getJson<Session>('/api/v1/console/session').then(
      (session) => setAuth({ state: 'in', session }),
      (e: unknown) => setAuth(e instanceof Unauthorized ? { state: 'out' } : { state: 'out' }),
    );
  }, []);
  if (auth.state === 'checking')
    return (
      <main id="main" class="page">
        <p class="muted">Loading…</p>
      </main>
    );
  if (auth.state === 'out') return <Login onLogin={(session) => setAuth({ state: 'in', session })} />;
  return <Shell session={auth.session} onLogout={() => setAuth({ state: 'out' })} />;
}

function Login(props: { onLogin: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(
    new URLSearchParams(window.location.search).has('token')
      ? 'That login link is not valid: it was already used, has expired, or belongs to another collector. Run `promptline console` for a new one, or log in with a read key.'
      : undefined,
  );
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="login">
      <h1>Promptline</h1>
      <p>
        Open the login link that <code>promptline up</code> or <code>promptline console</code> printed, or
        paste an API key with the read scope of your project.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          postJson('/api/v1/console/session', { key })
            .then(async (res) => {
              const body = (await res.json().catch(() => ({}))) as Session & { error?: string };
              if (!res.ok) throw new Error(body.error ?? `login failed (${res.status})`);
              // Forget the token in the address bar, if any.
              if (window.location.search !== '')
                window.history.replaceState(null, '', `/${window.location.hash}`);
              props.onLogin(body);
            })
            .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
            .finally(() => setBusy(false));
        }}
      >
        <label for="key">Read key</label>
        <input
          id="key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      {error !== undefined ? (
        <p class="error" role="alert" data-testid="login-error">
          {error}
        </p>
      ) : null}
    </main>
  );
}

const NAV: Array<{ label: string; to: string; match: (r: Route) => boolean }> = [
  {
    label: 'Prompts',
    to: href([]),
    match: (r) => r.parts.length === 0 || r.parts[0] === 'prompt' || r.parts[0] === 'generation',
  },
  { label: 'Regressions', to: href(['regressions']), match: (r) => r.parts[0] === 'regressions' },
  { label: 'Registry', to: href(['registry']), match: (r) => r.parts[0] === 'registry' },
];

function Shell(props: { session: Session; onLogout: () => void }) {
  const route = useRoute();
  const refresh = useRefresh(route.query.get('refresh'));
  const window = resolveWindow(route.query, route.parts[0] === 'regressions' ? '7d' : '24h');
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Promptline</span>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a key={n.label} href={n.to} aria-current={n.match(route) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <div class="refresh" role="group" aria-label="Refresh">
          <button type="button" onClick={refresh.refresh}>
            Refresh
          </button>
          <label>
            Auto-refresh{' '}
            <select
              value={refresh.auto.id}
              onChange={(e) => refresh.setAuto((e.target as HTMLSelectElement).value)}
            >
              {AUTO_REFRESH.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <span class="who">
          project <strong data-testid="project">{props.session.project}</strong> ({props.session.keyName},
          read-only)
        </span>
        <button
          type="button"
          class="link"
          onClick={() => {
            void postJson('/api/v1/console/logout').finally(props.onLogout);
          }}
        >
          Log out
        </button>
      </header>
      <main id="main" class="page" tabIndex={-1}>
        <RefreshCount.Provider value={refresh.count}>
          <Page route={route} window={window} />
        </RefreshCount.Provider>
      </main>
    </>
  );
}

function Page(props: { route: Route; window: ReturnType<typeof resolveWindow> }) {
  const { route, window } = props;
  const [first, second, third] = route.parts;
  if (first === undefined) return <PromptsPage route={route} window={window} />;
  if (first === 'prompt' && second !== undefined) {
    if (third === 'compare') return <ComparePage key={second} name={second} route={route} window={window} />;
    if (third === 'generations')
      return <GenerationsPage key={second} name={second} route={route} window={window} />;
    return <PromptPage key={second} name={second} route={route} window={window} />;
  }
  if (first === 'generation' && second !== undefined && third !== undefined)
    return <GenerationPage traceId={second} spanId={third} />;
  if (first === 'regressions') return <RegressionsPage route={route} />;
  if (first === 'registry')
    return second === undefined ? <RegistryListPage /> : <RegistryPromptPage name={second} route={route} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No such page. <a href={href([])}>Back to the prompts</a>.
      </p>
    </section>
  );
}

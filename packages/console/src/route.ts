/**
 * Hash routes (`#/prompt/NAME?range=24h&env=prod`): every view and its filters live in the URL, so
 * a view can be shared and the browser's back button works. The server only ever serves `/`.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments, decoded: `['prompt', 'support-reply']`. */
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, query };
}

/** `href('prompt', name)` + query → `#/prompt/NAME?…` (empty query values left out). */
export function href(
  parts: Array<string | number>,
  query: Record<string, string | number | undefined> = {},
): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const path = parts.map((p) => encodeURIComponent(String(p))).join('/');
  return `#/${path}${qs.size > 0 ? `?${qs.toString()}` : ''}`;
}

/** Navigates to another hash route (adds a history entry). */
export function go(to: string): void {
  window.location.hash = to;
}

/** The current route; re-renders on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

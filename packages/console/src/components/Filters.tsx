import { useState } from 'preact/hooks';
import type { Route } from '../route.js';
import { go } from '../route.js';
import { RANGES } from '../timeRange.js';
import type { TimeWindow } from '../timeRange.js';

/** Replaces some query parameters of the current route (undefined removes one). */
export function withQuery(route: Route, changes: Record<string, string | undefined>): string {
  const q = new URLSearchParams(route.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const path = route.parts.map((p) => encodeURIComponent(p)).join('/');
  return `#/${path}${q.size > 0 ? `?${q.toString()}` : ''}`;
}

/** `2026-11-20T12:34:00.000Z` → `2026-11-20T12:34` for a datetime-local input (UTC). */
function toInput(iso: string): string {
  return iso.slice(0, 16);
}

/**
 * Time range (1 h … 30 d, or a custom UTC from/to) and environment, kept in the URL so the view
 * can be shared.
 */
export function Filters(props: { route: Route; window: TimeWindow; environments?: string[] }) {
  const { route, window } = props;
  const [from, setFrom] = useState(toInput(window.from));
  const [to, setTo] = useState(toInput(window.to));
  const env = route.query.get('env') ?? '';
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        go(withQuery(route, { range: 'custom', from: `${from}:00Z`, to: `${to}:00Z` }));
      }}
    >
      <label>
        Time range{' '}
        <select
          value={window.id}
          onChange={(e) => {
            const id = (e.target as HTMLSelectElement).value;
            if (id === 'custom')
              go(withQuery(route, { range: 'custom', from: `${from}:00Z`, to: `${to}:00Z` }));
            else go(withQuery(route, { range: id, from: undefined, to: undefined }));
          }}
        >
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
          <option value="custom">Custom (UTC)</option>
        </select>
      </label>
      {window.id === 'custom' ? (
        <>
          <label>
            From (UTC){' '}
            <input
              type="datetime-local"
              value={from}
              onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            To (UTC){' '}
            <input
              type="datetime-local"
              value={to}
              onInput={(e) => setTo((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit">Apply</button>
        </>
      ) : null}
      {props.environments !== undefined ? (
        <label>
          Environment{' '}
          <select
            value={env}
            onChange={(e) => go(withQuery(route, { env: (e.target as HTMLSelectElement).value }))}
          >
            <option value="">All environments</option>
            {props.environments
              .filter((e) => e !== '')
              .map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
          </select>
        </label>
      ) : null}
      <span class="window muted" data-from={window.from} data-to={window.to}>
        {window.from.slice(0, 16).replace('T', ' ')} – {window.to.slice(0, 16).replace('T', ' ')} UTC
      </span>
    </form>
  );
}

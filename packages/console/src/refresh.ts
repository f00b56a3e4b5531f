/**
 * Refreshing a view: the header's Refresh button reloads every answer the page shows (a relative
 * time range then ends at the current hour or minute again), and auto-refresh does it every 5 s … 5 min
 * while the tab is visible. Pages read the refresh count through {@link RefreshCount}: `useAsync`
 * loads again when it changes and keeps the figures shown until the new answer arrives. The choice
 * outlives navigation (it belongs to the header); `refresh=30s` in a link's query starts with it.
 */
import { createContext } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';

/** How many times the reader asked for fresh data (by the button or auto-refresh). */
export const RefreshCount = createContext(0);

export interface AutoRefresh {
  /** `off`, `5s` … `5m` (the `refresh` query parameter). */
  id: string;
  label: string;
  /** 0 when off. */
  ms: number;
}

export const AUTO_REFRESH: readonly AutoRefresh[] = [
  { id: 'off', label: 'Off', ms: 0 },
  { id: '5s', label: 'Every 5 s', ms: 5_000 },
  { id: '10s', label: 'Every 10 s', ms: 10_000 },
  { id: '30s', label: 'Every 30 s', ms: 30_000 },
  { id: '1m', label: 'Every minute', ms: 60_000 },
  { id: '5m', label: 'Every 5 minutes', ms: 300_000 },
];

/** The auto-refresh choice `id` names (off when it names none). */
export function autoRefreshOf(id: string | null | undefined): AutoRefresh {
  return AUTO_REFRESH.find((a) => a.id === id) ?? AUTO_REFRESH[0]!;
}

export interface Refresh {
  count: number;
  auto: AutoRefresh;
  refresh: () => void;
  setAuto: (id: string) => void;
}

/** The header's refresh state; `initial` is the `refresh` query parameter the console opened with. */
export function useRefresh(initial: string | null): Refresh {
  const [count, setCount] = useState(0);
  const [auto, setAutoChoice] = useState(() => autoRefreshOf(initial));
  const refresh = useCallback(() => setCount((c) => c + 1), []);
  useEffect(() => {
    if (auto.ms === 0) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') refresh();
    }, auto.ms);
    return () => clearInterval(timer);
  }, [auto, refresh]);
  return { count, auto, refresh, setAuto: (id) => setAutoChoice(autoRefreshOf(id)) };
}

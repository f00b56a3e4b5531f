import { useContext, useEffect, useState } from 'preact/hooks';
import { RefreshCount } from './refresh.js';

export interface Async<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
}

/**
 * Runs `load` whenever `key` changes and whenever the reader refreshes ({@link RefreshCount}); keeps
 * the latest answer only, and the previous one on screen while a refresh loads.
 */
export function useAsync<T>(load: () => Promise<T>, key: string): Async<T> {
  const refreshed = useContext(RefreshCount);
  const [state, setState] = useState<Async<T>>({ data: undefined, error: undefined, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) =>
        live &&
        setState({
          data: undefined,
          error: error instanceof Error ? error : new Error(String(error)),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [key, refreshed]);
  return state;
}

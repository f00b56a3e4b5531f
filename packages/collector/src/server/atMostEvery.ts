/**
 * Wraps `read` so that every caller shares one call while it is in flight, and its answer for `ms`
 * after it settled: a flood of callers runs `read` at most once per `ms` (plus its own duration).
 */
export function atMostEvery<T>(ms: number, read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  let settledAt: number | undefined; // undefined while `value` is in flight
  return () => {
    if (value === undefined || (settledAt !== undefined && Date.now() - settledAt >= ms)) {
      const current = read();
      value = current;
      settledAt = undefined;
      const settle = (): void => {
        if (value === current) settledAt = Date.now();
      };
      current.then(settle, settle);
    }
    return value;
  };
}

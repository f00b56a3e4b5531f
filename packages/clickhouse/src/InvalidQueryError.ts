/**
 * The options of a query were invalid (missing prompt, a window outside what the schema stores, an
 * interval out of range, …): the caller's mistake, never the engine's. HTTP layers map it to 400.
 */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
}

/**
 * The instants the schema's `DateTime64` columns hold: 1900-01-01 up to (not including) 2300-01-01,
 * UTC. A window outside this range is refused instead of being clamped or wrapped by the engine.
 */
export const MIN_QUERY_TIME = Date.UTC(1900, 0, 1);
export const MAX_QUERY_TIME = Date.UTC(2300, 0, 1);

/**
 * Throws {@link InvalidQueryError} unless `from` and `to` are valid Dates inside
 * [{@link MIN_QUERY_TIME}, {@link MAX_QUERY_TIME}] with `from < to`. `what` prefixes the message.
 */
export function checkQueryWindow(what: string, from: unknown, to: unknown): void {
  if (!(from instanceof Date) || !(to instanceof Date) || isNaN(from.getTime()) || isNaN(to.getTime())) {
    throw new InvalidQueryError(`${what}: from and to must be valid Dates`);
  }
  for (const [name, d] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (d.getTime() < MIN_QUERY_TIME || d.getTime() > MAX_QUERY_TIME) {
      throw new InvalidQueryError(
        `${what}: ${name} must be between 1900-01-01 and 2300-01-01 (got ${d.toISOString()})`,
      );
    }
  }
  if (to.getTime() <= from.getTime())
    throw new InvalidQueryError(`${what}: to must be after from (from < to)`);
}

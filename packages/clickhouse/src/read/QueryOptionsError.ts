/**
 * Options given to a query (`metricsByVersion`, `compareVersions`, …) are invalid: a missing prompt
 * name, a window whose end is not after its start, a bad interval or sample limit, a database name
 * that is not a plain identifier. The caller's mistake, found before anything is sent to the engine;
 * an HTTP layer answers it with 400. Errors from the engine itself are not of this class.
 *
 * @example
 * ```ts
 * try {
 *   await metricsByVersion(client, { promptName: '', from, to });
 * } catch (err) {
 *   if (err instanceof QueryOptionsError) console.error(err.message); // 'query: promptName is required'
 * }
 * ```
 */
export class QueryOptionsError extends Error {
  override readonly name = 'QueryOptionsError';
}

/** Machine-readable reason of a {@link RegistryError}; also the `error.code` of the HTTP body. */
export type RegistryErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'invalid_name'
  | 'invalid_label'
  | 'invalid_prompt'
  | 'invalid_schema'
  | 'too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'version_conflict'
  | 'method_not_allowed'
  | 'unavailable';

/**
 * A registry request that cannot be served, with the HTTP status it maps to and a message naming
 * the problem (and, where there is one, the fix).
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly status: number,
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The HTTP response body: `{ "error": message, "code": code }` (the collector's error shape plus a code). */
  toJSON(): { error: string; code: RegistryErrorCode } {
    return { error: this.message, code: this.code };
  }
}

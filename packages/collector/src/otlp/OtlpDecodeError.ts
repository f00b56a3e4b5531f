/**
 * Undecodable OTLP request data. The receiver answers it with HTTP 400 and a `google.rpc.Status`
 * whose message is this error's message (which names the offending field).
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** Limits applied while decoding, so hostile payloads fail fast with bounded memory. */
export interface DecodeLimits {
  /** Most attributes one resource, scope, span, event, link or log record may carry. */
  maxAttributes: number;
  /** Deepest nesting of `AnyValue` arrays / key-value lists. */
  maxValueDepth: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxAttributes: 10_000, maxValueDepth: 32 };

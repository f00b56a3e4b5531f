/**
 * Why a decoded item cannot be stored (it is then rejected with partial success), shared by the
 * protobuf and JSON decoders.
 */
import type { LogRow, TraceRow } from './rowTypes.js';

/** Why a decoded span cannot be stored (partial success), or `undefined`. */
export function spanProblem(row: TraceRow): string | undefined {
  if (row.TraceId.length !== 32 || row.TraceId === '00000000000000000000000000000000')
    return 'trace id must be 16 bytes and not all zero';
  if (row.SpanId.length !== 16 || row.SpanId === '0000000000000000')
    return 'span id must be 8 bytes and not all zero';
  if (row.ParentSpanId.length !== 0 && row.ParentSpanId.length !== 16)
    return 'parent span id must be empty or 8 bytes';
  return undefined;
}

/** Why a decoded log record cannot be stored (partial success), or `undefined`. */
export function logProblem(row: LogRow): string | undefined {
  if (row.TraceId.length !== 0 && row.TraceId.length !== 32) return 'trace id must be empty or 16 bytes';
  if (row.SpanId.length !== 0 && row.SpanId.length !== 16) return 'span id must be empty or 8 bytes';
  return undefined;
}

/**
 * OTLP/HTTP response bodies, in the request's encoding: `Export*ServiceResponse` (with
 * `partial_success` when items were rejected) and `google.rpc.Status` for errors.
 */
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

export type OtlpEncoding = 'protobuf' | 'json';
export type OtlpSignal = 'traces' | 'logs';

/** `ExportTraceServiceResponse` / `ExportLogsServiceResponse`. */
export function exportResponse(
  encoding: OtlpEncoding,
  signal: OtlpSignal,
  rejected: number,
  errorMessage: string,
): Buffer {
  if (encoding === 'json') {
    if (rejected === 0 && errorMessage === '') return Buffer.from('{}');
    const key = signal === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords';
    return Buffer.from(JSON.stringify({ partialSuccess: { [key]: String(rejected), errorMessage } }));
  }
  if (rejected === 0 && errorMessage === '') return Buffer.alloc(0);
  const inner = Writer.create();
  if (rejected !== 0) inner.uint32((1 << 3) | 0).int64(rejected);
  if (errorMessage !== '') inner.uint32((2 << 3) | 2).string(errorMessage);
  const innerBytes = inner.finish();
  const outer = Writer.create();
  outer.uint32((1 << 3) | 2).bytes(innerBytes);
  return Buffer.from(outer.finish());
}

/** gRPC status codes used in `google.rpc.Status`. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
  PERMISSION_DENIED: 7,
  UNAVAILABLE: 14,
  INTERNAL: 13,
  UNIMPLEMENTED: 12,
} as const;

/** `google.rpc.Status { code, message }`. */
export function statusBody(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const w = Writer.create();
  w.uint32((1 << 3) | 0).int32(code);
  w.uint32((2 << 3) | 2).string(message);
  return Buffer.from(w.finish());
}

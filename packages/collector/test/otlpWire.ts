/**
 * Test-side OTLP building blocks: a tiny protobuf writer for hand-made (and deliberately broken)
 * payloads, and a capture of the bytes the official exporter sends.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

export type AnyValue =
  | { s: string }
  | { b: boolean }
  | { i: number }
  | { d: number }
  | { arr: AnyValue[] }
  | { kv: Array<[string, AnyValue]> }
  | { bytes: Uint8Array };

export interface TestSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string | Uint8Array;
  kind?: number;
  startNs: bigint;
  endNs: bigint;
  attributes?: Array<[string, AnyValue]>;
  status?: { code: number; message?: string };
}

function writeFixed64(w: protobuf.Writer, v: bigint): void {
  w.fixed32(Number(v & 0xffffffffn)).fixed32(Number(v >> 32n));
}

function anyValue(v: AnyValue): Uint8Array {
  const w = Writer.create();
  if ('s' in v) w.uint32((1 << 3) | 2).string(v.s);
  else if ('b' in v) w.uint32((2 << 3) | 0).bool(v.b);
  else if ('i' in v) w.uint32((3 << 3) | 0).int64(v.i);
  else if ('d' in v) w.uint32((4 << 3) | 1).double(v.d);
  else if ('arr' in v) {
    const inner = Writer.create();
    for (const x of v.arr) inner.uint32((1 << 3) | 2).bytes(anyValue(x));
    w.uint32((5 << 3) | 2).bytes(inner.finish());
  } else if ('kv' in v) {
    const inner = Writer.create();
    for (const [k, x] of v.kv) inner.uint32((1 << 3) | 2).bytes(keyValue(k, x));
    w.uint32((6 << 3) | 2).bytes(inner.finish());
  } else w.uint32((7 << 3) | 2).bytes(v.bytes);
  return w.finish();
}

export function keyValue(key: string, v: AnyValue): Uint8Array {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).string(key);
  w.uint32((2 << 3) | 2).bytes(anyValue(v));
  return w.finish();
}

export function encodeSpan(s: TestSpan): Uint8Array {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).bytes(s.traceId);
  w.uint32((2 << 3) | 2).bytes(s.spanId);
  if (s.parentSpanId !== undefined) w.uint32((4 << 3) | 2).bytes(s.parentSpanId);
  if (typeof s.name === 'string') w.uint32((5 << 3) | 2).string(s.name);
  else w.uint32((5 << 3) | 2).bytes(s.name);
  w.uint32((6 << 3) | 0).int32(s.kind ?? 1);
  w.uint32((7 << 3) | 1);
  writeFixed64(w, s.startNs);
  w.uint32((8 << 3) | 1);
  writeFixed64(w, s.endNs);
  for (const [k, v] of s.attributes ?? []) w.uint32((9 << 3) | 2).bytes(keyValue(k, v));
  if (s.status !== undefined) {
    const st = Writer.create();
    if (s.status.message !== undefined) st.uint32((2 << 3) | 2).string(s.status.message);
    st.uint32((3 << 3) | 0).int32(s.status.code);
    w.uint32((15 << 3) | 2).bytes(st.finish());
  }
  return w.finish();
}

/** `ExportTraceServiceRequest` with one resource and one scope holding `spans` (pre-encoded). */
export function encodeRequest(
  spans: Uint8Array[],
  resource: Array<[string, AnyValue]> = [['service.name', { s: 'svc' }]],
): Uint8Array {
  const res = Writer.create();
  for (const [k, v] of resource) res.uint32((1 << 3) | 2).bytes(keyValue(k, v));
  const scope = Writer.create()
    .uint32((1 << 3) | 2)
    .string('test-scope')
    .finish();
  const ss = Writer.create();
  ss.uint32((1 << 3) | 2).bytes(scope);
  for (const s of spans) ss.uint32((2 << 3) | 2).bytes(s);
  const rs = Writer.create();
  rs.uint32((1 << 3) | 2).bytes(res.finish());
  rs.uint32((2 << 3) | 2).bytes(ss.finish());
  return Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(rs.finish())
    .finish();
}

export function id(n: number, bytes: 8 | 16): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setUint32(bytes - 4, n);
  out[0] = 0xab;
  return out;
}

let nextSpan = 1;

/**
 * A request of `n` generation spans of prompt `prompt` (version 1, ended a minute ago), each with
 * ids never used before in this process.
 */
export function generationRequest(n: number, prompt: string): Uint8Array {
  const spans: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = nextSpan++;
    spans.push(
      encodeSpan({
        traceId: id(k, 16),
        spanId: id(k, 8),
        name: 'chat',
        kind: 3,
        startNs: BigInt(Date.now() - 60_000) * 1_000_000n,
        endNs: BigInt(Date.now() - 59_000) * 1_000_000n,
        attributes: [
          [GEN_AI.OPERATION_NAME, { s: 'chat' }],
          [GEN_AI.REQUEST_MODEL, { s: 'gpt-4o-mini' }],
          [GEN_AI.PROMPT_NAME, { s: prompt }],
          [PROMPTLINE.PROMPT_VERSION, { i: 1 }],
          [GEN_AI.USAGE_INPUT_TOKENS, { i: 10 }],
        ],
      }),
    );
  }
  return encodeRequest(spans);
}

/** Decodes a `google.rpc.Status` protobuf body. */
export function decodeStatus(buf: Uint8Array): { code: number; message: string } {
  const r = protobuf.Reader.create(buf);
  const out = { code: 0, message: '' };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) out.code = r.int32();
    else if (tag >>> 3 === 2) out.message = r.string();
    else r.skipType(tag & 7);
  }
  return out;
}

/** Decodes `ExportTraceServiceResponse.partial_success`. */
export function decodePartialSuccess(buf: Uint8Array): { rejected: number; message: string } {
  const out = { rejected: 0, message: '' };
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) {
      r.skipType(tag & 7);
      continue;
    }
    const inner = protobuf.Reader.create(r.bytes());
    while (inner.pos < inner.len) {
      const t = inner.uint32();
      if (t >>> 3 === 1) out.rejected = Number(inner.int64());
      else if (t >>> 3 === 2) out.message = inner.string();
      else inner.skipType(t & 7);
    }
  }
  return out;
}

/** The exact bytes the official protobuf exporter sends for `count` generation spans. */
export async function captureExporterPayload(count: number): Promise<Buffer> {
  let captured: Buffer | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'captured' }),
  });
  const tracer = provider.getTracer('capture');
  const spans: Span[] = [];
  for (let i = 0; i < count; i++) {
    spans.push(
      tracer.startSpan('chat', {
        kind: SpanKind.CLIENT,
        startTime: [1_763_700_000 + i, 0],
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [PROMPTLINE.PROMPT_VERSION]: 2,
          [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
          ratio: 0.5,
        },
      }),
    );
  }
  // One export carrying every span.
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
  for (const s of spans) s.end([1_763_700_100, 0]);
  await new Promise<void>((resolve) => exporter.export(spans as never, () => resolve()));
  await provider.shutdown();
  await exporter.shutdown();
  await new Promise<void>((r) => server.close(() => r()));
  if (captured === undefined) throw new Error('nothing captured');
  return captured;
}

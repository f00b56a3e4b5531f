/**
 * Request memory of bodies without a Content-Length (chunked, as the OpenTelemetry JS exporter
 * sends every body) and of compressed bodies, with real sockets and small bounds: each request
 * reserves the bytes it holds as they arrive (or inflate), the per-key and collector-wide bounds
 * still hold while they are read, and a body that stalls gets 503 + Retry-After, which the official
 * exporter retries, so its batch is stored once.
 */
import { request } from 'node:http';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { decodeStatus, generationRequest } from './otlpWire.js';

const LIMIT = 64 * 1024; // max_request_body_size
const KEY_SHARE = 96 * 1024; // max_in_flight_bytes_per_key
const TOTAL = 128 * 1024; // max_in_flight_bytes
const KEYS = {
  a: 'pl_test-key-of-project-a-0000000000000000000000',
  b: 'pl_test-key-of-project-b-0000000000000000000000',
  c: 'pl_test-key-of-project-c-0000000000000000000000',
};
const tmp = tempDir('promptline-chunked-');
let collector: RunningCollector;

beforeAll(async () => {
  collector = await startCollector(
    testConfig(tmp.dir, {
      receivers: {
        otlp: {
          protocols: {
            http: {
              max_request_body_size: LIMIT,
              max_in_flight_bytes: TOTAL,
              max_in_flight_bytes_per_key: KEY_SHARE,
              read_idle_timeout_ms: 500,
            },
          },
        },
      },
      processors: {
        promptline_auth: {
          keys: Object.entries(KEYS).map(([project, key]) => ({
            sha256: hashApiKey(key),
            project,
            scopes: ['ingest'],
            name: `key-${project}`,
          })),
        },
      },
      service: { retry_after_seconds: 1 },
    }),
  );
});
afterAll(async () => {
  await collector?.stop();
  tmp.remove();
});

const asKey = (key: string): Record<string, string> => ({
  'content-type': 'application/x-protobuf',
  authorization: `Bearer ${key}`,
});

interface Answer {
  status: number;
  retryAfter: string | undefined;
  message: string;
}

/**
 * A chunked POST that sends all of `body` but its last 100 bytes at once, and those on `finish()`.
 * `answer` resolves as soon as the collector answers (it may refuse before the body is complete).
 */
function heldChunkedPost(
  key: string,
  body: Uint8Array,
  extraHeaders: Record<string, string> = {},
): { finish(): void; answer: Promise<Answer> } {
  const req = request(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { ...asKey(key), ...extraHeaders },
    agent: false,
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'],
          message: res.statusCode === 200 ? '' : decodeStatus(text).message,
        });
      });
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined); // awaited by the test; a late socket error must not go unhandled
  const cut = body.length - 100;
  req.write(body.subarray(0, cut));
  return { finish: () => req.end(body.subarray(cut)), answer };
}

/** A gauge of the collector's /metrics. */
async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${collector.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${name} on /metrics`);
  return Number(m[1]);
}

/** Waits (up to 10 s) until a gauge satisfies `ok`; returns its value. */
async function waitForGauge(name: string, ok: (v: number) => boolean): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await gauge(name);
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${name} stayed at ${v}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The number of generation spans in an OTLP request of about 50 KiB (48 to 56). */
const SPANS = ((): number => {
  let n = 200;
  while (generationRequest(n, 'size-probe').length < 48 * 1024) n += 10;
  return n;
})();

/** An OTLP request of {@link SPANS} generation spans of `prompt`. */
function bodyOfAbout50KiB(prompt: string): Uint8Array {
  const body = generationRequest(SPANS, prompt);
  expect(body.length).toBeGreaterThanOrEqual(48 * 1024);
  expect(body.length).toBeLessThan(56 * 1024);
  return body;
}

/** Spans of `prompt` in ClickHouse, after flushing the WAL. */
async function stored(prompt: string): Promise<number> {
  expect(await collector.flush(20_000)).toBe(true);
  const [row] = await queryRows<{ n: string | number }>(
    collector.client,
    `SELECT count() AS n FROM otel_traces WHERE SpanAttributes['${GEN_AI.PROMPT_NAME}'] = {p:String}`,
    { p: prompt },
  );
  return Number(row!.n);
}

describe('chunked and compressed bodies reserve memory as it arrives, within every bound', () => {
  it("one key's chunked bodies stop at its share, all keys' at the collector's; refused bodies are not stored, the others are", async () => {
    const a1 = bodyOfAbout50KiB('chunked-a1');
    const a2 = bodyOfAbout50KiB('chunked-a2');
    const b1 = bodyOfAbout50KiB('chunked-b1');
    const c1 = bodyOfAbout50KiB('chunked-c1');
    const first = heldChunkedPost(KEYS.a, a1);
    await waitForGauge('promptline_collector_in_flight_bytes', (v) => v === a1.length - 100);
    // Key a would hold two bodies of ~50 KiB: more than its 96 KiB share, refused while it is read.
    const second = heldChunkedPost(KEYS.a, a2);
    const refusedA = await second.answer;
    expect(refusedA).toEqual({
      status: 429,
      retryAfter: '1',
      message: expect.stringMatching(
        /^requests of API key "key-a" hold \d+ bytes \(max_in_flight_bytes_per_key 98304\)$/,
      ),
    });
    // Another key fits beside it: the collector holds ~100 KiB of its 128 KiB.
    const third = heldChunkedPost(KEYS.b, b1);
    const both = await waitForGauge(
      'promptline_collector_in_flight_bytes',
      (v) => v === a1.length - 100 + b1.length - 100,
    );
    expect(both).toBeLessThanOrEqual(TOTAL);
    // A third key would take the collector past its 128 KiB: refused while it is read.
    const fourth = heldChunkedPost(KEYS.c, c1);
    const refusedC = await fourth.answer;
    expect(refusedC.status).toBe(429);
    expect(refusedC.retryAfter).toBe('1');
    expect(refusedC.message).toMatch(/^requests in flight hold \d+ bytes \(max_in_flight_bytes 131072\)$/);
    expect(await gauge('promptline_collector_in_flight_bytes')).toBe(both);
    first.finish();
    third.finish();
    expect((await first.answer).status).toBe(200);
    expect((await third.answer).status).toBe(200);
    expect(await gauge('promptline_collector_in_flight_bytes')).toBe(0);
    expect([await stored('chunked-a1'), await stored('chunked-b1')]).toEqual([SPANS, SPANS]);
    expect([await stored('chunked-a2'), await stored('chunked-c1')]).toEqual([0, 0]);
    // Sent again (as the client does after Retry-After), the refused ones are stored.
    expect((await post(`${collector.url}/v1/traces`, a2, asKey(KEYS.a))).status).toBe(200);
    expect((await post(`${collector.url}/v1/traces`, c1, asKey(KEYS.c))).status).toBe(200);
    expect([await stored('chunked-a2'), await stored('chunked-c1')]).toEqual([SPANS, SPANS]);
  });

  it('a compressed body counts what it inflates to: refused past the key share (429) or the body limit (413)', async () => {
    const held = heldChunkedPost(KEYS.a, bodyOfAbout50KiB('gzip-held'));
    await waitForGauge('promptline_collector_in_flight_bytes', (v) => v > 40 * 1024);
    const gz = gzipSync(bodyOfAbout50KiB('gzip-a'));
    expect(gz.length).toBeLessThan(16 * 1024);
    const gzipped = { ...asKey(KEYS.a), 'content-encoding': 'gzip' };
    // Small on the wire, ~50 KiB inflated: key a would hold ~100 KiB.
    const refused = await post(`${collector.url}/v1/traces`, gz, gzipped);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(decodeStatus(refused.body).message).toMatch(/max_in_flight_bytes_per_key 98304/);
    // Key b holds nothing: the same body inflates and is stored.
    const gzB = gzipSync(bodyOfAbout50KiB('gzip-b'));
    expect(
      (await post(`${collector.url}/v1/traces`, gzB, { ...asKey(KEYS.b), 'content-encoding': 'gzip' }))
        .status,
    ).toBe(200);
    // A body that inflates past the body limit stops there.
    const bomb = gzipSync(Buffer.alloc(8 * LIMIT));
    const tooLarge = await post(`${collector.url}/v1/traces`, bomb, {
      ...asKey(KEYS.b),
      'content-encoding': 'gzip',
    });
    expect(tooLarge.status).toBe(413);
    expect(decodeStatus(tooLarge.body).message).toBe(
      'decompressed request body exceeds the limit of 65536 bytes',
    );
    held.finish();
    expect((await held.answer).status).toBe(200);
    expect(await stored('gzip-a')).toBe(0);
    expect(await stored('gzip-b')).toBe(SPANS);
  });
});

describe('a body that stalls', () => {
  let proxy: Server;
  let proxyUrl: string;
  let connections = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Between the exporter and the collector: the first connection's request stops 10 bytes into
    // its body (a link that stalls); later connections pass through.
    const target = new URL(collector.url);
    proxy = createServer((client) => {
      const n = ++connections;
      const upstream = connect(Number(target.port), target.hostname);
      sockets.push(client, upstream);
      upstream.on('data', (d) => client.write(d));
      upstream.on('end', () => client.end());
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      let seen = Buffer.alloc(0);
      let forwarded = 0;
      client.on('data', (d: Buffer) => {
        if (n > 1) {
          upstream.write(d);
          return;
        }
        seen = Buffer.concat([seen, d]);
        const headEnd = seen.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const upTo = Math.min(seen.length, headEnd + 4 + 10);
        if (upTo > forwarded) upstream.write(seen.subarray(forwarded, upTo));
        forwarded = upTo;
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const address = proxy.address();
    if (address === null || typeof address === 'string') throw new Error('no proxy address');
    proxyUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  it('gets 503 + Retry-After; the OpenTelemetry exporter sends the batch again and it is stored once', async () => {
    const before = await (await fetch(`${collector.url}/metrics`)).text();
    const stalled503 = Number(
      /promptline_collector_http_responses_total\{code="503"\} (\d+)/.exec(before)?.[1] ?? 0,
    );
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({
            url: `${proxyUrl}/v1/traces`,
            headers: { authorization: `Bearer ${KEYS.a}` },
          }),
        ),
      ],
    });
    const tracer = provider.getTracer('stall-test');
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      const span = tracer.startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        startTime: now - 10_000 + i,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.PROMPT_NAME]: 'stalled-once',
          [PROMPTLINE.PROMPT_VERSION]: 1,
        },
      });
      span.end(now - 10_000 + i + 50);
    }
    await provider.forceFlush();
    await provider.shutdown();
    // The first attempt stalled and was refused; the exporter retried on a new connection.
    expect(connections).toBeGreaterThanOrEqual(2);
    const after = await (await fetch(`${collector.url}/metrics`)).text();
    expect(Number(/promptline_collector_http_responses_total\{code="503"\} (\d+)/.exec(after)?.[1])).toBe(
      stalled503 + 1,
    );
    expect(await stored('stalled-once')).toBe(3);
  });
});

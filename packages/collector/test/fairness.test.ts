/**
 * Per-key bounds on the OTLP receiver, with real sockets: one API key trickling request bodies can
 * hold only its share of request slots and memory, and only until the read-idle timeout (then 503 +
 * Retry-After, which OTLP clients retry); another key's requests go through meanwhile. Chunked
 * bodies (the OpenTelemetry JS exporter sends every body chunked) reserve what has arrived, not the
 * body limit.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { GEN_AI } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { generationRequest } from './otlpWire.js';

const KEY_A = 'pl_test-key-of-project-a-0000000000000000000000';
const KEY_B = 'pl_test-key-of-project-b-0000000000000000000000';
const tmp = tempDir('promptline-fairness-');
let collector: RunningCollector;

beforeAll(async () => {
  collector = await startCollector(
    testConfig(tmp.dir, {
      processors: {
        promptline_auth: {
          keys: [
            { sha256: hashApiKey(KEY_A), project: 'a', scopes: ['ingest'], name: 'key-a' },
            { sha256: hashApiKey(KEY_B), project: 'b', scopes: ['ingest'], name: 'key-b' },
          ],
        },
      },
    }),
  );
});
afterAll(async () => {
  await collector?.stop();
  tmp.remove();
});

/**
 * A request that sends its headers and 10 bytes of body, then nothing: with a declared length, or
 * chunked. Resolves with the status the collector answers, its Retry-After, when, and a promise of
 * the socket's close.
 */
function stalledRequest(
  key: string,
  chunked: boolean,
): Promise<{ status: number; retryAfter: string | undefined; ms: number; closed: Promise<void> }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const { port } = new URL(collector.url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m === null || !head.includes('\r\n\r\n')) return;
      const retryAfter = /\r\nretry-after: *(\S+)/i.exec(head)?.[1];
      resolve({ status: Number(m[1]), retryAfter, ms: performance.now() - started, closed });
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without a response: ${JSON.stringify(head)}`)));
    socket.write(
      [
        'POST /v1/traces HTTP/1.1',
        'host: collector',
        'content-type: application/x-protobuf',
        `authorization: Bearer ${key}`,
        chunked ? 'transfer-encoding: chunked' : 'content-length: 100000',
        '',
        chunked ? 'a\r\n0123456789\r\n' : '0123456789',
      ].join('\r\n'),
    );
    sockets.push(socket);
  });
}

const sockets: Socket[] = [];

/**
 * A chunked POST (no Content-Length: how the OpenTelemetry JS exporter sends every body) that
 * sends the first `sendNow` bytes of `body` at once and the rest on `finish()`.
 */
function heldChunkedPost(
  key: string,
  body: Buffer,
  sendNow: number,
): { finish(): void; status: Promise<number> } {
  const req = request(`${collector.url}/v1/traces`, { method: 'POST', headers: asKey(key), agent: false });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, sendNow));
  return { finish: () => req.end(body.subarray(sendNow)), status };
}

/** A gauge of the collector's /metrics. */
async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${collector.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${name} on /metrics`);
  return Number(m[1]);
}

/** Waits (up to 10 s) until a gauge satisfies `ok`. */
async function waitForGauge(name: string, ok: (v: number) => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok(await gauge(name))) {
    if (Date.now() > deadline) throw new Error(`${name} stayed at ${await gauge(name)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
afterAll(() => {
  for (const s of sockets) s.destroy();
});

/** Spans of `prompt` in ClickHouse, after flushing the WAL (up to `flushMs`). */
async function stored(prompt: string, flushMs: number): Promise<number> {
  if (flushMs > 0) expect(await collector.flush(flushMs)).toBe(true);
  const [row] = await queryRows<{ n: string | number }>(
    collector.client,
    `SELECT count() AS n FROM otel_traces WHERE SpanAttributes['${GEN_AI.PROMPT_NAME}'] = {p:String}`,
    { p: prompt },
  );
  return Number(row!.n);
}

const asKey = (key: string): Record<string, string> => ({
  'content-type': 'application/x-protobuf',
  authorization: `Bearer ${key}`,
});

/**
 * Stalls `count` requests of key A (chunked or with a declared length), has key B send ten requests
 * meanwhile (all must be accepted at once), then checks what became of the stalled ones: the key's
 * share was admitted and cut off by the read-idle timeout (503 + Retry-After, so the client sends
 * the batch again), the rest refused with 429.
 */
async function stallAndServe(count: number, chunked: boolean, prompt: string): Promise<void> {
  const { maxConcurrentRequestsPerKey, readIdleTimeoutMs } = collector.config.receiver;
  const stalled: Array<ReturnType<typeof stalledRequest>> = [];
  for (let i = 0; i < count; i++) {
    const request = stalledRequest(KEY_A, chunked);
    request.catch(() => undefined); // awaited below; a failure before that must not go unhandled
    stalled.push(request);
    await new Promise((r) => setTimeout(r, 5)); // in order: the first ones are admitted
  }
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const served = await Promise.all(
    Array.from({ length: 10 }, () =>
      post(`${collector.url}/v1/traces`, generationRequest(5, prompt), asKey(KEY_B)),
    ),
  );
  expect(served.map((r) => r.status)).toEqual(Array(10).fill(200));
  expect(performance.now() - t0).toBeLessThan(readIdleTimeoutMs);
  const results = await Promise.all(stalled);
  const timedOut = results.filter((r) => r.status === 503);
  const refused = results.filter((r) => r.status === 429);
  expect(timedOut.length + refused.length).toBe(count);
  expect(timedOut.length).toBeGreaterThan(0);
  expect(timedOut.length).toBeLessThanOrEqual(maxConcurrentRequestsPerKey);
  expect(results.map((r) => r.retryAfter)).toEqual(Array(count).fill('5'));
  for (const r of timedOut) {
    expect(r.ms).toBeGreaterThanOrEqual(readIdleTimeoutMs - 100);
    expect(r.ms).toBeLessThan(readIdleTimeoutMs + 3000);
  }
  // The collector closes a timed-out connection (the rest of its body is never read).
  await Promise.all(timedOut.map((r) => r.closed));
  const metrics = await (await fetch(`${collector.url}/metrics`)).text();
  expect(metrics).toMatch(/^promptline_collector_in_flight_requests 0$/m);
}

describe('per-key request bounds (real sockets)', () => {
  it('defaults: half of the request slots and memory per key, 5 s read-idle timeout', () => {
    const r = collector.config.receiver;
    expect([r.maxConcurrentRequestsPerKey, r.maxInFlightBytesPerKey, r.readIdleTimeoutMs]).toEqual([
      16,
      64 * 1024 * 1024,
      5000,
    ]);
  });

  it('40 stalled bodies of one key take at most its share of request slots, then time out; another key is served meanwhile', async () => {
    await stallAndServe(40, false, 'fair-slots');
    expect(await stored('fair-slots', 20_000)).toBe(50);
  });

  it('stalled chunked bodies hold a request slot each until the read-idle timeout, then get 503 + Retry-After', async () => {
    await stallAndServe(8, true, 'fair-chunked');
    // Key A is served again once its stalled requests are gone; nothing of them was stored.
    expect(
      (await post(`${collector.url}/v1/traces`, generationRequest(5, 'fair-a'), asKey(KEY_A))).status,
    ).toBe(200);
    expect(await stored('fair-chunked', 20_000)).toBe(50);
    expect(await stored('fair-a', 0)).toBe(5);
  });

  it('twelve chunked requests of one key in flight at once all succeed (each reserves the bytes that arrived, not the 16 MiB body limit)', async () => {
    // Reserving the body limit per chunked body, the key's 64 MiB share admitted four at once.
    const body = Buffer.from(generationRequest(10, 'fair-chunked-many'));
    const requests = Array.from({ length: 12 }, () => heldChunkedPost(KEY_A, body, body.length >> 1));
    await waitForGauge('promptline_collector_in_flight_requests', (v) => v === 12);
    const reserved = await gauge('promptline_collector_in_flight_bytes');
    expect(reserved).toBeGreaterThanOrEqual(12 * (body.length >> 1));
    expect(reserved).toBeLessThanOrEqual(12 * body.length);
    for (const r of requests) r.finish();
    expect(await Promise.all(requests.map((r) => r.status))).toEqual(Array(12).fill(200));
    expect(await stored('fair-chunked-many', 20_000)).toBe(120);
    expect(await gauge('promptline_collector_in_flight_bytes')).toBe(0);
  });

  it('a client that hangs up mid-body gives its slot and memory back at once, not after the read-idle timeout', async () => {
    const body = Buffer.from(generationRequest(10, 'fair-hang-up'));
    const req = request(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: asKey(KEY_A),
      agent: false,
    });
    req.on('error', () => undefined); // the socket is destroyed below
    req.write(body.subarray(0, body.length >> 1));
    await waitForGauge('promptline_collector_in_flight_bytes', (v) => v > 0);
    const t0 = performance.now();
    req.destroy();
    await waitForGauge('promptline_collector_in_flight_requests', (v) => v === 0);
    expect(await gauge('promptline_collector_in_flight_bytes')).toBe(0);
    expect(performance.now() - t0).toBeLessThan(collector.config.receiver.readIdleTimeoutMs / 2);
    expect(await stored('fair-hang-up', 5_000)).toBe(0);
  });
});

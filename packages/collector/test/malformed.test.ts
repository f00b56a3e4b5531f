import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { metricsByVersion } from '@promptline/clickhouse';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import {
  captureExporterPayload,
  decodePartialSuccess,
  decodeStatus,
  encodeRequest,
  encodeSpan,
  id,
  keyValue,
} from './otlpWire.js';

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
const LIMIT = 16 * 1024 * 1024;

function validSpan(n: number, name = 'ok'): Uint8Array {
  return encodeSpan({
    traceId: id(n, 16),
    spanId: id(n, 8),
    name,
    startNs: 1_763_700_000_000_000_000n,
    endNs: 1_763_700_000_500_000_000n,
  });
}

describe('malformed input: a precise 4xx each, the process stays healthy with bounded memory', () => {
  const tmp = tempDir('promptline-malformed-');
  let collector: RunningCollector;
  let url: string;
  let payload: Buffer;

  beforeAll(async () => {
    collector = await startCollector(
      testConfig(tmp.dir, {
        receivers: {
          otlp: {
            protocols: {
              http: {
                max_request_body_size: LIMIT,
                max_in_flight_bytes: 3 * LIMIT,
                // Every request here is anonymous (one key): these tests are about the collector-wide
                // bound, so the key may hold all of it (fairness.test.ts covers the per-key share).
                max_in_flight_bytes_per_key: 3 * LIMIT,
              },
            },
          },
        },
      }),
    );
    url = `${collector.url}/v1/traces`;
    payload = await captureExporterPayload(20);
  });
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  async function expect400(
    body: Uint8Array | string,
    headers: Record<string, string>,
    pattern: RegExp,
  ): Promise<string> {
    const res = await post(url, body, headers);
    expect(res.status).toBe(400);
    const status =
      headers['content-type'] === 'application/json'
        ? (JSON.parse(res.body.toString()) as { code: number; message: string })
        : decodeStatus(res.body);
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(pattern);
    return status.message;
  }

  it('accepts the real exporter payload (control)', async () => {
    const res = await post(url, payload, PROTO);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(res.body.length).toBe(0); // full success: empty ExportTraceServiceResponse
  });

  it('truncated protobuf → 400 at every cut point', async () => {
    for (const cut of [1, 2, 7, 50, Math.floor(payload.length / 2), payload.length - 3, payload.length - 1]) {
      await expect400(payload.subarray(0, cut), PROTO, /truncated/);
    }
  });

  it('wrong wire types → 400 naming the field', async () => {
    // resource_spans (field 1) sent as a varint.
    await expect400(Buffer.from([0x08, 0x01]), PROTO, /wrong wire type varint for field resource_spans/);
    // Span.start_time_unix_nano (fixed64) sent as length-delimited.
    const span = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(id(1, 16))
      .uint32((2 << 3) | 2)
      .bytes(id(1, 8))
      .uint32((7 << 3) | 2)
      .bytes(new Uint8Array([1, 2, 3]))
      .finish();
    await expect400(
      encodeRequest([span]),
      PROTO,
      /spans\[0\]: wrong wire type len for field Span.start_time_unix_nano/,
    );
    // Groups (deprecated wire types 3/4) are refused.
    await expect400(Buffer.from([0x0b, 0x0c]), PROTO, /wire type/);
  });

  it('invalid UTF-8 in a string field → 400', async () => {
    const span = encodeSpan({
      traceId: id(2, 16),
      spanId: id(2, 8),
      name: new Uint8Array([0x68, 0xff, 0xfe, 0x69]),
      startNs: 1n,
      endNs: 2n,
    });
    await expect400(encodeRequest([span]), PROTO, /invalid UTF-8 in string field Span.name/);
    const attr = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(new Uint8Array([0xc3, 0x28]))
      .finish();
    const bad = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(id(3, 16))
      .uint32((2 << 3) | 2)
      .bytes(id(3, 8))
      .uint32((9 << 3) | 2)
      .bytes(attr)
      .finish();
    await expect400(encodeRequest([bad]), PROTO, /invalid UTF-8 in string field KeyValue.key/);
    // A JSON body that is not UTF-8.
    await expect400(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), JSON_TYPE, /not valid UTF-8/);
  });

  it('bad hex ids in JSON → 400 naming the id; wrong-length ids → partial success', async () => {
    const doc = (traceId: string): string =>
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId,
                    spanId: 'ab00000000000001',
                    name: 'x',
                    startTimeUnixNano: '1',
                    endTimeUnixNano: '2',
                  },
                ],
              },
            ],
          },
        ],
      });
    await expect400(
      doc('zz000000000000000000000000000001'),
      JSON_TYPE,
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: not a hex-encoded id/,
    );
    await expect400(doc('abc'), JSON_TYPE, /traceId: not a hex-encoded id/);
    // Valid hex of the wrong length: the span is rejected, the others are stored.
    const mixed = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'ab00',
                  spanId: 'ab00000000000001',
                  name: 'short',
                  startTimeUnixNano: 1,
                  endTimeUnixNano: 2,
                },
                {
                  traceId: 'ab000000000000000000000000000002',
                  spanId: 'ab00000000000002',
                  name: 'good',
                  kind: 3,
                  startTimeUnixNano: '1763700000000000000',
                  endTimeUnixNano: 1763700000000000500,
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await post(url, mixed, JSON_TYPE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(res.body.toString())).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'resourceSpans[0].scopeSpans[0].spans[0]: trace id must be 16 bytes and not all zero',
      },
    });
    // Protobuf: same rule, protobuf partial success.
    const short = encodeSpan({
      traceId: new Uint8Array(4),
      spanId: id(9, 8),
      name: 'short',
      startNs: 1n,
      endNs: 2n,
    });
    const pres = await post(url, encodeRequest([short, validSpan(10, 'good-proto')]), PROTO);
    expect(pres.status).toBe(200);
    expect(decodePartialSuccess(pres.body)).toEqual({
      rejected: 1,
      message: 'resourceSpans[0].scopeSpans[0].spans[0]: trace id must be 16 bytes and not all zero',
    });
    expect(await collector.flush(20_000)).toBe(true);
    const rows = await queryRows<{ SpanName: string; SpanKind: string }>(
      collector.client,
      "SELECT SpanName, SpanKind FROM otel_traces WHERE SpanName IN ('good', 'short', 'good-proto') ORDER BY SpanName",
    );
    expect(rows).toEqual([
      { SpanName: 'good', SpanKind: 'Client' },
      { SpanName: 'good-proto', SpanKind: 'Internal' },
    ]);
  });

  it('gzip bomb → 413 without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(LIMIT);
    const before = process.memoryUsage().rss;
    const res = await post(url, bomb, { ...PROTO, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(decodeStatus(res.body).message).toMatch(
      /decompressed request body exceeds the limit of 16777216 bytes/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    // Not gzip at all → 400.
    const notGzip = await post(url, payload, { ...PROTO, 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
  });

  it('body over the limit → 413; unknown content type → 415; unknown encoding → 415', async () => {
    const big = Buffer.alloc(LIMIT + 1);
    const res = await post(url, big, PROTO);
    expect(res.status).toBe(413);
    const text = await post(url, 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(decodeStatus(text.body).message).toMatch(/unsupported content type "text\/plain"/);
    const br = await post(url, payload, { ...PROTO, 'content-encoding': 'br' });
    expect(br.status).toBe(415);
  });

  it('10,000-deep JSON → 400 (no stack overflow)', async () => {
    const deep = `{"resourceSpans":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}`;
    await expect400(deep, JSON_TYPE, /JSON nested deeper than 64 levels/);
    // Deep AnyValue nesting inside the depth budget of JSON but beyond the value limit.
    let v: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 40; i++) v = { kvlistValue: { values: [{ key: 'k', value: v }] } };
    const nested = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'ab000000000000000000000000000003',
                  spanId: 'ab00000000000003',
                  attributes: [{ key: 'deep', value: v }],
                },
              ],
            },
          ],
        },
      ],
    });
    // 40 levels of kvlist = 160 JSON levels: refused by the byte-level depth check first.
    await expect400(nested, JSON_TYPE, /nested deeper than 64/);
    // The protobuf path has its own nesting limit.
    let pv: Parameters<typeof keyValue>[1] = { s: 'leaf' };
    for (let i = 0; i < 40; i++) pv = { kv: [['k', pv]] };
    const deepSpan = encodeSpan({
      traceId: id(4, 16),
      spanId: id(4, 8),
      name: 'deep',
      startNs: 1n,
      endNs: 2n,
      attributes: [['deep', pv]],
    });
    await expect400(encodeRequest([deepSpan]), PROTO, /values nested deeper than 32 levels/);
  });

  it('a million attributes → 400 with bounded memory', async () => {
    const kv = keyValue('k', { i: 1 });
    const n = 1_000_000;
    const head = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(id(5, 16))
      .uint32((2 << 3) | 2)
      .bytes(id(5, 8))
      .finish();
    const parts: Uint8Array[] = [head];
    const tag = protobuf.Writer.create()
      .uint32((9 << 3) | 2)
      .uint32(kv.length)
      .finish();
    for (let i = 0; i < n; i++) parts.push(tag, kv);
    const span = Buffer.concat(parts);
    const body = encodeRequest([span]);
    expect(body.length).toBeLessThan(LIMIT);
    const before = process.memoryUsage().rss;
    await expect400(
      body,
      PROTO,
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: more than 10000 attributes/,
    );
    const gz = await post(url, gzipSync(body), { ...PROTO, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(400);
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
    // Under the size limit: the attribute limit must answer.
    const small = Buffer.concat([head, ...Array.from({ length: 20_000 }, () => Buffer.concat([tag, kv]))]);
    await expect400(encodeRequest([small]), PROTO, /spans\[0\]: more than 10000 attributes/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('is still healthy and accepting afterwards', async () => {
    const health = await fetch(`${collector.url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    const res = await post(url, encodeRequest([validSpan(77, 'after-abuse')]), PROTO);
    expect(res.status).toBe(200);
    expect(await collector.flush(20_000)).toBe(true);
    const rows = await queryRows<{ n: number | string }>(
      collector.client,
      "SELECT count() AS n FROM otel_traces WHERE SpanName = 'after-abuse'",
    );
    expect(Number(rows[0]!.n)).toBe(1);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/promptline_collector_http_responses_total\{code="400"\} \d+/);
    expect(metrics).toMatch(/promptline_collector_rejected_total\{signal="traces"\} 2/);
  });

  it('anonymous ingest is read by a library caller that names no project', async () => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
    });
    const tracer = provider.getTracer('anonymous-project-test');
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      const span = tracer.startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        startTime: now - 10_000 + i,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.PROMPT_NAME]: 'anonymous-prompt',
          [PROMPTLINE.PROMPT_VERSION]: 3,
        },
      });
      span.end(now - 10_000 + i + 50);
    }
    await provider.forceFlush();
    await provider.shutdown();
    expect(await collector.flush(20_000)).toBe(true);
    const versions = await metricsByVersion(collector.client, {
      promptName: 'anonymous-prompt',
      from: new Date(now - 3_600_000),
      to: new Date(now + 60_000),
    });
    expect(versions.map((v) => [v.version, v.requests])).toEqual([[3, 3]]);
  });

  it('a compressed request reserves its declared length, then what it inflates to: never the body limit', async () => {
    const gz = gzipSync(payload);
    const headers = { ...PROTO, 'content-encoding': 'gzip' };
    // Three gzip requests whose bodies are still arriving: reserving the decompressed body limit
    // each, they would need 3 × LIMIT plus their compressed bytes, more than max_in_flight_bytes.
    const held = [0, 1, 2].map(() => {
      const req = request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(gz.length) },
      });
      const status = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      req.write(gz.subarray(0, 10));
      return { finish: () => req.end(gz.subarray(10)), status };
    });
    const deadline = Date.now() + 10_000;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = await (await fetch(`${collector.url}/metrics`)).text();
      if (/promptline_collector_in_flight_requests 3\b/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(metrics).toMatch(new RegExp(`^promptline_collector_in_flight_bytes ${3 * gz.length}$`, 'm'));
    // A fourth one goes through meanwhile.
    expect((await post(url, gz, headers)).status).toBe(200);
    for (const h of held) h.finish();
    expect(await Promise.all(held.map((h) => h.status))).toEqual([200, 200, 200]);
  });
});

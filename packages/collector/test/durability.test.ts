import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTraceBlock, metricsByVersion } from '@promptline/clickhouse';
import type { TraceRow } from '@promptline/clickhouse';
import { GEN_AI } from '@promptline/semconv';
import { afterAll, describe, expect, it } from 'vitest';
import { clickHouseSink } from '../src/exporter/ClickHouseSink.js';
import { decodeTracesProto } from '../src/otlp/proto/decodeTracesProto.js';
import type { BatchSink } from '../src/exporter/WalDrainer.js';
import type { RunningCollector } from '../src/startCollector.js';
import { deadLetterDir, WriteAheadLog } from '../src/wal/WriteAheadLog.js';
import { createLogger } from '../src/logger.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { generationRequest } from './otlpWire.js';

const PROTO = { 'content-type': 'application/x-protobuf' };
const tmp = tempDir('promptline-durability-');
afterAll(() => tmp.remove());

/** A request of `n` generation spans of prompt `prompt` (version 1), with unique ids. */
const generations = generationRequest;

async function counts(
  c: RunningCollector,
  prompt: string,
): Promise<{ spans: number; unique: number; generations: number }> {
  const [t] = await queryRows<{ n: string | number; u: string | number }>(
    c.client,
    `SELECT count() AS n, uniqExact(SpanId) AS u FROM otel_traces WHERE SpanAttributes['${GEN_AI.PROMPT_NAME}'] = {p:String}`,
    { p: prompt },
  );
  const [g] = await queryRows<{ n: string | number }>(
    c.client,
    'SELECT count() AS n FROM promptline_generations WHERE prompt_name = {p:String}',
    { p: prompt },
  );
  return { spans: Number(t!.n), unique: Number(t!.u), generations: Number(g!.n) };
}

/**
 * A sink over the client of a collector that `start` has not returned yet: segments left on disk are
 * exported as soon as the collector starts, possibly before `start` resolves, so calls wait for it.
 */
function lateSink(onInsert: () => void = () => undefined): {
  sink: BatchSink;
  ready: (c: RunningCollector) => void;
} {
  let ready!: (c: RunningCollector) => void;
  const started = new Promise<RunningCollector>((r) => (ready = r));
  return {
    ready,
    sink: {
      async insert(batch, token) {
        onInsert();
        await clickHouseSink((await started).client, { database: 'default' }).insert(batch, token);
      },
    },
  };
}

/** A sink whose behaviour the test switches: real, fail before inserting, or insert then fail. */
function switchable(): {
  sink: BatchSink;
  mode: 'ok' | 'down' | 'insert-then-fail';
  attempts: number;
  real?: BatchSink;
} {
  const state: {
    sink: BatchSink;
    mode: 'ok' | 'down' | 'insert-then-fail';
    attempts: number;
    real?: BatchSink;
  } = {
    mode: 'ok',
    attempts: 0,
    sink: {
      async insert(batch, token) {
        state.attempts++;
        if (state.mode === 'down') throw new Error('ClickHouse unavailable (test)');
        await state.real!.insert(batch, token);
        if (state.mode === 'insert-then-fail') throw new Error('connection lost after the insert (test)');
      },
    },
  };
  return state;
}

/** A sink that waits `delay()` ms before each real insert (ClickHouse slower than intake). */
function slowSink(delay: () => number): { sink: BatchSink; sw: ReturnType<typeof switchable> } {
  const sw = switchable();
  return {
    sw,
    sink: {
      async insert(batch, token) {
        await new Promise((r) => setTimeout(r, delay()));
        await sw.sink.insert(batch, token);
      },
    },
  };
}

/** Collector config with tiny segments and a 64 KiB lag bound, holding requests up to `waitMs`. */
function lagConfig(dataDir: string, walDir: string, waitMs: number): ReturnType<typeof testConfig> {
  return testConfig(dataDir, {
    exporters: {
      clickhouse: {
        wal: {
          dir: join(tmp.dir, walDir),
          segment_max_bytes: 16_384,
          max_lag_bytes: 65_536,
          max_lag_wait_ms: waitMs,
        },
      },
    },
    service: { retry_after_seconds: 1 },
  });
}

describe('durability: WAL replay is idempotent in ClickHouse (real engine, materialized views on)', () => {
  const dir = join(tmp.dir, 'a');
  let collector: RunningCollector | undefined;

  it('an insert that succeeded but looked failed is retried with the same token and counted once', async () => {
    const sw = switchable();
    collector = await startCollector(testConfig(dir), { sink: sw.sink });
    sw.real = clickHouseSink(collector.client, { database: 'default' });
    sw.mode = 'insert-then-fail';
    const res = await post(`${collector.url}/v1/traces`, generations(300, 'retry-once'), PROTO);
    expect(res.status).toBe(200);
    // Let it insert and fail a few times, then recover.
    const t0 = Date.now();
    while (sw.attempts < 3 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(sw.attempts).toBeGreaterThanOrEqual(3);
    sw.mode = 'ok';
    expect(await collector.flush(20_000)).toBe(true);
    expect(await counts(collector, 'retry-once')).toEqual({ spans: 300, unique: 300, generations: 300 });
    expect(collector.metrics.exportRetries).toBeGreaterThanOrEqual(2);
    await collector.stop();
  });

  it('segments left by a crash are replayed on restart without double counting', async () => {
    const sw = switchable();
    // Same data dir and WAL as before; shutdown gives up at once while exports fail.
    const config = testConfig(dir, { service: { shutdown_timeout_ms: 0 } });
    collector = await startCollector(config, { sink: sw.sink });
    sw.real = clickHouseSink(collector.client, { database: 'default' });
    sw.mode = 'insert-then-fail';
    for (let i = 0; i < 4; i++)
      expect((await post(`${collector.url}/v1/traces`, generations(250, 'crash-replay'), PROTO)).status).toBe(
        200,
      );
    const t0 = Date.now();
    while (sw.attempts < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    await collector.stop();
    // The data was inserted, but the WAL still holds it (as after a crash between insert and delete).
    expect(readdirSync(config.exporter.wal.dir).filter((f) => f.endsWith('.wal')).length).toBeGreaterThan(0);

    collector = await startCollector(config);
    expect(await collector.flush(20_000)).toBe(true);
    expect(await counts(collector, 'crash-replay')).toEqual({ spans: 1000, unique: 1000, generations: 1000 });
    // The per-version aggregates (materialized views of materialized views) agree.
    const versions = await metricsByVersion(collector.client, {
      promptName: 'crash-replay',
      projectId: 'default',
      from: new Date(Date.now() - 3_600_000),
      to: new Date(Date.now() + 60_000),
    });
    expect(versions.map((v) => [v.version, v.requests])).toEqual([[1, 1000]]);
    expect(readdirSync(config.exporter.wal.dir).filter((f) => f.endsWith('.wal'))).toEqual([]);
    await collector.stop();
  });

  it('ClickHouse down: nothing lost, 503 + Retry-After once the WAL bound is hit, recovery afterwards', async () => {
    const sw = switchable();
    // One engine per process: same data directory, a fresh WAL.
    const config = testConfig(dir, {
      exporters: {
        clickhouse: { wal: { dir: join(tmp.dir, 'wal-b'), segment_max_bytes: 32_768, max_bytes: 262_144 } },
      },
      service: { retry_after_seconds: 2, telemetry: { logs: { level: 'info' } } },
    });
    const lines: string[] = [];
    const c = await startCollector(config, { sink: sw.sink, logSink: (l) => lines.push(l) });
    collector = c;
    sw.real = clickHouseSink(c.client, { database: 'default' });
    sw.mode = 'down';
    let acked = 0;
    let throttled: Response | undefined;
    for (let i = 0; i < 200 && throttled === undefined; i++) {
      const res = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: PROTO,
        body: generations(20, 'outage'),
      });
      if (res.status === 200) acked += 20;
      else if (res.status === 503) throttled = res;
      else throw new Error(`unexpected ${res.status}`);
    }
    expect(throttled?.status).toBe(503);
    expect(throttled?.headers.get('retry-after')).toBe('2');
    expect(acked).toBeGreaterThan(0);
    // Unauthenticated health says up or down, nothing more: no export error (it can quote data), no
    // totals. The queue figures are on /metrics.
    expect(await (await fetch(`${c.url}/healthz`)).json()).toEqual({ status: 'degraded' });
    const during = await (await fetch(`${c.url}/metrics`)).text();
    expect(Number(/^promptline_collector_queue_bytes (\d+)$/m.exec(during)?.[1])).toBeGreaterThan(200_000);
    expect(c.metrics.throttled).toBe(1);
    // ClickHouse is back: the backlog drains and intake resumes.
    sw.mode = 'ok';
    expect(await c.flush(30_000)).toBe(true);
    const res = await post(`${c.url}/v1/traces`, generations(20, 'outage'), PROTO);
    expect(res.status).toBe(200);
    acked += 20;
    expect(await c.flush(20_000)).toBe(true);
    expect(await counts(c, 'outage')).toEqual({ spans: acked, unique: acked, generations: acked });
    const metrics = await (await fetch(`${c.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`promptline_collector_rows_written_total\\{signal="traces"\\} ${acked}\\b`),
    );
    expect(metrics).toMatch(/promptline_collector_throttled_total 1\b/);
    expect(metrics).toMatch(/promptline_collector_queue_bytes 0\b/);
    // Said once when it started, once with the count when it cleared.
    expect(lines.filter((l) => /back-pressure: answering 503/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /ClickHouse export failing/.test(l))).toHaveLength(1);
    expect(lines.some((l) => /ClickHouse export recovered after \d+ failed attempt/.test(l))).toBe(true);
    await c.stop();
    await c.stop(); // idempotent
  });

  it('ClickHouse healthy but slower than intake, max_lag_wait_ms 0: 429 + Retry-After beyond max_lag_bytes, nothing lost', async () => {
    const { sink: slow, sw } = slowSink(() => 300);
    const c = await startCollector(lagConfig(dir, 'wal-lag', 0), { sink: slow });
    collector = c;
    sw.real = clickHouseSink(c.client, { database: 'default' });
    let acked = 0;
    let limited: Response | undefined;
    for (let i = 0; i < 300 && limited === undefined; i++) {
      const res = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: PROTO,
        body: generations(20, 'lagging'),
      });
      if (res.status === 200) acked += 20;
      else limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect(acked).toBeGreaterThan(0);
    expect(await c.flush(30_000)).toBe(true);
    expect((await post(`${c.url}/v1/traces`, generations(20, 'lagging'), PROTO)).status).toBe(200);
    acked += 20;
    expect(await c.flush(20_000)).toBe(true);
    expect(await counts(c, 'lagging')).toEqual({ spans: acked, unique: acked, generations: acked });
    await c.stop();
  });

  it('ClickHouse behind by more than max_lag_bytes: requests are held until it catches up, or 429 once max_lag_wait_ms is over', async () => {
    let delayMs = 150;
    const { sink: slow, sw } = slowSink(() => delayMs);
    const c = await startCollector(lagConfig(dir, 'wal-hold', 10_000), { sink: slow });
    collector = c;
    sw.real = clickHouseSink(c.client, { database: 'default' });
    // 8 clients, 5 requests each, ~11 KiB per request: more than max_lag_bytes at once.
    const send = async (): Promise<Array<{ status: number; ms: number }>> => {
      const out: Array<{ status: number; ms: number }> = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const res = await post(`${c.url}/v1/traces`, generations(20, 'held'), PROTO);
        out.push({ status: res.status, ms: performance.now() - t0 });
      }
      return out;
    };
    const results = (await Promise.all(Array.from({ length: 8 }, send))).flat();
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(c.metrics.heldForLag).toBeGreaterThan(0);
    expect(c.metrics.throttled).toBe(0);
    // Held requests waited for the exporter: some answers took more than one slow insert.
    expect(Math.max(...results.map((r) => r.ms))).toBeGreaterThan(delayMs);
    expect(await c.flush(60_000)).toBe(true);
    expect(await counts(c, 'held')).toEqual({ spans: 800, unique: 800, generations: 800 });
    // A lag that outlasts the wait: inserts now take longer than max_lag_wait_ms allows.
    await c.stop();
    delayMs = 3000;
    const short = lagConfig(dir, 'wal-hold', 300);
    const d = await startCollector(short, { sink: slow });
    collector = d;
    sw.real = clickHouseSink(d.client, { database: 'default' });
    let refused: { status: number; ms: number; retryAfter: string | null } | undefined;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      const t0 = performance.now();
      const res = await post(`${d.url}/v1/traces`, generations(20, 'held-refused'), PROTO);
      if (res.status !== 200)
        refused = {
          status: res.status,
          ms: performance.now() - t0,
          retryAfter: res.headers.get('retry-after'),
        };
    }
    expect(refused?.status).toBe(429);
    expect(refused?.retryAfter).toBe('1');
    expect(refused!.ms).toBeGreaterThanOrEqual(290);
    delayMs = 0;
    expect(await d.flush(60_000)).toBe(true);
    const held = await counts(d, 'held-refused');
    expect(held.spans).toBe(held.unique);
    expect(held.spans % 20).toBe(0);
    await d.stop();
  });

  it('request memory is bounded: a request that does not fit max_in_flight_bytes gets 429 while another is read', async () => {
    const config = testConfig(dir, {
      receivers: { otlp: { protocols: { http: { max_in_flight_bytes: 65_536 } } } },
      exporters: { clickhouse: { wal: { dir: join(tmp.dir, 'wal-mem') } } },
    });
    const c = await startCollector(config);
    collector = c;
    const body = Buffer.from(generations(200, 'memory-bound'));
    expect(body.length).toBeGreaterThan(40_000);
    // A slow client: headers and half its body, then a pause.
    const { request } = await import('node:http');
    const slow = request(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { ...PROTO, 'content-length': body.length },
    });
    const slowDone = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      slow.on('error', reject);
    });
    slow.write(body.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 200));
    const second = await post(`${c.url}/v1/traces`, generations(200, 'memory-bound'), PROTO);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('5');
    slow.end(body.subarray(1000));
    expect(await slowDone).toBe(200);
    expect((await post(`${c.url}/v1/traces`, generations(200, 'memory-bound'), PROTO)).status).toBe(200);
    expect(await c.flush(20_000)).toBe(true);
    expect((await counts(c, 'memory-bound')).spans).toBe(400);
    await c.stop();
  });

  it('graceful shutdown drains everything acknowledged', async () => {
    const config = testConfig(dir, {
      exporters: { clickhouse: { wal: { dir: join(tmp.dir, 'wal-c'), flush_interval_ms: 60_000 } } },
    });
    let c = await startCollector(config);
    for (let i = 0; i < 5; i++)
      expect((await post(`${c.url}/v1/traces`, generations(100, 'graceful'), PROTO)).status).toBe(200);
    await c.stop();
    c = await startCollector(config);
    expect(await counts(c, 'graceful')).toEqual({ spans: 500, unique: 500, generations: 500 });
    await c.stop();
  });

  it('a segment ClickHouse rejects permanently is dead-lettered after dead_letter_after tries; the next one is exported', async () => {
    const walDir = join(tmp.dir, 'wal-dead');
    const config = testConfig(dir, {
      exporters: { clickhouse: { wal: { dir: walDir, dead_letter_after: 3 } } },
      service: { telemetry: { logs: { level: 'info' } } },
    });
    // A segment left by a previous run whose row has a wrong type for otel_traces.Duration (UInt64).
    const wal = await WriteAheadLog.open(config.exporter.wal, createLogger('silent'));
    const bad = Buffer.from(
      `${JSON.stringify({ Timestamp: '2026-01-01 00:00:00', TraceId: 'a', SpanId: 'b', Duration: 'not-a-number' })}\n`,
    );
    await wal.append([{ kind: 'traces', format: 'JSONEachRow', rows: 1, payload: bad }]);
    await wal.close();
    const badFile = readdirSync(walDir).find((f) => f.endsWith('.wal'))!;
    const lines: string[] = [];
    let attempts = 0;
    const late = lateSink(() => attempts++);
    const c = await startCollector(config, { logSink: (l) => lines.push(l), sink: late.sink });
    late.ready(c);
    collector = c;
    expect((await post(`${c.url}/v1/traces`, generations(50, 'after-dead-letter'), PROTO)).status).toBe(200);
    expect(await c.flush(20_000)).toBe(true);
    expect(await counts(c, 'after-dead-letter')).toEqual({ spans: 50, unique: 50, generations: 50 });
    // 3 rejected tries of the bad segment, then one insert of the good one.
    expect(attempts).toBe(4);
    expect(readdirSync(deadLetterDir(walDir))).toEqual([badFile]);
    expect(readdirSync(walDir).filter((f) => f.endsWith('.wal'))).toEqual([]);
    expect(c.metrics.deadLetterSegments).toBe(1);
    const metricsText = await (await fetch(`${c.url}/metrics`)).text();
    expect(metricsText).toMatch(/^promptline_collector_wal_dead_letter_segments_total 1$/m);
    expect(await (await fetch(`${c.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(
      Number(/^promptline_collector_wal_dead_letter_bytes (\d+)$/m.exec(metricsText)?.[1]),
    ).toBeGreaterThan(0);
    const dead = lines.filter((l) =>
      /dead-lettered to .* after 3 permanent ClickHouse errors \(code \d+/.test(l),
    );
    expect(dead).toHaveLength(1);
    await c.stop();
  });

  it('a transient failure (ClickHouse unavailable) is retried, never dead-lettered', async () => {
    const sw = switchable();
    const walDir = join(tmp.dir, 'wal-transient');
    const config = testConfig(dir, {
      exporters: { clickhouse: { wal: { dir: walDir, dead_letter_after: 2 } } },
    });
    const c = await startCollector(config, { sink: sw.sink });
    collector = c;
    sw.real = clickHouseSink(c.client, { database: 'default' });
    sw.mode = 'down';
    expect((await post(`${c.url}/v1/traces`, generations(20, 'transient'), PROTO)).status).toBe(200);
    const t0 = Date.now();
    while (sw.attempts < 6 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 20));
    expect(sw.attempts).toBeGreaterThanOrEqual(6);
    expect(existsSync(deadLetterDir(walDir))).toBe(false);
    expect(c.metrics.deadLetterSegments).toBe(0);
    sw.mode = 'ok';
    expect(await c.flush(20_000)).toBe(true);
    expect((await counts(c, 'transient')).spans).toBe(20);
    await c.stop();
  });

  it('segments of an older collector (JSONEachRow records) and mixed segments replay, each batch once', async () => {
    const walDir = join(tmp.dir, 'wal-formats');
    const config = testConfig(dir, { exporters: { clickhouse: { wal: { dir: walDir } } } });
    const rowsOf = (n: number, prompt: string): TraceRow[] =>
      decodeTracesProto(Buffer.from(generations(n, prompt))).rows;
    // Format byte 0 and JSON lines: byte for byte the records collectors wrote before the Native encoding.
    const json = (rows: TraceRow[]): Buffer =>
      Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const wal = await WriteAheadLog.open(config.exporter.wal, createLogger('silent'));
    await wal.append([
      { kind: 'traces', format: 'JSONEachRow', rows: 3, payload: json(rowsOf(3, 'old-json')) },
    ]);
    await wal.append([
      { kind: 'traces', format: 'JSONEachRow', rows: 2, payload: json(rowsOf(2, 'old-json')) },
    ]);
    await wal.append([
      { kind: 'traces', format: 'Native', rows: 4, payload: encodeTraceBlock(rowsOf(4, 'new-native')) },
    ]);
    await wal.close();
    const [segment] = readdirSync(walDir);
    const saved = readFileSync(join(walDir, segment!));
    const tokens: string[] = [];
    const recording = (): ReturnType<typeof lateSink> => {
      const late = lateSink();
      return {
        ready: late.ready,
        sink: {
          insert: async (batch, token) => {
            tokens.push(`${token} ${batch.format} ${batch.rows}`);
            await late.sink.insert(batch, token);
          },
        },
      };
    };
    let rec = recording();
    let c = await startCollector(config, { sink: rec.sink });
    rec.ready(c);
    collector = c;
    expect(await c.flush(20_000)).toBe(true);
    const id = /^seg-(.+)\.wal$/.exec(segment!)![1];
    expect(tokens).toEqual([
      `promptline-wal-${id}-traces JSONEachRow 5`,
      `promptline-wal-${id}-traces-1 Native 4`,
    ]);
    expect(await counts(c, 'old-json')).toEqual({ spans: 5, unique: 5, generations: 5 });
    expect(await counts(c, 'new-native')).toEqual({ spans: 4, unique: 4, generations: 4 });
    await c.stop();
    // The same segment again, as after a crash between the insert and the delete: both batches are no-ops.
    writeFileSync(join(walDir, segment!), saved);
    rec = recording();
    c = await startCollector(config, { sink: rec.sink });
    rec.ready(c);
    collector = c;
    expect(await c.flush(20_000)).toBe(true);
    expect(tokens).toHaveLength(4);
    expect(await counts(c, 'old-json')).toEqual({ spans: 5, unique: 5, generations: 5 });
    expect(await counts(c, 'new-native')).toEqual({ spans: 4, unique: 4, generations: 4 });
    await c.stop();
  });

  it('a record damaged on disk is skipped (logged, counted, segment kept for inspection): the records around it and later segments are exported', async () => {
    const sw = switchable();
    const walDir = join(tmp.dir, 'wal-corrupt');
    const config = testConfig(dir, {
      exporters: { clickhouse: { wal: { dir: walDir, flush_interval_ms: 600_000 } } },
      service: { telemetry: { logs: { level: 'info' } } },
    });
    const lines: string[] = [];
    const c = await startCollector(config, { sink: sw.sink, logSink: (l) => lines.push(l) });
    collector = c;
    sw.real = clickHouseSink(c.client, { database: 'default' });
    sw.mode = 'down';
    for (let i = 0; i < 3; i++)
      expect((await post(`${c.url}/v1/traces`, generations(10, 'around-damage'), PROTO)).status).toBe(200);
    expect(await c.flush(300)).toBe(false); // sealed, export failing
    const [name] = readdirSync(walDir).filter((f) => f.endsWith('.wal'));
    // Overwrite the payload of the second record (one request's 10 spans) with junk.
    const data = readFileSync(join(walDir, name!));
    const second = 20 + data.readUInt32LE(4);
    data.fill(0x78, second + 20, second + 20 + data.readUInt32LE(second + 4));
    writeFileSync(join(walDir, name!), data);
    expect((await post(`${c.url}/v1/traces`, generations(10, 'after-damage'), PROTO)).status).toBe(200);
    sw.mode = 'ok';
    expect(await c.flush(20_000)).toBe(true);
    expect(await counts(c, 'around-damage')).toEqual({ spans: 20, unique: 20, generations: 20 });
    expect(await counts(c, 'after-damage')).toEqual({ spans: 10, unique: 10, generations: 10 });
    const text = await (await fetch(`${c.url}/metrics`)).text();
    expect(text).toMatch(/^promptline_collector_wal_corrupt_regions_total 1$/m);
    expect(text).toMatch(
      new RegExp(`^promptline_collector_wal_corrupt_bytes_total ${data.readUInt32LE(second + 4) + 20}$`, 'm'),
    );
    expect(
      lines.filter((l) => /error: WAL segment .* skipped \d+ corrupt bytes at offset/.test(l)),
    ).toHaveLength(1);
    // The damaged segment is kept for inspection, byte for byte; the WAL is empty.
    expect(readdirSync(deadLetterDir(walDir))).toEqual([name]);
    expect(readFileSync(join(deadLetterDir(walDir), name!)).equals(data)).toBe(true);
    expect(readdirSync(walDir).filter((f) => f.endsWith('.wal'))).toEqual([]);
    await c.stop();
  });

  it('a batch the engine cannot read whole (code 33) is dead-lettered, not retried forever ahead of later segments', async () => {
    const walDir = join(tmp.dir, 'wal-torn-block');
    const config = testConfig(dir, {
      exporters: { clickhouse: { wal: { dir: walDir, dead_letter_after: 2 } } },
      service: { telemetry: { logs: { level: 'info' } } },
    });
    // A record whose checksum is right but whose Native block ends half-way (as a buggy writer would
    // leave it): the engine reads it as CANNOT_READ_ALL_DATA every time.
    const rows = decodeTracesProto(Buffer.from(generations(5, 'torn-block'))).rows;
    const block = encodeTraceBlock(rows);
    const wal = await WriteAheadLog.open(config.exporter.wal, createLogger('silent'));
    await wal.append([
      { kind: 'traces', format: 'Native', rows: 5, payload: block.subarray(0, block.length >> 1) },
    ]);
    await wal.close();
    const lines: string[] = [];
    const c = await startCollector(config, { logSink: (l) => lines.push(l) });
    collector = c;
    expect((await post(`${c.url}/v1/traces`, generations(10, 'after-torn-block'), PROTO)).status).toBe(200);
    expect(await c.flush(20_000)).toBe(true);
    expect(await counts(c, 'after-torn-block')).toEqual({ spans: 10, unique: 10, generations: 10 });
    expect(readdirSync(deadLetterDir(walDir))).toHaveLength(1);
    expect(lines.some((l) => /dead-lettered .* \(code 33 CANNOT_READ_ALL_DATA\)/.test(l))).toBe(true);
    await c.stop();
  });

  afterAll(async () => {
    await collector?.stop();
  });
});

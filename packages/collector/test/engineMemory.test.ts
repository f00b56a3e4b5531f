import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GEN_AI } from '@promptline/semconv';
import { encodeTraceBlock } from '@promptline/clickhouse';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseSink } from '../src/exporter/ClickHouseSink.js';
import { decodeTracesProto } from '../src/otlp/proto/decodeTracesProto.js';
import { SelfMetrics } from '../src/server/SelfMetrics.js';
import type { RunningCollector } from '../src/startCollector.js';
import type { WalBatch } from '../src/wal/WriteAheadLog.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { encodeRequest, encodeSpan, id } from './otlpWire.js';

const tmp = tempDir('promptline-engine-memory-');
afterAll(() => tmp.remove());
const dir = join(tmp.dir, 'a');
const MB = 1024 * 1024;

/** The embedded allocator's freed-but-resident bytes: jemalloc's `resident` minus its `active`. */
async function freedResident(client: ClickHouseClient): Promise<number> {
  const [row] = await queryRows<{ stats: string }>(client, 'SELECT stats FROM system.jemalloc_stats');
  const m = /Allocated: \d+, active: (\d+), .*resident: (\d+)/.exec(row?.stats ?? '');
  if (!m) throw new Error('jemalloc totals line not found in system.jemalloc_stats');
  return Number(m[2]) - Number(m[1]);
}

/** Has the engine allocate and free a few hundred MB (a 3M-key hash table of strings). */
async function churn(client: ClickHouseClient): Promise<void> {
  await queryRows(
    client,
    'SELECT count() FROM (SELECT toString(number) AS k FROM numbers(3000000) GROUP BY k)',
  );
  expect(await freedResident(client)).toBeGreaterThan(64 * MB);
}

let next = 1;
function request(n: number): Uint8Array {
  const spans = Array.from({ length: n }, () => {
    const k = next++;
    return encodeSpan({
      traceId: id(k, 16),
      spanId: id(k, 8),
      name: 'chat',
      kind: 3,
      startNs: BigInt(Date.now() - 1000) * 1_000_000n,
      endNs: BigInt(Date.now()) * 1_000_000n,
      attributes: [[GEN_AI.OPERATION_NAME, { s: 'chat' }]],
    });
  });
  return encodeRequest(spans);
}

async function send(c: RunningCollector, n: number): Promise<void> {
  const res = await post(`${c.url}/v1/traces`, request(n), { 'content-type': 'application/x-protobuf' });
  expect(res.status).toBe(200);
  expect(await c.flush(30_000)).toBe(true);
}

function batch(n: number): WalBatch {
  const rows = decodeTracesProto(Buffer.from(request(n))).rows;
  const body = Buffer.from(encodeTraceBlock(rows));
  return {
    kind: 'traces',
    format: 'Native',
    index: 0,
    rows: rows.length,
    bytes: body.length,
    chunks: () => [body],
  };
}

describe('embedded engine memory (exporters.clickhouse.release_memory)', () => {
  it('never: freed memory stays resident; the sink releases it after each batch or when caught up', async () => {
    const c = await startCollector(
      testConfig(dir, { exporters: { clickhouse: { release_memory: 'never' } } }),
    );
    try {
      await churn(c.client);
      await send(c, 3);
      expect(c.metrics.written.traces).toBe(3);
      expect(await freedResident(c.client)).toBeGreaterThan(64 * MB);

      const each = clickHouseSink(c.client, { database: 'default', releaseMemory: 'after_each_batch' });
      await churn(c.client);
      await each.insert(batch(2), 'engine-memory-each');
      expect(await freedResident(c.client)).toBeLessThan(32 * MB);

      const idle = clickHouseSink(c.client, { database: 'default', releaseMemory: 'when_idle' });
      await churn(c.client);
      await idle.insert(batch(2), 'engine-memory-idle');
      expect(await freedResident(c.client)).toBeGreaterThan(64 * MB);
      await idle.caughtUp?.();
      expect(await freedResident(c.client)).toBeLessThan(32 * MB);
      const [stored] = await queryRows<{ n: string }>(c.client, 'SELECT count() AS n FROM otel_traces');
      expect(Number(stored?.n)).toBe(7);
    } finally {
      await c.stop();
    }
  });

  it('when_idle (default): the exporter releases it once the backlog is exported', async () => {
    const c = await startCollector(testConfig(dir));
    try {
      await churn(c.client);
      await send(c, 3);
      expect(c.metrics.written.traces).toBe(3);
      expect(await freedResident(c.client)).toBeLessThan(32 * MB);
    } finally {
      await c.stop();
    }
  });

  it('/metrics shows where the resident memory goes: JavaScript heap, Buffers, the engine', async () => {
    const c = await startCollector(testConfig(dir));
    try {
      const text = await (await fetch(`${c.url}/metrics`)).text();
      const gauge = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
      const rss = gauge(/^process_resident_memory_bytes (\d+)$/m);
      const heap = gauge(/^promptline_collector_js_memory_bytes\{area="heap"\} (\d+)$/m);
      const external = gauge(/^promptline_collector_js_memory_bytes\{area="external"\} (\d+)$/m);
      const engine = gauge(/^promptline_collector_engine_memory_bytes (\d+)$/m);
      for (const v of [heap, external, engine]) {
        expect(v).toBeGreaterThan(0);
        expect(v).toBeLessThan(rss);
      }
      // Without an embedded engine (a ClickHouse server) there is no engine figure.
      const serverText = new SelfMetrics().render({
        walPendingBytes: 0,
        walSegments: 0,
        walDeadLetterBytes: 0,
        walCorruptBytes: 0,
        walCorruptRegions: 0,
        inFlightRequests: 0,
        inFlightBytes: 0,
        exportHealthy: true,
        memory: { rss, heapUsed: heap, external },
      });
      expect(serverText).toContain(`process_resident_memory_bytes ${rss}`);
      expect(serverText).not.toContain('promptline_collector_engine_memory_bytes');
    } finally {
      await c.stop();
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireBuilt } from '../support/builtCli.js';
import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import type { ClickHouseProcess } from '../support/clickhouseProcess.js';
import { startCollectorProcess, waitDrained, writeCollectorConfig } from '../support/collectorProcess.js';
import type { CollectorProcess, Health } from '../support/collectorProcess.js';
import { generationSpans, generationSpecs, otlpProtobuf, postTraces } from '../support/generationSpans.js';
import type { PostResult } from '../support/generationSpans.js';
import { freePort } from '../support/ports.js';

// ClickHouse goes away for 30 s while a client keeps sending. The collector (built bin) writes to a
// ClickHouse server — here the HTTP fixture process backed by the real engine, which we stop and
// restart. Expected: the write-ahead log absorbs what it can (acknowledged), then clients see 503 +
// Retry-After; when ClickHouse is back the log drains and intake recovers; every acknowledged span
// is stored exactly once and nothing refused is stored.

const PROMPT = 'outage-test';
const API_KEY = 'pl_outage_test_key_0123456789abcdef';
const OUTAGE_MS = 30_000;
const SEND_EVERY_MS = 500;
const BATCH_SIZE = 25;

interface Sent {
  phase: 'before' | 'outage' | 'after';
  spanIds: string[];
  result: PostResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ClickHouse unavailable for 30 s', () => {
  let dir: string;
  let clickhouse: ClickHouseProcess | undefined;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-outage-'));
    requireBuilt();
  });

  afterAll(async () => {
    await collector?.kill9();
    await clickhouse?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loses nothing, shows back-pressure to clients, and recovers', { timeout: 180_000 }, async () => {
    const chPort = await freePort();
    clickhouse = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port: chPort });
    const port = await freePort();
    const config = await writeCollectorConfig({
      dir: join(dir, 'collector'),
      port,
      apiKey: API_KEY,
      project: 'outage',
      clickhouseUrl: clickhouse.url,
      // A small log, so that 30 s of traffic fills it: 512 KiB in 128 KiB segments (a batch of 25
      // spans takes about 14 KiB in the log; one is sent every 500 ms).
      exporter: { wal: { max_bytes: 524_288, segment_max_bytes: 131_072 } },
      retryAfterSeconds: 1,
    });
    collector = await startCollectorProcess(config, port);

    const startMs = Date.now() - 120_000;
    let batchNo = 0;
    const sent: Sent[] = [];
    const sendOne = async (phase: Sent['phase']): Promise<PostResult> => {
      const specs = generationSpecs({
        count: BATCH_SIZE,
        prompt: PROMPT,
        versions: [1, 2],
        seed: 5000 + batchNo,
        startMs: startMs + batchNo * BATCH_SIZE,
      });
      batchNo++;
      const spans = generationSpans(specs, 'outage-client');
      const result = await postTraces(collector!.url, otlpProtobuf(spans), API_KEY, 15_000);
      sent.push({ phase, spanIds: spans.map((s) => s.spanContext().spanId), result });
      return result;
    };

    // Before: ClickHouse is up.
    for (let i = 0; i < 8; i++) {
      expect((await sendOne('before')).status).toBe(200);
      await sleep(SEND_EVERY_MS);
    }
    await waitDrained(collector, 30_000);

    // Outage: stop ClickHouse and keep sending for 30 s; watch the collector's health meanwhile.
    await clickhouse.stop();
    const healthSeen: Health[] = [];
    const outageEnd = Date.now() + OUTAGE_MS;
    while (Date.now() < outageEnd) {
      const tick = Date.now();
      await sendOne('outage');
      const h = await collector.health();
      if (h !== undefined) healthSeen.push(h);
      await sleep(Math.max(0, SEND_EVERY_MS - (Date.now() - tick)));
    }

    // After: ClickHouse is back on the same port and data directory.
    clickhouse = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port: chPort });
    const recoveryDeadline = Date.now() + 60_000;
    let okAfter = 0;
    while (okAfter < 8) {
      const r = await sendOne('after');
      if (r.status === 200) okAfter++;
      if (Date.now() > recoveryDeadline)
        throw new Error(`intake did not recover in 60 s:\n${collector.log()}`);
      await sleep(SEND_EVERY_MS);
    }
    const drained = await waitDrained(collector, 60_000);
    expect(drained.status).toBe('ok');

    const outage = sent.filter((s) => s.phase === 'outage');
    // Nothing failed at the network level: the collector itself stayed up the whole time.
    expect(sent.filter((s) => s.result.status === 0)).toEqual([]);
    // The log absorbed the first part of the outage: acknowledged while ClickHouse was down.
    expect(outage.filter((s) => s.result.status === 200).length).toBeGreaterThan(0);
    // Then back-pressure: 503 with Retry-After (the configured 1 s), visible to the client.
    const refused = outage.filter((s) => s.result.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const s of refused) expect(s.result).toEqual({ status: 503, retryAfter: '1' });
    // Once refusing started, it lasted to the end of the outage (no silent acceptance beyond the bound).
    const firstRefused = outage.findIndex((s) => s.result.status !== 200);
    expect(outage.slice(firstRefused).every((s) => s.result.status === 503)).toBe(true);
    // The health endpoint said ClickHouse was failing.
    expect(healthSeen.some((h) => h.status === 'degraded')).toBe(true);

    // Storage: exactly the acknowledged spans, each once.
    const reader = createClient({ url: clickhouse.url, request_timeout: 30_000 });
    try {
      const rs = await reader.query({
        query: `SELECT SpanId AS id, count() AS n FROM otel_traces
                WHERE SpanAttributes['gen_ai.prompt.name'] = {prompt:String} GROUP BY id`,
        query_params: { prompt: PROMPT },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ id: string; n: string }>();
      expect(
        rows.filter((r) => r.n !== '1'),
        'duplicated span ids',
      ).toEqual([]);
      const stored = new Set(rows.map((r) => r.id));
      const ackedIds = sent.filter((s) => s.result.status === 200).flatMap((s) => s.spanIds);
      const refusedIds = sent.filter((s) => s.result.status !== 200).flatMap((s) => s.spanIds);
      expect(
        ackedIds.filter((id) => !stored.has(id)),
        'acknowledged spans lost',
      ).toEqual([]);
      expect(
        refusedIds.filter((id) => stored.has(id)),
        'refused spans stored',
      ).toEqual([]);
      expect(stored.size).toBe(ackedIds.length);

      // The generations table (materialized view of otel_traces) caught up ...
      const gen = await reader.query({
        query: `SELECT prompt_version AS v, toUInt64(count()) AS n FROM promptline_generations
                WHERE prompt_name = {prompt:String} GROUP BY v ORDER BY v`,
        query_params: { prompt: PROMPT },
        format: 'JSONEachRow',
      });
      const perVersion = (await gen.json<{ v: number; n: string }>()).map((r) => [Number(r.v), Number(r.n)]);
      expect(perVersion.reduce((n, [, c]) => n + c!, 0)).toBe(ackedIds.length);
      // ... and so did the hourly per-version aggregate fed from it (a view of a view).
      const agg = await reader.query({
        query: `SELECT prompt_version AS v, toUInt64(sum(requests)) AS n FROM promptline_version_stats_1h
                WHERE prompt_name = {prompt:String} GROUP BY v ORDER BY v`,
        query_params: { prompt: PROMPT },
        format: 'JSONEachRow',
      });
      const aggregated = (await agg.json<{ v: number; n: string }>()).map((r) => [Number(r.v), Number(r.n)]);
      expect(aggregated, 'promptline_version_stats_1h vs promptline_generations').toEqual(perVersion);
    } finally {
      await reader.close();
    }
  });
});

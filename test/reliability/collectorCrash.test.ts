import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { metricsByVersion, openClickHouse } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { requireBuilt } from '../support/builtCli.js';
import { startCollectorProcess, waitDrained, writeCollectorConfig } from '../support/collectorProcess.js';
import type { CollectorProcess } from '../support/collectorProcess.js';
import { generationSpans, generationSpecs, otlpProtobuf, postTraces } from '../support/generationSpans.js';
import type { GenerationSpec } from '../support/generationSpans.js';
import { freePort } from '../support/ports.js';

// kill -9 the collector (built bin, embedded engine) four times while a client streams OTLP batches;
// restart it each time. Every batch the collector ACKNOWLEDGED (HTTP 200) must be in ClickHouse
// exactly once; batches that failed are never resent, so any duplicate would be the collector's.

const PROMPT = 'crash-test';
const BATCHES = 48;
const BATCH_SIZE = 100;
const KILL_AFTER_ACKS = [8, 17, 26, 36];
const API_KEY = 'pl_crash_test_key_0123456789abcdef';
/** What the collector logs (info) when it opens a WAL that a previous run left segments in. */
const REPLAY_LINE = /WAL: (\d+) segment\(s\), (\d+) bytes to replay/;

interface Batch {
  specs: GenerationSpec[];
  spanIds: string[];
  body: Uint8Array;
}

describe('collector crash (kill -9, four times) while a client streams spans', () => {
  let dir: string;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-crash-'));
    requireBuilt();
  });

  afterAll(async () => {
    await collector?.kill9();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'keeps every acknowledged span exactly once, and the per-version aggregates agree',
    { timeout: 150_000 },
    async () => {
      const port = await freePort();
      const config = await writeCollectorConfig({ dir, port, apiKey: API_KEY, project: 'crash' });
      // Info level, so each restart says what it found in the WAL.
      const doc = parse(await readFile(config, 'utf8')) as {
        service: { telemetry: { logs: { level: string } } };
      };
      doc.service.telemetry.logs.level = 'info';
      await writeFile(config, stringify(doc));
      collector = await startCollectorProcess(config, port);

      // Spans from three hours ago: a one-day window then reads them from the hourly aggregate tables
      // (fed by materialized views), where a replayed batch would be double-counted if dedup failed.
      const startMs = Date.now() - 3 * 3_600_000;
      const batches: Batch[] = [];
      for (let b = 0; b < BATCHES; b++) {
        const specs = generationSpecs({
          count: BATCH_SIZE,
          prompt: PROMPT,
          versions: [1, 2, 3],
          seed: 1000 + b,
          startMs: startMs + b * BATCH_SIZE,
        });
        const spans = generationSpans(specs, 'crash-client');
        batches.push({ specs, spanIds: spans.map((s) => s.spanContext().spanId), body: otlpProtobuf(spans) });
      }

      // The client: two requests in flight at a time; a failed batch is counted and NOT resent, and
      // after a failure the client waits until the collector answers again before the next batch.
      const acked: Batch[] = [];
      const failed: Batch[] = [];
      let nextBatch = 0;
      let clientsDone = 0;
      let current = collector;
      const client = async (): Promise<void> => {
        while (nextBatch < batches.length) {
          const batch = batches[nextBatch++]!;
          const res = await postTraces(current.url, batch.body, API_KEY, 10_000);
          if (res.status === 200) {
            acked.push(batch);
            continue;
          }
          failed.push(batch);
          const until = Date.now() + 60_000;
          while ((await current.health()) === undefined && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        clientsDone++;
      };
      // The crasher: kill -9 as soon as enough batches were acknowledged (requests still in flight).
      const restarts: CollectorProcess[] = [];
      const crasher = async (): Promise<number> => {
        let kills = 0;
        for (const threshold of KILL_AFTER_ACKS) {
          while (acked.length < threshold && clientsDone < 2) await new Promise((r) => setTimeout(r, 5));
          if (clientsDone === 2) break;
          await current.kill9();
          kills++;
          current = await startCollectorProcess(config, port);
          collector = current;
          restarts.push(current);
        }
        return kills;
      };
      const [kills] = await Promise.all([crasher(), client(), client()]);
      expect(kills).toBe(KILL_AFTER_ACKS.length);
      expect(acked.length + failed.length).toBe(BATCHES);
      expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS.at(-1)!);

      await waitDrained(current, 60_000);
      await current.stop();
      collector = undefined;

      // kill -9 with requests in flight leaves acknowledged data in the WAL: at least one restart
      // must have found segments and replayed them (else this test never exercised a replay).
      const replays = restarts
        .map((p) => REPLAY_LINE.exec(p.log()))
        .filter((m): m is RegExpExecArray => m !== null);
      expect(replays.length, restarts.map((p) => p.log()).join('\n---\n')).toBeGreaterThanOrEqual(1);
      for (const m of replays) {
        expect(Number(m[1])).toBeGreaterThan(0);
        expect(Number(m[2])).toBeGreaterThan(0);
      }

      // Read the engine's directory directly now that no collector holds it.
      const ch = openClickHouse({ path: join(dir, 'data') });
      try {
        const rs = await ch.query({
          query: `SELECT SpanId AS id, SpanAttributes['promptline.prompt.version'] AS version, count() AS n
                FROM otel_traces WHERE SpanAttributes['gen_ai.prompt.name'] = {prompt:String}
                GROUP BY id, version`,
          query_params: { prompt: PROMPT },
          format: 'JSONEachRow',
        });
        const rows = await rs.json<{ id: string; version: string; n: string | number }>();
        const stored = new Map(rows.map((r) => [r.id, Number(r.n)]));
        const duplicated = rows.filter((r) => Number(r.n) !== 1);
        expect(duplicated, 'span ids stored more than once').toEqual([]);

        const ackedIds = acked.flatMap((b) => b.spanIds);
        const missing = ackedIds.filter((id) => !stored.has(id));
        expect(missing, 'acknowledged spans missing from ClickHouse').toEqual([]);
        const sentIds = new Set(batches.flatMap((b) => b.spanIds));
        expect(rows.filter((r) => !sentIds.has(r.id))).toEqual([]);

        // Per-version aggregates (materialized views → query layer) agree with the raw rows and with
        // what the client knows it sent for the stored spans.
        const specById = new Map(
          batches.flatMap((b) => b.spanIds.map((id, i) => [id, b.specs[i]!] as const)),
        );
        const expected = new Map<number, { count: number; errors: number; input: number; output: number }>();
        for (const id of stored.keys()) {
          const s = specById.get(id)!;
          const e = expected.get(s.version) ?? { count: 0, errors: 0, input: 0, output: 0 };
          e.count++;
          if (s.error) e.errors++;
          // Token sums cover every generation (failed ones may carry usage too).
          e.input += s.inputTokens;
          e.output += s.outputTokens;
          expected.set(s.version, e);
        }
        const metrics = await metricsByVersion(ch, {
          promptName: PROMPT,
          projectId: 'crash',
          from: new Date(Date.now() - 86_400_000),
          to: new Date(),
          includeScores: false,
        });
        expect(metrics.map((m) => m.version)).toEqual([3, 2, 1]);
        for (const m of metrics) {
          const e = expected.get(m.version)!;
          expect({
            v: m.version,
            count: m.requests,
            errors: m.errors,
            input: m.inputTokens,
            output: m.outputTokens,
          }).toEqual({
            v: m.version,
            ...e,
          });
        }
        expect(metrics.reduce((n, m) => n + m.requests, 0)).toBe(stored.size);
      } finally {
        await ch.close();
      }
    },
  );
});

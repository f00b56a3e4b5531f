import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { openClickHouse } from '@promptline/clickhouse';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mulberry32 } from '../kit/random.js';
import { requireBuilt } from '../support/builtCli.js';
import { startCollectorProcess, waitDrained, writeCollectorConfig } from '../support/collectorProcess.js';
import type { CollectorProcess } from '../support/collectorProcess.js';
import { generationSpans, generationSpecs, otlpProtobuf, postTraces } from '../support/generationSpans.js';
import type { GenerationSpec } from '../support/generationSpans.js';
import { freePort } from '../support/ports.js';

// At-least-once delivery: the built collector (embedded engine) receives every span and score once,
// then a slice of them again — twice in one request, in a later request, just before a kill -9 (so
// the copy sits in the WAL and is replayed by the restarted collector) and after the restart. Every
// figure the read API serves (per-version metrics with scores, time series, comparisons with their
// samples, label history, unlinked counts) must be what it was after the first delivery, and equal
// to the counts computed here from the spans sent. The raw copies must really have reached
// otel_traces (else this test would prove nothing).

const PROMPT = 'resend-test';
const API_KEY = 'pl_resend_test_key_0123456789abcdef';
const PROJECT = 'resend';
const SPANS = 240;

interface Sent {
  specs: GenerationSpec[];
  spans: ReadableSpan[];
}

/** The collector's span inserts by dedupe path, from its `/metrics`. */
async function spanInsertPaths(url: string): Promise<{ new: number; looked_up: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (path: string): number =>
    Number(
      new RegExp(`^promptline_collector_span_inserts_total\\{path="${path}"\\} (\\d+)$`, 'm').exec(text)?.[1],
    );
  return { new: count('new'), looked_up: count('looked_up') };
}

/** Score records as the OTel logs SDK encodes them: by span for some generations, by response id for others. */
function scoreBody(sent: Sent, which: (i: number) => boolean, seed: number): Uint8Array {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ [RESOURCE.SERVICE_NAME]: 'feedback' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('resend-test');
  const random = mulberry32(seed);
  sent.specs.forEach((spec, i) => {
    if (!which(i)) return;
    const span = sent.spans[i]!;
    const byResponse = scoredByResponse(i);
    logger.emit({
      eventName: EVALUATION_EVENT_NAME,
      timestamp: spec.startMs + spec.durationMs + 1_000,
      attributes: {
        [EVALUATION.NAME]: byResponse ? 'accurate' : 'helpful',
        [EVALUATION.SCORE_VALUE]: Math.round(random() * 100) / 100,
        [EVALUATION.ID]: `score-${i}`,
        ...(byResponse ? { [GEN_AI.RESPONSE_ID]: spec.responseId! } : {}),
      },
      context: byResponse ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, span.spanContext()),
    });
  });
  const body = ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords());
  if (body === undefined) throw new Error('the OTLP serializer produced no body');
  return body;
}

/** Every fourth generation is scored; every other one of those by response id only. */
const scored = (i: number): boolean => i % 4 === 0;
const scoredByResponse = (i: number): boolean => i % 8 === 0;
/** Response-id scores that arrive before their generations. */
const early = (i: number): boolean => i < 40 && scoredByResponse(i);

async function post(url: string, path: 'traces' | 'logs', body: Uint8Array): Promise<void> {
  if (path === 'traces') {
    const r = await postTraces(url, body, API_KEY);
    expect(r.status, r.networkError ?? '').toBe(200);
    return;
  }
  const res = await fetch(`${url}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${API_KEY}` },
    body: new Uint8Array(body), // Uint8Array<ArrayBuffer>: a BodyInit under the DOM lib too
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

describe('a re-delivered span or score changes no figure', () => {
  let dir: string;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    requireBuilt();
    dir = await mkdtemp(join(tmpdir(), 'promptline-resend-'));
  });

  afterAll(async () => {
    await collector?.kill9();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'same request, later request, replayed from the WAL after kill -9, after the restart: every figure unchanged',
    { timeout: 180_000 },
    async () => {
      const port = await freePort();
      // WAL flushes every 2 s: a copy posted just before the kill -9 is still in the WAL.
      const config = await writeCollectorConfig({
        dir,
        port,
        apiKey: API_KEY,
        project: PROJECT,
        exporter: { wal: { flush_interval_ms: 2_000 } },
      });
      collector = await startCollectorProcess(config, port);

      // Three hours ago: the hourly aggregate tables answer, where a copy would be counted again.
      const startMs = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
      const specs = generationSpecs({
        count: SPANS,
        prompt: PROMPT,
        versions: [1, 2, 3],
        seed: 19,
        startMs,
      }).map((s, i) => ({ ...s, startMs: s.startMs + i * 7_000, responseId: `chatcmpl-resend-${i}` }));
      const sent: Sent = { specs, spans: generationSpans(specs, 'resend-app') };
      const slice = (from: number, to: number): ReadableSpan[] => sent.spans.slice(from, to);

      // Response-id scores of the first 40 generations arrive before their spans (resolved when read).
      await post(collector.url, 'logs', scoreBody(sent, early, 1));
      for (let b = 0; b < 3; b++)
        await post(collector.url, 'traces', otlpProtobuf(slice(b * 80, b * 80 + 80)));
      // Every fourth generation gets a score, half by response id, half by span.
      await post(
        collector.url,
        'logs',
        scoreBody(sent, (i) => scored(i) && !early(i), 2),
      );
      await waitDrained(collector, 60_000);

      const from = new Date(startMs - 3_600_000).toISOString();
      const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000).toISOString();
      const window = `prompt=${PROMPT}&from=${from}&to=${to}`;
      const read = async (path: string): Promise<unknown> => {
        const res = await fetch(`${collector!.url}/api/v1/${path}`, {
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        const body = (await res.json()) as unknown;
        expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
        return body;
      };
      const figures = async (): Promise<Record<string, unknown>> => ({
        metrics: await read(`metrics?${window}`),
        timeseries: await read(`timeseries?${window}&interval=3600`),
        compare12: await read(`compare?${window}&baseline=1&candidate=2`),
        compare23: await read(`compare?${window}&baseline=v2&candidate=3`),
        history: await read(`labels/history?${window}`),
        share: await read(`labels/share?${window}`),
        unlinked: await read(`unlinked?${window}`),
      });

      const first = await figures();
      // The collector owns its engine, so it vouched its first spans new (no identity lookup).
      const paths = await spanInsertPaths(collector.url);
      expect(paths.new, 'span inserts vouched new').toBeGreaterThan(0);
      expect(paths.looked_up).toBe(0);
      // Ground truth from what was sent: counts, errors, token sums and scores per version.
      const random1 = mulberry32(1);
      const random2 = mulberry32(2);
      const scoreOf = new Map<number, { name: string; value: number }>();
      specs.forEach((_, i) => {
        if (early(i)) scoreOf.set(i, { name: 'accurate', value: Math.round(random1() * 100) / 100 });
      });
      specs.forEach((_, i) => {
        if (scored(i) && !early(i))
          scoreOf.set(i, {
            name: scoredByResponse(i) ? 'accurate' : 'helpful',
            value: Math.round(random2() * 100) / 100,
          });
      });
      const versions = (first.metrics as { versions: Array<Record<string, unknown>> }).versions;
      expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
      for (const v of versions) {
        const mine = specs.map((s, i) => ({ s, i })).filter(({ s }) => s.version === v.version);
        expect({
          requests: v.requests,
          errors: v.errors,
          inputTokens: v.inputTokens,
          outputTokens: v.outputTokens,
        }).toEqual({
          requests: mine.length,
          errors: mine.filter(({ s }) => s.error).length,
          inputTokens: mine.reduce((a, { s }) => a + s.inputTokens, 0),
          outputTokens: mine.reduce((a, { s }) => a + s.outputTokens, 0),
        });
        const scores = v.scores as Array<{ name: string; count: number; mean: number }>;
        for (const name of ['accurate', 'helpful']) {
          const values = mine.flatMap(({ i }) => {
            const sc = scoreOf.get(i);
            return sc?.name === name ? [sc.value] : [];
          });
          const got = scores.find((s) => s.name === name);
          expect(got?.count, `v${String(v.version)} ${name}`).toBe(values.length);
          expect(got!.mean).toBeCloseTo(values.reduce((a, x) => a + x, 0) / values.length, 9);
        }
      }

      // 1. Copies in the same request and in a later request (spans and scores).
      const again = slice(40, 100);
      await post(collector.url, 'traces', otlpProtobuf([...again, ...again]));
      await post(collector.url, 'traces', otlpProtobuf(slice(0, 20)));
      await post(collector.url, 'logs', scoreBody(sent, scored, 2));
      await waitDrained(collector, 60_000);
      expect(await figures()).toEqual(first);
      // The copies' inserts were looked up.
      expect((await spanInsertPaths(collector.url)).looked_up).toBeGreaterThan(0);

      // 2. A copy acknowledged (in the WAL) just before a kill -9: replayed by the restarted collector.
      await post(collector.url, 'traces', otlpProtobuf(slice(60, 160)));
      await post(collector.url, 'logs', scoreBody(sent, scoredByResponse, 2));
      expect(
        await collector.queueBytes(),
        'the copies are in the WAL when the collector dies',
      ).toBeGreaterThan(0);
      await collector.kill9();
      collector = await startCollectorProcess(config, port);
      await waitDrained(collector, 60_000);
      expect(await figures()).toEqual(first);

      // 3. After the restart (a fresh process: only the stored span identities remember).
      await post(collector.url, 'traces', otlpProtobuf(slice(150, 240)));
      await post(collector.url, 'logs', scoreBody(sent, early, 1));
      await waitDrained(collector, 60_000);
      expect(await figures()).toEqual(first);
      await collector.stop();
      collector = undefined;

      // The copies did arrive: otel_traces keeps them (the exporter's schema, raw), generations do not.
      const ch = openClickHouse({ path: join(dir, 'data') });
      try {
        const rs = await ch.query({
          query: `SELECT
              (SELECT count() FROM otel_traces WHERE SpanAttributes['gen_ai.prompt.name'] = {p:String}) AS raw,
              (SELECT uniqExact(SpanId) FROM otel_traces WHERE SpanAttributes['gen_ai.prompt.name'] = {p:String}) AS spans,
              (SELECT count() FROM promptline_generations WHERE prompt_name = {p:String}) AS generations`,
          query_params: { p: PROMPT },
          format: 'JSONEachRow',
        });
        const [row] = await rs.json<{ raw: string; spans: string; generations: string }>();
        expect(Number(row!.spans)).toBe(SPANS);
        expect(Number(row!.generations)).toBe(SPANS);
        expect(Number(row!.raw)).toBeGreaterThanOrEqual(SPANS + 60 + 20 + 100 + 90);
      } finally {
        await ch.close();
      }
    },
  );
});

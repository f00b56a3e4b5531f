/**
 * collector-config/upstream-clickhouse.yaml, run for real: the official OTLP/proto exporter sends
 * generation spans to the upstream OpenTelemetry Collector (contrib, built from source; see
 * upstream-collector.test.ts), whose ClickHouse exporter (`create_schema: false`) inserts them
 * with the Go ClickHouse driver into the tables Promptline's migrations created, served by the
 * real engine (chdb) behind a ClickHouse-HTTP endpoint. Promptline's materialized views must turn
 * the exporter's rows into generations, scores and per-version aggregates: this is the test that
 * our `otel_traces` / `otel_logs` are the exporter's.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { context, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { metricsByVersion, migrate } from '@promptline/clickhouse';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startNativeHttp } from './support/chdbNativeHttp.js';
import type { NativeHttpServer } from './support/chdbNativeHttp.js';
import { ensureOtelcol } from './support/otelcol.js';
import { num, runSql } from './support/truth.js';

const root = resolve(import.meta.dirname, '../..');
const PROJECT = 'acme-direct';
const SPANS = 45;
const EMAIL = 'sam.roe@example.org';
const NOTE_KEY = 'app.customer_note';

let dir = '';
let server: NativeHttpServer | undefined;
let client: ClickHouseClient;
let otelcol: ChildProcess | undefined;
let otelcolLog = '';
let otlpPort = 0;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for ${what}\n--- collector ---\n${otelcolLog.slice(-3000)}\n--- sql ---\n${server?.log
      .filter((l) => !l.includes('promptline_generations'))
      .slice(-15)
      .join('\n')}`,
  );
}

beforeAll(async () => {
  const { binary } = await ensureOtelcol(join(root, 'deploy/otelcol/builder-manifest.yaml'));
  dir = mkdtempSync(join(tmpdir(), 'promptline-upstream-ch-'));
  server = await startNativeHttp(join(dir, 'data'));
  client = createClient({ url: server.url });
  await migrate(client);

  otlpPort = await freePort();
  const grpcPort = await freePort();
  const healthPort = await freePort();
  otelcol = spawn(
    binary,
    [
      '--config',
      join(root, 'collector-config/upstream-clickhouse.yaml'),
      `--set=receivers.otlp.protocols.http.endpoint=127.0.0.1:${otlpPort}`,
      `--set=receivers.otlp.protocols.grpc.endpoint=127.0.0.1:${grpcPort}`,
      `--set=extensions.health_check.endpoint=127.0.0.1:${healthPort}`,
      '--set=service.telemetry.metrics.level=none',
      // flush the test's few spans at once instead of after the 2 s batch timeout
      '--set=processors.batch.timeout=200ms',
      // the endpoint here speaks ClickHouse's HTTP interface, which the driver compresses with gzip
      // (the config's default, lz4, is for the native protocol of a real server)
      '--set=exporters.clickhouse.compress=gzip',
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        CLICKHOUSE_ENDPOINT: server.url,
        CLICKHOUSE_USER: 'default',
        PROMPTLINE_PROJECT: PROJECT,
        OTELCOL_QUEUE_DIR: join(dir, 'queue'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const append = (b: Buffer): void => {
    otelcolLog = (otelcolLog + b.toString()).slice(-20_000);
  };
  otelcol.stdout?.on('data', append);
  otelcol.stderr?.on('data', append);
  await waitFor(
    'the upstream collector health check',
    async () => (await fetch(`http://127.0.0.1:${healthPort}/`)).ok,
    30_000,
  );
}, 60 * 60_000);

afterAll(async () => {
  if (otelcol !== undefined && otelcol.exitCode === null) {
    const exited = new Promise((r) => otelcol!.once('exit', r));
    otelcol.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (otelcol.exitCode === null) otelcol.kill('SIGKILL');
  }
  await client?.close();
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('upstream collector writing straight into the Promptline schema', () => {
  it('the exporter rows feed generations, scores and aggregates, project from the deployment', async () => {
    const resource = resourceFromAttributes({
      [RESOURCE.SERVICE_NAME]: 'support-bot',
      [RESOURCE.DEPLOYMENT_ENVIRONMENT]: 'production',
      [RESOURCE.PROJECT_ID]: 'spoofed-by-client',
    });
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${otlpPort}/v1/logs` }),
          scheduledDelayMillis: 50,
        }),
      ],
    });
    const logger = loggerProvider.getLogger('upstream-clickhouse-test');
    const provider = new BasicTracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${otlpPort}/v1/traces` }), {
          maxExportBatchSize: 512,
          scheduledDelayMillis: 50,
        }),
      ],
    });
    const tracer = provider.getTracer('upstream-clickhouse-test');
    const start = Date.now() - 120_000;
    for (let i = 0; i < SPANS; i++) {
      const version = i % 3 === 0 ? 5 : 4;
      const span = tracer.startSpan('chat gpt-4o-mini', {
        startTime: start + i * 100,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROVIDER_NAME]: 'openai',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.PROMPT_NAME]: 'triage',
          [PROMPTLINE.PROMPT_VERSION]: version,
          [PROMPTLINE.PROMPT_LABEL]: 'production',
          [GEN_AI.USAGE_INPUT_TOKENS]: 300,
          [GEN_AI.USAGE_OUTPUT_TOKENS]: 40,
          [PROMPTLINE.COST_USD]: 0.001 * version,
          [NOTE_KEY]: `reply to ${EMAIL} today`,
        },
      });
      span.end(start + i * 100 + 200 * version);
      // a quality score for the generation: a gen_ai.evaluation.result event in its span context
      logger.emit({
        eventName: EVALUATION_EVENT_NAME,
        timestamp: start + i * 100 + 5000,
        context: trace.setSpan(context.active(), span),
        attributes: {
          [EVALUATION.NAME]: 'quality',
          [EVALUATION.SCORE_VALUE]: version === 4 ? 0.9 : 0.6,
          [EVALUATION.DATA_TYPE]: 'numeric',
          [EVALUATION.ID]: `score-${i}`,
        },
      });
    }
    await provider.forceFlush();
    await provider.shutdown();
    // spans first, so the score view finds each score's generation when the scores arrive
    await waitFor(
      'the exporter rows in promptline_generations',
      async () => {
        const r = await runSql(client, 'SELECT count() AS n FROM default.promptline_generations');
        return num(r.rows[0]!.n) >= SPANS;
      },
      30_000,
    );
    await loggerProvider.forceFlush();
    await loggerProvider.shutdown();

    await waitFor(
      'the exporter rows in promptline_scores',
      async () => {
        const r = await runSql(client, 'SELECT count() AS n FROM default.promptline_scores');
        return num(r.rows[0]!.n) >= SPANS;
      },
      30_000,
    );

    const gens = await runSql(
      client,
      `SELECT project_id, environment, prompt_name, prompt_version, count() AS n, sum(cost_usd) AS cost
       FROM default.promptline_generations GROUP BY ALL ORDER BY prompt_version`,
    );
    expect(
      gens.rows.map((r) => [r.project_id, r.environment, r.prompt_name, num(r.prompt_version), num(r.n)]),
    ).toEqual([
      [PROJECT, 'production', 'triage', 4, 30],
      [PROJECT, 'production', 'triage', 5, 15],
    ]);
    expect(num(gens.rows[0]!.cost)).toBeCloseTo(30 * 0.004, 9);
    expect(num(gens.rows[1]!.cost)).toBeCloseTo(15 * 0.005, 9);

    // the exporter's value formats, as the schema expects them
    const raw = await runSql(
      client,
      `SELECT SpanKind, StatusCode, Duration, length(TraceId) AS tl, length(SpanId) AS sl,
              SpanAttributes['${NOTE_KEY}'] AS note, ResourceAttributes['${RESOURCE.PROJECT_ID}'] AS project
       FROM default.otel_traces ORDER BY Timestamp LIMIT 1`,
    );
    const row = raw.rows[0]!;
    expect([row.SpanKind, row.StatusCode, num(row.Duration), num(row.tl), num(row.sl)]).toEqual([
      'Internal',
      'Unset',
      1_000_000_000,
      32,
      16,
    ]);
    expect(String(row.note)).not.toContain(EMAIL);
    expect(String(row.note)).toMatch(/^reply to .+ today$/);
    expect(row.project).toBe(PROJECT);

    const metrics = await metricsByVersion(client, {
      promptName: 'triage',
      projectId: PROJECT,
      from: new Date(start - 3_600_000),
      to: new Date(Date.now() + 60_000),
    });
    expect(metrics.map((m) => [m.version, m.requests])).toEqual([
      [5, 15],
      [4, 30],
    ]);
    for (const m of metrics) expect(m.latencyMs.p50).toBeCloseTo(200 * m.version, -1);
    // every score resolved to its version through the span, project from the deployment
    expect(metrics.map((m) => m.scores.map((x) => [x.name, x.count, Number(x.mean?.toFixed(9))]))).toEqual([
      [['quality', 15, 0.6]],
      [['quality', 30, 0.9]],
    ]);
    // (the collector flushes its logs and traces pipelines independently, so scores may reach
    // ClickHouse before their spans and be stored unresolved; the query layer and the dashboards
    // resolve those at read time)
    const scores = await runSql(
      client,
      `SELECT project_id, count() AS n, uniqExact(score_id) AS ids FROM default.promptline_scores GROUP BY ALL`,
    );
    expect(scores.rows.map((r) => [r.project_id, num(r.n), num(r.ids)])).toEqual([[PROJECT, SPANS, SPANS]]);
  });
});

/**
 * collector-config/upstream-forward.yaml, run for real: the official OTLP/proto exporter sends
 * generation spans to the upstream OpenTelemetry Collector (contrib, built from source; see
 * upstream-collector.test.ts), which masks personal data and forwards them over OTLP/HTTP with
 * the configured API key to the Promptline collector (embedded engine). Every span arrives once,
 * filed under the key's project (not the one the client claimed), with the prompt link intact and
 * the e-mail address and secret the client put in attribute values masked by the upstream
 * redaction processor, and the per-version aggregates count them.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { metricsByVersion } from '@promptline/clickhouse';
import { loadConfig, startCollector } from '@promptline/collector';
import type { RunningCollector } from '@promptline/collector';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { ensureOtelcol } from './support/otelcol.js';
import { num, runSql } from './support/truth.js';

const root = resolve(import.meta.dirname, '../..');
const API_KEY = 'pl_test_upstream_forward_0123456789';
const PROJECT = 'acme-upstream';
const SPANS = 60;
const EMAIL = 'jane.doe@example.com';
const SECRET = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const NOTE_KEY = 'app.customer_note'; // not a content key: only the upstream redaction masks it

let dir = '';
let collector: RunningCollector | undefined;
let otelcol: ChildProcess | undefined;
let otelcolLog = '';
let otlpPort = 0;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 400; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${otelcolLog.slice(-4000)}`);
}

beforeAll(async () => {
  const { binary } = await ensureOtelcol(join(root, 'deploy/otelcol/builder-manifest.yaml'));
  dir = mkdtempSync(join(tmpdir(), 'promptline-forward-'));
  const collectorPort = await freePort();
  collector = await startCollector(
    loadConfig(
      {
        receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${collectorPort}` } } } },
        processors: {
          promptline_auth: {
            keys: [{ sha256: createHash('sha256').update(API_KEY).digest('hex'), project: PROJECT }],
          },
        },
        exporters: {
          clickhouse: { data_dir: join(dir, 'data'), wal: { dir: join(dir, 'wal'), fsync: 'never' } },
        },
        service: {
          telemetry: { logs: { level: 'warn' } },
          pipelines: {
            traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
          },
        },
      },
      {},
    ),
  );

  otlpPort = await freePort();
  const grpcPort = await freePort();
  const healthPort = await freePort();
  otelcol = spawn(
    binary,
    [
      '--config',
      join(root, 'collector-config/upstream-forward.yaml'),
      // tests bind loopback only; the file's 0.0.0.0 defaults are for containers
      `--set=receivers.otlp.protocols.http.endpoint=127.0.0.1:${otlpPort}`,
      `--set=receivers.otlp.protocols.grpc.endpoint=127.0.0.1:${grpcPort}`,
      `--set=extensions.health_check.endpoint=127.0.0.1:${healthPort}`,
      '--set=service.telemetry.metrics.level=none',
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PROMPTLINE_COLLECTOR_URL: collector.url,
        PROMPTLINE_API_KEY: API_KEY,
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
  await collector?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('upstream collector forwarding to the Promptline collector', () => {
  it('delivers every span once, under the key project, prompt link intact, personal data masked', async () => {
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${otlpPort}/v1/traces` });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [RESOURCE.SERVICE_NAME]: 'support-bot',
        [RESOURCE.DEPLOYMENT_ENVIRONMENT]: 'production',
        [RESOURCE.PROJECT_ID]: 'spoofed-by-client',
      }),
      spanProcessors: [
        new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, scheduledDelayMillis: 50 }),
      ],
    });
    const tracer = provider.getTracer('upstream-forward-test');
    const start = Date.now() - 60_000;
    for (let i = 0; i < SPANS; i++) {
      const version = i % 3 === 0 ? 3 : 2;
      const span = tracer.startSpan('chat gpt-4o-mini', {
        startTime: start + i * 100,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROVIDER_NAME]: 'openai',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.PROMPT_NAME]: 'support-answer',
          [PROMPTLINE.PROMPT_VERSION]: version,
          [PROMPTLINE.PROMPT_LABEL]: 'production',
          [PROMPTLINE.PROMPT_HASH]: `sha256:${'ab'.repeat(16)}`,
          [GEN_AI.USAGE_INPUT_TOKENS]: 100 + i,
          [GEN_AI.USAGE_OUTPUT_TOKENS]: 20,
          [NOTE_KEY]: `customer ${EMAIL} pasted key ${SECRET} again`,
        },
      });
      span.end(start + i * 100 + 250 * version);
    }
    await provider.forceFlush();
    await provider.shutdown();

    const client = collector!.client;
    await waitFor(
      'the forwarded spans in ClickHouse',
      async () => {
        await collector!.flush(2_000);
        const r = await runSql(client, 'SELECT count() AS n FROM default.promptline_generations');
        return num(r.rows[0]!.n) >= SPANS;
      },
      60_000,
    );

    const rows = await runSql(
      client,
      `SELECT project_id, prompt_name, prompt_version, count() AS n, uniqExact(span_id) AS spans
       FROM default.promptline_generations GROUP BY project_id, prompt_name, prompt_version ORDER BY prompt_version`,
    );
    expect(
      rows.rows.map((r) => [r.project_id, r.prompt_name, num(r.prompt_version), num(r.n), num(r.spans)]),
    ).toEqual([
      [PROJECT, 'support-answer', 2, 40, 40],
      [PROJECT, 'support-answer', 3, 20, 20],
    ]);

    const stored = await runSql(
      client,
      `SELECT SpanAttributes['${NOTE_KEY}'] AS note, SpanAttributes['${PROMPTLINE.PROMPT_HASH}'] AS hash,
              ResourceAttributes['${RESOURCE.PROJECT_ID}'] AS project
       FROM default.otel_traces LIMIT 1`,
    );
    const row = stored.rows[0]!;
    expect(String(row.note)).not.toContain(EMAIL);
    expect(String(row.note)).not.toContain(SECRET);
    expect(String(row.note)).toMatch(/^customer .+ pasted key .+ again$/);
    expect(row.hash).toBe(`sha256:${'ab'.repeat(16)}`);
    expect(row.project).toBe(PROJECT);

    // the per-version aggregates, read through the typed query layer
    const metrics = await metricsByVersion(client, {
      promptName: 'support-answer',
      projectId: PROJECT,
      from: new Date(start - 3_600_000),
      to: new Date(Date.now() + 60_000),
      includeScores: false,
    });
    expect(metrics.map((m) => [m.version, m.requests])).toEqual([
      [3, 20],
      [2, 40],
    ]);
    // durations were 250 ms x version
    for (const m of metrics) expect(m.latencyMs.p50).toBeCloseTo(250 * m.version, -1);
  });
});

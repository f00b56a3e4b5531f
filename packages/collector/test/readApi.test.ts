import { createClient } from '@clickhouse/client';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import { ALLOWED_TABLE_FUNCTIONS } from '../src/read/readOnlySql.js';
import type { RunningCollector } from '../src/startCollector.js';
import { recordClientLog, start, tempDir, testConfig } from './helpers.js';

const INGEST = generateApiKey();
const READ = generateApiKey();
const OTHER_READ = generateApiKey();
const SQL = generateApiKey();

describe('read API: typed metrics and read-only SQL over HTTP', () => {
  const tmp = tempDir('promptline-read-');
  let collector: RunningCollector;

  beforeAll(async () => {
    collector = await start(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: [
              { sha256: hashApiKey(INGEST), project: 'acme', scopes: ['ingest'], name: 'app' },
              { sha256: hashApiKey(READ), project: 'acme', scopes: ['read'], name: 'dash' },
              { sha256: hashApiKey(OTHER_READ), project: 'globex', scopes: ['read'], name: 'other' },
              { sha256: hashApiKey(SQL), project: 'acme', scopes: ['read', 'sql'], name: 'analyst' },
            ],
          },
        },
      }),
    );
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [RESOURCE.SERVICE_NAME]: 'support' }),
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporter({
            url: `${collector.url}/v1/traces`,
            headers: { authorization: `Bearer ${INGEST}` },
          }),
        ),
      ],
    });
    const tracer = provider.getTracer('read-api-test');
    const now = Date.now();
    // Version 1: 4 calls of 100 ms; version 2: 6 calls of 300 ms, one an error.
    for (let i = 0; i < 10; i++) {
      const version = i < 4 ? 1 : 2;
      const start = now - 60_000 + i * 1000;
      const span = tracer.startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        startTime: start,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.PROMPT_NAME]: 'support-answer',
          [PROMPTLINE.PROMPT_VERSION]: version,
          [PROMPTLINE.PROMPT_LABEL]: 'production',
          [GEN_AI.USAGE_INPUT_TOKENS]: 100,
          [GEN_AI.USAGE_OUTPUT_TOKENS]: 20,
        },
      });
      if (i === 9) span.setStatus({ code: 2, message: 'boom' });
      span.end(start + (version === 1 ? 100 : 300));
    }
    await provider.forceFlush();
    await provider.shutdown();
    expect(await collector.flush(20_000)).toBe(true);
  });
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('serves per-version metrics of the key’s project', async () => {
    const res = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer&since=1h`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      project: string;
      versions: Array<{ version: number; requests: number; errors: number; latencyMs: { p50: number } }>;
    };
    expect(body.project).toBe('acme');
    const byVersion = new Map(body.versions.map((v) => [v.version, v]));
    expect(byVersion.get(1)?.requests).toBe(4);
    expect(byVersion.get(2)?.requests).toBe(6);
    expect(byVersion.get(2)?.errors).toBe(1);
    // Quantiles come from aggregate states: within 1% of the exact value.
    expect(Math.abs(byVersion.get(1)!.latencyMs.p50 - 100) / 100).toBeLessThan(0.01);
    expect(Math.abs(byVersion.get(2)!.latencyMs.p50 - 300) / 300).toBeLessThan(0.01);

    // Another project's key sees none of it.
    const other = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer&since=1h`, {
      headers: { authorization: `Bearer ${OTHER_READ}` },
    });
    expect(((await other.json()) as { versions: unknown[] }).versions).toEqual([]);
  });

  it('requires a key with the read scope', async () => {
    const none = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer`);
    expect(none.status).toBe(401);
    const ingestOnly = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer`, {
      headers: { authorization: `Bearer ${INGEST}` },
    });
    expect(ingestOnly.status).toBe(403);
    expect(((await ingestOnly.json()) as { error: string }).error).toMatch(/lacks the "read" scope/);
    const bad = await fetch(`${collector.url}/api/v1/metrics?since=1h`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(bad.status).toBe(400);
  });

  it('lets @clickhouse/client run SELECTs through the collector, and only SELECTs', async () => {
    const clientLog = recordClientLog();
    const ch = createClient({ url: collector.url, username: 'default', password: SQL, log: clientLog.log });
    try {
      const rs = await ch.query({
        query: 'SELECT count() AS n, uniqExact(SpanId) AS u FROM otel_traces WHERE SpanName = {name:String}',
        query_params: { name: 'chat gpt-4o-mini' },
        format: 'JSONEachRow',
      });
      const got = await rs.json<{ n: string | number; u: string | number }>();
      expect(got.map((r) => [Number(r.n), Number(r.u)])).toEqual([[10, 10]]);
      expect((await ch.ping()).success).toBe(true);
      await expect(ch.command({ query: 'DROP TABLE otel_traces' })).rejects.toThrow(/only SELECT/);
      await expect(ch.query({ query: "SELECT * FROM file('/etc/passwd', 'LineAsString')" })).rejects.toThrow(
        /not allowed/,
      );
      await expect(ch.query({ query: 'SELECT 1; DROP TABLE otel_traces' })).rejects.toThrow(/one statement/);
      await expect(
        ch.query({ query: "SELECT 1 INTO /* x */ OUTFILE '/tmp/promptline-leak'" }),
      ).rejects.toThrow(/INTO OUTFILE/);
      // Keywords inside strings are data, not syntax.
      const quoted = await ch.query({ query: "SELECT 'INTO OUTFILE; DROP' AS s", format: 'JSONEachRow' });
      expect(await quoted.json()).toEqual([{ s: 'INTO OUTFILE; DROP' }]);
      await expect(
        ch.insert({ table: 'otel_traces', values: [{}], format: 'JSONEachRow' }),
      ).rejects.toThrow();
      const after = await ch.query({ query: 'SELECT count() AS n FROM otel_traces', format: 'JSONEachRow' });
      expect((await after.json<{ n: string | number }>()).map((r) => Number(r.n))).toEqual([10]);
    } finally {
      await ch.close();
    }
    const denied = createClient({ url: collector.url, password: INGEST, log: clientLog.log });
    await expect(denied.query({ query: 'SELECT 1' })).rejects.toThrow(/lacks the "sql" scope/);
    await denied.close();
    // Raw SQL is not project-scoped, so a key that may read only its own project cannot use it.
    const projectReader = createClient({ url: collector.url, password: OTHER_READ, log: clientLog.log });
    await expect(
      projectReader.query({ query: 'SELECT count() FROM otel_traces', format: 'JSONEachRow' }),
    ).rejects.toThrow(/lacks the "sql" scope/);
    await projectReader.close();
    // The client logged each refusal once, as an error, and nothing else.
    expect(clientLog.entries.map((e) => e.level)).toEqual(Array<string>(7).fill('error'));
    const refusals = clientLog.entries.map((e) => e.error ?? '');
    for (const [i, reason] of [
      /only SELECT/,
      /not allowed/,
      /one statement/,
      /INTO OUTFILE/,
      /.+/,
      /lacks the "sql" scope/,
      /lacks the "sql" scope/,
    ].entries()) {
      expect(refusals[i]).toMatch(reason);
    }
  });

  it('refuses every table function of the engine that is not on the allow list', async () => {
    const clientLog = recordClientLog();
    const ch = createClient({ url: collector.url, username: 'default', password: SQL, log: clientLog.log });
    const rejected: string[] = [];
    try {
      const rs = await ch.query({
        query: 'SELECT name FROM system.table_functions ORDER BY name',
        format: 'JSONEachRow',
      });
      const names = (await rs.json<{ name: string }>()).map((r) => r.name);
      expect(names.length).toBeGreaterThan(50);
      const allowed = new Set(ALLOWED_TABLE_FUNCTIONS);
      const refused: string[] = [];
      for (const name of names) {
        if (allowed.has(name)) continue;
        // Parsing is all the checker does, so an empty argument list is enough to be judged
        // (viewIfPermitted only parses with its own SELECT … ELSE form).
        for (const args of ['', "SELECT 1 ELSE null('x UInt8')"]) {
          const err = await ch
            .query({ query: `SELECT * FROM ${name}(${args})`, format: 'JSONEachRow' })
            .then(() => null)
            .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
          if (err !== null) rejected.push(err);
          if (err !== null && err.includes(`table function ${name} is not allowed`)) {
            refused.push(name);
            break;
          }
        }
      }
      expect(refused).toEqual(names.filter((n) => !allowed.has(n)));
      // The confirmed bypasses of the old deny list, with real arguments, in every position.
      for (const query of [
        "SELECT * FROM deltaLakeS3('http://169.254.169.254/latest/meta-data/')",
        "SELECT * FROM paimonS3('http://169.254.169.254/x')",
        "SELECT * FROM icebergS3Cluster('c', 'http://169.254.169.254/x')",
        "SELECT count() FROM filesystem('')",
        "SELECT 1 FROM numbers(1) AS a JOIN filesystem('') AS b ON 1",
        "DESCRIBE TABLE deltaLakeLocal('/etc')",
        "SELECT * FROM merge('system', '.*')",
        'SELECT * FROM numbers(3) SETTINGS readonly = 0',
        "SELECT file('/etc/passwd')",
      ]) {
        const err = await ch.query({ query }).then(
          () => null,
          (e: unknown) => (e instanceof Error ? e.message : String(e)),
        );
        expect(err, query).toMatch(/not allowed/);
        rejected.push(err ?? '');
      }
      // The allow list still works, and a scalar function that shares a table function's name.
      const ok = await ch.query({
        query:
          "SELECT sum(number) AS s, any(format('{}-{}', 'a', 'b')) AS f FROM numbers(10) WHERE number IN (SELECT * FROM generateSeries(0, 9))",
        format: 'JSONEachRow',
      });
      expect((await ok.json<{ s: number | string; f: string }>()).map((r) => [Number(r.s), r.f])).toEqual([
        [45, 'a-b'],
      ]);
      // Every refusal was logged by the client once, as an error (kept, not printed), and nothing else.
      expect(clientLog.entries.map((e) => e.error)).toEqual(rejected);
      expect(clientLog.entries.every((e) => e.level === 'error')).toBe(true);
    } finally {
      await ch.close();
    }
  });

  it('bounds every SQL query: a billion rows end in a ClickHouse error, settings do not leak', async () => {
    const clientLog = recordClientLog();
    const ch = createClient({ url: collector.url, username: 'default', password: SQL, log: clientLog.log });
    try {
      const before = process.memoryUsage().rss;
      const started = Date.now();
      const err = await ch
        .query({ query: 'SELECT * FROM numbers(1e9)', format: 'JSONEachRow' })
        .then((rs) => rs.text())
        .then(() => null)
        .catch((e: unknown) => e as { code?: string; type?: string; message?: string });
      expect(err?.type).toBe('TOO_MANY_ROWS_OR_BYTES');
      expect(err?.code).toBe('396');
      expect(err?.message).toMatch(/max rows: 1\.00 million/);
      // Refused after about a million rows, not after a billion (a generous bound for a busy machine).
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
      // The limits are on every query, and `readonly = 1`.
      const limits = await ch.query({
        query:
          "SELECT getSetting('max_result_rows') AS r, getSetting('max_result_bytes') AS b, getSetting('max_execution_time') AS t, getSetting('readonly') AS ro",
        format: 'JSONEachRow',
      });
      expect(
        (await limits.json<Record<string, string | number>>()).map((r) => [
          Number(r.r),
          Number(r.b),
          Number(r.t),
          Number(r.ro),
        ]),
      ).toEqual([[1_000_000, 64 * 1024 * 1024, 30, 1]]);
      // The next query answers correctly (nothing of the failed one is left over) …
      const next = await ch.query({ query: 'SELECT number FROM numbers(3)', format: 'JSONEachRow' });
      expect((await next.json<{ number: string | number }>()).map((r) => Number(r.number))).toEqual([
        0, 1, 2,
      ]);
      // … and the collector's own session did not inherit the limits.
      const own = await collector.client.query({
        query: "SELECT getSetting('max_result_rows') AS r, getSetting('readonly') AS ro",
        format: 'JSONEachRow',
      });
      expect(
        (await own.json<{ r: string | number; ro: string | number }>()).map((r) => [
          Number(r.r),
          Number(r.ro),
        ]),
      ).toEqual([[0, 0]]);
      // A result under the limit still streams in full.
      const many = await ch.query({ query: 'SELECT number FROM numbers(200000)', format: 'CSV' });
      expect((await many.text()).split('\n').filter((l) => l !== '').length).toBe(200_000);
      const health = await fetch(`${collector.url}/healthz`);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
      expect(clientLog.entries.map((e) => [e.level, e.error])).toEqual([['error', err?.message]]);
    } finally {
      await ch.close();
    }
  });
});

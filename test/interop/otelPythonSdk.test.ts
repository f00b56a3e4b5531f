import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cleanEnv, requireBuilt, runCli } from '../support/builtCli.js';
import { startTestCollector } from '../kit/collector.js';
import type { TestCollector } from '../kit/collector.js';
import { pythonVenv } from '../kit/pythonVenv.js';
import type { PythonVenv } from '../kit/pythonVenv.js';
import { mulberry32 } from '../kit/random.js';

/**
 * Third-party sender: the official OpenTelemetry Python SDK with its OTLP/HTTP (protobuf) exporter,
 * installed pinned in a venv in a temp folder, sends generation spans to a real collector (embedded
 * engine). The spans link their prompt ONLY with the GenAI standard attributes (gen_ai.prompt.name,
 * gen_ai.prompt.version as a string: `3`, `2.1.0`, `2.2.0-rc1`), stream some answers
 * (gen_ai.response.time_to_first_chunk, seconds), and some cannot be linked (no version, version
 * `0`, no prompt name). Every count and sum the read API serves must equal the one computed here
 * from the data sent; p50/p95/p99 of latency and TTFT must lie within the histogram's stated error
 * (0.5% relative, of the order statistic of rank ⌊q·(n−1)⌋); the unlinked counts per reason too.
 */

/** Pinned: the SDK, the exporter and every dependency (installed with --no-deps, then `pip check`). */
const REQUIREMENTS = [
  'opentelemetry-sdk==1.45.2',
  'opentelemetry-exporter-otlp-proto-http==1.45.2',
  'opentelemetry-api==1.45.2',
  'opentelemetry-exporter-otlp-proto-common==1.45.2',
  'opentelemetry-exporter-http-transport==0.66b2',
  'opentelemetry-exporter-otlp-common==0.66b2',
  'opentelemetry-proto==1.45.2',
  'opentelemetry-semantic-conventions==0.66b2',
  'googleapis-common-protos==1.76.0',
  'protobuf==7.36.2',
  'requests==2.34.2',
  'urllib3==2.8.0',
  'idna==3.21',
  'charset-normalizer==3.5.3',
  'certifi==2026.10.19.post1',
  'typing_extensions==4.16.0',
];
const SCRIPT = fileURLToPath(new URL('./python/send_generations.py', import.meta.url));
const KEY = 'pl_python_interop_key_0123456789abcdef';
const PROMPT = 'py-interop';
/** The histogram's relative error bound: (γ−1)/(γ+1) with γ = 1.01 (packages/clickhouse/src/schema/histogram.ts). */
const HIST_ERROR = 0.01 / 2.01;

interface Generation {
  name: string | null;
  version: string | null;
  model: string;
  start_ns: number;
  end_ns: number;
  ttfc_s: number | null;
  input_tokens: number;
  output_tokens: number;
  error: boolean;
  response_id: string;
}

/** The order statistic the histogram quantile approximates, and the check against it. */
function expectQuantile(actual: number | null | undefined, values: number[], q: number, what: string): void {
  const sorted = [...values].sort((a, b) => a - b);
  const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - exact), `${what}: ${String(actual)} vs exact ${exact}`).toBeLessThanOrEqual(
    exact * HIST_ERROR + 1e-9,
  );
}

describe('the OpenTelemetry Python SDK (OTLP/HTTP) with standard prompt attributes', () => {
  let py: PythonVenv | undefined;
  let collector: TestCollector | undefined;

  beforeAll(async () => {
    requireBuilt();
    py = pythonVenv('promptline-otel-python-', REQUIREMENTS);
    collector = await startTestCollector({
      prefix: 'promptline-py-interop-',
      keys: [{ key: KEY, project: 'py', scopes: ['ingest', 'read'] }],
      overrides: { extensions: { promptline_read_api: { enabled: true, sql: { enabled: false } } } },
    });
  }, 900_000);

  afterAll(async () => {
    await collector?.close();
    py?.remove();
  });

  it('every per-version count and sum exact, quantiles within the histogram error, unlinked counted', async () => {
    const random = mulberry32(1919);
    // Two hours back to now: whole hours come from the hourly aggregates, the edges from raw rows.
    const t0 = Date.now() - 2 * 3_600_000;
    const generations: Generation[] = [];
    const linked = ['3', '2.1.0', '2.2.0-rc1'];
    const unlinked: Array<{ name: string | null; version: string | null; reason: string; n: number }> = [
      { name: PROMPT, version: null, reason: 'no_version', n: 9 },
      { name: PROMPT, version: '0', reason: 'unparsable_version', n: 5 },
      { name: null, version: '3', reason: 'no_prompt_name', n: 4 },
    ];
    const plan = [
      ...linked.flatMap((v) => Array.from({ length: 140 }, () => ({ name: PROMPT, version: v }))),
      ...unlinked.flatMap((u) => Array.from({ length: u.n }, () => ({ name: u.name, version: u.version }))),
    ];
    plan.forEach((p, i) => {
      const startMs = t0 + Math.floor((i / plan.length) * 7_000_000);
      const scale = p.version === '2.2.0-rc1' ? 1.4 : 1;
      // Latency: log-normal around 600 ms (to the nanosecond); TTFT for streamed answers (60%).
      const latencyNs = Math.round(
        scale *
          600e6 *
          Math.exp(0.6 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())),
      );
      const streamed = random() < 0.6;
      generations.push({
        name: p.name,
        version: p.version,
        model: 'gpt-4o-mini',
        start_ns: startMs * 1e6,
        end_ns: startMs * 1e6 + latencyNs,
        ttfc_s: streamed ? Math.round((latencyNs / 1e9) * (0.1 + 0.3 * random()) * 1e6) / 1e6 : null,
        input_tokens: 20 + Math.floor(random() * 400),
        output_tokens: 5 + Math.floor(random() * 200),
        error: random() < 0.06,
        response_id: `chatcmpl-py-${i}`,
      });
    });

    const out = JSON.parse(
      await py!.runAsync([SCRIPT], {
        input: JSON.stringify({
          endpoint: `${collector!.url}/v1/traces`,
          api_key: KEY,
          service: 'python-app',
          generations,
        }),
        env: { OTEL_SDK_DISABLED: 'false' },
        timeoutMs: 120_000,
      }),
    ) as { ids: Array<{ trace_id: string; span_id: string }>; flushed: boolean; exported: boolean };
    expect(out).toMatchObject({ flushed: true, exported: true });
    expect(new Set(out.ids.map((x) => x.span_id)).size).toBe(generations.length);
    await collector!.collector.flush();

    const from = new Date(t0 - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const read = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${collector!.url}/api/v1/${path}`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      const body = (await res.json()) as T;
      expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
      return body;
    };
    const window = `prompt=${PROMPT}&from=${from}&to=${to}`;
    const metrics = await read<{
      versions: Array<{
        version: number;
        versionName: string;
        requests: number;
        errors: number;
        inputTokens: number;
        outputTokens: number;
        latencyMs: { p50: number; p95: number; p99: number; mean: number };
        ttftMs: { p50: number; p95: number; p99: number; mean: number; count: number } | null;
      }>;
    }>(`metrics?${window}`);

    // Whole numbers first (newest first), then named versions by first call: 2.1.0 and 2.2.0-rc1 interleave in time.
    expect(metrics.versions.map((v) => v.versionName).sort()).toEqual(['2.1.0', '2.2.0-rc1', '3']);
    expect(metrics.versions.find((v) => v.versionName === '3')!.version).toBe(3);
    for (const name of linked) {
      const mine = generations.filter((g) => g.name === PROMPT && g.version === name);
      const got = metrics.versions.find((v) => v.versionName === name)!;
      expect(
        {
          requests: got.requests,
          errors: got.errors,
          inputTokens: got.inputTokens,
          outputTokens: got.outputTokens,
        },
        name,
      ).toEqual({
        requests: mine.length,
        errors: mine.filter((g) => g.error).length,
        inputTokens: mine.reduce((a, g) => a + g.input_tokens, 0),
        outputTokens: mine.reduce((a, g) => a + g.output_tokens, 0),
      });
      const latency = mine.map((g) => (g.end_ns - g.start_ns) / 1e6);
      expect(got.latencyMs.mean).toBeCloseTo(latency.reduce((a, x) => a + x, 0) / latency.length, 3);
      for (const q of [0.5, 0.95, 0.99] as const)
        expectQuantile(
          got.latencyMs[`p${Math.round(q * 100)}` as 'p50'],
          latency,
          q,
          `${name} latency p${q}`,
        );
      const ttft = mine.flatMap((g) => (g.ttfc_s === null ? [] : [g.ttfc_s * 1000]));
      expect(got.ttftMs?.count, `${name} streamed`).toBe(ttft.length);
      expect(got.ttftMs!.mean).toBeCloseTo(ttft.reduce((a, x) => a + x, 0) / ttft.length, 3);
      for (const q of [0.5, 0.95, 0.99] as const)
        expectQuantile(got.ttftMs![`p${Math.round(q * 100)}` as 'p50'], ttft, q, `${name} ttft p${q}`);
    }

    // The time series adds up to the same counts; a comparison of two named versions, typed as sent,
    // samples every generation of each.
    const series = await read<{ points: Array<{ versionName: string; requests: number; errors: number }> }>(
      `timeseries?${window}&interval=3600`,
    );
    for (const name of linked) {
      const mine = generations.filter((g) => g.name === PROMPT && g.version === name);
      const points = series.points.filter((p) => p.versionName === name);
      expect(
        points.reduce((a, p) => a + p.requests, 0),
        `series ${name}`,
      ).toBe(mine.length);
      expect(points.reduce((a, p) => a + p.errors, 0)).toBe(mine.filter((g) => g.error).length);
    }
    const compare = await read<{
      metrics: Array<{
        metric: string;
        baseline: { n: number; total: number };
        candidate: { n: number; total: number };
      }>;
    }>(`compare?${window}&baseline=2.1.0&candidate=2.2.0-rc1`);
    const latencyCmp = compare.metrics.find((m) => m.metric === 'latency_ms')!;
    expect([latencyCmp.baseline.total, latencyCmp.candidate.total]).toEqual([140, 140]);

    // Nothing vanished: the spans that link to no version are counted per reason.
    const unlinkedRead = await read<{
      unlinked: Array<{ reason: string; promptName: string; generations: number }>;
    }>(`unlinked?from=${from}&to=${to}`);
    const byReason = new Map<string, number>();
    for (const u of unlinkedRead.unlinked)
      byReason.set(u.reason, (byReason.get(u.reason) ?? 0) + u.generations);
    expect(Object.fromEntries(byReason)).toEqual(Object.fromEntries(unlinked.map((u) => [u.reason, u.n])));
    const total =
      metrics.versions.reduce((a, v) => a + v.requests, 0) +
      [...byReason.values()].reduce((a, n) => a + n, 0);
    expect(total).toBe(generations.length);

    // Where a user sees them: the collector's /metrics gauge (current and previous UTC hour, by span
    // time, all projects) and `promptline unlinked` / `promptline metrics` (the built CLI).
    const hourFrom = (at: number): number => Math.floor((at - 3_600_000) / 3_600_000) * 3_600_000;
    const before = hourFrom(Date.now());
    const scrape = await (await fetch(`${collector!.url}/metrics`)).text();
    if (hourFrom(Date.now()) === before) {
      for (const u of unlinked) {
        const expected = generations.filter(
          (g, i) => g.name === u.name && g.version === u.version && i >= 420 && g.start_ns / 1e6 >= before,
        ).length;
        expect(scrape, u.reason).toContain(
          `promptline_unlinked_generations{reason="${u.reason}"} ${expected}\n`,
        );
      }
    }
    const env = cleanEnv({ PROMPTLINE_COLLECTOR_URL: collector!.url, PROMPTLINE_API_KEY: KEY });
    const cli = await runCli(['unlinked', '--since', '3h', '--json'], { env });
    expect(cli.status, cli.stderr).toBe(0);
    const cliUnlinked = JSON.parse(cli.stdout) as {
      unlinked: Array<{ reason: string; generations: number }>;
    };
    expect(cliUnlinked.unlinked.reduce((a, u) => a + u.generations, 0)).toBe(18);
    const cliMetrics = await runCli(['metrics', '--prompt', PROMPT, '--since', '3h'], { env });
    expect(cliMetrics.status, cliMetrics.stderr).toBe(0);
    expect(cliMetrics.stdout).toMatch(/^2\.2\.0-rc1 +– +140 /m);
    expect(cliMetrics.stdout).toContain(
      '14 calls linked to no version (not in the rows above): 9 no version, 5 unparsable version',
    );
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Prompt, init, score, startActiveGeneration } from '@promptline/sdk';
import type { PromptlineTelemetry } from '@promptline/sdk';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLlmStandIn } from '../../examples/demo/src/llmStandIn.js';
import type { StandInServer } from '../../examples/demo/src/llmStandIn.js';
import { requireBuilt, runCli, startUp } from '../support/builtCli.js';
import type { RunningUp } from '../support/builtCli.js';

// SDK (sources) → `promptline up` (built CLI: collector + embedded ClickHouse) → `promptline metrics
// --json` (built CLI, as a child process). Every expected number is computed here from the spans the
// SDK actually produced (captured by an in-memory exporter next to the OTLP one) and the scores we sent.

interface ReportVersion {
  version: number;
  labels: string[];
  count: number;
  errors: number;
  errorRate: number;
  latencyMs: { p50: number; p95: number; p99: number; mean: number };
  ttftMs: { n: number; p50: number | null; p95: number | null; p99: number | null; mean: number | null };
  tokens: { input: number; output: number };
  costUsd: { total: number; perCall: number };
  scores: Record<string, { mean: number | null; count: number; labels: Record<string, number> }>;
  firstSeen: string;
  lastSeen: string;
}

interface Report {
  prompt: string;
  source: string;
  versions: ReportVersion[];
}

const PROMPT = 'e2e-answer';
const durationMs = (s: ReadableSpan): number => s.duration[0] * 1000 + s.duration[1] / 1e6;
const startMs = (s: ReadableSpan): number => s.startTime[0] * 1000 + s.startTime[1] / 1e6;
const num = (s: ReadableSpan, key: string): number | undefined => {
  const v = s.attributes[key];
  return typeof v === 'number' ? v : undefined;
};

/** The schema's approximate quantile (documented < 0.5% relative error; we allow 1%) lies between the two ranks around q. */
function expectQuantile(actual: number | null, values: number[], q: number, what: string): void {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = sorted[Math.floor(pos)]!;
  const hi = sorted[Math.ceil(pos)]!;
  expect(actual, what).not.toBeNull();
  expect(actual!, `${what} ≥ ${lo}`).toBeGreaterThanOrEqual(lo * 0.99);
  expect(actual!, `${what} ≤ ${hi}`).toBeLessThanOrEqual(hi * 1.01);
}

/** Deep equality, except that numbers only need to agree to 1e-9 relative. */
function expectSameNumbers(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    expect(actual.length, path).toBe(expected.length);
    expected.forEach((e, i) => expectSameNumbers(actual[i], e, `${path}[${i}]`));
  } else if (
    typeof expected === 'object' &&
    expected !== null &&
    typeof actual === 'object' &&
    actual !== null
  ) {
    expect(Object.keys(actual).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected))
      expectSameNumbers((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('SDK → collector → ClickHouse → promptline metrics --json', () => {
  let home: string;
  let up: RunningUp | undefined;
  let llm: StandInServer | undefined;
  let telemetry: PromptlineTelemetry | undefined;
  const memory = new InMemorySpanExporter();
  const sentScores = new Map<string, number[]>(); // `${version}/${name}` → values

  beforeAll(async () => {
    requireBuilt();
    home = await mkdtemp(join(tmpdir(), 'promptline-e2e-'));
    up = await startUp(home);
    llm = await startLlmStandIn({
      profiles: [
        { match: 'Stream it', latencyMs: 60, jitterMs: 40, ttftMs: 25, outputTokens: 9, quality: 1 },
      ],
      seed: 3,
    });
  });

  afterAll(async () => {
    await telemetry?.shutdown();
    await up?.stop();
    await llm?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it(
    'reports exactly what the SDK sent, per version, through the collector and then directly',
    { timeout: 120_000 },
    async () => {
      telemetry = init({
        serviceName: 'promptline-e2e',
        endpoint: up!.state.url,
        apiKey: up!.state.ingestKey,
        scheduledDelayMillis: 200,
        spanProcessors: [new SimpleSpanProcessor(memory)],
      });
      const record = (version: number, name: string, value: number): void => {
        const key = `${version}/${name}`;
        sentScores.set(key, [...(sentScores.get(key) ?? []), value]);
      };
      const prompt = (version: number, label: string, system: string): Prompt =>
        new Prompt(
          {
            name: PROMPT,
            version,
            type: 'chat',
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: 'What is {{a}} + {{b}}?' },
            ],
          },
          { label },
        );

      // v1 (production): explicit usage and cost; every 4th call fails; a late user rating by ids.
      const v1 = prompt(1, 'production', 'Answer.');
      for (let i = 0; i < 12; i++) {
        const failing = i % 4 === 3;
        try {
          const ids = await startActiveGeneration(
            PROMPT,
            { prompt: v1, model: 'gpt-4o-mini' },
            async (gen) => {
              await new Promise((r) => setTimeout(r, 5 + ((i * 7) % 23)));
              if (failing) throw new Error('model unavailable');
              gen.update({
                usage: { inputTokens: 100 + i, outputTokens: 20 + 2 * i },
                costUsd: 0.001 * (i + 1),
              });
              const value = (i % 5) / 4;
              gen.score('quality', value);
              record(1, 'quality', value);
              return { traceId: gen.traceId, spanId: gen.spanId };
            },
          );
          score(ids, 'user-rating', 1 + (i % 5), { source: 'user-feedback' });
          record(1, 'user-rating', 1 + (i % 5));
        } catch (error) {
          expect((error as Error).message).toBe('model unavailable');
        }
      }

      // v2 (canary): the real openai client, streamed, against the local stand-in model.
      const openai = new OpenAI({ baseURL: llm!.baseURL, apiKey: 'test', maxRetries: 0 });
      const v2 = prompt(2, 'canary', 'Stream it.');
      for (let i = 0; i < 8; i++) {
        await startActiveGeneration(PROMPT, { prompt: v2, model: 'gpt-4o-mini' }, async (gen) => {
          const stream = await openai.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: v2
              .compileChat({ a: String(i), b: '2' })
              .map((m) => ({ role: 'user' as const, content: m.content })),
            stream: true,
            stream_options: { include_usage: true },
          });
          let usage: OpenAI.CompletionUsage | undefined;
          for await (const chunk of stream) {
            if (chunk.choices[0]?.delta.content) gen.markFirstChunk();
            if (chunk.usage) usage = chunk.usage;
          }
          gen.update({
            usage: { inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens },
            costUsd: 0.0005,
          });
          gen.score('quality', 1);
          record(2, 'quality', 1);
        });
      }

      // v3: resolved through two labels (a label moved), no scores.
      for (let i = 0; i < 6; i++) {
        const v3 = prompt(3, i < 2 ? 'staging' : 'production', 'Be brief.');
        await startActiveGeneration(PROMPT, { prompt: v3, model: 'gpt-4o' }, async (gen) => {
          await new Promise((r) => setTimeout(r, 2 + i));
          gen.update({ usage: { inputTokens: 50, outputTokens: 5 + i }, costUsd: 0.01 });
        });
      }
      await telemetry.forceFlush();

      const spans = memory.getFinishedSpans().filter((s) => s.attributes[GEN_AI.PROMPT_NAME] === PROMPT);
      expect(spans).toHaveLength(26);
      const byVersion = new Map<number, ReadableSpan[]>();
      for (const s of spans) {
        const v = num(s, PROMPTLINE.PROMPT_VERSION)!;
        byVersion.set(v, [...(byVersion.get(v) ?? []), s]);
      }
      const expectedScoreCount = [...sentScores.values()].reduce((n, list) => n + list.length, 0);

      // Through the running collector (it holds the data directory): poll until everything landed.
      let report: Report | undefined;
      const deadline = Date.now() + 45_000;
      for (;;) {
        const run = await runCli(['--dir', home, 'metrics', '--prompt', PROMPT, '--since', '1h', '--json']);
        expect(run.status, run.stderr).toBe(0);
        expect(run.stderr).toContain('reading through the collector');
        report = JSON.parse(run.stdout) as Report;
        const calls = report.versions.reduce((n, v) => n + v.count, 0);
        const scores = report.versions.reduce(
          (n, v) => n + Object.values(v.scores).reduce((m, s) => m + s.count, 0),
          0,
        );
        if (calls === spans.length && scores === expectedScoreCount) break;
        if (Date.now() > deadline)
          throw new Error(
            `after 45 s: ${calls}/${spans.length} calls, ${scores}/${expectedScoreCount} scores`,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(report.source).toBe(`collector:${up!.state.url}`);
      expect(report.versions.map((v) => v.version)).toEqual([3, 2, 1]);

      for (const row of report.versions) {
        const list = byVersion.get(row.version)!;
        const ok = list.filter((s) => s.status.code !== SpanStatusCode.ERROR);
        const latencies = list.map(durationMs);
        const what = `v${row.version}`;
        expect(row.count, what).toBe(list.length);
        expect(row.errors, what).toBe(list.length - ok.length);
        expect(row.errorRate, what).toBeCloseTo((list.length - ok.length) / list.length, 12);
        expect(row.tokens.input, what).toBe(ok.reduce((n, s) => n + num(s, GEN_AI.USAGE_INPUT_TOKENS)!, 0));
        expect(row.tokens.output, what).toBe(ok.reduce((n, s) => n + num(s, GEN_AI.USAGE_OUTPUT_TOKENS)!, 0));
        const cost = ok.reduce((n, s) => n + num(s, PROMPTLINE.COST_USD)!, 0);
        expect(row.costUsd.total, what).toBeCloseTo(cost, 9);
        expect(row.costUsd.perCall, what).toBeCloseTo(cost / list.length, 9);
        expect(row.latencyMs.mean, what).toBeCloseTo(latencies.reduce((a, b) => a + b, 0) / list.length, 3);
        expectQuantile(row.latencyMs.p50, latencies, 0.5, `${what} latency p50`);
        expectQuantile(row.latencyMs.p95, latencies, 0.95, `${what} latency p95`);
        expectQuantile(row.latencyMs.p99, latencies, 0.99, `${what} latency p99`);
        expect(Date.parse(row.firstSeen), what).toBeCloseTo(Math.min(...list.map(startMs)), -1);
        expect(Date.parse(row.lastSeen), what).toBeCloseTo(Math.max(...list.map(startMs)), -1);
        const labels = [...new Set(list.map((s) => String(s.attributes[PROMPTLINE.PROMPT_LABEL])))].sort();
        expect(row.labels, what).toEqual(labels);

        const ttfts = list
          .map((s) => num(s, GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK))
          .filter((t): t is number => t !== undefined);
        if (ttfts.length === 0) {
          expect(row.ttftMs, what).toEqual({ n: 0, p50: null, p95: null, p99: null, mean: null });
        } else {
          const ms = ttfts.map((t) => t * 1000);
          expect(row.ttftMs.n, what).toBe(ms.length);
          expect(row.ttftMs.mean, what).toBeCloseTo(ms.reduce((a, b) => a + b, 0) / ms.length, 3);
          expectQuantile(row.ttftMs.p50, ms, 0.5, `${what} ttft p50`);
        }

        const names = [...sentScores.keys()]
          .filter((k) => k.startsWith(`${row.version}/`))
          .map((k) => k.split('/')[1]!);
        expect(Object.keys(row.scores).sort(), what).toEqual(names.sort());
        for (const name of names) {
          const values = sentScores.get(`${row.version}/${name}`)!;
          expect(row.scores[name]!.count, `${what} ${name}`).toBe(values.length);
          expect(row.scores[name]!.mean!, `${what} ${name}`).toBeCloseTo(
            values.reduce((a, b) => a + b, 0) / values.length,
            9,
          );
        }
      }
      // The workload is shaped so that the per-version numbers differ: v1 has errors, v2 streamed.
      expect(report.versions.find((v) => v.version === 1)!.errors).toBe(3);
      expect(report.versions.find((v) => v.version === 2)!.ttftMs.p50).not.toBeNull();

      // Stop the collector (graceful, drains the WAL), then read the engine directly: same numbers.
      expect(await up!.stop()).toBe(0);
      expect(existsSync(join(home, 'collector.json'))).toBe(false);
      const direct = await runCli(['--dir', home, 'metrics', '--prompt', PROMPT, '--since', '1h', '--json']);
      expect(direct.status, direct.stderr).toBe(0);
      const directReport = JSON.parse(direct.stdout) as Report;
      expect(directReport.source).toBe(`embedded:${join(home, 'data')}`);
      // Same numbers; floating-point sums may differ in the last bits (summation order over parts).
      expectSameNumbers(directReport.versions, report.versions, 'versions');

      // And the human table (its first block; score distributions follow) shows one row per version.
      const table = await runCli(['--dir', home, 'metrics', '--prompt', PROMPT, '--since', '1h']);
      expect(table.status).toBe(0);
      const versionTable = table.stdout.split('\n\n')[0]!;
      const rows = versionTable.split('\n').filter((l) => /^v\d /.test(l));
      expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['v3', 'v2', 'v1']);
      expect(rows[1]).toMatch(/^v2\s+canary\s+8\s+0\.0%/);
    },
  );
});

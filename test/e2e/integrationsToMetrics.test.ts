import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Prompt } from '@promptline/sdk';
import { promptTelemetry } from '@promptline/sdk/ai';
import { observeAnthropic } from '@promptline/sdk/anthropic';
import { PromptlineCallbackHandler } from '@promptline/sdk/langchain';
import { observeOpenAI } from '@promptline/sdk/openai';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireBuilt, runCli, startUp } from '../support/builtCli.js';
import type { RunningUp } from '../support/builtCli.js';
import { captureSpans } from '../support/spanCapture.js';
import type { SpanCapture } from '../support/spanCapture.js';
import { startAnthropicStandIn } from '../support/standIns/anthropicStandIn.js';
import { startOpenAIStandIn } from '../support/standIns/openaiStandIn.js';
import type { StandIn } from '../support/standIns/standInServer.js';

// Each client integration → `promptline up` (built CLI: collector + embedded ClickHouse, the shipped
// price table) → `promptline metrics --json`. One prompt version per integration; every expected
// figure is computed here from the spans the integrations produced and the list prices of
// migration 0012: calls, errors, tokens, cost (cache reads/writes at their own prices), TTFT,
// unpriced calls.

const PROMPT = 'integrations-e2e';

/** USD per 1M tokens, as shipped in migrations/0012_current_model_prices.sql. */
const PRICES: Record<string, { input: number; output: number; cacheRead: number; cacheWrite?: number }> = {
  'gpt-5.4-mini': { input: 0.75, output: 4.5, cacheRead: 0.075 },
  'gpt-5.4': { input: 2.5, output: 15, cacheRead: 0.25 },
  'gpt-5.4-nano': { input: 0.2, output: 1.25, cacheRead: 0.02 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
};

interface ReportVersion {
  version: number;
  count: number;
  errors: number;
  ttftMs: { mean: number | null };
  tokens: { input: number; output: number };
  costUsd: { total: number; perCall: number; unpricedCalls: number };
}

const num = (s: ReadableSpan, key: string): number => {
  const v = s.attributes[key];
  return typeof v === 'number' ? v : 0;
};

/** The price-table cost of one span, or undefined when its model has no price. */
function expectedCost(s: ReadableSpan): number | undefined {
  const model = String(s.attributes[GEN_AI.RESPONSE_MODEL] ?? s.attributes[GEN_AI.REQUEST_MODEL]);
  const base = Object.keys(PRICES).find(
    (m) => model === m || new RegExp(`^${m.replace('.', '\\.')}-\\d{4}-\\d{2}-\\d{2}$`).test(model),
  );
  if (base === undefined) return undefined;
  const p = PRICES[base]!;
  const input = num(s, GEN_AI.USAGE_INPUT_TOKENS);
  const cacheRead = num(s, GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS);
  const cacheWrite = num(s, GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS);
  return (
    ((input - cacheRead - cacheWrite) * p.input +
      cacheRead * p.cacheRead +
      cacheWrite * (p.cacheWrite ?? p.input) +
      num(s, GEN_AI.USAGE_OUTPUT_TOKENS) * p.output) /
    1e6
  );
}

describe('client integrations → collector → ClickHouse → promptline metrics --json', () => {
  let home: string;
  let up: RunningUp | undefined;
  let openaiApi: StandIn;
  let anthropicApi: StandIn;
  let spans: SpanCapture | undefined;

  beforeAll(async () => {
    requireBuilt();
    home = await mkdtemp(join(tmpdir(), 'promptline-integrations-'));
    up = await startUp(home);
    openaiApi = await startOpenAIStandIn({
      usage: { input: 1200, output: 80, cacheRead: 1024, reasoning: 16 },
    });
    anthropicApi = await startAnthropicStandIn({
      usage: { input: 5000, output: 120, cacheRead: 4000, cacheWrite: 600 },
    });
  });

  afterAll(async () => {
    await spans?.telemetry.shutdown();
    await up?.stop();
    await openaiApi?.stop();
    await anthropicApi?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('reports exactly the figures the integrations recorded, per version', { timeout: 180_000 }, async () => {
    spans = captureSpans({ endpoint: up!.state.url, apiKey: up!.state.ingestKey, scheduledDelayMillis: 200 });
    const version = (v: number): Prompt =>
      new Prompt(
        { name: PROMPT, version: v, type: 'chat', messages: [{ role: 'user', content: 'Question {{n}}' }] },
        { label: 'production' },
      );
    const ask = (p: Prompt, n: number): OpenAI.ChatCompletionMessageParam[] =>
      p.compileChat({ n: String(n) }).map((m) => ({ role: 'user' as const, content: m.content }));

    // v1: observeOpenAI, chat completions: plain, streamed, one 429 retried, one failure after retries.
    const v1 = version(1);
    const openai = observeOpenAI(new OpenAI({ baseURL: openaiApi.baseURL, apiKey: 'k', maxRetries: 2 }), {
      prompt: v1,
    });
    for (let i = 0; i < 3; i++)
      await openai.chat.completions.create({ model: 'gpt-5.4-mini', messages: ask(v1, i) });
    for (let i = 0; i < 3; i++) {
      openaiApi.script({ usage: { input: 900 + i, output: 40 + i, cacheRead: 512 }, ttftMs: 20 + 10 * i });
      const stream = await openai.chat.completions.create({
        model: 'gpt-5.4-mini',
        messages: ask(v1, i),
        stream: true,
      });
      for await (const chunk of stream) void chunk;
    }
    openaiApi.script({ status: 429 }, {});
    await openai.chat.completions.create({ model: 'gpt-5.4-mini', messages: ask(v1, 9) });
    openaiApi.script({ status: 500 }, { status: 500 }, { status: 500 });
    await expect(
      openai.chat.completions.create({ model: 'gpt-5.4-mini', messages: ask(v1, 10) }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);

    // v2: observeAnthropic: plain and streamed, prompt-cache reads and writes.
    const v2 = version(2);
    const anthropic = observeAnthropic(
      new Anthropic({ baseURL: anthropicApi.baseURL, apiKey: 'k', maxRetries: 2 }),
      {
        prompt: v2,
      },
    );
    for (let i = 0; i < 2; i++)
      await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 300,
        messages: ask(v2, i) as Anthropic.MessageParam[],
      });
    anthropicApi.script({ ttftMs: 40 });
    await anthropic.messages
      .stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 300,
        messages: ask(v2, 5) as Anthropic.MessageParam[],
      })
      .finalMessage();

    // v3: the AI SDK with promptTelemetry: generateText and streamText (chat API).
    const v3 = version(3);
    const provider = createOpenAI({ baseURL: openaiApi.baseURL, apiKey: 'k' });
    await generateText({
      model: provider.chat('gpt-5.4'),
      prompt: 'q',
      experimental_telemetry: promptTelemetry(v3),
    });
    openaiApi.script({ usage: { input: 700, output: 30, cacheRead: 0 }, ttftMs: 30 });
    const streamed = streamText({
      model: provider.chat('gpt-5.4'),
      prompt: 'q',
      experimental_telemetry: promptTelemetry(v3),
    });
    for await (const t of streamed.textStream) void t;

    // v4: LangChain ChatOpenAI with the callback handler, plus two calls to a model without a price.
    const v4 = version(4);
    const chat = new ChatOpenAI({
      model: 'gpt-5.4-nano',
      apiKey: 'k',
      configuration: { baseURL: openaiApi.baseURL },
    });
    await chat.invoke('q', { callbacks: [new PromptlineCallbackHandler({ prompt: v4 })] });
    for await (const c of await chat.stream('q', {
      callbacks: [new PromptlineCallbackHandler({ prompt: v4 })],
    }))
      void c;
    const acme = observeOpenAI(new OpenAI({ baseURL: openaiApi.baseURL, apiKey: 'k' }), { prompt: v4 });
    for (let i = 0; i < 2; i++)
      await acme.chat.completions.create({ model: 'acme-llm-1', messages: ask(v4, i) });

    await spans.telemetry.forceFlush();
    const generations = spans.finished().filter((s) => s.attributes[GEN_AI.PROMPT_NAME] === PROMPT);
    const byVersion = new Map<number, ReadableSpan[]>();
    for (const s of generations) {
      const v = s.attributes[PROMPTLINE.PROMPT_VERSION] as number;
      byVersion.set(v, [...(byVersion.get(v) ?? []), s]);
    }
    expect([...byVersion.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(byVersion.get(1)).toHaveLength(8);
    expect(byVersion.get(2)).toHaveLength(3);
    expect(byVersion.get(3)).toHaveLength(2);
    expect(byVersion.get(4)).toHaveLength(4);

    let report: { versions: ReportVersion[] } | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const run = await runCli(['--dir', home, 'metrics', '--prompt', PROMPT, '--since', '1h', '--json']);
      expect(run.status, run.stderr).toBe(0);
      report = JSON.parse(run.stdout) as { versions: ReportVersion[] };
      if (report.versions.reduce((n, v) => n + v.count, 0) === generations.length) break;
      if (Date.now() > deadline) throw new Error(`after 60 s: ${run.stdout}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    for (const row of report.versions) {
      const list = byVersion.get(row.version)!;
      const what = `v${row.version}`;
      const ok = list.filter((s) => s.status.code !== SpanStatusCode.ERROR);
      expect(row.count, what).toBe(list.length);
      expect(row.errors, what).toBe(list.length - ok.length);
      expect(row.tokens.input, what).toBe(list.reduce((n, s) => n + num(s, GEN_AI.USAGE_INPUT_TOKENS), 0));
      expect(row.tokens.output, what).toBe(list.reduce((n, s) => n + num(s, GEN_AI.USAGE_OUTPUT_TOKENS), 0));
      const costs = list.map(expectedCost);
      const cost = costs.reduce<number>((n, c) => n + (c ?? 0), 0);
      expect(row.costUsd.total, what).toBeCloseTo(cost, 12);
      expect(row.costUsd.unpricedCalls, what).toBe(
        list.filter(
          (s, i) =>
            costs[i] === undefined &&
            num(s, GEN_AI.USAGE_INPUT_TOKENS) + num(s, GEN_AI.USAGE_OUTPUT_TOKENS) > 0,
        ).length,
      );
      const ttfts = list
        .map((s) => s.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK])
        .filter((t): t is number => typeof t === 'number');
      if (ttfts.length === 0) expect(row.ttftMs.mean, what).toBeNull();
      else
        expect(row.ttftMs.mean!, what).toBeCloseTo(
          (ttfts.reduce((a, b) => a + b, 0) / ttfts.length) * 1000,
          3,
        );
    }
    // The workload is shaped so each version shows something: v1 an error, v1-v4 streams, v4 unpriced calls.
    const v = (n: number): ReportVersion => report!.versions.find((r) => r.version === n)!;
    expect(v(1).errors).toBe(1);
    expect(v(2).costUsd.total).toBeGreaterThan(0);
    expect([1, 2, 3, 4].map((n) => v(n).ttftMs.mean === null)).toEqual([false, false, false, false]);
    expect(v(4).costUsd.unpricedCalls).toBe(2);
    expect(v(1).costUsd.unpricedCalls).toBe(0);

    const table = await runCli(['--dir', home, 'metrics', '--prompt', PROMPT, '--since', '1h']);
    expect(table.stdout).toContain('v4: 2 of 4 calls unpriced');
  });
});

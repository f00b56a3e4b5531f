/**
 * Per-call overhead of the client integrations: each wrapper's call against the bare client's call
 * on the same local stand-in API (the real `openai` / `@anthropic-ai/sdk` clients, HTTP on
 * 127.0.0.1), plain and streamed. Calls are interleaved in pairs (wrapped, bare, order alternating);
 * the overhead is the median over rounds of each round's median pair difference, in µs; the HTTP
 * round trip is in both sides of each pair. Spans go through `init()` into a no-op exporter (run.ts
 * sets it up).
 */
import Anthropic from '@anthropic-ai/sdk';
import { observeAnthropic } from '@promptline/sdk/anthropic';
import { observeOpenAI } from '@promptline/sdk/openai';
import { Prompt } from '@promptline/sdk';
import OpenAI from 'openai';

import { startAnthropicStandIn } from '../../test/support/standIns/anthropicStandIn.js';
import { startOpenAIStandIn } from '../../test/support/standIns/openaiStandIn.js';
import { median } from '../support/report.js';

type Call = () => Promise<void>;

async function once(fn: Call): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1000;
}

/**
 * Per-call µs of both sides, and the overhead: calls are paired (one wrapped, one bare, the order
 * alternating), and each round's overhead is the median of its pairs' differences, so load swings
 * that last longer than a pair cancel out; the result is the median over rounds.
 */
async function pair(
  wrapped: Call,
  bare: Call,
  calls: number,
  rounds: number,
): Promise<{ wrapped: number; bare: number; overhead: number }> {
  for (let i = 0; i < Math.min(calls, 50); i++) {
    await wrapped();
    await bare();
  }
  const w: number[] = [];
  const b: number[] = [];
  const d: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ws: number[] = [];
    const bs: number[] = [];
    for (let i = 0; i < calls; i++) {
      if (i % 2 === 0) {
        ws.push(await once(wrapped));
        bs.push(await once(bare));
      } else {
        bs.push(await once(bare));
        ws.push(await once(wrapped));
      }
    }
    w.push(median(ws));
    b.push(median(bs));
    d.push(median(ws.map((v, i) => v - bs[i]!)));
  }
  return { wrapped: median(w), bare: median(b), overhead: median(d) };
}

export async function integrationOverheads(calls: number, rounds: number): Promise<Record<string, number>> {
  const prompt = new Prompt(
    { name: 'bench/prompt', version: 3, type: 'text', template: 'x' },
    { label: 'production' },
  );
  const usage = { input: 120, output: 30, cacheRead: 64 };
  const openaiApi = await startOpenAIStandIn({ usage, text: 'one two three four' });
  const anthropicApi = await startAnthropicStandIn({ usage, text: 'one two three four' });
  const messages = [{ role: 'user' as const, content: 'hello' }];
  try {
    const openai = new OpenAI({ baseURL: openaiApi.baseURL, apiKey: 'k', maxRetries: 0 });
    const observed = observeOpenAI(openai, { prompt });
    const anthropic = new Anthropic({
      baseURL: anthropicApi.baseURL,
      apiKey: 'k',
      maxRetries: 0,
      openTelemetry: false,
    });
    const observedAnthropic = observeAnthropic(anthropic, { prompt });
    const chat =
      (c: OpenAI): Call =>
      async () => {
        await c.chat.completions.create({ model: 'gpt-4o-mini', messages });
      };
    const chatStream =
      (c: OpenAI): Call =>
      async () => {
        // Both sides ask for usage, so they read the same bytes.
        const s = await c.chat.completions.create({
          model: 'gpt-4o-mini',
          messages,
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const chunk of s) void chunk;
      };
    const message =
      (c: Anthropic): Call =>
      async () => {
        await c.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages });
      };
    const messageStream =
      (c: Anthropic): Call =>
      async () => {
        const s = await c.messages.create({
          model: 'claude-sonnet-4-5',
          max_tokens: 50,
          messages,
          stream: true,
        });
        for await (const e of s) void e;
      };
    const results: Record<string, number> = {};
    const round = (n: number): number => Number(n.toFixed(1));
    for (const [key, w, b] of [
      ['openai_chat', chat(observed), chat(openai)],
      ['openai_chat_stream', chatStream(observed), chatStream(openai)],
      ['anthropic_messages', message(observedAnthropic), message(anthropic)],
      ['anthropic_messages_stream', messageStream(observedAnthropic), messageStream(anthropic)],
    ] as const) {
      const r = await pair(w, b, calls, rounds);
      results[`${key}_bare_us`] = round(r.bare);
      results[`${key}_overhead_us`] = round(r.overhead);
    }
    return results;
  } finally {
    await openaiApi.stop();
    await anthropicApi.stop();
  }
}

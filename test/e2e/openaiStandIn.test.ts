import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { correctAnswer, countTokens, startLlmStandIn } from '../../examples/demo/src/llmStandIn.js';
import { DEMO_PROFILES, DEMO_PROMPTS } from '../../examples/demo/src/prompts.js';
import type { StandInServer } from '../../examples/demo/src/llmStandIn.js';

// The demo's OpenAI-compatible stand-in, driven by the real `openai` client: the behaviour the demo's
// per-version differences rest on (latency, TTFT, tokens, quality, errors), streamed and not.
describe('OpenAI-compatible stand-in model (real openai client)', () => {
  let server: StandInServer;
  let openai: OpenAI;

  beforeAll(async () => {
    server = await startLlmStandIn({
      seed: 11,
      profiles: [
        { match: 'FAST', latencyMs: 20, outputTokens: 4, quality: 1 },
        { match: 'SLOW', latencyMs: 300, ttftMs: 150, outputTokens: 30, quality: 0 },
        { match: 'BROKEN', latencyMs: 10, outputTokens: 3, quality: 1, errorRate: 1 },
      ],
    });
    openai = new OpenAI({ baseURL: server.baseURL, apiKey: 'test', maxRetries: 0 });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('answers non-streamed calls per profile, with usage that counts the words', async () => {
    const t0 = performance.now();
    const fast = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be FAST.' },
        { role: 'user', content: 'What is 40 + 2?' },
      ],
    });
    const fastMs = performance.now() - t0;
    const text = fast.choices[0]!.message.content!;
    expect(text.startsWith('42')).toBe(true);
    expect(fast.usage).toEqual({ prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 });
    expect(countTokens(text)).toBe(4);
    expect(fast.model).toBe('gpt-4o-mini');

    const t1 = performance.now();
    const slow = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be SLOW.' },
        { role: 'user', content: 'What is 40 + 2?' },
      ],
    });
    const slowMs = performance.now() - t1;
    expect(slowMs).toBeGreaterThanOrEqual(295);
    expect(slowMs).toBeGreaterThan(fastMs);
    expect(slow.choices[0]!.message.content!.startsWith('43')).toBe(true); // quality 0: wrong on purpose
    expect(slow.usage!.completion_tokens).toBe(30);
  });

  it('streams chunks after the profile TTFT and ends with a usage chunk', async () => {
    const t0 = performance.now();
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be SLOW.' },
        { role: 'user', content: 'Where is my order #4711?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let firstMs: number | undefined;
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        firstMs ??= performance.now() - t0;
        text += delta;
      }
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(firstMs!).toBeGreaterThanOrEqual(145);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
    expect(finish).toBe('stop');
    expect(countTokens(text)).toBe(30);
    expect(usage?.completion_tokens).toBe(30);
    expect(correctAnswer('Where is my order #4711?')).toBe('order #4711');
    expect(text.includes('#4711')).toBe(false); // quality 0
  });

  it('fails as an OpenAI API error when the profile says so, and counts requests per profile', async () => {
    await expect(
      openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'BROKEN' }] }),
    ).rejects.toMatchObject({ status: 500 });
    await expect(openai.chat.completions.create({ model: 'm', messages: [] })).rejects.toMatchObject({
      status: 400,
    });
    expect(server.counts()).toEqual({ FAST: 1, SLOW: 2, BROKEN: 1 });
  });

  it('gives every demo prompt version its own profile (a phrase no other version contains)', () => {
    const texts = DEMO_PROMPTS.map((p) =>
      p.type === 'chat' ? p.messages.map((m) => ('content' in m ? m.content : '')).join('\n') : p.template,
    );
    for (const profile of DEMO_PROFILES) {
      expect(
        texts.filter((t) => t.includes(profile.match)),
        profile.match,
      ).toHaveLength(1);
    }
    const firstMatch = texts.map((t) => DEMO_PROFILES.findIndex((p) => t.includes(p.match)));
    expect(new Set(firstMatch).size).toBe(DEMO_PROMPTS.length);
    expect(firstMatch).not.toContain(-1);
  });
});

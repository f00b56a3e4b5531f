import Anthropic from '@anthropic-ai/sdk';
import { Stream } from '@anthropic-ai/sdk/streaming';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Prompt, withPrompt } from '@promptline/sdk';
import { observeAnthropic } from '@promptline/sdk/anthropic';
import { ERROR_TYPE, GEN_AI, HTTP_RESPONSE_STATUS_CODE, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { captureSpans } from '../support/spanCapture.js';
import type { SpanCapture } from '../support/spanCapture.js';
import { startAnthropicStandIn } from '../support/standIns/anthropicStandIn.js';
import type { StandIn } from '../support/standIns/standInServer.js';

// observeAnthropic with the real @anthropic-ai/sdk client against a local server speaking the
// Messages API (JSON, named server-sent events, error statuses the client retries).

const prompt = new Prompt(
  { name: 'triage', version: 7, type: 'chat', messages: [{ role: 'user', content: 'Triage: {{ticket}}' }] },
  { label: 'canary' },
);
const linked = {
  [GEN_AI.PROMPT_NAME]: 'triage',
  [PROMPTLINE.PROMPT_VERSION]: 7,
  [GEN_AI.PROMPT_VERSION]: '7',
  [PROMPTLINE.PROMPT_HASH]: prompt.hash,
  [PROMPTLINE.PROMPT_LABEL]: 'canary',
};
const messages = prompt.compileChat({ ticket: 'refund' }) as Anthropic.MessageParam[];
// Input 1000 tokens in all: 600 read from the cache, 300 written to it, 100 uncached.
const usage = { input: 1000, output: 40, cacheRead: 600, cacheWrite: 300 };
const usageAttributes = {
  [GEN_AI.USAGE_INPUT_TOKENS]: 1000,
  [GEN_AI.USAGE_OUTPUT_TOKENS]: 40,
  [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: 600,
  [GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS]: 300,
};
const MODEL = 'claude-sonnet-4-5';
const start = {
  [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
  [GEN_AI.OPERATION_NAME]: 'chat',
  [GEN_AI.PROVIDER_NAME]: 'anthropic',
  [GEN_AI.REQUEST_MODEL]: MODEL,
  [GEN_AI.REQUEST_MAX_TOKENS]: 256,
};
const ttft = (s: ReadableSpan): number => s.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK] as number;

describe('observeAnthropic (real @anthropic-ai/sdk client, stand-in Messages API)', () => {
  let api: StandIn;
  let spans: SpanCapture;
  let client: Anthropic;

  beforeAll(async () => {
    api = await startAnthropicStandIn({ usage });
    spans = captureSpans();
    client = new Anthropic({ baseURL: api.baseURL, apiKey: 'test', maxRetries: 2 });
  });
  afterAll(async () => {
    await spans.telemetry.shutdown();
    await api.stop();
  });
  beforeEach(() => {
    spans.reset();
    api.reset();
  });

  it('records a plain message: input tokens including cache reads and writes, cache tokens, id, stop reason', async () => {
    const anthropic: Anthropic = observeAnthropic(client, { prompt });
    const msg = await anthropic.messages.create({ model: MODEL, max_tokens: 256, messages });
    expect(msg.usage.input_tokens).toBe(100); // Anthropic counts the uncached input only
    const span = spans.only();
    expect(span.name).toBe(`chat ${MODEL}`);
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toEqual({
      ...start,
      ...linked,
      ...usageAttributes,
      [GEN_AI.RESPONSE_MODEL]: MODEL,
      [GEN_AI.RESPONSE_ID]: msg.id,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['end_turn'],
    });
  });

  it('streams (stream: true): usage from message_start and message_delta, time to the first content delta', async () => {
    api.script({ usage, ttftMs: 50, chunkDelayMs: 5, text: 'alpha beta gamma', finishReason: 'max_tokens' });
    const stream = await observeAnthropic(client, { prompt }).messages.create({
      model: MODEL,
      max_tokens: 256,
      messages,
      stream: true,
    });
    expect(stream).toBeInstanceOf(Stream);
    const types: string[] = [];
    let id = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') id = event.message.id;
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const span = spans.only();
    expect(ttft(span)).toBeGreaterThanOrEqual(0.045);
    expect(span.attributes).toEqual({
      ...start,
      ...linked,
      ...usageAttributes,
      [GEN_AI.RESPONSE_MODEL]: MODEL,
      [GEN_AI.RESPONSE_ID]: id,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['max_tokens'],
      [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: ttft(span),
    });
  });

  it('records messages.stream() through its events; finalMessage() and the text events keep working', async () => {
    api.script({ usage: { ...usage, reasoning: 12 }, ttftMs: 30 });
    const runner = observeAnthropic(client, { prompt }).messages.stream({
      model: MODEL,
      max_tokens: 256,
      messages,
    });
    const texts: string[] = [];
    runner.on('text', (t) => texts.push(t));
    const final = await runner.finalMessage();
    expect(texts.join('')).toBe('Hello from the stand-in');
    const span = spans.only();
    expect(ttft(span)).toBeGreaterThanOrEqual(0.025);
    expect(span.attributes).toEqual({
      ...start,
      ...linked,
      ...usageAttributes,
      [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: 12,
      [GEN_AI.RESPONSE_MODEL]: MODEL,
      [GEN_AI.RESPONSE_ID]: final.id,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['end_turn'],
      [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: ttft(span),
    });
  });

  it('keeps withResponse() working', async () => {
    const { data, response } = await observeAnthropic(client)
      .messages.create({ model: MODEL, max_tokens: 256, messages })
      .withResponse();
    expect(response.status).toBe(200);
    expect(spans.only().attributes[GEN_AI.RESPONSE_ID]).toBe(data.id);
  });

  it('one span across the client retries (429, 529 overloaded), then an answer', async () => {
    api.script({ status: 429 }, { status: 529 }, { usage });
    await observeAnthropic(client).messages.create({ model: MODEL, max_tokens: 256, messages });
    expect(api.requests).toHaveLength(3);
    const span = spans.only();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(1000);
  });

  it('records the error class and HTTP status when the retries run out, and rethrows the client error', async () => {
    api.script({ status: 529 }, { status: 529 }, { status: 529 });
    const error = await observeAnthropic(client, { prompt })
      .messages.create({ model: MODEL, max_tokens: 256, messages })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as { status?: number }).status).toBe(529);
    const span = spans.only();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toEqual({
      ...start,
      ...linked,
      [ERROR_TYPE]: (error as Error).constructor.name,
      [HTTP_RESPONSE_STATUS_CODE]: 529,
    });
    expect(span.attributes[ERROR_TYPE]).not.toBe('Error');

    spans.reset();
    api.script({ status: 429 }, { status: 429 }, { status: 429 });
    await expect(
      observeAnthropic(client).messages.create({ model: MODEL, max_tokens: 256, messages }),
    ).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    expect(spans.only().attributes).toMatchObject({
      [ERROR_TYPE]: 'RateLimitError',
      [HTTP_RESPONSE_STATUS_CODE]: 429,
    });
  });

  it('records a stream broken by an error event as an error, keeping id and input usage', async () => {
    api.script({ usage, failAfterChunks: 1 });
    const runner = observeAnthropic(client).messages.stream({ model: MODEL, max_tokens: 256, messages });
    await expect(runner.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    const span = spans.only();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[GEN_AI.RESPONSE_ID]).toMatch(/^msg_standin/);
    expect(span.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(1000);
  });

  it('links the withPrompt prompt', async () => {
    await withPrompt(prompt, () =>
      observeAnthropic(client).messages.create({ model: MODEL, max_tokens: 256, messages }),
    );
    expect(spans.only().attributes).toMatchObject(linked);
  });

  it("suppresses the client's own span inside the wrapper (one generation per call, not two)", async () => {
    // The client emits its own GenAI span when a tracer provider is registered; bare, it is there
    // (and withPrompt links it through PromptSpanProcessor) ...
    await withPrompt(prompt, () => client.messages.create({ model: MODEL, max_tokens: 256, messages }));
    const own = spans.only();
    expect(own.name).toBe('anthropic.messages.create');
    expect(own.attributes).toMatchObject({ ...linked, [GEN_AI.OPERATION_NAME]: 'chat' });
    // ... wrapped, only ours is recorded.
    spans.reset();
    await withPrompt(prompt, () =>
      observeAnthropic(client).messages.create({ model: MODEL, max_tokens: 256, messages }),
    );
    expect(spans.finished().map((s) => s.name)).toEqual([`chat ${MODEL}`]);
  });
});

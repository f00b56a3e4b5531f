import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Prompt, withPrompt } from '@promptline/sdk';
import { generationOf, observeOpenAI } from '@promptline/sdk/openai';
import { ERROR_TYPE, GEN_AI, HTTP_RESPONSE_STATUS_CODE, PROMPTLINE } from '@promptline/semconv';
import OpenAI from 'openai';
import { Stream } from 'openai/streaming';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { captureSpans } from '../support/spanCapture.js';
import type { SpanCapture } from '../support/spanCapture.js';
import { startOpenAIStandIn } from '../support/standIns/openaiStandIn.js';
import type { StandIn } from '../support/standIns/standInServer.js';

// observeOpenAI with the real `openai` client against a local server speaking the OpenAI API
// (JSON, server-sent events, error statuses the client retries). Each test asserts the exact span.

const prompt = new Prompt(
  {
    name: 'support-reply',
    version: 4,
    type: 'chat',
    messages: [
      { role: 'system', content: 'You answer tickets.' },
      { role: 'user', content: '{{ticket}}' },
    ],
  },
  { label: 'production' },
);
const linked = {
  [GEN_AI.PROMPT_NAME]: 'support-reply',
  [PROMPTLINE.PROMPT_VERSION]: 4,
  [GEN_AI.PROMPT_VERSION]: '4',
  [PROMPTLINE.PROMPT_HASH]: prompt.hash,
  [PROMPTLINE.PROMPT_LABEL]: 'production',
};
const messages = prompt.compileChat({ ticket: 'where is my order' }) as OpenAI.ChatCompletionMessageParam[];
const usage = { input: 120, output: 30, cacheRead: 64, reasoning: 8 };
const usageAttributes = {
  [GEN_AI.USAGE_INPUT_TOKENS]: 120,
  [GEN_AI.USAGE_OUTPUT_TOKENS]: 30,
  [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: 64,
  [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: 8,
};

function base(model: string): Record<string, unknown> {
  return {
    [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
    [GEN_AI.OPERATION_NAME]: 'chat',
    [GEN_AI.PROVIDER_NAME]: 'openai',
    [GEN_AI.REQUEST_MODEL]: model,
  };
}

const ttft = (s: ReadableSpan): number => s.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK] as number;

describe('observeOpenAI (real openai client, stand-in OpenAI API)', () => {
  let api: StandIn;
  let spans: SpanCapture;
  let client: OpenAI;

  beforeAll(async () => {
    api = await startOpenAIStandIn({ usage });
    spans = captureSpans();
    client = new OpenAI({ baseURL: api.baseURL, apiKey: 'test', maxRetries: 2 });
  });
  afterAll(async () => {
    await spans.telemetry.shutdown();
    await api.stop();
  });
  beforeEach(() => {
    spans.reset();
    api.reset();
  });

  it('records a plain chat completion: models, usage with cached and reasoning tokens, id, finish reason, prompt link', async () => {
    const openai: OpenAI = observeOpenAI(client, { prompt });
    const res = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      temperature: 0.2,
      max_tokens: 50,
    });
    expect(res.choices[0]!.message.content).toBe('Hello from the stand-in');
    const span = spans.only();
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      ...base('gpt-4o-mini'),
      ...linked,
      ...usageAttributes,
      [GEN_AI.REQUEST_TEMPERATURE]: 0.2,
      [GEN_AI.REQUEST_MAX_TOKENS]: 50,
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4o-mini-2025-01-01',
      [GEN_AI.RESPONSE_ID]: res.id,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
    });
    expect(res.id).toMatch(/^chatcmpl-standin/);
  });

  it('streams: asks for the usage chunk, hides it from the caller, records usage and time to first chunk', async () => {
    api.script({ usage, ttftMs: 60, chunkDelayMs: 5, text: 'one two three' });
    const openai = observeOpenAI(client, { prompt });
    const t0 = performance.now();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    expect(stream).toBeInstanceOf(Stream);
    const seen: OpenAI.ChatCompletionChunk[] = [];
    let text = '';
    for await (const chunk of stream) {
      seen.push(chunk);
      text += chunk.choices[0]!.delta.content ?? '';
    }
    const elapsed = (performance.now() - t0) / 1000;
    expect(text).toBe('one two three');
    expect(seen.every((c) => c.choices.length === 1)).toBe(true); // no usage-only chunk reached the caller
    expect(api.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    const span = spans.only();
    expect(ttft(span)).toBeGreaterThanOrEqual(0.055);
    expect(ttft(span)).toBeLessThan(elapsed);
    expect(span.attributes).toEqual({
      ...base('gpt-4o-mini'),
      ...linked,
      ...usageAttributes,
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4o-mini-2025-01-01',
      [GEN_AI.RESPONSE_ID]: seen[0]!.id,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
      [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: ttft(span),
    });
  });

  it('passes the usage chunk on when the caller asked for it, and sends stream_options unchanged', async () => {
    const stream = await observeOpenAI(client).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.prompt_tokens).toBe(120);
    expect(spans.only().attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(120);
  });

  it('with streamUsage: false sends no stream_options and records no tokens', async () => {
    const stream = await observeOpenAI(client, { streamUsage: false }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    for await (const chunk of stream) expect(chunk.choices).toHaveLength(1);
    expect(api.requests[0]!.body.stream_options).toBeUndefined();
    expect(spans.only().attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBeUndefined();
    expect(spans.only().attributes[GEN_AI.RESPONSE_FINISH_REASONS]).toEqual(['stop']);
  });

  it('keeps withResponse() working for plain and streamed calls', async () => {
    const openai = observeOpenAI(client);
    const plain = await openai.chat.completions.create({ model: 'gpt-4o', messages }).withResponse();
    expect(plain.response.status).toBe(200);
    expect(plain.data.choices[0]!.message.content).toBe('Hello from the stand-in');
    const streamed = await openai.chat.completions
      .create({ model: 'gpt-4o', messages, stream: true })
      .withResponse();
    expect(streamed.response.headers.get('content-type')).toBe('text/event-stream');
    let n = 0;
    for await (const chunk of streamed.data) n += chunk.choices.length;
    expect(n).toBeGreaterThan(0);
    const [first, second] = spans.finished();
    expect(first!.attributes[GEN_AI.RESPONSE_ID]).toBe(plain.data.id);
    expect(second!.attributes[GEN_AI.USAGE_OUTPUT_TOKENS]).toBe(30);
    expect(second!.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeTypeOf('number');
  });

  it('tee() splits an observed stream; the span ends once, when the stream is read to the end', async () => {
    const stream = await observeOpenAI(client).chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
    });
    const [left, right] = stream.tee();
    const read = async (s: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<string> => {
      let t = '';
      for await (const c of s) t += c.choices[0]?.delta.content ?? '';
      return t;
    };
    expect(await read(left)).toBe('Hello from the stand-in');
    expect(await read(right)).toBe('Hello from the stand-in');
    expect(spans.finished()).toHaveLength(1);
    expect(spans.only().attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(120);
  });

  it('marks a stream the caller stopped reading as abandoned, with what it had seen', async () => {
    api.script({ usage, text: 'a b c d e f' });
    const stream = await observeOpenAI(client).chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
    });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content === ' b') break;
    const span = spans.only();
    expect(span.attributes[PROMPTLINE.STREAM_ABANDONED]).toBe(true);
    expect(span.attributes[GEN_AI.RESPONSE_ID]).toMatch(/^chatcmpl-standin/);
    expect(span.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a Responses API call, plain and streamed', async () => {
    const openai = observeOpenAI(client, { prompt });
    const res = await openai.responses.create({
      model: 'gpt-4.1',
      input: 'hello there',
      max_output_tokens: 64,
    });
    expect(res.output_text).toBe('Hello from the stand-in');
    expect(spans.only().attributes).toEqual({
      ...base('gpt-4.1'),
      ...linked,
      ...usageAttributes,
      [GEN_AI.REQUEST_MAX_TOKENS]: 64,
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4.1-2025-01-01',
      [GEN_AI.RESPONSE_ID]: res.id,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['completed'],
    });
    spans.reset();
    api.script({ usage, ttftMs: 40, finishReason: 'incomplete' });
    const stream = await openai.responses.create({ model: 'gpt-4.1', input: 'hello', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.incomplete');
    const span = spans.only();
    expect(ttft(span)).toBeGreaterThanOrEqual(0.035);
    expect(span.attributes).toEqual({
      ...base('gpt-4.1'),
      ...linked,
      ...usageAttributes,
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4.1-2025-01-01',
      [GEN_AI.RESPONSE_ID]: span.attributes[GEN_AI.RESPONSE_ID],
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['max_output_tokens'],
      [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: ttft(span),
    });
    expect(span.attributes[GEN_AI.RESPONSE_ID]).toMatch(/^resp_standin/);
  });

  it('records the .stream() helpers (chat completions and responses) through their events', async () => {
    const openai = observeOpenAI(client, { prompt });
    api.script({ usage, ttftMs: 30 });
    const runner = openai.chat.completions.stream({ model: 'gpt-4o-mini', messages });
    const deltas: string[] = [];
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(deltas.join('')).toBe('Hello from the stand-in');
    expect(api.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    let span = spans.only();
    expect(ttft(span)).toBeGreaterThanOrEqual(0.025);
    expect(span.attributes).toMatchObject({ ...linked, ...usageAttributes, [GEN_AI.RESPONSE_ID]: final.id });
    expect(span.attributes[GEN_AI.RESPONSE_FINISH_REASONS]).toEqual(['stop']);

    spans.reset();
    const rs = openai.responses.stream({ model: 'gpt-4.1', input: 'hi' });
    const response = await rs.finalResponse();
    span = spans.only();
    expect(span.attributes).toMatchObject({
      ...linked,
      ...usageAttributes,
      [GEN_AI.RESPONSE_ID]: response.id,
    });
    expect(ttft(span)).toBeTypeOf('number');
    expect(api.requests).toHaveLength(2);
  });

  it('generationOf() finds the generation of a completion, a stream and a stream helper', async () => {
    const openai = observeOpenAI(client, { prompt });
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    const gen = generationOf(res)!;
    expect(gen.spanId).toBe(spans.only().spanContext().spanId);
    expect(gen.traceId).toBe(spans.only().spanContext().traceId);
    spans.reset();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    for await (const c of stream) void c;
    expect(generationOf(stream)!.spanId).toBe(spans.only().spanContext().spanId);
    spans.reset();
    const runner = openai.chat.completions.stream({ model: 'gpt-4o', messages });
    await runner.done();
    expect(generationOf(runner)!.spanId).toBe(spans.only().spanContext().spanId);
    expect(generationOf({})).toBeUndefined();
  });

  it('chat.completions.parse is recorded once', async () => {
    const res = await observeOpenAI(client).chat.completions.parse({ model: 'gpt-4o', messages });
    expect(res.choices[0]!.message.content).toBe('Hello from the stand-in');
    expect(spans.only().attributes[GEN_AI.RESPONSE_ID]).toBe(res.id);
  });

  it('one span across the client retries: a 429 then an answer is one successful generation', async () => {
    api.script({ status: 429 }, { status: 500 }, { usage });
    const t0 = performance.now();
    const res = await observeOpenAI(client).chat.completions.create({ model: 'gpt-4o', messages });
    expect(res.usage?.prompt_tokens).toBe(120);
    expect(api.requests).toHaveLength(3);
    expect(api.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
    const span = spans.only();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[ERROR_TYPE]).toBeUndefined();
    expect(span.duration[0] * 1000 + span.duration[1] / 1e6).toBeLessThanOrEqual(performance.now() - t0 + 1);
  });

  it('records the error class and HTTP status when the retries run out, and rethrows the client error', async () => {
    api.script({ status: 500 }, { status: 500 }, { status: 500 });
    const call = observeOpenAI(client, { prompt }).chat.completions.create({ model: 'gpt-4o', messages });
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(api.requests).toHaveLength(3);
    const span = spans.only();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    expect(span.attributes).toEqual({
      ...base('gpt-4o'),
      ...linked,
      [ERROR_TYPE]: 'InternalServerError',
      [HTTP_RESPONSE_STATUS_CODE]: 500,
    });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);

    spans.reset();
    api.script({ status: 429 }, { status: 429 }, { status: 429 });
    await expect(
      observeOpenAI(client).chat.completions.create({ model: 'gpt-4o', messages }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(spans.only().attributes).toMatchObject({
      [ERROR_TYPE]: 'RateLimitError',
      [HTTP_RESPONSE_STATUS_CODE]: 429,
    });
  });

  it('records a stream that breaks mid-way as an error, keeping its id', async () => {
    api.script({ failAfterChunks: 2, text: 'a b c d' });
    const stream = await observeOpenAI(client).chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
    });
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) got.push(c.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    const span = spans.only();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ERROR_TYPE]).toBe('APIError');
    expect(span.attributes[GEN_AI.RESPONSE_ID]).toMatch(/^chatcmpl-standin/);
    expect(ttft(span)).toBeTypeOf('number');
  });

  it('links the withPrompt prompt; an explicit prompt wins; a fallback is never linked to a version', async () => {
    const other = new Prompt({ name: 'other', version: 2, type: 'text', template: 'x' });
    const fallback = new Prompt(
      { name: 'support-reply', version: 1, type: 'text', template: 'x' },
      { isFallback: true },
    );
    await withPrompt(other, () =>
      observeOpenAI(client).chat.completions.create({ model: 'gpt-4o', messages }),
    );
    await withPrompt(other, () =>
      observeOpenAI(client, { prompt }).chat.completions.create({ model: 'gpt-4o', messages }),
    );
    await observeOpenAI(client, { prompt: fallback }).chat.completions.create({ model: 'gpt-4o', messages });
    await observeOpenAI(client).chat.completions.create({ model: 'gpt-4o', messages });
    const [ctx, explicit, fb, none] = spans.finished();
    expect([ctx!.attributes[GEN_AI.PROMPT_NAME], ctx!.attributes[PROMPTLINE.PROMPT_VERSION]]).toEqual([
      'other',
      2,
    ]);
    expect(explicit!.attributes).toMatchObject(linked);
    expect(fb!.attributes[PROMPTLINE.PROMPT_FALLBACK]).toBe(true);
    expect(fb!.attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
    expect(fb!.attributes[PROMPTLINE.PROMPT_VERSION]).toBeUndefined();
    expect(fb!.attributes[GEN_AI.PROMPT_VERSION]).toBeUndefined();
    expect(none!.attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
  });

  it('keeps the rest of the client as it was (other resources, options, withOptions)', async () => {
    const openai = observeOpenAI(client, { name: 'answer' });
    expect(openai.apiKey).toBe('test');
    expect(openai.baseURL).toBe(api.baseURL);
    const faster = openai.withOptions({ maxRetries: 0 });
    api.script({ status: 429 });
    await expect(faster.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    expect(api.requests).toHaveLength(1);
    expect(spans.only('answer').attributes[ERROR_TYPE]).toBe('RateLimitError');
  });
});

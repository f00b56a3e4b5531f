import { ChatOpenAI } from '@langchain/openai';
import { SpanStatusCode } from '@opentelemetry/api';
import { Prompt, withPrompt } from '@promptline/sdk';
import { PromptlineCallbackHandler } from '@promptline/sdk/langchain';
import { ERROR_TYPE, GEN_AI, HTTP_RESPONSE_STATUS_CODE, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { captureSpans } from '../support/spanCapture.js';
import type { SpanCapture } from '../support/spanCapture.js';
import { startOpenAIStandIn } from '../support/standIns/openaiStandIn.js';
import type { StandIn } from '../support/standIns/standInServer.js';

// LangChain.js (`@langchain/core` + `@langchain/openai`'s ChatOpenAI) against the OpenAI stand-in,
// with PromptlineCallbackHandler: one linked generation span per chat-model call.

const prompt = new Prompt(
  { name: 'agent-step', version: 5, type: 'chat', messages: [{ role: 'user', content: '{{q}}' }] },
  { label: 'production' },
);
const linked = {
  [GEN_AI.PROMPT_NAME]: 'agent-step',
  [PROMPTLINE.PROMPT_VERSION]: 5,
  [GEN_AI.PROMPT_VERSION]: '5',
  [PROMPTLINE.PROMPT_HASH]: prompt.hash,
  [PROMPTLINE.PROMPT_LABEL]: 'production',
};
const usage = { input: 120, output: 30, cacheRead: 64, reasoning: 8 };
const base = {
  [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
  [GEN_AI.OPERATION_NAME]: 'chat',
  [GEN_AI.PROVIDER_NAME]: 'openai',
  [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
  [GEN_AI.REQUEST_TEMPERATURE]: 0.3,
};
const figures = {
  [GEN_AI.USAGE_INPUT_TOKENS]: 120,
  [GEN_AI.USAGE_OUTPUT_TOKENS]: 30,
  [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: 64,
  [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: 8,
  [GEN_AI.RESPONSE_MODEL]: 'gpt-4o-mini-2025-01-01',
  [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
};

describe('PromptlineCallbackHandler (LangChain.js ChatOpenAI, stand-in OpenAI API)', () => {
  let api: StandIn;
  let spans: SpanCapture;
  let model: ChatOpenAI;

  beforeAll(async () => {
    api = await startOpenAIStandIn({ usage });
    spans = captureSpans();
    model = new ChatOpenAI({
      model: 'gpt-4o-mini',
      apiKey: 'test',
      temperature: 0.3,
      maxRetries: 2,
      configuration: { baseURL: api.baseURL },
    });
  });
  afterAll(async () => {
    await spans.telemetry.shutdown();
    await api.stop();
  });
  beforeEach(() => {
    spans.reset();
    api.reset();
  });

  it('records invoke(): provider and model from LangChain, usage_metadata, response id', async () => {
    const messages = prompt.compileChat({ q: 'hi' }).map((m) => [m.role, m.content] as [string, string]);
    const answer = await model.invoke(messages, {
      callbacks: [new PromptlineCallbackHandler({ prompt })],
    });
    const span = spans.only('chat gpt-4o-mini');
    expect(span.attributes).toEqual({ ...base, ...linked, ...figures, [GEN_AI.RESPONSE_ID]: answer.id });
  });

  it('records stream(): time to the first token', async () => {
    api.script({ usage, ttftMs: 40, chunkDelayMs: 5 });
    let text = '';
    for await (const chunk of await model.stream('hi', {
      callbacks: [new PromptlineCallbackHandler({ prompt })],
    }))
      text += String(chunk.content);
    expect(text).toBe('Hello from the stand-in');
    const span = spans.only();
    const ttft = span.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK] as number;
    expect(ttft).toBeGreaterThanOrEqual(0.035);
    expect(span.attributes).toEqual({
      ...base,
      ...linked,
      ...figures,
      [GEN_AI.RESPONSE_ID]: span.attributes[GEN_AI.RESPONSE_ID],
      [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: ttft,
    });
    expect(span.attributes[GEN_AI.RESPONSE_ID]).toMatch(/^chatcmpl-standin/);
  });

  it('links the withPrompt prompt of the calling code', async () => {
    await withPrompt(prompt, () => model.invoke('hi', { callbacks: [new PromptlineCallbackHandler()] }));
    expect(spans.only().attributes).toMatchObject(linked);
  });

  it('records a failure after the retries with error.type and HTTP status', async () => {
    api.script({ status: 500 }, { status: 500 }, { status: 500 });
    await expect(
      model.invoke('hi', { callbacks: [new PromptlineCallbackHandler({ prompt })] }),
    ).rejects.toMatchObject({ status: 500 });
    expect(api.requests).toHaveLength(3);
    const span = spans.only();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toEqual({
      ...base,
      ...linked,
      [ERROR_TYPE]: 'InternalServerError',
      [HTTP_RESPONSE_STATUS_CODE]: 500,
    });
  });
});

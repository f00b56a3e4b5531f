import { createOpenAI } from '@ai-sdk/openai';
import { SpanStatusCode } from '@opentelemetry/api';
import { Prompt, withPrompt, withVariant } from '@promptline/sdk';
import { promptTelemetry } from '@promptline/sdk/ai';
import { ERROR_TYPE, GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { captureSpans } from '../support/spanCapture.js';
import type { SpanCapture } from '../support/spanCapture.js';
import { startOpenAIStandIn } from '../support/standIns/openaiStandIn.js';
import type { StandIn } from '../support/standIns/standInServer.js';

// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) against the OpenAI stand-in, with
// `experimental_telemetry: promptTelemetry(prompt)`: the model-call spans carry the same link and
// figures as our own generations.

const prompt = new Prompt(
  { name: 'summarize', version: 3, type: 'text', template: 'Summarize: {{text}}' },
  { label: 'production' },
);
const linked = {
  [GEN_AI.PROMPT_NAME]: 'summarize',
  [PROMPTLINE.PROMPT_VERSION]: 3,
  [GEN_AI.PROMPT_VERSION]: '3',
  [PROMPTLINE.PROMPT_HASH]: prompt.hash,
  [PROMPTLINE.PROMPT_LABEL]: 'production',
};
const usage = { input: 120, output: 30, cacheRead: 64, reasoning: 8 };
const figures = {
  [GEN_AI.USAGE_INPUT_TOKENS]: 120,
  [GEN_AI.USAGE_OUTPUT_TOKENS]: 30,
  [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: 64,
  [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: 8,
  [GEN_AI.PROVIDER_NAME]: 'openai',
  [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
};

describe('promptTelemetry (Vercel AI SDK, stand-in OpenAI API)', () => {
  let api: StandIn;
  let spans: SpanCapture;
  let provider: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    api = await startOpenAIStandIn({ usage });
    spans = captureSpans();
    provider = createOpenAI({ baseURL: api.baseURL, apiKey: 'test' });
  });
  afterAll(async () => {
    await spans.telemetry.shutdown();
    await api.stop();
  });
  beforeEach(() => {
    spans.reset();
    api.reset();
  });

  it('links generateText (chat API): the doGenerate span has the prompt, usage, cache and reasoning tokens', async () => {
    const { text, response } = await generateText({
      model: provider.chat('gpt-4o-mini'),
      prompt: prompt.compile({ text: 'a long text' }) as string,
      experimental_telemetry: promptTelemetry(prompt),
    });
    expect(text).toBe('Hello from the stand-in');
    const span = spans.only('ai.generateText.doGenerate');
    expect(span.attributes).toMatchObject({
      ...linked,
      ...figures,
      [GEN_AI.RESPONSE_ID]: response.id,
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4o-mini-2025-01-01',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
      'ai.telemetry.metadata.promptName': 'summarize',
      'ai.telemetry.metadata.promptVersion': 3,
    });
    // The outer span is not a model call: not linked, not a generation.
    const outer = spans.only('ai.generateText');
    expect(outer.attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
    expect(outer.attributes[PROMPTLINE.OBSERVATION_TYPE]).toBeUndefined();
    // Prompts and answers are not recorded unless capture is on.
    expect(span.attributes['ai.prompt.messages']).toBeUndefined();
    expect(span.attributes['ai.response.text']).toBeUndefined();
  });

  it('links streamText (responses API): time to first chunk from ai.response.msToFirstChunk, in seconds', async () => {
    api.script({ usage, ttftMs: 40, text: 'one two three' });
    const result = streamText({
      model: provider('gpt-4.1'),
      prompt: 'hello',
      experimental_telemetry: promptTelemetry(prompt),
    });
    let text = '';
    for await (const t of result.textStream) text += t;
    expect(text).toBe('one two three');
    const span = spans.only('ai.streamText.doStream');
    const ms = span.attributes['ai.response.msToFirstChunk'] as number;
    expect(ms).toBeGreaterThanOrEqual(35);
    expect(span.attributes).toMatchObject({
      ...linked,
      ...figures,
      // the same instant in seconds (float rounding aside)
      [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: expect.closeTo(ms / 1000, 12) as number,
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4.1-2025-01-01',
    });
  });

  it('without a prompt links the withPrompt prompt and the withVariant arm; a fallback is never linked', async () => {
    await withVariant({ experiment: 'exp', arm: 'b', label: 'variant-b' }, () =>
      withPrompt(prompt, () =>
        generateText({
          model: provider.chat('gpt-4o-mini'),
          prompt: 'x',
          experimental_telemetry: promptTelemetry(),
        }),
      ),
    );
    expect(spans.only('ai.generateText.doGenerate').attributes).toMatchObject({
      ...linked,
      [PROMPTLINE.EXPERIMENT_NAME]: 'exp',
      [PROMPTLINE.EXPERIMENT_ARM]: 'b',
    });
    spans.reset();
    const fallback = new Prompt(
      { name: 'summarize', version: 1, type: 'text', template: 'x' },
      { isFallback: true },
    );
    const settings = promptTelemetry(fallback);
    expect(settings.metadata).toEqual({});
    await generateText({
      model: provider.chat('gpt-4o-mini'),
      prompt: 'x',
      experimental_telemetry: settings,
    });
    const span = spans.only('ai.generateText.doGenerate');
    expect(span.attributes[PROMPTLINE.PROMPT_FALLBACK]).toBe(true);
    expect(span.attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
  });

  it("records each of the AI SDK's own retry attempts as a span; a failed one with error.type", async () => {
    api.script({ status: 429 }, { usage });
    await generateText({
      model: provider.chat('gpt-4o-mini'),
      prompt: 'x',
      experimental_telemetry: promptTelemetry(prompt),
    });
    const calls = spans.finished().filter((s) => s.name === 'ai.generateText.doGenerate');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(calls[0]!.attributes[ERROR_TYPE]).toBe('AI_APICallError');
    expect(calls[1]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(calls[1]!.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(120);
  });
});

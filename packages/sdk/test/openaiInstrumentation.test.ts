import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type * as OpenAIModule from 'openai';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Prompt, observe, parsePromptData, withPrompt } from '@promptline/sdk';
import { setupTelemetry } from './support/telemetry.js';

const t = setupTelemetry();
// The real instrumentation patches `openai` when Node's CommonJS loader loads it.
const instrumentation = new OpenAIInstrumentation();
const require = createRequire(import.meta.url);
const { OpenAI } = require('openai') as typeof OpenAIModule;

// A local stand-in for the OpenAI API: answers chat completions, at most 50 requests.
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const params = JSON.parse(body) as { model: string };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${requests}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: `${params.model}-2025`,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'billing' } }],
        usage: { prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 },
      }),
    );
    if (requests >= 50) server.close();
  });
});
let client: InstanceType<typeof OpenAI>;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({
    apiKey: 'test-key',
    baseURL: `http://127.0.0.1:${port}/v1`,
    maxRetries: 0,
    timeout: 5000,
  });
});
afterAll(() => {
  instrumentation.disable();
  server.close();
});
beforeEach(() => t.spans.reset());

const prompt = new Prompt(
  parsePromptData({ name: 'support/triage', version: 4, template: 'Classify: {{ticket}}' }),
  {
    label: 'production',
  },
);

async function ask(): Promise<string | null | undefined> {
  const res = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: prompt.compileText({ ticket: 'refund please' }) }],
  });
  return res.choices[0]?.message.content;
}

function openaiSpan(): ReturnType<typeof t.byName> {
  return t.byName('chat gpt-4o-mini');
}

describe('withPrompt reaches spans made by @opentelemetry/instrumentation-openai', () => {
  it('stamps the prompt on the instrumentation span', async () => {
    expect(await withPrompt(prompt, ask)).toBe('billing');
    const s = openaiSpan();
    // The span really is the instrumentation's (its own attributes are present).
    expect(s.instrumentationScope.name).toBe('@opentelemetry/instrumentation-openai');
    expect(s.attributes[GEN_AI.OPERATION_NAME]).toBe('chat');
    expect(s.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(21);
    expect(s.attributes).toMatchObject({
      [GEN_AI.PROMPT_NAME]: 'support/triage',
      [PROMPTLINE.PROMPT_VERSION]: 4,
      [PROMPTLINE.PROMPT_LABEL]: 'production',
      [PROMPTLINE.PROMPT_HASH]: prompt.hash,
    });
  });

  it('leaves the span unlinked outside withPrompt', async () => {
    await ask();
    expect(openaiSpan().attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
  });

  it('a fallback prompt only sets the fallback flag', async () => {
    const fallback = new Prompt(
      { name: 'support/triage', version: 0, type: 'text', template: 'x' },
      { isFallback: true },
    );
    await withPrompt(fallback, ask);
    const a = openaiSpan().attributes;
    expect(a[PROMPTLINE.PROMPT_FALLBACK]).toBe(true);
    expect(a[GEN_AI.PROMPT_NAME]).toBeUndefined();
    expect(a[PROMPTLINE.PROMPT_VERSION]).toBeUndefined();
  });

  it('nests under an observe() span and is linked through the enclosing withPrompt', async () => {
    const handler = observe(ask, { name: 'handle-ticket' });
    await withPrompt(prompt, handler);
    const outer = t.byName('handle-ticket');
    const s = openaiSpan();
    expect(s.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(s.attributes[PROMPTLINE.PROMPT_VERSION]).toBe(4);
    expect(outer.attributes[PROMPTLINE.PROMPT_VERSION]).toBeUndefined();
  });

  it("observe() keeps openai's APIPromise: withResponse() still works", async () => {
    const create = observe(
      () =>
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      { name: 'create-with-response', asType: 'generation', model: 'gpt-4o-mini' },
    );
    const { data, response } = await create().withResponse();
    expect(data.choices[0]?.message.content).toBe('billing');
    expect(response.status).toBe(200);
    expect(t.byName('create-with-response').ended).toBe(true);
    // Awaiting the wrapper itself still resolves to the parsed completion.
    const awaited = await create();
    expect(awaited.id).toMatch(/^chatcmpl-/);
    expect(t.spans.getFinishedSpans().filter((x) => x.name === 'create-with-response')).toHaveLength(2);
  });
});

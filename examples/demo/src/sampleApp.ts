import type OpenAI from 'openai';
import type { PromptClient } from '@promptline/sdk';
import { score } from '@promptline/sdk';
import { generationOf, observeOpenAI } from '@promptline/sdk/openai';

/**
 * The sample LLM app: a math tutor and a customer-support responder. Each call resolves its prompt
 * through a label (`production` or `canary`), calls the model with the real `openai` client wrapped
 * by `observeOpenAI` (one line records the generation: prompt version, model, usage, time to first
 * token when streamed), plus scores on the answer: `correct` right away, and for support replies a `user-rating` that arrives
 * later, sent with only the span's ids (as feedback from another process would be).
 */
export interface AppDeps {
  openai: OpenAI;
  prompts: PromptClient;
}

export interface CallOutcome {
  prompt: string;
  version: number;
  label: string;
  ok: boolean;
  correct: boolean;
  streamed: boolean;
}

interface Answer {
  text: string;
  traceId: string;
  spanId: string;
}

function toOpenAiMessage(m: { role: string; content: string }): OpenAI.ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content };
    case 'assistant':
      return { role: 'assistant', content: m.content };
    default:
      return { role: 'user', content: m.content };
  }
}

async function generate(
  deps: AppDeps,
  promptName: string,
  label: string,
  vars: Record<string, string>,
  stream: boolean,
  expected: string,
): Promise<{ outcome: CallOutcome; answer?: Answer }> {
  const prompt = await deps.prompts.get(promptName, { label });
  const messages = prompt.compileChat(vars).map(toOpenAiMessage);
  const model = typeof prompt.config.model === 'string' ? prompt.config.model : 'gpt-4o-mini';
  const temperature = typeof prompt.config.temperature === 'number' ? prompt.config.temperature : undefined;
  const base = { prompt: promptName, version: prompt.version, label, streamed: stream };
  // One line: every call of this client is a generation linked to the prompt version, with model,
  // usage, finish reason and (streamed) time to first token recorded from the response.
  const openai = observeOpenAI(deps.openai, { prompt, name: promptName });
  try {
    let text = '';
    let handle: object;
    if (stream) {
      const chunks = await openai.chat.completions.create({ model, messages, temperature, stream: true });
      for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
      handle = chunks;
    } else {
      const completion = await openai.chat.completions.create({ model, messages, temperature });
      text = completion.choices[0]?.message.content ?? '';
      handle = completion;
    }
    const gen = generationOf(handle);
    gen?.score('correct', text.includes(expected), { source: 'demo-checker' });
    const answer = gen === undefined ? undefined : { text, traceId: gen.traceId, spanId: gen.spanId };
    return { outcome: { ...base, ok: true, correct: text.includes(expected) }, answer };
  } catch {
    // The model call failed (the stand-in answers some requests with HTTP 500): the generation
    // recorded the error; the app shows an apology and carries on.
    return { outcome: { ...base, ok: false, correct: false } };
  }
}

/** "What is A + B?" through the `math-tutor` prompt (non-streamed). */
export async function askMath(deps: AppDeps, label: string, a: number, b: number): Promise<CallOutcome> {
  const { outcome } = await generate(
    deps,
    'math-tutor',
    label,
    { a: String(a), b: String(b) },
    false,
    String(a + b),
  );
  return outcome;
}

/** A support ticket about order `order` through the `support-reply` prompt (streamed). */
export async function answerTicket(deps: AppDeps, label: string, order: number): Promise<CallOutcome> {
  const ticket = `Hello, my order #${order} has not arrived yet. Where is it?`;
  const { outcome, answer } = await generate(deps, 'support-reply', label, { ticket }, true, `#${order}`);
  if (answer !== undefined) {
    // Later feedback from the customer, recorded against the span by its ids only.
    score({ traceId: answer.traceId, spanId: answer.spanId }, 'user-rating', outcome.correct ? 5 : 2, {
      source: 'user-feedback',
    });
  }
  return outcome;
}

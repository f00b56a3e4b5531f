import type OpenAI from 'openai';
import type { PromptClient } from '@promptline/sdk';
import { score, startActiveGeneration } from '@promptline/sdk';

/**
 * The sample LLM app: a math tutor and a customer-support responder. Each call resolves its prompt
 * through a label (`production` or `canary`), calls the model with the real `openai` client, and
 * records a generation (prompt version, model, usage, time to first token when streamed) plus
 * scores on the answer: `correct` right away, and for support replies a `user-rating` that arrives
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
  try {
    const answer = await startActiveGeneration(
      promptName,
      { prompt, model, provider: 'openai', operation: 'chat' },
      async (gen): Promise<Answer> => {
        let text = '';
        let usage: OpenAI.CompletionUsage | undefined;
        let responseModel = model;
        let finish: string | undefined;
        if (stream) {
          const chunks = await deps.openai.chat.completions.create({
            model,
            messages,
            temperature,
            stream: true,
            stream_options: { include_usage: true },
          });
          for await (const chunk of chunks) {
            const choice = chunk.choices[0];
            if (choice?.delta.content) {
              gen.markFirstChunk();
              text += choice.delta.content;
            }
            if (choice?.finish_reason) finish = choice.finish_reason;
            if (chunk.usage) usage = chunk.usage;
            responseModel = chunk.model;
          }
        } else {
          const completion = await deps.openai.chat.completions.create({ model, messages, temperature });
          text = completion.choices[0]?.message.content ?? '';
          finish = completion.choices[0]?.finish_reason;
          usage = completion.usage;
          responseModel = completion.model;
        }
        gen.update({
          responseModel,
          usage: { inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens },
          ...(finish === undefined ? {} : { finishReasons: [finish] }),
        });
        gen.score('correct', text.includes(expected), { source: 'demo-checker' });
        return { text, traceId: gen.traceId, spanId: gen.spanId };
      },
    );
    return { outcome: { ...base, ok: true, correct: answer.text.includes(expected) }, answer };
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

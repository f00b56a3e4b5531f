import type { Attributes, Context } from '@opentelemetry/api';
import { context, createContextKey } from '@opentelemetry/api';
import type { Prompt } from '@promptline/prompt';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';

const PROMPT_KEY = createContextKey('promptline.prompt');

const cache = new WeakMap<Prompt, Attributes>();
const FALLBACK_ATTRIBUTES: Attributes = Object.freeze({ [PROMPTLINE.PROMPT_FALLBACK]: true });

/**
 * The span attributes that link a span to a prompt version (computed once per prompt object):
 * `gen_ai.prompt.name` and `gen_ai.prompt.version` (the GenAI conventions' attributes, the version as a
 * string), `promptline.prompt.version` (the same version as a number), `promptline.prompt.hash`, and
 * `promptline.prompt.label` when the prompt was fetched by label.
 * A fallback prompt yields only `promptline.prompt.fallback: true` — no name, version or hash, so it
 * can never be counted as a real version.
 *
 * @example
 * ```ts
 * span.setAttributes(promptAttributes(prompt)); // on a span you manage yourself
 * ```
 */
export function promptAttributes(prompt: Prompt): Attributes {
  if (prompt.isFallback) return FALLBACK_ATTRIBUTES;
  let attrs = cache.get(prompt);
  if (attrs === undefined) {
    attrs = {
      [GEN_AI.PROMPT_NAME]: prompt.name,
      // The standard attribute (a string) for any OpenTelemetry reader, and ours (a number).
      [GEN_AI.PROMPT_VERSION]: String(prompt.version),
      [PROMPTLINE.PROMPT_VERSION]: prompt.version,
      [PROMPTLINE.PROMPT_HASH]: prompt.hash,
    };
    if (prompt.label !== undefined) attrs[PROMPTLINE.PROMPT_LABEL] = prompt.label;
    Object.freeze(attrs);
    cache.set(prompt, attrs);
  }
  return attrs;
}

/** @internal the prompt `withPrompt` put in `ctx`, if any. */
export function promptFromContext(ctx: Context): Prompt | undefined {
  return ctx.getValue(PROMPT_KEY) as Prompt | undefined;
}

/**
 * Runs `fn` with `prompt` as the current prompt: every GenAI span started inside — by `observe()`,
 * `startActiveGeneration()` or third-party instrumentations such as `@opentelemetry/instrumentation-openai`
 * (through {@link PromptSpanProcessor}) — carries the prompt's attributes, unless that span names a
 * prompt itself. A fallback prompt is recorded only as `promptline.prompt.fallback: true`.
 *
 * @example
 * ```ts
 * const prompt = await prompts.get('support/triage');
 * const reply = await withPrompt(prompt, () =>
 *   openai.chat.completions.create({ model: 'gpt-4o-mini', messages: prompt.compileChat(vars) }),
 * );
 * ```
 */
export function withPrompt<T>(prompt: Prompt, fn: () => T): T {
  return context.with(context.active().setValue(PROMPT_KEY, prompt), fn);
}

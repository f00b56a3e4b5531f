import type { Attributes, AttributeValue, Context, Span, SpanOptions } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { Prompt } from '@promptline/prompt';
import { ERROR_TYPE, GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { logger } from '../logger.js';
import type { ScoreOptions } from '../scores.js';
import { score as recordScore } from '../scores.js';
import type { ValidationResult } from '../validation.js';
import { validateOutput } from '../validation.js';
import { recordCapture } from './capture.js';
import { promptAttributes, promptFromContext } from './promptContext.js';
import { getTracer, settings } from './settings.js';
import { variantAttributes, variantFromContext } from './variantContext.js';

/** Token usage of one generation (OpenTelemetry GenAI `gen_ai.usage.*`). */
export interface Usage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
  readonly reasoningOutputTokens?: number;
}

/** What a generation learns while it runs; every field is optional. */
export interface GenerationUpdate {
  /** Requested model (`gen_ai.request.model`). */
  readonly model?: string;
  /** Model that answered (`gen_ai.response.model`). */
  readonly responseModel?: string;
  /** Provider (`gen_ai.provider.name`): `openai`, `anthropic`, … */
  readonly provider?: string;
  readonly responseId?: string;
  readonly usage?: Usage;
  /** Cost in US dollars: a total, or its parts (`total` defaults to input + output). */
  readonly costUsd?: number | { readonly total?: number; readonly input?: number; readonly output?: number };
  readonly finishReasons?: readonly string[];
  /** Recorded (masked, truncated) when given explicitly. */
  readonly input?: unknown;
  /** Recorded (masked, truncated) when given explicitly. */
  readonly output?: unknown;
  /** Links the span to this prompt version (a fallback is recorded only as the fallback flag). */
  readonly prompt?: Prompt;
  /** Extra span attributes. */
  readonly attributes?: Attributes;
}

/** Options when a generation (or span) starts. */
export interface GenerationOptions {
  /** Requested model (`gen_ai.request.model`). */
  readonly model?: string;
  /** Provider (`gen_ai.provider.name`). */
  readonly provider?: string;
  /** `gen_ai.operation.name`. Default `chat`. */
  readonly operation?: string;
  /** The prompt used. Without it, the prompt of the enclosing `withPrompt` (if any) is linked. */
  readonly prompt?: Prompt;
  /** Record the function's input. Default: the process setting (`init({ captureInput })`, off). */
  readonly captureInput?: boolean;
  /** Record the function's output. Default: the process setting (`init({ captureOutput })`, off). */
  readonly captureOutput?: boolean;
  /** Extra span attributes set at start. */
  readonly attributes?: Attributes;
}

function set(span: Span, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined) span.setAttribute(key, value);
}

/** @internal applies an update to a span; never throws. */
export function applyUpdate(span: Span, u: GenerationUpdate): void {
  try {
    set(span, GEN_AI.REQUEST_MODEL, u.model);
    set(span, GEN_AI.RESPONSE_MODEL, u.responseModel);
    set(span, GEN_AI.PROVIDER_NAME, u.provider);
    set(span, GEN_AI.RESPONSE_ID, u.responseId);
    const usage = u.usage;
    if (usage !== undefined) {
      set(span, GEN_AI.USAGE_INPUT_TOKENS, usage.inputTokens);
      set(span, GEN_AI.USAGE_OUTPUT_TOKENS, usage.outputTokens);
      set(span, GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheReadInputTokens);
      set(span, GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS, usage.cacheWriteInputTokens);
      set(span, GEN_AI.USAGE_REASONING_OUTPUT_TOKENS, usage.reasoningOutputTokens);
    }
    const cost = u.costUsd;
    if (typeof cost === 'number') set(span, PROMPTLINE.COST_USD, cost);
    else if (cost !== undefined) {
      set(span, PROMPTLINE.COST_INPUT_USD, cost.input);
      set(span, PROMPTLINE.COST_OUTPUT_USD, cost.output);
      const total =
        cost.total ??
        (cost.input !== undefined || cost.output !== undefined
          ? (cost.input ?? 0) + (cost.output ?? 0)
          : undefined);
      set(span, PROMPTLINE.COST_USD, total);
    }
    if (u.finishReasons !== undefined)
      span.setAttribute(GEN_AI.RESPONSE_FINISH_REASONS, [...u.finishReasons]);
    if (u.prompt !== undefined) span.setAttributes(promptAttributes(u.prompt));
    if (u.attributes !== undefined) span.setAttributes(u.attributes);
    if (u.input !== undefined) recordCapture(span, 'input', u.input);
    if (u.output !== undefined) recordCapture(span, 'output', u.output);
  } catch (err) {
    logger.debug('update failed:', err);
  }
}

/** @internal records the user's error on the span and ends it; never throws. */
export function endWithError(span: Span, err: unknown): void {
  try {
    if (!span.isRecording()) return;
    const e = err instanceof Error ? err : undefined;
    span.setAttribute(ERROR_TYPE, e !== undefined ? e.name || e.constructor.name : typeof err);
    if (e !== undefined) span.recordException(e);
    span.setStatus({ code: SpanStatusCode.ERROR, message: e !== undefined ? e.message : String(err) });
    span.end();
  } catch (failure) {
    logger.debug('ending a span failed:', failure);
  }
}

/** @internal ends a span after success, capturing `value` when asked; never throws. */
export function endWithValue(span: Span, value: unknown, capture: boolean): void {
  try {
    if (!span.isRecording()) return;
    if (capture) recordCapture(span, 'output', value);
    span.end();
  } catch (failure) {
    logger.debug('ending a span failed:', failure);
  }
}

/** @internal the attributes every generation starts with (built once per `observe()`). */
export function startAttributes(asType: 'generation' | 'span', o: GenerationOptions): Attributes {
  const attrs: Attributes = { ...o.attributes, [PROMPTLINE.OBSERVATION_TYPE]: asType };
  if (asType === 'generation') {
    attrs[GEN_AI.OPERATION_NAME] = o.operation ?? 'chat';
    if (o.model !== undefined) attrs[GEN_AI.REQUEST_MODEL] = o.model;
    if (o.provider !== undefined) attrs[GEN_AI.PROVIDER_NAME] = o.provider;
  }
  if (o.prompt !== undefined) Object.assign(attrs, promptAttributes(o.prompt));
  return attrs;
}

/**
 * @internal starts a span with the given options; a generation (`linkContextPrompt`) also gets the
 * context prompt (if none is explicit) and the context experiment arm.
 */
export function startSpan(
  name: string,
  spanOptions: SpanOptions,
  explicitPrompt: boolean,
  parent: Context,
  linkContextPrompt: boolean,
): Span {
  const span = getTracer().startSpan(name, spanOptions, parent);
  if (!linkContextPrompt) return span;
  let linked = spanOptions.attributes ?? {};
  if (!explicitPrompt) {
    const p = promptFromContext(parent);
    if (p !== undefined) {
      const attrs = promptAttributes(p);
      span.setAttributes(attrs);
      linked = { ...linked, ...attrs };
    }
  }
  const variant = variantFromContext(parent);
  if (variant !== undefined) span.setAttributes(variantAttributes(variant, linked));
  return span;
}

/** @internal what a handle needs to know about its span, shared by every handle on that span. */
export interface SpanState {
  /** `performance.now()` when the span started. */
  readonly startedAt: number;
  /** The prompt the span was started with (explicit, or from `withPrompt`). */
  readonly prompt: Prompt | undefined;
  firstChunk: boolean;
}

const spanStates = new WeakMap<Span, SpanState>();

/** @internal remembers the start time and prompt of a span we started (for `getActiveGeneration()`). */
export function rememberSpan(span: Span, startedAt: number, prompt: Prompt | undefined): SpanState {
  const state: SpanState = { startedAt, prompt, firstChunk: false };
  spanStates.set(span, state);
  return state;
}

/**
 * @internal the state of a span: what {@link rememberSpan} stored, else (a span someone else
 * started) its start time as recorded on the span and the prompt of `ctx`.
 */
export function spanStateOf(span: Span, ctx: Context): SpanState {
  const known = spanStates.get(span);
  if (known !== undefined) return known;
  const startTime = (span as Partial<{ startTime: [number, number] }>).startTime;
  const startedAt = Array.isArray(startTime)
    ? performance.now() - Math.max(0, Date.now() - hrTimeToMilliseconds(startTime))
    : performance.now();
  return rememberSpan(span, startedAt, promptFromContext(ctx));
}

/**
 * A generation in progress: a handle on its span. All methods are safe to call at any time; calls
 * after `end()` are ignored.
 *
 * @example
 * ```ts
 * const gen = startGeneration('draft-reply', { model: 'gpt-4o-mini', prompt });
 * try {
 *   const res = await callModel();
 *   gen.update({ usage: { inputTokens: 120, outputTokens: 40 }, costUsd: 0.0004, output: res.text });
 * } finally {
 *   gen.end();
 * }
 * ```
 */
export class Generation {
  /** The underlying OpenTelemetry span. */
  readonly span: Span;
  readonly #state: SpanState;

  /** @internal */
  constructor(span: Span, state: SpanState) {
    this.span = span;
    this.#state = state;
  }

  /** Trace id of the generation's span (32 hex characters), e.g. to attach a score later. */
  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** Span id of the generation's span (16 hex characters). */
  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  /** Records model, usage, cost, output, … on the span. */
  update(update: GenerationUpdate): this {
    if (this.span.isRecording()) applyUpdate(this.span, update);
    return this;
  }

  /**
   * Records `gen_ai.response.time_to_first_chunk` (seconds since the span started) the first time
   * it is called on this span (through any handle).
   */
  markFirstChunk(): void {
    if (this.#state.firstChunk || !this.span.isRecording()) return;
    this.#state.firstChunk = true;
    this.span.setAttribute(
      GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK,
      (performance.now() - this.#state.startedAt) / 1000,
    );
  }

  /** Scores this generation (see the standalone `score`). Returns the score id. */
  score(name: string, value: number | string | boolean, options?: ScoreOptions): string | undefined {
    return recordScore(this.span.spanContext(), name, value, options);
  }

  /**
   * Validates structured output against `schema` (default: the generation's prompt's output schema)
   * and records the result on this span.
   */
  validate(output: unknown, schema?: Readonly<Record<string, unknown>>): ValidationResult {
    const s = schema ?? this.#state.prompt?.outputSchema;
    if (s === undefined) return { valid: true, value: output, errors: [] };
    return validateOutput(s, output, this.span);
  }

  /** Records an error (status ERROR, `error.type`, exception event) and ends the generation. */
  fail(error: unknown): void {
    endWithError(this.span, error);
  }

  /** Ends the generation (idempotent), optionally with a last update. */
  end(update?: GenerationUpdate): void {
    if (!this.span.isRecording()) return;
    if (update !== undefined) applyUpdate(this.span, update);
    try {
      this.span.end();
    } catch (err) {
      logger.debug('ending a span failed:', err);
    }
  }

  /**
   * Ends the generation when a `using` block exits (TypeScript 5.2+ explicit resource management),
   * as `end()` does. A disposer is not told why the block exits: a thrown error still ends the span
   * as OK unless it was recorded first with `fail(error)` (see the README, "using").
   */
  [Symbol.dispose](): void {
    this.end();
  }

  /** `await using` form of {@link Generation[Symbol.dispose]}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.end();
    return Promise.resolve();
  }
}

/**
 * Starts a generation span that is NOT made active: end it yourself with `end()` (or `fail()`).
 * Parent: the active span, or `options.parent`.
 *
 * @example
 * ```ts
 * const gen = startGeneration('chat', { model: 'gpt-4o-mini', prompt, input: messages });
 * stream.on('data', () => gen.markFirstChunk());
 * stream.on('end', () => gen.end({ usage }));
 * stream.on('error', (err) => gen.fail(err));
 * ```
 */
export function startGeneration(
  name: string,
  options: GenerationOptions & { readonly input?: unknown; readonly parent?: Context } = {},
): Generation {
  const parent = options.parent ?? context.active();
  const span = startSpan(
    name,
    { kind: SpanKind.CLIENT, attributes: startAttributes('generation', options) },
    options.prompt !== undefined,
    parent,
    true,
  );
  const state = rememberSpan(span, performance.now(), options.prompt ?? promptFromContext(parent));
  if (options.input !== undefined) recordCapture(span, 'input', options.input);
  return new Generation(span, state);
}

/** @internal whether output should be captured for these options. */
export function captureOutputFor(o: GenerationOptions): boolean {
  return o.captureOutput ?? settings.captureOutput;
}

import type { Context, Span, SpanOptions } from '@opentelemetry/api';
import { INVALID_SPAN_CONTEXT, SpanKind, context, trace } from '@opentelemetry/api';
import { logger } from '../logger.js';
import { recordCapture } from './capture.js';
import type { GenerationOptions, GenerationUpdate } from './Generation.js';
import {
  Generation,
  applyUpdate,
  captureOutputFor,
  endWithError,
  endWithValue,
  rememberSpan,
  spanStateOf,
  startAttributes,
  startGeneration,
  startSpan,
} from './Generation.js';
import { promptFromContext } from './promptContext.js';
import { settings } from './settings.js';
import { instrumentStream, isAsyncIterable } from './stream.js';

/** Options of {@link observe} and {@link observed}. */
export interface ObserveOptions extends GenerationOptions {
  /** Span name. Default: the function's name (or the method name for the decorator). */
  readonly name?: string;
  /** `generation` (a GenAI call: `gen_ai.operation.name`, model, prompt link) or `span`. Default `span`. */
  readonly asType?: 'generation' | 'span';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

function isNativePromise(p: object): boolean {
  return Object.getPrototypeOf(p) === Promise.prototype;
}

/**
 * @internal A promise subclass or custom thenable (e.g. `openai`'s `APIPromise`, with `withResponse()`
 * and `asResponse()`) stays itself: awaiting it (`then`/`catch`/`finally`) goes through `settled` (the
 * span ends, streams are instrumented), every other property is the original object's.
 */
function keepExtras(original: object, settled: PromiseLike<unknown>): object {
  const chained = Promise.resolve(settled);
  // The caller may never await the wrapper itself (only `withResponse()`); a rejection is theirs to
  // handle there, so this chain must not surface as an unhandled rejection.
  chained.catch(() => undefined);
  return new Proxy(original, {
    get(target, key) {
      if (key === 'then' || key === 'catch' || key === 'finally') {
        const own = Reflect.get(chained, key) as unknown;
        return typeof own === 'function' ? (own as AnyFunction).bind(chained) : own;
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as AnyFunction).bind(target) : value;
    },
  });
}

/** @internal runs `fn` inside `span` and ends the span on every path; the user's outcome is unchanged. */
function runInSpan<R>(span: Span, parent: Context, captureOutput: boolean, fn: () => R): R {
  const startedAt = performance.now();
  let result: R;
  try {
    result = context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    endWithError(span, err);
    throw err;
  }
  if (result !== null && typeof result === 'object') {
    if (typeof (result as { then?: unknown }).then === 'function') {
      const settled = (result as unknown as PromiseLike<unknown>).then(
        (value) => {
          if (value !== null && typeof value === 'object' && isAsyncIterable(value)) {
            return instrumentStream(value, span, startedAt, captureOutput);
          }
          endWithValue(span, value, captureOutput);
          return value;
        },
        (err: unknown) => {
          endWithError(span, err);
          throw err;
        },
      );
      return (isNativePromise(result) ? settled : keepExtras(result, settled)) as R;
    }
    if (isAsyncIterable(result)) return instrumentStream(result, span, startedAt, captureOutput) as R;
  }
  endWithValue(span, result, captureOutput);
  return result;
}

/**
 * Wraps a function so every call runs in a span (a generation with `asType: 'generation'`). Works
 * for sync functions, async functions, and functions returning async iterables/streams (time to
 * first chunk recorded; the span ends when the stream completes, throws, or the consumer stops
 * early). Return values, thrown errors and `this` are passed through unchanged; telemetry failures
 * are logged, never thrown.
 *
 * @example
 * ```ts
 * const answer = observe(
 *   async (question: string) => {
 *     const res = await openai.chat.completions.create({ model, messages: prompt.compileChat({ question }) });
 *     updateActiveGeneration({ usage: { inputTokens: res.usage?.prompt_tokens, outputTokens: res.usage?.completion_tokens } });
 *     return res.choices[0]?.message.content;
 *   },
 *   { name: 'answer', asType: 'generation', prompt, model },
 * );
 * ```
 */
export function observe<F extends AnyFunction>(fn: F, options: ObserveOptions = {}): F {
  const name = options.name ?? (fn.name !== '' ? fn.name : 'observation');
  const asType = options.asType ?? 'span';
  const spanOptions: SpanOptions = {
    kind: asType === 'generation' ? SpanKind.CLIENT : SpanKind.INTERNAL,
    attributes: startAttributes(asType, options),
  };
  const explicitPrompt = options.prompt !== undefined;
  const isGeneration = asType === 'generation';
  // getActiveGeneration() finds a span's start time on the span and its prompt in the context
  // (withPrompt), lazily. An explicit prompt is remembered per span only where that lookup would
  // get validate() wrong: it has an output schema, or a withPrompt prompt is around to shadow it.
  // The common per-call path pays for no bookkeeping.
  const explicitSchema = options.prompt?.outputSchema !== undefined;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    let span: Span;
    let parent: Context;
    try {
      parent = context.active();
      span = startSpan(name, spanOptions, explicitPrompt, parent, isGeneration);
      if (explicitPrompt && (explicitSchema || promptFromContext(parent) !== undefined))
        rememberSpan(span, performance.now(), options.prompt);
      if (options.captureInput ?? settings.captureInput)
        recordCapture(span, 'input', args.length === 1 ? args[0] : args);
    } catch (err) {
      logger.debug('observe: starting a span failed:', err);
      return fn.apply(this, args) as unknown;
    }
    return runInSpan(span, parent, options.captureOutput ?? settings.captureOutput, () =>
      fn.apply(this, args),
    );
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  return wrapped as F;
}

/** A method decorator usable with TypeScript standard (TC39) decorators and `experimentalDecorators`. */
export interface ObservedDecorator {
  /** Standard (TC39) decorators. */
  <M extends AnyFunction>(method: M, context: ClassMethodDecoratorContext): M;
  /** `experimentalDecorators`. */
  <M>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M>;
}

/**
 * Method decorator form of {@link observe}: works with TypeScript standard (TC39) decorators and
 * with `experimentalDecorators`, keeping `this`, return values, thrown errors and the method's type.
 * The span name defaults to the method name.
 *
 * @example
 * ```ts
 * class Assistant {
 *   @observed({ asType: 'generation', model: 'gpt-4o-mini' })
 *   async reply(question: string): Promise<string> { … }
 * }
 * ```
 */
export function observed(options: ObserveOptions = {}): ObservedDecorator {
  return function decorate(target: unknown, key: unknown, descriptor?: PropertyDescriptor): unknown {
    if (typeof key === 'object' && key !== null && 'kind' in key) {
      const ctx = key as ClassMethodDecoratorContext;
      return observe(target as AnyFunction, { ...options, name: options.name ?? String(ctx.name) });
    }
    if (descriptor !== undefined && typeof descriptor.value === 'function') {
      descriptor.value = observe(descriptor.value as AnyFunction, {
        ...options,
        name: options.name ?? String(key as string | symbol),
      });
      return descriptor;
    }
    logger.warn('@observed() applies to methods only; left undecorated:', String(key));
    return descriptor;
  } as ObservedDecorator;
}

/**
 * Runs `fn` inside a new, active generation span and passes it the {@link Generation} handle. The
 * span ends when `fn` returns, its promise settles, or its returned stream finishes — unless `fn`
 * ended it already. Errors are recorded and re-thrown unchanged.
 *
 * @example
 * ```ts
 * const text = await startActiveGeneration('summarize', { model: 'gpt-4o-mini', prompt }, async (gen) => {
 *   const res = await callModel();
 *   gen.update({ usage: { inputTokens: 812, outputTokens: 96 }, costUsd: 0.0002 });
 *   return res.text;
 * });
 * ```
 */
export function startActiveGeneration<T>(
  name: string,
  options: GenerationOptions & { readonly input?: unknown },
  fn: (generation: Generation) => T,
): T {
  let gen: Generation;
  let parent: Context;
  try {
    parent = context.active();
    gen = startGeneration(name, { ...options, parent });
  } catch (err) {
    logger.debug('startActiveGeneration: starting a span failed:', err);
    const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return fn(new Generation(span, rememberSpan(span, performance.now(), undefined)));
  }
  return runInSpan(gen.span, parent, captureOutputFor(options), () => fn(gen));
}

/**
 * Applies an update to the active span (inside `observe()`, `startActiveGeneration()` or any
 * active span); does nothing when there is none.
 *
 * @example
 * ```ts
 * updateActiveGeneration({ model: 'gpt-4o-mini', usage: { inputTokens: 10, outputTokens: 3 } });
 * ```
 */
export function updateActiveGeneration(update: GenerationUpdate): void {
  const span = trace.getActiveSpan();
  if (span !== undefined && span.isRecording()) applyUpdate(span, update);
}

/**
 * A handle on the active span (for `update`, `score`, `validate`, `markFirstChunk`), or `undefined`.
 * It knows the prompt the span was started with (`observe({ prompt })` or `withPrompt`), so
 * `validate()` uses that prompt's output schema, and `markFirstChunk()` measures from the span's start.
 *
 * @example
 * ```ts
 * getActiveGeneration()?.score('grounded', true, { source: 'heuristic' });
 * ```
 */
export function getActiveGeneration(): Generation | undefined {
  const span = trace.getActiveSpan();
  return span === undefined ? undefined : new Generation(span, spanStateOf(span, context.active()));
}

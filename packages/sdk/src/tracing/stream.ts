import type { Span } from '@opentelemetry/api';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { logger } from '../logger.js';
import { recordCapture } from './capture.js';
import { endWithError, endWithValue } from './Generation.js';

const MAX_CAPTURED_CHUNKS = 1000;

/** @internal `true` for async iterables (streams, async generators, SDK stream objects). */
export function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * @internal Wraps a stream so the span records time to first chunk and ends when the stream
 * completes, throws, or is abandoned (`return()`: e.g. `break` in `for await`). The result is a
 * Proxy over the original object, so its other methods and `instanceof` keep working.
 */
export function instrumentStream<T extends AsyncIterable<unknown>>(
  source: T,
  span: Span,
  startedAt: number,
  captureOutput: boolean,
): T {
  let first = true;
  let finished = false;
  const chunks: unknown[] | undefined = captureOutput ? [] : undefined;
  const finish = (error: unknown, failed: boolean, abandoned: boolean): void => {
    if (finished) return;
    finished = true;
    if (failed) {
      endWithError(span, error);
      return;
    }
    try {
      if (abandoned) span.setAttribute(PROMPTLINE.STREAM_ABANDONED, true);
      if (chunks !== undefined) recordCapture(span, 'output', chunks);
    } catch (err) {
      logger.debug('stream bookkeeping failed:', err);
    }
    endWithValue(span, undefined, false);
  };
  const onChunk = (chunk: unknown): void => {
    try {
      if (first) {
        first = false;
        span.setAttribute(GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - startedAt) / 1000);
      }
      if (chunks !== undefined && chunks.length < MAX_CAPTURED_CHUNKS) chunks.push(chunk);
    } catch (err) {
      logger.debug('stream bookkeeping failed:', err);
    }
  };
  const wrap = (it: AsyncIterator<unknown>): AsyncIterableIterator<unknown> => ({
    next(...args: [] | [unknown]) {
      let p: Promise<IteratorResult<unknown>>;
      try {
        p = it.next(...args);
      } catch (err) {
        finish(err, true, false);
        throw err;
      }
      return Promise.resolve(p).then(
        (r) => {
          if (r.done === true) finish(undefined, false, false);
          else onChunk(r.value);
          return r;
        },
        (err: unknown) => {
          finish(err, true, false);
          throw err;
        },
      );
    },
    return(value?: unknown) {
      finish(undefined, false, true);
      return typeof it.return === 'function'
        ? it.return(value)
        : Promise.resolve({ done: true as const, value });
    },
    throw(error?: unknown) {
      finish(error, true, false);
      return typeof it.throw === 'function' ? it.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  });
  const isIterator = typeof (source as { next?: unknown }).next === 'function';
  let own: AsyncIterableIterator<unknown> | undefined;
  return new Proxy(source, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) {
        return () =>
          isIterator
            ? (own ??= wrap(target as unknown as AsyncIterator<unknown>))
            : wrap(target[Symbol.asyncIterator]());
      }
      if (isIterator && (prop === 'next' || prop === 'return' || prop === 'throw')) {
        own ??= wrap(target as unknown as AsyncIterator<unknown>);
        const method = own[prop]!;
        return method.bind(own);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

import type { Span } from '@opentelemetry/api';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { logger } from '../logger.js';
import { recordCapture } from './capture.js';
import { endWithError } from './Generation.js';

const MAX_CAPTURED_CHUNKS = 1000;

/** @internal `true` for async iterables (streams, async generators, SDK stream objects). */
export function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * Span bookkeeping of one stream. Built in its own scope so that it references neither the stream
 * nor the objects handed to the consumer: the finalization registry below holds it while waiting
 * for those objects to be collected.
 */
class StreamTracker {
  first = true;
  finished = false;
  /** Epoch milliseconds of the last sign of life (start, or the last chunk). */
  lastActivity = performance.timeOrigin + performance.now();
  /** Consumer-facing objects (the stream proxy, iterators) not yet garbage-collected. */
  live = 0;
  readonly chunks: unknown[] | undefined;

  constructor(
    readonly span: Span,
    readonly startedAt: number,
    captureOutput: boolean,
  ) {
    this.chunks = captureOutput ? [] : undefined;
  }

  onChunk(chunk: unknown): void {
    try {
      const now = performance.now();
      this.lastActivity = performance.timeOrigin + now;
      if (this.first) {
        this.first = false;
        this.span.setAttribute(GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK, (now - this.startedAt) / 1000);
      }
      if (this.chunks !== undefined && this.chunks.length < MAX_CAPTURED_CHUNKS) this.chunks.push(chunk);
    } catch (err) {
      logger.debug('stream bookkeeping failed:', err);
    }
  }

  /** Ends the span once: with the error, or OK (flagged abandoned when the consumer left early). */
  finish(error: unknown, failed: boolean, abandoned: boolean, endTime?: number): void {
    if (this.finished) return;
    this.finished = true;
    if (failed) {
      endWithError(this.span, error);
      return;
    }
    try {
      if (!this.span.isRecording()) return;
      if (abandoned) this.span.setAttribute(PROMPTLINE.STREAM_ABANDONED, true);
      if (this.chunks !== undefined) recordCapture(this.span, 'output', this.chunks);
      this.span.end(endTime);
    } catch (err) {
      logger.debug('ending a stream span failed:', err);
    }
  }
}

/**
 * A stream the consumer dropped without finishing or `return()`-ing it: once every object we
 * handed out is garbage-collected, end the span as abandoned, at the time of its last chunk.
 */
const dropped = new FinalizationRegistry<StreamTracker>((tracker) => {
  tracker.live--;
  if (tracker.live <= 0) tracker.finish(undefined, false, true, tracker.lastActivity);
});

function track<T extends object>(tracker: StreamTracker, handedOut: T): T {
  tracker.live++;
  dropped.register(handedOut, tracker);
  return handedOut;
}

function wrapIterator(tracker: StreamTracker, it: AsyncIterator<unknown>): AsyncIterableIterator<unknown> {
  return {
    next(...args: [] | [unknown]) {
      let p: Promise<IteratorResult<unknown>>;
      try {
        p = it.next(...args);
      } catch (err) {
        tracker.finish(err, true, false);
        throw err;
      }
      return Promise.resolve(p).then(
        (r) => {
          if (r.done === true) tracker.finish(undefined, false, false);
          else tracker.onChunk(r.value);
          return r;
        },
        (err: unknown) => {
          tracker.finish(err, true, false);
          throw err;
        },
      );
    },
    return(value?: unknown) {
      tracker.finish(undefined, false, true);
      return typeof it.return === 'function'
        ? it.return(value)
        : Promise.resolve({ done: true as const, value });
    },
    throw(error?: unknown) {
      tracker.finish(error, true, false);
      return typeof it.throw === 'function' ? it.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * @internal Wraps a stream so the span records time to first chunk and ends when the stream
 * completes, throws, or is abandoned (`return()`, e.g. `break` in `for await`; or dropped and
 * garbage-collected). The result is a Proxy over the original object, so its other methods and
 * `instanceof` keep working.
 */
export function instrumentStream<T extends AsyncIterable<unknown>>(
  source: T,
  span: Span,
  startedAt: number,
  captureOutput: boolean,
): T {
  const tracker = new StreamTracker(span, startedAt, captureOutput);
  const isIterator = typeof (source as { next?: unknown }).next === 'function';
  let own: AsyncIterableIterator<unknown> | undefined;
  const ownIterator = (target: T): AsyncIterableIterator<unknown> =>
    (own ??= track(tracker, wrapIterator(tracker, target as unknown as AsyncIterator<unknown>)));
  const proxy = new Proxy(source, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) {
        return () =>
          isIterator
            ? ownIterator(target)
            : track(tracker, wrapIterator(tracker, target[Symbol.asyncIterator]()));
      }
      if (isIterator && (prop === 'next' || prop === 'return' || prop === 'throw')) {
        const it = ownIterator(target);
        return it[prop]!.bind(it);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return track(tracker, proxy);
}

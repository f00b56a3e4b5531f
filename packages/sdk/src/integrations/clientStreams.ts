import { logger } from '../logger.js';
import type { CallOutcome, ClientCall } from './clientCall.js';
import { rec, runInCall } from './clientCall.js';

/** Watches the items of one streamed response. */
export interface StreamWatcher<T> {
  /** Sees every item; returns `false` to hide it from the consumer (a usage chunk only we asked for). */
  item(item: T): boolean;
  /** What the stream has told so far (read at its end, or when the consumer stops early). */
  outcome(): CallOutcome;
}

/**
 * The life of one observed stream. It references neither the stream nor the iterators handed to
 * the consumer: the finalization registry holds it while waiting for those to be collected.
 */
class StreamLife<T> {
  /** Consumer-facing objects (the stream, its iterators) not yet garbage-collected. */
  live = 0;
  /** Epoch milliseconds of the last sign of life (start, or the last item). */
  lastActivity = performance.timeOrigin + performance.now();

  constructor(
    readonly call: ClientCall,
    readonly watcher: StreamWatcher<T>,
  ) {}

  outcome(): CallOutcome {
    try {
      return this.watcher.outcome();
    } catch (err) {
      logger.debug('reading a stream outcome failed:', err);
      return {};
    }
  }
}

/**
 * A stream the consumer dropped without finishing or `return()`-ing it: once every object we
 * handed out is garbage-collected, end the span as abandoned, at the time of its last item.
 */
const dropped = new FinalizationRegistry<StreamLife<unknown>>((life) => {
  life.live--;
  if (life.live <= 0) life.call.succeed(life.outcome(), true, life.lastActivity);
});

function track<T extends object>(life: StreamLife<unknown>, handedOut: T): T {
  life.live++;
  dropped.register(handedOut, life);
  return handedOut;
}

function observeIterator<T>(life: StreamLife<T>, it: AsyncIterator<T>): AsyncIterableIterator<T> {
  const { call } = life;
  const pull = (args: [] | [unknown]): Promise<IteratorResult<T>> =>
    Promise.resolve(it.next(...args)).then(
      (r) => {
        if (r.done === true) {
          call.succeed(life.outcome());
          return r;
        }
        life.lastActivity = performance.timeOrigin + performance.now();
        let keep = true;
        try {
          keep = life.watcher.item(r.value);
        } catch (err) {
          logger.debug('stream bookkeeping failed:', err);
        }
        return keep ? r : pull([]);
      },
      (err: unknown) => {
        call.fail(err, life.outcome());
        throw err;
      },
    );
  return {
    next(...args: [] | [unknown]) {
      try {
        return pull(args);
      } catch (err) {
        call.fail(err, life.outcome());
        throw err;
      }
    },
    return(value?: unknown) {
      call.succeed(life.outcome(), true);
      return typeof it.return === 'function'
        ? Promise.resolve(it.return(value))
        : Promise.resolve({ done: true as const, value: value as T });
    },
    throw(error?: unknown) {
      call.fail(error, life.outcome());
      return typeof it.throw === 'function' ? Promise.resolve(it.throw(error)) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

type StreamConstructor = new (
  iterator: () => AsyncIterator<unknown>,
  controller: AbortController,
  client?: unknown,
) => object;

/**
 * @internal Observes a client library's `Stream` (OpenAI's and Anthropic's SDKs share the shape:
 * `new Stream(iterator, controller, client)`, async-iterable, `tee()`, `toReadableStream()`,
 * `controller`). The result is a new `Stream` of the same class over an observed iterator, so
 * `instanceof`, `controller.abort()`, `tee()` and `toReadableStream()` all keep working and all
 * go through the observation. The span ends when the stream completes (usage, finish reasons),
 * fails, is stopped early (`break`: flagged abandoned) or is dropped unread.
 */
export function observeClientStream<S extends object, T>(
  stream: S,
  client: unknown,
  call: ClientCall,
  watcher: StreamWatcher<T>,
): S {
  const life = new StreamLife<T>(call, watcher);
  const source = stream as unknown as AsyncIterable<T>;
  const iterate = (): AsyncIterator<T> =>
    track(life as StreamLife<unknown>, observeIterator(life, source[Symbol.asyncIterator]()));
  const fields = rec(stream);
  const Ctor = (stream as { constructor?: unknown }).constructor;
  if (
    typeof Ctor === 'function' &&
    fields.controller instanceof AbortController &&
    typeof fields.tee === 'function'
  ) {
    try {
      return track(
        life as StreamLife<unknown>,
        new (Ctor as StreamConstructor)(iterate, fields.controller, client) as S,
      );
    } catch (err) {
      logger.debug('re-creating a client stream failed; observing it through a proxy:', err);
    }
  }
  const proxy = new Proxy(stream, {
    get(target, key) {
      if (key === Symbol.asyncIterator) return iterate;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return track(life as StreamLife<unknown>, proxy);
}

/**
 * @internal Observes a client library's stream helper (OpenAI's `ChatCompletionStream` /
 * `ResponseStream`, Anthropic's `MessageStream`): event emitters that read the stream themselves
 * whether or not anyone iterates them. Their internal `_emit` is wrapped on the instance, so the
 * span sees every event (chunks, `error`, `abort`, `end`) without adding listeners — an error nobody
 * handles still surfaces to the application exactly as before.
 */
export function observeEventStream<R extends object>(
  runner: R,
  call: ClientCall,
  onEvent: (event: string, args: readonly unknown[]) => void,
  outcome: () => CallOutcome,
): R {
  const safeOutcome = (): CallOutcome => {
    try {
      return outcome();
    } catch (err) {
      logger.debug('reading a stream outcome failed:', err);
      return {};
    }
  };
  const original = (runner as { _emit?: unknown })._emit;
  if (typeof original !== 'function') {
    logger.debug('stream helper without _emit: its span ends at once, without usage');
    call.succeed({});
    return runner;
  }
  const emit = original as (this: unknown, event: string, ...args: unknown[]) => unknown;
  call.register(runner);
  Object.defineProperty(runner, '_emit', {
    configurable: true,
    writable: true,
    value: function (this: unknown, event: string, ...args: unknown[]): unknown {
      try {
        if (event === 'error') call.fail(args[0], safeOutcome());
        else if (event === 'abort') call.succeed(safeOutcome(), true);
        else if (event === 'end') call.succeed(safeOutcome());
        else onEvent(event, args);
      } catch (err) {
        logger.debug('stream helper bookkeeping failed:', err);
      }
      return emit.call(this, event, ...args);
    },
  });
  return runner;
}

/**
 * @internal Observes a client library's request promise (Stainless `APIPromise`: a `Promise`
 * subclass with `withResponse()` and `asResponse()`). The result stays that promise (a proxy):
 * awaiting it, or `withResponse()`, yields the observed value (`settle` ends the span for a plain
 * answer, or returns an observed stream); a rejection ends the span as failed. `asResponse()` hands
 * out the raw HTTP response unread: the span ends when it arrives, without usage.
 */
export function observeApiPromise<P extends object>(
  original: P,
  call: ClientCall,
  settle: (value: unknown) => unknown,
): P {
  let settled: Promise<unknown> | undefined;
  const result = (): Promise<unknown> => {
    if (settled === undefined) {
      settled = Promise.resolve(
        (original as unknown as PromiseLike<unknown>).then(
          (value) => {
            try {
              const observed = settle(value);
              call.register(observed);
              return observed;
            } catch (err) {
              logger.debug('observing a response failed:', err);
              call.succeed({});
              return value;
            }
          },
          (err: unknown) => {
            call.fail(err);
            throw err;
          },
        ),
      );
      // The caller may only use withResponse(); a rejection is theirs to handle there.
      settled.catch(() => undefined);
    }
    return settled;
  };
  return new Proxy(original, {
    get(target, key) {
      switch (key) {
        case 'then':
          return (onOk?: (v: unknown) => unknown, onErr?: (e: unknown) => unknown) =>
            result().then(onOk, onErr);
        case 'catch':
          return (onErr?: (e: unknown) => unknown) => result().catch(onErr);
        case 'finally':
          return (onFinally?: () => void) => result().finally(onFinally);
        case 'withResponse': {
          const withResponse: unknown = Reflect.get(target, key, target);
          if (typeof withResponse !== 'function') return withResponse;
          return () => {
            const data = result();
            return Promise.resolve((withResponse as () => unknown).call(target)).then((r) =>
              data.then((d) => ({ ...rec(r), data: d })),
            );
          };
        }
        case 'asResponse': {
          const asResponse: unknown = Reflect.get(target, key, target);
          if (typeof asResponse !== 'function') return asResponse;
          return () =>
            Promise.resolve((asResponse as () => unknown).call(target)).then(
              (response) => {
                call.succeed({});
                return response;
              },
              (err: unknown) => {
                call.fail(err);
                throw err;
              },
            );
        }
        default: {
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
      }
    },
  });
}

/**
 * @internal A proxy over a client object that replaces some members: a nested table (for a
 * resource such as `chat.completions`) or a function wrapper (given the original method, already
 * bound to its object). Everything else is the original's, bound to it, so private fields work.
 * Replacements are built once per proxy, on first access.
 */
export type MemberWrappers = {
  readonly [key: string]:
    MemberWrappers | ((original: (...args: unknown[]) => unknown, owner: object) => unknown);
};

export function proxyMembers<T extends object>(target: T, wrappers: MemberWrappers): T {
  const built = new Map<string, unknown>();
  return new Proxy(target, {
    get(obj, key) {
      const value: unknown = Reflect.get(obj, key, obj);
      if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(wrappers, key)) {
        const wrap = wrappers[key]!;
        if (built.has(key)) return built.get(key);
        let replacement: unknown = value;
        if (typeof wrap === 'function') {
          if (typeof value === 'function') {
            replacement = wrap((value as (...a: unknown[]) => unknown).bind(obj), obj);
          }
        } else if (value !== null && typeof value === 'object') {
          replacement = proxyMembers(value, wrap);
        }
        built.set(key, replacement);
        return replacement;
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

/**
 * @internal A watcher that shows the consumer every item after `take` has seen it (a stream of
 * events where none is ours to hide).
 */
export function everyItem<T>(take: (item: T) => void, outcome: () => CallOutcome): StreamWatcher<T> {
  return {
    item: (item) => {
      take(item);
      return true;
    },
    outcome,
  };
}

/** `run` as `call` ({@link runInCall}); a throw fails the call and is rethrown. */
function runFailing(call: ClientCall, run: () => unknown): unknown {
  try {
    return runInCall(call, run);
  } catch (err) {
    call.fail(err);
    throw err;
  }
}

/**
 * @internal Runs a client's request method (`create`, `parse`) as `call`, other tracing
 * suppressed ({@link runInCall}): a throw fails the call and is rethrown; anything but a promise
 * ends it at once and is returned as it is; a request promise is observed ({@link observeApiPromise},
 * `settle` given its value).
 */
export function observeRequest(
  call: ClientCall,
  run: () => unknown,
  settle: (value: unknown) => unknown,
): unknown {
  const pending = runFailing(call, run);
  if (
    pending === null ||
    typeof pending !== 'object' ||
    typeof (pending as { then?: unknown }).then !== 'function'
  ) {
    call.succeed({});
    return pending;
  }
  return observeApiPromise(pending, call, settle);
}

/**
 * @internal Runs a client's stream helper method (`stream`) as `call`, other tracing suppressed,
 * and observes the helper it returns ({@link observeEventStream}); a throw fails the call and is
 * rethrown, anything but an object ends it at once.
 */
export function observeHelper(
  call: ClientCall,
  run: () => unknown,
  onEvent: (event: string, args: readonly unknown[]) => void,
  outcome: () => CallOutcome,
): unknown {
  const runner = runFailing(call, run);
  if (runner === null || typeof runner !== 'object') {
    call.succeed({});
    return runner;
  }
  return observeEventStream(runner, call, onEvent, outcome);
}

/**
 * @internal The `withOptions` member of an observed client: the copy with other options that it
 * returns is observed in the same way (`observe`).
 */
export function observedCopies(
  observe: (copy: object) => object,
): (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown {
  return (original) =>
    (...args) => {
      const next = original(...args);
      return next !== null && typeof next === 'object' ? observe(next) : next;
    };
}

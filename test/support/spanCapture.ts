import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { init } from '@promptline/sdk';
import type { InitOptions, PromptlineTelemetry } from '@promptline/sdk';

/** Spans of one test file: the SDK's own `init()` (global provider, context manager), plus an in-memory copy. */
export interface SpanCapture {
  telemetry: PromptlineTelemetry;
  /** Finished spans so far, in the order they ended. */
  finished(): ReadableSpan[];
  /** The one finished span named `name` (throws when there are none or several). */
  only(name?: string): ReadableSpan;
  reset(): void;
}

const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

/** `init()` with a no-op OTLP side (unless `options` names an endpoint) and every span copied to memory. */
export function captureSpans(options: InitOptions = {}): SpanCapture {
  const memory = new InMemorySpanExporter();
  const telemetry = init({
    serviceName: 'integration-test',
    ...(options.endpoint === undefined
      ? {
          spanExporter: discard,
          logExporter: {
            export: (_r, done) => done({ code: 0 }),
            shutdown: () => Promise.resolve(),
            forceFlush: () => Promise.resolve(),
          },
        }
      : {}),
    ...options,
    spanProcessors: [new SimpleSpanProcessor(memory), ...(options.spanProcessors ?? [])],
  });
  const finished = (): ReadableSpan[] => memory.getFinishedSpans();
  return {
    telemetry,
    finished,
    only(name?: string): ReadableSpan {
      const found = finished().filter((s) => name === undefined || s.name === name);
      if (found.length !== 1)
        throw new Error(
          `expected one finished span${name === undefined ? '' : ` "${name}"`}, found ${found.length}: ${finished()
            .map((s) => s.name)
            .join(', ')}`,
        );
      return found[0]!;
    },
    reset: () => memory.reset(),
  };
}

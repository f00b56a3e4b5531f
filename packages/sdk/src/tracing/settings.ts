import type { Tracer } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';

/** Which side of a call a captured value comes from. */
export type CaptureKind = 'input' | 'output';

/**
 * Redacts a value before it is recorded. Receives the raw value (arguments or return value) and
 * returns what may be recorded. If it throws, nothing is recorded for that value.
 */
export type MaskFunction = (value: unknown, info: { readonly kind: CaptureKind }) => unknown;

/** Process-wide tracing settings (set by `init()` or `configureTracing()`). */
export interface TracingSettings {
  /** Record the wrapped function's arguments on `observe()` spans. Default `false`. */
  readonly captureInput?: boolean;
  /** Record the wrapped function's return value (or streamed chunks). Default `false`. */
  readonly captureOutput?: boolean;
  /** Captured values are cut to this many characters (then flagged truncated). Default 8192. */
  readonly captureMaxChars?: number;
  /** Applied to every captured value before it is recorded. */
  readonly mask?: MaskFunction;
}

/** @internal the live settings object; read on every call, never copied. */
export const settings = {
  captureInput: false,
  captureOutput: false,
  captureMaxChars: 8192,
  mask: undefined as MaskFunction | undefined,
};

/**
 * Sets process-wide capture settings without calling `init()` (for apps that set up OpenTelemetry
 * themselves). Options not given keep their value.
 *
 * @example
 * ```ts
 * configureTracing({ captureInput: true, mask: (v) => redactEmails(v) });
 * ```
 */
export function configureTracing(options: TracingSettings): void {
  if (options.captureInput !== undefined) settings.captureInput = options.captureInput;
  if (options.captureOutput !== undefined) settings.captureOutput = options.captureOutput;
  if (options.captureMaxChars !== undefined) settings.captureMaxChars = Math.max(16, options.captureMaxChars);
  if (options.mask !== undefined) settings.mask = options.mask;
}

export const INSTRUMENTATION_NAME = '@promptline/sdk';
export const INSTRUMENTATION_VERSION = '0.1.0';

let tracer: Tracer | undefined;

/** @internal the SDK's tracer; the global provider's unless `init()` installed one. */
export function getTracer(): Tracer {
  return (tracer ??= trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION));
}

/** @internal */
export function setTracer(next: Tracer | undefined): void {
  tracer = next;
}

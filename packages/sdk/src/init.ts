import type { Attributes } from '@opentelemetry/api';
import { context, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RESOURCE } from '@promptline/semconv';
import { logger } from './logger.js';
import { setScoreLogger } from './scores.js';
import { PromptSpanProcessor } from './tracing/PromptSpanProcessor.js';
import type { TracingSettings } from './tracing/settings.js';
import {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  configureTracing,
  setTracer,
} from './tracing/settings.js';

/** Options of {@link init}. Precedence for each: this option → environment variable → default. */
export interface InitOptions extends TracingSettings {
  /** `service.name`. Env `OTEL_SERVICE_NAME`. Default `unknown_service:node`. */
  readonly serviceName?: string;
  /**
   * OTLP/HTTP base URL of the collector (`/v1/traces` and `/v1/logs` are appended). Env
   * `PROMPTLINE_COLLECTOR_URL` (the deprecated `PROMPTLINE_ENDPOINT` still works, with a warning),
   * then `OTEL_EXPORTER_OTLP_ENDPOINT`. Default `http://localhost:4318`.
   */
  readonly endpoint?: string;
  /** Extra request headers. Env `PROMPTLINE_HEADERS`, then `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** API key sent as `Authorization: Bearer <key>`. Env `PROMPTLINE_API_KEY`. */
  readonly apiKey?: string;
  /** `deployment.environment.name`. Env `PROMPTLINE_ENVIRONMENT`. Default: not set. */
  readonly environment?: string;
  /** Extra resource attributes. */
  readonly resourceAttributes?: Attributes;
  /** Replaces the OTLP span exporter (e.g. an in-memory exporter in tests). */
  readonly spanExporter?: SpanExporter;
  /** Replaces the OTLP log exporter used for scores. */
  readonly logExporter?: LogRecordExporter;
  /** Extra span processors, run after Promptline's. */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Spans/log records buffered before new ones are dropped (counted). Default 2048. */
  readonly maxQueueSize?: number;
  /** Records per export request. Default 512. */
  readonly maxExportBatchSize?: number;
  /** Milliseconds between exports. Default 1000. */
  readonly scheduledDelayMillis?: number;
  /** Time limit of one export, milliseconds. Default 10 000. */
  readonly exportTimeoutMillis?: number;
  /** Register as the global tracer/logger provider and context manager. Default `true`. */
  readonly registerGlobal?: boolean;
}

/** What {@link init} set up. */
export interface PromptlineTelemetry {
  readonly tracerProvider: BasicTracerProvider;
  readonly loggerProvider: LoggerProvider;
  /** Exports everything buffered. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting; idempotent (later calls return the same promise). Never rejects. */
  shutdown(): Promise<void>;
}

function parseHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      logger.warn('ignoring a malformed header in PROMPTLINE_HEADERS/OTEL_EXPORTER_OTLP_HEADERS');
    }
  }
  return out;
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

const warnedDeprecated = new Set<string>();

/** A deprecated variable's value, with a warning the first time it is used in this process. */
function deprecatedEnv(name: string, replacement: string): string | undefined {
  const v = env(name);
  if (v !== undefined && !warnedDeprecated.has(name)) {
    warnedDeprecated.add(name);
    logger.warn(`${name} is deprecated and will be removed: set ${replacement} instead (same value)`);
  }
  return v;
}

/**
 * One call to send Promptline telemetry: a tracer provider with {@link PromptSpanProcessor} and a
 * bounded batch span processor, a logger provider (for scores) with a bounded batch processor, both
 * exporting OTLP/HTTP protobuf to `endpoint`, plus an AsyncLocalStorage context manager. Call
 * `shutdown()` before exit to flush (also attempted on `beforeExit`).
 *
 * Apps that already run the OpenTelemetry NodeSDK should NOT call `init()`: add
 * `new PromptSpanProcessor()` to their `spanProcessors` instead (see the README).
 *
 * @example
 * ```ts
 * const telemetry = init({ serviceName: 'support-bot', endpoint: 'http://localhost:4318', apiKey: process.env.KEY });
 * process.on('SIGTERM', () => void telemetry.shutdown());
 * ```
 */
export function init(options: InitOptions = {}): PromptlineTelemetry {
  configureTracing(options);
  const endpoint = (
    options.endpoint ??
    env('PROMPTLINE_COLLECTOR_URL') ??
    deprecatedEnv('PROMPTLINE_ENDPOINT', 'PROMPTLINE_COLLECTOR_URL') ??
    env('OTEL_EXPORTER_OTLP_ENDPOINT') ??
    'http://localhost:4318'
  ).replace(/\/+$/, '');
  const headers: Record<string, string> = {
    ...(options.headers ?? parseHeaders(env('PROMPTLINE_HEADERS') ?? env('OTEL_EXPORTER_OTLP_HEADERS'))),
  };
  const apiKey = options.apiKey ?? env('PROMPTLINE_API_KEY');
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  const environment = options.environment ?? env('PROMPTLINE_ENVIRONMENT');
  const resource = resourceFromAttributes({
    ...options.resourceAttributes,
    [RESOURCE.SERVICE_NAME]: options.serviceName ?? env('OTEL_SERVICE_NAME') ?? 'unknown_service:node',
    ...(environment === undefined ? {} : { [RESOURCE.DEPLOYMENT_ENVIRONMENT]: environment }),
  });
  const batch = {
    maxQueueSize: options.maxQueueSize ?? 2048,
    maxExportBatchSize: options.maxExportBatchSize ?? 512,
    scheduledDelayMillis: options.scheduledDelayMillis ?? 1000,
    exportTimeoutMillis: options.exportTimeoutMillis ?? 10_000,
  };
  const timeoutMillis = batch.exportTimeoutMillis;
  const spanExporter =
    options.spanExporter ?? new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, headers, timeoutMillis });
  const logExporter =
    options.logExporter ?? new OTLPLogExporter({ url: `${endpoint}/v1/logs`, headers, timeoutMillis });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new PromptSpanProcessor(),
      new BatchSpanProcessor(spanExporter, batch),
      ...(options.spanProcessors ?? []),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: logExporter, ...batch })],
  });
  if (options.registerGlobal ?? true) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    if (!trace.setGlobalTracerProvider(tracerProvider)) {
      logger.warn('a global tracer provider was already registered; Promptline spans use their own provider');
    }
    logs.setGlobalLoggerProvider(loggerProvider);
  }
  setTracer(tracerProvider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION));
  setScoreLogger(loggerProvider.getLogger(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION));

  const safe = async (what: string, p: () => Promise<unknown>): Promise<void> => {
    try {
      await p();
    } catch (err) {
      logger.warn(`${what} failed:`, err);
    }
  };
  const forceFlush = async (): Promise<void> => {
    await Promise.all([
      safe('flushing spans', () => tracerProvider.forceFlush()),
      safe('flushing scores', () => loggerProvider.forceFlush()),
    ]);
  };
  let stopped: Promise<void> | undefined;
  const onBeforeExit = (): void => {
    void shutdown();
  };
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      process.off('beforeExit', onBeforeExit);
      await forceFlush();
      await Promise.all([
        safe('stopping the tracer provider', () => tracerProvider.shutdown()),
        safe('stopping the logger provider', () => loggerProvider.shutdown()),
      ]);
    })();
    return stopped;
  };
  process.once('beforeExit', onBeforeExit);
  return { tracerProvider, loggerProvider, forceFlush, shutdown };
}

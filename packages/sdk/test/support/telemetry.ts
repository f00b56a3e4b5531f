import { context, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { PromptSpanProcessor } from '@promptline/sdk';

/** Real OTel SDK providers wired to in-memory exporters, registered globally for one test file. */
export function setupTelemetry(): {
  spans: InMemorySpanExporter;
  logs: InMemoryLogRecordExporter;
  byName: (name: string) => ReadableSpan;
} {
  const spans = new InMemorySpanExporter();
  const logExporter = new InMemoryLogRecordExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new PromptSpanProcessor(), new SimpleSpanProcessor(spans)] }),
  );
  logs.setGlobalLoggerProvider(
    new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] }),
  );
  const byName = (name: string): ReadableSpan => {
    const found = spans.getFinishedSpans().filter((s) => s.name === name);
    if (found.length !== 1) throw new Error(`expected one finished span "${name}", found ${found.length}`);
    return found[0]!;
  };
  return { spans, logs: logExporter, byName };
}

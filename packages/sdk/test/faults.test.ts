import { createServer } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { PROMPTLINE } from '@promptline/semconv';
import { afterEach, describe, expect, it } from 'vitest';
import type { PromptlineTelemetry } from '@promptline/sdk';
import { configureTracing, init, observe, setLogSink, startActiveGeneration } from '@promptline/sdk';

const logs: string[] = [];
setLogSink((_l, line) => logs.push(line));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let telemetry: PromptlineTelemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  configureTracing({ captureInput: false, captureOutput: false, mask: (v) => v, captureMaxChars: 8192 });
});

/** The user's code: results and errors must come out exactly the same with broken telemetry. */
const value = { answer: 42 };
const failure = new Error('user failure');
const work = observe(async (x: number) => (x > 0 ? value : Promise.reject(failure)), {
  name: 'work',
  asType: 'generation',
});
const syncWork = observe((x: number) => {
  if (x < 0) throw failure;
  return x + 1;
});

async function assertUserOutcomesUnchanged(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    expect(await work(1)).toBe(value);
    await expect(work(-1)).rejects.toBe(failure);
    expect(syncWork(1)).toBe(2);
    expect(() => syncWork(-1)).toThrow(failure);
    expect(await startActiveGeneration('g', {}, async (gen) => (gen.score('s', 1), 'ok'))).toBe('ok');
  }
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('telemetry faults never reach the user', () => {
  it('exporter endpoint down (connection refused)', async () => {
    const port = await closedPort();
    telemetry = init({
      serviceName: 'faults',
      endpoint: `http://127.0.0.1:${port}`,
      scheduledDelayMillis: 10,
      exportTimeoutMillis: 500,
      registerGlobal: false,
    });
    await assertUserOutcomesUnchanged();
    await sleep(100);
    await expect(telemetry.forceFlush()).resolves.toBeUndefined();
    const first = telemetry.shutdown();
    expect(telemetry.shutdown()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    // After shutdown the app keeps working.
    await assertUserOutcomesUnchanged();
  });

  it('exporters that throw synchronously and reject', async () => {
    let calls = 0;
    const throwing: SpanExporter = {
      export() {
        calls++;
        throw new Error('span exporter exploded');
      },
      shutdown: () => Promise.reject(new Error('shutdown exploded')),
    };
    const rejecting: LogRecordExporter = {
      export() {
        calls++;
        throw new Error('log exporter exploded');
      },
      forceFlush: () => Promise.reject(new Error('flush exploded')),
      shutdown: () => Promise.resolve(),
    };
    telemetry = init({
      spanExporter: throwing,
      logExporter: rejecting,
      scheduledDelayMillis: 5,
      registerGlobal: false,
    });
    await assertUserOutcomesUnchanged();
    await sleep(50);
    await telemetry.forceFlush();
    expect(calls).toBeGreaterThan(0);
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });

  it('span processors that throw on start and on end', async () => {
    const exploding: SpanProcessor = {
      onStart() {
        throw new Error('onStart exploded');
      },
      onEnd(_s: ReadableSpan) {
        throw new Error('onEnd exploded');
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    telemetry = init({
      spanExporter: new InMemorySpanExporter(),
      logExporter: new InMemoryLogRecordExporter(),
      spanProcessors: [exploding],
      registerGlobal: false,
    });
    await assertUserOutcomesUnchanged();
  });

  it('a mask function that throws: value not recorded, logged once, app unaffected', async () => {
    const exporter = new InMemorySpanExporter();
    telemetry = init({
      spanExporter: exporter,
      logExporter: new InMemoryLogRecordExporter(),
      scheduledDelayMillis: 5,
      registerGlobal: false,
      captureInput: true,
      captureOutput: true,
      mask: () => {
        throw new Error('mask bug');
      },
    });
    logs.length = 0;
    await assertUserOutcomesUnchanged();
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'work');
    expect(spans.length).toBe(40);
    for (const s of spans) expect(s.attributes[PROMPTLINE.INPUT]).toBe('[mask failed]');
    expect(spans.filter((s) => s.status.code === SpanStatusCode.UNSET).length).toBe(20);
    expect(logs.filter((l) => l.includes('mask function threw'))).toHaveLength(1);
  });

  it('huge, circular and hostile input/output are recorded safely and bounded', async () => {
    const exporter = new InMemorySpanExporter();
    telemetry = init({
      spanExporter: exporter,
      logExporter: new InMemoryLogRecordExporter(),
      registerGlobal: false,
      captureInput: true,
      captureOutput: true,
      captureMaxChars: 1000,
    });
    const circular: Record<string, unknown> = { name: 'loop', n: 10n };
    circular.self = circular;
    circular.list = [circular, { deeper: circular }];
    Object.defineProperty(circular, 'bomb', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
    const huge = { text: 'x'.repeat(50_000_000), rows: Array.from({ length: 1_000_000 }, (_, i) => i) };
    const echo = observe((input: unknown) => input, { name: 'echo' });
    expect(echo(circular)).toBe(circular);
    expect(echo(huge)).toBe(huge);
    await telemetry.forceFlush();
    const [c, h] = exporter.getFinishedSpans().filter((s) => s.name === 'echo');
    const cin = c!.attributes[PROMPTLINE.INPUT] as string;
    expect(cin).toBe(
      '{"name":"loop","n":"10","self":"[Circular]","list":["[Circular]",{"deeper":"[Circular]"}],"bomb":"[Unserializable]"}',
    );
    const hin = h!.attributes[PROMPTLINE.INPUT] as string;
    expect(hin.length).toBe(1000);
    expect(hin.startsWith('{"text":"xxxx')).toBe(true);
    expect(h!.attributes[PROMPTLINE.INPUT_TRUNCATED]).toBe(true);
    expect(h!.attributes[PROMPTLINE.OUTPUT_TRUNCATED]).toBe(true);
  });
});

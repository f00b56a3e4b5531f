/**
 * Per-call overhead of an `observe()`-wrapped async no-op generation (prompt + usage attributes)
 * beside (a) a bare OpenTelemetry `tracer.startActiveSpan` setting the same attributes and (b)
 * Langfuse's `observe` (@langfuse/tracing + @langfuse/otel) with the same capture settings (off).
 * All three export through batch processors into a no-op exporter, in this one process, after
 * warm-up. Rounds are interleaved (order rotated); per-call times are the medians over rounds, and
 * the ratios are the medians of the per-round ratios (paired, so load drift on a shared machine
 * affects both sides of each ratio alike).
 *
 * Then the client integrations (integrations.ts): observeOpenAI / observeAnthropic calls against the
 * bare client calls on a local stand-in API, plain and streamed, as µs of overhead per call.
 *
 *   pnpm bench:sdk            (env BENCH_CALLS per round, default 10000; BENCH_ROUNDS, default 15;
 *                              BENCH_CLIENT_CALLS per round, default 200; BENCH_CLIENT_ROUNDS, default 9)
 *
 * Last line: {"bench":"sdk-overhead","observe_us":…,"otel_us":…,"langfuse_us":…,"ratio_vs_otel":…,
 *   "ratio_vs_langfuse":…,"openai_chat_bare_us":…,"openai_chat_overhead_us":…, … }
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

// Run against the workspace sources (no build needed): re-exec once with the source condition.
if (!process.execArgv.includes('--conditions=@promptline/source')) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@promptline/source', '--import', 'tsx', fileURLToPath(import.meta.url)],
    { stdio: 'inherit', env: process.env },
  );
  process.exit(child.status ?? 1);
}

const { SpanKind, SpanStatusCode, trace } = await import('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
const { LangfuseSpanProcessor } = await import('@langfuse/otel');
const langfuse = await import('@langfuse/tracing');
const { GEN_AI, PROMPTLINE } = await import('@promptline/semconv');
const sdk = await import('@promptline/sdk');
const { median, reportResult } = await import('../support/report.js');
const { integrationOverheads } = await import('./integrations.js');

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

let exported = 0;
const noopExporter = (): SpanExporter => ({
  export(spans, done) {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
});
const batch = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000 };

// Promptline: init() wires the global provider (PromptSpanProcessor + batch) and the context manager.
const telemetry = sdk.init({
  serviceName: 'bench',
  spanExporter: noopExporter(),
  logExporter: {
    export: (_r, done) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  },
  captureInput: false,
  captureOutput: false,
});
const prompt = new sdk.Prompt(
  sdk.parsePromptData({ name: 'bench/prompt', version: 3, template: 'Answer {{q}}' }),
  { label: 'production' },
);
const observed = sdk.observe(
  async (x: number) => {
    sdk.updateActiveGeneration({ usage: { inputTokens: 10, outputTokens: 20 } });
    return x;
  },
  { name: 'generation', asType: 'generation', model: 'gpt-4o-mini', prompt },
);

// (a) Bare OpenTelemetry: its own provider with the same batch processor and no-op exporter.
const otelProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(noopExporter(), batch)],
});
const otelTracer = otelProvider.getTracer('bench');
const startAttrs = {
  [GEN_AI.OPERATION_NAME]: 'chat',
  [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
  [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
  [GEN_AI.PROMPT_NAME]: prompt.name,
  [PROMPTLINE.PROMPT_VERSION]: prompt.version,
  [PROMPTLINE.PROMPT_LABEL]: 'production',
  [PROMPTLINE.PROMPT_HASH]: prompt.hash,
};
const inner = async (x: number): Promise<number> => {
  const span = trace.getActiveSpan();
  span?.setAttribute(GEN_AI.USAGE_INPUT_TOKENS, 10);
  span?.setAttribute(GEN_AI.USAGE_OUTPUT_TOKENS, 20);
  return x;
};
const bare = (x: number): Promise<number> =>
  otelTracer.startActiveSpan(
    'generation',
    { kind: SpanKind.CLIENT, attributes: startAttrs },
    async (span) => {
      try {
        return await inner(x);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );

// (b) Langfuse: its span processor (batched) into the same kind of no-op exporter.
const lfProvider = new BasicTracerProvider({
  spanProcessors: [
    new LangfuseSpanProcessor({
      exporter: noopExporter(),
      publicKey: 'pk-lf-bench',
      secretKey: 'sk-lf-bench',
      baseUrl: 'http://127.0.0.1:9',
      exportMode: 'batched',
      flushAt: 512,
      flushInterval: 1,
    }),
  ],
});
langfuse.setLangfuseTracerProvider(lfProvider);
const lfObserved = langfuse.observe(
  async (x: number) => {
    langfuse.updateActiveObservation(
      {
        model: 'gpt-4o-mini',
        usageDetails: { input: 10, output: 20 },
        prompt: { name: prompt.name, version: prompt.version, isFallback: false },
      },
      { asType: 'generation' },
    );
    return x;
  },
  { name: 'generation', asType: 'generation', captureInput: false, captureOutput: false },
);

async function timeRound(fn: (x: number) => Promise<number>, calls: number): Promise<number> {
  let sum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sum += await fn(i);
  const t1 = process.hrtime.bigint();
  if (sum !== (calls * (calls - 1)) / 2) throw new Error('wrong results: the benchmark is broken');
  return Number(t1 - t0) / 1000 / calls;
}

const contenders = [
  { key: 'observe', fn: observed },
  { key: 'otel', fn: bare },
  { key: 'langfuse', fn: lfObserved },
] as const;
const results: Record<string, number[]> = { observe: [], otel: [], langfuse: [] };

for (const c of contenders) await timeRound(c.fn, Math.max(2000, CALLS)); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the order so no contender always runs first after a GC-heavy neighbour.
  for (let k = 0; k < contenders.length; k++) {
    const c = contenders[(r + k) % contenders.length]!;
    results[c.key]!.push(await timeRound(c.fn, CALLS));
  }
}
const clients = await integrationOverheads(
  Number(process.env.BENCH_CLIENT_CALLS ?? 200),
  Number(process.env.BENCH_CLIENT_ROUNDS ?? 9),
);
await telemetry.shutdown();
await otelProvider.shutdown();
await lfProvider.shutdown();

const perRound = (other: string): number[] => results.observe!.map((v, i) => v / results[other]![i]!);
const observeUs = median(results.observe!);
const otelUs = median(results.otel!);
const langfuseUs = median(results.langfuse!);
const round = (n: number, d = 3): number => Number(n.toFixed(d));
process.stdout.write(
  `calls/round=${CALLS} rounds=${ROUNDS} spans exported=${exported}\n` +
    `observe()  ${observeUs.toFixed(2)} us/call  (rounds: ${results.observe!.map((v) => v.toFixed(2)).join(' ')})\n` +
    `bare OTel  ${otelUs.toFixed(2)} us/call  (rounds: ${results.otel!.map((v) => v.toFixed(2)).join(' ')})\n` +
    `Langfuse   ${langfuseUs.toFixed(2)} us/call  (rounds: ${results.langfuse!.map((v) => v.toFixed(2)).join(' ')})\n` +
    `targets: ratio_vs_otel <= 1.3, ratio_vs_langfuse <= 0.4\n` +
    `client integrations (µs per call; overhead = wrapped − bare, median of interleaved rounds):\n` +
    Object.entries(clients)
      .map(([k, v]) => `  ${k} ${v}`)
      .join('\n') +
    '\n',
);
reportResult('sdk-overhead', {
  observe_us: round(observeUs),
  otel_us: round(otelUs),
  langfuse_us: round(langfuseUs),
  ratio_vs_otel: round(median(perRound('otel'))),
  ratio_vs_langfuse: round(median(perRound('langfuse'))),
  ...clients,
});

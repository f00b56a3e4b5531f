import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SpanStatusCode } from '@opentelemetry/api';
import { ERROR_TYPE, EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  Prompt,
  configureTracing,
  getActiveGeneration,
  observe,
  parsePromptData,
  score,
  setLogSink,
  startActiveGeneration,
  startGeneration,
  updateActiveGeneration,
  validateOutput,
  withPrompt,
} from '@promptline/sdk';
import { setupTelemetry } from './support/telemetry.js';

const t = setupTelemetry();
beforeEach(() => {
  t.spans.reset();
  t.logs.reset();
  configureTracing({ captureInput: false, captureOutput: false, captureMaxChars: 8192 });
});

const prompt = new Prompt(
  parsePromptData({ name: 'support/triage', version: 7, template: 'Classify {{t}}' }),
  {
    label: 'production',
  },
);
const other = new Prompt(parsePromptData({ name: 'other', version: 2, template: 'x' }), { label: 'staging' });
const fallback = new Prompt(
  { name: 'support/triage', version: 0, type: 'text', template: 'fb' },
  { isFallback: true },
);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('observe()', () => {
  it('sync function: value and this pass through, span ends OK with generation attributes', () => {
    const obj = {
      factor: 3,
      calc: observe(
        function (this: { factor: number }, x: number) {
          return x * this.factor;
        },
        { name: 'calc', asType: 'generation', model: 'gpt-4o-mini', provider: 'openai', prompt },
      ),
    };
    expect(obj.calc(5)).toBe(15);
    const s = t.byName('calc');
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
    expect(s.attributes).toMatchObject({
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.PROVIDER_NAME]: 'openai',
      [GEN_AI.PROMPT_NAME]: 'support/triage',
      [GEN_AI.PROMPT_VERSION]: '7',
      [PROMPTLINE.PROMPT_VERSION]: 7,
      [PROMPTLINE.PROMPT_LABEL]: 'production',
      [PROMPTLINE.PROMPT_HASH]: prompt.hash,
      [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
    });
    expect(s.attributes[PROMPTLINE.INPUT]).toBeUndefined();
  });

  it('sync throw: the same error object is re-thrown and recorded', () => {
    const boom = new RangeError('bad range');
    const f = observe(
      () => {
        throw boom;
      },
      { name: 'thrower' },
    );
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    const s = t.byName('thrower');
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad range' });
    expect(s.attributes[ERROR_TYPE]).toBe('RangeError');
    expect(s.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('async function: resolves to the same value and ends after the await', async () => {
    const f = observe(
      async (x: number) => {
        await sleep(20);
        updateActiveGeneration({
          usage: { inputTokens: 11, outputTokens: 4 },
          costUsd: 0.5,
          responseModel: 'm-1',
        });
        return { x };
      },
      { name: 'async-gen', asType: 'generation' },
    );
    const out = await f(2);
    expect(out).toEqual({ x: 2 });
    const s = t.byName('async-gen');
    const ms = (s.duration[0] * 1e9 + s.duration[1]) / 1e6;
    expect(ms).toBeGreaterThanOrEqual(15);
    expect(s.attributes).toMatchObject({
      [GEN_AI.USAGE_INPUT_TOKENS]: 11,
      [GEN_AI.USAGE_OUTPUT_TOKENS]: 4,
      [PROMPTLINE.COST_USD]: 0.5,
      [GEN_AI.RESPONSE_MODEL]: 'm-1',
    });
  });

  it('async reject: the same rejection reaches the caller and the span ends with ERROR', async () => {
    const err = new TypeError('nope');
    const f = observe(
      async () => {
        await sleep(1);
        throw err;
      },
      { name: 'rejecter' },
    );
    await expect(f()).rejects.toBe(err);
    const s = t.byName('rejecter');
    expect(s.status.code).toBe(SpanStatusCode.ERROR);
    expect(s.attributes[ERROR_TYPE]).toBe('TypeError');
    // A non-Error rejection value also passes through unchanged.
    const g = observe(() => Promise.reject('plain string'), { name: 'rejecter2' });
    await expect(g()).rejects.toBe('plain string');
    expect(t.byName('rejecter2').status.message).toBe('plain string');
  });

  it('a custom promise keeps its own methods; a rejection used only through them is not unhandled', async () => {
    // Shaped like openai's APIPromise: `then` answers with a plain native promise, extra methods on top.
    class Call<T> implements PromiseLike<T> {
      constructor(private readonly inner: Promise<T>) {}
      then<A = T, B = never>(
        onOk?: ((v: T) => A | PromiseLike<A>) | null,
        onErr?: ((e: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        return this.inner.then(onOk, onErr);
      }
      meta(): Promise<{ settled: T }> {
        return this.inner.then((v) => ({ settled: v }));
      }
    }
    const later = <T>(settle: (ok: (v: T) => void, fail: (e: unknown) => void) => void): Call<T> =>
      new Call(new Promise<T>((ok, fail) => setTimeout(() => settle(ok, fail), 5)));
    const ok = observe(() => later<number>((r) => r(7)), { name: 'custom-ok' });
    expect(await ok().meta()).toEqual({ settled: 7 });
    expect(t.byName('custom-ok').status.code).toBe(SpanStatusCode.UNSET);
    expect(await ok()).toBe(7);

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const err = new Error('boom');
      const bad = observe(() => later<number>((_, reject) => reject(err)), { name: 'custom-bad' });
      await expect(bad().meta()).rejects.toBe(err);
      await sleep(20); // let an unhandled rejection surface, if any
      expect(unhandled).toEqual([]);
      expect(t.byName('custom-bad').status.code).toBe(SpanStatusCode.ERROR);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stream completed: chunks pass through, TTFT recorded, span ends at completion', async () => {
    async function* tokens(): AsyncGenerator<string> {
      await sleep(30);
      yield 'a';
      await sleep(30);
      yield 'b';
      yield 'c';
    }
    configureTracing({ captureOutput: true });
    const f = observe(tokens, { name: 'stream', asType: 'generation' });
    const got: string[] = [];
    const stream = f();
    expect(t.spans.getFinishedSpans()).toHaveLength(0);
    for await (const c of stream) got.push(c);
    expect(got).toEqual(['a', 'b', 'c']);
    const s = t.byName('stream');
    const ttft = s.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK] as number;
    expect(ttft).toBeGreaterThanOrEqual(0.025);
    expect(ttft).toBeLessThan(0.055);
    const totalMs = (s.duration[0] * 1e9 + s.duration[1]) / 1e6;
    expect(totalMs).toBeGreaterThanOrEqual(55);
    expect(s.attributes[PROMPTLINE.OUTPUT]).toBe('["a","b","c"]');
    expect(s.attributes[PROMPTLINE.STREAM_ABANDONED]).toBeUndefined();
  });

  it('stream from an async function (like openai stream: true) is instrumented too', async () => {
    const f = observe(
      async () => {
        await sleep(5);
        return (async function* () {
          yield 1;
          yield 2;
        })();
      },
      { name: 'async-stream', asType: 'generation' },
    );
    const stream = await f();
    expect(t.spans.getFinishedSpans()).toHaveLength(0);
    let sum = 0;
    for await (const n of stream) sum += n;
    expect(sum).toBe(3);
    expect(t.byName('async-stream').attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
  });

  it('stream abandoned by the consumer: span ends at the break, source generator is closed', async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const f = observe(endless, { name: 'abandoned', asType: 'generation' });
    for await (const n of f()) if (n === 2) break;
    expect(closed).toBe(true);
    const s = t.byName('abandoned');
    expect(s.attributes[PROMPTLINE.STREAM_ABANDONED]).toBe(true);
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('stream dropped without return(): once collected, the span ends as abandoned at its last chunk', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let lastChunkAt = 0;
    await (async () => {
      const f = observe(
        async function* () {
          yield 1;
          yield 2;
        },
        { name: 'dropped', asType: 'generation' },
      );
      const it = f()[Symbol.asyncIterator]();
      await it.next();
      lastChunkAt = Date.now();
    })();
    await sleep(100);
    for (let i = 0; i < 20 && !t.spans.getFinishedSpans().some((s) => s.name === 'dropped'); i++) {
      gc();
      await sleep(10);
    }
    const s = t.byName('dropped');
    expect(s.attributes[PROMPTLINE.STREAM_ABANDONED]).toBe(true);
    const endMs = s.endTime[0] * 1000 + s.endTime[1] / 1e6;
    expect(endMs).toBeLessThanOrEqual(lastChunkAt + 5);
    expect(endMs).toBeGreaterThanOrEqual(lastChunkAt - 50);
  });

  it('stream that throws mid-way: error reaches the consumer and the span', async () => {
    const err = new Error('connection reset');
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw err;
    }
    const f = observe(broken, { name: 'broken-stream' });
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const n of f()) got.push(n);
      })(),
    ).rejects.toBe(err);
    expect(got).toEqual([1]);
    expect(t.byName('broken-stream').status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'connection reset',
    });
  });

  it('nested generations are parented to the enclosing observation', async () => {
    const inner = observe(async () => 'inner', { name: 'inner', asType: 'generation' });
    const outer = observe(
      async () => {
        const a = await inner();
        const b = await startActiveGeneration('inner2', { model: 'm' }, async () => 'x');
        return a + b;
      },
      { name: 'outer' },
    );
    expect(await outer()).toBe('innerx');
    const o = t.byName('outer');
    const i = t.byName('inner');
    const i2 = t.byName('inner2');
    expect(i.parentSpanContext?.spanId).toBe(o.spanContext().spanId);
    expect(i2.parentSpanContext?.spanId).toBe(o.spanContext().spanId);
    expect(i.spanContext().traceId).toBe(o.spanContext().traceId);
    expect(o.parentSpanContext).toBeUndefined();
  });
});

describe('context-manager and manual generations', () => {
  it('startActiveGeneration ends on resolve, with update and scores', async () => {
    const result = await startActiveGeneration('ctx-gen', { model: 'gpt-4o', prompt }, async (gen) => {
      gen.update({
        usage: { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 50, reasoningOutputTokens: 5 },
        costUsd: { input: 0.001, output: 0.002 },
        finishReasons: ['stop'],
      });
      gen.score('helpful', 0.8, { comment: 'good', source: 'llm-judge', id: 'score-1' });
      return 42;
    });
    expect(result).toBe(42);
    const s = t.byName('ctx-gen');
    expect(s.attributes).toMatchObject({
      [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: 50,
      [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: 5,
      [PROMPTLINE.COST_INPUT_USD]: 0.001,
      [PROMPTLINE.COST_OUTPUT_USD]: 0.002,
      [PROMPTLINE.COST_USD]: 0.003,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
      [GEN_AI.PROMPT_NAME]: 'support/triage',
    });
    const [rec] = t.logs.getFinishedLogRecords();
    expect(rec?.eventName).toBe(EVALUATION_EVENT_NAME);
    expect(rec?.spanContext?.spanId).toBe(s.spanContext().spanId);
    expect(rec?.spanContext?.traceId).toBe(s.spanContext().traceId);
    expect(rec?.attributes).toEqual({
      [EVALUATION.NAME]: 'helpful',
      [EVALUATION.SCORE_VALUE]: 0.8,
      [EVALUATION.DATA_TYPE]: 'numeric',
      [EVALUATION.EXPLANATION]: 'good',
      [EVALUATION.SOURCE]: 'llm-judge',
      [EVALUATION.ID]: 'score-1',
    });
  });

  it('startActiveGeneration records a thrown error and re-throws it', () => {
    const err = new Error('sync fail');
    expect(() =>
      startActiveGeneration('ctx-throw', {}, () => {
        throw err;
      }),
    ).toThrow(err);
    expect(t.byName('ctx-throw').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('manual startGeneration: not active, ended once, updates after end ignored', () => {
    const gen = startGeneration('manual', { model: 'claude', provider: 'anthropic', input: { q: 1 } });
    gen.markFirstChunk();
    gen.update({ usage: { outputTokens: 9 } });
    gen.end({ output: 'done' });
    gen.end();
    gen.update({ usage: { outputTokens: 1000 } });
    const s = t.byName('manual');
    expect(s.attributes[GEN_AI.USAGE_OUTPUT_TOKENS]).toBe(9);
    expect(s.attributes[PROMPTLINE.INPUT]).toBe('{"q":1}');
    expect(s.attributes[PROMPTLINE.OUTPUT]).toBe('done');
    expect(typeof s.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBe('number');
  });

  it('standalone score from the ids alone, boolean and categorical forms', () => {
    const gen = startGeneration('to-score');
    const ids = { traceId: gen.traceId, spanId: gen.spanId };
    gen.end();
    const id1 = score(ids, 'thumbs', true, { source: 'user-feedback' });
    const id2 = score(ids, 'category', 'billing');
    const warned: string[] = [];
    setLogSink((level, line) => warned.push(`${level} ${line}`));
    try {
      expect(score(ids, 'bad', Number.NaN)).toBeUndefined();
      expect(score({ traceId: 'zz', spanId: 'yy' }, 'x', 1)).toBeUndefined();
    } finally {
      setLogSink(undefined);
    }
    // Dropped, not thrown, and said so once each.
    expect(warned).toEqual([
      'warn [promptline] warn: score "bad" dropped: a numeric score needs a finite number (got null)',
      'warn [promptline] warn: score "x" dropped: invalid traceId/spanId zz yy',
    ]);
    expect(id1).toMatch(/^[0-9a-f-]{36}$/);
    expect(id2).not.toBe(id1);
    const recs = t.logs.getFinishedLogRecords();
    expect(recs).toHaveLength(2);
    expect(recs[0]!.attributes).toMatchObject({
      [EVALUATION.SCORE_VALUE]: 1,
      [EVALUATION.SCORE_LABEL]: 'true',
      [EVALUATION.DATA_TYPE]: 'boolean',
      [EVALUATION.SOURCE]: 'user-feedback',
    });
    expect(recs[1]!.attributes).toMatchObject({
      [EVALUATION.SCORE_LABEL]: 'billing',
      [EVALUATION.DATA_TYPE]: 'categorical',
    });
    expect(recs[1]!.attributes[EVALUATION.SCORE_VALUE]).toBeUndefined();
    for (const r of recs) expect(r.spanContext?.spanId).toBe(ids.spanId);
  });

  it('a score by response id carries gen_ai.response.id and no trace context, even inside a span', async () => {
    t.logs.reset();
    const warned: string[] = [];
    setLogSink((level, line) => warned.push(`${level} ${line}`));
    try {
      // Scored from inside an unrelated active span (say, the feedback handler's own span).
      await startActiveGeneration('feedback-handler', {}, () => {
        expect(score({ responseId: 'chatcmpl-9xYz' }, 'helpful', 0.5, { id: 'fb-1' })).toBe('fb-1');
        expect(score({ responseId: '  ' }, 'helpful', 1)).toBeUndefined();
        return Promise.resolve();
      });
    } finally {
      setLogSink(undefined);
    }
    expect(warned).toEqual(['warn [promptline] warn: score "helpful" dropped: invalid responseId   ']);
    const [rec, ...rest] = t.logs.getFinishedLogRecords();
    expect(rest).toHaveLength(0);
    expect(rec!.attributes).toMatchObject({
      [GEN_AI.RESPONSE_ID]: 'chatcmpl-9xYz',
      [EVALUATION.SCORE_VALUE]: 0.5,
      [EVALUATION.ID]: 'fb-1',
    });
    expect(rec!.spanContext).toBeUndefined();
  });
});

describe('prompt linking', () => {
  it('withPrompt links generations inside; spans that are not generations stay unlinked', async () => {
    const gen = observe(async () => 1, { name: 'wp-gen', asType: 'generation' });
    const plain = observe(() => 2, { name: 'wp-plain' });
    await withPrompt(prompt, async () => {
      await gen();
      plain();
    });
    expect(t.byName('wp-gen').attributes[PROMPTLINE.PROMPT_VERSION]).toBe(7);
    expect(t.byName('wp-plain').attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
  });

  it('an explicit prompt wins over withPrompt', () => {
    const gen = observe(() => 1, { name: 'explicit', asType: 'generation', prompt: other });
    withPrompt(prompt, () => gen());
    expect(t.byName('explicit').attributes).toMatchObject({
      [GEN_AI.PROMPT_NAME]: 'other',
      [PROMPTLINE.PROMPT_VERSION]: 2,
      [PROMPTLINE.PROMPT_LABEL]: 'staging',
    });
  });

  it('a fallback prompt is never linked: only the fallback flag is recorded', () => {
    observe(() => 1, { name: 'fb-explicit', asType: 'generation', prompt: fallback })();
    withPrompt(fallback, () => startGeneration('fb-context').end());
    // An explicit fallback also wins over a real prompt in context.
    withPrompt(prompt, () =>
      observe(() => 1, { name: 'fb-over-real', asType: 'generation', prompt: fallback })(),
    );
    for (const name of ['fb-explicit', 'fb-context', 'fb-over-real']) {
      const a = t.byName(name).attributes;
      expect(a[PROMPTLINE.PROMPT_FALLBACK]).toBe(true);
      expect(a[GEN_AI.PROMPT_NAME]).toBeUndefined();
      expect(a[PROMPTLINE.PROMPT_VERSION]).toBeUndefined();
      expect(a[PROMPTLINE.PROMPT_HASH]).toBeUndefined();
    }
  });
});

describe('capture', () => {
  it('captures input and output when asked, truncated to the limit and flagged', async () => {
    configureTracing({ captureMaxChars: 32 });
    const f = observe(async (_a: string, _b: number) => 'y'.repeat(100), {
      name: 'cap',
      captureInput: true,
      captureOutput: true,
    });
    await f('x'.repeat(10), 5);
    const a = t.byName('cap').attributes;
    expect(a[PROMPTLINE.INPUT]).toBe('["xxxxxxxxxx",5]');
    expect(a[PROMPTLINE.INPUT_TRUNCATED]).toBeUndefined();
    expect(a[PROMPTLINE.OUTPUT]).toBe('y'.repeat(32));
    expect(a[PROMPTLINE.OUTPUT_TRUNCATED]).toBe(true);
  });

  it('passes captured values through the mask before recording', () => {
    configureTracing({
      captureInput: true,
      mask: (v) => JSON.parse(JSON.stringify(v).replace(/[\w.]+@[\w.]+/g, '<email>')) as unknown,
    });
    observe((msg: { to: string }) => msg.to.length, { name: 'masked' })({ to: 'ada@example.com' });
    expect(t.byName('masked').attributes[PROMPTLINE.INPUT]).toBe('{"to":"<email>"}');
    configureTracing({ mask: (v) => v, captureInput: false });
  });
});

describe('structured output validation', () => {
  const schemaPrompt = new Prompt(
    parsePromptData({
      name: 'extract',
      version: 1,
      template: 'Extract from {{text}}',
      outputSchema: {
        type: 'object',
        required: ['name', 'age'],
        properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
        additionalProperties: false,
      },
    }),
  );

  it('records pass/fail and the error count on the span', async () => {
    const good = await startActiveGeneration('valid', { prompt: schemaPrompt }, (gen) =>
      gen.validate('{"name":"Ada","age":36}'),
    );
    expect(good).toEqual({ valid: true, value: { name: 'Ada', age: 36 }, errors: [] });
    const bad = observe(() => validateOutput(schemaPrompt, { name: 5, age: -1, extra: true }), {
      name: 'invalid',
      asType: 'generation',
    })();
    expect(bad.valid).toBe(false);
    expect(bad.errors).toHaveLength(3);
    const notJson = startActiveGeneration('not-json', { prompt: schemaPrompt }, (gen) =>
      gen.validate('{oops'),
    );
    expect(notJson.errors[0]).toMatch(/^output is not JSON/);
    expect(t.byName('valid').attributes).toMatchObject({
      [PROMPTLINE.VALIDATION_PASSED]: true,
      [PROMPTLINE.VALIDATION_ERROR_COUNT]: 0,
    });
    expect(t.byName('invalid').attributes).toMatchObject({
      [PROMPTLINE.VALIDATION_PASSED]: false,
      [PROMPTLINE.VALIDATION_ERROR_COUNT]: 3,
    });
    expect(t.byName('not-json').attributes[PROMPTLINE.VALIDATION_ERROR_COUNT]).toBe(1);
  });

  it('getActiveGeneration() inside observe({ prompt }) validates against that prompt’s schema', async () => {
    const result = await observe(
      async () => {
        await sleep(1);
        return getActiveGeneration()?.validate({ name: 'Ada', age: 'old' });
      },
      { name: 'observe-validate', asType: 'generation', prompt: schemaPrompt },
    )();
    expect(result?.valid).toBe(false);
    expect(result?.errors).toHaveLength(1);
    expect(t.byName('observe-validate').attributes).toMatchObject({
      [PROMPTLINE.VALIDATION_PASSED]: false,
      [PROMPTLINE.VALIDATION_ERROR_COUNT]: 1,
    });
  });
  it('an explicit prompt without a schema is not shadowed by a withPrompt prompt that has one', async () => {
    const result = await withPrompt(schemaPrompt, () =>
      observe(async () => getActiveGeneration()?.validate({ name: 'Ada', age: 'old' }), {
        name: 'observe-explicit-no-schema',
        asType: 'generation',
        prompt,
      })(),
    );
    // The explicit prompt has no output schema: nothing to validate against, nothing recorded.
    expect(result?.valid).toBe(true);
    expect(t.byName('observe-explicit-no-schema').attributes[PROMPTLINE.VALIDATION_PASSED]).toBeUndefined();
  });
});

describe('getActiveGeneration().markFirstChunk()', () => {
  it('measures time to first chunk from the span start, not from the getActiveGeneration() call', async () => {
    await observe(
      async () => {
        await sleep(50);
        const gen = getActiveGeneration();
        gen?.markFirstChunk();
        // A second handle on the same span does not overwrite the first chunk time.
        await sleep(20);
        getActiveGeneration()?.markFirstChunk();
      },
      { name: 'active-ttft', asType: 'generation' },
    )();
    const s = t.byName('active-ttft');
    const ttft = s.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK];
    expect(typeof ttft).toBe('number');
    expect(ttft as number).toBeGreaterThanOrEqual(0.045);
    const durationS = s.duration[0] + s.duration[1] / 1e9;
    // Recorded at the first mark, before the second 20 ms wait.
    expect(ttft as number).toBeLessThanOrEqual(durationS - 0.015);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { SpanStatusCode } from '@opentelemetry/api';
import { startGeneration } from '@promptline/sdk';
import { ERROR_TYPE, GEN_AI } from '@promptline/semconv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { setupTelemetry } from './support/telemetry.js';

// `using gen = startGeneration(…)` compiled by the real TypeScript compiler (downlevelled for
// Node 20, whose runtime has Symbol.dispose / Symbol.asyncDispose but not the syntax), then run.

interface Compiled {
  plainBlock(start: typeof startGeneration): string;
  asyncBlock(start: typeof startGeneration, waitMs: number): Promise<string>;
  throwingBlock(start: typeof startGeneration): void;
  failingBlock(start: typeof startGeneration): void;
}

const telemetry = setupTelemetry();
const fixture = fileURLToPath(new URL('./fixtures/using/usingGeneration.ts', import.meta.url));

describe('Generation with explicit resource management (using / await using)', () => {
  let out: string;
  let compiled: Compiled;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'promptline-using-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [
      tsc,
      '--target',
      'ES2022',
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--lib',
      'ES2023,ESNext.Disposable',
      '--types',
      'node',
      '--strict',
      '--skipLibCheck',
      '--customConditions',
      '@promptline/source',
      '--outDir',
      out,
      '--rootDir',
      join(fixture, '../../../..'),
      fixture,
    ]);
    const js = join(out, 'test/fixtures/using/usingGeneration.js');
    // Downlevelled: the output calls the disposer through TypeScript's helper, not the syntax.
    expect(readFileSync(js, 'utf8')).toContain('__addDisposableResource');
    compiled = (await import(pathToFileURL(js).href)) as Compiled;
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  beforeEach(() => telemetry.spans.reset());

  it('ends the span when the block exits, with its updates', () => {
    const spanId = compiled.plainBlock(startGeneration);
    const span = telemetry.byName('using-plain');
    expect(span.spanContext().spanId).toBe(spanId);
    expect(span.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(10);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('await using ends the span after the awaited work', async () => {
    const t0 = performance.now();
    await compiled.asyncBlock(startGeneration, 30);
    const span = telemetry.byName('using-async');
    const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
    expect(ms).toBeGreaterThanOrEqual(29);
    expect(ms).toBeLessThanOrEqual(performance.now() - t0 + 1);
    expect(span.attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThanOrEqual(0.029);
  });

  it('a throw ends the span but is not recorded (the disposer cannot see it)', () => {
    expect(() => compiled.throwingBlock(startGeneration)).toThrow('boom');
    const span = telemetry.byName('using-throw');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[ERROR_TYPE]).toBeUndefined();
  });

  it('fail() in a catch records the error; the disposer then leaves the ended span alone', () => {
    expect(() => compiled.failingBlock(startGeneration)).toThrow(TypeError);
    const span = telemetry.byName('using-fail');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad answer' });
    expect(span.attributes[ERROR_TYPE]).toBe('TypeError');
    expect(telemetry.spans.getFinishedSpans()).toHaveLength(1);
  });
});

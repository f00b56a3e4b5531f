import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpanStatusCode } from '@opentelemetry/api';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import ts from 'typescript';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { setupTelemetry } from './support/telemetry.js';

const t = setupTelemetry();
beforeEach(() => t.spans.reset());

const fixture = join(import.meta.dirname, 'fixtures/decorators/Assistant.ts');
const base: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  customConditions: ['@promptline/source'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
};
const modes = [
  { mode: 'standard (TC39) decorators', options: { experimentalDecorators: false } },
  { mode: 'experimentalDecorators', options: { experimentalDecorators: true, emitDecoratorMetadata: false } },
] as const;

let genDir: string | undefined;
// The second compile reuses the first program's parsed files (a full SDK type-check is slow).
let previous: ts.Program | undefined;
afterAll(async () => {
  if (genDir !== undefined) await rm(genDir, { recursive: true, force: true });
});

interface AssistantModule {
  Assistant: new (prefix: string) => {
    reply(q: string): Promise<string>;
    fail(): never;
    twice(n: number): number;
  };
  seenThis: unknown[];
  typed: [Promise<string>, number];
}

describe.each(modes)('@observed() with $mode', ({ options }) => {
  it('type-checks with the real TypeScript compiler (method types preserved)', () => {
    const program = ts.createProgram([fixture], { ...base, ...options }, undefined, previous);
    previous = program;
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('compiled output keeps this, return values and errors, and makes spans', async () => {
    const source = await readFile(fixture, 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { ...base, ...options, module: ts.ModuleKind.ESNext, noEmit: false },
      fileName: fixture,
    }).outputText;
    // Proof that the emitted JS uses the mode's own decorator machinery.
    expect(out).toContain(options.experimentalDecorators ? '__decorate(' : '__esDecorate(');
    genDir ??= await mkdtemp(join(import.meta.dirname, '.generated-'));
    const file = join(genDir, `Assistant-${options.experimentalDecorators ? 'legacy' : 'tc39'}.mjs`);
    await writeFile(file, out);
    const mod = (await import(pathToFileURL(file).href)) as AssistantModule;
    await mod.typed[0];
    t.spans.reset();

    const bot = new mod.Assistant('bot');
    expect(await bot.reply('hi')).toBe('bot:hi');
    expect(mod.seenThis.at(-1)).toBe(bot);
    expect(bot.twice(21)).toBe(42);
    expect(() => bot.fail()).toThrow(new RangeError('bot failed'));

    const reply = t.byName('reply');
    expect(reply.attributes[PROMPTLINE.OBSERVATION_TYPE]).toBe('generation');
    expect(reply.attributes[GEN_AI.REQUEST_MODEL]).toBe('gpt-4o-mini');
    expect(t.byName('custom-name').status.code).toBe(SpanStatusCode.UNSET);
    expect(t.byName('fail').status.code).toBe(SpanStatusCode.ERROR);
  });
});

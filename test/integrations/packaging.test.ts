import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { requireBuilt } from '../support/builtCli.js';

// The built SDK as an application loads it (no source condition): the main entry never loads a
// client library, each integration is its own subpath (ESM and CJS), and an integration shares the
// main entry's state (here: the withPrompt context key) instead of carrying a copy of it.

const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));
const CLIENTS = /^(openai|ai|@anthropic-ai\/sdk|@langchain\/[^/]+|@ai-sdk\/[^/]+)(\/|$)/;

/** Runs `code` in a plain Node process from the test package (which depends on @promptline/sdk). */
function node(args: string[], code: string): unknown {
  const out = execFileSync(process.execPath, [...args, '-e', code], { cwd: TEST_DIR, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

// A resolve hook that refuses the client packages: any import of one fails loudly.
const HOOK = `export async function resolve(s, c, next) {
  if (new RegExp(${JSON.stringify(CLIENTS.source)}).test(s)) throw new Error('loaded ' + s);
  return next(s, c);
}`;
const REFUSE_CLIENTS = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
`;

// Links a span through the AI SDK tracer (subpath) inside withPrompt (main entry).
const LINK_CHECK = (sdk: string, ai: string): string => `
const telemetry = ${sdk}.init({
  serviceName: 'packaging',
  spanExporter: { export: (s, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} },
  logExporter: { export: (s, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} },
});
const prompt = new ${sdk}.Prompt({ name: 'packaged', version: 9, type: 'text', template: 'x' });
const span = ${sdk}.withPrompt(prompt, () => ${ai}.promptTelemetry().tracer.startSpan('ai.generateText.doGenerate'));
span.end();
const linked = span.attributes['gen_ai.prompt.name'] ?? null;
`;

describe('packaging of @promptline/sdk and its integration subpaths (built dist)', () => {
  beforeAll(() => {
    requireBuilt(['sdk']);
    for (const entry of ['openai', 'anthropic', 'ai', 'langchain'])
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts'])
        expect(existsSync(join(TEST_DIR, `../packages/sdk/dist/${entry}.${ext}`)), `${entry}.${ext}`).toBe(
          true,
        );
  });

  it('ESM: the main entry and the openai / anthropic / ai entries load no client library', () => {
    const result = node(
      ['--input-type=module'],
      `${REFUSE_CLIENTS}
const sdk = await import('@promptline/sdk');
const ai = await import('@promptline/sdk/ai');
const { observeOpenAI } = await import('@promptline/sdk/openai');
const { observeAnthropic } = await import('@promptline/sdk/anthropic');
${LINK_CHECK('sdk', 'ai')}
let langchain;
try { await import('@promptline/sdk/langchain'); langchain = 'loaded'; } catch (e) { langchain = e.message; }
await telemetry.shutdown();
console.log(JSON.stringify({ linked, types: [typeof observeOpenAI, typeof observeAnthropic], langchain }));`,
    );
    // The langchain entry is the one that imports its library (@langchain/core), so the hook refuses it:
    // proof that the hook would have caught any other entry doing so.
    expect(result).toEqual({
      linked: 'packaged',
      types: ['function', 'function'],
      langchain: expect.stringContaining('loaded @langchain/core') as unknown,
    });
  });

  it('CJS: require() of the main entry and the integration entries loads no client library (langchain only its own)', () => {
    const result = node(
      [],
      `
const sdk = require('@promptline/sdk');
const ai = require('@promptline/sdk/ai');
require('@promptline/sdk/openai');
require('@promptline/sdk/anthropic');
${LINK_CHECK('sdk', 'ai')}
const clients = () => [...new Set(Object.keys(require.cache)
  .map((p) => /node_modules[\\\\/](?:\\.pnpm[\\\\/][^\\\\/]+[\\\\/]node_modules[\\\\/])?((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(p)?.[1])
  .filter((n) => n !== undefined && ${CLIENTS.toString()}.test(n.replace('\\\\', '/'))))];
const before = clients();
require('@promptline/sdk/langchain');
const after = clients();
telemetry.shutdown().then(() => console.log(JSON.stringify({ linked, before, after })));`,
    );
    expect(result).toEqual({ linked: 'packaged', before: [], after: ['@langchain/core'] });
  });
});

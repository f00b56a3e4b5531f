import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rule of ARCHITECTURE.md, checked through the project's own ESLint config (the one
 * `pnpm lint` runs): an import of a package outside a package's allowed list is a lint error, an
 * allowed one is not. One way only: semconv ← prompt ← sdk; semconv, prompt ← clickhouse ←
 * collector, cli; the console (a browser bundle) imports none of ours.
 */
const RULE: Record<string, readonly string[]> = {
  semconv: [],
  prompt: ['semconv'],
  sdk: ['semconv', 'prompt'],
  clickhouse: ['semconv', 'prompt'],
  collector: ['semconv', 'prompt', 'clickhouse', 'console'],
  cli: ['semconv', 'prompt', 'clickhouse', 'collector'],
  console: [],
};
const PACKAGES = Object.keys(RULE);

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/**
 * Dependency-rule errors reported for `code` linted as the text of an existing file of `pkg` (typed
 * linting needs a file its project knows: src/index.ts, or the package's first test file).
 */
async function dependencyErrors(pkg: string, where: 'src' | 'test', code: string): Promise<string[]> {
  const dir = join(root, 'packages', pkg, where);
  const file =
    where === 'src'
      ? readdirSync(dir).find((f) => f === 'index.ts' || f === 'main.tsx')
      : readdirSync(dir).find((f) => f.endsWith('.test.ts'));
  const [result] = await eslint.lintText(code, { filePath: join(dir, file ?? 'missing.test.ts') });
  expect(result?.messages.filter((m) => m.fatal === true) ?? [], 'parse errors').toEqual([]);
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => `${m.ruleId}: ${m.message}`);
}

describe('dependency rule (pnpm lint)', () => {
  for (const pkg of PACKAGES) {
    const others = PACKAGES.filter((p) => p !== pkg);
    it(`@promptline/${pkg} may import ${RULE[pkg]!.join(', ') || 'no other package'}, nothing else`, async () => {
      for (const other of others) {
        const code = `import { x } from '@promptline/${other}';\nexport const y = x;\n`;
        const errors = await dependencyErrors(pkg, 'src', code);
        if (RULE[pkg]!.includes(other)) expect(errors, `${pkg} -> ${other}`).toEqual([]);
        else {
          expect(errors, `${pkg} -> ${other}`).toHaveLength(1);
          expect(errors[0]).toContain(`@promptline/${pkg} may import`);
        }
      }
    }, 60_000);
  }

  it('also in tests, for type-only imports, import() and require()', async () => {
    const code = [
      "import type { Prompt } from '@promptline/sdk';",
      'export type P = Prompt;',
      "export const later = await import('@promptline/sdk');",
      "export const deep = await import('@promptline/sdk/package.json');",
      '',
    ].join('\n');
    expect(await dependencyErrors('collector', 'test', code)).toHaveLength(3);
    expect(await dependencyErrors('cli', 'src', code)).toHaveLength(3);
    expect(await dependencyErrors('sdk', 'src', code)).toEqual([]);
  }, 60_000);
});

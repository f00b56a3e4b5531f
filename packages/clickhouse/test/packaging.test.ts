import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built artefacts (CI builds before testing) must find the shipped migrations/ folder.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('packaging', () => {
  it('ships migrations/ and finds it from the CJS and ESM builds', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('migrations');
    for (const f of ['dist/index.cjs', 'dist/index.js']) {
      expect(existsSync(join(pkg, f)), `${f} missing: run pnpm build first`).toBe(true);
    }
    const cjs = execFileSync(
      process.execPath,
      [
        '-e',
        `const m = require(${JSON.stringify(join(pkg, 'dist/index.cjs'))}); console.log(m.defaultMigrationsDir(), m.loadMigrations().length)`,
      ],
      { encoding: 'utf8' },
    ).trim();
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(pkg, 'dist/index.js'))}); console.log(m.defaultMigrationsDir(), m.loadMigrations().length)`,
      ],
      { encoding: 'utf8' },
    ).trim();
    const expected = `${join(pkg, 'migrations')} `;
    expect(cjs.startsWith(expected)).toBe(true);
    expect(esm.startsWith(expected)).toBe(true);
    expect(Number(cjs.split(' ')[1])).toBeGreaterThanOrEqual(8);
    expect(esm).toBe(cjs);
  });
});

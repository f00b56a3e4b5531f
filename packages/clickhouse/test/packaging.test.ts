import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
        `const m = require(${JSON.stringify(join(pkg, 'dist/index.cjs'))}); console.log(JSON.stringify(m.renderMigrations().map((r) => r.file)))`,
      ],
      { encoding: 'utf8' },
    ).trim();
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(pkg, 'dist/index.js'))}); console.log(JSON.stringify(m.renderMigrations().map((r) => r.file)))`,
      ],
      { encoding: 'utf8' },
    ).trim();
    // Both builds render every file of the shipped folder, in version order.
    const shipped = readdirSync(join(pkg, 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(shipped.length).toBeGreaterThanOrEqual(8);
    expect(JSON.parse(cjs)).toEqual(shipped);
    expect(JSON.parse(esm)).toEqual(shipped);
  });

  // One engine per process, and jemalloc reads its settings once: each case is a fresh process.
  const engineProbe = (dir: string): string => `
    const maps = () => require('node:fs').readFileSync('/proc/self/maps', 'utf8').includes('libchdb');
    const server = m.openClickHouse({ url: 'http://127.0.0.1:9' });
    const before = maps();
    const client = m.openClickHouse({ path: ${JSON.stringify(dir)} });
    const rs = await client.query({ query: 'SELECT stats FROM system.jemalloc_stats', format: 'JSONEachRow' });
    const [{ stats }] = await rs.json();
    const opt = (k) => stats.split(String.fromCharCode(10)).map((l) => l.trim())
      .find((l) => l.startsWith('opt.' + k + ': '))?.split(' ')[1];
    console.log(JSON.stringify({ before, after: maps(), percpu: opt('percpu_arena'), narenas: opt('narenas'), decay: opt('dirty_decay_ms') }));
    await client.close(); await server.close();`;

  it('loads the embedded engine only for an embedded client, with one allocator arena unless JE_MALLOC_CONF says otherwise', () => {
    const dir = join(tmpdir(), `promptline-packaging-${process.pid}`);
    const run = (format: 'cjs' | 'esm', env: Record<string, string>): Record<string, unknown> => {
      const entry = join(pkg, format === 'cjs' ? 'dist/index.cjs' : 'dist/index.js');
      const code =
        format === 'cjs'
          ? `(async () => { const m = require(${JSON.stringify(entry)}); ${engineProbe(`${dir}-${format}`)} })()`
          : `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); const m = await import(${JSON.stringify(entry)}); ${engineProbe(`${dir}-${format}`)}`;
      const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
      if (env.JE_MALLOC_CONF === undefined) delete childEnv.JE_MALLOC_CONF;
      const out = execFileSync(
        process.execPath,
        [...(format === 'esm' ? ['--input-type=module'] : []), '-e', code],
        { encoding: 'utf8', env: childEnv },
      );
      return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    };
    try {
      for (const format of ['cjs', 'esm'] as const) {
        expect(run(format, {})).toMatchObject({
          before: false,
          after: true,
          percpu: '"disabled"',
          narenas: '1',
        });
      }
      // The environment wins: an empty value keeps jemalloc's defaults (one arena per CPU), a value is used as is.
      expect(run('esm', { JE_MALLOC_CONF: '' })).toMatchObject({ after: true, percpu: '"percpu"' });
      expect(run('cjs', { JE_MALLOC_CONF: 'dirty_decay_ms:3000' })).toMatchObject({
        percpu: '"percpu"',
        decay: '3000',
      });
    } finally {
      for (const format of ['cjs', 'esm']) rmSync(`${dir}-${format}`, { recursive: true, force: true });
    }
  }, 120_000);
});

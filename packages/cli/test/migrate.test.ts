import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';

describe('promptline migrate (embedded engine)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-cli-migrate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('applies every migration once, then reports them as already applied', async () => {
    const first = captureOutput();
    expect(await runCli(['--dir', dir, 'migrate'], { out: first.out, env: {} })).toBe(0);
    const applied = /migrations: (\d+) applied \(([\d, ]+)\), 0 already applied/.exec(first.stdout());
    expect(applied, first.stdout() + first.stderr()).not.toBeNull();
    const count = Number(applied![1]);
    expect(count).toBeGreaterThan(1);
    expect(first.stderr()).toMatch(/✓ applying migrations \(\d+\.\d s\)/);

    const second = captureOutput();
    expect(await runCli(['--dir', dir, 'migrate'], { out: second.out, env: {} })).toBe(0);
    expect(second.stdout()).toContain(`migrations: 0 applied, ${count} already applied, 0 skipped`);
  });

  it('rejects a bad option value with exit code 2 and names it', async () => {
    const cap = captureOutput();
    expect(await runCli(['--dir', dir, 'migrate', '--ttl-days', 'soon'], { out: cap.out, env: {} })).toBe(2);
    expect(cap.stderr()).toContain('error: --ttl-days "soon" must be a whole number of days');
  });
});

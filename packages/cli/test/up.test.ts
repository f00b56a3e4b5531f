import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';

// `up` starting for real is covered end to end (test/e2e); here: bad usage leaves nothing behind.
describe('promptline up with bad options', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'promptline-cli-up-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    [['--port', 'abc'], 'error: --port "abc" is not a port number'],
    [['--config', '/no/such/file.yaml'], 'config file /no/such/file.yaml: cannot read it'],
  ])('up %j: exit 2 naming the problem, and no directory or keys created', async (args, message) => {
    const home = join(root, 'home');
    const cap = captureOutput();
    expect(await runCli(['--dir', home, 'up', ...args], { out: cap.out, env: {} })).toBe(2);
    expect(cap.stderr()).toContain(message);
    expect(cap.stderr()).not.toContain('created local API keys');
    expect(existsSync(home)).toBe(false);
  });

  it('up --dir FILE: exit 2 saying it is not a directory', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    const cap = captureOutput();
    expect(await runCli(['--dir', file, 'up', '--port', '0'], { out: cap.out, env: {} })).toBe(2);
    expect(cap.stderr()).toContain(`error: ${file} is not a directory`);
    expect(cap.stderr()).not.toContain('ENOTDIR');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lockHolder } from '../src/engine.js';

// A live holder is covered end to end (test/e2e/cliErrors); here: what must NOT count as one.
describe('lockHolder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ignores a missing status file, a dead pid, our own pid and a live pid that does not hold the file', async () => {
    expect(lockHolder(dir)).toBeUndefined();
    await writeFile(join(dir, 'status'), 'PID: 2147483646\nStarted at: 2026-01-01 00:00:00\n');
    expect(lockHolder(dir)).toBeUndefined();
    await writeFile(join(dir, 'status'), `PID: ${process.pid}\n`);
    expect(lockHolder(dir)).toBeUndefined();
    // Our parent is alive but never opened this file (a recycled pid looks like this).
    await writeFile(join(dir, 'status'), `PID: ${process.ppid}\n`);
    expect(lockHolder(dir)).toBeUndefined();
    await writeFile(join(dir, 'status'), 'garbage');
    expect(lockHolder(dir)).toBeUndefined();
  });
});

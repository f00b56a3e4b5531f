import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireBuilt, runCli, startUp } from '../support/builtCli.js';
import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import { freePort } from '../support/ports.js';

// The built `promptline` bin's error paths: each names the problem and the fix, with the right exit code.
describe('promptline CLI errors (built bin)', () => {
  let root: string;

  beforeAll(async () => {
    requireBuilt();
    root = await mkdtemp(join(tmpdir(), 'promptline-cli-errors-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses to invent data and rejects bad usage with exit code 2', async () => {
    const empty = await runCli(['--dir', join(root, 'nothing'), 'metrics', '--prompt', 'p']);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain(`error: no Promptline data in ${join(root, 'nothing', 'data')}`);
    expect(empty.stderr).toContain('hint: run `promptline up`');
    expect(empty.stdout).toBe('');

    const since = await runCli(['--dir', root, 'metrics', '--prompt', 'p', '--since', 'yesterday']);
    expect(since.status).toBe(2);
    expect(since.stderr).toContain('error: --since "yesterday" is not a duration');

    const missing = await runCli(['metrics']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("required option '--prompt <name>' not specified");

    const collectorWithoutKey = await runCli([
      'metrics',
      '--prompt',
      'p',
      '--collector',
      'http://127.0.0.1:9',
    ]);
    expect(collectorWithoutKey.status).toBe(2);
    expect(collectorWithoutKey.stderr).toContain('needs an API key with the read scope');
  });

  it('rejects a bad collector config file, naming the key, with exit code 2', async () => {
    const file = join(root, 'bad.yaml');
    await writeFile(file, 'exporters:\n  clickhouse:\n    wal:\n      fsync: sometimes\n');
    const up = await runCli(['--dir', join(root, 'bad'), 'up', '--config', file]);
    expect(up.status).toBe(2);
    expect(up.stderr).toContain('exporters.clickhouse.wal.fsync');
    expect(up.stderr).toContain(`hint: fix ${file}`);
  });

  it('says when another process holds the data directory', async () => {
    const home = join(root, 'locked');
    // Any process holding the engine's directory: here the ClickHouse HTTP fixture (real engine).
    const holder = await startClickHouseProcess({ dataDir: join(home, 'data'), port: await freePort() });
    try {
      const metrics = await runCli(['--dir', home, 'metrics', '--prompt', 'p']);
      expect(metrics.status).toBe(1);
      expect(metrics.stderr).toContain(
        `error: the data directory ${join(home, 'data')} is locked by another process`,
      );
      expect(metrics.stderr).toContain('hint: read through that collector instead');

      const up = await runCli(['--dir', home, 'up', '--port', '0']);
      expect(up.status).toBe(1);
      expect(up.stderr).toContain(
        `error: the data directory ${join(home, 'data')} is locked by another process`,
      );
    } finally {
      await holder.stop();
    }
  });

  it('refuses a second collector on the same directory and a busy port', async () => {
    const home = join(root, 'twice');
    const first = await startUp(home);
    let busy: Server | undefined;
    try {
      const second = await runCli(['--dir', home, 'up', '--port', '0']);
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(
        `error: a collector is already running for ${home}: ${first.state.url}`,
      );

      const port = await freePort();
      busy = createServer();
      await new Promise<void>((r) => busy!.listen(port, '127.0.0.1', r));
      const taken = await runCli(['--dir', join(root, 'busy'), 'up', '--port', String(port)]);
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain(`error: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      busy?.close();
      expect(await first.stop()).toBe(0);
    }
  });
});

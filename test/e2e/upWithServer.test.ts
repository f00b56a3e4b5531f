import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI_BIN, cleanEnv, requireBuilt, runCli } from '../support/builtCli.js';
import type { UpState } from '../support/builtCli.js';
import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import type { ClickHouseProcess } from '../support/clickhouseProcess.js';
import { generationSpans, generationSpecs, otlpProtobuf, postTraces } from '../support/generationSpans.js';
import { freePort } from '../support/ports.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

// `promptline up --clickhouse URL`: the collector writes to a ClickHouse server (the HTTP fixture,
// real engine) instead of the embedded engine, and `promptline metrics` then reads that server
// directly (the state file names it), with exact counts.
describe('promptline up --clickhouse URL (built bin)', () => {
  let dir: string;
  let clickhouse: ClickHouseProcess | undefined;

  beforeAll(async () => {
    requireBuilt();
    dir = await mkdtemp(join(tmpdir(), 'promptline-up-server-'));
    clickhouse = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port: await freePort() });
  });

  afterAll(async () => {
    await clickhouse?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes to the server and reads it back directly', { timeout: 120_000 }, async () => {
    const home = join(dir, 'home');
    const up = spawn(
      process.execPath,
      [CLI_BIN, '--dir', home, 'up', '--port', '0', '--clickhouse', clickhouse!.url],
      {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    up.stdout.on('data', (c: Buffer) => (log += c.toString('utf8')));
    up.stderr.on('data', (c: Buffer) => (log += c.toString('utf8')));
    try {
      let state: (UpState & { clickhouseUrl?: string; engineDir?: string }) | undefined;
      const deadline = Date.now() + 60_000;
      while (state === undefined) {
        if (up.exitCode !== null || Date.now() > deadline)
          throw new Error(`promptline up did not start:\n${log}`);
        try {
          state = JSON.parse(await readFile(join(home, 'collector.json'), 'utf8')) as UpState;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(state.clickhouseUrl).toBe(clickhouse!.url);
      expect(state.engineDir).toBeUndefined();
      expect(log).toContain(`storage     ClickHouse at ${clickhouse!.url}`);
      // Only the read key is printed; the others are named by where they are. Everything under the
      // directory is the user's only.
      expect(log).toContain(state.readKey);
      expect(log).not.toContain(state.ingestKey);
      expect(log).not.toContain(state.adminKey);
      expect(log).toContain(
        `ingest (SDKs, OTLP exporters) and admin (registry) in ${join(home, 'keys.json')}`,
      );
      expect(modeOf(home)).toBe(0o700);
      expect(modeOf(join(home, 'keys.json'))).toBe(0o600);
      expect(modeOf(join(home, 'collector.json'))).toBe(0o600);
      expect(modeOf(join(home, 'wal'))).toBe(0o700);

      const specs = generationSpecs({
        count: 60,
        prompt: 'server-mode',
        versions: [1, 2],
        seed: 9,
        startMs: Date.now() - 10_000,
      });
      const res = await postTraces(state.url, otlpProtobuf(generationSpans(specs)), state.ingestKey);
      expect(res.status).toBe(200);

      let report:
        { source: string; versions: Array<{ version: number; count: number; errors: number }> } | undefined;
      const until = Date.now() + 30_000;
      for (;;) {
        const run = await runCli(['--dir', home, 'metrics', '--prompt', 'server-mode', '--json']);
        expect(run.status, run.stderr).toBe(0);
        report = JSON.parse(run.stdout) as typeof report;
        if (report!.versions.reduce((n, v) => n + v.count, 0) === 60 || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(report!.source).toBe(`clickhouse:${clickhouse!.url}`);
      const expected = [2, 1].map((version) => ({
        version,
        count: specs.filter((s) => s.version === version).length,
        errors: specs.filter((s) => s.version === version && s.error).length,
      }));
      expect(report!.versions.map((v) => ({ version: v.version, count: v.count, errors: v.errors }))).toEqual(
        expected,
      );
    } finally {
      if (up.exitCode === null) {
        const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
        up.kill('SIGINT');
        expect(await exited).toBe(0);
      }
    }
  });
});

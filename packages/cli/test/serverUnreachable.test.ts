import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/** Runs the `promptline` bin from its sources as a user would: its whole stdout, stderr and exit code. */
async function promptline(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@promptline/source', '--import', 'tsx', BIN, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 },
    );
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { status: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// A ClickHouse URL nobody answers at: one line naming the problem and a hint, never the client's
// own log of the failed connection (with its stack) before it.
describe('promptline --clickhouse URL that does not answer', () => {
  let url: string;
  beforeAll(async () => {
    url = `http://127.0.0.1:${await closedPort()}`;
  });

  it.each([
    ['metrics', ['metrics', '--prompt', 'p', '--clickhouse']],
    ['migrate', ['migrate', '--clickhouse']],
  ])('%s: says it cannot reach it, and nothing else', async (_name, args) => {
    const run = await promptline([...args, url]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('… opening') && !line.startsWith('✗ opening'));
    expect(lines).toEqual([
      `error: cannot reach ClickHouse at ${url}: connect ECONNREFUSED ${url.slice('http://'.length)}`,
      '  hint: check the URL and that the server is running (it must accept HTTP, usually port 8123)',
    ]);
  });

  it('up: the collector reports it; the client’s own log goes to the collector’s log, without stacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promptline-unreachable-'));
    try {
      const run = await promptline(['--dir', join(dir, 'home'), 'up', '--port', '0', '--clickhouse', url]);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(`error: cannot reach ClickHouse at ${url}: connect ECONNREFUSED`);
      expect(run.stderr).toContain('hint: check the URL and that the server is running');
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stderr).not.toContain('@clickhouse/client');
      // At debug level the client's failure shows, as one of the collector's lines.
      const debug = await promptline(
        ['--dir', join(dir, 'home2'), 'up', '--port', '0', '--clickhouse', url],
        {
          PROMPTLINE_LOG_LEVEL: 'debug',
        },
      );
      expect(debug.stderr).toMatch(
        /\[promptline-collector\] debug: clickhouse client \(Connection\): .*ECONNREFUSED/,
      );
      expect(debug.stderr).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

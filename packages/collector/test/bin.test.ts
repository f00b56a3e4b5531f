import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openClickHouse } from '@promptline/clickhouse';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../test/kit/engine.js';
import { tempDir } from '../../../test/kit/collector.js';

// The built artefact, as users and the CLI run it (CI builds before testing).
const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/promptline-collector.js');
const tmp = tempDir('promptline-bin-');
afterAll(() => tmp.remove());

function run(args: string[]): {
  done: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  kill: (s: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: tmp.dir,
    env: { ...process.env, PROMPTLINE_LOG_LEVEL: 'info' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    done: new Promise((r) => child.on('exit', (code) => r(code ?? -1))),
    stdout: () => out,
    stderr: () => err,
    kill: (s) => child.kill(s),
  };
}

describe('promptline-collector bin (built)', () => {
  it('is built', () => {
    expect(existsSync(join(dirname(bin), '../dist/bin.js')), 'run `pnpm build` first').toBe(true);
  });

  it('exits 2 naming the key on a bad config', async () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(
      file,
      'exporters: { clickhouse: { wal: { fsync: sometimes } } }\nservice: { pipelines: { traces: { receivers: [otlp], exporters: [clickhouse] } } }\nreceivers: { otlp: {} }\n',
    );
    const p = run(['--config', file]);
    expect(await p.done).toBe(2);
    expect(p.stderr()).toContain(
      'exporters.clickhouse.wal.fsync: must be one of always, interval, never (got "sometimes")',
    );
  });

  it('serves OTLP, and on SIGTERM drains the WAL into ClickHouse and exits 0', async () => {
    const file = join(tmp.dir, 'ok.yaml');
    writeFileSync(
      file,
      [
        'receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }',
        'exporters: { clickhouse: { data_dir: ./data, wal: { dir: ./wal, flush_interval_ms: 600000 } } }',
        'service: { pipelines: { traces: { receivers: [otlp], exporters: [clickhouse] } } }',
      ].join('\n'),
    );
    const p = run(['--config', file]);
    const t0 = Date.now();
    while (!/listening on (http:\/\/\S+)/.test(p.stdout()) && Date.now() - t0 < 30_000)
      await new Promise((r) => setTimeout(r, 50));
    const url = /listening on (http:\/\/\S+)/.exec(p.stdout())?.[1];
    expect(url, p.stderr()).toBeDefined();
    const spans = Array.from({ length: 25 }, (_, i) => ({
      traceId: `ab${String(i).padStart(30, '0')}`,
      spanId: `cd${String(i).padStart(14, '0')}`,
      name: 'bin-span',
      startTimeUnixNano: '1763700000000000000',
      endTimeUnixNano: '1763700000100000000',
    }));
    const res = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
    });
    expect(res.status).toBe(200);
    // Nothing is exported yet (flush interval 10 min): SIGTERM must drain it.
    p.kill('SIGTERM');
    expect(await p.done).toBe(0);
    expect(p.stderr()).toMatch(/stopped/);
    const client = openClickHouse({ url: '', path: join(tmp.dir, 'data') });
    try {
      const rows = await queryRows<{ n: string | number }>(
        client,
        "SELECT count() AS n FROM otel_traces WHERE SpanName = 'bin-span'",
      );
      expect(Number(rows[0]!.n)).toBe(25);
    } finally {
      await client.close();
    }
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig } from '../src/config/loadConfig.js';
import type { CollectorConfig } from '../src/config/loadConfig.js';
import { startCollector } from '../src/startCollector.js';
import type { RunningCollector, StartOptions } from '../src/startCollector.js';

/** A temp folder removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A real, small filesystem: a tmpfs of `bytes` mounted on a new folder (needs root, as in CI). Throws
 * when it cannot be mounted: a disk-full test must fail loudly, never pass without a full disk.
 */
export function mountTmpfs(prefix: string, bytes: number): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `this test needs a real full filesystem: mounting a ${bytes}-byte tmpfs on ${dir} failed (run as root, or in a container allowed to mount tmpfs): ${why}`,
    );
  }
  return {
    dir,
    unmount: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch (e) {
        // Busy: a file on it is still open (a leak the test should see). Detach it all the same.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        throw new Error(`${dir} was still in use when unmounted (a file left open?): ${String(e)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Bytes an unprivileged write can still put on the filesystem of `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Fills the filesystem of `dir` until `leave` bytes (rounded down to its block size) are free,
 * with the file `name` in `dir`; delete that file to free the space again.
 */
export function fillTo(dir: string, leave: number, name = 'filler'): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, Buffer.alloc(Math.max(0, freeBytes(dir) - leave)));
  return file;
}

/** A collector config on 127.0.0.1 with an ephemeral port, data and WAL under `dir`. */
export function testConfig(
  dir: string,
  overrides: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): CollectorConfig {
  const doc: Record<string, unknown> = {
    receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
    processors: {
      promptline_auth: {},
      promptline_redaction: {},
      promptline_filter: {},
      promptline_limits: {},
    },
    exporters: {
      clickhouse: {
        data_dir: join(dir, 'data'),
        wal: { dir: join(dir, 'wal'), fsync: 'always', flush_interval_ms: 30 },
        retry_on_failure: { initial_interval_ms: 20, max_interval_ms: 200 },
      },
    },
    service: {
      telemetry: { logs: { level: 'silent' } },
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_redaction', 'promptline_filter', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
        logs: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_redaction', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
      },
    },
  };
  return loadConfig(deepMerge(doc, overrides), env);
}

export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur !== null &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
    ) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

export async function start(config: CollectorConfig, options: StartOptions = {}): Promise<RunningCollector> {
  return startCollector(config, options);
}

export async function query<T>(
  client: ClickHouseClient,
  sql: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return rs.json<T>();
}

/** POSTs raw bytes to the collector. */
export async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

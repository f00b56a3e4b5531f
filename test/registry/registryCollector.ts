import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey, loadConfig, startCollector } from '@promptline/collector';
import type { RunningCollector } from '@promptline/collector';

/** API keys of the test project `acme` (and one of project `globex`). */
export const KEYS = {
  read: 'pl_registry_test_read_000000000000000000000000',
  write: 'pl_registry_test_write_00000000000000000000000',
  admin: 'pl_registry_test_admin_00000000000000000000000',
  ingest: 'pl_registry_test_ingest_0000000000000000000000',
  otherProject: 'pl_registry_test_globex_000000000000000000000',
} as const;

export interface RegistryCollector {
  collector: RunningCollector;
  url: string;
  dir: string;
  /** Stops the collector (idempotent) and removes its data. */
  close(): Promise<void>;
  /** A registry request with one of {@link KEYS}. */
  call(
    method: string,
    path: string,
    key: keyof typeof KEYS,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * A real collector on the embedded engine (fresh data dir), listening on 127.0.0.1 with an
 * ephemeral port, with keys for project `acme` (read / write / admin / ingest) and `globex`.
 */
export async function startRegistryCollector(): Promise<RegistryCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-registry-e2e-'));
  const key = (k: keyof typeof KEYS, project: string, scopes: string[]) => ({
    sha256: hashApiKey(KEYS[k]),
    project,
    scopes,
    name: k,
  });
  const config = loadConfig(
    {
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors: {
        promptline_auth: {
          keys: [
            key('read', 'acme', ['read']),
            key('write', 'acme', ['read', 'write']),
            key('admin', 'acme', ['admin']),
            key('ingest', 'acme', ['ingest']),
            key('otherProject', 'globex', ['read', 'write']),
          ],
        },
      },
      exporters: {
        clickhouse: {
          data_dir: join(dir, 'data'),
          wal: { dir: join(dir, 'wal'), flush_interval_ms: 30 },
        },
      },
      service: {
        telemetry: { logs: { level: 'silent' } },
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
          logs: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
        },
      },
    },
    {},
  );
  const collector = await startCollector(config);
  const url = collector.url;
  let stopped = false;
  return {
    collector,
    url,
    dir,
    async close() {
      if (!stopped) {
        stopped = true;
        await collector.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async call(method, path, k, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${KEYS[k]}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
  };
}

import { startTestCollector } from '../kit/collector.js';
import type { TestCollector } from '../kit/collector.js';

/** API keys of the test project `acme` (and one of project `globex`). */
export const KEYS = {
  read: 'pl_registry_test_read_000000000000000000000000',
  write: 'pl_registry_test_write_00000000000000000000000',
  admin: 'pl_registry_test_admin_00000000000000000000000',
  ingest: 'pl_registry_test_ingest_0000000000000000000000',
  otherProject: 'pl_registry_test_globex_000000000000000000000',
} as const;

export interface RegistryCollector extends TestCollector {
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
  const test = await startTestCollector({
    prefix: 'promptline-registry-e2e-',
    keys: [
      { key: KEYS.read, project: 'acme', scopes: ['read'], name: 'read' },
      { key: KEYS.write, project: 'acme', scopes: ['read', 'write'], name: 'write' },
      { key: KEYS.admin, project: 'acme', scopes: ['admin'], name: 'admin' },
      { key: KEYS.ingest, project: 'acme', scopes: ['ingest'], name: 'ingest' },
      { key: KEYS.otherProject, project: 'globex', scopes: ['read', 'write'], name: 'otherProject' },
    ],
  });
  return {
    ...test,
    async call(method, path, k, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${KEYS[k]}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${test.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
  };
}

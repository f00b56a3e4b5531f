import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey, loadConfig, startCollector } from '@promptline/collector';
import type { CollectorConfig, RunningCollector, StartOptions } from '@promptline/collector';

/**
 * The collector fixture of the tests: a real collector on the embedded engine in a temp folder,
 * listening on 127.0.0.1 with an ephemeral port.
 */

/** A temp folder removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One API key of a test collector: the clear-text key, its project and scopes. */
export interface TestKey {
  key: string;
  project: string;
  scopes: string[];
  /** Recorded as the actor (creator, label mover). Default: the key's position, `key0`, `key1`, … */
  name?: string;
}

/** `promptline_auth.keys` entries for clear-text test keys (only their digests go in the config). */
export function authKeys(keys: readonly TestKey[]): Record<string, unknown>[] {
  return keys.map((k, i) => ({
    sha256: hashApiKey(k.key),
    project: k.project,
    scopes: k.scopes,
    name: k.name ?? `key${i}`,
  }));
}

/**
 * {@link testConfig} with two keys of `project`: `ingest` sends, `read` reads (the console's and the
 * read API's side). `overrides` as in testConfig.
 */
export function ingestReadConfig(
  dir: string,
  keys: { ingest: string; read: string; project: string },
  overrides: Record<string, unknown> = {},
): CollectorConfig {
  const auth = {
    processors: {
      promptline_auth: {
        keys: authKeys([
          { key: keys.ingest, project: keys.project, scopes: ['ingest'] },
          { key: keys.read, project: keys.project, scopes: ['read'] },
        ]),
      },
    },
  };
  return testConfig(dir, deepMerge(auth, overrides));
}

/**
 * A collector config on 127.0.0.1 with an ephemeral port, data and WAL under `dir`, every
 * processor in both pipelines, fast WAL flushes and retries, silent logs. `overrides` are merged
 * in (objects deeply, everything else replaced).
 */
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

/** A running test collector and its folder. */
export interface TestCollector {
  collector: RunningCollector;
  url: string;
  dir: string;
  /** Stops the collector (idempotent) and removes its folder. */
  close(): Promise<void>;
}

/**
 * Starts a collector ({@link testConfig}) in a fresh temp folder, with `keys` (none: anonymous
 * ingest into project `default`).
 */
export async function startTestCollector(
  opts: {
    prefix?: string;
    keys?: readonly TestKey[];
    overrides?: Record<string, unknown>;
    options?: StartOptions;
  } = {},
): Promise<TestCollector> {
  const { dir, remove } = tempDir(opts.prefix ?? 'promptline-collector-');
  const keys =
    opts.keys === undefined ? {} : { processors: { promptline_auth: { keys: authKeys(opts.keys) } } };
  let collector: RunningCollector;
  try {
    collector = await startCollector(testConfig(dir, deepMerge(keys, opts.overrides ?? {})), opts.options);
  } catch (err) {
    remove();
    throw err;
  }
  let stopped = false;
  return {
    collector,
    url: collector.url,
    dir,
    async close() {
      if (!stopped) {
        stopped = true;
        await collector.stop();
      }
      remove();
    },
  };
}

/** POSTs raw bytes to the collector. */
export async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  // Uint8Array<ArrayBuffer>: a BodyInit under the DOM lib too
  const res = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers,
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

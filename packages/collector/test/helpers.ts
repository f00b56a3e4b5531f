import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient, Logger, LogParams } from '@clickhouse/client';
import { loadConfig } from '../src/config/loadConfig.js';
import type { CollectorConfig } from '../src/config/loadConfig.js';
import { startCollector } from '../src/startCollector.js';
import type { RunningCollector, StartOptions } from '../src/startCollector.js';

/** A temp folder removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
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

/** One line a @clickhouse/client logged: its level, module, message and the error's message. */
export interface ClientLogEntry {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  module: string;
  message: string;
  error?: string;
}

/**
 * A log for @clickhouse/client that keeps its entries instead of printing them: pass `log` to
 * `createClient` and assert `entries`. The client logs every failed request at ERROR with a stack,
 * so a test that expects refusals would otherwise print pages of them into a green run.
 */
export function recordClientLog(): { log: { LoggerClass: new () => Logger }; entries: ClientLogEntry[] } {
  const entries: ClientLogEntry[] = [];
  const keep =
    (level: ClientLogEntry['level']) =>
    ({ module, message, err }: LogParams & { err?: Error }): void => {
      entries.push(
        err === undefined ? { level, module, message } : { level, module, message, error: err.message },
      );
    };
  class RecordingLogger implements Logger {
    trace = keep('trace');
    debug = keep('debug');
    info = keep('info');
    warn = keep('warn');
    error = keep('error');
  }
  return { log: { LoggerClass: RecordingLogger }, entries };
}

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { stopChild } from './clickhouseProcess.js';
import { COLLECTOR_BIN, cleanEnv } from './builtCli.js';

export interface CollectorProcessOptions {
  /** Folder for the config file, the engine's data (`data/`) and the WAL (`wal/`). */
  dir: string;
  port: number;
  /** Ingest + read key (project `project`). */
  apiKey: string;
  project: string;
  /** ClickHouse server URL; default: the embedded engine in `dir/data`. */
  clickhouseUrl?: string;
  /** Extra `exporters.clickhouse` settings (e.g. a small `wal.max_bytes`). */
  exporter?: Record<string, unknown>;
  /** `service.retry_after_seconds`. */
  retryAfterSeconds?: number;
}

/** Writes the collector's YAML config (OpenTelemetry Collector shape) and returns its path. */
export async function writeCollectorConfig(opts: CollectorProcessOptions): Promise<string> {
  await mkdir(opts.dir, { recursive: true });
  const sha256 = createHash('sha256').update(opts.apiKey, 'utf8').digest('hex');
  const { wal: walExtra, ...exporterExtra } = (opts.exporter ?? {}) as { wal?: Record<string, unknown> };
  const doc = {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${opts.port}` } } } },
    processors: {
      promptline_auth: {
        keys: [{ sha256, project: opts.project, scopes: ['ingest', 'read'], name: 'test' }],
      },
      promptline_limits: {},
    },
    exporters: {
      clickhouse: {
        endpoint: opts.clickhouseUrl ?? '',
        data_dir: join(opts.dir, 'data'),
        timeout_ms: 5_000,
        wal: { dir: join(opts.dir, 'wal'), fsync: 'always', flush_interval_ms: 200, ...walExtra },
        retry_on_failure: { initial_interval_ms: 200, max_interval_ms: 2_000, multiplier: 2 },
        ...exporterExtra,
      },
    },
    // The typed read API; no SQL endpoint (it would need a read-only ClickHouse user with a server).
    extensions: { promptline_read_api: { enabled: true, sql: { enabled: false } } },
    service: {
      retry_after_seconds: opts.retryAfterSeconds ?? 1,
      shutdown_timeout_ms: 10_000,
      telemetry: { logs: { level: 'warn' } },
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
        logs: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
      },
    },
  };
  const file = join(opts.dir, 'collector.yaml');
  await writeFile(file, stringify(doc));
  return file;
}

/** What `/healthz` answers (without a key it says up or down, nothing more). */
export interface Health {
  status: string;
}

export interface CollectorProcess {
  url: string;
  child: ChildProcess;
  /** Output so far. */
  log(): string;
  health(): Promise<Health | undefined>;
  /** Bytes in the WAL not yet in ClickHouse (`promptline_collector_queue_bytes` on `/metrics`). */
  queueBytes(): Promise<number | undefined>;
  /** SIGKILL: no shutdown code runs (what a crash or the OOM killer does). */
  kill9(): Promise<void>;
  /** SIGTERM: graceful shutdown (drains the WAL). */
  stop(): Promise<void>;
}

/**
 * Bytes a collector at `url` accepted and has not yet written to ClickHouse
 * (`promptline_collector_queue_bytes` on `/metrics`, which needs no key); undefined when it does not
 * answer. 0 after a request was accepted means its insert has finished (or its segment was
 * dead-lettered): every table the insert fills (raw spans, generations, aggregates) holds it. A read can see an insert that is still under
 * way in some tables and not yet in others, so a test that checks one figure to know that data
 * arrived must also wait for this before it reads another.
 */
export async function collectorQueueBytes(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
    const m = /^promptline_collector_queue_bytes (\d+)$/m.exec(await res.text());
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Starts the BUILT collector bin with `--config` and waits until `/healthz` answers. */
export async function startCollectorProcess(
  configFile: string,
  port: number,
  timeoutMs = 60_000,
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [COLLECTOR_BIN, '--config', configFile], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (c: Buffer): void => {
    log = (log + c.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const health = async (): Promise<Health | undefined> => {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return (await res.json()) as Health;
    } catch {
      return undefined;
    }
  };
  const queueBytes = (): Promise<number | undefined> => collectorQueueBytes(url);
  const deadline = Date.now() + timeoutMs;
  while ((await health()) === undefined) {
    if (child.exitCode !== null) throw new Error(`the collector exited with code ${child.exitCode}:\n${log}`);
    if (Date.now() > deadline) {
      await stopChild(child, 1_000);
      throw new Error(`the collector did not answer /healthz within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    log: () => log,
    health,
    queueBytes,
    kill9: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
    stop: () => stopChild(child, 30_000),
  };
}

/**
 * Polls `/healthz` and `/metrics` until exports are healthy and nothing is left in the WAL
 * (everything acknowledged is in ClickHouse).
 */
export async function waitDrained(collector: CollectorProcess, timeoutMs: number): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await collector.health();
    const queued = await collector.queueBytes();
    if (h !== undefined && queued === 0 && h.status === 'ok') return h;
    if (Date.now() > deadline)
      throw new Error(
        `the WAL did not drain in ${timeoutMs} ms: ${JSON.stringify({ ...h, queued })}\n${collector.log()}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

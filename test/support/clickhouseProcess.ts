import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./chdbHttpServer.ts', import.meta.url));

export interface ClickHouseProcess {
  /** `http://127.0.0.1:<port>` — give it to `@clickhouse/client` or the collector's exporter. */
  url: string;
  port: number;
  /** Stops the process cleanly (SIGTERM: the engine closes its data directory). */
  stop(): Promise<void>;
}

/**
 * Starts the ClickHouse-HTTP fixture (real engine via chdb) as a child process on `port` and waits
 * until it listens. Restart on the same dir and port to bring "ClickHouse" back.
 */
export async function startClickHouseProcess(opts: {
  dataDir: string;
  port: number;
  timeoutMs?: number;
  /** Extra environment, e.g. the fixture's read-only user (see chdbHttpServer.ts). */
  env?: Record<string, string>;
}): Promise<ClickHouseProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, opts.dataDir, String(opts.port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ClickHouse fixture did not start in ${opts.timeoutMs ?? 30_000} ms: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('listening ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ClickHouse fixture exited with code ${String(code)}: ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    port: opts.port,
    stop: () => stopChild(child, 15_000),
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

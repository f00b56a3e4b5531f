import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

import { ClickHouseLogLevel } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from '@promptline/clickhouse';

import { CliError } from './CliError.js';

/** Thrown when another process (normally a running collector) holds the engine's directory. */
export class EngineLockedError extends CliError {
  constructor(
    readonly dir: string,
    readonly holderPid: number | undefined,
    cause: unknown,
  ) {
    const who = holderPid === undefined ? 'another process' : `another process (pid ${holderPid})`;
    super(`the data directory ${dir} is locked by ${who} — a running \`promptline up\`?`, {
      hint: 'read through that collector instead: promptline metrics --collector http://HOST:PORT --api-key KEY',
      cause,
    });
  }
}

const LOCKED = /Cannot lock file/;

/** True when an engine error (or one of its causes) says another process holds the directory. */
export function isLockError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (LOCKED.test(e.message)) return true;
  }
  return false;
}

/**
 * The live process holding the engine's directory, if any. The engine keeps a `status` file with
 * `PID: n` in its directory while it runs (and removes it on a clean close), so a `status` file
 * naming a live process other than us means the directory is taken. The engine's own error for a
 * second opener only says it "failed to create a connection", hence this look.
 */
export function lockHolder(dir: string): number | undefined {
  const status = join(dir, 'status');
  let text: string;
  try {
    text = readFileSync(status, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return holdsOpen(pid, status) ? pid : undefined;
}

/**
 * Whether `pid` has `file` open — so that a recycled pid (the engine was killed, another program
 * got its number) is not taken for the holder. Where `/proc` cannot tell, a live pid is trusted.
 */
function holdsOpen(pid: number, file: string): boolean {
  let fds: string[];
  let target: string;
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
    target = realpathSync(file);
  } catch {
    return true;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
    } catch {
      return false;
    }
  });
}

export interface OpenEngineOptions {
  /** ClickHouse server URL; when unset, the embedded engine on `engineDir`. */
  clickhouseUrl?: string;
  engineDir: string;
  /** Create the directory when missing (for `migrate`); readers refuse an empty place. */
  create: boolean;
}

/** Opens a client on a server URL or on the embedded engine, naming the problem when it cannot. */
export async function openEngine(opts: OpenEngineOptions): Promise<ClickHouseClient> {
  if (opts.clickhouseUrl !== undefined) {
    // The CLI names every failure itself (one line and a hint): the client's own log would print
    // the same failure again, with its stack, before that line.
    const client = openClickHouse({ url: opts.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
    const ping = await client.ping();
    if (!ping.success) {
      await client.close();
      throw new CliError(`cannot reach ClickHouse at ${opts.clickhouseUrl}: ${ping.error.message}`, {
        hint: 'check the URL and that the server is running (it must accept HTTP, usually port 8123)',
      });
    }
    return client;
  }
  if (!opts.create && !existsSync(opts.engineDir)) {
    throw new CliError(`no Promptline data in ${opts.engineDir}`, {
      hint: 'run `promptline up` (or `npm run demo`) first, or point --dir / --clickhouse at your data',
    });
  }
  const holder = lockHolder(opts.engineDir);
  if (holder !== undefined) throw new EngineLockedError(opts.engineDir, holder, undefined);
  try {
    return openClickHouse({ path: opts.engineDir });
  } catch (error) {
    if (isLockError(error)) throw new EngineLockedError(opts.engineDir, lockHolder(opts.engineDir), error);
    throw error;
  }
}

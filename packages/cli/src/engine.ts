import { existsSync } from 'node:fs';

import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from '@promptline/clickhouse';

import { CliError } from './CliError.js';

/** Thrown when another process (normally a running collector) holds the engine's directory. */
export class EngineLockedError extends CliError {
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`the data directory ${dir} is locked by another process (a running \`promptline up\`?)`, {
      hint: 'read through that collector instead: promptline metrics --collector http://HOST:PORT --api-key KEY',
      cause,
    });
  }
}

const LOCKED = /Cannot lock file/;

/** True when an engine error says another process holds the directory. */
export function isLockError(error: unknown): boolean {
  return error instanceof Error && LOCKED.test(error.message);
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
    const client = openClickHouse({ url: opts.clickhouseUrl });
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
  try {
    return openClickHouse({ path: opts.engineDir });
  } catch (error) {
    if (isLockError(error)) throw new EngineLockedError(opts.engineDir, error);
    throw error;
  }
}

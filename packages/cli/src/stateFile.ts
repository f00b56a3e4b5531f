import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `promptline up` leaves in the data directory while it runs, so that other `promptline`
 * commands can find the collector that holds the directory's lock and read through its HTTP API.
 * Written with mode 0600: it holds the local API keys.
 */
export interface CollectorState {
  pid: number;
  /** Base URL of the collector (OTLP receiver and read API). */
  url: string;
  /** Key with the `ingest` scope, for SDKs (`Authorization: Bearer …`). */
  ingestKey: string;
  /** Key with the `read` scope, for the CLI, Grafana and `@clickhouse/client`. */
  readKey: string;
  /** Key with the `read`, `write` and `admin` scopes, for managing prompts and keys. */
  adminKey: string;
  /** Where the embedded engine keeps its data; absent when a ClickHouse URL is used. */
  engineDir?: string;
  clickhouseUrl?: string;
  startedAt: string;
}

export const STATE_FILE_NAME = 'collector.json';

export function stateFilePath(home: string): string {
  return join(home, STATE_FILE_NAME);
}

/** Writes the state file atomically (temp file + rename). */
export async function writeCollectorState(home: string, state: CollectorState): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const target = stateFilePath(home);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, target);
}

/** Removes the state file if it still describes this process (never someone else's). */
export async function removeCollectorState(home: string, pid = process.pid): Promise<void> {
  const current = await readCollectorState(home, { requireAlive: false });
  if (current !== undefined && current.pid === pid) await rm(stateFilePath(home), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isState(value: unknown): value is CollectorState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.pid === 'number' &&
    typeof v.url === 'string' &&
    typeof v.ingestKey === 'string' &&
    typeof v.readKey === 'string' &&
    typeof v.adminKey === 'string'
  );
}

/**
 * Reads the state file. With `requireAlive` (the default) a file left behind by a process that
 * no longer exists (e.g. after kill -9) is ignored.
 */
export async function readCollectorState(
  home: string,
  opts: { requireAlive?: boolean } = {},
): Promise<CollectorState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFilePath(home), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isState(parsed)) return undefined;
  if ((opts.requireAlive ?? true) && !isAlive(parsed.pid)) return undefined;
  return parsed;
}

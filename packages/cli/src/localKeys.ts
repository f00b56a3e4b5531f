import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './CliError.js';

/** The API keys `promptline up` creates once per directory and reuses on every start. */
export interface LocalKeys {
  /** Scope `ingest`: for SDKs and OpenTelemetry exporters. */
  ingest: string;
  /** Scope `read`: for `promptline metrics`, Grafana and `@clickhouse/client`. */
  read: string;
  /** Scopes `read`, `write`, `admin`: for managing prompts and keys. */
  admin: string;
}

export const KEYS_FILE_NAME = 'keys.json';

function newKey(): string {
  return `pl_${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 hex of a key: the only form the collector's configuration holds. */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function isKeys(value: unknown): value is LocalKeys {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.ingest === 'string' && typeof v.read === 'string' && typeof v.admin === 'string';
}

/**
 * Reads `HOME/keys.json`, creating it (mode 0600) with three new random keys the first time; a HOME
 * created here is its user's only (0700).
 */
export async function loadOrCreateLocalKeys(home: string): Promise<{ keys: LocalKeys; created: boolean }> {
  const file = join(home, KEYS_FILE_NAME);
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (isKeys(parsed)) return { keys: parsed, created: false };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw new CliError(`${home} is not a directory`, {
        hint: 'name a directory with --dir (it is created when missing)',
        exitCode: 2,
      });
    if (code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  const keys: LocalKeys = { ingest: newKey(), read: newKey(), admin: newKey() };
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { keys, created: true };
}

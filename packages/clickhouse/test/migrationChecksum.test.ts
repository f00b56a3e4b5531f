import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { loadMigrations, MIGRATIONS_TABLE } from '../src/schema/migrate.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';

/**
 * A migration's recorded checksum covers what it creates (its rendered statements), not its text:
 * migrations expand code-defined fragments (stats layout, histogram levels, semconv keys), so the
 * same text can create something else after a code change. Databases migrated when the checksum
 * was of the file text stay valid.
 */
const engine = tempEngine();
const { client } = engine;
const dirs: string[] = [];
afterAll(async () => {
  await engine.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function recorded(database: string): Promise<Map<number, string>> {
  const rows = await queryRows<{ version: number; checksum: string }>(
    client,
    `SELECT version, argMax(checksum, applied_at) AS checksum FROM ${database}.${MIGRATIONS_TABLE} GROUP BY version`,
  );
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

/** A migrations folder holding one file, `0001_t.sql`, with `text`. */
function folder(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-migrations-'));
  dirs.push(dir);
  writeFileSync(join(dir, '0001_t.sql'), text);
  return dir;
}

const table = (defaultExpr: string, comment = ''): string =>
  `${comment}CREATE TABLE IF NOT EXISTS {{table:t}} (k String DEFAULT ${defaultExpr})\nENGINE = {{engine:MergeTree}} ORDER BY k;\n`;

describe('migration checksums', () => {
  it('a fresh install records the checksum of the rendered statements, not of the file text', async () => {
    const files = loadMigrations();
    const result = await migrate(client, { database: 'fresh' });
    expect(result.applied).toEqual(files.map((f) => f.version));
    const stored = await recorded('fresh');
    for (const f of files) {
      expect(stored.get(f.version), f.file).toBe(f.checksum);
      expect(f.checksum, f.file).not.toBe(f.textChecksum);
      expect(f.textChecksum).toBe(sha256(f.text));
    }
    expect((await migrate(client, { database: 'fresh' })).changed).toEqual([]);
  });

  it('accepts a database migrated with file-text checksums, and records rendered ones from then on', async () => {
    const files = loadMigrations();
    const upTo = files[files.length - 2]!.version;
    await migrate(client, { database: 'old', target: upTo });
    // What versions before the rendered checksum stored: the file text's SHA-256.
    await client.insert({
      table: `old.${MIGRATIONS_TABLE}`,
      values: files
        .filter((f) => f.version <= upTo)
        .map((f) => ({
          version: f.version,
          name: f.name,
          checksum: f.textChecksum,
          skipped: 0,
          applied_at: '2099-01-01 00:00:00.000',
        })),
      format: 'JSONEachRow',
    });
    const upgrade = await migrate(client, { database: 'old' });
    expect(upgrade.changed).toEqual([]);
    expect(upgrade.applied).toEqual([files[files.length - 1]!.version]);
    const stored = await recorded('old');
    expect(stored.get(files[0]!.version)).toBe(files[0]!.textChecksum);
    expect(stored.get(files[files.length - 1]!.version)).toBe(files[files.length - 1]!.checksum);
    expect((await migrate(client, { database: 'old' })).changed).toEqual([]);
  });

  it('reports a migration whose rendered statements changed, not one whose text changed alone', async () => {
    // A fragment and the literal it expands to create the same table: same checksum.
    await migrate(client, { database: 'frag', migrationsDir: folder(table("'gen_ai.request.model'")) });
    const viaFragment = await migrate(client, {
      database: 'frag',
      migrationsDir: folder(table('{{key:GEN_AI.REQUEST_MODEL}}', '-- the key from @promptline/semconv\n')),
    });
    expect(viaFragment).toMatchObject({ alreadyApplied: [1], changed: [] });
    // The same directive expanding to another value: what the migration creates changed.
    const otherKey = await migrate(client, {
      database: 'frag',
      migrationsDir: folder(table('{{key:GEN_AI.RESPONSE_MODEL}}')),
    });
    expect(otherKey).toMatchObject({ alreadyApplied: [1], changed: [1] });
  });
});

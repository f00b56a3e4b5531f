import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { allNodesTables, migrationFlags, quoteIdent, renderMigration } from './renderSql.js';
import type { RenderOptions } from './renderSql.js';

/** Options of {@link migrate}. */
export interface MigrateOptions extends RenderOptions {
  /**
   * Create `otel_traces` / `otel_logs` (migrations flagged `-- @schema`). Default `true`. Set
   * `false` when an upstream OpenTelemetry Collector already created them (its `create_schema`).
   */
  createSchema?: boolean;
  /** Apply migrations up to and including this version only. Default: all. */
  target?: number;
  /**
   * Keep the exporter's bloom-filter skip indexes on the attribute maps of `otel_traces`
   * (`idx_res_attr_key`, `idx_res_attr_value`, `idx_span_attr_key`, `idx_span_attr_value`).
   * Default `true` (the upstream exporter's table). `false` drops them (`DROP INDEX IF EXISTS`,
   * also on an existing table): inserts get cheaper, raw-span searches by attribute scan more
   * granules. Only applied with `createSchema` on (we own the table); columns and types stay.
   */
  attributeIndexes?: boolean;
  /** Folder of `NNNN_name.sql` files. Default: the package's shipped `migrations/` folder. */
  migrationsDir?: string;
}

/** One migration file. */
export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  text: string;
  /** SHA-256 of what the file creates: its statements rendered for {@link CHECKSUM_DEPLOYMENTS}. */
  checksum: string;
  /** SHA-256 of the file's text: what versions before the rendered checksum recorded. */
  textChecksum: string;
  schema: boolean;
}

/** Outcome of {@link migrate}. */
export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** Versions recorded as skipped by this call (`@schema` files with `createSchema: false`). */
  skipped: number[];
  /** Versions that were already recorded before this call. */
  alreadyApplied: number[];
  /**
   * Recorded versions whose statements changed since they were applied (not re-run): what the file
   * creates now differs from what it created then, be it through its text or through a code-defined
   * fragment it expands (stats layout, histogram levels, semconv keys).
   */
  changed: number[];
}

/** The exporter's bloom-filter indexes on the attribute maps of `otel_traces`. */
export const ATTRIBUTE_INDEXES = [
  'idx_res_attr_key',
  'idx_res_attr_value',
  'idx_span_attr_key',
  'idx_span_attr_value',
] as const;

/** `DROP INDEX` of {@link ATTRIBUTE_INDEXES} as a migration-format template. */
const DROP_ATTRIBUTE_INDEXES = `ALTER TABLE {{local:otel_traces}} {{on_cluster}} ${ATTRIBUTE_INDEXES.map((i) => `DROP INDEX IF EXISTS ${i}`).join(', ')};`;

/** Name of the table recording applied migrations. */
export const MIGRATIONS_TABLE = 'promptline_migrations';

const FILE_RE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/**
 * The deployments a migration's checksum renders it for: one single node and one cluster, with a
 * TTL, so every directive and code-defined fragment is in the checksummed text while the options
 * of one install (database, TTL, cluster name) are not.
 */
const CHECKSUM_DEPLOYMENTS: readonly RenderOptions[] = [{ ttlDays: 1 }, { cluster: 'c', ttlDays: 1 }];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The shipped `migrations/` folder. Works from `src/` (tests), `dist/index.js` (ESM) and
 * `dist/index.cjs` (CJS, where tsup shims `import.meta.url`): walk up from this module's folder
 * to the first ancestor holding `migrations/`.
 */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    '@promptline/clickhouse: migrations/ folder not found next to the package; pass migrationsDir',
  );
}

/**
 * Read and order the migration files of a folder (numeric prefix order; duplicates rejected), each
 * with its checksum: of its rendered statements, and (for databases migrated before that) of its text.
 */
export function loadMigrations(dir: string = defaultMigrationsDir()): MigrationFile[] {
  const files: Omit<MigrationFile, 'checksum'>[] = [];
  const seen = new Map<number, string>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_RE.exec(file);
    if (!m) throw new Error(`migration file ${file}: name must be NNNN_name.sql`);
    const version = Number(m[1]);
    const other = seen.get(version);
    if (other !== undefined) throw new Error(`migrations ${other} and ${file} share version ${version}`);
    seen.set(version, file);
    const text = readFileSync(join(dir, file), 'utf8');
    files.push({
      version,
      name: m[2] as string,
      file,
      text,
      textChecksum: sha256(text),
      schema: migrationFlags(text).schema,
    });
  }
  const plainTables = new Set(files.flatMap((f) => [...allNodesTables(f.text)]));
  return files
    .sort((a, b) => a.version - b.version)
    .map((f) => ({
      ...f,
      checksum: sha256(
        JSON.stringify(CHECKSUM_DEPLOYMENTS.map((opts) => renderMigration(f.text, { ...opts, plainTables }))),
      ),
    }));
}

/** Tables created by `@schema` migrations (their `{{local:…}}` names), used plain when not ours. */
function schemaTables(files: readonly Pick<MigrationFile, 'schema' | 'text'>[]): Set<string> {
  const out = new Set<string>();
  for (const f of files.filter((x) => x.schema)) {
    for (const m of f.text.matchAll(/CREATE TABLE IF NOT EXISTS \{\{local:([A-Za-z0-9_]+)\}\}/g)) {
      out.add(m[1] as string);
    }
  }
  return out;
}

/**
 * Render every migration for the given options, as `[version, statements]` pairs, without
 * running anything (used for the cluster variant and by `promptline migrate --print`).
 */
export function renderMigrations(
  opts: MigrateOptions = {},
): Array<{ version: number; file: string; statements: string[] }> {
  const files = loadMigrations(opts.migrationsDir);
  const createSchema = opts.createSchema ?? true;
  // Tables replicated to every node are never split into NAME_local + Distributed, in any file.
  const plainTables = new Set([
    ...(opts.plainTables ?? []),
    ...(createSchema ? [] : schemaTables(files)),
    ...files.flatMap((f) => [...allNodesTables(f.text)]),
  ]);
  return files
    .filter((f) => opts.target === undefined || f.version <= opts.target)
    .map((f) => ({
      version: f.version,
      file: f.file,
      statements: f.schema && !createSchema ? [] : renderMigration(f.text, { ...opts, plainTables }),
    }));
}

function bootstrapStatements(opts: MigrateOptions): string[] {
  const db = quoteIdent(opts.database ?? 'default', 'database');
  const clustered = opts.cluster !== undefined && opts.cluster !== '';
  const onCluster = clustered ? `ON CLUSTER ${quoteIdent(opts.cluster as string, 'cluster')}` : '';
  const engine = clustered
    ? `ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/${MIGRATIONS_TABLE}', '{replica}', applied_at)`
    : 'ReplacingMergeTree(applied_at)';
  return [
    `CREATE DATABASE IF NOT EXISTS ${db} ${onCluster}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${MIGRATIONS_TABLE} ${onCluster} (
  version UInt32,
  name String,
  checksum String,
  skipped UInt8,
  applied_at DateTime64(3, 'UTC')
) ENGINE = ${engine} ORDER BY version`,
  ];
}

/**
 * Apply pending migrations, in version order, recording each in `promptline_migrations` with the
 * checksum of its rendered statements. Idempotent: recorded versions are not re-run, and every
 * statement is `IF NOT EXISTS`, so a run interrupted half-way can simply be repeated. A recorded
 * version whose checksum differs from the current one is reported in `changed`; versions recorded
 * with the checksum of their file text (before rendered checksums) are compared by that. Not safe
 * to run concurrently with itself.
 *
 * @example
 * const client = openClickHouse();
 * const { applied } = await migrate(client, { ttlDays: 90 });
 */
export async function migrate(client: ClickHouseClient, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const db = quoteIdent(opts.database ?? 'default', 'database');
  for (const stmt of bootstrapStatements(opts)) await client.command({ query: stmt });
  const rs = await client.query({
    query: `SELECT version, argMax(checksum, applied_at) AS checksum FROM ${db}.${MIGRATIONS_TABLE} GROUP BY version`,
    format: 'JSONEachRow',
  });
  const recorded = new Map<number, string>();
  for (const r of await rs.json<{ version: number; checksum: string }>())
    recorded.set(Number(r.version), r.checksum);

  const files = loadMigrations(opts.migrationsDir);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const result: MigrateResult = { applied: [], skipped: [], alreadyApplied: [], changed: [] };
  for (const m of renderMigrations(opts)) {
    const file = byVersion.get(m.version) as MigrationFile;
    const prior = recorded.get(m.version);
    if (prior !== undefined) {
      result.alreadyApplied.push(m.version);
      if (prior !== file.checksum && prior !== file.textChecksum) result.changed.push(m.version);
      continue;
    }
    for (const stmt of m.statements) {
      try {
        await client.command({ query: stmt });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`migration ${file.file} failed: ${msg}\n--- statement ---\n${stmt}`, { cause: err });
      }
    }
    const skipped = file.schema && opts.createSchema === false;
    await client.insert({
      table: `${db}.${MIGRATIONS_TABLE}`,
      values: [
        {
          version: m.version,
          name: file.name,
          checksum: file.checksum,
          skipped: skipped ? 1 : 0,
          applied_at: new Date().toISOString().replace('T', ' ').replace('Z', ''),
        },
      ],
      format: 'JSONEachRow',
    });
    (skipped ? result.skipped : result.applied).push(m.version);
  }
  if (opts.attributeIndexes === false && (opts.createSchema ?? true)) {
    for (const stmt of renderMigration(DROP_ATTRIBUTE_INDEXES, opts)) await client.command({ query: stmt });
  }
  return result;
}

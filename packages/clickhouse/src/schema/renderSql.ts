import * as semconv from '@promptline/semconv';
import { histValueSql } from './histogram.js';
import { NEW_SPANS_LOG_COMMENT, spanIdentitySql } from './spanIdentity.js';
import {
  MAX_INTEGER_VERSION,
  versionIdSql,
  versionIntSql,
  versionTextOkSql,
  versionTrimSql,
} from './promptVersion.js';
import { statsAggregateSql, statsPackColumnsSql, statsUnpackSql } from './statsLayout.js';

/** How a migration file is rendered: single node (default) or a cluster. */
export interface RenderOptions {
  /** Target database. Default `default`. */
  database?: string;
  /** Cluster name: renders `ON CLUSTER`, `Replicated*` engines, `*_local` tables + `Distributed`. */
  cluster?: string;
  /** Row TTL in days for tables that declare `{{ttl:…}}`; `0`/undefined keeps data forever. */
  ttlDays?: number;
  /** Logical table name overrides (e.g. `{ otel_traces: 'my_traces' }` for a renamed exporter table). */
  tableNames?: Record<string, string>;
  /** Tables that exist without the `_local`/Distributed split in cluster mode (upstream-created). */
  plainTables?: ReadonlySet<string>;
  /** Deduplication window (blocks) for `{{dedup_window}}`. Default 10000. */
  dedupWindow?: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Back-quote an identifier after checking it is a plain name. */
export function quoteIdent(name: string, what = 'identifier'): string {
  if (!IDENT.test(name)) {
    throw new Error(`${what} ${JSON.stringify(name)} must match ${IDENT.source}`);
  }
  return `\`${name}\``;
}

/** SQL string literal (ClickHouse escaping). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function lookupKey(path: string): unknown {
  let cur: unknown = semconv;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Replication path + replica name of a table replicated within its shard. */
const SHARD_REPLICA = `'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'`;
/**
 * Replication path + replica name of a table replicated to EVERY node of the cluster: no `{shard}`
 * in the path (all nodes are replicas of one table); the replica name carries the shard so it is
 * unique cluster-wide even where `{replica}` is only unique within a shard.
 */
const ALL_NODES_REPLICA = `'/clickhouse/tables/all_nodes/{database}/{table}', '{shard}-{replica}'`;

function replicatedEngine(spec: string, replication: string, directive: string): string {
  const m = /^([A-Za-z]*MergeTree)\s*(?:\((.*)\))?$/s.exec(spec.trim());
  if (!m) throw new Error(`{{${directive}:${spec}}}: expected a *MergeTree engine`);
  const name = m[1] as string;
  const args = (m[2] ?? '').trim();
  return `Replicated${name}(${replication}${args === '' ? '' : `, ${args}`})`;
}

/**
 * Tables a migration text creates as `CREATE TABLE IF NOT EXISTS {{table:NAME}} … ENGINE =
 * {{engine_all_nodes:…}}`: replicated to every node under their own name, with no `NAME_local` /
 * Distributed split, so `{{local:NAME}}` is `NAME` too (in every file: {@link renderMigrations}
 * collects them over all files).
 */
export function allNodesTables(text: string): Set<string> {
  const out = new Set<string>();
  for (const stmt of splitStatements(text)) {
    const body = stmt
      .split('\n')
      .filter((l) => !/^\s*--/.test(l))
      .join('\n');
    const m = /CREATE TABLE IF NOT EXISTS \{\{table:([A-Za-z0-9_]+)\}\}/.exec(body);
    if (m && /ENGINE\s*=\s*\{\{engine_all_nodes:/.test(body)) out.add(m[1] as string);
  }
  return out;
}

/**
 * Render one migration file's text into SQL statements. See the package README, "Migration
 * format", for the directives.
 */
export function renderMigration(text: string, opts: RenderOptions = {}): string[] {
  const database = opts.database ?? 'default';
  const db = quoteIdent(database, 'database');
  const cluster = opts.cluster;
  const clustered = cluster !== undefined && cluster !== '';
  if (clustered) quoteIdent(cluster, 'cluster');
  const ttlDays = opts.ttlDays ?? 0;
  if (!Number.isInteger(ttlDays) || ttlDays < 0) {
    throw new Error(`ttlDays must be a non-negative integer, got ${String(opts.ttlDays)}`);
  }
  const logical = (name: string): string => {
    const mapped = opts.tableNames?.[name] ?? name;
    quoteIdent(mapped, 'table');
    return mapped;
  };
  const unsplit = allNodesTables(text);
  const localName = (name: string): string =>
    clustered && !opts.plainTables?.has(name) && !unsplit.has(name)
      ? `${logical(name)}_local`
      : logical(name);

  const expand = (_m: string, body: string): string => {
    const colon = body.indexOf(':');
    const head = (colon < 0 ? body : body.slice(0, colon)).trim();
    const arg = colon < 0 ? '' : body.slice(colon + 1).trim();
    switch (head) {
      case 'db':
        return db;
      case 'cluster':
        if (!clustered) throw new Error('{{cluster}} used outside a -- @cluster statement');
        return quoteIdent(cluster);
      case 'on_cluster':
        return clustered ? `ON CLUSTER ${quoteIdent(cluster)}` : '';
      case 'table':
        return `${db}.${quoteIdent(logical(arg))}`;
      case 'local':
        return `${db}.${quoteIdent(localName(arg))}`;
      case 'db_literal':
        return sqlString(database);
      case 'local_literal':
        return sqlString(localName(arg));
      case 'distributed': {
        const sep = arg.indexOf(':');
        if (sep < 0) throw new Error(`{{distributed:${arg}}}: expected {{distributed:table:sharding_key}}`);
        const table = arg.slice(0, sep).trim();
        const key = arg.slice(sep + 1).trim();
        if (!clustered) throw new Error('{{distributed:…}} used outside a -- @cluster statement');
        return `Distributed(${sqlString(cluster)}, ${sqlString(database)}, ${sqlString(localName(table))}, ${key})`;
      }
      case 'engine':
        return clustered ? replicatedEngine(arg, SHARD_REPLICA, head) : arg;
      case 'engine_all_nodes':
        return clustered ? replicatedEngine(arg, ALL_NODES_REPLICA, head) : arg;
      case 'ttl':
        return ttlDays > 0 ? `TTL ${arg} + toIntervalDay(${ttlDays})` : '';
      case 'hist':
        return histValueSql(arg);
      case 'stats':
        if (arg === 'aggregate') return statsAggregateSql();
        if (arg === 'unpack') return statsUnpackSql();
        if (arg === 'pack_columns') return statsPackColumnsSql();
        throw new Error(`{{stats:${arg}}}: expected aggregate, unpack or pack_columns`);
      case 'version_trim':
        return versionTrimSql(arg);
      case 'version_int':
        return versionIntSql(arg);
      case 'version_text_ok':
        return versionTextOkSql(arg);
      case 'version_id':
        return versionIdSql(arg);
      case 'version_max':
        return String(MAX_INTEGER_VERSION);
      case 'span_identity': {
        const parts = arg.split(',').map((a) => a.trim());
        if (parts.length !== 4 || parts.some((a) => a === ''))
          throw new Error(
            `{{span_identity:${arg}}}: expected {{span_identity:TIME,PROJECT,TRACE_ID,SPAN_ID}}`,
          );
        const [time, project, trace, span] = parts as [string, string, string, string];
        return spanIdentitySql(time, project, trace, span);
      }
      case 'insert_batch':
        // The insert's deduplication token (the collector's WAL segment), hashed; 0 without one.
        return "if(getSetting('insert_deduplication_token') = '', toUInt64(0), cityHash64(toString(getSetting('insert_deduplication_token'))))";
      case 'new_spans_insert':
        // The insert says every span it carries is new (`InsertOptions.newSpans`, decision 0035).
        return `(getSetting('log_comment') = ${sqlString(NEW_SPANS_LOG_COMMENT)})`;
      case 'ttl_seconds':
        return String(ttlDays * 86_400);
      case 'dedup_window': {
        const w = opts.dedupWindow ?? 10_000;
        return clustered
          ? `replicated_deduplication_window = ${w}`
          : `non_replicated_deduplication_window = ${w}`;
      }
      case 'key': {
        const v = lookupKey(arg);
        if (typeof v !== 'string')
          throw new Error(`{{key:${arg}}}: no such string constant in @promptline/semconv`);
        return sqlString(v);
      }
      case 'list': {
        const v = lookupKey(arg);
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
          throw new Error(`{{list:${arg}}}: no such string array in @promptline/semconv`);
        }
        return `[${(v as string[]).map(sqlString).join(', ')}]`;
      }
      default:
        throw new Error(`unknown migration directive {{${body}}}`);
    }
  };

  const out: string[] = [];
  for (const raw of splitStatements(text)) {
    const lines = raw.split('\n');
    const guards = lines.filter((l) => /^\s*--\s*@(cluster|single)\b/.test(l)).map((l) => l.trim());
    if (guards.some((g) => g.includes('@cluster')) && !clustered) continue;
    if (guards.some((g) => g.includes('@single')) && clustered) continue;
    const body = lines.filter((l) => !/^\s*--/.test(l)).join('\n');
    const rendered = body.replace(/\{\{([^{}]+)\}\}/g, expand).trim();
    if (rendered !== '') out.push(rendered);
  }
  return out;
}

/** Split a migration file into statements: each ends with `;` at the end of a line. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (/;\s*$/.test(line) && !/^\s*--/.test(line)) {
      cur.push(line.replace(/;\s*$/, ''));
      out.push(cur.join('\n'));
      cur = [];
    } else {
      cur.push(line);
    }
  }
  if (cur.join('\n').trim() !== '') out.push(cur.join('\n'));
  return out;
}

/** File-level flags from `-- @schema` style header comments. */
export function migrationFlags(text: string): { schema: boolean } {
  return { schema: /^\s*--\s*@schema\b/m.test(text) };
}

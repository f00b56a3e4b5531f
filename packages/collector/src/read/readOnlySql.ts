/**
 * Read-only checks for the SQL endpoint. The statement must be one statement (no `;` outside
 * strings and comments except at the end); the engine's own parser (`EXPLAIN AST`) then decides its
 * kind, and every function in the tree is checked against a deny list of functions that reach
 * outside the database (files, URLs, other servers, processes).
 */
import type { ClickHouseClient, DataFormat } from '@clickhouse/client';

export class ReadOnlySqlError extends Error {
  override readonly name = 'ReadOnlySqlError';
}

const READ_ROOTS =
  /^(SelectWithUnionQuery|SelectIntersectExceptQuery|ShowTablesQuery|ShowColumnsQuery|ShowCreate\w*Query|DescribeQuery|ExistsTableQuery|Exists\w*Query|ShowSettingQuery|ShowIndexesQuery|ExplainQuery)\b/;

/** Functions (scalar and table) that read or write outside the engine's own tables. */
const DENIED_FUNCTIONS = new Set(
  [
    'file',
    'fileCluster',
    'url',
    'urlCluster',
    's3',
    's3Cluster',
    'gcs',
    'oss',
    'cosn',
    'hdfs',
    'hdfsCluster',
    'azureBlobStorage',
    'azureBlobStorageCluster',
    'remote',
    'remoteSecure',
    'cluster',
    'clusterAllReplicas',
    'mysql',
    'postgresql',
    'sqlite',
    'mongodb',
    'redis',
    'jdbc',
    'odbc',
    'executable',
    'input',
    'iceberg',
    'icebergS3',
    'icebergAzure',
    'icebergHDFS',
    'icebergLocal',
    'deltaLake',
    'deltaLakeLocal',
    'hudi',
    'dictionary',
    'python',
    'arrowFlight',
    'ytsaurus',
    'fuzzJSON',
    'fuzzQuery',
  ].map((s) => s.toLowerCase()),
);

/**
 * Throws unless `sql` holds at most one statement; returns it without a trailing `;`, and its
 * code with string literals, quoted names and comments blanked (for keyword checks).
 */
export function singleStatement(sql: string): string {
  return scanStatement(sql).statement;
}

function scanStatement(sql: string): { statement: string; code: string } {
  let i = 0;
  const n = sql.length;
  let end = -1;
  let code = '';
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i++;
      while (i < n && sql[i] !== c) i += sql[i] === '\\' ? 2 : 1;
      if (i >= n) throw new ReadOnlySqlError('unterminated quoted string');
      i++;
      code += ' _ ';
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      code += ' ';
      continue;
    }
    if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      code += ' ';
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw new ReadOnlySqlError('unterminated comment');
      i = close + 2;
      code += ' ';
      continue;
    }
    if (c === ';') {
      if (end === -1) end = i;
      i++;
      continue;
    }
    if (end !== -1 && !/\s/.test(c)) throw new ReadOnlySqlError('only one statement per request is allowed');
    if (end === -1) code += c;
    i++;
  }
  return { statement: end === -1 ? sql : sql.slice(0, end), code };
}

/**
 * Refuses anything but a single read query (`SELECT`/`WITH`, `SHOW`, `DESCRIBE`, `EXISTS`,
 * `EXPLAIN`) and functions that reach outside the database. Throws {@link ReadOnlySqlError}.
 */
export async function checkReadOnlySql(
  client: ClickHouseClient,
  sql: string,
  params: Record<string, string> = {},
): Promise<void> {
  const scanned = scanStatement(sql);
  if (/\bINTO\s+OUTFILE\b/i.test(scanned.code)) throw new ReadOnlySqlError('INTO OUTFILE is not allowed');
  const one = scanned.statement.replace(/\bFORMAT\s+[A-Za-z0-9]+\s*$/i, '');
  let lines: string[];
  try {
    // default_format (not a FORMAT clause, which would bind to the explained query).
    const rs = await client.exec({
      query: `EXPLAIN AST ${one}`,
      query_params: params,
      clickhouse_settings: { default_format: 'TSVRaw' as DataFormat },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of rs.stream) chunks.push(Buffer.from(chunk as Uint8Array));
    lines = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
  } catch (e) {
    // Unparseable (or a statement EXPLAIN cannot take): refuse.
    throw new ReadOnlySqlError(
      `query could not be parsed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
    );
  }
  const root = (lines[0] ?? '').trim();
  if (!READ_ROOTS.test(root)) {
    throw new ReadOnlySqlError(
      `only SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN are allowed (got ${root.split(' ')[0] ?? 'nothing'})`,
    );
  }
  if (
    /^ExplainQuery/.test(root) &&
    lines.some((l) => /^\s*(Insert|Create|Drop|Alter|System|Optimize|Rename|Truncate)\w*Query/.test(l))
  ) {
    throw new ReadOnlySqlError('EXPLAIN of a write statement is not allowed');
  }
  for (const line of lines) {
    const m = /^\s*Function (\w+)/.exec(line);
    if (m !== null && DENIED_FUNCTIONS.has(m[1]!.toLowerCase())) {
      throw new ReadOnlySqlError(
        `function ${m[1]} is not allowed on the read-only endpoint (it reaches outside the database)`,
      );
    }
    if (/^\s*(SetQuery|Set\b)/.test(line)) throw new ReadOnlySqlError('SET is not allowed');
  }
}

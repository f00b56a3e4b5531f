/**
 * Read-only checks for the SQL endpoint. The statement must be one statement (no `;` outside
 * strings and comments except at the end); the engine's own parser (`EXPLAIN AST`) then decides its
 * kind. Table functions must be on an allow list (pure generators such as `numbers`); scalar
 * functions that reach outside the database (files, models, dictionaries) are refused; `SET` and
 * `SETTINGS` are refused (the endpoint appends its own limits after this check).
 */
import type { ClickHouseClient, DataFormat } from '@clickhouse/client';

export class ReadOnlySqlError extends Error {
  override readonly name = 'ReadOnlySqlError';
}

const READ_ROOTS =
  /^(SelectWithUnionQuery|SelectIntersectExceptQuery|ShowTablesQuery|ShowColumnsQuery|ShowCreate\w*Query|DescribeQuery|ExistsTableQuery|Exists\w*Query|ShowSettingQuery|ShowIndexesQuery|ExplainQuery)\b/;

/**
 * Table functions a read query may use: they compute rows from their arguments alone. Every other
 * table function of the engine (files, URLs, object stores, lakes, other servers, processes, the
 * local filesystem, `merge` across databases, …) is refused, including any a future engine adds.
 */
export const ALLOWED_TABLE_FUNCTIONS: readonly string[] = [
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'values',
  'SQLStandardValues',
  'view',
  'generateSeries',
  'generate_series',
  'null',
  'primes',
];
const ALLOWED_LOWER = new Set(ALLOWED_TABLE_FUNCTIONS.map((s) => s.toLowerCase()));

/** Scalar functions that read outside the engine's own tables (files, models, dictionaries, Keeper). */
const DENIED_SCALAR_FUNCTIONS =
  /^(file|catboostEvaluate|naiveBayesClassifier|generateSerialID|dict\w*|filesystem\w*|getServerSetting|getClientHTTPHeader|executable\w*)$/i;

interface EngineNames {
  tableFunctions: Set<string>;
  functions: Set<string>;
}

const engineNames = new WeakMap<ClickHouseClient, Promise<EngineNames>>();

/** The engine's own table-function and function names (lower case), read once per client. */
function namesOf(client: ClickHouseClient): Promise<EngineNames> {
  let names = engineNames.get(client);
  if (names === undefined) {
    names = (async () => {
      const rs = await client.query({
        query:
          "SELECT lower(name) AS n, 't' AS k FROM system.table_functions UNION ALL SELECT lower(name), 'f' FROM system.functions",
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ n: string; k: string }>();
      return {
        tableFunctions: new Set(rows.filter((r) => r.k === 't').map((r) => r.n)),
        functions: new Set(rows.filter((r) => r.k === 'f').map((r) => r.n)),
      };
    })();
    names.catch(() => engineNames.delete(client));
    engineNames.set(client, names);
  }
  return names;
}

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
  const names = await namesOf(client);
  // EXPLAIN AST indents each node one space per level: a table function is a `Function` node
  // directly under a `TableExpression`.
  const parents: string[] = [];
  for (const line of lines) {
    const depth = line.length - line.trimStart().length;
    const node = line.trim();
    parents.length = depth;
    parents[depth] = node;
    if (/^(SetQuery|Set)\b/.test(node)) throw new ReadOnlySqlError('SET and SETTINGS are not allowed');
    const m = /^Function (\w+)/.exec(node);
    if (m === null) continue;
    const name = m[1]!;
    const lower = name.toLowerCase();
    const asTable = /^TableExpression\b/.test(parents[depth - 1] ?? '');
    const tableFunction = asTable || (names.tableFunctions.has(lower) && !names.functions.has(lower));
    if (tableFunction && !ALLOWED_LOWER.has(lower)) {
      throw new ReadOnlySqlError(
        `table function ${name} is not allowed on the read-only endpoint (allowed: ${ALLOWED_TABLE_FUNCTIONS.join(', ')})`,
      );
    }
    if (DENIED_SCALAR_FUNCTIONS.test(name)) {
      throw new ReadOnlySqlError(
        `function ${name} is not allowed on the read-only endpoint (it reaches outside the database)`,
      );
    }
  }
}

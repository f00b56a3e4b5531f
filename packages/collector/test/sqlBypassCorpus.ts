/**
 * Bypass techniques against a read-only SQL endpoint: the cases of issue 17 and their relatives
 * (string and comment lexing, multi-statements, settings, table functions, dictionaries, system
 * statements, INTO OUTFILE, implicit file tables, encodings). Shared by the embedded-engine test
 * (packages/collector/test/sqlBypass.test.ts) and the server-mode test (test/security/).
 *
 * `enforcedBy` names what refuses a case when the collector forwards to a ClickHouse server:
 * - `profile`: the reader's settings profile (readonly = 1, limits) — the engine itself, which the
 *   server-mode test reproduces with a read-only engine session;
 * - `http`: the server's HTTP interface (one statement per request, no INTO OUTFILE);
 * - `grants`: the reader's grants (no write, DDL or FILE / URL / remote source grants), which the
 *   embedded engine cannot express (it runs every connection as an all-powerful `default` user).
 *   This includes `SETTINGS x = DEFAULT`: the engine checks readonly and constraints for changed
 *   settings but not for settings reset to their default, so readonly = 1 alone does not hold.
 * The embedded collector refuses every case before any engine sees it.
 */
export interface BypassCase {
  name: string;
  sql: string;
  /** `param_*` URL parameters. */
  params?: Record<string, string>;
  enforcedBy: 'profile' | 'http' | 'grants';
  /** A harmless read-only result is an acceptable answer (otherwise a 4xx is required). */
  harmlessReadAllowed?: boolean;
}

export interface CorpusPaths {
  /** A file holding a secret (a copy of `keys.json`). */
  secret: string;
  /** A fresh path per case that must not exist afterwards. */
  out: (name: string) => string;
  /** A directory outside the data directory. */
  dir: string;
  /** `http://127.0.0.1:PORT` of a canary server that counts requests. */
  canary: string;
  /** `127.0.0.1:PORT` of the same canary. */
  canaryHostPort: string;
}

export function bypassCorpus(p: CorpusPaths): BypassCase[] {
  const c = (
    name: string,
    sql: string,
    enforcedBy: BypassCase['enforcedBy'],
    extra: Partial<BypassCase> = {},
  ): BypassCase => ({ name, sql, enforcedBy, ...extra });
  return [
    // The four reproductions.
    c(
      'heredoc string hides a second statement',
      `SELECT $$'$$; SELECT * FROM file('${p.secret}','LineAsString'); SELECT 'end' --'`,
      'http',
    ),
    c(
      'heredoc string hides INTO OUTFILE',
      `SELECT concat($$'$$,'line') AS x INTO OUTFILE '${p.out('heredoc')}' TRUNCATE FORMAT RawBLOB --'`,
      'http',
    ),
    c(
      'nested comments hide INTO OUTFILE',
      `SELECT 42 /* /* */ ' */ INTO OUTFILE '${p.out('nested')}' --'`,
      'http',
    ),
    c('implicit file table', `SELECT * FROM '${p.secret}'`, 'profile'),
    // Tagged heredocs, comments, quoting.
    c(
      'tagged heredoc',
      `SELECT $tag$ ' $tag$ AS a INTO OUTFILE '${p.out('tagged')}' FORMAT RawBLOB -- '`,
      'http',
    ),
    c('line comment then statement', `SELECT 1 -- ;\n; DROP TABLE otel_traces`, 'http'),
    c('hash comment then statement', `SELECT 1 # x\n; DROP TABLE otel_traces`, 'http'),
    c('backslash-escaped quote', `SELECT 'a\\'; DROP TABLE otel_traces; --'`, 'profile', {
      harmlessReadAllowed: true,
    }),
    c('backquoted name with semicolon', 'SELECT 1 AS `a;b`', 'profile', { harmlessReadAllowed: true }),
    c('INTO OUTFILE APPEND', `SELECT 'x' INTO OUTFILE '${p.out('append')}' APPEND`, 'http'),
    c(
      'INTO OUTFILE with compression',
      `SELECT 'x' INTO OUTFILE '${p.out('gz')}' COMPRESSION 'gzip' FORMAT RawBLOB`,
      'http',
    ),
    // Multi-statements.
    c('select then insert', `SELECT 1; INSERT INTO otel_traces (TraceId) VALUES ('x')`, 'http'),
    c('select then drop', 'SELECT 1;DROP TABLE prompt_versions', 'http'),
    c('EXPLAIN then write', 'EXPLAIN AST SELECT 1; TRUNCATE TABLE prompt_label_events', 'http'),
    // Writes, DDL, the registry with a forged actor.
    c('insert', `INSERT INTO otel_traces (TraceId, SpanId) VALUES ('t', 's')`, 'profile'),
    c(
      'forged label move',
      "INSERT INTO prompt_label_events (project_id, name, label, version, actor) VALUES ('acme', 'support-answer', 'production', 99, 'admin')",
      'profile',
    ),
    c('drop table', 'DROP TABLE otel_traces', 'profile'),
    c('truncate registry', 'TRUNCATE TABLE prompt_versions', 'profile'),
    c('lightweight delete', 'DELETE FROM prompt_versions WHERE 1', 'profile'),
    c('mutation', "ALTER TABLE prompt_versions UPDATE commit_message = 'x' WHERE 1", 'profile'),
    c('create table', 'CREATE TABLE pwned (x UInt8) ENGINE = Memory', 'profile'),
    c(
      'create file table',
      `CREATE TABLE pwned ENGINE = File(RawBLOB, '${p.out('filetable')}') AS SELECT 'x'`,
      'profile',
    ),
    c(
      'insert into table function',
      `INSERT INTO FUNCTION file('${p.out('insfn')}', 'RawBLOB') SELECT 'x'`,
      'profile',
    ),
    c('create temporary table', 'CREATE TEMPORARY TABLE tmp (x UInt8)', 'profile'),
    c(
      'dictionary over a file',
      `CREATE DICTIONARY d (line String) PRIMARY KEY line SOURCE(FILE(path '${p.secret}' format 'LineAsString')) LAYOUT(FLAT()) LIFETIME(0)`,
      'profile',
    ),
    c('system statement', 'SYSTEM DROP MARK CACHE', 'profile'),
    c('optimize', 'OPTIMIZE TABLE otel_traces FINAL', 'profile'),
    // Settings.
    c('SET readonly', 'SET readonly = 0', 'profile'),
    c('SETTINGS readonly', 'SELECT 1 SETTINGS readonly = 0', 'profile'),
    c('SETTINGS memory', 'SELECT count() FROM numbers(10) SETTINGS max_memory_usage = 0', 'profile'),
    c('SETTINGS result limit', 'SELECT * FROM numbers(10) SETTINGS max_result_rows = 0', 'profile'),
    c('settings as a URL parameter', 'SELECT 1', 'profile', { params: { readonly: '0' } }),
    c('SET to DEFAULT', 'SET readonly = DEFAULT', 'grants'),
    c(
      'SETTINGS readonly = DEFAULT',
      `SELECT * FROM file('${p.secret}', 'LineAsString') SETTINGS readonly = DEFAULT`,
      'grants',
    ),
    c(
      'SETTINGS max_memory_usage = DEFAULT',
      "SELECT length(groupArray(repeat('x', 1000000))) FROM numbers(6000) SETTINGS max_memory_usage = DEFAULT",
      'grants',
    ),
    // Table functions and functions that reach out.
    c('file()', `SELECT * FROM file('${p.secret}', 'LineAsString')`, 'profile'),
    c(
      'file() in a subquery',
      `SELECT * FROM system.one WHERE dummy IN (SELECT length(line) FROM file('${p.secret}', 'LineAsString'))`,
      'profile',
    ),
    c(
      'file() in a join',
      `SELECT * FROM numbers(1) AS a, file('${p.secret}', 'LineAsString') AS b`,
      'profile',
    ),
    c('url()', `SELECT * FROM url('${p.canary}/x', 'LineAsString')`, 'profile'),
    c('s3()', `SELECT * FROM s3('${p.canary}/bucket/key', 'LineAsString')`, 'profile'),
    c('remote()', `SELECT * FROM remote('${p.canaryHostPort}', system.one)`, 'profile'),
    c('executable()', `SELECT * FROM executable('cat ${p.secret}', 'LineAsString', 'x String')`, 'profile'),
    c('filesystem()', `SELECT * FROM filesystem('${p.dir}')`, 'profile'),
    c('scalar file()', `SELECT file('${p.secret}')`, 'grants'),
    c('describe file()', `DESCRIBE TABLE file('${p.secret}', 'TSVWithNames')`, 'grants'),
    c('describe url()', `DESCRIBE TABLE url('${p.canary}/d', 'CSVWithNames')`, 'grants'),
    c('kill queries', 'KILL QUERY WHERE 1', 'grants'),
    // Encodings: the same attack spelled differently.
    c('unicode quote lookalikes', `SELECT ‘x’ INTO OUTFILE '${p.out('unicode')}'`, 'http'),
    c('tabs and CR line breaks', `SELECT\t1\r;\rDROP\tTABLE\totel_traces`, 'http'),
    c('parameter value is data', 'SELECT {x:String} AS v', 'profile', {
      params: { x: "'); DROP TABLE otel_traces; --" },
      harmlessReadAllowed: true,
    }),
    // The memory bomb of the issue (16.6 GB RSS).
    c('memory bomb', "SELECT length(groupArray(repeat('x', 1000000))) FROM numbers(6000)", 'profile'),
  ];
}

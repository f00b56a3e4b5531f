/**
 * Test fixture process: enough of ClickHouse's HTTP interface, backed by the real ClickHouse
 * engine (chdb) on a data directory, for `@clickhouse/client` (and so the collector's exporter) to
 * use it like a server. Reliability tests stop and restart this process to make "ClickHouse" go
 * away and come back. There is no ClickHouse server on the test machine, hence this fixture.
 *
 * Run: node --import tsx test/support/chdbHttpServer.ts <dataDir> <port>
 * Prints `listening <port>` on stdout once ready; SIGTERM/SIGINT close the engine cleanly.
 *
 * Supported: GET /ping, GET|POST / with `query` in the URL or the body (URL query ending in
 * `FORMAT <name>` + body = INSERT data in that format, text or binary such as `Native`: the fixture
 * hands it to the engine through a file, as chdb takes no binary query data), `param_*` query parameters (server-side binding), `database`, `default_format`,
 * `query_id`, settings as URL parameters (applied for that request only), gzip request bodies.
 * Errors answer HTTP 500 with ClickHouse's `Code: N. DB::Exception: …` text and the
 * `X-ClickHouse-Exception-Code` header, as a server does.
 *
 * Optional read-only user (env): `CHDB_FIXTURE_READER=name:password` and
 * `CHDB_FIXTURE_READER_SETTINGS` (JSON object of settings, e.g. a users.xml profile's). Requests
 * authenticated as that user (`X-ClickHouse-User`/`-Key`, `user`/`password` parameters or Basic
 * auth) run on a second engine connection that holds those settings as its session settings, so
 * with `readonly: 1` the engine refuses writes, setting changes and file/network table functions as
 * it does for a server user with that profile; a wrong password answers 516. Every other request
 * runs as the writer. What this does NOT reproduce: a server's HTTP interface runs one statement
 * per request and refuses `INTO OUTFILE`; this fixture runs whatever the engine's client runs.
 * `CHDB_FIXTURE_LOG=file` appends one JSON line `{ user, query }` per request.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { Session } from 'chdb';

const [dataDir, portText] = process.argv.slice(2);
if (dataDir === undefined || portText === undefined) {
  process.stderr.write('usage: chdbHttpServer.ts <dataDir> <port>\n');
  process.exit(2);
}

/** URL parameters that are part of the HTTP protocol, not engine settings. */
const PROTOCOL_PARAMS = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'role',
]);
/** Settings that only mean something to the HTTP layer of a real server. */
const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_buffer_size',
  'buffer_size',
  'compress',
  'decompress',
  'extremes',
]);
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** INSERT data files (inside the data directory: the engine's file() reads there). */
const INSERT_DATA_DIR = join(dataDir, 'fixture-insert-data');
mkdirSync(INSERT_DATA_DIR, { recursive: true });

// A server quotes 64-bit integers in JSON output by default; the embedded engine does not.
const session = new Session(dataDir, { connectionArgs: ['--output_format_json_quote_64bit_integers=1'] });
const READER = process.env.CHDB_FIXTURE_READER;
const readerName = READER === undefined ? undefined : READER.slice(0, READER.indexOf(':'));
const readerPassword = READER === undefined ? undefined : READER.slice(READER.indexOf(':') + 1);
const readerSettings = JSON.parse(process.env.CHDB_FIXTURE_READER_SETTINGS ?? '{}') as Record<
  string,
  string | number
>;
const readerSession =
  READER === undefined
    ? undefined
    : new Session(dataDir, {
        connectionArgs: [
          '--output_format_json_quote_64bit_integers=1',
          ...Object.entries(readerSettings).map(([k, v]) => `--${k}=${String(v)}`),
        ],
      });
const LOG_FILE = process.env.CHDB_FIXTURE_LOG;
// One query at a time: settings are applied per request and then reset.
let queue: Promise<unknown> = Promise.resolve();

/** The user a request authenticates as (header, URL parameter or Basic auth). */
function credentials(req: IncomingMessage, url: URL): { user: string; password: string } {
  let user = req.headers['x-clickhouse-user'] ?? url.searchParams.get('user') ?? undefined;
  let password = req.headers['x-clickhouse-key'] ?? url.searchParams.get('password') ?? undefined;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    user ??= colon === -1 ? decoded : decoded.slice(0, colon);
    password ??= colon === -1 ? '' : decoded.slice(colon + 1);
  }
  return { user: String(user ?? 'default'), password: String(password ?? '') };
}

function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(buf);
  }
  const body = Buffer.concat(chunks);
  const encoding = req.headers['content-encoding'];
  return encoding === 'gzip' ? gunzipSync(body) : body;
}

function sendError(res: ServerResponse, status: number, code: number, message: string): void {
  const text = message.startsWith('Code:') ? message : `Code: ${code}. DB::Exception: ${message}`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=UTF-8',
    'x-clickhouse-exception-code': String(code),
  });
  res.end(`${text}\n`);
}

async function run(
  url: URL,
  body: Buffer,
  session: Session,
): Promise<{ bytes: Uint8Array; rows: number; elapsed: number; format: string }> {
  const params = url.searchParams;
  const urlQuery = params.get('query');
  // `INSERT … FORMAT X` + data: the engine reads the data from a file (`INSERT … SELECT * FROM file()`),
  // byte for byte, so binary formats arrive intact; other queries with a body are plain text.
  const insertData =
    urlQuery === null || body.length === 0
      ? null
      : /^(INSERT\b[\s\S]*?)\s+FORMAT\s+(\w+)\s*$/i.exec(urlQuery);
  let dataFile: string | undefined;
  let sql: string;
  if (insertData !== null) {
    dataFile = join(INSERT_DATA_DIR, randomUUID());
    writeFileSync(dataFile, body);
    sql = `${insertData[1]} SELECT * FROM file('${dataFile}', '${insertData[2]}')`;
  } else
    sql =
      urlQuery === null
        ? body.toString('utf8')
        : body.length > 0
          ? `${urlQuery}\n${body.toString('utf8')}`
          : urlQuery;
  if (sql.trim() === '') throw Object.assign(new Error('Empty query'), { clickhouseCode: 62 });

  const bind: Record<string, string> = {};
  const settings: string[] = [];
  for (const [key, value] of params) {
    if (key.startsWith('param_')) {
      bind[key.slice('param_'.length)] = value;
    } else if (!PROTOCOL_PARAMS.has(key) && !HTTP_ONLY_SETTINGS.has(key)) {
      if (!SETTING_NAME.test(key))
        throw Object.assign(new Error(`Invalid setting name ${key}`), { clickhouseCode: 115 });
      settings.push(key);
    }
  }
  const database = params.get('database') ?? 'default';
  if (!DATABASE_NAME.test(database))
    throw Object.assign(new Error(`Invalid database ${database}`), { clickhouseCode: 81 });
  const prefix = [`USE ${database}`, ...settings.map((k) => `SET ${k} = ${literal(params.get(k) ?? '')}`)];
  const format = params.get('default_format') ?? 'TabSeparated';
  const full = `${prefix.join('; ')}; ${sql}`;
  try {
    const result =
      Object.keys(bind).length > 0
        ? await session.queryBindAsync(full, bind, { format })
        : await session.queryAsync(full, { format });
    return { bytes: result.bytes(), rows: result.rowsRead, elapsed: result.elapsed, format };
  } finally {
    if (dataFile !== undefined) rmSync(dataFile, { force: true });
    // The reader's session refused the SETs (readonly) and must not be reset: `SET x = DEFAULT`
    // is not checked against readonly by the engine and would make the session writable.
    if (settings.length > 0 && session !== readerSession)
      await session.queryAsync(settings.map((k) => `SET ${k} = DEFAULT`).join('; '), { format: 'CSV' });
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (
    url.pathname === '/ping' ||
    (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))
  ) {
    res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
    res.end('Ok.\n');
    return;
  }
  if (url.pathname !== '/') {
    sendError(res, 404, 0, `There is no handle ${url.pathname}`);
    return;
  }
  const body = await readBody(req);
  const queryId = url.searchParams.get('query_id') ?? randomUUID();
  const who = credentials(req, url);
  if (LOG_FILE !== undefined) {
    const text = [url.searchParams.get('query'), body.toString('utf8')].filter((t) => t).join('\n');
    appendFileSync(LOG_FILE, `${JSON.stringify({ user: who.user, query: text })}\n`);
  }
  const asReader = readerSession !== undefined && who.user === readerName;
  if (asReader && who.password !== readerPassword) {
    sendError(
      res,
      401,
      516,
      `${who.user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
    );
    return;
  }
  const job = queue.then(() => run(url, body, asReader ? readerSession : session));
  queue = job.catch(() => undefined);
  try {
    const result = await job;
    const summary = {
      read_rows: String(result.rows),
      read_bytes: '0',
      written_rows: '0',
      written_bytes: '0',
      total_rows_to_read: '0',
      result_rows: '0',
      result_bytes: String(result.bytes.length),
      elapsed_ns: String(Math.round(result.elapsed * 1e9)),
    };
    res.writeHead(200, {
      'content-type': 'text/plain; charset=UTF-8',
      'x-clickhouse-query-id': queryId,
      'x-clickhouse-format': result.format,
      'x-clickhouse-summary': JSON.stringify(summary),
    });
    res.end(Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength));
  } catch (error) {
    const e = error as { message?: string; clickhouseCode?: number; status?: number };
    sendError(res, e.status ?? 500, e.clickhouseCode ?? 1001, e.message ?? String(error));
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) sendError(res, 500, 1001, (error as Error).message);
    else res.destroy();
  });
});
server.keepAliveTimeout = 2_000;

let closing = false;
function shutdown(): void {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections();
  void queue.finally(() => {
    readerSession?.close();
    session.close();
    process.exit(0);
  });
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(Number(portText), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : Number(portText);
  process.stdout.write(`listening ${port}\n`);
});

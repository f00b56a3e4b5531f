/**
 * A ClickHouse HTTP endpoint, in-process, for the Go ClickHouse driver (clickhouse-go, used by the
 * upstream collector's ClickHouse exporter) backed by the real engine (chdb) on a data directory.
 * There is no ClickHouse server on the test machines. It covers what the driver's HTTP protocol
 * needs: `GET /ping`; queries in the `query` URL parameter or the body; settings and `param_*`
 * bindings as URL parameters; results in the requested format (the driver reads `Native`); and `INSERT … FORMAT
 * Native` with a binary body, which the engine reads from a temporary file (`file(…, 'Native')`).
 * Errors answer 500 with the engine's `Code: N. DB::Exception` text, as a server does.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Session } from 'chdb';

const PROTOCOL_PARAMS = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'session_id',
  'session_timeout',
  'user',
  'password',
  'compress',
  'decompress',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'enable_http_compression',
  'client_protocol_version',
]);
const SETTING = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSERT_NATIVE = /^\s*INSERT\s+INTO\s+([\s\S]+?)\s+FORMAT\s+Native\s*$/i;
const MAX_BODY = 64 * 1024 * 1024;

export interface NativeHttpServer {
  url: string;
  /** Every request's SQL, for diagnostics. */
  log: string[];
  close(): Promise<void>;
}

const FIXED_WIDTH: Record<string, number> = {
  UInt8: 1,
  Int8: 1,
  Bool: 1,
  UInt16: 2,
  Int16: 2,
  Date: 2,
  UInt32: 4,
  Int32: 4,
  Float32: 4,
  DateTime: 4,
  UInt64: 8,
  Int64: 8,
  Float64: 8,
};

/**
 * The engine writes `Native` as a client of revision 0 would read it; a driver that announces a
 * protocol revision (`client_protocol_version`) reads each block with a BlockInfo header and a
 * per-column "custom serialization" flag, as a server writes it for that revision. Rewrites the
 * blocks accordingly. Handles the column types of the driver's handshake and `DESC TABLE`
 * (strings and fixed-width numbers); anything else is an error naming the type.
 */
function nativeForRevision(bytes: Uint8Array): Buffer {
  const src = Buffer.from(bytes);
  const out: Buffer[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = src[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  };
  const str = (): Buffer => {
    const start = pos;
    const n = varint();
    pos += n;
    return src.subarray(start, pos);
  };
  // BlockInfo: field 1 is_overflows = false, field 2 bucket_num = -1, end marker 0
  const blockInfo = Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]);
  while (pos < src.length) {
    const headerStart = pos;
    const columns = varint();
    const rows = varint();
    out.push(blockInfo, src.subarray(headerStart, pos));
    for (let c = 0; c < columns; c++) {
      const name = str();
      const typeStart = pos;
      const typeLen = varint();
      const type = src.subarray(pos, pos + typeLen).toString('utf8');
      pos += typeLen;
      out.push(name, src.subarray(typeStart, pos), Buffer.from([0]));
      const dataStart = pos;
      if (type === 'String') for (let r = 0; r < rows; r++) str();
      else if (FIXED_WIDTH[type] !== undefined) pos += FIXED_WIDTH[type] * rows;
      else
        throw new Error(`Code: 48. DB::Exception: test endpoint cannot re-encode Native column type ${type}`);
      out.push(src.subarray(dataStart, pos));
    }
  }
  return Buffer.concat(out);
}

function literal(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  const b = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(b) : b;
}

/** Serves the engine on `dataDir` at 127.0.0.1 (ephemeral port). One query at a time. */
export async function startNativeHttp(dataDir: string): Promise<NativeHttpServer> {
  const session = new Session(dataDir);
  const scratch = mkdtempSync(join(tmpdir(), 'promptline-native-'));
  const log: string[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  async function run(url: URL, payload: Buffer): Promise<{ bytes: Uint8Array; format: string }> {
    const params = url.searchParams;
    const q = params.get('query');
    let sql = q ?? payload.toString('utf8');
    let file: string | undefined;
    const insert = q !== null && payload.length > 0 ? INSERT_NATIVE.exec(q) : null;
    if (insert !== null) {
      file = join(scratch, `${randomUUID()}.native`);
      writeFileSync(file, payload);
      sql = `INSERT INTO ${insert[1]} SELECT * FROM file(${literal(file)}, 'Native')`;
    } else if (q !== null && payload.length > 0) {
      sql = `${q}\n${payload.toString('utf8')}`;
    }
    log.push(`${url.search.slice(0, 300)} :: ${sql.slice(0, 300)}`);
    const settings = [...params.keys()].filter((k) => !PROTOCOL_PARAMS.has(k) && !k.startsWith('param_'));
    for (const k of settings)
      if (!SETTING.test(k)) throw new Error(`Code: 115. DB::Exception: invalid setting ${k}`);
    const database = params.get('database') ?? 'default';
    const prefix = [`USE ${database}`, ...settings.map((k) => `SET ${k} = ${literal(params.get(k) ?? '')}`)];
    const format = params.get('default_format') ?? 'TabSeparated';
    const bind = Object.fromEntries(
      [...params.entries()].filter(([k]) => k.startsWith('param_')).map(([k, v]) => [k.slice(6), v]),
    );
    try {
      const full = `${prefix.join('; ')}; ${sql}`;
      const result =
        Object.keys(bind).length > 0
          ? await session.queryBindAsync(full, bind, { format })
          : await session.queryAsync(full, { format });
      return { bytes: result.bytes(), format };
    } finally {
      if (file !== undefined) rmSync(file, { force: true });
      if (settings.length > 0) await session.queryAsync(settings.map((k) => `SET ${k} = DEFAULT`).join('; '));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (
      url.pathname === '/ping' ||
      (req.method === 'GET' && url.pathname === '/' && !url.searchParams.has('query'))
    ) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Ok.\n');
      return;
    }
    try {
      const payload = await body(req);
      const job = queue.then(() => run(url, payload));
      queue = job.catch(() => undefined);
      const { bytes, format } = await job;
      const revision = Number(url.searchParams.get('client_protocol_version') ?? '0');
      const payload2 = format === 'Native' && revision > 0 ? nativeForRevision(bytes) : Buffer.from(bytes);
      res.writeHead(200, { 'x-clickhouse-format': format, 'x-clickhouse-query-id': randomUUID() });
      res.end(payload2);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const code = /Code: (\d+)/.exec(message)?.[1] ?? '1002';
      log.push(`ERROR ${message.slice(0, 300)}`);
      res.writeHead(500, { 'x-clickhouse-exception-code': code, 'content-type': 'text/plain' });
      res.end(message.startsWith('Code:') ? message : `Code: ${code}. DB::Exception: ${message}`);
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    log,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      session.cleanup?.();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

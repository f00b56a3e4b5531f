/**
 * The SQL endpoint: ClickHouse's HTTP protocol on the collector (`GET /?query=`, `POST /`,
 * `GET /ping`), for `@clickhouse/client`, Grafana's ClickHouse data source and curl.
 *
 * The collector never runs, parses or inspects the caller's SQL. With a ClickHouse server it
 * forwards each request, unchanged, to the server as a dedicated read-only user: the server's HTTP
 * interface runs one statement per request and refuses `INTO OUTFILE`, and the user's settings
 * profile (readonly = 1, per-query memory, time and result limits that readonly forbids changing)
 * decides what the query may do. The collector only authenticates the API key (`sql` scope), bounds
 * concurrency per key and in total, bounds the request body, the time and the relayed result, and
 * replaces the caller's credentials by the reader's.
 *
 * The embedded engine has no such mode: its client runs every statement of a string and writes
 * `INTO OUTFILE` files itself, whatever readonly says. So with the embedded engine the endpoint
 * answers 404 and names the typed read API instead (SECURITY.md, decision record 0020).
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createClient } from '@clickhouse/client';
import { AuthError } from '../auth/ApiKeyStore.js';
import type { Principal } from '../auth/ApiKeyStore.js';
import type { Logger } from '../logger.js';
import { ConcurrencyGate, GateFullError } from '../server/ConcurrencyGate.js';
import type { RouteModule } from '../server/RouteModule.js';
import { HttpError, readBody } from '../server/Router.js';

/** How the SQL endpoint is served. */
export type SqlEndpointOptions =
  | { mode: 'embedded' }
  | { mode: 'disabled' }
  | {
      mode: 'server';
      /** ClickHouse HTTP URL (the exporter's endpoint). */
      endpoint: string;
      /** The read-only ClickHouse user every request runs as. */
      username: string;
      password: string;
      /** Default database of a request that names none. */
      database: string;
      /** Requests running at once, all keys together; each key: one running, one waiting. */
      maxConcurrent: number;
      /** Whole request, streaming included. */
      timeoutMs: number;
      /** Result bytes relayed per request. */
      maxResponseBytes: number;
    };

type ServerOptions = Extract<SqlEndpointOptions, { mode: 'server' }>;

/** Request body (the SQL text) limit. */
export const MAX_SQL_BODY_BYTES = 1024 * 1024;

/** URL parameters that choose who runs the query or a server session: never the caller's to set. */
const CALLER_PARAMS_DROPPED = new Set([
  'user',
  'password',
  'quota_key',
  'role',
  'session_id',
  'session_timeout',
  'session_check',
]);
/** Request headers passed on to ClickHouse; everything else (credentials included) stays here. */
const REQUEST_HEADERS = ['content-type', 'content-encoding', 'accept-encoding', 'x-clickhouse-format'];
/** Response headers passed back to the caller. */
const RESPONSE_HEADERS = [
  'content-type',
  'content-encoding',
  'x-clickhouse-format',
  'x-clickhouse-query-id',
  'x-clickhouse-summary',
  'x-clickhouse-timezone',
  'x-clickhouse-exception-code',
  'x-clickhouse-server-display-name',
];
/** ClickHouse error codes that mean the reader's credentials were refused: the collector's fault. */
const CREDENTIAL_CODES = new Set([192, 193, 194, 195, 516]);

/** A ClickHouse-style error body that `@clickhouse/client` parses into a `ClickHouseError`. */
function chError(
  res: ServerResponse,
  status: number,
  code: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = `Code: ${code}. DB::Exception: ${message}. (${type})\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=UTF-8',
    'x-clickhouse-exception-code': String(code),
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

const EMBEDDED_REASON =
  'raw SQL is not served with the embedded engine: the engine cannot enforce read-only SQL (it runs every statement of a request, and writes INTO OUTFILE files and reads files with file() whatever readonly says). ' +
  'Read through the typed API instead (/api/v1/metrics, /timeseries, /labels/share, /labels/history, /compare, /regressions with a read key), ' +
  'or run the collector against a ClickHouse server (exporters.clickhouse.endpoint) with a read-only user for this endpoint (SECURITY.md)';
const DISABLED_REASON =
  'the SQL endpoint is disabled on this collector (extensions.promptline_read_api.sql.enabled: false); read through the typed API (/api/v1/…)';

/** What the reader user's effective settings must be, checked as that user. */
interface ReaderSettings {
  readonly: number;
  max_memory_usage: number;
  max_execution_time: number;
  max_result_bytes: number;
}

/** Refused because the reader user is not locked down; the message names what to fix. */
export class ReaderConfigError extends Error {
  override readonly name = 'ReaderConfigError';
}

/**
 * Asks ClickHouse, as the reader user, for its effective readonly and limits (a fixed query of the
 * collector's own). Throws {@link ReaderConfigError} when readonly is not 1 or a limit is missing,
 * and the client's error when ClickHouse cannot be reached.
 */
export async function checkReaderUser(o: ServerOptions): Promise<ReaderSettings> {
  const client = createClient({
    url: o.endpoint,
    username: o.username,
    password: o.password,
    database: o.database,
    request_timeout: 10_000,
  });
  try {
    const rs = await client.query({
      query:
        "SELECT toString(getSetting('readonly')) AS readonly, toString(getSetting('max_memory_usage')) AS max_memory_usage, " +
        "toString(getSetting('max_execution_time')) AS max_execution_time, toString(getSetting('max_result_bytes')) AS max_result_bytes",
      format: 'JSONEachRow',
    });
    const row = (await rs.json<Record<keyof ReaderSettings, string>>())[0];
    if (row === undefined) throw new ReaderConfigError('the settings check returned no row');
    const s: ReaderSettings = {
      readonly: Number(row.readonly),
      max_memory_usage: Number(row.max_memory_usage),
      max_execution_time: Number(row.max_execution_time),
      max_result_bytes: Number(row.max_result_bytes),
    };
    const problems: string[] = [];
    if (s.readonly !== 1) problems.push(`readonly = ${row.readonly} (must be 1)`);
    for (const k of ['max_memory_usage', 'max_execution_time', 'max_result_bytes'] as const) {
      if (!(s[k] > 0)) problems.push(`${k} = ${row[k]} (must be set)`);
    }
    if (problems.length > 0) {
      throw new ReaderConfigError(
        `the ClickHouse user "${o.username}" of the SQL endpoint is not locked down: ${problems.join(', ')}; give it a settings profile like promptline_sql in deploy/clickhouse/single/users.xml`,
      );
    }
    return s;
  } finally {
    await client.close();
  }
}

/** The SQL endpoint's routes for the given mode (see the module comment). */
export function sqlRoutes(opts: SqlEndpointOptions): RouteModule {
  return (router, deps) => {
    if (opts.mode !== 'server') {
      const reason = opts.mode === 'embedded' ? EMBEDDED_REASON : DISABLED_REASON;
      const refuse = (req: IncomingMessage, res: ServerResponse): void => {
        req.resume();
        chError(res, 404, 48, 'NOT_IMPLEMENTED', reason);
      };
      router.get('/', refuse);
      router.post('/', refuse);
      router.get('/ping', refuse);
      return;
    }
    const gate = new ConcurrencyGate({
      maxRunning: opts.maxConcurrent,
      maxQueued: opts.maxConcurrent,
      maxRunningPerKey: 1,
      maxQueuedPerKey: 1,
    });
    const reader = new ReaderCheck(opts, deps.log);
    const handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
      let who: Principal;
      try {
        who = deps.keys.require(req, 'sql');
      } catch (e) {
        req.resume();
        const status = e instanceof AuthError ? e.status : 401;
        chError(
          res,
          status,
          status === 401 ? 516 : 497,
          status === 401 ? 'AUTHENTICATION_FAILED' : 'ACCESS_DENIED',
          e instanceof Error ? e.message : String(e),
        );
        return;
      }
      let body: Buffer;
      try {
        body = req.method === 'POST' ? await readBody(req, MAX_SQL_BODY_BYTES) : Buffer.alloc(0);
      } catch (e) {
        if (e instanceof HttpError) {
          chError(res, e.status, 1, 'BAD_REQUEST', e.message);
          return;
        }
        throw e;
      }
      const gone = new AbortController();
      res.once('close', () => gone.abort(new Error('client went away')));
      let release: () => void;
      try {
        release = await gate.enter(who.id, gone.signal);
      } catch (e) {
        if (e instanceof GateFullError) {
          chError(res, 429, 202, 'TOO_MANY_SIMULTANEOUS_QUERIES', e.message, { 'retry-after': '1' });
          return;
        }
        return; // the client went away while waiting
      }
      try {
        const problem = await reader.problem();
        if (problem !== undefined) {
          chError(res, 503, 1, 'SQL_ENDPOINT_UNAVAILABLE', problem, { 'retry-after': '5' });
          return;
        }
        await forward(opts, req, res, url, body, gone.signal, deps.log);
      } finally {
        release();
      }
    };
    router.get('/', (req, res, _p, url) => handler(req, res, url));
    router.post('/', (req, res, _p, url) => handler(req, res, url));
    router.get('/ping', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
      res.end('Ok.\n');
    });
  };
}

/**
 * The reader check, run before the first SQL request and again a minute after each result: a
 * misconfigured or unreachable reader keeps the endpoint answering 503 with the reason.
 */
class ReaderCheck {
  private checkedAt = 0;
  private result: string | undefined = 'not checked';
  private running: Promise<void> | undefined;
  private lastLogged: string | undefined;

  constructor(
    private readonly opts: ServerOptions,
    private readonly log: Logger,
  ) {}

  async problem(): Promise<string | undefined> {
    if (Date.now() - this.checkedAt > 60_000) {
      this.running ??= checkReaderUser(this.opts)
        .then(
          () => undefined,
          (e: unknown) =>
            e instanceof ReaderConfigError
              ? e.message
              : `cannot check the SQL endpoint's ClickHouse user "${this.opts.username}": ${e instanceof Error ? e.message : String(e)}`,
        )
        .then((result) => {
          this.result = result;
          this.checkedAt = Date.now();
          this.running = undefined;
          if (result !== undefined && result !== this.lastLogged) this.log.error(result);
          this.lastLogged = result;
        });
      await this.running;
    }
    return this.result;
  }
}

/** Sends the request to ClickHouse as the reader and streams the answer back, bounded. */
function forward(
  o: ServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer,
  gone: AbortSignal,
  log: Logger,
): Promise<void> {
  const target = new URL(o.endpoint);
  target.pathname = '/';
  target.search = '';
  for (const [k, v] of url.searchParams) {
    if (!CALLER_PARAMS_DROPPED.has(k.toLowerCase())) target.searchParams.append(k, v);
  }
  if (!target.searchParams.has('database')) target.searchParams.set('database', o.database);
  const headers: Record<string, string> = {
    'x-clickhouse-user': o.username,
    'x-clickhouse-key': o.password,
    'content-length': String(body.length),
  };
  for (const h of REQUEST_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const signal = AbortSignal.any([gone, AbortSignal.timeout(o.timeoutMs)]);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<void>((resolve) => {
    const upstream = send(target, { method: body.length > 0 ? 'POST' : 'GET', headers, signal });
    upstream.on('response', (up) => {
      const code = Number(up.headers['x-clickhouse-exception-code']);
      const status = up.statusCode ?? 502;
      if (CREDENTIAL_CODES.has(code)) {
        up.resume();
        log.error(`the SQL endpoint's ClickHouse user "${o.username}" was refused (code ${code})`);
        chError(
          res,
          502,
          code,
          'BAD_GATEWAY',
          "ClickHouse refused the collector's reader credentials (extensions.promptline_read_api.sql)",
        );
        resolve();
        return;
      }
      const out: Record<string, string> = {};
      for (const h of RESPONSE_HEADERS) {
        const v = up.headers[h];
        if (typeof v === 'string') out[h] = v;
      }
      // A query ClickHouse refused or stopped (syntax, readonly, a limit) is the caller's: 4xx.
      const mapped = status < 500 ? status : Number.isFinite(code) ? 400 : 502;
      res.writeHead(mapped, out);
      let relayed = 0;
      up.on('data', (chunk: Buffer) => {
        relayed += chunk.length;
        if (relayed > o.maxResponseBytes) {
          upstream.destroy();
          res.destroy(new Error(`result larger than ${o.maxResponseBytes} bytes`));
          return;
        }
        if (!res.write(chunk)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
      });
      up.on('end', () => {
        res.end();
        resolve();
      });
      up.on('error', () => {
        res.destroy();
        resolve();
      });
      up.on('aborted', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.on('error', (e) => {
      if (!res.headersSent && !gone.aborted) {
        const timedOut = signal.aborted;
        chError(
          res,
          timedOut ? 504 : 503,
          timedOut ? 159 : 210,
          timedOut ? 'TIMEOUT_EXCEEDED' : 'NETWORK_ERROR',
          timedOut
            ? `no complete answer from ClickHouse within ${o.timeoutMs} ms`
            : `ClickHouse is unreachable (${e.message})`,
          { 'retry-after': '5' },
        );
      } else res.destroy();
      resolve();
    });
    upstream.end(body);
  });
}

/**
 * The read side over HTTP (the collector owns the embedded engine's data directory, so every other
 * reader goes through it). Typed metric queries scoped to the key's project, and a read-only SQL
 * endpoint that speaks enough of ClickHouse's HTTP interface for `@clickhouse/client` (url = the
 * collector, password = an API key with the `read` scope).
 */
import type { ClickHouseClient, DataFormat } from '@clickhouse/client';
import {
  labelHistory,
  metricsByVersion,
  timeSeriesByVersion,
  trafficShareByLabel,
} from '@promptline/clickhouse';
import type { MetricsByVersionQuery, WindowQuery } from '@promptline/clickhouse';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AuthError } from '../auth/ApiKeyStore.js';
import type { RouteDeps, RouteModule } from '../server/RouteModule.js';
import { HttpError, readBody, sendJson } from '../server/Router.js';
import { checkReadOnlySql, ReadOnlySqlError, singleStatement } from './readOnlySql.js';

const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `since=24h` or `from=ISO&to=ISO` → a window (default: the last 24 hours). */
export function parseWindow(url: URL, now = Date.now()): { from: Date; to: Date } {
  const since = url.searchParams.get('since');
  const fromText = url.searchParams.get('from');
  const toText = url.searchParams.get('to');
  const to = toText === null ? new Date(now) : new Date(toText);
  if (Number.isNaN(to.getTime())) throw new HttpError(400, `to: not a date (${toText})`);
  let from: Date;
  if (fromText !== null) {
    from = new Date(fromText);
    if (Number.isNaN(from.getTime())) throw new HttpError(400, `from: not a date (${fromText})`);
  } else {
    const m = DURATION.exec(since ?? '24h');
    if (m === null) throw new HttpError(400, `since: expected a duration like 30m, 24h, 7d (got ${since})`);
    from = new Date(to.getTime() - Number(m[1]) * UNIT_MS[m[2]!]!);
  }
  if (from.getTime() >= to.getTime()) throw new HttpError(400, 'from must be before to');
  return { from, to };
}

/** `prompt`, the window and the `environment` / `label` / `model` filters of a read API request. */
export function promptQuery(url: URL, deps: RouteDeps, project: string): WindowQuery {
  const prompt = url.searchParams.get('prompt');
  if (prompt === null || prompt === '') throw new HttpError(400, 'prompt: required (?prompt=NAME)');
  const q: WindowQuery = {
    promptName: prompt,
    projectId: project,
    database: deps.database,
    ...parseWindow(url),
  };
  const env = url.searchParams.get('environment');
  const label = url.searchParams.get('label');
  const model = url.searchParams.get('model');
  if (env !== null) q.environment = env;
  if (label !== null) q.label = label;
  if (model !== null) q.model = model;
  return q;
}

/** Runs a query; the query layer's validation errors become 400. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HttpError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    // The query layer validates its inputs with plain errors: those are the caller's mistakes.
    if (/required|must be|invalid|expected/i.test(message)) throw new HttpError(400, message);
    throw e;
  }
}

/** Typed metric queries: `GET /api/v1/metrics|timeseries|labels/share|labels/history`. */
export const metricsRoutes: RouteModule = (router, deps) => {
  router.get('/api/v1/metrics', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q: MetricsByVersionQuery = { ...promptQuery(url, deps, who.project) };
    if (url.searchParams.get('scores') === 'false') q.includeScores = false;
    const versions = await guard(() => metricsByVersion(deps.client, q));
    sendJson(res, 200, { prompt: q.promptName, project: who.project, from: q.from, to: q.to, versions });
  });
  router.get('/api/v1/timeseries', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    const interval = Number(url.searchParams.get('interval') ?? '3600');
    const points = await guard(() => timeSeriesByVersion(deps.client, { ...q, intervalSeconds: interval }));
    sendJson(res, 200, {
      prompt: q.promptName,
      project: who.project,
      from: q.from,
      to: q.to,
      intervalSeconds: interval,
      points,
    });
  });
  router.get('/api/v1/labels/share', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    sendJson(res, 200, {
      prompt: q.promptName,
      labels: await guard(() => trafficShareByLabel(deps.client, q)),
    });
  });
  router.get('/api/v1/labels/history', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    sendJson(res, 200, { prompt: q.promptName, history: await guard(() => labelHistory(deps.client, q)) });
  });
};

const FORMAT_TYPES: Record<string, string> = {
  JSON: 'application/json; charset=UTF-8',
  JSONCompact: 'application/json; charset=UTF-8',
  JSONEachRow: 'application/x-ndjson; charset=UTF-8',
  JSONCompactEachRow: 'application/x-ndjson; charset=UTF-8',
  CSV: 'text/csv; charset=UTF-8; header=absent',
  CSVWithNames: 'text/csv; charset=UTF-8; header=present',
};

/** A ClickHouse-style error body that `@clickhouse/client` parses into a `ClickHouseError`. */
function chError(res: ServerResponse, status: number, code: number, type: string, message: string): void {
  const body = `Code: ${code}. DB::Exception: ${message}. (${type})\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=UTF-8',
    'x-clickhouse-exception-code': String(code),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Raw SQL sees every project's rows, so it needs the `sql` scope, not just `read`. */
function authenticate(req: IncomingMessage, deps: RouteDeps, res: ServerResponse): boolean {
  try {
    deps.keys.require(req, 'sql');
    return true;
  } catch (e) {
    const status = e instanceof AuthError ? e.status : 401;
    chError(
      res,
      status,
      status === 401 ? 516 : 497,
      status === 401 ? 'AUTHENTICATION_FAILED' : 'ACCESS_DENIED',
      e instanceof Error ? e.message : String(e),
    );
    return false;
  }
}

/**
 * Per-query limits of the SQL endpoint, appended as the query's own `SETTINGS` clause after the
 * read-only check (which refuses any `SETTINGS` of the caller's). A clause, not
 * `clickhouse_settings`: the embedded engine turns those into a session-wide `SET` that would leak
 * into every later query of the collector.
 */
export const SQL_LIMITS = {
  /** Rows in a result; more → error 396 `TOO_MANY_ROWS_OR_BYTES`. */
  maxResultRows: 1_000_000,
  /** Uncompressed bytes of a result (the engine's in-memory size); more → error 396. */
  maxResultBytes: 64 * 1024 * 1024,
  /** Seconds a query may run; longer → error 159 `TIMEOUT_EXCEEDED`. */
  maxExecutionTimeSeconds: 30,
} as const;

const LIMIT_SETTINGS =
  `SETTINGS max_result_rows = ${SQL_LIMITS.maxResultRows}, ` +
  `max_result_bytes = ${SQL_LIMITS.maxResultBytes}, result_overflow_mode = 'throw', ` +
  `max_execution_time = ${SQL_LIMITS.maxExecutionTimeSeconds}, timeout_overflow_mode = 'throw', readonly = 1`;

/** `sql` (already checked: one statement, no SETTINGS of its own) with the endpoint's limits. */
export function withLimits(sql: string): string {
  // On a new line, so a trailing `--` comment cannot swallow it; after FORMAT is valid syntax.
  return `${singleStatement(sql)}\n${LIMIT_SETTINGS}`;
}

/**
 * On the embedded engine, unqualified table names resolve to the configured database: the query
 * is preceded by `USE <database>` in the same request (a server session gets its database from the
 * client instead). The embedded engine has no per-query database, so the `USE` stays in effect for
 * the session; harmless, as the collector qualifies every name of its own queries with that same
 * database. The name was validated as a plain identifier by loadConfig.
 */
export function inDatabase(query: string, database: string, embedded: boolean): string {
  return embedded && database !== 'default' ? `USE \`${database}\`;\n${query}` : query;
}

/**
 * The embedded engine keeps the output of a query that failed part-way (e.g. over
 * `max_result_rows`) and hands it to the session's next query. One throw-away query takes it.
 */
async function drainAfterError(client: ClickHouseClient): Promise<void> {
  try {
    const rs = await client.exec({ query: 'SELECT 1', clickhouse_settings: {} });
    for await (const _chunk of rs.stream) {
      // discard
    }
  } catch {
    // Nothing to drain, or the engine is down: the next query will say so itself.
  }
}

/**
 * Read-only SQL over ClickHouse's HTTP protocol: `GET /?query=…`, `POST /` (query in the body,
 * optionally prefixed by `?query=`), `GET /ping`. Only single SELECT-like statements pass; table
 * functions off the allow list and functions that reach files, URLs or other servers are refused.
 * Every query runs under {@link SQL_LIMITS} and `readonly = 1`.
 */
export const sqlRoutes: RouteModule = (router, deps) => {
  const handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (!authenticate(req, deps, res)) {
      req.resume();
      return;
    }
    const body = req.method === 'POST' ? (await readBody(req, 1024 * 1024)).toString('utf8') : '';
    const head = url.searchParams.get('query') ?? '';
    const sql = head === '' ? body : body === '' ? head : `${head}\n${body}`;
    if (sql.trim() === '') {
      chError(res, 400, 62, 'SYNTAX_ERROR', 'Empty query');
      return;
    }
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (k.startsWith('param_')) params[k.slice(6)] = v;
    const format = url.searchParams.get('default_format') ?? undefined;
    if (format !== undefined && !/^[A-Za-z0-9]+$/.test(format)) {
      chError(res, 400, 73, 'UNKNOWN_FORMAT', `Unknown format ${format}`);
      return;
    }
    let checked = false;
    try {
      await checkReadOnlySql(deps.client, sql, params);
      checked = true;
      const rs = await deps.client.exec({
        query: inDatabase(withLimits(sql), deps.database, deps.embedded),
        query_params: params,
        clickhouse_settings: { default_format: (format ?? 'TabSeparated') as DataFormat },
      });
      const effective = /\bFORMAT\s+([A-Za-z0-9]+)\s*;?\s*$/i.exec(sql)?.[1] ?? format ?? 'TabSeparated';
      // Streamed as it arrives (chunked), never collected here.
      res.writeHead(200, {
        'content-type': FORMAT_TYPES[effective] ?? 'text/plain; charset=UTF-8',
        'x-clickhouse-format': effective,
        'x-clickhouse-query-id': url.searchParams.get('query_id') ?? '',
      });
      await pipeline(rs.stream, res);
    } catch (e) {
      if (res.headersSent) {
        // Failed mid-stream: the client sees a cut-off body, as from ClickHouse itself.
        res.destroy(e instanceof Error ? e : undefined);
        return;
      }
      if (e instanceof ReadOnlySqlError) {
        chError(res, 403, 164, 'READONLY', e.message);
        return;
      }
      if (checked) await drainAfterError(deps.client);
      const err = e as { code?: string; type?: string; message?: string };
      const code = Number(err.code);
      chError(
        res,
        400,
        Number.isFinite(code) ? code : 1,
        err.type ?? 'UNKNOWN_EXCEPTION',
        (err.message ?? String(e)).replace(/\.$/, ''),
      );
    }
  };
  router.get('/', (req, res, _p, url) => handler(req, res, url));
  router.post('/', (req, res, _p, url) => handler(req, res, url));
  router.get('/ping', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
    res.end('Ok.\n');
  });
};

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
import { AuthError } from '../auth/ApiKeyStore.js';
import type { RouteDeps, RouteModule } from '../server/RouteModule.js';
import { HttpError, readBody, sendJson } from '../server/Router.js';
import { checkReadOnlySql, ReadOnlySqlError } from './readOnlySql.js';

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

function promptQuery(url: URL, deps: RouteDeps, project: string): WindowQuery {
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

async function guard<T>(fn: () => Promise<T>): Promise<T> {
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

async function runSql(
  client: ClickHouseClient,
  sql: string,
  format: string | undefined,
  params: Record<string, string>,
): Promise<Buffer> {
  const rs = await client.exec({
    query: sql,
    query_params: params,
    clickhouse_settings: format === undefined ? {} : { default_format: format as DataFormat },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of rs.stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Read-only SQL over ClickHouse's HTTP protocol: `GET /?query=…`, `POST /` (query in the body,
 * optionally prefixed by `?query=`), `GET /ping`. Only single SELECT-like statements pass; table
 * functions and functions that reach files, URLs or other servers are refused.
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
    try {
      await checkReadOnlySql(deps.client, sql, params);
      const out = await runSql(deps.client, sql, format ?? 'TabSeparated', params);
      const effective = /\bFORMAT\s+([A-Za-z0-9]+)\s*;?\s*$/i.exec(sql)?.[1] ?? format ?? 'TabSeparated';
      res.writeHead(200, {
        'content-type': FORMAT_TYPES[effective] ?? 'text/plain; charset=UTF-8',
        'x-clickhouse-format': effective,
        'x-clickhouse-query-id': url.searchParams.get('query_id') ?? '',
        'content-length': out.length,
      });
      res.end(out);
    } catch (e) {
      if (e instanceof ReadOnlySqlError) {
        chError(res, 403, 164, 'READONLY', e.message);
        return;
      }
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

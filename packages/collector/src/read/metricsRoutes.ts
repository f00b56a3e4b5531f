/**
 * The typed read API: fixed queries of `@promptline/clickhouse`, every one scoped to the project of
 * the caller's key (`read` scope), values only as bound parameters. This is how the CLI (and any
 * reader of the embedded engine) reads through a running collector; raw SQL is a separate endpoint
 * (see sqlRoutes.ts) that the embedded engine never serves.
 */
import {
  baselineChecks,
  compareVersions,
  detectRegressions,
  MAX_BREAKDOWN_TOP,
  metricsBreakdown,
  QueryOptionsError,
  labelHistory,
  MAX_INTERVAL_SECONDS,
  MAX_MAX_MOVES,
  MAX_MOVE_WINDOW_MS,
  MAX_QUERY_TIME,
  MAX_TIME_SERIES_BUCKETS,
  metricsByVersion,
  MIN_QUERY_TIME,
  timeSeriesByVersion,
  trafficShareByLabel,
  unlinkedGenerations,
  versionArgument,
} from '@promptline/clickhouse';
import type { MetricsByVersionQuery, WindowQuery } from '@promptline/clickhouse';
import type { Principal } from '../auth/ApiKeyStore.js';
import { ConcurrencyGate, GateFullError } from '../server/ConcurrencyGate.js';
import type { RouteDeps, RouteModule } from '../server/RouteModule.js';
import { HttpError, sendJson } from '../server/Router.js';

const DURATION = /^(\d{1,9})(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d` … in ms, or a 400 naming `param`. */
export function parseDurationParam(param: string, text: string): number {
  const m = DURATION.exec(text);
  if (m === null) throw new HttpError(400, `${param}: expected a duration like 30m, 24h, 7d (got ${text})`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

function checkInstant(param: string, d: Date, text: string): void {
  if (Number.isNaN(d.getTime())) throw new HttpError(400, `${param}: not a date (${text})`);
  if (d.getTime() < MIN_QUERY_TIME || d.getTime() > MAX_QUERY_TIME) {
    throw new HttpError(
      400,
      `${param}: must be between 1900-01-01 and 2300-01-01, the range the schema stores (got ${text})`,
    );
  }
}

/** `since=24h` or `from=ISO&to=ISO` → a window (default: the last 24 hours). */
export function parseWindow(url: URL, now = Date.now()): { from: Date; to: Date } {
  const since = url.searchParams.get('since');
  const fromText = url.searchParams.get('from');
  const toText = url.searchParams.get('to');
  const to = toText === null ? new Date(now) : new Date(toText);
  checkInstant('to', to, toText ?? '');
  let from: Date;
  if (fromText !== null) {
    from = new Date(fromText);
    checkInstant('from', from, fromText);
  } else {
    from = new Date(to.getTime() - parseDurationParam('since', since ?? '24h'));
    if (!(from.getTime() >= MIN_QUERY_TIME))
      throw new HttpError(
        400,
        `since: reaches back before 1900-01-01, the oldest time the schema stores (got ${since})`,
      );
  }
  if (from.getTime() >= to.getTime()) throw new HttpError(400, 'from must be before to');
  return { from, to };
}

/** An optional whole-number parameter in [min, max], or a 400 naming it. */
function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new HttpError(400, `${name}: must be a whole number from ${min} to ${max} (got ${text})`);
  }
  return n;
}

function required(url: URL, name: string): string {
  const v = url.searchParams.get(name);
  if (v === null || v === '') throw new HttpError(400, `${name}: required (?${name}=…)`);
  return v;
}

export function promptQuery(url: URL, deps: RouteDeps, project: string): WindowQuery {
  const q: WindowQuery = {
    promptName: required(url, 'prompt'),
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

/** `interval` in seconds: whole, 60 … 366 days, and at most MAX_TIME_SERIES_BUCKETS buckets. */
export function parseInterval(url: URL, window: { from: Date; to: Date }): number {
  const interval = intParam(url, 'interval', 60, MAX_INTERVAL_SECONDS) ?? 3600;
  const buckets = Math.ceil((window.to.getTime() - window.from.getTime()) / (interval * 1000));
  if (buckets > MAX_TIME_SERIES_BUCKETS) {
    throw new HttpError(
      400,
      `interval: ${interval} s splits the window into ${buckets} buckets, at most ${MAX_TIME_SERIES_BUCKETS}; widen the interval or narrow the window`,
    );
  }
  return interval;
}

/** The numeric test options of compare / regressions. */
function testOptions(url: URL): { sampleLimit?: number; minSamples?: number; alpha?: number } {
  const sampleLimit = intParam(url, 'sample_limit', 2, 1_000_000);
  const minSamples = intParam(url, 'min_samples', 2, 1_000_000);
  const alphaText = url.searchParams.get('alpha');
  const alpha = alphaText === null ? undefined : Number(alphaText);
  if (alpha !== undefined && !(alpha > 0 && alpha < 1))
    throw new HttpError(400, `alpha: must be a number between 0 and 1 (got ${alphaText})`);
  return {
    ...(sampleLimit === undefined ? {} : { sampleLimit }),
    ...(minSamples === undefined ? {} : { minSamples }),
    ...(alpha === undefined ? {} : { alpha }),
  };
}

/** Runs a query-layer call; its invalid-option errors are the caller's mistake (400). */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof QueryOptionsError) throw new HttpError(400, e.message);
    throw e;
  }
}

/**
 * Comparisons and regression scans run several queries each (4 per side, 8 per label move),
 * breakdowns may read spans and baseline checks read a day of aggregates and scores, so they pass
 * a gate: two at once in total, one per key with one more waiting; beyond that 429.
 */
const HEAVY_GATE = { maxRunning: 2, maxQueued: 2, maxRunningPerKey: 1, maxQueuedPerKey: 1 };

/** Runs `fn` once `gate` lets `who` in; a full gate answers 429 with `Retry-After`. */
export async function gated<T>(gate: ConcurrencyGate, who: Principal, fn: () => Promise<T>): Promise<T> {
  let release: () => void;
  try {
    release = await gate.enter(who.id);
  } catch (e) {
    if (e instanceof GateFullError) throw new HttpError(429, e.message, { 'retry-after': '1' });
    throw e;
  }
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Typed metric queries: `GET /api/v1/metrics | metrics/breakdown | checks/baseline | timeseries |
 * labels/share | labels/history | compare | regressions | unlinked`. Bad parameters answer 400 naming the
 * parameter.
 */
export const metricsRoutes: RouteModule = (router, deps) => {
  const heavy = new ConcurrencyGate(HEAVY_GATE);
  router.get('/api/v1/metrics', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q: MetricsByVersionQuery = { ...promptQuery(url, deps, who.project) };
    if (url.searchParams.get('scores') === 'false') q.includeScores = false;
    const passScore = url.searchParams.get('pass_score');
    if (passScore !== null) q.passScore = passScore;
    const versions = await guard(() => metricsByVersion(deps.client, q));
    sendJson(res, 200, { prompt: q.promptName, project: who.project, from: q.from, to: q.to, versions });
  });
  router.get('/api/v1/metrics/breakdown', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    const by = required(url, 'by');
    const top = intParam(url, 'top', 1, MAX_BREAKDOWN_TOP);
    const breakdown = await gated(heavy, who, () =>
      guard(() => metricsBreakdown(deps.client, { ...q, by, ...(top === undefined ? {} : { top }) })),
    );
    sendJson(res, 200, { prompt: q.promptName, project: who.project, from: q.from, to: q.to, ...breakdown });
  });
  router.get('/api/v1/checks/baseline', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const atText = url.searchParams.get('at');
    const at = atText === null ? new Date() : new Date(atText);
    if (atText !== null) checkInstant('at', at, atText);
    const prompt = url.searchParams.get('prompt');
    const label = url.searchParams.get('label');
    const report = await gated(heavy, who, () =>
      guard(() =>
        baselineChecks(deps.client, {
          projectId: who.project,
          database: deps.database,
          now: at,
          ...(prompt === null || prompt === '' ? {} : { promptName: prompt }),
          ...(label === null || label === '' ? {} : { label }),
        }),
      ),
    );
    sendJson(res, 200, { project: who.project, ...report });
  });
  router.get('/api/v1/timeseries', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    const interval = parseInterval(url, q);
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
  router.get('/api/v1/unlinked', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const window = parseWindow(url);
    const prompt = url.searchParams.get('prompt');
    const environment = url.searchParams.get('environment');
    const unlinked = await guard(() =>
      unlinkedGenerations(deps.client, {
        projectId: who.project,
        database: deps.database,
        ...window,
        ...(prompt === null || prompt === '' ? {} : { promptName: prompt }),
        ...(environment === null ? {} : { environment }),
      }),
    );
    sendJson(res, 200, { project: who.project, from: window.from, to: window.to, unlinked });
  });
  router.get('/api/v1/compare', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const prompt = required(url, 'prompt');
    // Versions as stored or as named (`3`, `v3`, `2.1.0`); the query layer checks them (400).
    const baseline = versionArgument(required(url, 'baseline'));
    const candidate = versionArgument(required(url, 'candidate'));
    const window = parseWindow(url);
    const environment = url.searchParams.get('environment');
    const label = url.searchParams.get('label');
    const comparison = await gated(heavy, who, () =>
      guard(() =>
        compareVersions(deps.client, {
          projectId: who.project,
          database: deps.database,
          promptName: prompt,
          baseline,
          candidate,
          ...window,
          ...testOptions(url),
          ...(environment === null ? {} : { environment }),
          ...(label === null ? {} : { label }),
        }),
      ),
    );
    sendJson(res, 200, { project: who.project, ...comparison });
  });
  router.get('/api/v1/regressions', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const prompt = required(url, 'prompt');
    const label = url.searchParams.get('label') ?? 'production';
    if (label === '') throw new HttpError(400, 'label: must not be empty');
    const window = parseWindow(url);
    const maxWindowText = url.searchParams.get('max_window');
    const maxWindowMs = maxWindowText === null ? undefined : parseDurationParam('max_window', maxWindowText);
    if (maxWindowMs !== undefined && (maxWindowMs < 60_000 || maxWindowMs > MAX_MOVE_WINDOW_MS))
      throw new HttpError(400, `max_window: must be from 1m to ${MAX_MOVE_WINDOW_MS / 86_400_000}d`);
    const maxMoves = intParam(url, 'max_moves', 1, MAX_MAX_MOVES);
    const environment = url.searchParams.get('environment');
    const report = await gated(heavy, who, () =>
      guard(() =>
        detectRegressions(deps.client, {
          projectId: who.project,
          database: deps.database,
          promptName: prompt,
          label,
          ...window,
          ...testOptions(url),
          ...(maxWindowMs === undefined ? {} : { maxWindowMs }),
          ...(maxMoves === undefined ? {} : { maxMoves }),
          ...(environment === null ? {} : { environment }),
        }),
      ),
    );
    sendJson(res, 200, { project: who.project, ...report });
  });
};

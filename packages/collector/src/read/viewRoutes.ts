/**
 * Read API routes for the console's views (and any other reader): every prompt at a glance, one
 * prompt's view in one answer, the filters' values, score time series, distributions, and the
 * generations of a version (version comparison and regressions are metricsRoutes.ts's). All `read` scope, every query scoped to the key's (or
 * the console session's) project; windows and filters as in the typed read API
 * (`since=24h` or `from=&to=`, `environment`, `label`).
 */
import {
  distributionsByVersion,
  generationDetail,
  listGenerations,
  promptDimensions,
  promptOverview,
  promptPage,
  resolveVersion,
  scoreTimeSeriesByVersion,
  versionArgument,
} from '@promptline/clickhouse';
import type { GenerationsQuery } from '@promptline/clickhouse';
import { ClickHouseRegistryStore } from '../registry/ClickHouseRegistryStore.js';
import { PromptRegistry } from '../registry/PromptRegistry.js';
import type { RouteModule } from '../server/RouteModule.js';
import { HttpError, sendJson } from '../server/Router.js';
import { ConcurrencyGate } from '../server/ConcurrencyGate.js';
import { gated, guard, parseInterval, parseWindow, promptQuery } from './metricsRoutes.js';

const HOUR_S = 3600;

/**
 * A prompt page runs four queries (six when its window holds scores): at most four pages read at
 * once, two per key, with a queue of 32 (8 per key) in front; beyond that 429. Requests answered
 * from the read cache, or sharing a read in flight, do not enter it.
 */
const PAGE_GATE = { maxRunning: 4, maxQueued: 32, maxRunningPerKey: 2, maxQueuedPerKey: 8 };

/** A whole-hour sparkline bucket giving at most ~48 points for the window. */
export function sparklineInterval(from: Date, to: Date): number {
  const hours = Math.ceil((to.getTime() - from.getTime()) / 3_600_000 / 48);
  return Math.max(1, hours) * HOUR_S;
}

function intParam(url: URL, name: string, opts: { min: number; max: number }): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < opts.min || v > opts.max)
    throw new HttpError(400, `${name}: expected a whole number in ${opts.min}…${opts.max} (got ${text})`);
  return v;
}

function numParam(url: URL, name: string): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new HttpError(400, `${name}: expected a number (got ${text})`);
  return v;
}

function required(url: URL, name: string): string {
  const v = url.searchParams.get(name);
  if (v === null || v === '') throw new HttpError(400, `${name}: required (?${name}=…)`);
  return v;
}

/** The view routes (see the module comment); mounted with the typed read API. */
export const viewRoutes: RouteModule = (router, deps) => {
  router.get('/api/v1/overview', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const window = parseWindow(url);
    const environment = url.searchParams.get('environment') ?? undefined;
    const interval = sparklineInterval(window.from, window.to);
    const prompts = await guard(() =>
      promptOverview(deps.client, {
        projectId: who.project,
        database: deps.database,
        ...window,
        ...(environment === undefined ? {} : { environment }),
        sparklineIntervalSeconds: interval,
      }),
    );
    sendJson(res, 200, { project: who.project, ...window, sparklineIntervalSeconds: interval, prompts });
  });

  // The registry's label moves, read straight from its tables (reads only: no writer here).
  const registry = new PromptRegistry({
    store: new ClickHouseRegistryStore(deps.client, { database: deps.database }),
  });
  // Everything one prompt's view shows, in one answer: each part is what its own endpoint answers
  // (metrics, labels/share, timeseries, scores/timeseries, labels/history, and the registry's
  // history, [] for a prompt never pushed), read in as few engine queries as exactness allows.
  const pageGate = new ConcurrencyGate(PAGE_GATE);
  router.get('/api/v1/prompt-page', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    const interval = parseInterval(url, q);
    const [page, registryHistory] = await gated(pageGate, who, () =>
      Promise.all([
        guard(() => promptPage(deps.client, { ...q, intervalSeconds: interval })),
        registry.movesOf({ projectId: who.project, actor: who.name, scopes: [...who.scopes] }, q.promptName),
      ]),
    );
    sendJson(res, 200, {
      prompt: q.promptName,
      project: who.project,
      from: q.from,
      to: q.to,
      intervalSeconds: interval,
      ...page,
      registryHistory,
    });
  });

  router.get('/api/v1/dimensions', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const window = parseWindow(url);
    const prompt = url.searchParams.get('prompt');
    const dims = await guard(() =>
      promptDimensions(deps.client, {
        projectId: who.project,
        database: deps.database,
        ...window,
        ...(prompt === null || prompt === '' ? {} : { promptName: prompt }),
      }),
    );
    sendJson(res, 200, { project: who.project, ...window, ...dims });
  });

  router.get('/api/v1/scores/timeseries', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    const interval = intParam(url, 'interval', { min: 60, max: 30 * 86_400 }) ?? HOUR_S;
    const points = await guard(() =>
      scoreTimeSeriesByVersion(deps.client, { ...q, intervalSeconds: interval }),
    );
    sendJson(res, 200, { prompt: q.promptName, from: q.from, to: q.to, intervalSeconds: interval, points });
  });

  router.get('/api/v1/distributions', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    // Versions as stored or as sent (`1,2`, `2.1.0,2.2.0-rc1`); answered by stored number, in order.
    const versions = await guard(() =>
      Promise.resolve(
        required(url, 'versions')
          .split(',')
          .map((v) => resolveVersion(versionArgument(v), 'versions').id),
      ),
    );
    const bins = intParam(url, 'bins', { min: 2, max: 200 });
    const d = await guard(() =>
      distributionsByVersion(deps.client, { ...q, versions, ...(bins === undefined ? {} : { bins }) }),
    );
    sendJson(res, 200, { prompt: q.promptName, from: q.from, to: q.to, versions, ...d });
  });

  router.get('/api/v1/generations', async (req, res, _p, url) => {
    const who = deps.requireScope(req, 'read');
    const q = promptQuery(url, deps, who.project);
    // As stored or as sent (`3`, `v3`, `2.1.0`, `#a1b2c3d4`, a named version's id); checked here (400).
    const text = url.searchParams.get('version') ?? '';
    if (text === '') throw new HttpError(400, 'version: required (?version=3 or ?version=2.1.0)');
    const version = await guard(() => Promise.resolve(resolveVersion(versionArgument(text), 'version')));
    const status = url.searchParams.get('status') ?? '';
    if (status !== '' && status !== 'ok' && status !== 'error')
      throw new HttpError(400, `status: expected ok or error (got ${status})`);
    const score = url.searchParams.get('score') ?? '';
    const scoreMin = numParam(url, 'scoreMin');
    const scoreMax = numParam(url, 'scoreMax');
    const limit = intParam(url, 'limit', { min: 1, max: 200 });
    const cursor = url.searchParams.get('cursor') ?? '';
    const query: GenerationsQuery = {
      projectId: who.project,
      database: deps.database,
      promptName: q.promptName,
      version: version.id,
      from: q.from,
      to: q.to,
      ...(q.environment === undefined ? {} : { environment: q.environment }),
      ...(status === '' ? {} : { status }),
      ...(score === '' ? {} : { score }),
      ...(scoreMin === undefined ? {} : { scoreMin }),
      ...(scoreMax === undefined ? {} : { scoreMax }),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === '' ? {} : { cursor }),
    };
    const page = await guard(() => listGenerations(deps.client, query));
    sendJson(res, 200, {
      prompt: q.promptName,
      version: version.id,
      // Given by its id, a named version's name is the rows' (the id's text when there are none).
      versionName: page.rows[0]?.versionName ?? version.name,
      from: q.from,
      to: q.to,
      ...page,
    });
  });

  router.get('/api/v1/generations/:traceId/:spanId', async (req, res, params) => {
    const who = deps.requireScope(req, 'read');
    const detail = await guard(() =>
      generationDetail(deps.client, {
        projectId: who.project,
        database: deps.database,
        traceId: params.traceId ?? '',
        spanId: params.spanId ?? '',
      }),
    );
    if (detail === null) throw new HttpError(404, 'no such generation in this project');
    sendJson(res, 200, detail);
  });
};

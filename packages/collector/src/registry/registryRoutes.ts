import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/ApiKeyStore.js';
import type { RouteDeps, RouteModule } from '../server/RouteModule.js';
import type { RouteHandler, RouteParams } from '../server/Router.js';
import { HttpError, readJson, sendJson } from '../server/Router.js';
import { ClickHouseRegistryStore } from './ClickHouseRegistryStore.js';
import type { RegistryCaller } from './PromptRegistry.js';
import { PromptRegistry } from './PromptRegistry.js';
import type { RegistryLimits } from './promptRules.js';
import { RegistryError } from './RegistryError.js';

/** Path prefix of the registry API. */
export const REGISTRY_PATH_PREFIX = '/api/v1/prompts';

/** Options of {@link registryRoutes}. */
export interface RegistryRoutesOptions {
  /** Labels only an `admin` key may move. Default `['production']`. */
  protectedLabels?: readonly string[];
  limits?: RegistryLimits;
  /** Largest request body accepted, in bytes. Default 1048576 (1 MiB). */
  maxBodyBytes?: number;
  /** Use this registry instead of one over the collector's ClickHouse client (tests, embedding). */
  registry?: PromptRegistry;
}

function callerOf(who: Principal): RegistryCaller {
  return { projectId: who.project, actor: who.name, scopes: [...who.scopes] };
}

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json') {
    req.resume();
    throw new RegistryError(
      415,
      'invalid_request',
      `Content-Type must be application/json, got ${JSON.stringify(type)}`,
    );
  }
  try {
    return await readJson(req, maxBytes);
  } catch (err) {
    if (err instanceof HttpError && err.status === 400)
      throw new RegistryError(400, 'invalid_json', err.message);
    if (err instanceof HttpError && err.status === 413)
      throw new RegistryError(413, 'too_large', err.message);
    throw err;
  }
}

/** Registry errors → their status and `{ error, code }`; storage failures → 503; auth errors → the server. */
function guarded(handler: RouteHandler): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, params: RouteParams, url: URL) => {
    try {
      await handler(req, res, params, url);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof RegistryError) {
        sendJson(res, err.status, err.toJSON());
        return;
      }
      const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      sendJson(
        res,
        503,
        new RegistryError(503, 'unavailable', `registry storage failed: ${message}`).toJSON(),
      );
    }
  };
}

/**
 * The prompt registry's HTTP routes, mounted on the collector's route table. JSON in and out;
 * errors as `{ "error": message, "code": code }`. A prompt name is ONE path segment: encode `/` in it
 * as `%2F` (`encodeURIComponent`). Every query is scoped to the project of the request's API key.
 *
 * | method | path | scope |
 * | --- | --- | --- |
 * | GET | `/api/v1/prompts` | read |
 * | POST | `/api/v1/prompts` (201 created; 200 when `onlyIfChanged` found no change) | write |
 * | GET | `/api/v1/prompts/{name}?label=L` or `?version=N` (default label `latest`) | read |
 * | GET | `/api/v1/prompts/{name}/versions` | read |
 * | GET | `/api/v1/prompts/{name}/history[?label=L]` | read |
 * | PUT | `/api/v1/prompts/{name}/labels/{label}` body `{ "version": N }` | write (admin when protected) |
 *
 * @example
 * ```ts
 * startCollector({ ...config, routeModules: [registryRoutes()] });
 * ```
 */
export function registryRoutes(opts: RegistryRoutesOptions = {}): RouteModule {
  const maxBodyBytes = opts.maxBodyBytes ?? 1_048_576;
  return (router, deps: RouteDeps) => {
    const registry =
      opts.registry ??
      new PromptRegistry({
        store: new ClickHouseRegistryStore(deps.client, { database: deps.database }),
        ...(opts.protectedLabels === undefined ? {} : { protectedLabels: opts.protectedLabels }),
        ...(opts.limits === undefined ? {} : { limits: opts.limits }),
      });
    const p = REGISTRY_PATH_PREFIX;
    router.get(
      p,
      guarded(async (req, res) => {
        const who = callerOf(deps.requireScope(req, 'read'));
        sendJson(res, 200, { prompts: await registry.list(who) });
      }),
    );
    router.post(
      p,
      guarded(async (req, res) => {
        const who = callerOf(deps.requireScope(req, 'write'));
        const result = await registry.create(who, await readJsonBody(req, maxBodyBytes));
        sendJson(res, result.created ? 201 : 200, result);
      }),
    );
    router.get(
      `${p}/:name`,
      guarded(async (req, res, params, url) => {
        const who = callerOf(deps.requireScope(req, 'read'));
        const label = url.searchParams.get('label') ?? undefined;
        const version = url.searchParams.get('version') ?? undefined;
        sendJson(res, 200, await registry.get(who, params.name ?? '', { label, version }));
      }),
    );
    router.get(
      `${p}/:name/versions`,
      guarded(async (req, res, params) => {
        const who = callerOf(deps.requireScope(req, 'read'));
        const name = params.name ?? '';
        sendJson(res, 200, { name, versions: await registry.versions(who, name) });
      }),
    );
    router.get(
      `${p}/:name/history`,
      guarded(async (req, res, params, url) => {
        const who = callerOf(deps.requireScope(req, 'read'));
        const name = params.name ?? '';
        const label = url.searchParams.get('label') ?? undefined;
        sendJson(res, 200, { name, history: await registry.history(who, name, label) });
      }),
    );
    router.add(
      'PUT',
      `${p}/:name/labels/:label`,
      guarded(async (req, res, params) => {
        const who = callerOf(deps.requireScope(req, 'write'));
        const body = await readJsonBody(req, maxBodyBytes);
        const version =
          typeof body === 'object' && body !== null ? (body as Record<string, unknown>).version : undefined;
        sendJson(res, 200, await registry.moveLabel(who, params.name ?? '', params.label ?? '', version));
      }),
    );
  };
}

import type { IncomingMessage } from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ApiKeyStore, Principal, Scope } from '../auth/ApiKeyStore.js';
import type { Logger } from '../logger.js';
import type { Router } from './Router.js';

/** What a route module gets to build its handlers. */
export interface RouteDeps {
  /** The collector's ClickHouse client (embedded engine or server). */
  client: ClickHouseClient;
  /** Database holding the Promptline tables. */
  database: string;
  /** `true` when the collector runs the embedded engine (it owns the data directory). */
  embedded: boolean;
  keys: ApiKeyStore;
  /**
   * Authenticates the request and requires `scope` (`admin` implies every scope). Throws an
   * `HttpError` 401 (no / unknown key) or 403 (scope missing); returns the key's principal, whose
   * `project` must scope every query the handler runs.
   */
  requireScope(req: IncomingMessage, scope: Scope): Principal;
  log: Logger;
}

/**
 * A group of routes mounted on the collector's HTTP server.
 *
 * @example
 * export const registryRoutes: RouteModule = (router, deps) => {
 *   router.get('/api/v1/prompts/:name', async (req, res, params) => {
 *     const who = deps.requireScope(req, 'read');
 *     sendJson(res, 200, await load(deps.client, who.project, params.name));
 *   });
 * };
 */
export type RouteModule = (router: Router, deps: RouteDeps) => void;

import { registryDiffRoutes } from './registry/registryDiffRoutes.js';
import { registryRoutes } from './registry/registryRoutes.js';
import type { RouteModule } from './server/RouteModule.js';

/**
 * Route modules every collector mounts, in order, after `/v1/traces`, `/v1/logs`, `/healthz` and
 * `/metrics`. Add a feature's module here (one line) to serve it by default.
 */
export const BUILTIN_ROUTE_MODULES: RouteModule[] = [registryRoutes(), registryDiffRoutes()];

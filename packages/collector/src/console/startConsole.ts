/**
 * Wires the web console (`extensions.promptline_console`): its login tokens and sessions
 * ({@link ConsoleAuth}), its built files, and its routes.
 */
import type { Logger } from '../logger.js';
import type { RouteModule } from '../server/RouteModule.js';
import { loadConsoleAssets } from './consoleAssets.js';
import { ConsoleAuth } from './ConsoleAuth.js';
import type { ConsoleIdentity } from './ConsoleAuth.js';
import type { ConsoleConfig } from './consoleConfig.js';
import { consoleRoutes } from './consoleRoutes.js';

/** The running console (when `extensions.promptline_console.enabled`). */
export interface RunningConsole {
  /**
   * A one-time login link (`http://host:port/?token=…`) for a project's read access, valid for
   * 15 minutes and good for one login.
   */
  loginUrl(identity: ConsoleIdentity): { url: string; expiresAt: Date };
  /** `false` when the console's files were not found (the page then answers 503 saying so). */
  readonly built: boolean;
}

/** A wired console, before the server listens. */
export interface ConsoleWiring {
  auth: ConsoleAuth;
  routes: RouteModule;
  /** The console once the collector's base URL is known. */
  running(baseUrl: string): RunningConsole;
}

/**
 * The console's wiring, or `undefined` when it is disabled. Missing built files are a warning (the
 * page then says how to build them), not a failure.
 */
export function startConsole(
  config: ConsoleConfig,
  consoleDir: string | undefined,
  log: Logger,
): ConsoleWiring | undefined {
  if (!config.enabled) return undefined;
  const auth = new ConsoleAuth();
  let assets;
  let built = false;
  try {
    assets = loadConsoleAssets(consoleDir);
    built = true;
  } catch (e) {
    assets = e instanceof Error ? e : new Error(String(e));
    log.warn(`console: ${assets.message}`);
  }
  return {
    auth,
    routes: consoleRoutes({ auth, assets, secureCookie: config.secureCookie }),
    running: (baseUrl) => ({
      built,
      loginUrl(identity: ConsoleIdentity) {
        const { token, expiresAt } = auth.issueToken(identity);
        return { url: `${baseUrl}/?token=${token}`, expiresAt };
      },
    }),
  };
}

/** Configuration of the web console (`extensions.promptline_console`). */
import type { ConfigReader, RawSection } from '../config/ConfigReader.js';

/**
 * The web console at `/`. It reads through the typed read API, so enabling it serves that API (not
 * the SQL endpoint) in server mode too.
 */
export interface ConsoleConfig {
  enabled: boolean;
  /** Mark the session cookie `Secure` (behind a TLS-terminating proxy). */
  secureCookie: boolean;
}

const CP = 'extensions.promptline_console';

/** Reads `extensions.promptline_console`; on by default. */
export function readConsoleConfig(r: ConfigReader, extensions: RawSection): ConsoleConfig {
  const consoleRaw = r.obj(extensions, 'promptline_console', CP);
  const config = {
    enabled: r.bool(consoleRaw, 'enabled', CP, true),
    secureCookie: r.bool(consoleRaw, 'secure_cookie', CP, false),
  };
  r.unknown(consoleRaw, CP);
  return config;
}

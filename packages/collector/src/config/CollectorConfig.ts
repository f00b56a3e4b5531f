import type { ConsoleConfig } from '../console/consoleConfig.js';
import type { ExporterConfig } from '../exporter/exporterConfig.js';
import type { AuthConfig } from '../processors/auth/authConfig.js';
import type { ReadApiConfig } from '../read/readApiConfig.js';
import type { ReceiverConfig } from '../receiver/receiverConfig.js';
import type { ServiceConfig } from './serviceConfig.js';

/**
 * The validated, normalised configuration `startCollector` runs with: each component's settings,
 * read and checked beside the component (`receiver/receiverConfig.ts`, `processors/<name>/`,
 * `exporter/exporterConfig.ts`, `read/readApiConfig.ts`, `console/consoleConfig.ts`), and the
 * `service` section that wires them.
 */
export interface CollectorConfig extends ServiceConfig {
  receiver: ReceiverConfig;
  /** API keys (the `promptline_auth` processor's settings). */
  auth: AuthConfig;
  exporter: ExporterConfig;
  readApi: ReadApiConfig;
  /**
   * The web console at `/` (`extensions.promptline_console`). It reads through the typed read API,
   * so enabling it serves that API (not the SQL endpoint) in server mode too.
   */
  console: ConsoleConfig;
}

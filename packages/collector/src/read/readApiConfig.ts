/**
 * Configuration of the read API (`extensions.promptline_read_api`): the typed API, and the SQL
 * endpoint, which is served only with a ClickHouse server and a read-only user.
 */
import type { ConfigReader, RawSection } from '../config/ConfigReader.js';
import type { ExporterConfig } from '../exporter/exporterConfig.js';

export interface ReadApiConfig {
  enabled: boolean;
  /**
   * The SQL endpoint (ClickHouse's HTTP protocol). Served only with a ClickHouse server, where it
   * forwards each request to the server as `username`, a read-only user whose settings profile
   * holds readonly = 1 and the per-query limits (see SECURITY.md). Never with the embedded engine.
   */
  sql: {
    enabled: boolean;
    username: string;
    password: string;
    /** SQL requests running at once, all keys together (each key: one running, one waiting). */
    maxConcurrent: number;
    /** Whole request to ClickHouse, including streaming the result; longer → the request is cut. */
    timeoutMs: number;
    /** Result bytes relayed per request; more → the response is cut. */
    maxResponseBytes: number;
  };
}

const AP = 'extensions.promptline_read_api';

/**
 * Reads `extensions.promptline_read_api`. Its defaults depend on the exporter: the typed API is on
 * with the embedded engine, the SQL endpoint with a server (and never with the embedded engine).
 */
export function readReadApiConfig(
  r: ConfigReader,
  extensions: RawSection,
  exporter: ExporterConfig,
): ReadApiConfig {
  const readApiRaw = r.obj(extensions, 'promptline_read_api', AP);
  const enabled = r.bool(readApiRaw, 'enabled', AP, exporter.endpoint === '');
  const sqlRaw = r.obj(readApiRaw, 'sql', `${AP}.sql`);
  r.note(AP, 'sql');
  const sp = `${AP}.sql`;
  const sql: ReadApiConfig['sql'] = {
    enabled: r.bool(sqlRaw, 'enabled', sp, exporter.endpoint !== ''),
    username: r.str(sqlRaw, 'username', sp, ''),
    password: r.str(sqlRaw, 'password', sp, ''),
    maxConcurrent: r.int(sqlRaw, 'max_concurrent', sp, 2, 1, 64),
    timeoutMs: r.int(sqlRaw, 'timeout_ms', sp, 70_000, 1_000, 3_600_000),
    maxResponseBytes: r.int(sqlRaw, 'max_response_bytes', sp, 256 * 1024 * 1024, 1024),
  };
  r.unknown(sqlRaw, sp);
  r.unknown(readApiRaw, AP);
  if (exporter.endpoint === '') {
    if (sqlRaw?.enabled === true) {
      r.problems.push(
        `${sp}.enabled: raw SQL is not served with the embedded engine, which cannot refuse INTO OUTFILE or a multi-statement string (SECURITY.md); use the typed read API (/api/v1/…), or write to a ClickHouse server (exporters.clickhouse.endpoint) and give the endpoint a read-only user`,
      );
    }
    sql.enabled = false;
  } else if (enabled && sql.enabled) {
    if (sql.username === '') {
      r.problems.push(
        `${sp}.username: required for the SQL endpoint with a ClickHouse server: a read-only ClickHouse user (settings profile with readonly = 1 and per-query limits, e.g. promptline_reader in deploy/clickhouse/single/users.xml; env PROMPTLINE_SQL_USER / PROMPTLINE_SQL_PASSWORD), or set ${sp}.enabled: false`,
      );
    } else if (sql.username === exporter.username) {
      r.problems.push(
        `${sp}.username: must not be the exporter's user "${exporter.username}" (it writes); use a read-only ClickHouse user`,
      );
    }
  }
  return { enabled, sql };
}

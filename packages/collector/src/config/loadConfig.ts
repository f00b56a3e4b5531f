/**
 * Collector configuration in the OpenTelemetry Collector's YAML shape (`receivers`, `processors`,
 * `exporters`, `extensions`, `service.pipelines`), with `${env:NAME}` / `${env:NAME:-default}`
 * substitution and a few environment overrides, validated at startup. Every problem is reported
 * with the key it concerns and how to fix it, all at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SCOPES } from '../auth/ApiKeyStore.js';
import type { ApiKeyEntry, Scope } from '../auth/ApiKeyStore.js';
import { LOG_LEVELS } from '../logger.js';
import type { LogLevel } from '../logger.js';
import { BUILTIN_PATTERN_NAMES, DEFAULT_CONTENT_KEYS } from '../processors/redaction/RedactionProcessor.js';
import type { BuiltinPatternName } from '../processors/redaction/RedactionProcessor.js';
import type { FsyncPolicy } from '../wal/WriteAheadLog.js';

/** A configuration problem: names the key and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid collector configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export type ProcessorConfig =
  | { type: 'promptline_auth'; name: string }
  | {
      type: 'promptline_redaction';
      name: string;
      patterns: BuiltinPatternName[];
      custom: Array<{ name: string; regex: string; replacement: string }>;
      scope: 'content' | 'all';
      contentKeys: string[];
      dropKeys: string[];
      logBodies: boolean;
    }
  | {
      type: 'promptline_filter';
      name: string;
      sampleRatio: number;
      dropSpanNames: string[];
      keepErrors: boolean;
    }
  | {
      type: 'promptline_limits';
      name: string;
      maxValueLength: number;
      maxAttributes: number;
      maxEvents: number;
      maxBodyLength: number;
    };

/** Values of `exporters.clickhouse.release_memory` (see {@link CollectorConfig}). */
export const RELEASE_MEMORY = ['when_idle', 'after_each_batch', 'never'] as const;
export type ReleaseMemory = (typeof RELEASE_MEMORY)[number];

/** The validated, normalised configuration `startCollector` runs with. */
export interface CollectorConfig {
  receiver: {
    host: string;
    port: number;
    /** Largest request body accepted, after decompression (bytes). */
    maxRequestBodySize: number;
    /** Requests decoded at once; more get 429. */
    maxConcurrentRequests: number;
    /** Request bytes held at once (declared length, or the body limit when unknown); more get 429. */
    maxInFlightBytes: number;
    /** Requests one API key may have in flight (its share of `maxConcurrentRequests`); more get 429. */
    maxConcurrentRequestsPerKey: number;
    /** Request bytes one API key may hold (its share of `maxInFlightBytes`); more get 429. */
    maxInFlightBytesPerKey: number;
    /** A request body that sends nothing for this long (ms) gets 408 and its connection is closed. */
    readIdleTimeoutMs: number;
  };
  auth: {
    keys: ApiKeyEntry[];
    allowAnonymousIngest: boolean;
    anonymousProject: string;
  };
  pipelines: { traces: ProcessorConfig[]; logs: ProcessorConfig[] };
  /** Signals with a pipeline; the other's OTLP path answers 404. */
  signals: { traces: boolean; logs: boolean };
  exporter: {
    /** `''` = embedded engine on `dataDir`; else a ClickHouse server URL. */
    endpoint: string;
    dataDir: string;
    username: string;
    password: string;
    database: string;
    migrate: boolean;
    createSchema: boolean;
    /** Keep the exporter's bloom-filter indexes on the otel_traces attribute maps (migrate option). */
    attributeIndexes: boolean;
    /**
     * When the embedded engine hands the memory it freed back to the OS: once the backlog is
     * exported (`when_idle`), after every batch (`after_each_batch`: lower peak RSS, fewer spans/s),
     * or only as its allocator decays it (`never`). No effect on a ClickHouse server.
     */
    releaseMemory: ReleaseMemory;
    /**
     * Row TTL in days for the tables migrations give one (`otel_traces`, `otel_logs`, …);
     * `undefined` = keep forever. Applied when migrations create the tables.
     */
    ttlDays: number | undefined;
    timeoutMs: number;
    wal: {
      dir: string;
      fsync: FsyncPolicy;
      fsyncIntervalMs: number;
      segmentMaxBytes: number;
      maxBytes: number;
      flushIntervalMs: number;
      /** While exports succeed, un-exported bytes beyond this hold requests, then get 429 (intake outruns ClickHouse). */
      maxLagBytes: number;
      /** How long a request is held while ClickHouse is behind by more than `maxLagBytes` before it gets 429. */
      maxLagWaitMs: number;
      /** Consecutive permanent ClickHouse errors of one segment before it is dead-lettered. */
      deadLetterAfter: number;
      /** Bound on the dead-letter folder `<dir>-dead-letter`. */
      deadLetterMaxBytes: number;
    };
    retry: { initialIntervalMs: number; maxIntervalMs: number; multiplier: number };
  };
  readApi: {
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
  };
  /**
   * The web console at `/` (`extensions.promptline_console`). It reads through the typed read API,
   * so enabling it serves that API (not the SQL endpoint) in server mode too.
   */
  console: { enabled: boolean; secureCookie: boolean };
  logLevel: LogLevel;
  /** Seconds clients are told to wait (`Retry-After`) under back-pressure. */
  retryAfterSeconds: number;
  /** Time graceful shutdown spends draining the WAL before leaving the rest for the next start. */
  shutdownTimeoutMs: number;
}

type Raw = Record<string, unknown>;

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function substitute(value: unknown, env: NodeJS.ProcessEnv, path: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push(
        `${path}: environment variable ${name} is not set (set it, or write \${env:${name}:-default})`,
      );
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, env, `${path}[${i}]`, problems));
  if (value !== null && typeof value === 'object') {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value))
      out[k] = substitute(v, env, path === '' ? k : `${path}.${k}`, problems);
    return out;
  }
  return value;
}

/** Environment overrides (they win over the file). */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string[] }> = [
  { env: 'PROMPTLINE_COLLECTOR_ENDPOINT', path: ['receivers', 'otlp', 'protocols', 'http', 'endpoint'] },
  { env: 'PROMPTLINE_CLICKHOUSE_URL', path: ['exporters', 'clickhouse', 'endpoint'] },
  { env: 'PROMPTLINE_CLICKHOUSE_USER', path: ['exporters', 'clickhouse', 'username'] },
  { env: 'PROMPTLINE_CLICKHOUSE_PASSWORD', path: ['exporters', 'clickhouse', 'password'] },
  { env: 'PROMPTLINE_DATA_DIR', path: ['exporters', 'clickhouse', 'data_dir'] },
  { env: 'PROMPTLINE_WAL_DIR', path: ['exporters', 'clickhouse', 'wal', 'dir'] },
  { env: 'PROMPTLINE_WAL_FSYNC', path: ['exporters', 'clickhouse', 'wal', 'fsync'] },
  { env: 'PROMPTLINE_LOG_LEVEL', path: ['service', 'telemetry', 'logs', 'level'] },
  { env: 'PROMPTLINE_SQL_USER', path: ['extensions', 'promptline_read_api', 'sql', 'username'] },
  { env: 'PROMPTLINE_SQL_PASSWORD', path: ['extensions', 'promptline_read_api', 'sql', 'password'] },
];

function setPath(root: Raw, path: readonly string[], value: unknown): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = node[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
    node = node[k] as Raw;
  }
  node[path[path.length - 1]!] = value;
}

/** Reads and validates one section of the raw document. */
class Reader {
  readonly problems: string[] = [];
  private readonly known = new Map<string, Set<string>>();

  obj(parent: Raw | undefined, key: string, path: string): Raw | undefined {
    const v = parent?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.problems.push(`${path}: must be a mapping (got ${describe(v)})`);
      return undefined;
    }
    return v as Raw;
  }

  str(o: Raw | undefined, key: string, path: string, dflt: string): string {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      this.problems.push(`${path}.${key}: must be a string (got ${describe(v)})`);
      return dflt;
    }
    return v;
  }

  num(
    o: Raw | undefined,
    key: string,
    path: string,
    dflt: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return dflt;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${path}.${key}: must be a number between ${min} and ${max} (got ${describe(v)})`);
      return dflt;
    }
    return n;
  }

  /** Like {@link num}, but the value must also be an integer. */
  int(o: Raw | undefined, key: string, path: string, dflt: number, min: number, max?: number): number {
    const before = this.problems.length;
    const n = this.num(o, key, path, dflt, min, max);
    if (this.problems.length === before && !Number.isInteger(n)) {
      this.problems.push(`${path}.${key}: must be a whole number (got ${describe(o?.[key])})`);
      return dflt;
    }
    return n;
  }

  bool(o: Raw | undefined, key: string, path: string, dflt: boolean): boolean {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return dflt;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    this.problems.push(`${path}.${key}: must be true or false (got ${describe(v)})`);
    return dflt;
  }

  oneOf<T extends string>(o: Raw | undefined, key: string, path: string, allowed: readonly T[], dflt: T): T {
    const v = this.str(o, key, path, dflt);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${path}.${key}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
    return dflt;
  }

  strList(o: Raw | undefined, key: string, path: string, dflt: readonly string[]): string[] {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return [...dflt];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.problems.push(`${path}.${key}: must be a list of strings (got ${describe(v)})`);
      return [...dflt];
    }
    return v as string[];
  }

  /** Records a key as known for `path`, so unknown keys can be reported. */
  note(path: string, key: string): void {
    let set = this.known.get(path);
    if (set === undefined) this.known.set(path, (set = new Set()));
    set.add(key);
  }

  /** Reports keys of `o` that nothing read (typos). */
  unknown(o: Raw | undefined, path: string, extra: readonly string[] = []): void {
    if (o === undefined) return;
    const known = this.known.get(path) ?? new Set<string>();
    for (const k of Object.keys(o)) {
      if (!known.has(k) && !extra.includes(k)) {
        this.problems.push(
          `${path}.${k}: unknown key (known: ${[...known, ...extra].sort().join(', ') || 'none'})`,
        );
      }
    }
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

const PROCESSOR_TYPES = [
  'promptline_auth',
  'promptline_redaction',
  'promptline_filter',
  'promptline_limits',
] as const;

/** The default configuration document (what `collector-config/promptline.yaml` spells out). */
export function defaultConfigDocument(): Raw {
  return {
    receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:4318' } } } },
    processors: {
      promptline_auth: {},
      promptline_redaction: {},
      promptline_filter: {},
      promptline_limits: {},
    },
    exporters: { clickhouse: {} },
    service: {
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_redaction', 'promptline_filter', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
        logs: {
          receivers: ['otlp'],
          processors: ['promptline_auth', 'promptline_redaction', 'promptline_limits'],
          exporters: ['clickhouse'],
        },
      },
    },
  };
}

/**
 * Loads, substitutes, overrides and validates a configuration. `source` is a YAML/JSON file path,
 * a YAML document object, or `undefined` for the defaults. Relative paths in the file resolve
 * against the file's folder (objects: against the working directory).
 *
 * @example
 * const config = loadConfig('collector-config/promptline.yaml', process.env);
 * const collector = await startCollector(config);
 */
export function loadConfig(
  source?: string | Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): CollectorConfig {
  let doc: unknown;
  let baseDir = process.cwd();
  if (typeof source === 'string') {
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (e) {
      throw new ConfigError([
        `config file ${source}: cannot read it (${e instanceof Error ? e.message : String(e)})`,
      ]);
    }
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new ConfigError([
        `config file ${source}: not valid YAML (${e instanceof Error ? e.message : String(e)})`,
      ]);
    }
    baseDir = dirname(resolve(source));
  } else doc = source ?? defaultConfigDocument();
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(['(root): the configuration must be a mapping']);
  const problems: string[] = [];
  const raw = substitute(structuredClone(doc), env, '', problems) as Raw;
  for (const o of ENV_OVERRIDES) {
    const v = env[o.env];
    if (v !== undefined && v !== '') setPath(raw, o.path, v);
  }
  const cfg = validate(raw, baseDir, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

function parseEndpoint(text: string, path: string, problems: string[]): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    problems.push(`${path}: must be host:port, e.g. 127.0.0.1:4318 (got ${JSON.stringify(text)})`);
    return { host: '127.0.0.1', port: 4318 };
  }
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port };
}

function validate(raw: Raw, baseDir: string, problems: string[]): CollectorConfig {
  const r = new Reader();
  for (const k of Object.keys(raw)) {
    if (!['receivers', 'processors', 'exporters', 'extensions', 'service', 'connectors'].includes(k)) {
      r.problems.push(
        `${k}: unknown top-level section (known: receivers, processors, exporters, extensions, service)`,
      );
    }
  }
  // receivers.otlp.protocols.http
  const receivers = r.obj(raw, 'receivers', 'receivers');
  const otlp = r.obj(receivers, 'otlp', 'receivers.otlp');
  if (otlp === undefined)
    r.problems.push('receivers.otlp: required (add receivers: { otlp: { protocols: { http: {} } } })');
  const protocols = r.obj(otlp, 'protocols', 'receivers.otlp.protocols');
  if (protocols?.grpc !== undefined) {
    r.problems.push(
      'receivers.otlp.protocols.grpc: not supported by this collector (use http; OTLP/HTTP on port 4318)',
    );
  }
  const http = r.obj(protocols, 'http', 'receivers.otlp.protocols.http');
  const hp = 'receivers.otlp.protocols.http';
  const endpoint = parseEndpoint(r.str(http, 'endpoint', hp, '127.0.0.1:4318'), `${hp}.endpoint`, r.problems);
  const maxConcurrentRequests = r.num(http, 'max_concurrent_requests', hp, 32, 1, 10_000);
  const maxInFlightBytes = r.num(http, 'max_in_flight_bytes', hp, 128 * 1024 * 1024, 65_536);
  const receiver = {
    ...endpoint,
    maxRequestBodySize: r.num(http, 'max_request_body_size', hp, 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxConcurrentRequests,
    maxInFlightBytes,
    // Half of the collector-wide bounds by default: one key never holds more than half of them.
    maxConcurrentRequestsPerKey: r.int(
      http,
      'max_concurrent_requests_per_key',
      hp,
      Math.ceil(maxConcurrentRequests / 2),
      1,
      maxConcurrentRequests,
    ),
    maxInFlightBytesPerKey: r.num(
      http,
      'max_in_flight_bytes_per_key',
      hp,
      Math.floor(maxInFlightBytes / 2),
      1024,
      maxInFlightBytes,
    ),
    readIdleTimeoutMs: r.int(http, 'read_idle_timeout_ms', hp, 5000, 100, 600_000),
  };
  r.unknown(http, hp, ['auth', 'cors', 'include_metadata', 'traces_url_path', 'logs_url_path']);

  // processors
  const processorsRaw = r.obj(raw, 'processors', 'processors') ?? {};
  const processors = new Map<string, ProcessorConfig>();
  let auth: CollectorConfig['auth'] = { keys: [], allowAnonymousIngest: true, anonymousProject: 'default' };
  for (const [name, value] of Object.entries(processorsRaw)) {
    const path = `processors.${name}`;
    const type = name.split('/')[0]!;
    const o = value === null || value === undefined ? {} : r.obj(processorsRaw, name, path);
    if (o === undefined) continue;
    switch (type) {
      case 'promptline_auth': {
        auth = readAuth(r, o, path, baseDir);
        processors.set(name, { type, name });
        break;
      }
      case 'promptline_redaction': {
        const patterns = r.strList(o, 'patterns', path, BUILTIN_PATTERN_NAMES);
        for (const p of patterns) {
          if (!(BUILTIN_PATTERN_NAMES as readonly string[]).includes(p)) {
            r.problems.push(
              `${path}.patterns: unknown pattern ${JSON.stringify(p)} (built-ins: ${BUILTIN_PATTERN_NAMES.join(', ')}; add your own under custom)`,
            );
          }
        }
        r.note(path, 'custom');
        const customRaw = o.custom ?? [];
        const custom: Array<{ name: string; regex: string; replacement: string }> = [];
        if (!Array.isArray(customRaw))
          r.problems.push(`${path}.custom: must be a list of { name, regex, replacement? }`);
        else
          customRaw.forEach((c: unknown, i: number) => {
            const cp = `${path}.custom[${i}]`;
            if (c === null || typeof c !== 'object' || Array.isArray(c)) {
              r.problems.push(`${cp}: must be a mapping { name, regex, replacement? }`);
              return;
            }
            const co = c as Raw;
            const cname = r.str(co, 'name', cp, '');
            const regex = r.str(co, 'regex', cp, '');
            if (cname === '') r.problems.push(`${cp}.name: required`);
            if (regex === '') r.problems.push(`${cp}.regex: required (a JavaScript regular expression)`);
            else
              try {
                new RegExp(regex, 'g');
              } catch (e) {
                r.problems.push(
                  `${cp}.regex: not a valid regular expression (${e instanceof Error ? e.message : String(e)})`,
                );
              }
            custom.push({
              name: cname,
              regex,
              replacement: r.str(co, 'replacement', cp, `[REDACTED:${cname}]`),
            });
            r.unknown(co, cp);
          });
        processors.set(name, {
          type,
          name,
          patterns: patterns.filter((p): p is BuiltinPatternName =>
            (BUILTIN_PATTERN_NAMES as readonly string[]).includes(p),
          ),
          custom,
          scope: r.oneOf(o, 'scope', path, ['content', 'all'] as const, 'content'),
          contentKeys: r.strList(o, 'content_keys', path, DEFAULT_CONTENT_KEYS),
          dropKeys: r.strList(o, 'drop_keys', path, []),
          logBodies: r.bool(o, 'log_bodies', path, true),
        });
        break;
      }
      case 'promptline_filter':
        processors.set(name, {
          type,
          name,
          sampleRatio: r.num(o, 'sample_ratio', path, 1, 0, 1),
          dropSpanNames: r.strList(o, 'drop_span_names', path, []),
          keepErrors: r.bool(o, 'keep_errors', path, true),
        });
        break;
      case 'promptline_limits':
        processors.set(name, {
          type,
          name,
          maxValueLength: r.num(o, 'max_attribute_value_length', path, 65_536, 64),
          maxAttributes: r.num(o, 'max_attributes', path, 256, 8),
          maxEvents: r.num(o, 'max_events', path, 128, 0),
          maxBodyLength: r.num(o, 'max_log_body_length', path, 262_144, 64),
        });
        break;
      default:
        r.problems.push(
          `${path}: unknown processor type ${JSON.stringify(type)} (known: ${PROCESSOR_TYPES.join(', ')})`,
        );
        continue;
    }
    if (type !== 'promptline_auth') r.unknown(o, path);
  }

  // exporters.clickhouse
  const exportersRaw = r.obj(raw, 'exporters', 'exporters') ?? {};
  for (const k of Object.keys(exportersRaw)) {
    if (k.split('/')[0] !== 'clickhouse')
      r.problems.push(`exporters.${k}: unknown exporter (known: clickhouse)`);
  }
  const ch = r.obj(exportersRaw, 'clickhouse', 'exporters.clickhouse') ?? {};
  const ep = 'exporters.clickhouse';
  const chEndpoint = r.str(ch, 'endpoint', ep, '');
  if (chEndpoint !== '' && !/^https?:\/\/[^\s]+$/.test(chEndpoint)) {
    r.problems.push(
      `${ep}.endpoint: must be an http(s):// ClickHouse URL, or empty for the embedded engine (got ${JSON.stringify(chEndpoint)})`,
    );
  }
  const dataDir = resolve(baseDir, r.str(ch, 'data_dir', ep, './.promptline/data'));
  const walRaw = r.obj(ch, 'wal', `${ep}.wal`);
  const wp = `${ep}.wal`;
  r.note(ep, 'wal');
  const wal = {
    dir: resolve(baseDir, r.str(walRaw, 'dir', wp, resolve(dataDir, '..', 'wal'))),
    fsync: r.oneOf(walRaw, 'fsync', wp, ['always', 'interval', 'never'] as const, 'always'),
    fsyncIntervalMs: r.num(walRaw, 'fsync_interval_ms', wp, 200, 1, 60_000),
    segmentMaxBytes: r.num(walRaw, 'segment_max_bytes', wp, 32 * 1024 * 1024, 4096, 512 * 1024 * 1024),
    maxBytes: r.num(walRaw, 'max_bytes', wp, 1024 * 1024 * 1024, 65_536),
    flushIntervalMs: r.num(walRaw, 'flush_interval_ms', wp, 500, 1, 600_000),
    maxLagBytes: r.num(walRaw, 'max_lag_bytes', wp, 64 * 1024 * 1024, 65_536),
    maxLagWaitMs: r.int(walRaw, 'max_lag_wait_ms', wp, 2000, 0, 60_000),
    deadLetterAfter: r.int(walRaw, 'dead_letter_after', wp, 5, 1, 1000),
    deadLetterMaxBytes: r.num(walRaw, 'dead_letter_max_bytes', wp, 256 * 1024 * 1024, 0),
  };
  if (wal.maxBytes < wal.segmentMaxBytes * 2) {
    r.problems.push(
      `${wp}.max_bytes: must be at least twice segment_max_bytes (${wal.segmentMaxBytes * 2}); raise it or lower segment_max_bytes`,
    );
  }
  r.unknown(walRaw, wp);
  const retryRaw = r.obj(ch, 'retry_on_failure', `${ep}.retry_on_failure`);
  r.note(ep, 'retry_on_failure');
  const rp = `${ep}.retry_on_failure`;
  const retry = {
    initialIntervalMs: r.num(retryRaw, 'initial_interval_ms', rp, 200, 1, 600_000),
    maxIntervalMs: r.num(retryRaw, 'max_interval_ms', rp, 30_000, 1, 3_600_000),
    multiplier: r.num(retryRaw, 'multiplier', rp, 2, 1, 10),
  };
  r.unknown(retryRaw, rp);
  r.note(ep, 'ttl_days');
  // Absent = keep forever; otherwise a whole number of days (0 would be ambiguous: say nothing).
  const ttlDays =
    ch.ttl_days === undefined || ch.ttl_days === null ? undefined : r.int(ch, 'ttl_days', ep, 0, 1, 36_500);
  const exporter: CollectorConfig['exporter'] = {
    endpoint: chEndpoint,
    dataDir,
    username: r.str(ch, 'username', ep, 'default'),
    password: r.str(ch, 'password', ep, ''),
    database: r.str(ch, 'database', ep, 'default'),
    migrate: r.bool(ch, 'migrate', ep, true),
    createSchema: r.bool(ch, 'create_schema', ep, true),
    attributeIndexes: r.bool(ch, 'attribute_indexes', ep, true),
    releaseMemory: r.oneOf(ch, 'release_memory', ep, RELEASE_MEMORY, 'when_idle'),
    ttlDays,
    timeoutMs: r.num(ch, 'timeout_ms', ep, 30_000, 100),
    wal,
    retry,
  };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(exporter.database)) {
    r.problems.push(`${ep}.database: must be a plain identifier (letters, digits, _)`);
  }
  r.unknown(ch, ep);

  // extensions
  const ext = r.obj(raw, 'extensions', 'extensions') ?? {};
  const readApiRaw = r.obj(ext, 'promptline_read_api', 'extensions.promptline_read_api');
  const ap = 'extensions.promptline_read_api';
  const readApiEnabled = r.bool(readApiRaw, 'enabled', ap, exporter.endpoint === '');
  const sqlRaw = r.obj(readApiRaw, 'sql', `${ap}.sql`);
  r.note(ap, 'sql');
  const sp = `${ap}.sql`;
  const sql: CollectorConfig['readApi']['sql'] = {
    enabled: r.bool(sqlRaw, 'enabled', sp, exporter.endpoint !== ''),
    username: r.str(sqlRaw, 'username', sp, ''),
    password: r.str(sqlRaw, 'password', sp, ''),
    maxConcurrent: r.int(sqlRaw, 'max_concurrent', sp, 2, 1, 64),
    timeoutMs: r.int(sqlRaw, 'timeout_ms', sp, 70_000, 1_000, 3_600_000),
    maxResponseBytes: r.int(sqlRaw, 'max_response_bytes', sp, 256 * 1024 * 1024, 1024),
  };
  r.unknown(sqlRaw, sp);
  r.unknown(readApiRaw, ap);
  if (exporter.endpoint === '') {
    if (sqlRaw?.enabled === true) {
      r.problems.push(
        `${sp}.enabled: raw SQL is not served with the embedded engine, which cannot refuse INTO OUTFILE or a multi-statement string (SECURITY.md); use the typed read API (/api/v1/…), or write to a ClickHouse server (exporters.clickhouse.endpoint) and give the endpoint a read-only user`,
      );
    }
    sql.enabled = false;
  } else if (readApiEnabled && sql.enabled) {
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
  const readApi: CollectorConfig['readApi'] = { enabled: readApiEnabled, sql };
  const consoleRaw = r.obj(ext, 'promptline_console', 'extensions.promptline_console');
  const consoleCfg = {
    enabled: r.bool(consoleRaw, 'enabled', 'extensions.promptline_console', true),
    secureCookie: r.bool(consoleRaw, 'secure_cookie', 'extensions.promptline_console', false),
  };
  r.unknown(consoleRaw, 'extensions.promptline_console');

  // service
  const service = r.obj(raw, 'service', 'service');
  const telemetry = r.obj(service, 'telemetry', 'service.telemetry');
  const logsRaw = r.obj(telemetry, 'logs', 'service.telemetry.logs');
  const logLevel = r.oneOf(logsRaw, 'level', 'service.telemetry.logs', LOG_LEVELS, 'info');
  const pipelinesRaw = r.obj(service, 'pipelines', 'service.pipelines');
  if (pipelinesRaw === undefined)
    r.problems.push('service.pipelines: required (define at least service.pipelines.traces)');
  const pipelines: CollectorConfig['pipelines'] = { traces: [], logs: [] };
  const signals = { traces: false, logs: false };
  for (const pname of Object.keys(pipelinesRaw ?? {})) {
    const path = `service.pipelines.${pname}`;
    const signal = pname.split('/')[0];
    if (signal !== 'traces' && signal !== 'logs') {
      r.problems.push(`${path}: unsupported signal (this collector stores traces and logs)`);
      continue;
    }
    const p = r.obj(pipelinesRaw, pname, path);
    const recv = r.strList(p, 'receivers', path, []);
    if (recv.length === 0) r.problems.push(`${path}.receivers: list otlp here`);
    for (const x of recv)
      if (x !== 'otlp')
        r.problems.push(`${path}.receivers: unknown receiver ${JSON.stringify(x)} (known: otlp)`);
    const exps = r.strList(p, 'exporters', path, []);
    if (exps.length === 0) r.problems.push(`${path}.exporters: list clickhouse here`);
    for (const x of exps)
      if (x.split('/')[0] !== 'clickhouse' || !(x in exportersRaw || x === 'clickhouse')) {
        r.problems.push(
          `${path}.exporters: unknown exporter ${JSON.stringify(x)} (define it under exporters)`,
        );
      }
    const procNames = r.strList(p, 'processors', path, []);
    const list: ProcessorConfig[] = [];
    procNames.forEach((n, i) => {
      const pc = processors.get(n);
      if (pc === undefined)
        r.problems.push(`${path}.processors[${i}]: ${JSON.stringify(n)} is not defined under processors`);
      else list.push(pc);
    });
    if (processors.size > 0 && [...processors.values()].some((pc) => pc.type === 'promptline_auth')) {
      const first = list[0];
      if (first === undefined || first.type !== 'promptline_auth') {
        r.problems.push(
          `${path}.processors: must start with promptline_auth (the project id comes from the API key before anything else runs)`,
        );
      }
    }
    pipelines[signal] = list;
    signals[signal] = true;
    r.unknown(p, path);
  }
  if (pipelinesRaw !== undefined && !signals.traces && !signals.logs) {
    r.problems.push('service.pipelines: define at least one of traces, logs');
  }
  const cfg: CollectorConfig = {
    receiver,
    auth,
    pipelines,
    signals,
    exporter,
    readApi,
    console: consoleCfg,
    logLevel,
    retryAfterSeconds: r.num(service, 'retry_after_seconds', 'service', 5, 1, 3600),
    shutdownTimeoutMs: r.num(service, 'shutdown_timeout_ms', 'service', 10_000, 0, 600_000),
  };
  r.note('service', 'telemetry');
  r.note('service', 'pipelines');
  r.note('service', 'extensions');
  r.unknown(service, 'service');
  problems.push(...r.problems);
  return cfg;
}

function readAuth(r: Reader, o: Raw, path: string, baseDir: string): CollectorConfig['auth'] {
  const keys: ApiKeyEntry[] = [];
  r.note(path, 'keys');
  r.note(path, 'keys_file');
  const addKeys = (list: unknown, where: string): void => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      r.problems.push(`${where}: must be a list of { sha256, project, scopes }`);
      return;
    }
    list.forEach((k: unknown, i: number) => {
      const kp = `${where}[${i}]`;
      if (k === null || typeof k !== 'object' || Array.isArray(k)) {
        r.problems.push(`${kp}: must be a mapping { sha256, project, scopes }`);
        return;
      }
      const ko = k as Raw;
      const sha = r.str(ko, 'sha256', kp, '').toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(sha)) {
        r.problems.push(
          `${kp}.sha256: must be the 64-hex-digit SHA-256 of the key (never the key itself; compute it with hashApiKey or \`printf %s KEY | sha256sum\`)`,
        );
      }
      const project = r.str(ko, 'project', kp, '');
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(project)) {
        r.problems.push(`${kp}.project: required; letters, digits, . _ - (got ${JSON.stringify(project)})`);
      }
      const scopes = r.strList(ko, 'scopes', kp, ['ingest']);
      for (const s of scopes) {
        if (!(SCOPES as readonly string[]).includes(s))
          r.problems.push(`${kp}.scopes: unknown scope ${JSON.stringify(s)} (known: ${SCOPES.join(', ')})`);
      }
      const name = r.str(ko, 'name', kp, `${project}#${i}`);
      r.unknown(ko, kp);
      keys.push({
        sha256: sha,
        project,
        scopes: scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
        name,
      });
    });
  };
  addKeys(o.keys, `${path}.keys`);
  const file = o.keys_file;
  if (file !== undefined && file !== null && file !== '') {
    if (typeof file !== 'string') r.problems.push(`${path}.keys_file: must be a path`);
    else {
      const full = resolve(baseDir, file);
      try {
        const parsed = parseYaml(readFileSync(full, 'utf8')) as unknown;
        const list =
          parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            ? (parsed as Raw).keys
            : parsed;
        addKeys(list, `${path}.keys_file(${file})`);
      } catch (e) {
        r.problems.push(
          `${path}.keys_file: cannot read ${full} (${e instanceof Error ? e.message : String(e)})`,
        );
      }
    }
  }
  const allowAnonymousIngest = r.bool(o, 'allow_anonymous_ingest', path, keys.length === 0);
  const anonymousProject = r.str(o, 'anonymous_project', path, 'default');
  r.unknown(o, path);
  return { keys, allowAnonymousIngest, anonymousProject };
}

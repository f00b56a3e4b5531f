/**
 * Collector configuration in the OpenTelemetry Collector's YAML shape (`receivers`, `processors`,
 * `exporters`, `extensions`, `service.pipelines`), with `${env:NAME}` / `${env:NAME:-default}`
 * substitution and a few environment overrides, validated at startup. Each component reads and
 * checks its own section (its config type, defaults and validation live beside it); every problem
 * is reported with the key it concerns and how to fix it, all at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readConsoleConfig } from '../console/consoleConfig.js';
import { readExporterConfig } from '../exporter/exporterConfig.js';
import { readProcessorsConfig } from '../processors/processorConfig.js';
import { readReadApiConfig } from '../read/readApiConfig.js';
import { readReceiverConfig } from '../receiver/receiverConfig.js';
import type { CollectorConfig } from './CollectorConfig.js';
import { ConfigError } from './ConfigError.js';
import { ConfigReader } from './ConfigReader.js';
import type { RawSection } from './ConfigReader.js';
import { readServiceConfig } from './serviceConfig.js';

type Raw = RawSection;

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

const SECTIONS = ['receivers', 'processors', 'exporters', 'extensions', 'service', 'connectors'];

/** Reads every section with its component's reader, in document order of the problems. */
function validate(raw: Raw, baseDir: string, problems: string[]): CollectorConfig {
  const r = new ConfigReader();
  for (const k of Object.keys(raw)) {
    if (!SECTIONS.includes(k)) {
      r.problems.push(
        `${k}: unknown top-level section (known: receivers, processors, exporters, extensions, service)`,
      );
    }
  }
  const receiver = readReceiverConfig(r, raw);
  const { processors, auth } = readProcessorsConfig(r, raw, baseDir);
  const { exporter, names: exporterNames } = readExporterConfig(r, raw, baseDir);
  const extensions = r.obj(raw, 'extensions', 'extensions') ?? {};
  const readApi = readReadApiConfig(r, extensions, exporter);
  const consoleConfig = readConsoleConfig(r, extensions);
  const service = readServiceConfig(r, raw, processors, exporterNames);
  problems.push(...r.problems);
  return { receiver, auth, exporter, readApi, console: consoleConfig, ...service };
}

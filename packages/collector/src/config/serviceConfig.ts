/**
 * The `service` section: which pipelines run (receiver → processors → exporter, per signal), the
 * collector's own log level, and the timings every component shares.
 */
import { LOG_LEVELS } from '../logger.js';
import type { LogLevel } from '../logger.js';
import type { ProcessorConfig } from '../processors/processorConfig.js';
import type { ConfigReader, RawSection } from './ConfigReader.js';

export interface ServiceConfig {
  pipelines: { traces: ProcessorConfig[]; logs: ProcessorConfig[] };
  /** Signals with a pipeline; the other's OTLP path answers 404. */
  signals: { traces: boolean; logs: boolean };
  logLevel: LogLevel;
  /** Seconds clients are told to wait (`Retry-After`) under back-pressure. */
  retryAfterSeconds: number;
  /** Time graceful shutdown spends draining the WAL before leaving the rest for the next start. */
  shutdownTimeoutMs: number;
}

/**
 * Reads `service`: each pipeline's processors are looked up among those defined under `processors`,
 * its exporters among `exporterNames`.
 */
export function readServiceConfig(
  r: ConfigReader,
  raw: RawSection,
  processors: ReadonlyMap<string, ProcessorConfig>,
  exporterNames: readonly string[],
): ServiceConfig {
  const service = r.obj(raw, 'service', 'service');
  const telemetry = r.obj(service, 'telemetry', 'service.telemetry');
  const logsRaw = r.obj(telemetry, 'logs', 'service.telemetry.logs');
  const logLevel = r.oneOf(logsRaw, 'level', 'service.telemetry.logs', LOG_LEVELS, 'info');
  const pipelinesRaw = r.obj(service, 'pipelines', 'service.pipelines');
  if (pipelinesRaw === undefined)
    r.problems.push('service.pipelines: required (define at least service.pipelines.traces)');
  const pipelines: ServiceConfig['pipelines'] = { traces: [], logs: [] };
  const signals = { traces: false, logs: false };
  const authConfigured = [...processors.values()].some((pc) => pc.type === 'promptline_auth');
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
      if (x.split('/')[0] !== 'clickhouse' || !(exporterNames.includes(x) || x === 'clickhouse')) {
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
    if (authConfigured) {
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
  const config: ServiceConfig = {
    pipelines,
    signals,
    logLevel,
    retryAfterSeconds: r.num(service, 'retry_after_seconds', 'service', 5, 1, 3600),
    shutdownTimeoutMs: r.num(service, 'shutdown_timeout_ms', 'service', 10_000, 0, 600_000),
  };
  r.note('service', 'telemetry');
  r.note('service', 'pipelines');
  r.note('service', 'extensions');
  r.unknown(service, 'service');
  return config;
}

/**
 * Configuration of the OTLP/HTTP receiver (`receivers.otlp.protocols.http`): where it listens and
 * the bounds it admits requests within.
 */
import type { ConfigReader, RawSection } from '../config/ConfigReader.js';

export interface ReceiverConfig {
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
}

const HTTP = 'receivers.otlp.protocols.http';

/** Reads `receivers.otlp`; the receiver's defaults are written here. */
export function readReceiverConfig(r: ConfigReader, raw: RawSection): ReceiverConfig {
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
  const http = r.obj(protocols, 'http', HTTP);
  const endpoint = parseEndpoint(
    r.str(http, 'endpoint', HTTP, '127.0.0.1:4318'),
    `${HTTP}.endpoint`,
    r.problems,
  );
  const maxConcurrentRequests = r.num(http, 'max_concurrent_requests', HTTP, 32, 1, 10_000);
  const maxInFlightBytes = r.num(http, 'max_in_flight_bytes', HTTP, 128 * 1024 * 1024, 65_536);
  const receiver: ReceiverConfig = {
    ...endpoint,
    maxRequestBodySize: r.num(
      http,
      'max_request_body_size',
      HTTP,
      16 * 1024 * 1024,
      1024,
      1024 * 1024 * 1024,
    ),
    maxConcurrentRequests,
    maxInFlightBytes,
    // Half of the collector-wide bounds by default: one key never holds more than half of them.
    maxConcurrentRequestsPerKey: r.int(
      http,
      'max_concurrent_requests_per_key',
      HTTP,
      Math.ceil(maxConcurrentRequests / 2),
      1,
      maxConcurrentRequests,
    ),
    maxInFlightBytesPerKey: r.num(
      http,
      'max_in_flight_bytes_per_key',
      HTTP,
      Math.floor(maxInFlightBytes / 2),
      1024,
      maxInFlightBytes,
    ),
    readIdleTimeoutMs: r.int(http, 'read_idle_timeout_ms', HTTP, 5000, 100, 600_000),
  };
  // Keys of the upstream collector's receiver that this one accepts and ignores.
  r.unknown(http, HTTP, ['auth', 'cors', 'include_metadata', 'traces_url_path', 'logs_url_path']);
  return receiver;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
function parseEndpoint(text: string, path: string, problems: string[]): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    problems.push(`${path}: must be host:port, e.g. 127.0.0.1:4318 (got ${JSON.stringify(text)})`);
    return { host: '127.0.0.1', port: 4318 };
  }
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port };
}

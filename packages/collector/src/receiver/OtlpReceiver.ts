/**
 * OTLP/HTTP receiver: `POST /v1/traces` and `/v1/logs`, protobuf or JSON, optionally gzip. A
 * request is decoded straight into rows, run through the pipeline's processors, encoded and
 * appended to the WAL; it is acknowledged (200, with `partial_success` when items were rejected)
 * only once the WAL has it. Responses use the request's encoding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip, inflate } from 'node:zlib';
import type { InputType } from 'node:zlib';
import { encodeLogBlock, encodeTraceBlock } from '@promptline/clickhouse';
import { AuthError } from '../auth/ApiKeyStore.js';
import type { ApiKeyStore } from '../auth/ApiKeyStore.js';
import type { Logger } from '../logger.js';
import { OtlpDecodeError } from '../otlp/OtlpDecodeError.js';
import type { DecodeLimits } from '../otlp/OtlpDecodeError.js';
import { decodeLogsJson, decodeTracesJson } from '../otlp/otlpJsonDecoder.js';
import { decodeLogsProto } from '../otlp/proto/decodeLogsProto.js';
import { decodeTracesProto } from '../otlp/proto/decodeTracesProto.js';
import { exportResponse, RPC_CODE, statusBody } from '../otlp/otlpResponse.js';
import type { OtlpEncoding, OtlpSignal } from '../otlp/otlpResponse.js';
import type { LogRow, TraceRow } from '../otlp/rowTypes.js';
import type { Processor } from '../processors/Processor.js';
import type { RouteModule } from '../server/RouteModule.js';
import type { SelfMetrics } from '../server/SelfMetrics.js';
import { HttpError, readBody } from '../server/Router.js';
import { WalFullError, WalWriteError } from '../wal/WriteAheadLog.js';
import type { WalRecord, WriteAheadLog } from '../wal/WriteAheadLog.js';

export interface ReceiverOptions {
  maxRequestBodySize: number;
  maxConcurrentRequests: number;
  /** Bound on request bytes being read or decoded at once (429 beyond; one request always passes). */
  maxInFlightBytes: number;
  /**
   * Share of those bounds one API key may hold (429 beyond), so one client's slow or large requests
   * never refuse everybody else's. Anonymous ingest counts as one key.
   */
  maxConcurrentRequestsPerKey: number;
  /** One request of a key always passes this bound (the collector-wide one still applies). */
  maxInFlightBytesPerKey: number;
  /** A body that sends nothing for this long is refused with 408 (its slot and memory freed). */
  readIdleTimeoutMs: number;
  /**
   * While exports succeed and more than this many bytes are un-exported, a request is held (its body
   * unread) for up to `maxLagWaitMs` until ClickHouse catches up, then refused with 429.
   */
  maxLagBytes: number;
  maxLagWaitMs: number;
  retryAfterSeconds: number;
  limits: DecodeLimits;
  pipelines: { traces: Processor[]; logs: Processor[] };
}

/** What one API key holds right now. */
interface KeyLoad {
  requests: number;
  bytes: number;
}

/** How often a held request looks at the export lag again. */
const LAG_POLL_MS = 20;

const CONTENT_TYPES: Record<string, OtlpEncoding> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

function decompress(fn: typeof gunzip, body: InputType, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fn(body, { maxOutputLength: max }, (err, out) => {
      if (err === null) resolve(out);
      else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        reject(new HttpError(413, `decompressed request body exceeds the limit of ${max} bytes`));
      } else reject(new HttpError(400, `request body is not valid compressed data (${err.message})`));
    });
  });
}

export class OtlpReceiver {
  private readonly wal: WriteAheadLog;
  private readonly keys: ApiKeyStore;
  private readonly metrics: SelfMetrics;
  private readonly log: Logger;
  private readonly opts: ReceiverOptions;
  /** Export health, consulted for back-pressure (503 while ClickHouse is failing and the WAL fills). */
  private readonly exportHealthy: () => boolean;
  inFlight = 0;
  /**
   * Bytes reserved by requests being read or decoded: the declared length (or the body limit), plus
   * the body limit for a compressed body until it is inflated, then its inflated size.
   */
  inFlightBytes = 0;
  /** Requests and bytes in flight per API key (`Principal.id`); entries leave at zero. */
  private readonly perKey = new Map<string, KeyLoad>();
  private draining = false;

  constructor(
    wal: WriteAheadLog,
    keys: ApiKeyStore,
    metrics: SelfMetrics,
    log: Logger,
    opts: ReceiverOptions,
    exportHealthy: () => boolean,
  ) {
    this.wal = wal;
    this.keys = keys;
    this.metrics = metrics;
    this.log = log;
    this.opts = opts;
    this.exportHealthy = exportHealthy;
  }

  /** Refuse new data from now on (graceful shutdown). */
  stopAccepting(): void {
    this.draining = true;
  }

  private send(
    res: ServerResponse,
    status: number,
    encoding: OtlpEncoding,
    body: Buffer,
    headers: Record<string, string> = {},
  ): void {
    this.metrics.countResponse(status);
    if (res.headersSent) return;
    res.writeHead(status, {
      'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      'content-length': body.length,
      ...headers,
    });
    res.end(body);
  }

  private fail(
    res: ServerResponse,
    encoding: OtlpEncoding,
    status: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    this.send(res, status, encoding, statusBody(encoding, code, message), headers);
  }

  /**
   * Refuses a request under back-pressure. Each reason is logged once when it starts and once,
   * with the number of refused requests, when it has clearly cleared (see {@link clearThrottles}).
   */
  private throttle(
    res: ServerResponse,
    encoding: OtlpEncoding,
    status: 429 | 503,
    reason:
      | 'stopping'
      | 'concurrency'
      | 'memory'
      | 'key-concurrency'
      | 'key-memory'
      | 'lag'
      | 'wal-full'
      | 'disk-full'
      | 'disk-error',
    message: string,
  ): void {
    this.metrics.throttled++;
    this.log.once(
      `back-pressure:${reason}`,
      'warn',
      `back-pressure: answering ${status} with Retry-After: ${message}`,
    );
    this.fail(
      res,
      encoding,
      status,
      status === 429 ? RPC_CODE.RESOURCE_EXHAUSTED : RPC_CODE.UNAVAILABLE,
      message,
      {
        'retry-after': String(this.opts.retryAfterSeconds),
      },
    );
  }

  /** Re-arms back-pressure logs once their condition is well clear (half the bound), not at every dip. */
  private clearThrottles(): void {
    const pending = this.wal.pendingBytes;
    if (pending <= this.opts.maxLagBytes / 2) {
      this.log.reset(
        'back-pressure:lag',
        'back-pressure cleared: ClickHouse caught up; requests refused meanwhile',
      );
    }
    if (this.wal.hasRoom(this.wal.maxBytes / 2)) {
      this.log.reset(
        'back-pressure:wal-full',
        'back-pressure cleared: the WAL has room again; requests refused meanwhile',
      );
    }
    if (this.inFlightBytes <= this.opts.maxInFlightBytes / 2) {
      this.log.reset(
        'back-pressure:memory',
        'back-pressure cleared: request memory back to normal; requests refused meanwhile',
      );
    }
    if (this.inFlight < this.opts.maxConcurrentRequests / 2) {
      this.log.reset(
        'back-pressure:concurrency',
        'back-pressure cleared: requests in flight back to normal; requests refused meanwhile',
      );
    }
    let busiest = 0;
    let heaviest = 0;
    for (const load of this.perKey.values()) {
      busiest = Math.max(busiest, load.requests);
      heaviest = Math.max(heaviest, load.bytes);
    }
    if (busiest <= this.opts.maxConcurrentRequestsPerKey / 2) {
      this.log.reset(
        'back-pressure:key-concurrency',
        "back-pressure cleared: no API key holds more than half its share of requests in flight; requests over a key's share refused meanwhile",
      );
    }
    if (heaviest <= this.opts.maxInFlightBytesPerKey / 2) {
      this.log.reset(
        'back-pressure:key-memory',
        "back-pressure cleared: no API key holds more than half its share of request memory; requests over a key's share refused meanwhile",
      );
    }
  }

  /** Counts a request (and `bytes` of memory) against its key; `release` undoes exactly that. */
  private hold(keyId: string, bytes: number): KeyLoad {
    let load = this.perKey.get(keyId);
    if (load === undefined) this.perKey.set(keyId, (load = { requests: 0, bytes: 0 }));
    load.requests++;
    load.bytes += bytes;
    return load;
  }

  private release(keyId: string, load: KeyLoad, bytes: number): void {
    load.requests--;
    load.bytes -= bytes;
    if (load.requests === 0) this.perKey.delete(keyId);
  }

  /** ClickHouse is healthy but behind by more than `maxLagBytes`. */
  private lagging(): boolean {
    return this.exportHealthy() && this.wal.pendingBytes > this.opts.maxLagBytes;
  }

  /**
   * Holds a request while ClickHouse catches up, up to `maxLagWaitMs`: slowing clients down keeps the
   * engine supplied with batches, where a 429 makes every client pause for `Retry-After` at once and
   * leaves the engine idle meanwhile. A held request counts against `maxConcurrentRequests` and holds
   * no body bytes (its body is not read yet). `false` when the lag outlasted the wait or the collector
   * began stopping.
   */
  private async waitForExport(keyId: string): Promise<boolean> {
    const deadline = Date.now() + this.opts.maxLagWaitMs;
    this.inFlight++;
    const load = this.hold(keyId, 0);
    this.metrics.heldForLag++;
    try {
      while (this.lagging()) {
        const left = deadline - Date.now();
        if (left <= 0 || this.draining) return false;
        await new Promise((r) => setTimeout(r, Math.min(LAG_POLL_MS, left)).unref());
      }
      return !this.draining;
    } finally {
      this.inFlight--;
      this.release(keyId, load, 0);
    }
  }

  /** Handles one export request for `signal`. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, signal: OtlpSignal): Promise<void> {
    const rawType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const encoding = CONTENT_TYPES[rawType];
    if (encoding === undefined) {
      req.resume();
      this.fail(
        res,
        'protobuf',
        415,
        RPC_CODE.INVALID_ARGUMENT,
        `unsupported content type ${JSON.stringify(rawType)} (use application/x-protobuf or application/json)`,
      );
      return;
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'identity' && contentEncoding !== 'gzip' && contentEncoding !== 'deflate') {
      req.resume();
      this.fail(
        res,
        encoding,
        415,
        RPC_CODE.INVALID_ARGUMENT,
        `unsupported content encoding ${JSON.stringify(contentEncoding)} (use gzip or none)`,
      );
      return;
    }
    let project: string;
    let keyId: string;
    let keyName: string;
    try {
      ({ project, id: keyId, name: keyName } = this.keys.require(req, 'ingest'));
    } catch (e) {
      req.resume();
      const status = e instanceof AuthError ? e.status : 401;
      this.fail(
        res,
        encoding,
        status,
        status === 401 ? RPC_CODE.UNAUTHENTICATED : RPC_CODE.PERMISSION_DENIED,
        e instanceof Error ? e.message : String(e),
      );
      return;
    }
    if (this.draining) {
      req.resume();
      this.throttle(res, encoding, 503, 'stopping', 'collector is shutting down');
      return;
    }
    if (this.inFlight >= this.opts.maxConcurrentRequests) {
      req.resume();
      this.throttle(
        res,
        encoding,
        429,
        'concurrency',
        `more than ${this.opts.maxConcurrentRequests} requests in flight`,
      );
      return;
    }
    const keyLoad = this.perKey.get(keyId);
    if (keyLoad !== undefined && keyLoad.requests >= this.opts.maxConcurrentRequestsPerKey) {
      req.resume();
      this.throttle(
        res,
        encoding,
        429,
        'key-concurrency',
        `API key "${keyName}" has ${keyLoad.requests} requests in flight (max_concurrent_requests_per_key ${this.opts.maxConcurrentRequestsPerKey})`,
      );
      return;
    }
    if (this.lagging() && !(await this.waitForExport(keyId))) {
      req.resume();
      if (this.draining) {
        this.throttle(res, encoding, 503, 'stopping', 'collector is shutting down');
        return;
      }
      this.throttle(
        res,
        encoding,
        429,
        'lag',
        `ClickHouse is behind by ${this.wal.pendingBytes} bytes (max_lag_bytes ${this.opts.maxLagBytes})`,
      );
      return;
    }
    if (!this.wal.hasRoom(1)) {
      req.resume();
      this.throttle(
        res,
        encoding,
        503,
        'wal-full',
        `write-ahead log is full (${this.wal.pendingBytes} bytes waiting for ClickHouse${this.exportHealthy() ? '' : ', which is failing'})`,
      );
      return;
    }
    const declared = Number(req.headers['content-length']);
    const wire =
      Number.isFinite(declared) && declared >= 0
        ? Math.min(declared, this.opts.maxRequestBodySize)
        : this.opts.maxRequestBodySize;
    // A compressed body inflates to up to the body limit while the compressed bytes are still held:
    // reserve both, then only what was actually inflated once it is known.
    const compressed = contentEncoding === 'gzip' || contentEncoding === 'deflate';
    let reserve = compressed ? wire + this.opts.maxRequestBodySize : wire;
    if (this.inFlight > 0 && this.inFlightBytes + reserve > this.opts.maxInFlightBytes) {
      req.resume();
      this.throttle(
        res,
        encoding,
        429,
        'memory',
        `requests in flight hold ${this.inFlightBytes} bytes (max_in_flight_bytes ${this.opts.maxInFlightBytes})`,
      );
      return;
    }
    const heldByKey = this.perKey.get(keyId);
    if (
      heldByKey !== undefined &&
      heldByKey.bytes > 0 &&
      heldByKey.bytes + reserve > this.opts.maxInFlightBytesPerKey
    ) {
      req.resume();
      this.throttle(
        res,
        encoding,
        429,
        'key-memory',
        `requests of API key "${keyName}" hold ${heldByKey.bytes} bytes (max_in_flight_bytes_per_key ${this.opts.maxInFlightBytesPerKey})`,
      );
      return;
    }
    this.clearThrottles();
    this.inFlight++;
    this.inFlightBytes += reserve;
    const load = this.hold(keyId, reserve);
    try {
      const max = this.opts.maxRequestBodySize;
      let body = await readBody(req, max, { idleTimeoutMs: this.opts.readIdleTimeoutMs });
      if (compressed) {
        body = await decompress(contentEncoding === 'gzip' ? gunzip : inflate, body, max);
        this.inFlightBytes -= reserve - body.length;
        load.bytes -= reserve - body.length;
        reserve = body.length;
      }
      const payload =
        signal === 'traces'
          ? this.processTraces(body, encoding, project)
          : this.processLogs(body, encoding, project);
      try {
        await this.wal.append(payload.records);
      } catch (e) {
        if (e instanceof WalFullError) {
          this.throttle(res, encoding, 503, 'wal-full', e.message);
          return;
        }
        if (e instanceof WalWriteError) {
          // Nothing of the request was kept: the client retries it after Retry-After.
          this.throttle(res, encoding, 503, e.diskFull ? 'disk-full' : 'disk-error', e.message);
          return;
        }
        throw e;
      }
      this.log.reset(
        'back-pressure:disk-full',
        'back-pressure cleared: the write-ahead log accepts writes again (its disk was full); requests refused meanwhile',
      );
      this.log.reset(
        'back-pressure:disk-error',
        'back-pressure cleared: the write-ahead log accepts writes again (its disk failed them); requests refused meanwhile',
      );
      this.metrics.accepted[signal] += payload.accepted;
      this.metrics.rejected[signal] += payload.rejected;
      this.metrics.filtered[signal] += payload.filtered;
      this.send(res, 200, encoding, exportResponse(encoding, signal, payload.rejected, payload.message));
    } catch (e) {
      if (e instanceof OtlpDecodeError) {
        this.fail(res, encoding, 400, RPC_CODE.INVALID_ARGUMENT, e.message);
      } else if (e instanceof HttpError) {
        // The rest of the body is not read: the connection cannot be reused.
        if (e.status === 413 || e.status === 408) res.setHeader('connection', 'close');
        const rpc = e.status === 408 ? RPC_CODE.DEADLINE_EXCEEDED : RPC_CODE.INVALID_ARGUMENT;
        this.fail(res, encoding, e.status, rpc, e.message);
      } else {
        this.log.error(`${signal} request failed`, e);
        this.fail(
          res,
          encoding,
          503,
          RPC_CODE.UNAVAILABLE,
          `could not store the data: ${e instanceof Error ? e.message : String(e)}`,
          {
            'retry-after': String(this.opts.retryAfterSeconds),
          },
        );
      }
    } finally {
      this.inFlight--;
      this.inFlightBytes -= reserve;
      this.release(keyId, load, reserve);
    }
  }

  private processTraces(body: Buffer, encoding: OtlpEncoding, project: string): Encoded {
    const decoded =
      encoding === 'protobuf'
        ? decodeTracesProto(body, this.opts.limits)
        : decodeTracesJson(body, this.opts.limits);
    let rows: TraceRow[] = decoded.rows;
    const before = rows.length;
    const ctx = { project };
    for (const p of this.opts.pipelines.traces) rows = p.processTraces(rows, ctx);
    const payload = encodeTraceBlock(rows);
    return {
      records: [{ kind: 'traces', format: 'Native', rows: rows.length, payload }],
      accepted: rows.length,
      rejected: decoded.rejected,
      filtered: before - rows.length,
      message: decoded.rejectReason,
    };
  }

  private processLogs(body: Buffer, encoding: OtlpEncoding, project: string): Encoded {
    const decoded =
      encoding === 'protobuf'
        ? decodeLogsProto(body, this.opts.limits)
        : decodeLogsJson(body, this.opts.limits);
    let rows: LogRow[] = decoded.rows;
    const before = rows.length;
    const ctx = { project };
    for (const p of this.opts.pipelines.logs) rows = p.processLogs(rows, ctx);
    const payload = encodeLogBlock(rows);
    return {
      records: [{ kind: 'logs', format: 'Native', rows: rows.length, payload }],
      accepted: rows.length,
      rejected: decoded.rejected,
      filtered: before - rows.length,
      message: decoded.rejectReason,
    };
  }
}

interface Encoded {
  records: WalRecord[];
  accepted: number;
  rejected: number;
  filtered: number;
  message: string;
}

/** `POST /v1/traces` and `POST /v1/logs`, for the signals that have a pipeline (the other: 404). */
export function otlpRoutes(receiver: OtlpReceiver, signals: { traces: boolean; logs: boolean }): RouteModule {
  return (router) => {
    if (signals.traces) router.post('/v1/traces', (req, res) => receiver.handle(req, res, 'traces'));
    if (signals.logs) router.post('/v1/logs', (req, res) => receiver.handle(req, res, 'logs'));
  };
}

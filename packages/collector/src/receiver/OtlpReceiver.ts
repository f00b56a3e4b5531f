/**
 * OTLP/HTTP receiver: `POST /v1/traces` and `/v1/logs`, protobuf or JSON, optionally gzip. A
 * request is decoded straight into rows, run through the pipeline's processors, encoded and
 * appended to the WAL; it is acknowledged (200, with `partial_success` when items were rejected)
 * only once the WAL has it. Responses use the request's encoding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeLogBlock, encodeTraceBlock, promptNamesOf } from '@promptline/clickhouse';
import { RESOURCE } from '@promptline/semconv';
import { spanIdentities } from '../exporter/NewSpans.js';
import { AuthError } from '../auth/ApiKeyStore.js';
import type { ApiKeyStore, Principal } from '../auth/ApiKeyStore.js';
import type { Logger } from '../logger.js';
import { OtlpDecodeError } from '../otlp/OtlpDecodeError.js';
import type { DecodeLimits } from '../otlp/OtlpDecodeError.js';
import { decodeLogsJson, decodeTracesJson } from '../otlp/otlpJsonDecoder.js';
import { decodeLogsProto } from '../otlp/proto/decodeLogsProto.js';
import { decodeTracesProto } from '../otlp/proto/decodeTracesProto.js';
import { exportResponse, RPC_CODE, statusBody } from '../otlp/otlpResponse.js';
import type { OtlpEncoding, OtlpSignal } from '../otlp/otlpResponse.js';
import type { AttributeMap, LogRow, TraceRow } from '../otlp/rowTypes.js';
import type { Processor } from '../processors/Processor.js';
import type { RouteModule } from '../server/RouteModule.js';
import type { SelfMetrics } from '../server/SelfMetrics.js';
import { HttpError } from '../server/Router.js';
import { WalFullError, WalWriteError } from '../wal/WriteAheadLog.js';
import type { WalRecord, WriteAheadLog } from '../wal/WriteAheadLog.js';
import { IngestAdmission, Refusal } from './IngestAdmission.js';
import type { AdmissionOptions } from './IngestAdmission.js';
import { readOtlpBody } from './readOtlpBody.js';

export interface ReceiverOptions extends AdmissionOptions {
  /** A body that sends nothing for this long is refused with 503 + `Retry-After` (its slot and memory freed). */
  readIdleTimeoutMs: number;
  retryAfterSeconds: number;
  limits: DecodeLimits;
  pipelines: { traces: Processor[]; logs: Processor[] };
  /**
   * Records each span's identity with its WAL record, for an exporter that tells inserts of only
   * new spans (`exporter/NewSpans.ts`). Default `false`.
   */
  spanIdentities?: boolean;
}

/** What the receiver works with. */
export interface ReceiverDeps {
  wal: WriteAheadLog;
  keys: ApiKeyStore;
  metrics: SelfMetrics;
  log: Logger;
  /** Export health, consulted for back-pressure (503 while ClickHouse is failing and the WAL fills). */
  exportHealthy: () => boolean;
}

const CONTENT_TYPES: Record<string, OtlpEncoding> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

const CONTENT_ENCODINGS = ['identity', 'gzip', 'deflate'] as const;
type ContentEncoding = (typeof CONTENT_ENCODINGS)[number];

export class OtlpReceiver {
  private readonly wal: WriteAheadLog;
  private readonly keys: ApiKeyStore;
  private readonly metrics: SelfMetrics;
  private readonly log: Logger;
  private readonly opts: ReceiverOptions;
  private readonly admission: IngestAdmission;

  constructor(deps: ReceiverDeps, opts: ReceiverOptions) {
    this.wal = deps.wal;
    this.keys = deps.keys;
    this.metrics = deps.metrics;
    this.log = deps.log;
    this.opts = opts;
    this.admission = new IngestAdmission(
      opts,
      {
        pendingBytes: () => deps.wal.pendingBytes,
        walHasRoom: (bytes) => deps.wal.hasRoom(bytes),
        walMaxBytes: () => deps.wal.maxBytes,
        exportHealthy: deps.exportHealthy,
        onHeldForLag: () => {
          deps.metrics.heldForLag++;
        },
      },
      deps.log,
    );
  }

  /** Requests being read, decoded or held now. */
  get inFlight(): number {
    return this.admission.inFlight;
  }

  /** Request bytes reserved now. */
  get inFlightBytes(): number {
    return this.admission.inFlightBytes;
  }

  /** Refuse new data from now on (graceful shutdown). */
  stopAccepting(): void {
    this.admission.stopAccepting();
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
   * Refuses a request for now (429 or 503 + `Retry-After`; the client sends it again). Each reason
   * is logged once when it starts and once, with the number of refused requests, when it has
   * clearly cleared. `unread`: the body was not read to its end, so the connection is closed.
   */
  private refuse(res: ServerResponse, encoding: OtlpEncoding, refusal: Refusal, unread = false): void {
    const { status, reason, message } = refusal;
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
        ...(unread ? { connection: 'close' } : {}),
      },
    );
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
    if (!(CONTENT_ENCODINGS as readonly string[]).includes(contentEncoding)) {
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
    let principal: Principal;
    try {
      principal = this.keys.require(req, 'ingest');
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
    const declared = Number(req.headers['content-length']);
    const admitted = await this.admission.admit(
      { id: principal.id, name: principal.name },
      Number.isFinite(declared) && declared >= 0 ? declared : undefined,
    );
    if (admitted instanceof Refusal) {
      req.resume();
      this.refuse(res, encoding, admitted);
      return;
    }
    try {
      const body = await readOtlpBody(req, {
        maxBytes: this.opts.maxRequestBodySize,
        contentEncoding: contentEncoding as ContentEncoding,
        idleTimeoutMs: this.opts.readIdleTimeoutMs,
        onHeld: (bytes) => admitted.hold(bytes),
      });
      this.log.reset(
        'back-pressure:stalled',
        'back-pressure cleared: request bodies arrive again; requests whose body stalled were refused meanwhile',
      );
      await this.store(res, encoding, signal, body, principal.project);
    } catch (e) {
      if (e instanceof Refusal) {
        // Refused while its body was read (stalled, or no room for it): the rest was not read.
        this.refuse(res, encoding, e, true);
      } else if (e instanceof OtlpDecodeError) {
        this.fail(res, encoding, 400, RPC_CODE.INVALID_ARGUMENT, e.message);
      } else if (e instanceof HttpError) {
        // The rest of the body is not read: the connection cannot be reused.
        if (e.status === 413) res.setHeader('connection', 'close');
        this.fail(res, encoding, e.status, RPC_CODE.INVALID_ARGUMENT, e.message);
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
      admitted.release();
    }
  }

  /**
   * Decodes, processes and appends a body to the WAL, then acknowledges it (200, with
   * `partial_success` for rejected items). A WAL that refuses the write refuses the request whole.
   */
  private async store(
    res: ServerResponse,
    encoding: OtlpEncoding,
    signal: OtlpSignal,
    body: Buffer,
    project: string,
  ): Promise<void> {
    const payload =
      signal === 'traces'
        ? this.processTraces(body, encoding, project)
        : this.processLogs(body, encoding, project);
    try {
      await this.wal.append(payload.records);
    } catch (e) {
      if (e instanceof WalFullError) {
        this.refuse(res, encoding, new Refusal(503, 'wal-full', e.message));
        return;
      }
      if (e instanceof WalWriteError) {
        // Nothing of the request was kept: the client retries it after Retry-After.
        this.refuse(res, encoding, new Refusal(503, e.diskFull ? 'disk-full' : 'disk-error', e.message));
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
      records: [
        {
          kind: 'traces',
          format: 'Native',
          rows: rows.length,
          payload,
          ...projectAndPrompts(rows, project),
          ...(this.opts.spanIdentities === true ? { identities: spanIdentities(rows) } : {}),
        },
      ],
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
      records: [
        { kind: 'logs', format: 'Native', rows: rows.length, payload, ...onlyProject(rows, project) },
      ],
      accepted: rows.length,
      rejected: decoded.rejected,
      filtered: before - rows.length,
      message: decoded.rejectReason,
    };
  }
}

/**
 * `{ project }` when every row is stamped with the request's project (as the authentication
 * processor does), else `{}`: whose data the record changes is then unknown (see `WalRecord.project`).
 */
function onlyProject(
  rows: ReadonlyArray<{ ResourceAttributes: AttributeMap }>,
  project: string,
): { project?: string } {
  let last: AttributeMap | undefined;
  for (const r of rows) {
    if (r.ResourceAttributes === last) continue;
    last = r.ResourceAttributes;
    if (last[RESOURCE.PROJECT_ID] !== project) return {};
  }
  return { project };
}

/**
 * {@link onlyProject}, with the prompts the spans may be stored under when every span tells them
 * (`promptNamesOf`): inserting them changes no other prompt's figures of the project.
 */
function projectAndPrompts(
  rows: readonly TraceRow[],
  project: string,
): { project?: string; prompts?: ReadonlySet<string> } {
  const only = onlyProject(rows, project);
  if (only.project === undefined) return only;
  const prompts = new Set<string>();
  for (const r of rows) if (!promptNamesOf(r.SpanAttributes, prompts)) return only;
  return { project, prompts };
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

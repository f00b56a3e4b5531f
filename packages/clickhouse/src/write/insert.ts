import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  encodeLogBlock,
  encodeTraceBlock,
  LOG_BLOCK_COLUMNS,
  TIMESTAMP_FORMAT,
  TRACE_BLOCK_COLUMNS,
  timestampNanos,
} from './nativeBlock.js';
import { embeddedDataDir } from '../engine/openClickHouse.js';
import { quoteIdent, sqlString } from '../schema/renderSql.js';
import { NEW_SPANS_LOG_COMMENT } from '../schema/spanIdentity.js';
import { SPAN_KIND_TEXT, STATUS_CODE_TEXT } from './rows.js';
import type { LogRow, TraceRow } from './rows.js';

/** Options of {@link insertTraces} / {@link insertLogs}. */
export interface InsertOptions {
  /**
   * Idempotency key of the batch (e.g. the collector's WAL batch id). Re-inserting a batch with
   * the same token is a no-op in the target table and in every materialized-view target, within
   * the tables' deduplication window (10000 blocks). Without a token, ClickHouse falls back to
   * dropping byte-identical blocks.
   */
  dedupToken?: string;
  /** Database. Default `default`. */
  database?: string;
  /** Table name override. Default `otel_traces` / `otel_logs`. */
  table?: string;
  /**
   * The caller vouches that no span of the batch is stored yet and none appears twice in it (see
   * {@link NEW_SPANS_LOG_COMMENT}): the generations view skips its identity lookup. A wrong promise
   * counts copies again, so only a writer that sees every write may make it. Default `false`.
   */
  newSpans?: boolean;
}

const SAFE_TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const KINDS = new Set<string>(SPAN_KIND_TEXT);
const STATUSES = new Set<string>(STATUS_CODE_TEXT);

/** The token as it goes into the SETTINGS clause: kept when plainly safe, else its SHA-256. */
function tokenLiteral(token: string): string {
  const safe = SAFE_TOKEN.test(token) ? token : createHash('sha256').update(token).digest('hex');
  return `'${safe}'`;
}

function insertSettings(opts: InsertOptions): string {
  const settings = [
    'deduplicate_blocks_in_dependent_materialized_views = 1',
    "date_time_input_format = 'best_effort'",
    'input_format_skip_unknown_fields = 0',
  ];
  if (opts.newSpans === true) settings.push(`log_comment = ${sqlString(NEW_SPANS_LOG_COMMENT)}`);
  if (opts.dedupToken !== undefined && opts.dedupToken !== '') {
    // The token is SETTINGS syntax, not a value: only [A-Za-z0-9._:-] or a hex digest reaches SQL.
    settings.unshift(`insert_deduplication_token = ${tokenLiteral(opts.dedupToken)}`);
  }
  // Settings go in the statement, not in clickhouse_settings: the embedded engine applies
  // clickhouse_settings as session-wide SET, which would leak one batch's token into the next.
  return settings.join(', ');
}

/**
 * An encoded body: one buffer or string, or chunks that make it up in order (iterated once). Each
 * chunk is used before the next is requested, so a producer may hand out one reused buffer, e.g. a
 * file read piece by piece.
 */
export type InsertBody = string | Uint8Array | Iterable<Uint8Array>;

function isChunked(body: InsertBody): body is Iterable<Uint8Array> {
  return typeof body !== 'string' && !(body instanceof Uint8Array);
}

/** The body as a stream for an HTTP request (chunks copied: a producer may reuse its buffer). */
function bodyStream(body: InsertBody): Readable {
  if (!isChunked(body)) return Readable.from([body]);
  return Readable.from(
    (function* copies() {
      for (const chunk of body) yield Buffer.from(chunk);
    })(),
  );
}

/** Writes the body to a new file; the number of bytes written. */
function writeBodyFile(file: string, body: InsertBody): number {
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    for (const chunk of isChunked(body) ? body : [typeof body === 'string' ? Buffer.from(body) : body]) {
      for (let off = 0; off < chunk.length;) {
        const n = writeSync(fd, chunk, off, chunk.length - off);
        if (n === 0) throw new Error(`spool write made no progress: ${file}`);
        off += n;
      }
      total += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

/** Removes a spool file. Housekeeping never fails an insert (a caller would retry one that is already stored). */
function removeSpool(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // a file that cannot be removed now is swept as an orphan by a later process
  }
}

/** Spool directory (inside the embedded data directory) for bodies the engine reads as files. */
const SPOOL_DIR = 'promptline-spool';
let spoolSeq = 0;
const spoolSwept = new WeakSet<ClickHouseClient>();

/** Formats of an encoded batch: `Native` blocks (what this package encodes) or `JSONEachRow` lines. */
type BodyFormat = 'Native' | 'JSONEachRow';

const SPOOL_EXT: Record<BodyFormat, string> = { Native: 'native', JSONEachRow: 'jsonl' };

/**
 * Insert one encoded body. A server gets it as the request body. The embedded engine reads it from
 * a spool file (`INSERT … SELECT * FROM file(…)`): passing 16 MiB as query data through the
 * embedded connection cost ~20% more per insert, measured (see the package README). `columns` names
 * the body's columns, so the table's DEFAULT columns are computed for the rest. The spool file is
 * removed after the insert, whatever its outcome; a crash can leave files behind, which the next
 * process that inserts into the directory (and therefore owns it) removes.
 */
async function run(
  client: ClickHouseClient,
  table: string,
  opts: InsertOptions,
  body: InsertBody,
  format: BodyFormat,
  columns: string,
): Promise<void> {
  if (!isChunked(body) && body.length === 0) return;
  const into = `INSERT INTO ${table}${columns} SETTINGS ${insertSettings(opts)}`;
  const dataDir = embeddedDataDir(client);
  if (dataDir === undefined) {
    const res = await client.exec({ query: `${into} FORMAT ${format}`, values: bodyStream(body) });
    res.stream.resume();
    return;
  }
  const dir = join(dataDir, SPOOL_DIR);
  const mine = `${process.pid}-`;
  const file = join(dir, `${mine}${++spoolSeq}.${SPOOL_EXT[format]}`);
  mkdirSync(dir, { recursive: true });
  // Synchronous file calls: `writeFile` writes 512 KiB chunks, each a round trip through the event
  // loop, and in a busy collector a 16 MiB batch took hundreds of milliseconds to reach the file while
  // the engine (one insert at a time) waited. Written at once, 32 MiB took 11–31 ms on the loaded
  // 2-core VM, an event-loop pause per batch that bench:ingest showed to be worth it. A chunked body
  // is written the same way, chunk after chunk without yielding, so a reused chunk buffer is safe.
  let written = 0;
  try {
    written = writeBodyFile(file, body);
  } finally {
    if (written === 0) removeSpool(file);
  }
  if (written === 0) return;
  try {
    const res = await client.exec({ query: `${into} SELECT * FROM file(${sqlString(file)}, '${format}')` });
    res.stream.resume();
  } finally {
    removeSpool(file);
  }
  if (!spoolSwept.has(client)) {
    // The insert succeeded, so this process owns the data directory: files of earlier processes are orphans.
    spoolSwept.add(client);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(mine)) await rm(join(dir, name), { force: true }).catch(() => undefined);
    }
  }
}

/** ` (col, …)`: the column list of a Native block's columns. */
function columnList(columns: ReadonlyArray<readonly [string, string]>): string {
  // Our own constant names (`Events.Timestamp` has a dot, so not quoteIdent).
  return ` (${columns.map(([name]) => `\`${name}\``).join(', ')})`;
}

const NATIVE_COLUMNS = {
  otel_traces: columnList(TRACE_BLOCK_COLUMNS),
  otel_logs: columnList(LOG_BLOCK_COLUMNS),
} as const;

function tableOf(target: 'otel_traces' | 'otel_logs', opts: InsertOptions): string {
  return `${quoteIdent(opts.database ?? 'default', 'database')}.${quoteIdent(opts.table ?? target, 'table')}`;
}

function check(ok: boolean, kind: string, i: number, field: string, value: unknown, want: string): void {
  if (!ok) {
    throw new Error(
      `${kind} row ${i}: ${field} ${JSON.stringify(value)} is invalid (expected ${want}); batch not inserted`,
    );
  }
}

const MAX_UINT64 = 18446744073709551615n;

function validTimestamp(t: unknown): boolean {
  return typeof t === 'string' && timestampNanos(t) !== undefined;
}

/** Validate one span row; throws naming the row and field. */
export function validateTraceRow(r: TraceRow, i: number): void {
  check(validTimestamp(r.Timestamp), 'trace', i, 'Timestamp', r.Timestamp, TIMESTAMP_FORMAT);
  check(HEX32.test(r.TraceId), 'trace', i, 'TraceId', r.TraceId, '32 lowercase hex chars');
  check(HEX16.test(r.SpanId), 'trace', i, 'SpanId', r.SpanId, '16 lowercase hex chars');
  check(
    r.ParentSpanId === '' || HEX16.test(r.ParentSpanId),
    'trace',
    i,
    'ParentSpanId',
    r.ParentSpanId,
    "'' or 16 lowercase hex chars",
  );
  check(KINDS.has(r.SpanKind), 'trace', i, 'SpanKind', r.SpanKind, [...KINDS].join('|'));
  check(STATUSES.has(r.StatusCode), 'trace', i, 'StatusCode', r.StatusCode, [...STATUSES].join('|'));
  const d = r.Duration;
  check(
    (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) ||
      (typeof d === 'string' && /^\d{1,20}$/.test(d) && BigInt(d) <= MAX_UINT64),
    'trace',
    i,
    'Duration',
    d,
    'non-negative integer nanoseconds below 2^64',
  );
  const events = r['Events.Timestamp'];
  const bad = events.find((t) => !validTimestamp(t));
  check(bad === undefined, 'trace', i, 'Events.Timestamp', bad, TIMESTAMP_FORMAT);
  check(
    r['Events.Name'].length === events.length && r['Events.Attributes'].length === events.length,
    'trace',
    i,
    'Events.*',
    [events.length, r['Events.Name'].length, r['Events.Attributes'].length],
    'arrays of one length',
  );
  const links = r['Links.TraceId'].length;
  check(
    r['Links.SpanId'].length === links &&
      r['Links.TraceState'].length === links &&
      r['Links.Attributes'].length === links,
    'trace',
    i,
    'Links.*',
    [links, r['Links.SpanId'].length, r['Links.TraceState'].length, r['Links.Attributes'].length],
    'arrays of one length',
  );
}

/** Validate one log row; throws naming the row and field. */
export function validateLogRow(r: LogRow, i: number): void {
  check(validTimestamp(r.Timestamp), 'log', i, 'Timestamp', r.Timestamp, TIMESTAMP_FORMAT);
  check(
    r.TraceId === '' || HEX32.test(r.TraceId),
    'log',
    i,
    'TraceId',
    r.TraceId,
    "'' or 32 lowercase hex chars",
  );
  check(
    r.SpanId === '' || HEX16.test(r.SpanId),
    'log',
    i,
    'SpanId',
    r.SpanId,
    "'' or 16 lowercase hex chars",
  );
  check(
    Number.isInteger(r.TraceFlags) && r.TraceFlags >= 0 && r.TraceFlags <= 255,
    'log',
    i,
    'TraceFlags',
    r.TraceFlags,
    '0..255',
  );
  check(
    Number.isInteger(r.SeverityNumber) && r.SeverityNumber >= 0 && r.SeverityNumber <= 24,
    'log',
    i,
    'SeverityNumber',
    r.SeverityNumber,
    '0..24',
  );
}

/**
 * Insert spans into `otel_traces` as one batch (the exporter API of the collector), encoded as a
 * `Native` block. All rows are validated first: an invalid row rejects the whole batch with an
 * error naming row and field.
 *
 * @example
 * await insertTraces(client, rows, { dedupToken: `wal-${segment}-${offset}` });
 */
export async function insertTraces(
  client: ClickHouseClient,
  rows: readonly TraceRow[],
  opts: InsertOptions = {},
): Promise<void> {
  rows.forEach(validateTraceRow);
  await insertNative(client, 'otel_traces', encodeTraceBlock(rows), opts);
}

/**
 * Insert log records (including `gen_ai.evaluation.result` score events) into `otel_logs` as one
 * batch. Same validation and deduplication rules as {@link insertTraces}.
 */
export async function insertLogs(
  client: ClickHouseClient,
  rows: readonly LogRow[],
  opts: InsertOptions = {},
): Promise<void> {
  rows.forEach(validateLogRow);
  await insertNative(client, 'otel_logs', encodeLogBlock(rows), opts);
}

/**
 * Insert already-encoded rows: one or more `Native` blocks written back to back by
 * `encodeTraceBlock` / `encodeLogBlock` (so with their columns), into `otel_traces` or `otel_logs`,
 * with the same deduplication settings as {@link insertTraces}. For a collector that encodes rows
 * as they arrive and inserts many requests' blocks as one batch: the engine squashes the blocks,
 * so the batch is one part in the table and in every view target. Rows are not validated here.
 * The body may be given as chunks ({@link InsertBody}), e.g. read from a file piece by piece, so a
 * large batch never has to be in memory at once.
 *
 * @example
 * await insertNative(client, 'otel_traces', blocks, { dedupToken: segmentId });
 */
export async function insertNative(
  client: ClickHouseClient,
  target: 'otel_traces' | 'otel_logs',
  body: Uint8Array | Iterable<Uint8Array>,
  opts: InsertOptions = {},
): Promise<void> {
  await run(client, tableOf(target, opts), opts, body, 'Native', NATIVE_COLUMNS[target]);
}

/**
 * Insert an already-encoded `JSONEachRow` body (one row per line, shapes {@link TraceRow} /
 * {@link LogRow}) into `otel_traces` or `otel_logs`, with the same deduplication settings as
 * {@link insertTraces}. Kept for bodies encoded as JSON (write-ahead log segments of collectors
 * before the `Native` encoding hold them); {@link insertNative} is much cheaper for the engine. Rows are not
 * validated here (the engine rejects a malformed body as a whole).
 *
 * @example
 * await insertJsonEachRow(client, 'otel_traces', walSegmentBytes, { dedupToken: segmentId });
 */
export async function insertJsonEachRow(
  client: ClickHouseClient,
  target: 'otel_traces' | 'otel_logs',
  body: InsertBody,
  opts: InsertOptions = {},
): Promise<void> {
  await run(client, tableOf(target, opts), opts, body, 'JSONEachRow', '');
}

/**
 * Configuration of the ClickHouse exporter (`exporters.clickhouse`): where it writes (the embedded
 * engine or a server), the schema it migrates, its write-ahead log and its retries.
 */
import { resolve } from 'node:path';
import { defaultEngineReaders, MAX_ENGINE_READERS } from '@promptline/clickhouse';
import type { ConfigReader, RawSection } from '../config/ConfigReader.js';
import type { FsyncPolicy } from '../wal/WriteAheadLog.js';

/** Values of `exporters.clickhouse.release_memory` (see {@link ExporterConfig}). */
export const RELEASE_MEMORY = ['when_idle', 'after_each_batch', 'never'] as const;
export type ReleaseMemory = (typeof RELEASE_MEMORY)[number];

export interface ExporterConfig {
  /** `''` = embedded engine on `dataDir`; else a ClickHouse server URL. */
  endpoint: string;
  dataDir: string;
  /** Embedded engine: connections that answer reads beside the writing one (0 = one connection for all). */
  engineReaders: number;
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
}

const EP = 'exporters.clickhouse';

/**
 * Reads `exporters` (only `clickhouse` and `clickhouse/<name>` exist; `clickhouse` is the one
 * configured): the exporter's settings and the names defined, for the pipelines to refer to. Paths
 * resolve against `baseDir`; the exporter's defaults are written here.
 */
export function readExporterConfig(
  r: ConfigReader,
  raw: RawSection,
  baseDir: string,
): { exporter: ExporterConfig; names: string[] } {
  const exportersRaw = r.obj(raw, 'exporters', 'exporters') ?? {};
  for (const k of Object.keys(exportersRaw)) {
    if (k.split('/')[0] !== 'clickhouse')
      r.problems.push(`exporters.${k}: unknown exporter (known: clickhouse)`);
  }
  const ch = r.obj(exportersRaw, 'clickhouse', EP) ?? {};
  const chEndpoint = r.str(ch, 'endpoint', EP, '');
  if (chEndpoint !== '' && !/^https?:\/\/[^\s]+$/.test(chEndpoint)) {
    r.problems.push(
      `${EP}.endpoint: must be an http(s):// ClickHouse URL, or empty for the embedded engine (got ${JSON.stringify(chEndpoint)})`,
    );
  }
  const dataDir = resolve(baseDir, r.str(ch, 'data_dir', EP, './.promptline/data'));
  const wal = readWalConfig(r, ch, baseDir, dataDir);
  const retryRaw = r.obj(ch, 'retry_on_failure', `${EP}.retry_on_failure`);
  r.note(EP, 'retry_on_failure');
  const rp = `${EP}.retry_on_failure`;
  const retry = {
    initialIntervalMs: r.num(retryRaw, 'initial_interval_ms', rp, 200, 1, 600_000),
    maxIntervalMs: r.num(retryRaw, 'max_interval_ms', rp, 30_000, 1, 3_600_000),
    multiplier: r.num(retryRaw, 'multiplier', rp, 2, 1, 10),
  };
  r.unknown(retryRaw, rp);
  r.note(EP, 'ttl_days');
  // Absent = keep forever; otherwise a whole number of days (0 would be ambiguous: say nothing).
  const ttlDays =
    ch.ttl_days === undefined || ch.ttl_days === null ? undefined : r.int(ch, 'ttl_days', EP, 0, 1, 36_500);
  const exporter: ExporterConfig = {
    endpoint: chEndpoint,
    dataDir,
    engineReaders: r.int(ch, 'engine_readers', EP, defaultEngineReaders(), 0, MAX_ENGINE_READERS),
    username: r.str(ch, 'username', EP, 'default'),
    password: r.str(ch, 'password', EP, ''),
    database: r.str(ch, 'database', EP, 'default'),
    migrate: r.bool(ch, 'migrate', EP, true),
    createSchema: r.bool(ch, 'create_schema', EP, true),
    attributeIndexes: r.bool(ch, 'attribute_indexes', EP, true),
    releaseMemory: r.oneOf(ch, 'release_memory', EP, RELEASE_MEMORY, 'when_idle'),
    ttlDays,
    timeoutMs: r.num(ch, 'timeout_ms', EP, 30_000, 100),
    wal,
    retry,
  };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(exporter.database)) {
    r.problems.push(`${EP}.database: must be a plain identifier (letters, digits, _)`);
  }
  r.unknown(ch, EP);
  return { exporter, names: Object.keys(exportersRaw) };
}

/** `exporters.clickhouse.wal`: the write-ahead log, next to the data directory by default. */
function readWalConfig(
  r: ConfigReader,
  ch: RawSection,
  baseDir: string,
  dataDir: string,
): ExporterConfig['wal'] {
  const wp = `${EP}.wal`;
  const walRaw = r.obj(ch, 'wal', wp);
  r.note(EP, 'wal');
  const wal = {
    dir: resolve(baseDir, r.str(walRaw, 'dir', wp, resolve(dataDir, '..', 'wal'))),
    fsync: r.oneOf(walRaw, 'fsync', wp, ['always', 'interval', 'never'] as const, 'always'),
    fsyncIntervalMs: r.num(walRaw, 'fsync_interval_ms', wp, 200, 1, 60_000),
    segmentMaxBytes: r.num(walRaw, 'segment_max_bytes', wp, 32 * 1024 * 1024, 4096, 512 * 1024 * 1024),
    maxBytes: r.num(walRaw, 'max_bytes', wp, 1024 * 1024 * 1024, 65_536),
    // Each insert costs the engine a fixed ~0.2 s of CPU besides its per-span work: a trickle of
    // spans is inserted at most every 2 s (decision 0059).
    flushIntervalMs: r.num(walRaw, 'flush_interval_ms', wp, 2000, 1, 600_000),
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
  return wal;
}

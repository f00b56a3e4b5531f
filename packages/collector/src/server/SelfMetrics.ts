/**
 * The collector's own counters and gauges, served at `/metrics` in the Prometheus text format.
 */
import { UNLINKED_REASONS } from '@promptline/clickhouse';
import type { WalKind } from '../wal/WriteAheadLog.js';

export interface Gauges {
  walPendingBytes: number;
  walSegments: number;
  /** Bytes in the dead-letter folder. */
  walDeadLetterBytes: number;
  /** Bytes (and damaged ranges) of WAL segments skipped because their checksums did not verify. */
  walCorruptBytes: number;
  walCorruptRegions: number;
  inFlightRequests: number;
  /** Request memory reserved by requests being read or decoded (bytes). */
  inFlightBytes: number;
  exportHealthy: boolean;
  /** `process.memoryUsage()` at the scrape. */
  memory: { rss: number; heapUsed: number; external: number };
  /** The embedded engine's tracked bytes (`engineMemoryBytes`); absent with a ClickHouse server. */
  engineBytes?: number;
  /**
   * Generations of the current and the previous UTC hour (span time), all projects, that count
   * towards no prompt version, by reason (`unlinkedGenerations`); absent when ClickHouse did not answer.
   */
  unlinked?: ReadonlyMap<string, number>;
}

export class SelfMetrics {
  /** Items accepted into the WAL, by signal. */
  accepted: Record<WalKind, number> = { traces: 0, logs: 0 };
  /** Items rejected (partial success or whole request), by signal. */
  rejected: Record<WalKind, number> = { traces: 0, logs: 0 };
  /** Items dropped by processors on purpose (sampling, filters), by signal. */
  filtered: Record<WalKind, number> = { traces: 0, logs: 0 };
  /** Rows written to ClickHouse, by table. */
  written: Record<WalKind, number> = { traces: 0, logs: 0 };
  writtenBytes = 0;
  inserts = 0;
  /**
   * Span inserts by how the generations view dedupes them: `new` (the collector vouched every span
   * is new: no lookup, decision 0035) or `looked_up`.
   */
  spanInserts = { new: 0, looked_up: 0 };
  insertSeconds = 0;
  exportRetries = 0;
  /** WAL segments moved to the dead-letter folder after permanent insert errors. */
  deadLetterSegments = 0;
  /** HTTP responses by status code. */
  responses = new Map<number, number>();
  /** Requests refused by back-pressure (429/503). */
  throttled = 0;
  /** Requests held while ClickHouse was behind by more than `max_lag_bytes` (refused or not). */
  heldForLag = 0;
  processorCounters: () => Array<[string, Record<string, number>]> = () => [];

  observeInsert(kind: WalKind, rows: number, bytes: number, ms: number): void {
    this.written[kind] += rows;
    this.writtenBytes += bytes;
    this.inserts++;
    this.insertSeconds += ms / 1000;
  }

  countResponse(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }

  render(g: Gauges): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
    };
    const bySignal = (r: Record<WalKind, number>): Array<[string, number]> => [
      ['{signal="traces"}', r.traces],
      ['{signal="logs"}', r.logs],
    ];
    metric(
      'promptline_collector_accepted_total',
      'counter',
      'Spans / log records acknowledged (in the WAL).',
      bySignal(this.accepted),
    );
    metric(
      'promptline_collector_rejected_total',
      'counter',
      'Spans / log records rejected as invalid.',
      bySignal(this.rejected),
    );
    metric(
      'promptline_collector_filtered_total',
      'counter',
      'Spans / log records dropped by processors (sampling, filters).',
      bySignal(this.filtered),
    );
    metric(
      'promptline_collector_rows_written_total',
      'counter',
      'Rows written to ClickHouse.',
      bySignal(this.written),
    );
    metric(
      'promptline_collector_written_bytes_total',
      'counter',
      'Bytes of encoded rows written to ClickHouse.',
      [['', this.writtenBytes]],
    );
    metric('promptline_collector_inserts_total', 'counter', 'ClickHouse insert batches.', [
      ['', this.inserts],
    ]);
    metric(
      'promptline_collector_span_inserts_total',
      'counter',
      'Span insert batches, by dedupe path: new (every span known new, no identity lookup) or looked_up.',
      [
        ['{path="new"}', this.spanInserts.new],
        ['{path="looked_up"}', this.spanInserts.looked_up],
      ],
    );
    metric('promptline_collector_insert_seconds_total', 'counter', 'Time spent in ClickHouse inserts.', [
      ['', this.insertSeconds],
    ]);
    metric(
      'promptline_collector_export_retries_total',
      'counter',
      'Failed export attempts (each retried with backoff).',
      [['', this.exportRetries]],
    );
    metric(
      'promptline_collector_wal_dead_letter_segments_total',
      'counter',
      'WAL segments moved to the dead-letter folder after permanent ClickHouse errors.',
      [['', this.deadLetterSegments]],
    );
    metric(
      'promptline_collector_throttled_total',
      'counter',
      'Requests refused with 429/503 by back-pressure.',
      [['', this.throttled]],
    );
    metric(
      'promptline_collector_held_for_lag_total',
      'counter',
      'Requests held while ClickHouse was behind by more than max_lag_bytes (then accepted, or refused with 429).',
      [['', this.heldForLag]],
    );
    metric(
      'promptline_collector_http_responses_total',
      'counter',
      'HTTP responses by status code.',
      [...this.responses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => [`{code="${s}"}`, n]),
    );
    metric(
      'promptline_collector_queue_bytes',
      'gauge',
      'Bytes in the WAL not yet written to ClickHouse (queue depth).',
      [['', g.walPendingBytes]],
    );
    metric('promptline_collector_queue_segments', 'gauge', 'Sealed WAL segments waiting for export.', [
      ['', g.walSegments],
    ]);
    metric(
      'promptline_collector_wal_dead_letter_bytes',
      'gauge',
      'Bytes of WAL segments in the dead-letter folder (inspect, then move back or delete).',
      [['', g.walDeadLetterBytes]],
    );
    metric(
      'promptline_collector_wal_corrupt_bytes_total',
      'counter',
      'WAL bytes skipped because their checksums did not verify (data lost; the log names segment and offset).',
      [['', g.walCorruptBytes]],
    );
    metric(
      'promptline_collector_wal_corrupt_regions_total',
      'counter',
      'Damaged ranges of WAL segments skipped (each one or more records).',
      [['', g.walCorruptRegions]],
    );
    metric('promptline_collector_in_flight_requests', 'gauge', 'Requests being decoded.', [
      ['', g.inFlightRequests],
    ]);
    metric(
      'promptline_collector_in_flight_bytes',
      'gauge',
      'Request memory reserved by requests being read or decoded (bounded by max_in_flight_bytes).',
      [['', g.inFlightBytes]],
    );
    metric('promptline_collector_export_healthy', 'gauge', '1 when the last export attempt succeeded.', [
      ['', g.exportHealthy ? 1 : 0],
    ]);
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the collector process.', [
      ['', g.memory.rss],
    ]);
    metric(
      'promptline_collector_js_memory_bytes',
      'gauge',
      'JavaScript share of the resident memory: V8 heap in use, and Buffers outside it.',
      [
        ['{area="heap"}', g.memory.heapUsed],
        ['{area="external"}', g.memory.external],
      ],
    );
    if (g.engineBytes !== undefined) {
      metric(
        'promptline_collector_engine_memory_bytes',
        'gauge',
        'Memory the embedded engine has allocated (its tracker: inserts, merges, queries, caches).',
        [['', g.engineBytes]],
      );
    }
    if (g.unlinked !== undefined) {
      const unlinked = g.unlinked;
      metric(
        'promptline_unlinked_generations',
        'gauge',
        'Generations of the current and the previous hour (UTC, span time), all projects, linked to no prompt version, by reason.',
        UNLINKED_REASONS.map((r) => [`{reason="${r}"}`, unlinked.get(r) ?? 0]),
      );
    }
    const proc: Array<[string, number]> = [];
    for (const [name, counters] of this.processorCounters()) {
      for (const [k, v] of Object.entries(counters)) proc.push([`{processor="${name}",counter="${k}"}`, v]);
    }
    metric(
      'promptline_collector_processor_total',
      'counter',
      'Processor counters (redactions, truncations, drops).',
      proc,
    );
    return `${lines.join('\n')}\n`;
  }
}

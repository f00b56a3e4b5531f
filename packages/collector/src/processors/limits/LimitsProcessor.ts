import type { AttributeMap, LogRow, TraceRow } from '../../otlp/rowTypes.js';
import { newAttributeMap, setAttribute } from '../../otlp/values.js';
import type { ProcessContext, Processor } from '../Processor.js';

export interface LimitsOptions {
  /** Longest attribute value kept, in characters; longer values are cut (suffix `…[truncated]`). */
  maxValueLength: number;
  /** Most attributes kept per span / event / log record; `gen_ai.*` and `promptline.*` keys first. */
  maxAttributes: number;
  /** Most events kept per span. */
  maxEvents: number;
  /** Longest log body kept, in characters. */
  maxBodyLength: number;
}

export const TRUNCATION_SUFFIX = '…[truncated]';

function priority(key: string): boolean {
  return key.startsWith('gen_ai.') || key.startsWith('promptline.');
}

/** Attribute count and size limits (the OTel attribute-limit semantics, applied at the collector). */
export class LimitsProcessor implements Processor {
  readonly name: string;
  private readonly opts: LimitsOptions;
  private truncated = 0;
  private droppedAttributes = 0;
  private droppedEvents = 0;

  constructor(name: string, opts: LimitsOptions) {
    this.name = name;
    this.opts = opts;
  }

  private cut(value: string, max: number): string {
    if (value.length <= max) return value;
    this.truncated++;
    return value.slice(0, Math.max(0, max - TRUNCATION_SUFFIX.length)) + TRUNCATION_SUFFIX;
  }

  private map(map: AttributeMap): AttributeMap {
    const max = this.opts.maxValueLength;
    let count = 0;
    for (const key in map) {
      count++;
      const v = map[key]!;
      if (v.length > max) map[key] = this.cut(v, max);
    }
    if (count <= this.opts.maxAttributes) return map;
    const keys = Object.keys(map);
    const ordered = [...keys.filter(priority), ...keys.filter((k) => !priority(k))];
    const kept = newAttributeMap();
    for (let i = 0; i < this.opts.maxAttributes; i++) setAttribute(kept, ordered[i]!, map[ordered[i]!]!);
    this.droppedAttributes += keys.length - this.opts.maxAttributes;
    return kept;
  }

  processTraces(rows: TraceRow[], _ctx: ProcessContext): TraceRow[] {
    const resources = new Map<AttributeMap, AttributeMap>();
    for (const row of rows) {
      row.SpanAttributes = this.map(row.SpanAttributes);
      let res = resources.get(row.ResourceAttributes);
      if (res === undefined) {
        res = this.map(row.ResourceAttributes);
        resources.set(row.ResourceAttributes, res);
      }
      row.ResourceAttributes = res;
      if (row['Events.Name'].length > this.opts.maxEvents) {
        const n = this.opts.maxEvents;
        this.droppedEvents += row['Events.Name'].length - n;
        row['Events.Name'].length = n;
        row['Events.Timestamp'].length = n;
        row['Events.Attributes'].length = n;
      }
      const events = row['Events.Attributes'];
      for (let i = 0; i < events.length; i++) events[i] = this.map(events[i]!);
      if (row.StatusMessage.length > this.opts.maxValueLength)
        row.StatusMessage = this.cut(row.StatusMessage, this.opts.maxValueLength);
    }
    return rows;
  }

  processLogs(rows: LogRow[], _ctx: ProcessContext): LogRow[] {
    const resources = new Map<AttributeMap, AttributeMap>();
    for (const row of rows) {
      row.LogAttributes = this.map(row.LogAttributes);
      let res = resources.get(row.ResourceAttributes);
      if (res === undefined) {
        res = this.map(row.ResourceAttributes);
        resources.set(row.ResourceAttributes, res);
      }
      row.ResourceAttributes = res;
      if (row.Body.length > this.opts.maxBodyLength) row.Body = this.cut(row.Body, this.opts.maxBodyLength);
    }
    return rows;
  }

  counters(): Record<string, number> {
    return {
      truncated_values: this.truncated,
      dropped_attributes: this.droppedAttributes,
      dropped_events: this.droppedEvents,
    };
  }
}

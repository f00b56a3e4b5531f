import {
  GEN_AI,
  GEN_AI_GENERATION_OPERATIONS,
  LANGFUSE,
  OPENINFERENCE,
  PROMPTLINE,
  TRACELOOP,
  VERCEL_AI,
} from '@promptline/semconv';
import type { LogRow, TraceRow } from '../../otlp/rowTypes.js';
import type { ProcessContext, Processor } from '../Processor.js';

export interface FilterOptions {
  /** Fraction (0..1) of traces whose non-generation spans are kept; decided by trace id. */
  sampleRatio: number;
  /** Span names dropped outright (never generation spans). */
  dropSpanNames: readonly string[];
  /** Keep spans with status `Error` regardless of sampling. */
  keepErrors: boolean;
}

const GENERATION_OPS = new Set<string>(GEN_AI_GENERATION_OPERATIONS);

/**
 * Whether a span is a generation (an LLM call): such spans are never filtered or sampled out,
 * since every per-version metric is computed from them.
 */
export function isGenerationSpan(attrs: Record<string, string>): boolean {
  const op = attrs[GEN_AI.OPERATION_NAME];
  if (op !== undefined && GENERATION_OPS.has(op)) return true;
  if (attrs[PROMPTLINE.OBSERVATION_TYPE] === 'generation') return true;
  // Other conventions' generations (Langfuse, OpenInference, OpenLLMetry, Vercel AI SDK).
  if (attrs[LANGFUSE.OBSERVATION_TYPE] === 'generation') return true;
  if (attrs[OPENINFERENCE.SPAN_KIND] === 'LLM') return true;
  return (
    attrs[GEN_AI.REQUEST_MODEL] !== undefined ||
    attrs[GEN_AI.RESPONSE_MODEL] !== undefined ||
    attrs[GEN_AI.PROMPT_NAME] !== undefined ||
    attrs[PROMPTLINE.PROMPT_VERSION] !== undefined ||
    attrs[GEN_AI.USAGE_INPUT_TOKENS] !== undefined ||
    attrs[LANGFUSE.MODEL_NAME] !== undefined ||
    attrs[OPENINFERENCE.MODEL_NAME] !== undefined ||
    attrs[TRACELOOP.REQUEST_TYPE] !== undefined ||
    attrs[VERCEL_AI.MODEL_ID] !== undefined
  );
}

/** Filtering and trace-consistent sampling of spans that are not generations. */
export class FilterProcessor implements Processor {
  readonly name: string;
  private readonly opts: FilterOptions;
  private readonly dropNames: Set<string>;
  private readonly threshold: number;
  private dropped = 0;

  constructor(name: string, opts: FilterOptions) {
    this.name = name;
    this.opts = opts;
    this.dropNames = new Set(opts.dropSpanNames);
    this.threshold = Math.floor(opts.sampleRatio * 0x100000000);
  }

  private keep(row: TraceRow): boolean {
    if (isGenerationSpan(row.SpanAttributes)) return true;
    if (this.dropNames.has(row.SpanName)) return false;
    if (this.opts.keepErrors && row.StatusCode === 'Error') return true;
    if (this.opts.sampleRatio >= 1) return true;
    // Trace ids are random: their first 32 bits decide, so a trace is kept or dropped as a whole.
    return parseInt(row.TraceId.slice(0, 8), 16) < this.threshold;
  }

  processTraces(rows: TraceRow[], _ctx: ProcessContext): TraceRow[] {
    if (this.opts.sampleRatio >= 1 && this.dropNames.size === 0) return rows;
    const kept = rows.filter((r) => this.keep(r));
    this.dropped += rows.length - kept.length;
    return kept;
  }

  processLogs(rows: LogRow[], _ctx: ProcessContext): LogRow[] {
    return rows;
  }

  counters(): Record<string, number> {
    return { dropped_spans: this.dropped };
  }
}

import type { SpanContext } from '@opentelemetry/api';
import { ROOT_CONTEXT, TraceFlags, isSpanContextValid, trace } from '@opentelemetry/api';
import type { AnyValueMap, Logger } from '@opentelemetry/api-logs';
import { SeverityNumber, logs } from '@opentelemetry/api-logs';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI } from '@promptline/semconv';
import type { ScoreDataType } from '@promptline/semconv';
import { randomUUID } from 'node:crypto';
import { logger } from './logger.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './tracing/settings.js';

/** Options of {@link score} and `Generation.score`. */
export interface ScoreOptions {
  /** Default: from the value — number → `numeric`, boolean → `boolean`, string → `categorical`. */
  readonly dataType?: ScoreDataType;
  /** Free-text explanation (`gen_ai.evaluation.explanation`). */
  readonly comment?: string;
  /** Who scored: `api`, `human`, `llm-judge`, `user-feedback`, … */
  readonly source?: string;
  /** Idempotency id: sending the same id twice counts once. Default: a random UUID. */
  readonly id?: string;
}

/**
 * What a score is about: the generation's span (trace and span id, hex), or the provider's response
 * id (`gen_ai.response.id`, e.g. `chatcmpl-…`) when that is all the scoring process knows.
 */
export type ScoreTarget =
  { readonly traceId: string; readonly spanId: string } | { readonly responseId: string };

/** Longest response id accepted (longer ones are not provider response ids). */
const MAX_RESPONSE_ID = 512;

let scoreLogger: Logger | undefined;

/** @internal `init()` points scores at its logger provider. */
export function setScoreLogger(next: Logger | undefined): void {
  scoreLogger = next;
}

function checkValue(value: unknown, dataType: ScoreDataType): string | undefined {
  switch (dataType) {
    case 'numeric':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : 'a numeric score needs a finite number';
    case 'boolean':
      return typeof value === 'boolean' || value === 0 || value === 1
        ? undefined
        : 'a boolean score needs true/false (or 1/0)';
    case 'categorical':
      return typeof value === 'string' && value !== ''
        ? undefined
        : 'a categorical score needs a non-empty string';
  }
}

/**
 * Records a score for a generation as a `gen_ai.evaluation.result` OpenTelemetry log record. Given a
 * span, the record's trace and span ids are the scored span's; given `{ responseId }`, the record
 * carries `gen_ai.response.id` and no trace context (not even the current span's), and Promptline
 * links it to the generation with that response id in the project, whether the score or the
 * generation arrives first. Works from any process: pass the ids (or the response id) you stored
 * with the response. Never throws: an invalid score is logged and dropped (returns `undefined`).
 *
 * Attributes: `gen_ai.evaluation.name`, `gen_ai.evaluation.score.value` (numeric; 1/0 for boolean),
 * `gen_ai.evaluation.score.label` (categorical; `true`/`false` for boolean),
 * `gen_ai.evaluation.explanation`, `promptline.score.data_type`, `promptline.score.source`,
 * `promptline.score.id`.
 *
 * @returns the score id (for idempotent retries), or `undefined` when the score was invalid.
 * @example
 * ```ts
 * score({ traceId, spanId }, 'helpful', true, { source: 'user-feedback', comment: 'thumbs up' });
 * score({ responseId: 'chatcmpl-9x…' }, 'helpful', false, { source: 'user-feedback' });
 * ```
 */
export function score(
  target: ScoreTarget | SpanContext,
  name: string,
  value: number | string | boolean,
  options: ScoreOptions = {},
): string | undefined {
  try {
    const dataType: ScoreDataType =
      options.dataType ??
      (typeof value === 'number' ? 'numeric' : typeof value === 'boolean' ? 'boolean' : 'categorical');
    const problem =
      typeof name !== 'string' || name === ''
        ? 'a score needs a non-empty name'
        : checkValue(value, dataType);
    if (problem !== undefined) {
      logger.warn(`score "${String(name)}" dropped: ${problem} (got ${JSON.stringify(value)})`);
      return undefined;
    }
    let responseId: string | undefined;
    let scoredContext = ROOT_CONTEXT;
    if ('responseId' in target) {
      responseId = target.responseId;
      if (typeof responseId !== 'string' || responseId.trim() === '' || responseId.length > MAX_RESPONSE_ID) {
        logger.warn(`score "${name}" dropped: invalid responseId`, target.responseId);
        return undefined;
      }
    } else {
      const spanContext: SpanContext = {
        traceId: target.traceId,
        spanId: target.spanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      };
      if (!isSpanContextValid(spanContext)) {
        logger.warn(`score "${name}" dropped: invalid traceId/spanId`, target.traceId, target.spanId);
        return undefined;
      }
      scoredContext = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    }
    const id = options.id ?? randomUUID();
    const attributes: AnyValueMap = {
      [EVALUATION.NAME]: name,
      [EVALUATION.DATA_TYPE]: dataType,
      [EVALUATION.ID]: id,
    };
    if (dataType === 'numeric') attributes[EVALUATION.SCORE_VALUE] = value as number;
    else if (dataType === 'categorical') attributes[EVALUATION.SCORE_LABEL] = value as string;
    else {
      const b = value === true || value === 1;
      attributes[EVALUATION.SCORE_VALUE] = b ? 1 : 0;
      attributes[EVALUATION.SCORE_LABEL] = b ? 'true' : 'false';
    }
    if (options.comment !== undefined) attributes[EVALUATION.EXPLANATION] = options.comment;
    if (options.source !== undefined) attributes[EVALUATION.SOURCE] = options.source;
    if (responseId !== undefined) attributes[GEN_AI.RESPONSE_ID] = responseId;
    const target_ = scoreLogger ?? logs.getLogger(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    target_.emit({
      eventName: EVALUATION_EVENT_NAME,
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      attributes,
      // A response-id score carries no trace context at all: never the current span's.
      context: scoredContext,
    });
    return id;
  } catch (err) {
    logger.warn('recording a score failed:', err);
    return undefined;
  }
}

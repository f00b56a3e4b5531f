/**
 * Score (evaluation) records: the GenAI `gen_ai.evaluation.result` event, sent as an
 * OpenTelemetry log record whose trace/span context is the evaluated span.
 */
export const EVALUATION_EVENT_NAME = 'gen_ai.evaluation.result';

/**
 * Log attribute naming the event, for log records sent without the `EventName` field (older
 * OpenTelemetry SDKs and logs bridges put the event name here instead).
 */
export const EVENT_NAME_ATTRIBUTE = 'event.name';

export const EVALUATION = {
  NAME: 'gen_ai.evaluation.name',
  SCORE_VALUE: 'gen_ai.evaluation.score.value',
  SCORE_LABEL: 'gen_ai.evaluation.score.label',
  EXPLANATION: 'gen_ai.evaluation.explanation',
  /** `numeric` | `categorical` | `boolean` */
  DATA_TYPE: 'promptline.score.data_type',
  /** Who produced the score: `api`, `human`, `llm-judge`, `user-feedback`, … */
  SOURCE: 'promptline.score.source',
  /** Idempotency key: the same score id recorded twice counts once. */
  ID: 'promptline.score.id',
} as const;

export type ScoreDataType = 'numeric' | 'categorical' | 'boolean';
export const SCORE_DATA_TYPES: readonly ScoreDataType[] = ['numeric', 'categorical', 'boolean'];

export {
  GEN_AI,
  GEN_AI_GENERATION_OPERATIONS,
  PROMPTLINE,
  RESOURCE,
  ERROR_TYPE,
  HTTP_RESPONSE_STATUS_CODE,
} from './attributes.js';
export { EVALUATION_EVENT_NAME, EVALUATION, EVENT_NAME_ATTRIBUTE, SCORE_DATA_TYPES } from './events.js';
export type { ScoreDataType } from './events.js';
export { LANGFUSE, OPENINFERENCE, TRACELOOP, VERCEL_AI, FOREIGN_CONTENT_KEYS } from './foreign.js';

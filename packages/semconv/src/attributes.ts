/**
 * Every span attribute key Promptline writes or reads, defined once.
 *
 * Where the OpenTelemetry GenAI semantic conventions define a key we use it verbatim
 * (`gen_ai.*`); what they do not cover lives under `promptline.*`. The SDK sets these,
 * the collector processes them, and the ClickHouse SQL generator extracts them.
 */

/** OpenTelemetry GenAI semantic-convention span attributes. */
export const GEN_AI = {
  OPERATION_NAME: 'gen_ai.operation.name',
  PROVIDER_NAME: 'gen_ai.provider.name',
  /** Deprecated predecessor of `gen_ai.provider.name`, still emitted by many instrumentations. */
  SYSTEM: 'gen_ai.system',
  REQUEST_MODEL: 'gen_ai.request.model',
  REQUEST_TEMPERATURE: 'gen_ai.request.temperature',
  REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  REQUEST_TOP_P: 'gen_ai.request.top_p',
  RESPONSE_MODEL: 'gen_ai.response.model',
  RESPONSE_ID: 'gen_ai.response.id',
  RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  /** Seconds from request issuance to the first chunk of a streamed response. */
  RESPONSE_TIME_TO_FIRST_CHUNK: 'gen_ai.response.time_to_first_chunk',
  USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  USAGE_CACHE_WRITE_INPUT_TOKENS: 'gen_ai.usage.cache_write.input_tokens',
  USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  PROMPT_NAME: 'gen_ai.prompt.name',
  /**
   * Version of the named prompt, a string (`3`, `2.1.0`, `2.2.0-rc1`). Read with `gen_ai.prompt.name`;
   * when a span also carries `promptline.prompt.version`, that one wins.
   */
  PROMPT_VERSION: 'gen_ai.prompt.version',
  INPUT_MESSAGES: 'gen_ai.input.messages',
  OUTPUT_MESSAGES: 'gen_ai.output.messages',
  CONVERSATION_ID: 'gen_ai.conversation.id',
  OUTPUT_TYPE: 'gen_ai.output.type',
} as const;

/** Values of `gen_ai.operation.name` that make a span a generation. */
export const GEN_AI_GENERATION_OPERATIONS = ['chat', 'text_completion', 'generate_content'] as const;

/** Promptline's own span attributes, for what the GenAI conventions do not define. */
export const PROMPTLINE = {
  /**
   * Version of the prompt (`gen_ai.prompt.name`) in Promptline's registry: a positive integer. The
   * SDK also sets the standard `gen_ai.prompt.version`; when both are present, this one wins.
   */
  PROMPT_VERSION: 'promptline.prompt.version',
  PROMPT_LABEL: 'promptline.prompt.label',
  PROMPT_HASH: 'promptline.prompt.hash',
  /** `true` when the prompt came from the caller's fallback: such spans are never linked to a version. */
  PROMPT_FALLBACK: 'promptline.prompt.fallback',
  /** Total cost of the generation in US dollars, when the caller knows it (wins over the price table). */
  COST_USD: 'promptline.cost.usd',
  COST_INPUT_USD: 'promptline.cost.input_usd',
  COST_OUTPUT_USD: 'promptline.cost.output_usd',
  /** Structured-output validation of the model's answer against the prompt's output schema. */
  VALIDATION_PASSED: 'promptline.validation.passed',
  VALIDATION_ERROR_COUNT: 'promptline.validation.error_count',
  /** Observation type set by `observe()`: `generation`, `span`, … */
  OBSERVATION_TYPE: 'promptline.observation.type',
  /** A/B experiment that chose the prompt label, and the arm it chose. */
  EXPERIMENT_NAME: 'promptline.experiment.name',
  EXPERIMENT_ARM: 'promptline.experiment.arm',
  INPUT: 'promptline.input',
  OUTPUT: 'promptline.output',
  /** Set when captured input/output was cut to the size limit. */
  INPUT_TRUNCATED: 'promptline.input.truncated',
  OUTPUT_TRUNCATED: 'promptline.output.truncated',
  /** `true` when the consumer stopped reading a streamed response before it completed. */
  STREAM_ABANDONED: 'promptline.stream.abandoned',
} as const;

/** Resource attributes. */
export const RESOURCE = {
  SERVICE_NAME: 'service.name',
  DEPLOYMENT_ENVIRONMENT: 'deployment.environment.name',
  /** Deprecated spelling still sent by older SDKs. */
  DEPLOYMENT_ENVIRONMENT_LEGACY: 'deployment.environment',
  /** Set by the collector from the authenticated API key; never trusted from clients. */
  PROJECT_ID: 'promptline.project.id',
} as const;

/** Standard error attribute. */
export const ERROR_TYPE = 'error.type';

/** Standard HTTP attribute: the status code of a failed (or answered) provider request. */
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';

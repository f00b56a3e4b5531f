/**
 * Attribute keys of other LLM-tracing conventions that Promptline reads (never writes), so that
 * spans from Langfuse, OpenInference (Arize Phoenix), OpenLLMetry (Traceloop) and the Vercel AI SDK
 * instrumentation are linked to prompt versions and priced like our own. Defined once here and
 * used by the ClickHouse schema through the migration templating (`{{key:LANGFUSE.PROMPT_NAME}}`).
 */

/** Langfuse OpenTelemetry span attributes (`@langfuse/tracing`, Langfuse Python SDK v3+). */
export const LANGFUSE = {
  OBSERVATION_TYPE: 'langfuse.observation.type',
  PROMPT_NAME: 'langfuse.observation.prompt.name',
  PROMPT_VERSION: 'langfuse.observation.prompt.version',
  MODEL_NAME: 'langfuse.observation.model.name',
  /** JSON object of usage type to token count, e.g. `{"input":10,"output":5}`. */
  USAGE_DETAILS: 'langfuse.observation.usage_details',
  /** JSON object of usage type to USD cost, e.g. `{"input":0.001,"output":0.002,"total":0.003}`. */
  COST_DETAILS: 'langfuse.observation.cost_details',
  ENVIRONMENT: 'langfuse.environment',
  /** Observation input / output (content: redacted by default). */
  OBSERVATION_INPUT: 'langfuse.observation.input',
  OBSERVATION_OUTPUT: 'langfuse.observation.output',
} as const;

/** OpenInference (Arize) span attributes. */
export const OPENINFERENCE = {
  SPAN_KIND: 'openinference.span.kind',
  /** Prompt template text; a prompt without `prompt.id` is named after this text's hash. */
  PROMPT_TEMPLATE: 'llm.prompt_template.template',
  PROMPT_TEMPLATE_VERSION: 'llm.prompt_template.version',
  PROMPT_ID: 'prompt.id',
  MODEL_NAME: 'llm.model_name',
  PROVIDER: 'llm.provider',
  SYSTEM: 'llm.system',
  TOKEN_COUNT_PROMPT: 'llm.token_count.prompt',
  TOKEN_COUNT_COMPLETION: 'llm.token_count.completion',
  TOKEN_COUNT_CACHE_READ: 'llm.token_count.prompt_details.cache_read',
  TOKEN_COUNT_REASONING: 'llm.token_count.completion_details.reasoning',
  /** Content (redacted by default): span input / output and chat messages. */
  INPUT_VALUE: 'input.value',
  OUTPUT_VALUE: 'output.value',
  /** Also flattened per message: `llm.input_messages.0.message.content`. */
  INPUT_MESSAGES: 'llm.input_messages',
  OUTPUT_MESSAGES: 'llm.output_messages',
} as const;

/** OpenLLMetry (Traceloop) span attributes. */
export const TRACELOOP = {
  PROMPT_KEY: 'traceloop.prompt.key',
  PROMPT_VERSION: 'traceloop.prompt.version',
  PROMPT_VERSION_HASH: 'traceloop.prompt.version_hash',
  PROMPT_VERSION_NAME: 'traceloop.prompt.version_name',
  /** Prompt template text; a prompt with a key but no version gets a version from its hash. */
  PROMPT_TEMPLATE: 'traceloop.prompt.template',
  REQUEST_TYPE: 'llm.request.type',
  /** Pre-1.0 GenAI token keys still emitted by OpenLLMetry. */
  USAGE_PROMPT_TOKENS: 'gen_ai.usage.prompt_tokens',
  USAGE_COMPLETION_TOKENS: 'gen_ai.usage.completion_tokens',
  /** Content (redacted by default), also indexed: `gen_ai.prompt.0.content`, `gen_ai.completion.0.content`. */
  PROMPT: 'gen_ai.prompt',
  COMPLETION: 'gen_ai.completion',
} as const;

/** Vercel AI SDK (`experimental_telemetry`) span attributes. */
export const VERCEL_AI = {
  MODEL_ID: 'ai.model.id',
  MODEL_PROVIDER: 'ai.model.provider',
  USAGE_PROMPT_TOKENS: 'ai.usage.promptTokens',
  USAGE_COMPLETION_TOKENS: 'ai.usage.completionTokens',
  USAGE_INPUT_TOKENS: 'ai.usage.inputTokens',
  USAGE_OUTPUT_TOKENS: 'ai.usage.outputTokens',
  MS_TO_FIRST_CHUNK: 'ai.response.msToFirstChunk',
  /** Langfuse's Vercel integration: `metadata: { langfusePrompt: prompt.toJSON() }` (JSON: name, version, isFallback). */
  METADATA_LANGFUSE_PROMPT: 'ai.telemetry.metadata.langfusePrompt',
  /** Plain metadata keys: `metadata: { promptName, promptVersion }`. */
  METADATA_PROMPT_NAME: 'ai.telemetry.metadata.promptName',
  METADATA_PROMPT_VERSION: 'ai.telemetry.metadata.promptVersion',
  /** Content (redacted by default). */
  PROMPT: 'ai.prompt',
  PROMPT_MESSAGES: 'ai.prompt.messages',
  RESPONSE_TEXT: 'ai.response.text',
} as const;

/**
 * Attributes of the conventions above that carry prompt or completion text: the collector's
 * redaction scans them by default. In an entry, `*` stands for one dot-separated segment and `**`
 * for one or more: the per-message keys OpenLLMetry (`gen_ai.prompt.0.content`) and OpenInference
 * (`llm.input_messages.0.message.content`) flatten messages into. (`gen_ai.prompt.*` would also
 * match our own `gen_ai.prompt.name`, hence `*.content`.)
 */
export const FOREIGN_CONTENT_KEYS: readonly string[] = [
  LANGFUSE.OBSERVATION_INPUT,
  LANGFUSE.OBSERVATION_OUTPUT,
  OPENINFERENCE.INPUT_VALUE,
  OPENINFERENCE.OUTPUT_VALUE,
  OPENINFERENCE.INPUT_MESSAGES,
  `${OPENINFERENCE.INPUT_MESSAGES}.**`,
  OPENINFERENCE.OUTPUT_MESSAGES,
  `${OPENINFERENCE.OUTPUT_MESSAGES}.**`,
  TRACELOOP.PROMPT,
  `${TRACELOOP.PROMPT}.*.content`,
  TRACELOOP.COMPLETION,
  `${TRACELOOP.COMPLETION}.*.content`,
  VERCEL_AI.PROMPT,
  VERCEL_AI.PROMPT_MESSAGES,
  VERCEL_AI.RESPONSE_TEXT,
];

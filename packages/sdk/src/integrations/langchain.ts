/**
 * LangChain.js integration: a callback handler for `@langchain/core` chat models that records
 * each model call as a generation linked to a prompt version. Imported from
 * `@promptline/sdk/langchain` (which loads `@langchain/core`; the main entry never does).
 *
 * @module
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseCallbackHandlerInput } from '@langchain/core/callbacks/base';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { Serialized } from '@langchain/core/load/serializable';
import type { Usage } from '../tracing/Generation.js';
import type { CallOutcome, ClientCall, ClientIntegrationOptions } from './clientCall.js';
import { num, rec, startClientCall, str } from './clientCall.js';

/** Options of {@link PromptlineCallbackHandler}. */
export type PromptlineCallbackHandlerOptions = ClientIntegrationOptions;

/** LangChain's `usage_metadata` (input includes cache reads and writes, output includes reasoning). */
function usageOf(metadata: unknown): Usage | undefined {
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const u = rec(metadata);
  const input = rec(u.input_token_details);
  const output = rec(u.output_token_details);
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadInputTokens: num(input.cache_read),
    cacheWriteInputTokens: num(input.cache_creation),
    reasoningOutputTokens: num(output.reasoning),
  };
}

/** Provider names LangChain's `ls_provider` metadata uses that differ from the GenAI conventions' names. */
const PROVIDERS: Readonly<Record<string, string>> = { azure: 'azure.ai.openai', google_genai: 'gcp.gemini' };

function outcomeOf(output: LLMResult, captureOutput: boolean): CallOutcome {
  const generations = output.generations.flat();
  const first = rec(generations[0]);
  const message = rec(first.message);
  const meta = rec(message.response_metadata);
  const llmOutput = rec(output.llmOutput);
  const tokenUsage = rec(llmOutput.tokenUsage ?? llmOutput.estimatedTokenUsage);
  const usage: Usage | undefined =
    usageOf(message.usage_metadata) ??
    (Object.keys(tokenUsage).length > 0
      ? { inputTokens: num(tokenUsage.promptTokens), outputTokens: num(tokenUsage.completionTokens) }
      : undefined);
  const finishReasons = generations
    .map((g) => {
      const info = rec(rec(g).generationInfo);
      return str(info.finish_reason) ?? str(rec(rec(rec(g).message).response_metadata).finish_reason);
    })
    .filter((r): r is string => r !== undefined);
  return {
    responseModel: str(meta.model_name) ?? str(meta.model) ?? str(llmOutput.model_name),
    responseId: str(meta.id) ?? str(message.id),
    usage,
    finishReasons,
    output: captureOutput ? generations.map((g) => rec(g).text) : undefined,
  };
}

/**
 * A LangChain.js callback handler: every chat-model call it sees (`invoke`, `stream`, `batch`, inside
 * chains and agents) becomes a generation span linked to `options.prompt` (else the `withPrompt`
 * prompt of the calling code), with provider and model (from LangChain's `ls_provider` /
 * `ls_model_name`), the answering model, usage from `usage_metadata` (input incl. cache reads and
 * writes, cache read / write, reasoning tokens), response id, finish reasons, time to the first
 * streamed token, and on failure `error.type` and `http.response.status_code`. Its callbacks run
 * inline (`awaitHandlers`), so timings and the calling code's context are exact.
 *
 * @example
 * ```ts
 * import { ChatOpenAI } from '@langchain/openai';
 * import { PromptlineCallbackHandler } from '@promptline/sdk/langchain';
 *
 * const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
 * const answer = await model.invoke(prompt.compileChat({ question }), {
 *   callbacks: [new PromptlineCallbackHandler({ prompt })],
 * });
 * ```
 */
export class PromptlineCallbackHandler extends BaseCallbackHandler {
  name = 'promptline';
  readonly #options: PromptlineCallbackHandlerOptions;
  readonly #calls = new Map<string, ClientCall>();

  constructor(options: PromptlineCallbackHandlerOptions = {}, input: BaseCallbackHandlerInput = {}) {
    super({ _awaitHandler: true, ...input, ignoreChain: true, ignoreAgent: true, ignoreRetriever: true });
    this.#options = options;
  }

  override copy(): PromptlineCallbackHandler {
    return new PromptlineCallbackHandler(this.#options);
  }

  override handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    const meta = rec(metadata);
    const params = rec(rec(extraParams).invocation_params);
    const lsProvider = str(meta.ls_provider);
    const request: Record<string, number> = {};
    const temperature = num(meta.ls_temperature) ?? num(params.temperature);
    if (temperature !== undefined) request['gen_ai.request.temperature'] = temperature;
    const maxTokens = num(meta.ls_max_tokens) ?? num(params.max_tokens) ?? num(params.max_completion_tokens);
    if (maxTokens !== undefined) request['gen_ai.request.max_tokens'] = maxTokens;
    const call = startClientCall(this.#options, {
      operation: 'chat',
      provider: lsProvider === undefined ? 'langchain' : (PROVIDERS[lsProvider] ?? lsProvider),
      model: str(meta.ls_model_name) ?? str(params.model) ?? str(params.model_name),
      request,
      input: messages.length === 1 ? messages[0] : messages,
    });
    if (call !== undefined) this.#calls.set(runId, call);
  }

  override handleLLMNewToken(
    token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: { chunk?: unknown },
  ): void {
    const call = this.#calls.get(runId);
    if (call === undefined) return;
    const chunk = rec(rec(fields?.chunk).message);
    const toolChunks = chunk.tool_call_chunks;
    if (token !== '' || (Array.isArray(toolChunks) && toolChunks.length > 0)) call.firstOutput();
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const call = this.#calls.get(runId);
    if (call === undefined) return;
    this.#calls.delete(runId);
    call.succeed(outcomeOf(output, call.captureOutput));
  }

  override handleLLMError(err: unknown, runId: string): void {
    const call = this.#calls.get(runId);
    if (call === undefined) return;
    this.#calls.delete(runId);
    call.fail(err);
  }
}

/**
 * `observeOpenAI`: one line to record every call of an `openai` client as a generation linked to a
 * prompt version. Imported from `@promptline/sdk/openai`; the `openai` package itself is never
 * loaded by this module (the client you pass in is wrapped as it is).
 *
 * @module
 */
import type { Usage } from '../tracing/Generation.js';
import type { CallOutcome, ClientCall, ClientIntegrationOptions } from './clientCall.js';
import { num, rec, requestAttributes, startClientCall, str } from './clientCall.js';
import type { StreamWatcher } from './clientStreams.js';
import {
  everyItem,
  observeClientStream,
  observeHelper,
  observedCopies,
  observeRequest,
  proxyMembers,
} from './clientStreams.js';

/** Options of {@link observeOpenAI}. */
export interface ObserveOpenAIOptions extends ClientIntegrationOptions {
  /**
   * For `chat.completions.create({ stream: true })` and `.stream()` without `stream_options`, ask
   * for the final usage chunk (`stream_options.include_usage`), so streamed calls have tokens and
   * cost. `create()` hides that chunk from your code when you did not ask for it; the `.stream()`
   * helper passes it on (its `chunk` event and iteration see a chunk with no choices). Turn off for
   * an OpenAI-compatible server that rejects `stream_options`. Default `true`.
   */
  readonly streamUsage?: boolean;
}

type AnyFn = (...args: unknown[]) => unknown;

/** OpenAI chat-completions usage → GenAI usage (prompt tokens include cached ones, completion tokens reasoning). */
function chatUsage(u: unknown): Usage | undefined {
  if (u === null || typeof u !== 'object') return undefined;
  const usage = rec(u);
  return {
    inputTokens: num(usage.prompt_tokens),
    outputTokens: num(usage.completion_tokens),
    cacheReadInputTokens: num(rec(usage.prompt_tokens_details).cached_tokens),
    reasoningOutputTokens: num(rec(usage.completion_tokens_details).reasoning_tokens),
  };
}

/** Responses-API usage → GenAI usage. */
function responseUsage(u: unknown): Usage | undefined {
  if (u === null || typeof u !== 'object') return undefined;
  const usage = rec(u);
  return {
    inputTokens: num(usage.input_tokens),
    outputTokens: num(usage.output_tokens),
    cacheReadInputTokens: num(rec(usage.input_tokens_details).cached_tokens),
    reasoningOutputTokens: num(rec(usage.output_tokens_details).reasoning_tokens),
  };
}

function completionOutcome(value: unknown): CallOutcome {
  const c = rec(value);
  const choices = Array.isArray(c.choices) ? c.choices.map(rec) : [];
  const finishReasons = choices
    .map((ch) => str(ch.finish_reason))
    .filter((r): r is string => r !== undefined);
  return {
    responseModel: str(c.model),
    responseId: str(c.id),
    usage: chatUsage(c.usage),
    finishReasons,
    output: choices.map((ch) => ch.message),
  };
}

/** Finish reason of a Responses-API response: its status, or why it is incomplete. */
function responseOutcome(value: unknown): CallOutcome {
  const r = rec(value);
  const status = str(r.status);
  const reason = status === 'incomplete' ? (str(rec(r.incomplete_details).reason) ?? status) : status;
  const error = rec(r.error);
  return {
    responseModel: str(r.model),
    responseId: str(r.id),
    usage: responseUsage(r.usage),
    finishReasons: reason === undefined ? [] : [reason],
    output: typeof r.output_text === 'string' ? r.output_text : r.output,
    ...(status === 'failed'
      ? {
          failure: {
            type: str(error.code) ?? 'response_failed',
            message: str(error.message) ?? 'response failed',
          },
        }
      : {}),
  };
}

/** Accumulates chat-completion chunks. */
class ChatChunks {
  id: string | undefined;
  model: string | undefined;
  usage: Usage | undefined;
  readonly finish: string[] = [];
  text = '';

  constructor(
    readonly call: ClientCall,
    /** Hide usage-only chunks (we asked for them, the caller did not). */
    readonly hideUsageChunk: boolean,
  ) {}

  /** Sees one chunk; `false` when it is the usage chunk to hide. */
  chunk(value: unknown): boolean {
    const c = rec(value);
    this.id ??= str(c.id);
    this.model = str(c.model) ?? this.model;
    const choices = Array.isArray(c.choices) ? c.choices : [];
    for (const raw of choices) {
      const choice = rec(raw);
      const delta = rec(choice.delta);
      const content = delta.content;
      if (
        (typeof content === 'string' && content !== '') ||
        (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) ||
        (typeof delta.refusal === 'string' && delta.refusal !== '') ||
        rec(delta.function_call).arguments !== undefined
      ) {
        this.call.firstOutput();
      }
      if (typeof content === 'string' && this.call.captureOutput) this.text += content;
      const reason = str(choice.finish_reason);
      const index = num(choice.index) ?? 0;
      if (reason !== undefined) this.finish[index] = reason;
    }
    if (c.usage !== null && c.usage !== undefined) {
      this.usage = chatUsage(c.usage);
      if (this.hideUsageChunk && choices.length === 0) return false;
    }
    return true;
  }

  outcome(): CallOutcome {
    return {
      responseModel: this.model,
      responseId: this.id,
      usage: this.usage,
      finishReasons: this.finish.filter((r) => r !== undefined),
      output: this.call.captureOutput ? this.text : undefined,
    };
  }
}

/** Response-stream events that carry output (the first one is the time to first chunk). */
const RESPONSE_OUTPUT_EVENT =
  /^response\.(output_text|refusal|function_call_arguments|reasoning_summary_text|reasoning_text|audio|audio_transcript|custom_tool_call_input)\.delta$/;

/** Accumulates Responses-API stream events. */
class ResponseEvents {
  response: unknown;
  id: string | undefined;
  model: string | undefined;

  constructor(readonly call: ClientCall) {}

  event(value: unknown): void {
    const e = rec(value);
    const type = str(e.type) ?? '';
    if (RESPONSE_OUTPUT_EVENT.test(type)) this.call.firstOutput();
    if (e.response !== undefined && e.response !== null) {
      this.response = e.response;
      const r = rec(e.response);
      this.id = str(r.id) ?? this.id;
      this.model = str(r.model) ?? this.model;
    }
  }

  outcome(): CallOutcome {
    const final = responseOutcome(this.response);
    return {
      ...final,
      responseId: final.responseId ?? this.id,
      responseModel: final.responseModel ?? this.model,
    };
  }
}

function wantsChatUsage(body: Record<string, unknown>, opts: ObserveOpenAIOptions): boolean {
  return opts.streamUsage !== false && (body.stream_options === undefined || body.stream_options === null);
}

function withUsage(body: Record<string, unknown>): Record<string, unknown> {
  return { ...body, stream_options: { include_usage: true } };
}

function start(
  opts: ObserveOpenAIOptions,
  provider: string,
  body: Record<string, unknown>,
  api: 'chat' | 'responses',
): ClientCall | undefined {
  return startClientCall(opts, {
    operation: 'chat',
    provider,
    model: str(body.model),
    request: requestAttributes(
      body,
      api === 'chat'
        ? body.max_completion_tokens !== undefined
          ? 'max_completion_tokens'
          : 'max_tokens'
        : 'max_output_tokens',
    ),
    input: api === 'chat' ? body.messages : body.input,
  });
}

/**
 * Records every call of an `openai` client as a generation span linked to a prompt version:
 * `chat.completions.create` / `.parse` / `.stream` and `responses.create` / `.parse` / `.stream`,
 * plain and streamed. Returns the same client, typed as it was; `withResponse()`, `tee()`,
 * `controller.abort()` and the stream helpers' events keep working.
 *
 * Recorded: provider, requested and answering model, usage (input incl. cached, output incl.
 * reasoning, cached input, reasoning tokens), response id (`gen_ai.response.id`), finish reasons,
 * time to the first chunk that carries output (streams), and on failure (after the client's own
 * retries) `error.type` (`RateLimitError`, …) and `http.response.status_code`. The prompt link is
 * `options.prompt`, else the `withPrompt` prompt; a fallback prompt is never linked to a version.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { observeOpenAI } from '@promptline/sdk/openai';
 *
 * const prompt = await prompts.get('support-reply', { label: 'production' });
 * const res = await observeOpenAI(new OpenAI(), { prompt }).chat.completions.create({
 *   model: 'gpt-4o-mini',
 *   messages: prompt.compileChat({ ticket }),
 * });
 * ```
 */
export function observeOpenAI<C extends object>(client: C, options: ObserveOpenAIOptions = {}): C {
  const ctorName = (client as { constructor?: { name?: unknown } }).constructor?.name;
  const provider = ctorName === 'AzureOpenAI' ? 'azure.ai.openai' : 'openai';

  /** `create` / `parse`: a request promise resolving to an answer or (create, stream: true) a Stream. */
  const request =
    (api: 'chat' | 'responses') =>
    (original: AnyFn): AnyFn =>
    (...args: unknown[]): unknown => {
      let body = rec(args[0]);
      const streamed = body.stream === true;
      const addUsage = api === 'chat' && streamed && wantsChatUsage(body, options);
      if (addUsage) body = withUsage(body);
      const call = start(options, provider, body, api);
      if (call === undefined) return original(...args);
      const callArgs = addUsage ? [body, ...args.slice(1)] : args;
      return observeRequest(
        call,
        () => original(...callArgs),
        (value) => {
          if (value !== null && typeof value === 'object' && Symbol.asyncIterator in value) {
            if (api === 'chat') {
              const chunks = new ChatChunks(call, addUsage);
              const watcher: StreamWatcher<unknown> = {
                item: (c) => chunks.chunk(c),
                outcome: () => chunks.outcome(),
              };
              return observeClientStream(value, client, call, watcher);
            }
            const events = new ResponseEvents(call);
            const watcher = everyItem<unknown>(
              (e) => events.event(e),
              () => events.outcome(),
            );
            return observeClientStream(value, client, call, watcher);
          }
          call.succeed(api === 'chat' ? completionOutcome(value) : responseOutcome(value));
          return value;
        },
      );
    };

  /** `.stream()` helpers: event emitters that run the streamed request themselves. */
  const helper =
    (api: 'chat' | 'responses') =>
    (original: AnyFn): AnyFn =>
    (...args: unknown[]): unknown => {
      let body = rec(args[0]);
      const addUsage = api === 'chat' && wantsChatUsage(body, options);
      if (addUsage) body = withUsage(body);
      const call = start(options, provider, body, api);
      if (call === undefined) return original(...args);
      const callArgs = addUsage ? [body, ...args.slice(1)] : args;
      if (api === 'chat') {
        const chunks = new ChatChunks(call, false);
        return observeHelper(
          call,
          () => original(...callArgs),
          (event, a) => {
            if (event === 'chunk') chunks.chunk(a[0]);
          },
          () => chunks.outcome(),
        );
      }
      const events = new ResponseEvents(call);
      return observeHelper(
        call,
        () => original(...callArgs),
        (event, a) => {
          if (event === 'event') events.event(a[0]);
        },
        () => events.outcome(),
      );
    };

  return proxyMembers(client, {
    chat: {
      completions: { create: request('chat'), parse: request('chat'), stream: helper('chat') },
    },
    responses: { create: request('responses'), parse: request('responses'), stream: helper('responses') },
    withOptions: observedCopies((copy) => observeOpenAI(copy, options)),
  });
}

export { generationOf } from './clientCall.js';
export type { ClientIntegrationOptions } from './clientCall.js';

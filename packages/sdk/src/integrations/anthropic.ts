/**
 * `observeAnthropic`: one line to record every call of an `@anthropic-ai/sdk` client as a
 * generation linked to a prompt version. Imported from `@promptline/sdk/anthropic`; the Anthropic
 * package itself is never loaded by this module (the client you pass in is wrapped as it is).
 *
 * @module
 */
import type { Usage } from '../tracing/Generation.js';
import type { CallOutcome, ClientCall, ClientIntegrationOptions } from './clientCall.js';
import { num, rec, requestAttributes, startClientCall, str } from './clientCall.js';
import {
  everyItem,
  observeClientStream,
  observeHelper,
  observedCopies,
  observeRequest,
  proxyMembers,
} from './clientStreams.js';

/** Options of {@link observeAnthropic}. */
export type ObserveAnthropicOptions = ClientIntegrationOptions;

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Anthropic usage → GenAI usage. Anthropic's `input_tokens` counts only the uncached input; the
 * GenAI `input_tokens` (and the price table) include cache reads and cache writes, so they are added.
 */
function messageUsage(u: unknown): Usage | undefined {
  if (u === null || typeof u !== 'object') return undefined;
  const usage = rec(u);
  const uncached = num(usage.input_tokens);
  const cacheRead = num(usage.cache_read_input_tokens);
  const cacheWrite = num(usage.cache_creation_input_tokens);
  return {
    inputTokens: uncached === undefined ? undefined : uncached + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: num(usage.output_tokens),
    cacheReadInputTokens: cacheRead,
    cacheWriteInputTokens: cacheWrite,
    reasoningOutputTokens: num(rec(usage.output_tokens_details).thinking_tokens),
  };
}

function messageOutcome(value: unknown): CallOutcome {
  const m = rec(value);
  const stop = str(m.stop_reason);
  return {
    responseModel: str(m.model),
    responseId: str(m.id),
    usage: messageUsage(m.usage),
    finishReasons: stop === undefined ? [] : [stop],
    output: m.content,
  };
}

/** Content deltas that carry generated output (a signature is not output). */
const OUTPUT_DELTAS = new Set(['text_delta', 'input_json_delta', 'thinking_delta', 'citations_delta']);

/** Accumulates raw message-stream events (`message_start`, `content_block_delta`, `message_delta`, …). */
class MessageEvents {
  id: string | undefined;
  model: string | undefined;
  stop: string | undefined;
  /** Usage fields as last reported: `message_start`'s, overwritten field by field by `message_delta`'s (cumulative). */
  readonly usage: Record<string, unknown> = {};
  text = '';

  constructor(readonly call: ClientCall) {}

  event(value: unknown): void {
    const e = rec(value);
    switch (e.type) {
      case 'message_start': {
        const m = rec(e.message);
        this.id = str(m.id);
        this.model = str(m.model);
        this.merge(m.usage);
        break;
      }
      case 'content_block_delta': {
        const delta = rec(e.delta);
        if (OUTPUT_DELTAS.has(String(delta.type))) this.call.firstOutput();
        if (this.call.captureOutput && typeof delta.text === 'string') this.text += delta.text;
        break;
      }
      case 'message_delta':
        this.stop = str(rec(e.delta).stop_reason) ?? this.stop;
        this.merge(e.usage);
        break;
      default:
    }
  }

  merge(u: unknown): void {
    for (const [k, v] of Object.entries(rec(u))) if (v !== null && v !== undefined) this.usage[k] = v;
  }

  outcome(): CallOutcome {
    return {
      responseModel: this.model,
      responseId: this.id,
      usage: Object.keys(this.usage).length === 0 ? undefined : messageUsage(this.usage),
      finishReasons: this.stop === undefined ? [] : [this.stop],
      output: this.call.captureOutput ? this.text : undefined,
    };
  }
}

function start(opts: ObserveAnthropicOptions, body: Record<string, unknown>): ClientCall | undefined {
  return startClientCall(opts, {
    operation: 'chat',
    provider: 'anthropic',
    model: str(body.model),
    request: requestAttributes(body, 'max_tokens'),
    input: body.system === undefined ? body.messages : { system: body.system, messages: body.messages },
  });
}

/**
 * Records every call of an `@anthropic-ai/sdk` client as a generation span linked to a prompt
 * version: `messages.create` (plain and `stream: true`), `messages.parse` and `messages.stream()`
 * (also under `beta.messages`). Returns the same client, typed as it was; `withResponse()`, the
 * stream's `tee()` / `controller` and the `MessageStream` events keep working.
 *
 * Recorded: provider `anthropic`, requested and answering model, usage (input tokens including cache
 * reads and writes, output tokens, `cache_read` / `cache_write` input tokens, thinking tokens as
 * reasoning), response id, stop reason, time to the first content delta (streams), and on failure
 * (after the client's own retries) `error.type` (`RateLimitError`, `OverloadedError`, …) and
 * `http.response.status_code`. The prompt link is `options.prompt`, else the `withPrompt` prompt.
 *
 * @example
 * ```ts
 * import Anthropic from '@anthropic-ai/sdk';
 * import { observeAnthropic } from '@promptline/sdk/anthropic';
 *
 * const message = await observeAnthropic(new Anthropic(), { prompt }).messages.create({
 *   model: 'claude-sonnet-4-5',
 *   max_tokens: 1024,
 *   messages: prompt.compileChat({ question }),
 * });
 * ```
 */
export function observeAnthropic<C extends object>(client: C, options: ObserveAnthropicOptions = {}): C {
  const request =
    (original: AnyFn): AnyFn =>
    (...args: unknown[]): unknown => {
      const call = start(options, rec(args[0]));
      if (call === undefined) return original(...args);
      return observeRequest(
        call,
        () => original(...args),
        (value) => {
          if (value !== null && typeof value === 'object' && Symbol.asyncIterator in value) {
            const events = new MessageEvents(call);
            const watcher = everyItem<unknown>(
              (e) => events.event(e),
              () => events.outcome(),
            );
            return observeClientStream(value, client, call, watcher);
          }
          call.succeed(messageOutcome(value));
          return value;
        },
      );
    };

  const helper =
    (original: AnyFn): AnyFn =>
    (...args: unknown[]): unknown => {
      const call = start(options, rec(args[0]));
      if (call === undefined) return original(...args);
      const events = new MessageEvents(call);
      return observeHelper(
        call,
        () => original(...args),
        (event, a) => {
          if (event === 'streamEvent') events.event(a[0]);
        },
        () => events.outcome(),
      );
    };

  const messages = { create: request, parse: request, stream: helper };
  return proxyMembers(client, {
    messages,
    beta: { messages },
    withOptions: observedCopies((copy) => observeAnthropic(copy, options)),
  });
}

export { generationOf } from './clientCall.js';
export type { ClientIntegrationOptions } from './clientCall.js';

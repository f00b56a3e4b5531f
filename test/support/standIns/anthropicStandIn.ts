import type { ServerResponse } from 'node:http';

import type { RecordedRequest, StandIn, StandInReply, StandInUsage } from './standInServer.js';
import { contentText, sendJson, sleep, sse, startStandIn, words } from './standInServer.js';

/**
 * A local stand-in for the Anthropic Messages API, speaking its wire format to the real
 * `@anthropic-ai/sdk` client: `POST /v1/messages` answers a `message` object, or (`stream: true`) the
 * named server-sent events `message_start`, `content_block_start`, `ping`, `content_block_delta`,
 * `content_block_stop`, `message_delta` (stop reason, cumulative usage) and `message_stop`. Usage
 * follows Anthropic: `input_tokens` counts only the uncached input, cache reads and writes are
 * separate. Errors are Anthropic's `{"type":"error","error":{…}}` with the scripted status
 * (429 `rate_limit_error`, 500 `api_error`, 529 `overloaded_error`) and `retry-after-ms`.
 */

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function requestText(body: Record<string, unknown>): string {
  const system = contentText(body.system);
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m: { content?: unknown }) => contentText(m.content)).join(' ')
    : '';
  return `${system} ${messages}`;
}

/** Anthropic's usage fields for the stand-in's neutral usage (input there includes the cache). */
function anthropicUsage(u: StandInUsage, output: number): Record<string, unknown> {
  const cacheRead = u.cacheRead ?? 0;
  const cacheWrite = u.cacheWrite ?? 0;
  return {
    input_tokens: u.input - cacheRead - cacheWrite,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: output,
    ...(u.reasoning === undefined ? {} : { output_tokens_details: { thinking_tokens: u.reasoning } }),
    service_tier: 'standard',
  };
}

async function messages(
  req: RecordedRequest,
  reply: StandInReply,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const text = reply.text ?? 'Hello from the stand-in';
  const requested = typeof req.body.model === 'string' ? req.body.model : 'stand-in';
  const model = reply.model ?? requested;
  const usage = reply.usage ?? { input: words(requestText(req.body)), output: words(text) };
  const stop = reply.finishReason ?? 'end_turn';
  await sleep(reply.ttftMs ?? 0);
  if (req.body.stream !== true) {
    sendJson(
      res,
      200,
      {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: stop,
        stop_sequence: null,
        usage: anthropicUsage(usage, usage.output),
      },
      { 'request-id': `req_${id}` },
    );
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': `req_${id}`,
  });
  const event = (type: string, fields: Record<string, unknown>): void => sse(res, { type, ...fields }, type);
  event('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsage(usage, 1),
    },
  });
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  event('ping', {});
  const pieces = text.split(' ');
  for (let i = 0; i < pieces.length; i++) {
    if (reply.failAfterChunks !== undefined && i >= reply.failAfterChunks) {
      event('error', { error: { type: 'overloaded_error', message: 'stand-in stream broke' } });
      res.end();
      return;
    }
    if (i > 0) await sleep(reply.chunkDelayMs ?? 0);
    if (res.destroyed) return;
    event('content_block_delta', {
      index: 0,
      delta: { type: 'text_delta', text: i === 0 ? pieces[i] : ` ${pieces[i] ?? ''}` },
    });
  }
  event('content_block_stop', { index: 0 });
  event('message_delta', {
    delta: { stop_reason: stop, stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  event('message_stop', {});
  res.end();
}

/** Starts the Anthropic stand-in; `baseURL` is the client's `baseURL` (it appends `/v1/messages`). */
export async function startAnthropicStandIn(fallback: StandInReply = {}): Promise<StandIn> {
  return startStandIn(async (req, reply, res, ids) => {
    if (req.method !== 'POST' || req.path !== '/v1/messages') {
      sendJson(res, 404, {
        type: 'error',
        error: { type: 'not_found_error', message: `no route ${req.method} ${req.path}` },
      });
      return;
    }
    if (reply.status !== undefined) {
      await sleep(reply.ttftMs ?? 0);
      const type = ERROR_TYPES[reply.status] ?? 'api_error';
      sendJson(
        res,
        reply.status,
        {
          type: 'error',
          error: { type, message: `stand-in ${reply.status} (${type})` },
          request_id: 'req_standin',
        },
        { 'retry-after-ms': String(reply.retryAfterMs ?? 1), 'request-id': 'req_standin' },
      );
      return;
    }
    await messages(req, reply, res, ids.next('msg_standin'));
  }, fallback);
}

import type { ServerResponse } from 'node:http';

import type { RecordedRequest, StandIn, StandInReply, StandInUsage } from './standInServer.js';
import { contentText, sendJson, sleep, sse, startStandIn, words } from './standInServer.js';

/**
 * A local stand-in for the OpenAI API, speaking its wire formats to the real `openai` client:
 * `POST /v1/chat/completions` (a `chat.completion` object, or `chat.completion.chunk` server-sent
 * events ending in `[DONE]`, with the usage chunk when `stream_options.include_usage` is set) and
 * `POST /v1/responses` (a `response` object, or the typed `response.*` event stream). Errors are
 * OpenAI's error object with the scripted status and a `retry-after-ms` header, so the client's own
 * retries (429, 5xx) are exercised.
 */

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  503: 'server_error',
};

function requestText(body: Record<string, unknown>): string {
  if (Array.isArray(body.messages))
    return body.messages.map((m: { content?: unknown }) => contentText(m.content)).join(' ');
  if (typeof body.input === 'string') return body.input;
  if (Array.isArray(body.input))
    return body.input.map((m: { content?: unknown }) => contentText(m.content)).join(' ');
  return '';
}

function usageOf(req: RecordedRequest, reply: StandInReply, text: string): StandInUsage {
  return reply.usage ?? { input: words(requestText(req.body)), output: words(text) };
}

function chatUsage(u: StandInUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function responsesUsage(u: StandInUsage): Record<string, unknown> {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead ?? 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}

function errorReply(res: ServerResponse, reply: StandInReply, status: number): void {
  const type = ERROR_TYPES[status] ?? 'server_error';
  sendJson(
    res,
    status,
    { error: { message: `stand-in ${status} (${type})`, type, param: null, code: type } },
    { 'retry-after-ms': String(reply.retryAfterMs ?? 1), 'x-request-id': `req_standin_${status}` },
  );
}

async function chat(
  req: RecordedRequest,
  reply: StandInReply,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const text = reply.text ?? 'Hello from the stand-in';
  const requested = typeof req.body.model === 'string' ? req.body.model : 'stand-in';
  const model = reply.model ?? `${requested}-2025-01-01`;
  const usage = usageOf(req, reply, text);
  const finish = reply.finishReason ?? 'stop';
  const created = 1_760_000_000;
  await sleep(reply.ttftMs ?? 0);
  if (req.body.stream !== true) {
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage: chatUsage(usage),
      service_tier: 'default',
      system_fingerprint: 'fp_standin',
    });
    return;
  }
  const includeUsage =
    (req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-request-id': `req_${id}`,
  });
  const base = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_standin',
  };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  // As OpenAI does: a first chunk with the role and empty content, then one chunk per piece.
  sse(res, chunk({ role: 'assistant', content: '', refusal: null }, null));
  const pieces = text.split(' ');
  for (let i = 0; i < pieces.length; i++) {
    if (reply.failAfterChunks !== undefined && i >= reply.failAfterChunks) {
      sse(res, {
        error: { message: 'stand-in stream broke', type: 'server_error', param: null, code: null },
      });
      res.end();
      return;
    }
    if (i > 0) await sleep(reply.chunkDelayMs ?? 0);
    if (res.destroyed) return;
    sse(res, chunk({ content: i === 0 ? pieces[i] : ` ${pieces[i] ?? ''}` }, null));
  }
  sse(res, chunk({}, finish));
  if (includeUsage) sse(res, { ...base, choices: [], usage: chatUsage(usage) });
  sse(res, '[DONE]');
  res.end();
}

async function responses(
  req: RecordedRequest,
  reply: StandInReply,
  res: ServerResponse,
  id: string,
  msgId: string,
): Promise<void> {
  const text = reply.text ?? 'Hello from the stand-in';
  const requested = typeof req.body.model === 'string' ? req.body.model : 'stand-in';
  const model = reply.model ?? `${requested}-2025-01-01`;
  const usage = usageOf(req, reply, text);
  const status = reply.finishReason ?? 'completed';
  const response = (state: 'in_progress' | 'final'): Record<string, unknown> => ({
    id,
    object: 'response',
    created_at: 1_760_000_000,
    status: state === 'final' ? status : 'in_progress',
    error: null,
    incomplete_details: state === 'final' && status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: null,
    max_output_tokens: null,
    model,
    output:
      state === 'final'
        ? [
            {
              type: 'message',
              id: msgId,
              status: 'completed',
              role: 'assistant',
              content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
            },
          ]
        : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: state === 'final' ? responsesUsage(usage) : null,
    metadata: {},
  });
  await sleep(reply.ttftMs ?? 0);
  if (req.body.stream !== true) {
    sendJson(res, 200, response('final'));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let seq = 0;
  const event = (type: string, fields: Record<string, unknown>): void =>
    sse(res, { type, sequence_number: seq++, ...fields }, type);
  event('response.created', { response: response('in_progress') });
  event('response.in_progress', { response: response('in_progress') });
  const item = { type: 'message', id: msgId, status: 'in_progress', role: 'assistant', content: [] };
  event('response.output_item.added', { output_index: 0, item });
  event('response.content_part.added', {
    item_id: msgId,
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
  });
  const pieces = text.split(' ');
  for (let i = 0; i < pieces.length; i++) {
    if (reply.failAfterChunks !== undefined && i >= reply.failAfterChunks) {
      event('error', { code: 'server_error', message: 'stand-in stream broke', param: null });
      res.end();
      return;
    }
    if (i > 0) await sleep(reply.chunkDelayMs ?? 0);
    if (res.destroyed) return;
    event('response.output_text.delta', {
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      delta: i === 0 ? pieces[i] : ` ${pieces[i] ?? ''}`,
      logprobs: [],
    });
  }
  event('response.output_text.done', {
    item_id: msgId,
    output_index: 0,
    content_index: 0,
    text,
    logprobs: [],
  });
  event('response.content_part.done', {
    item_id: msgId,
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text, annotations: [], logprobs: [] },
  });
  event('response.output_item.done', {
    output_index: 0,
    item: {
      ...item,
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
    },
  });
  event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', {
    response: response('final'),
  });
  res.end();
}

/** Starts the OpenAI stand-in; `baseURL` ends in `/v1`, as the `openai` client expects. */
export async function startOpenAIStandIn(fallback: StandInReply = {}): Promise<StandIn> {
  const standIn = await startStandIn(async (req, reply, res, ids) => {
    if (req.method !== 'POST' || (req.path !== '/v1/chat/completions' && req.path !== '/v1/responses')) {
      sendJson(res, 404, {
        error: { message: `no route ${req.method} ${req.path}`, type: 'invalid_request_error' },
      });
      return;
    }
    if (reply.status !== undefined) {
      await sleep(reply.ttftMs ?? 0);
      errorReply(res, reply, reply.status);
      return;
    }
    if (req.path === '/v1/chat/completions') await chat(req, reply, res, ids.next('chatcmpl-standin'));
    else await responses(req, reply, res, ids.next('resp_standin'), ids.next('msg_standin'));
  }, fallback);
  return { ...standIn, baseURL: `${standIn.baseURL}/v1` };
}

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible chat-completions server for the demo and the tests: the real `openai`
 * npm client talks to it over HTTP on 127.0.0.1. How it behaves depends on which profile the request
 * matches (a phrase in the messages, e.g. one only a given prompt version contains): latency, time to
 * first token, answer length and answer quality. Deterministic for a given seed and request order.
 *
 * Answers: for "What is A + B?" the correct answer is the sum; for a message with "#1234" it is a
 * reply naming that order. A profile's `quality` is the probability the answer is correct.
 */
export interface StandInProfile {
  /** Case-sensitive phrase searched in the request's messages; first matching profile wins. */
  match: string;
  /** Total latency of a non-streamed answer, in ms. */
  latencyMs: number;
  /** Extra latency drawn uniformly from [0, jitterMs). Default 0. */
  jitterMs?: number;
  /** Delay before the first streamed chunk, in ms. Default latencyMs / 3. */
  ttftMs?: number;
  /** Number of words (= completion tokens) in the answer. */
  outputTokens: number;
  /** Probability that the answer is correct, 0..1. */
  quality: number;
  /** Probability that the request fails with HTTP 500. Default 0. */
  errorRate?: number;
}

export interface StandInOptions {
  profiles: StandInProfile[];
  /** Used when no profile matches. */
  fallbackProfile?: StandInProfile;
  seed?: number;
  /** Port to bind on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Requests served before answering 503 (keeps loops bounded). Default 100,000. */
  maxRequests?: number;
}

export interface StandInServer {
  /** Base URL for the OpenAI client (`baseURL`), ending in `/v1`. */
  baseURL: string;
  port: number;
  /** Requests answered so far, by matched profile phrase (`*` for the fallback). */
  counts(): Record<string, number>;
  stop(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content: unknown;
}

interface ChatRequest {
  model?: string;
  messages?: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const MAX_BODY_BYTES = 1_048_576;
const FILLER = 'certainly here is a short clear answer that should help you with this request today'.split(
  ' ',
);

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) {
    return message.content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '',
      )
      .join(' ');
  }
  return '';
}

/** Whitespace word count: the stand-in's notion of a token. */
export function countTokens(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}

/** The answer the stand-in gives when it is right, for a user message. */
export function correctAnswer(userText: string): string {
  const sum = /(-?\d+)\s*\+\s*(-?\d+)/.exec(userText);
  if (sum?.[1] !== undefined && sum[2] !== undefined) return String(Number(sum[1]) + Number(sum[2]));
  const order = /#(\d+)/.exec(userText);
  if (order?.[1] !== undefined) return `order #${order[1]}`;
  return 'I do not know';
}

function wrongAnswer(userText: string): string {
  const sum = /(-?\d+)\s*\+\s*(-?\d+)/.exec(userText);
  if (sum?.[1] !== undefined && sum[2] !== undefined) return String(Number(sum[1]) + Number(sum[2]) + 1);
  return 'your request';
}

function answerText(core: string, words: number): string {
  const out = [core];
  for (let i = 0; out.join(' ').split(' ').length < words; i++) out.push(FILLER[i % FILLER.length] ?? 'ok');
  return out.join(' ').split(' ').slice(0, Math.max(words, 1)).join(' ');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function apiError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

/** Starts the stand-in on 127.0.0.1. */
export async function startLlmStandIn(opts: StandInOptions): Promise<StandInServer> {
  const random = prng(opts.seed ?? 42);
  const maxRequests = opts.maxRequests ?? 100_000;
  const fallback: StandInProfile = opts.fallbackProfile ?? {
    match: '*',
    latencyMs: 50,
    outputTokens: 12,
    quality: 0.5,
  };
  const counts: Record<string, number> = {};
  let served = 0;
  let nextId = 1;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      apiError(res, 404, `no route for ${req.method ?? '?'} ${path ?? ''}`, 'invalid_request_error');
      return;
    }
    if (served >= maxRequests) {
      apiError(res, 503, 'stand-in request budget used up', 'server_error');
      return;
    }
    served++;
    let body: ChatRequest;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequest;
    } catch (error) {
      apiError(res, 400, `invalid JSON body: ${(error as Error).message}`, 'invalid_request_error');
      return;
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    if (messages.length === 0) {
      apiError(res, 400, 'messages must be a non-empty array', 'invalid_request_error');
      return;
    }
    const allText = messages.map(messageText).join('\n');
    const profile = opts.profiles.find((p) => allText.includes(p.match)) ?? fallback;
    counts[profile.match] = (counts[profile.match] ?? 0) + 1;

    // Draw every random number up front, in a fixed order, so results do not depend on timing.
    const failed = random() < (profile.errorRate ?? 0);
    const correct = random() < profile.quality;
    const latency = profile.latencyMs + random() * (profile.jitterMs ?? 0);
    const ttft = Math.min(profile.ttftMs ?? latency / 3, latency);

    const userText = messageText([...messages].reverse().find((m) => m.role === 'user') ?? messages[0]!);
    const content = answerText(
      correct ? correctAnswer(userText) : wrongAnswer(userText),
      profile.outputTokens,
    );
    const usage = {
      prompt_tokens: countTokens(allText),
      completion_tokens: countTokens(content),
      total_tokens: countTokens(allText) + countTokens(content),
    };
    const model = body.model ?? 'stand-in-model';
    const id = `chatcmpl-standin-${nextId++}`;
    const created = Math.floor(Date.now() / 1000);

    if (failed) {
      await sleep(ttft);
      apiError(res, 500, 'the stand-in model is overloaded (simulated)', 'server_error');
      return;
    }

    if (body.stream !== true) {
      await sleep(latency);
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage,
      });
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (chunk: unknown): void => {
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };
    const base = { id, object: 'chat.completion.chunk', created, model };
    await sleep(ttft);
    const words = content.split(' ');
    const perChunk = words.length > 1 ? (latency - ttft) / (words.length - 1) : 0;
    for (let i = 0; i < words.length; i++) {
      if (i > 0) await sleep(perChunk);
      if (res.destroyed) return;
      const delta = i === 0 ? { role: 'assistant', content: words[i] } : { content: ` ${words[i] ?? ''}` };
      send({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] });
    }
    send({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
    if (body.stream_options?.include_usage === true) send({ ...base, choices: [], usage });
    res.end('data: [DONE]\n\n');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) apiError(res, 500, (error as Error).message, 'server_error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    counts: () => ({ ...counts }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

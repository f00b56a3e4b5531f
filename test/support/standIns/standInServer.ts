import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The scripted part shared by the provider stand-ins (OpenAI, Anthropic): a local HTTP server on
 * 127.0.0.1 that answers each request with the next scripted reply (then the default one), and
 * keeps a log of what it was asked. Each provider module renders replies in its own wire format.
 */

/** Token usage a reply reports, in the stand-in's neutral terms (each provider maps it to its fields). */
export interface StandInUsage {
  /** Input tokens, including cached ones. */
  input: number;
  output: number;
  /** Input tokens read from the provider's prompt cache. */
  cacheRead?: number;
  /** Input tokens written to the prompt cache (Anthropic). */
  cacheWrite?: number;
  /** Output tokens spent on reasoning. */
  reasoning?: number;
}

/** How the stand-in answers one request. */
export interface StandInReply {
  /** Answer text; streamed as one chunk per word. Default `Hello from the stand-in`. */
  text?: string;
  /** Answering model. Default: the requested model with `-2025-01-01` appended. */
  model?: string;
  /** Default: input = words of the request's messages, output = words of the answer. */
  usage?: StandInUsage;
  /** Finish / stop reason. Default `stop` (OpenAI chat), `completed` (responses), `end_turn` (Anthropic). */
  finishReason?: string;
  /** Delay before the headers of a plain answer, or before the first streamed chunk. Default 0. */
  ttftMs?: number;
  /** Delay between streamed chunks. Default 0. */
  chunkDelayMs?: number;
  /** Answer with this HTTP error status instead (429, 500, 529, …). */
  status?: number;
  /** `retry-after-ms` header of an error answer. Default 1 (clients retry almost at once). */
  retryAfterMs?: number;
  /** Streamed answers: send a provider error event after this many content chunks. */
  failAfterChunks?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export interface StandIn {
  /** Base URL for the client (`baseURL`). */
  baseURL: string;
  /** Requests received so far, in order. */
  readonly requests: RecordedRequest[];
  /** Queues replies for the next requests (consumed in order, before the default). */
  script(...replies: StandInReply[]): void;
  /** Forgets the request log and any queued replies. */
  reset(): void;
  stop(): Promise<void>;
}

/** Renders one request in a provider's wire format. */
export type Responder = (
  req: RecordedRequest,
  reply: StandInReply,
  res: ServerResponse,
  ids: { next(prefix: string): string },
) => Promise<void>;

const MAX_BODY_BYTES = 1_048_576;

export const sleep = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));

/** Whitespace word count: the stand-ins' notion of a token. */
export function words(text: string): number {
  const w = text.trim().split(/\s+/);
  return w[0] === '' ? 0 : w.length;
}

/** Text of a chat message's content (string, or parts with `text`). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) => (typeof p === 'object' && p !== null && 'text' in p ? String(p.text) : ''))
      .join(' ');
  }
  return '';
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

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

/** Starts a scripted stand-in answering with `respond`, and `fallback` when no reply is queued. */
export async function startStandIn(respond: Responder, fallback: StandInReply = {}): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  let queue: StandInReply[] = [];
  let counter = 0;
  const ids = { next: (prefix: string) => `${prefix}${String(++counter).padStart(6, '0')}` };

  const server = createServer((req, res) => {
    void (async () => {
      let body: Record<string, unknown> = {};
      try {
        const text = await readBody(req);
        body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch (error) {
        sendJson(res, 400, { error: { message: `invalid body: ${(error as Error).message}` } });
        return;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      const reply = queue.shift() ?? fallback;
      await respond(recorded, reply, res, ids);
    })().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: (error as Error).message } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes one server-sent event (`event:` line only when named). */
export function sse(res: ServerResponse, data: unknown, event?: string): void {
  res.write(
    `${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
  );
}

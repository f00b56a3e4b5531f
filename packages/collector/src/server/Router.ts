/**
 * The collector's small HTTP route table. Built-in routes (OTLP, health, metrics, read API) and
 * extra route modules (e.g. the prompt registry) register here; the server dispatches by method
 * and path, turns thrown {@link HttpError}s into JSON error responses and everything else into 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/** Path parameters (`/api/v1/prompts/:name` → `{ name }`), URL-decoded. */
export type RouteParams = Record<string, string>;

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: RouteParams,
  url: URL,
) => Promise<void> | void;

/** An error with an HTTP status; its message is sent as `{"error": message}`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

interface Route {
  method: HttpMethod;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: RouteHandler;
  when: ((query: URLSearchParams) => boolean) | undefined;
}

/** Options of {@link Router.add}. */
export interface RouteOptions {
  /**
   * The route matches only when this returns `true` for the request's query string; otherwise the
   * next route of the same method and pattern is tried. Two routes may share a method and pattern
   * only when the earlier one has a `when`.
   */
  when?: (query: URLSearchParams) => boolean;
}

export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: RouteParams }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

export class Router {
  private readonly routes: Route[] = [];

  /**
   * Adds a route. `pattern` is a path with `:name` segments (one segment each) and an optional
   * trailing `*` that matches the rest (as `params['*']`). Duplicate method + pattern throws.
   */
  add(method: HttpMethod, pattern: string, handler: RouteHandler, opts: RouteOptions = {}): void {
    if (!pattern.startsWith('/')) throw new Error(`route pattern must start with "/": ${pattern}`);
    if (this.routes.some((r) => r.method === method && r.pattern === pattern && r.when === undefined)) {
      throw new Error(`route ${method} ${pattern} is already registered`);
    }
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1));
          return '([^/]+)';
        }
        if (seg === '*') {
          names.push('*');
          return '(.*)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({
      method,
      pattern,
      regex: new RegExp(`^${source}/?$`),
      names,
      handler,
      when: opts.when,
    });
  }

  get(pattern: string, handler: RouteHandler, opts?: RouteOptions): void {
    this.add('GET', pattern, handler, opts);
  }

  post(pattern: string, handler: RouteHandler, opts?: RouteOptions): void {
    this.add('POST', pattern, handler, opts);
  }

  match(method: string, pathname: string, query: URLSearchParams = new URLSearchParams()): RouteMatch {
    const allow: string[] = [];
    for (const r of this.routes) {
      const m = r.regex.exec(pathname);
      if (m === null) continue;
      if (
        r.when !== undefined &&
        (r.method === method || (method === 'HEAD' && r.method === 'GET')) &&
        !r.when(query)
      )
        continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) {
        allow.push(r.method);
        continue;
      }
      const params: RouteParams = {};
      r.names.forEach((n, i) => {
        const raw = m[i + 1] ?? '';
        try {
          params[n] = decodeURIComponent(raw);
        } catch {
          params[n] = raw;
        }
      });
      return { kind: 'found', handler: r.handler, params };
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }

  /**
   * This table, seen through `wrap`: routes added to the returned router go into this table with
   * their handlers wrapped (e.g. by a response cache).
   */
  wrapped(wrap: (handler: RouteHandler) => RouteHandler): Router {
    const view = Object.create(this) as Router;
    view.add = (method, pattern, handler, opts) => this.add(method, pattern, wrap(handler), opts);
    return view;
  }

  /** `METHOD pattern` of every route, for the startup log and tests. */
  list(): string[] {
    return this.routes.map((r) => `${r.method} ${r.pattern}`);
  }
}

/** Sends a JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /**
   * Refuse the request (408) when no body bytes arrive for this long (ms): a stalled or trickling
   * client does not hold its slot and reserved memory. Default: no timeout.
   */
  idleTimeoutMs?: number;
}

/**
 * Reads a request body up to `maxBytes` (413 beyond it). Does not decompress.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  opts: ReadBodyOptions = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    let idle: NodeJS.Timeout | undefined;
    const idleMs = opts.idleTimeoutMs;
    const fail = (e: HttpError): void => {
      failed = true;
      chunks.length = 0;
      if (idle !== undefined) clearTimeout(idle);
      reject(e);
    };
    const arm = (): void => {
      if (idleMs === undefined) return;
      if (idle === undefined) {
        idle = setTimeout(() => {
          if (failed) return;
          fail(
            new HttpError(408, `request body stalled: no bytes for ${idleMs} ms (after ${size} bytes)`, {
              connection: 'close',
            }),
          );
        }, idleMs);
        idle.unref();
      } else idle.refresh();
    };
    arm();
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      arm();
      size += chunk.length;
      if (size > maxBytes) {
        fail(new HttpError(413, `request body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (idle !== undefined) clearTimeout(idle);
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!failed) fail(new HttpError(400, `request body could not be read: ${e.message}`));
    });
  });
}

/** Reads and parses a JSON request body (400 on bad JSON, 413 beyond `maxBytes`). */
export async function readJson(req: IncomingMessage, maxBytes = 1024 * 1024): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError(
      400,
      `request body is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

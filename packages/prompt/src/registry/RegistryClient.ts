import type { PromptSelector } from '../PromptSource.js';
import type {
  RegistryCreateRequest,
  RegistryCreateResult,
  RegistryLabelMove,
  RegistryPrompt,
  RegistryPromptSummary,
  RegistryVersionSummary,
} from './registryTypes.js';

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Base URL of the Promptline collector serving the registry, e.g. `http://localhost:4318`. */
  baseUrl: string;
  /** API key: `read` scope to read, `write` to create and move labels, `admin` for protected labels. */
  apiKey?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** `fetch` implementation. Default: the global `fetch` (Node 20). */
  fetch?: typeof fetch;
  /**
   * Largest response body read, in bytes; a bigger answer is a {@link RegistryRequestError} (the
   * rest is not read). Default 4194304 (4 MiB).
   */
  maxResponseBytes?: number;
  /** Time limit of one request in milliseconds. Default: none (pass a `signal` per call instead). */
  timeoutMs?: number;
}

/**
 * The registry answered with an error status, an unreadable body or one over `maxResponseBytes`.
 * `reason` is the server's own message (`{"error": …}`), `code` its machine-readable code when given.
 */
export class RegistryRequestError extends Error {
  override readonly name = 'RegistryRequestError';
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string = message,
    readonly code?: string,
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const seg = (s: string): string => encodeURIComponent(s);

/**
 * An HTTP client of the collector's prompt registry API (`/api/v1/prompts`): one method per
 * endpoint, answers typed with the registry's wire types. Every answer is read up to
 * `maxResponseBytes`; an error status becomes a {@link RegistryRequestError} carrying the server's
 * reason. Transport failures (collector down, timeout) are thrown as `fetch` throws them.
 *
 * @example
 * ```ts
 * const registry = new RegistryClient({ baseUrl: 'http://localhost:4318', apiKey: process.env.PROMPTLINE_API_KEY });
 * const prompt = await registry.getPrompt('support/triage', { label: 'production' });
 * ```
 */
export class RegistryClient {
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #maxResponseBytes: number;
  readonly #timeoutMs: number | undefined;

  constructor(opts: RegistryClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#headers = {
      accept: 'application/json',
      ...opts.headers,
      ...(opts.apiKey === undefined ? {} : { authorization: `Bearer ${opts.apiKey}` }),
    };
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxResponseBytes = opts.maxResponseBytes ?? 4 * 1024 * 1024;
    this.#timeoutMs = opts.timeoutMs;
  }

  /** One version, through a label or by number (`GET /api/v1/prompts/{name}?label=…|version=…`). */
  getPrompt(name: string, selector: PromptSelector, signal?: AbortSignal): Promise<RegistryPrompt> {
    const query =
      selector.version !== undefined
        ? `version=${seg(String(selector.version))}`
        : `label=${seg(selector.label)}`;
    return this.#call('GET', `/api/v1/prompts/${seg(name)}?${query}`, `prompt "${name}"`, { signal });
  }

  /** Every prompt of the key's project, with latest version, count and current labels. */
  async listPrompts(signal?: AbortSignal): Promise<RegistryPromptSummary[]> {
    const body = await this.#call<{ prompts: RegistryPromptSummary[] }>('GET', '/api/v1/prompts', 'prompts', {
      signal,
    });
    return body.prompts;
  }

  /** Versions of `name`, oldest first, with the labels pointing at each. */
  async listVersions(name: string, signal?: AbortSignal): Promise<RegistryVersionSummary[]> {
    const path = `/api/v1/prompts/${seg(name)}/versions`;
    const body = await this.#call<{ versions: RegistryVersionSummary[] }>('GET', path, `prompt "${name}"`, {
      signal,
    });
    return body.versions;
  }

  /** Label moves of `name` (of one label when given), oldest first. */
  async labelHistory(name: string, label?: string, signal?: AbortSignal): Promise<RegistryLabelMove[]> {
    const query = label === undefined ? '' : `?label=${seg(label)}`;
    const path = `/api/v1/prompts/${seg(name)}/history${query}`;
    const body = await this.#call<{ history: RegistryLabelMove[] }>('GET', path, `prompt "${name}"`, {
      signal,
    });
    return body.history;
  }

  /** Points `label` at `version`; answers the move, with the version it pointed at before. */
  moveLabel(name: string, label: string, version: number, signal?: AbortSignal): Promise<RegistryLabelMove> {
    const path = `/api/v1/prompts/${seg(name)}/labels/${seg(label)}`;
    return this.#call('PUT', path, `prompt "${name}"`, { body: { version }, signal });
  }

  /** Creates a version (or finds the same content, see {@link RegistryCreateResult.created}). */
  createPrompt(request: RegistryCreateRequest, signal?: AbortSignal): Promise<RegistryCreateResult> {
    return this.#call('POST', '/api/v1/prompts', `prompt "${request.name}"`, { body: request, signal });
  }

  async #call<T>(
    method: string,
    path: string,
    what: string,
    opts: { body?: unknown; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const headers = { ...this.#headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const signals = [
      ...(opts.signal === undefined ? [] : [opts.signal]),
      ...(this.#timeoutMs === undefined ? [] : [AbortSignal.timeout(this.#timeoutMs)]),
    ];
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const res = await this.#fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      ...(signal === undefined ? {} : { signal }),
    });
    const text = await readBounded(res, this.#maxResponseBytes, what);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const reason =
        isRecord(body) && typeof body.error === 'string' ? body.error : text.slice(0, 300) || res.statusText;
      const code = isRecord(body) && typeof body.code === 'string' ? body.code : undefined;
      throw new RegistryRequestError(
        res.status,
        `registry answered ${res.status} for ${what}: ${reason}`,
        reason,
        code,
      );
    }
    if (!isRecord(body)) {
      throw new RegistryRequestError(
        res.status,
        `registry answered ${res.status} for ${what} without a JSON object`,
      );
    }
    return body as T;
  }
}

/** Reads the body as UTF-8, at most `max` bytes (checked against Content-Length first, then as it streams). */
async function readBounded(res: Response, max: number, what: string): Promise<string> {
  const tooLarge = (size: string): RegistryRequestError =>
    new RegistryRequestError(
      res.status,
      `registry answer for ${what} is ${size} bytes; the limit (maxResponseBytes) is ${max}`,
    );
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(String(declared));
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${max}`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

import type { PromptData } from '../prompt/PromptData.js';
import type { PromptSelector, PromptSource } from '../prompt/PromptSource.js';
import { PromptNotFoundError } from '../prompt/PromptSource.js';

/** Options of {@link HttpPromptSource}. */
export interface HttpPromptSourceOptions {
  /**
   * Base URL of the Promptline collector serving the registry. Default: env `PROMPTLINE_REGISTRY_URL`,
   * else env `PROMPTLINE_ENDPOINT`, else `http://localhost:4318`.
   */
  baseUrl?: string;
  /** API key with the `read` scope. Default: env `PROMPTLINE_API_KEY`. */
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
}

/** The registry answered with an error status other than 404 (or an unreadable body). */
export class RegistryRequestError extends Error {
  override readonly name = 'RegistryRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A {@link PromptSource} over the registry API of a Promptline collector
 * (`GET /api/v1/prompts/{name}?label=…|version=…`). Use it through `PromptClient`, which adds the
 * cache, stale-while-revalidate and the fallback; spans then record the label the prompt was resolved
 * through and the version the registry returned.
 *
 * A 404 becomes {@link PromptNotFoundError}; any other failure (collector down, 5xx, timeout) a
 * transport error, on which `PromptClient` keeps serving its cached copy.
 *
 * @example
 * ```ts
 * const prompts = new PromptClient({
 *   source: new HttpPromptSource({ baseUrl: 'http://localhost:4318', apiKey: process.env.PROMPTLINE_API_KEY }),
 * });
 * const prompt = await prompts.get('support/triage', { label: 'production', fallback: 'Triage: {{ticket}}' });
 * ```
 */
export class HttpPromptSource implements PromptSource {
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #maxResponseBytes: number;

  constructor(opts: HttpPromptSourceOptions = {}) {
    this.baseUrl = (
      opts.baseUrl ??
      env('PROMPTLINE_REGISTRY_URL') ??
      env('PROMPTLINE_ENDPOINT') ??
      'http://localhost:4318'
    ).replace(/\/+$/, '');
    const apiKey = opts.apiKey ?? env('PROMPTLINE_API_KEY');
    this.#headers = {
      accept: 'application/json',
      ...opts.headers,
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
    };
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxResponseBytes = opts.maxResponseBytes ?? 4 * 1024 * 1024;
  }

  async fetchPrompt(name: string, selector: PromptSelector, signal?: AbortSignal): Promise<PromptData> {
    const query =
      selector.version !== undefined
        ? `version=${encodeURIComponent(String(selector.version))}`
        : `label=${encodeURIComponent(selector.label)}`;
    const url = `${this.baseUrl}/api/v1/prompts/${encodeURIComponent(name)}?${query}`;
    const res = await this.#fetch(url, {
      headers: this.#headers,
      ...(signal === undefined ? {} : { signal }),
    });
    const text = await readBounded(res, this.#maxResponseBytes, name);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status === 404) throw new PromptNotFoundError(name, selector);
    if (!res.ok) {
      const reason = isRecord(body) && typeof body.error === 'string' ? body.error : text.slice(0, 200);
      throw new RegistryRequestError(
        res.status,
        `registry answered ${res.status} for prompt "${name}": ${reason}`,
      );
    }
    if (!isRecord(body)) {
      throw new RegistryRequestError(
        res.status,
        `registry answered ${res.status} for prompt "${name}" without a JSON object`,
      );
    }
    return toPromptData(body);
  }
}

/** Reads the body as UTF-8, at most `max` bytes (checked against Content-Length first, then as it streams). */
async function readBounded(res: Response, max: number, name: string): Promise<string> {
  const tooLarge = (size: string): RegistryRequestError =>
    new RegistryRequestError(
      res.status,
      `registry answer for prompt "${name}" is ${size} bytes; the limit (maxResponseBytes) is ${max}`,
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

/** Keeps the `PromptData` fields of a registry answer (the client validates them). */
function toPromptData(body: Record<string, unknown>): PromptData {
  const common = {
    name: body.name,
    version: body.version,
    ...(body.labels === undefined ? {} : { labels: body.labels }),
    ...(body.config === undefined ? {} : { config: body.config }),
    ...(body.outputSchema === undefined ? {} : { outputSchema: body.outputSchema }),
    ...(body.examples === undefined ? {} : { examples: body.examples }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
  };
  const data =
    body.type === 'chat'
      ? { ...common, type: 'chat', messages: body.messages }
      : { ...common, type: 'text', template: body.template };
  return data as unknown as PromptData;
}

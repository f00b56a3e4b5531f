import type { PromptData } from '../PromptData.js';
import type { PromptSelector, PromptSource } from '../PromptSource.js';
import { PromptNotFoundError } from '../PromptSource.js';
import { RegistryClient, RegistryRequestError } from './RegistryClient.js';
import { registryPromptToData } from './registryTypes.js';

/** Options of {@link HttpPromptSource}. */
export interface HttpPromptSourceOptions {
  /**
   * Base URL of the Promptline collector serving the registry. Default: env
   * `PROMPTLINE_COLLECTOR_URL` (the deprecated `PROMPTLINE_REGISTRY_URL` and `PROMPTLINE_ENDPOINT`
   * still work, with a warning), else `http://localhost:4318`.
   */
  baseUrl?: string;
  /** API key with the `read` scope. Default: env `PROMPTLINE_API_KEY`. */
  apiKey?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** `fetch` implementation. Default: the global `fetch` (Node 20). */
  fetch?: typeof fetch;
  /**
   * Largest response body read, in bytes; a bigger answer is a `RegistryRequestError` (the rest is
   * not read). Default 4194304 (4 MiB).
   */
  maxResponseBytes?: number;
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

const warnedDeprecated = new Set<string>();

/**
 * A deprecated variable's value, with a `DeprecationWarning` (Node's `process.emitWarning`) the
 * first time it is used in this process.
 */
function deprecatedEnv(name: string, replacement: string): string | undefined {
  const v = env(name);
  if (v !== undefined && !warnedDeprecated.has(name)) {
    warnedDeprecated.add(name);
    process.emitWarning(
      `${name} is deprecated and will be removed: set ${replacement} instead (same value)`,
      {
        type: 'DeprecationWarning',
        code: 'DEP_PROMPTLINE_ENV',
      },
    );
  }
  return v;
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
  readonly #registry: RegistryClient;

  constructor(opts: HttpPromptSourceOptions = {}) {
    const apiKey = opts.apiKey ?? env('PROMPTLINE_API_KEY');
    this.#registry = new RegistryClient({
      baseUrl:
        opts.baseUrl ??
        env('PROMPTLINE_COLLECTOR_URL') ??
        deprecatedEnv('PROMPTLINE_REGISTRY_URL', 'PROMPTLINE_COLLECTOR_URL') ??
        deprecatedEnv('PROMPTLINE_ENDPOINT', 'PROMPTLINE_COLLECTOR_URL') ??
        'http://localhost:4318',
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(opts.headers === undefined ? {} : { headers: opts.headers }),
      ...(opts.fetch === undefined ? {} : { fetch: opts.fetch }),
      maxResponseBytes: opts.maxResponseBytes ?? 4 * 1024 * 1024,
    });
    this.baseUrl = this.#registry.baseUrl;
  }

  async fetchPrompt(name: string, selector: PromptSelector, signal?: AbortSignal): Promise<PromptData> {
    try {
      return registryPromptToData(await this.#registry.getPrompt(name, selector, signal));
    } catch (err) {
      if (err instanceof RegistryRequestError && err.status === 404)
        throw new PromptNotFoundError(name, selector);
      throw err;
    }
  }
}

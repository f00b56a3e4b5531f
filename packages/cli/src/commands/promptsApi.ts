import { RegistryClient, RegistryRequestError } from '@promptline/prompt';
import type {
  PromptSelector,
  RegistryCreateRequest,
  RegistryCreateResult,
  RegistryLabelMove,
  RegistryPrompt,
  RegistryPromptSummary,
  RegistryVersionSummary,
} from '@promptline/prompt';
import { CliError } from '../CliError.js';

/** The registry answered with an error status; `status` and the server's message are kept. */
export class RegistryApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
    hint?: string,
  ) {
    super(message, hint === undefined ? {} : { hint });
  }
}

/** Selects a version directly or through a label. */
export type Selector = PromptSelector;

/**
 * The CLI's view of the collector's registry API: the shared {@link RegistryClient}, with its
 * failures turned into one-line CLI errors and hints.
 */
export class PromptsApi {
  readonly #client: RegistryClient;

  constructor(
    readonly baseUrl: string,
    apiKey: string | undefined,
  ) {
    this.#client = new RegistryClient({
      baseUrl,
      ...(apiKey === undefined ? {} : { apiKey }),
      timeoutMs: 30_000,
    });
  }

  async #call<T>(request: (client: RegistryClient) => Promise<T>): Promise<T> {
    try {
      return await request(this.#client);
    } catch (error) {
      if (error instanceof RegistryRequestError) {
        const hint =
          error.status === 401 || error.status === 403
            ? 'pass a key with the needed scope: --api-key KEY (env PROMPTLINE_API_KEY)'
            : undefined;
        throw new RegistryApiError(error.status, `registry: ${error.reason} (HTTP ${error.status})`, hint);
      }
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(`cannot reach the collector at ${this.baseUrl} (${cause})`, {
        hint: 'start it with `promptline up`, or pass --collector URL (env PROMPTLINE_COLLECTOR_URL)',
        cause: error,
      });
    }
  }

  list(): Promise<RegistryPromptSummary[]> {
    return this.#call((c) => c.listPrompts());
  }

  get(name: string, selector: Selector): Promise<RegistryPrompt> {
    return this.#call((c) => c.getPrompt(name, selector));
  }

  /** Versions of `name`, or `[]` when the registry has no such prompt. */
  async versions(name: string): Promise<RegistryVersionSummary[]> {
    try {
      return await this.#call((c) => c.listVersions(name));
    } catch (error) {
      if (error instanceof RegistryApiError && error.status === 404) return [];
      throw error;
    }
  }

  history(name: string, label?: string): Promise<RegistryLabelMove[]> {
    return this.#call((c) => c.labelHistory(name, label));
  }

  moveLabel(name: string, label: string, version: number): Promise<RegistryLabelMove> {
    return this.#call((c) => c.moveLabel(name, label, version));
  }

  create(request: RegistryCreateRequest): Promise<RegistryCreateResult> {
    return this.#call((c) => c.createPrompt(request));
  }
}

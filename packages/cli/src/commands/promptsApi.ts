import { CliError } from '../CliError.js';

/** A prompt version as the registry returns it. */
export interface RegistryPrompt {
  name: string;
  version: number;
  type: 'text' | 'chat';
  template?: string;
  messages?: ({ role: string; content: string } | { type: 'placeholder'; name: string })[];
  config?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  examples?: { input: unknown; output: unknown }[];
  metadata?: Record<string, unknown>;
  commitMessage: string;
  hash: string;
  createdBy: string;
  createdAt: string;
  labels: string[];
}

export interface RegistryPromptSummary {
  name: string;
  latestVersion: number;
  versionCount: number;
  lastCreatedAt: string;
  labels: Record<string, number>;
}

export interface RegistryVersionSummary {
  version: number;
  type: 'text' | 'chat';
  commitMessage: string;
  contentHash: string;
  createdBy: string;
  createdAt: string;
  labels: string[];
}

export interface RegistryLabelMove {
  name: string;
  label: string;
  version: number;
  previousVersion: number | null;
  actor: string;
  movedAt: string;
}

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
export type Selector = { version: number } | { label: string };

/** The CLI's client of the collector's registry API (`/api/v1/prompts`). */
export class PromptsApi {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async #call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(`cannot reach the collector at ${this.baseUrl} (${cause})`, {
        hint: 'start it with `promptline up`, or pass --collector URL (env PROMPTLINE_COLLECTOR_URL)',
        cause: error,
      });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message =
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { error?: unknown }).error === 'string'
          ? (parsed as { error: string }).error
          : text.slice(0, 300) || res.statusText;
      const hint =
        res.status === 401 || res.status === 403
          ? 'pass a key with the needed scope: --api-key KEY (env PROMPTLINE_API_KEY)'
          : undefined;
      throw new RegistryApiError(res.status, `registry: ${message} (HTTP ${res.status})`, hint);
    }
    return { status: res.status, body: parsed as T };
  }

  async list(): Promise<RegistryPromptSummary[]> {
    return (await this.#call<{ prompts: RegistryPromptSummary[] }>('GET', '/api/v1/prompts')).body.prompts;
  }

  async get(name: string, selector: Selector): Promise<RegistryPrompt> {
    const query =
      'version' in selector ? `version=${selector.version}` : `label=${encodeURIComponent(selector.label)}`;
    return (await this.#call<RegistryPrompt>('GET', `/api/v1/prompts/${encodeURIComponent(name)}?${query}`))
      .body;
  }

  /** Versions of `name`, or `[]` when the registry has no such prompt. */
  async versions(name: string): Promise<RegistryVersionSummary[]> {
    try {
      const path = `/api/v1/prompts/${encodeURIComponent(name)}/versions`;
      return (await this.#call<{ versions: RegistryVersionSummary[] }>('GET', path)).body.versions;
    } catch (error) {
      if (error instanceof RegistryApiError && error.status === 404) return [];
      throw error;
    }
  }

  async history(name: string, label?: string): Promise<RegistryLabelMove[]> {
    const query = label === undefined ? '' : `?label=${encodeURIComponent(label)}`;
    const path = `/api/v1/prompts/${encodeURIComponent(name)}/history${query}`;
    return (await this.#call<{ history: RegistryLabelMove[] }>('GET', path)).body.history;
  }

  async moveLabel(name: string, label: string, version: number): Promise<RegistryLabelMove> {
    const path = `/api/v1/prompts/${encodeURIComponent(name)}/labels/${encodeURIComponent(label)}`;
    return (await this.#call<RegistryLabelMove>('PUT', path, { version })).body;
  }

  async create(body: Record<string, unknown>): Promise<{ created: boolean; prompt: RegistryPrompt }> {
    return (await this.#call<{ created: boolean; prompt: RegistryPrompt }>('POST', '/api/v1/prompts', body))
      .body;
  }
}

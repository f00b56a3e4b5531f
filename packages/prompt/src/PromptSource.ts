import type { PromptData } from './PromptData.js';

/** Which version to fetch: through a label, or a fixed version number. */
export type PromptSelector =
  | { readonly label: string; readonly version?: undefined }
  | { readonly version: number; readonly label?: undefined };

/**
 * Raw access to stored prompt versions. Implementations: `FilePromptSource` (prompts as code, from a
 * folder in git) and the registry's HTTP source. A source does no caching and no fallback — that is
 * `PromptClient`'s job.
 *
 * Contract:
 * - resolve `{ label }` to the version the label points at now, `{ version }` to exactly that version;
 * - return plain {@link PromptData} (the client validates it);
 * - throw {@link PromptNotFoundError} when the name/label/version does not exist, any other error
 *   for transport failures (the client keeps serving a stale copy then);
 * - honour `signal` when given.
 *
 * @example
 * ```ts
 * const source: PromptSource = {
 *   async fetchPrompt(name, selector) { return myStore.read(name, selector); },
 * };
 * ```
 */
export interface PromptSource {
  fetchPrompt(name: string, selector: PromptSelector, signal?: AbortSignal): Promise<PromptData>;
}

/**
 * The source has no such prompt, label or version.
 *
 * @example
 * ```ts
 * throw new PromptNotFoundError('support/triage', { label: 'production' });
 * ```
 */
export class PromptNotFoundError extends Error {
  override readonly name = 'PromptNotFoundError';
  constructor(
    readonly promptName: string,
    readonly selector: PromptSelector,
  ) {
    const what = selector.label !== undefined ? `label "${selector.label}"` : `version ${selector.version}`;
    super(`prompt "${promptName}" with ${what} not found`);
  }
}

import { Prompt } from '@promptline/prompt';
import type { ChatMessageTemplate, ChatPlaceholder, PromptSelector, PromptSource } from '@promptline/prompt';
import { logger } from '../logger.js';

/** Options of {@link PromptClient.get}. */
export interface GetPromptOptions {
  /** Label to resolve (default: the client's `defaultLabel`, `production`). Exclusive with `version`. */
  readonly label?: string;
  /** Exact version to fetch. Exclusive with `label`. */
  readonly version?: number;
  /**
   * Used when nothing could be fetched and nothing is cached: a text template or chat messages. The
   * result is marked `isFallback` and is never linked to a version on spans.
   */
  readonly fallback?: string | readonly (ChatMessageTemplate | ChatPlaceholder)[];
  /** Freshness of the cached copy for this call (default: the client's `cacheTtlSeconds`, 60). */
  readonly cacheTtlSeconds?: number;
}

/** Options of {@link PromptClient}. */
export interface PromptClientOptions {
  readonly source: PromptSource;
  /** Seconds a fetched prompt is fresh; after that it is served stale while one refresh runs. Default 60. */
  readonly cacheTtlSeconds?: number;
  /** Label used when `get` is given neither label nor version. Default `production`. */
  readonly defaultLabel?: string;
  /** Most cached entries; the least recently fetched is evicted. Default 1000. */
  readonly maxEntries?: number;
  /** Time limit of one fetch, in milliseconds. Default 10 000. */
  readonly fetchTimeoutMs?: number;
  /**
   * After a fetch of a key with nothing cached fails, calls for that key that pass a `fallback` get
   * the fallback at once, without asking the source, for this many seconds; then one call tries the
   * source again. Calls without a `fallback` always try the source. Default 5.
   */
  readonly failureBackoffSeconds?: number;
}

interface Failure {
  /** `Date.now()` before which calls with a fallback do not ask the source. */
  retryAt: number;
  /** The fallback warning was logged since the last success: later ones go to debug. */
  warned: boolean;
}

interface Entry {
  prompt: Prompt | undefined;
  fetchedAt: number;
  inflight: Promise<Prompt> | undefined;
  /** A refresh failure was logged since the last success: log the next one at debug only. */
  failureLogged: boolean;
}

/**
 * Fetches prompts from a {@link PromptSource} through an in-process cache.
 *
 * - fresh entry → returned from memory;
 * - stale entry → returned at once, and ONE background refresh per key runs; if it fails, the stale
 *   copy stays and the failure is logged once (until a refresh succeeds again);
 * - no entry → fetched (concurrent callers share one fetch); if that fails and `fallback` is given,
 *   a fallback prompt (`isFallback: true`, version 0) is returned — never cached, never linked on spans;
 *   the failure is logged once per key (until a fetch succeeds again), and for `failureBackoffSeconds`
 *   further calls with a fallback get it at once instead of waiting on the source again.
 *
 * @example
 * ```ts
 * const prompts = new PromptClient({ source: new FilePromptSource(await loadPromptFiles('./prompts')) });
 * const p = await prompts.get('support/triage', { label: 'production', fallback: 'Triage: {{ticket}}' });
 * ```
 */
export class PromptClient {
  readonly #source: PromptSource;
  readonly #ttlMs: number;
  readonly #defaultLabel: string;
  readonly #maxEntries: number;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #cache = new Map<string, Entry>();
  readonly #failures = new Map<string, Failure>();

  constructor(options: PromptClientOptions) {
    this.#source = options.source;
    this.#ttlMs = (options.cacheTtlSeconds ?? 60) * 1000;
    this.#defaultLabel = options.defaultLabel ?? 'production';
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#timeoutMs = options.fetchTimeoutMs ?? 10_000;
    this.#backoffMs = (options.failureBackoffSeconds ?? 5) * 1000;
  }

  /**
   * Returns the prompt `name` at `label` (default `production`) or `version`.
   *
   * @throws the source's error when nothing is cached and no `fallback` was given.
   */
  async get(name: string, options: GetPromptOptions = {}): Promise<Prompt> {
    if (options.label !== undefined && options.version !== undefined) {
      throw new TypeError(`get("${name}"): give either label or version, not both`);
    }
    const selector: PromptSelector =
      options.version !== undefined
        ? { version: options.version }
        : { label: options.label ?? this.#defaultLabel };
    const key =
      selector.version !== undefined
        ? `${name}\u0000v${selector.version}`
        : `${name}\u0000l${selector.label}`;
    const ttlMs = options.cacheTtlSeconds !== undefined ? options.cacheTtlSeconds * 1000 : this.#ttlMs;
    const entry = this.#cache.get(key);
    if (entry?.prompt !== undefined) {
      if (Date.now() - entry.fetchedAt >= ttlMs && entry.inflight === undefined) {
        this.#refresh(key, name, selector, entry).catch(() => undefined);
      }
      return entry.prompt;
    }
    const failure = this.#failures.get(key);
    if (
      options.fallback !== undefined &&
      failure !== undefined &&
      Date.now() < failure.retryAt &&
      entry?.inflight === undefined
    ) {
      return fallbackPrompt(name, options.fallback, selector.label);
    }
    try {
      if (entry?.inflight !== undefined) return await entry.inflight;
      const fresh: Entry = entry ?? {
        prompt: undefined,
        fetchedAt: 0,
        inflight: undefined,
        failureLogged: false,
      };
      if (entry === undefined) this.#insert(this.#cache, key, fresh);
      return await this.#refresh(key, name, selector, fresh);
    } catch (err) {
      const noted = this.#noteFailure(key);
      if (options.fallback === undefined) throw err;
      if (noted.warned) {
        logger.debug(`prompt "${name}" still unavailable, using the caller's fallback:`, err);
      } else {
        noted.warned = true;
        logger.warn(
          `prompt "${name}" unavailable, using the caller's fallback (not linked on spans; logged once until it recovers, source retried at most every ${this.#backoffMs / 1000} s):`,
          err,
        );
      }
      return fallbackPrompt(name, options.fallback, selector.label);
    }
  }

  /** Drops cached entries and remembered failures (all, or those of one prompt name). */
  invalidate(name?: string): void {
    for (const map of [this.#cache, this.#failures]) {
      if (name === undefined) map.clear();
      else for (const key of [...map.keys()]) if (key.startsWith(`${name}\u0000`)) map.delete(key);
    }
  }

  /** Inserts (or moves to the newest place) `key`, evicting the oldest entries beyond `maxEntries`. */
  #insert<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    while (map.size >= this.#maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done === true) break;
      map.delete(oldest.value);
    }
    map.set(key, value);
  }

  /** Remembers that fetching `key` failed: no source call for callers with a fallback until `retryAt`. */
  #noteFailure(key: string): Failure {
    const known = this.#failures.get(key);
    const failure: Failure = { retryAt: Date.now() + this.#backoffMs, warned: known?.warned ?? false };
    this.#insert(this.#failures, key, failure);
    return failure;
  }

  #refresh(key: string, name: string, selector: PromptSelector, entry: Entry): Promise<Prompt> {
    const run = async (): Promise<Prompt> => {
      const signal = AbortSignal.timeout(this.#timeoutMs);
      try {
        const data = await this.#source.fetchPrompt(name, selector, signal);
        const prompt = new Prompt(data, selector.label !== undefined ? { label: selector.label } : {});
        if (prompt.name !== name) throw new Error(`source returned prompt "${prompt.name}" for "${name}"`);
        entry.prompt = prompt;
        entry.fetchedAt = Date.now();
        entry.failureLogged = false;
        if (this.#failures.delete(key)) logger.info(`prompt "${name}" is available again`);
        // Re-insert so eviction drops the least recently fetched entry (and the bound holds even
        // when this entry was evicted while the refresh ran).
        this.#insert(this.#cache, key, entry);
        return prompt;
      } catch (err) {
        if (entry.prompt !== undefined) {
          if (!entry.failureLogged) {
            entry.failureLogged = true;
            logger.warn(
              `refreshing prompt "${name}" failed; serving the cached version ${entry.prompt.version}:`,
              err,
            );
          } else {
            logger.debug(`refreshing prompt "${name}" failed again:`, err);
          }
        } else if (this.#cache.get(key) === entry) {
          this.#cache.delete(key);
        }
        throw err;
      }
    };
    const p = run();
    entry.inflight = p;
    const clear = (): void => {
      if (entry.inflight === p) entry.inflight = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

function fallbackPrompt(
  name: string,
  fallback: string | readonly (ChatMessageTemplate | ChatPlaceholder)[],
  label: string | undefined,
): Prompt {
  const data =
    typeof fallback === 'string'
      ? { name, version: 0, type: 'text' as const, template: fallback }
      : { name, version: 0, type: 'chat' as const, messages: fallback };
  return new Prompt(data, { isFallback: true, ...(label === undefined ? {} : { label }) });
}

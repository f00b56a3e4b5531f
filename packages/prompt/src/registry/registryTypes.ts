import type { ChatMessageTemplate, ChatPlaceholder, PromptData, PromptExample } from '../PromptData.js';

/**
 * The prompt registry's wire types: the JSON bodies of the collector's `/api/v1/prompts` API. The
 * collector answers with them and {@link RegistryClient} reads them; this is their one definition.
 *
 * @module
 */

/** What is sent to the model: a text template or chat messages. It decides the content hash. */
export type RegistryPromptBody =
  | { readonly type: 'text'; readonly template: string }
  | { readonly type: 'chat'; readonly messages: readonly (ChatMessageTemplate | ChatPlaceholder)[] };

/** The optional content of a version besides its body. */
interface RegistryPromptExtras {
  readonly config?: Readonly<Record<string, unknown>>;
  readonly outputSchema?: Readonly<Record<string, unknown>>;
  readonly examples?: readonly PromptExample[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * One prompt version as the registry answers it (`GET /api/v1/prompts/{name}`, and the `prompt` of a
 * create's answer): `PromptData` plus the registry's own fields.
 */
export type RegistryPrompt = RegistryPromptBody &
  RegistryPromptExtras & {
    readonly name: string;
    readonly version: number;
    readonly commitMessage: string;
    /** Content hash (`promptHash`): equal hashes mean equal content. */
    readonly hash: string;
    /** The API key name (or id) that created the version. */
    readonly createdBy: string;
    /** ISO 8601, UTC. */
    readonly createdAt: string;
    /** Labels pointing at this version now (`latest` included). */
    readonly labels: readonly string[];
  };

/** Body of `POST /api/v1/prompts`: a version's content plus request fields. `type` may be omitted. */
export type RegistryCreateRequest = (
  | { readonly type?: 'text'; readonly template: string }
  | { readonly type?: 'chat'; readonly messages: readonly (ChatMessageTemplate | ChatPlaceholder)[] }
) &
  RegistryPromptExtras & {
    readonly name: string;
    readonly commitMessage?: string;
    /** Labels to point at the new version besides `latest`. */
    readonly labels?: readonly string[];
    /** Create exactly this version number: the same content there is a no-op, other content a 409. */
    readonly version?: number;
    /** Create nothing when the latest version has the same content. */
    readonly onlyIfChanged?: boolean;
  };

/** Answer of `POST /api/v1/prompts` (HTTP 201 when `created`, else 200). */
export interface RegistryCreateResult {
  /**
   * `false` when nothing was written: `onlyIfChanged` found the latest version already has this
   * content, or an explicit `version` already holds exactly this content.
   */
  readonly created: boolean;
  /** The new version, or the existing one with the same content. */
  readonly prompt: RegistryPrompt;
}

/** One prompt of `GET /api/v1/prompts`. */
export interface RegistryPromptSummary {
  readonly name: string;
  readonly latestVersion: number;
  readonly versionCount: number;
  /** ISO 8601, UTC. */
  readonly lastCreatedAt: string;
  /** Where each label points now (`latest` included). */
  readonly labels: Readonly<Record<string, number>>;
}

/** One version of `GET /api/v1/prompts/{name}/versions` (no content). */
export interface RegistryVersionSummary {
  readonly version: number;
  readonly type: 'text' | 'chat';
  readonly commitMessage: string;
  readonly contentHash: string;
  readonly createdBy: string;
  readonly createdAt: string;
  /** Labels pointing at this version now. */
  readonly labels: readonly string[];
}

/** One label move: the answer of `PUT …/labels/{label}` and an entry of `GET …/history`. */
export interface RegistryLabelMove {
  /** Prompt name. */
  readonly name: string;
  /** The label moved (`production`, `staging`, …). */
  readonly label: string;
  /** Version the label points at after the move. */
  readonly version: number;
  /** Version it pointed at before, or `null` for the label's first move. */
  readonly previousVersion: number | null;
  /** Who moved it: the API key's name or id. */
  readonly actor: string;
  /** When, ISO 8601 UTC with microseconds. */
  readonly movedAt: string;
}

/** The body of every registry error answer. */
export interface RegistryErrorBody {
  readonly error: string;
  /** Machine-readable reason, e.g. `not_found`, `version_conflict`, `invalid_prompt`. */
  readonly code: string;
}

/**
 * The `PromptData` fields of a registry answer (for `Prompt`, which validates them).
 *
 * @example
 * ```ts
 * const prompt = new Prompt(registryPromptToData(await registry.getPrompt('greet', { label: 'production' })));
 * ```
 */
export function registryPromptToData(p: RegistryPrompt): PromptData {
  const common = {
    name: p.name,
    version: p.version,
    ...(p.labels === undefined ? {} : { labels: p.labels }),
    ...(p.config === undefined ? {} : { config: p.config }),
    ...(p.outputSchema === undefined ? {} : { outputSchema: p.outputSchema }),
    ...(p.examples === undefined ? {} : { examples: p.examples }),
    ...(p.metadata === undefined ? {} : { metadata: p.metadata }),
  };
  return p.type === 'chat'
    ? { ...common, type: 'chat', messages: p.messages }
    : { ...common, type: 'text', template: p.template };
}

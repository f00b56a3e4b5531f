import type {
  ChatMessageTemplate,
  ChatPlaceholder,
  PromptExample,
  RegistryPromptSummary,
  RegistryVersionSummary,
} from '@promptline/prompt';

/** What is sent to the model: it decides the content hash. */
export type PromptBody =
  { type: 'text'; template: string } | { type: 'chat'; messages: (ChatMessageTemplate | ChatPlaceholder)[] };

/** Everything a new version carries, validated. */
export type PromptContent = PromptBody & {
  config?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  examples?: PromptExample[];
  metadata?: Record<string, unknown>;
};

/** One stored prompt version. */
export type StoredVersion = PromptContent & {
  projectId: string;
  name: string;
  version: number;
  commitMessage: string;
  /** `promptHash` of @promptline/prompt: equal hashes mean equal content. */
  contentHash: string;
  createdBy: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** Random id of the create request that wrote this row (how a writer learns it won the number). */
  createId: string;
};

/** One label move: `label` pointed at `version` from `movedAt` on, moved by `actor`. */
export interface LabelEvent {
  projectId: string;
  name: string;
  label: string;
  version: number;
  actor: string;
  /** ISO 8601 with microseconds, UTC. */
  movedAt: string;
  eventId: string;
}

/** A version as listed (no content); the API adds its labels. */
export type VersionSummary = Omit<RegistryVersionSummary, 'labels'>;

/** Where a label points now. */
export interface CurrentLabel {
  name: string;
  label: string;
  version: number;
}

/** A prompt as listed; the API adds its labels. */
export type PromptSummary = Omit<RegistryPromptSummary, 'labels'>;

/**
 * Storage under the registry. Rows are append-only: a version row is written once and never
 * changed; a label is a log of moves whose newest entry wins.
 */
export interface RegistryStore {
  /** Highest version of `name`, 0 when there is none. */
  maxVersion(projectId: string, name: string): Promise<number>;
  /**
   * Writes `row` unless its (project, name, version) is already taken — also by a writer in another
   * process. Resolves `true` when `row` now holds the number, `false` when another writer's row does.
   */
  claimVersion(row: StoredVersion): Promise<boolean>;
  getVersion(projectId: string, name: string, version: number): Promise<StoredVersion | undefined>;
  getLatest(projectId: string, name: string): Promise<StoredVersion | undefined>;
  listVersions(projectId: string, name: string): Promise<VersionSummary[]>;
  listPrompts(projectId: string): Promise<PromptSummary[]>;
  /** Version the label points at now (newest move wins), `undefined` when it was never set. */
  resolveLabel(projectId: string, name: string, label: string): Promise<number | undefined>;
  /** Where every label points now: of `name`, or of every prompt of the project when omitted. */
  currentLabels(projectId: string, name?: string): Promise<CurrentLabel[]>;
  appendLabelEvents(events: LabelEvent[]): Promise<void>;
  /** Moves of `name`'s labels (of one label when given), oldest first. */
  labelHistory(projectId: string, name: string, label?: string): Promise<LabelEvent[]>;
}

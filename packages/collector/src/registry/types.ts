/** A chat message template (`content` holds `{{variable}}` placeholders). */
export interface RegistryChatMessage {
  role: string;
  content: string;
}

/** A chat slot filled at compile time with a list of messages. */
export interface RegistryChatPlaceholder {
  type: 'placeholder';
  name: string;
}

/** What is sent to the model: it decides the content hash. */
export type PromptBody =
  | { type: 'text'; template: string }
  | { type: 'chat'; messages: (RegistryChatMessage | RegistryChatPlaceholder)[] };

/** Everything a new version carries, validated. */
export type PromptContent = PromptBody & {
  config?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  examples?: unknown[];
  metadata?: Record<string, unknown>;
};

/** One stored prompt version. */
export type StoredVersion = PromptContent & {
  projectId: string;
  name: string;
  version: number;
  commitMessage: string;
  /** Same algorithm as the SDK's `promptHash`: equal hashes mean equal content. */
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

/** A version as listed (no content). */
export interface VersionSummary {
  version: number;
  type: 'text' | 'chat';
  commitMessage: string;
  contentHash: string;
  createdBy: string;
  createdAt: string;
}

/** Where a label points now. */
export interface CurrentLabel {
  name: string;
  label: string;
  version: number;
}

/** A prompt as listed. */
export interface PromptSummary {
  name: string;
  latestVersion: number;
  versionCount: number;
  lastCreatedAt: string;
}

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

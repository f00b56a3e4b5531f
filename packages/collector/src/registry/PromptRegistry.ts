import { randomUUID } from 'node:crypto';
import type {
  RegistryCreateResult,
  RegistryLabelMove,
  RegistryPrompt,
  RegistryPromptSummary,
  RegistryVersionSummary,
} from '@promptline/prompt';
import { KeyedMutex } from './KeyedMutex.js';
import type { RegistryLimits } from './promptRules.js';
import { checkLabel, checkName, checkVersion, LATEST_LABEL, parseCreateRequest } from './promptRules.js';
import { RegistryError } from './RegistryError.js';
import type { LabelEvent, RegistryStore, StoredVersion } from './types.js';

/** Who is calling: the project and scopes of the authenticated API key. */
export interface RegistryCaller {
  projectId: string;
  /** Recorded as the creator / label mover: the key's name or id. */
  actor: string;
  /** Scopes of the key: `read` to read, `write` to create and move labels, `admin` implies both and may move protected labels. */
  scopes: readonly string[];
}

/** Options of {@link PromptRegistry}. */
export interface PromptRegistryOptions {
  /** Where versions and label moves are kept (e.g. `ClickHouseRegistryStore`). */
  store: RegistryStore;
  /** Labels only an `admin` key may move. Default `['production']`. */
  protectedLabels?: readonly string[];
  /** Size limits of one version (see {@link RegistryLimits} for the defaults). */
  limits?: RegistryLimits;
  /** Attempts at claiming a version number against other writers. Default 50. */
  maxClaimAttempts?: number;
}

/** A prompt version as the API returns it (the registry's wire type). */
export type PromptVersionView = RegistryPrompt;

/** What {@link PromptRegistry.create} answers (HTTP 201 when `created`, else 200). */
export type CreateResult = RegistryCreateResult;

/** One label move, as returned by a move and listed in the history. */
export type LabelMove = RegistryLabelMove;

/** One entry of a prompt's label history (`GET /api/v1/prompts/{name}/history`): a {@link LabelMove}. */
export type HistoryEntry = LabelMove;

/** The collector's scope rule: a key needs the scope itself, or `admin` (which implies every scope). */
function allows(caller: RegistryCaller, needed: 'read' | 'write' | 'admin'): boolean {
  return caller.scopes.includes(needed) || caller.scopes.includes('admin');
}

function requireScope(caller: RegistryCaller, needed: 'read' | 'write' | 'admin', what: string): void {
  if (!allows(caller, needed)) {
    throw new RegistryError(403, 'forbidden', `${what} needs an API key with the "${needed}" scope`);
  }
}

/** Label events (oldest first) as moves, each with the version its label pointed at before. */
function labelMoves(events: readonly LabelEvent[]): HistoryEntry[] {
  const last = new Map<string, number>();
  return events.map((e) => {
    const previousVersion = last.get(e.label) ?? null;
    last.set(e.label, e.version);
    return {
      name: e.name,
      label: e.label,
      version: e.version,
      previousVersion,
      actor: e.actor,
      movedAt: e.movedAt,
    };
  });
}

/**
 * The prompt registry: versions, labels and label history of every project, over a
 * {@link RegistryStore}. Stateless apart from a per-(project, name) lock that serialises the
 * writers of this process; writers in other processes are kept apart by the store's
 * `claimVersion`.
 *
 * Version numbers are 1, 2, 3… per (project, name), without gaps or duplicates: a number is taken by
 * writing the version row itself, so a number exists exactly when its row does.
 *
 * @example
 * ```ts
 * const registry = new PromptRegistry({ store: new ClickHouseRegistryStore(client) });
 * const { prompt } = await registry.create(caller, { name: 'greet', template: 'Hi {{name}}' });
 * await registry.moveLabel(adminCaller, 'greet', 'production', prompt.version);
 * ```
 */
export class PromptRegistry {
  readonly #store: RegistryStore;
  readonly #protected: ReadonlySet<string>;
  readonly #limits: RegistryLimits;
  readonly #maxClaimAttempts: number;
  readonly #locks = new KeyedMutex();

  constructor(opts: PromptRegistryOptions) {
    this.#store = opts.store;
    this.#protected = new Set(opts.protectedLabels ?? ['production']);
    this.#limits = opts.limits ?? {};
    this.#maxClaimAttempts = opts.maxClaimAttempts ?? 50;
  }

  /** Labels that need an `admin` key. */
  get protectedLabels(): readonly string[] {
    return [...this.#protected];
  }

  /** Creates a version from a request body (see `parseCreateRequest`); `latest` moves to it. */
  async create(caller: RegistryCaller, body: unknown): Promise<CreateResult> {
    requireScope(caller, 'write', 'creating a prompt version');
    const req = parseCreateRequest(body, this.#limits);
    const guarded = req.labels.filter((l) => this.#protected.has(l));
    if (guarded.length > 0) requireScope(caller, 'admin', `setting the protected label "${guarded[0]}"`);
    const hash = req.contentHash;
    return this.#locks.run(`${caller.projectId}\u0000${req.name}`, async () => {
      const { projectId } = caller;
      if (req.onlyIfChanged || req.expectedVersion !== undefined) {
        const same = await this.#findSameContent(projectId, req.name, hash, req.expectedVersion);
        if (same !== undefined) {
          const labelsToSet = await this.#labelsToMove(projectId, req.name, req.labels, same.version);
          if (labelsToSet.length > 0) await this.#appendMoves(caller, req.name, labelsToSet, same.version);
          return { created: false, prompt: await this.#view(same) };
        }
      }
      let version = (await this.#store.maxVersion(projectId, req.name)) + 1;
      if (req.expectedVersion !== undefined && req.expectedVersion !== version) {
        throw this.#expectedVersionConflict(req.name, req.expectedVersion, version);
      }
      const createId = randomUUID();
      for (let attempt = 1; ; attempt++) {
        const row: StoredVersion = {
          ...req.content,
          projectId,
          name: req.name,
          version,
          commitMessage: req.commitMessage,
          contentHash: hash,
          createdBy: caller.actor,
          createdAt: new Date().toISOString(),
          createId,
        };
        if (await this.#store.claimVersion(row)) {
          await this.#appendMoves(caller, req.name, [LATEST_LABEL, ...req.labels], version);
          return { created: true, prompt: await this.#view(row) };
        }
        // Another process took the number between our read and our write.
        if (req.expectedVersion !== undefined) {
          throw this.#expectedVersionConflict(req.name, req.expectedVersion, version + 1);
        }
        if (attempt >= this.#maxClaimAttempts) {
          throw new RegistryError(
            503,
            'unavailable',
            `could not claim a version number for "${req.name}" after ${attempt} attempts (heavy concurrent creates); retry`,
          );
        }
        version = Math.max(version + 1, (await this.#store.maxVersion(projectId, req.name)) + 1);
      }
    });
  }

  /** The version `name` has under `label` (default `latest`) or the exact `version`. */
  async get(
    caller: RegistryCaller,
    name: string,
    selector: { label?: string; version?: unknown },
  ): Promise<PromptVersionView> {
    requireScope(caller, 'read', 'reading prompts');
    checkName(name);
    if (selector.label !== undefined && selector.version !== undefined) {
      throw new RegistryError(400, 'invalid_request', 'give either label or version, not both');
    }
    const { projectId } = caller;
    let row: StoredVersion | undefined;
    if (selector.version !== undefined) {
      const version = checkVersion(selector.version);
      row = await this.#store.getVersion(projectId, name, version);
      if (row === undefined) throw await this.#notFound(projectId, name, `has no version ${version}`);
    } else {
      const label = checkLabel(selector.label ?? LATEST_LABEL);
      if (label === LATEST_LABEL) {
        row = await this.#store.getLatest(projectId, name);
      } else {
        // Two steps, in this order: a label only ever points at a version whose row was written
        // before the label move, so the second read always finds it.
        const version = await this.#store.resolveLabel(projectId, name, label);
        if (version !== undefined) row = await this.#store.getVersion(projectId, name, version);
      }
      if (row === undefined) throw await this.#notFound(projectId, name, `has no label "${label}"`);
    }
    return this.#view(row);
  }

  /** Every prompt of the caller's project with its latest version and current labels. */
  async list(caller: RegistryCaller): Promise<RegistryPromptSummary[]> {
    requireScope(caller, 'read', 'listing prompts');
    const [prompts, labels] = await Promise.all([
      this.#store.listPrompts(caller.projectId),
      this.#store.currentLabels(caller.projectId),
    ]);
    return prompts.map((p) => {
      const own: Record<string, number> = { [LATEST_LABEL]: p.latestVersion };
      for (const l of labels) if (l.name === p.name && l.label !== LATEST_LABEL) own[l.label] = l.version;
      return { ...p, labels: own };
    });
  }

  /** Versions of `name`, oldest first, each with the labels pointing at it now. */
  async versions(caller: RegistryCaller, name: string): Promise<RegistryVersionSummary[]> {
    requireScope(caller, 'read', 'reading prompts');
    checkName(name);
    const [versions, labels] = await Promise.all([
      this.#store.listVersions(caller.projectId, name),
      this.#store.currentLabels(caller.projectId, name),
    ]);
    if (versions.length === 0) throw await this.#notFound(caller.projectId, name, '');
    const latest = versions[versions.length - 1]?.version;
    return versions.map((v) => ({
      ...v,
      labels: [
        ...(v.version === latest ? [LATEST_LABEL] : []),
        ...labels.filter((l) => l.version === v.version && l.label !== LATEST_LABEL).map((l) => l.label),
      ],
    }));
  }

  /**
   * Points `label` at `version`. Protected labels need an `admin` key; `latest` cannot be moved.
   * Readers see the label at its old or its new version, never missing.
   */
  async moveLabel(caller: RegistryCaller, name: string, label: string, version: unknown): Promise<LabelMove> {
    requireScope(caller, 'write', 'moving a label');
    checkName(name);
    checkLabel(label);
    const target = checkVersion(version);
    if (label === LATEST_LABEL) {
      throw new RegistryError(
        400,
        'invalid_label',
        'label "latest" moves by itself to each new version; it cannot be set',
      );
    }
    if (this.#protected.has(label)) requireScope(caller, 'admin', `moving the protected label "${label}"`);
    return this.#locks.run(`${caller.projectId}\u0000${name}`, async () => {
      const exists = await this.#store.getVersion(caller.projectId, name, target);
      if (exists === undefined)
        throw await this.#notFound(caller.projectId, name, `has no version ${target}`);
      const previous = (await this.#store.resolveLabel(caller.projectId, name, label)) ?? null;
      const [event] = await this.#appendMoves(caller, name, [label], target);
      return {
        name,
        label,
        version: target,
        previousVersion: previous,
        actor: caller.actor,
        movedAt: event!.movedAt,
      };
    });
  }

  /** Every label move of `name` (of one label when given), oldest first, with the version before. */
  async history(caller: RegistryCaller, name: string, label?: string): Promise<HistoryEntry[]> {
    requireScope(caller, 'read', 'reading label history');
    checkName(name);
    if (label !== undefined) checkLabel(label);
    const events = await this.#store.labelHistory(caller.projectId, name, label);
    if (events.length === 0 && (await this.#store.maxVersion(caller.projectId, name)) === 0) {
      throw await this.#notFound(caller.projectId, name, '');
    }
    return labelMoves(events);
  }

  /**
   * Every label move of `name`, oldest first, and `[]` for a prompt the registry does not hold (or
   * a name it could not hold): one read, for views that show the moves beside the prompt's traffic.
   */
  async movesOf(caller: RegistryCaller, name: string): Promise<HistoryEntry[]> {
    requireScope(caller, 'read', 'reading label history');
    try {
      checkName(name);
    } catch (e) {
      if (e instanceof RegistryError) return [];
      throw e;
    }
    return labelMoves(await this.#store.labelHistory(caller.projectId, name));
  }

  async #findSameContent(
    projectId: string,
    name: string,
    hash: string,
    expectedVersion: number | undefined,
  ): Promise<StoredVersion | undefined> {
    if (expectedVersion !== undefined) {
      const existing = await this.#store.getVersion(projectId, name, expectedVersion);
      if (existing === undefined) return undefined;
      if (existing.contentHash === hash) return existing;
      throw new RegistryError(
        409,
        'version_conflict',
        `prompt "${name}" version ${expectedVersion} already exists with different content (hash ${existing.contentHash}); bump the version to ${(await this.#store.maxVersion(projectId, name)) + 1}`,
      );
    }
    const latest = await this.#store.getLatest(projectId, name);
    return latest?.contentHash === hash ? latest : undefined;
  }

  async #labelsToMove(projectId: string, name: string, labels: string[], version: number): Promise<string[]> {
    const out: string[] = [];
    for (const label of labels) {
      if ((await this.#store.resolveLabel(projectId, name, label)) !== version) out.push(label);
    }
    return out;
  }

  #expectedVersionConflict(name: string, expected: number, next: number): RegistryError {
    return new RegistryError(
      409,
      'version_conflict',
      `prompt "${name}": the request asks for version ${expected} but the next version is ${next}; versions are assigned without gaps`,
    );
  }

  async #appendMoves(
    caller: RegistryCaller,
    name: string,
    labels: string[],
    version: number,
  ): Promise<LabelEvent[]> {
    const events = labels.map((label) => ({
      projectId: caller.projectId,
      name,
      label,
      version,
      actor: caller.actor,
      movedAt: nextMoveTime(),
      eventId: randomUUID(),
    }));
    await this.#store.appendLabelEvents(events);
    return events;
  }

  async #notFound(projectId: string, name: string, what: string): Promise<RegistryError> {
    if (what === '' || (await this.#store.maxVersion(projectId, name)) === 0) {
      return new RegistryError(404, 'not_found', `prompt "${name}" not found in this project`);
    }
    return new RegistryError(404, 'not_found', `prompt "${name}" ${what}`);
  }

  async #view(row: StoredVersion): Promise<PromptVersionView> {
    const labels = await this.#store.currentLabels(row.projectId, row.name);
    const latest = await this.#store.maxVersion(row.projectId, row.name);
    const { projectId: _p, createId: _c, contentHash: hash, ...rest } = row;
    return {
      ...rest,
      hash,
      labels: [
        ...(latest === row.version ? [LATEST_LABEL] : []),
        ...labels
          .filter((l) => l.version === row.version && l.label !== LATEST_LABEL)
          .map((l) => l.label)
          .sort(),
      ],
    };
  }
}

let lastMoveMicros = 0;

/** Strictly increasing microsecond timestamps (ISO 8601), so moves in this process never tie. */
function nextMoveTime(): string {
  const now = Date.now() * 1000;
  lastMoveMicros = Math.max(now, lastMoveMicros + 1);
  const ms = Math.floor(lastMoveMicros / 1000);
  const micros = String(lastMoveMicros % 1000).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, -1)}${micros}Z`;
}

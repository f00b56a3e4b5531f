import type { ClickHouseClient } from '@clickhouse/client';
import type { PromptExample } from '@promptline/prompt';
import type {
  CurrentLabel,
  LabelEvent,
  PromptSummary,
  RegistryStore,
  StoredVersion,
  VersionSummary,
} from './types.js';

/** Options of {@link ClickHouseRegistryStore}. */
export interface ClickHouseRegistryStoreOptions {
  /** Database holding `prompt_versions` and `prompt_label_events` (migration 0100). Default `default`. */
  database?: string;
}

interface VersionRow {
  project_id: string;
  name: string;
  version: number;
  type: string;
  body: string;
  config: string;
  output_schema: string;
  examples: string;
  metadata: string;
  commit_message: string;
  content_hash: string;
  created_by: string;
  created_at: string;
  create_id: string;
}

interface LabelRow {
  project_id: string;
  name: string;
  label: string;
  version: number;
  actor: string;
  moved_at: string;
  event_id: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ClickHouse `DateTime64` text (`2026-11-21 16:00:50.123456`, UTC) ↔ ISO 8601. */
function toIso(chTime: string): string {
  return `${chTime.replace(' ', 'T')}Z`;
}
function fromIso(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

function jsonOrEmpty(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

function rowToVersion(r: VersionRow): StoredVersion {
  const body: unknown = JSON.parse(r.body);
  const content =
    r.type === 'chat'
      ? { type: 'chat' as const, messages: body as Extract<StoredVersion, { type: 'chat' }>['messages'] }
      : { type: 'text' as const, template: body as string };
  return {
    ...content,
    ...(r.config === '' ? {} : { config: JSON.parse(r.config) as Record<string, unknown> }),
    ...(r.output_schema === ''
      ? {}
      : { outputSchema: JSON.parse(r.output_schema) as Record<string, unknown> }),
    ...(r.examples === '' ? {} : { examples: JSON.parse(r.examples) as PromptExample[] }),
    ...(r.metadata === '' ? {} : { metadata: JSON.parse(r.metadata) as Record<string, unknown> }),
    projectId: r.project_id,
    name: r.name,
    version: Number(r.version),
    commitMessage: r.commit_message,
    contentHash: r.content_hash,
    createdBy: r.created_by,
    createdAt: toIso(r.created_at),
    createId: r.create_id,
  };
}

/**
 * {@link RegistryStore} on ClickHouse (server or the embedded engine), over the tables of migration
 * `0100_prompt_registry.sql`.
 *
 * - `claimVersion` inserts the version row with `insert_deduplication_token` = (project, name,
 *   version): the table's deduplication window keeps the first row for a number and silently drops
 *   any later one, also from another process; the writer then reads the number's row back and wins
 *   when it carries its own `create_id`.
 * - Every read is one `SELECT`; a version row is complete once its insert returned, and a label
 *   only ever names a version whose row was written first.
 */
export class ClickHouseRegistryStore implements RegistryStore {
  readonly #client: ClickHouseClient;
  readonly #versions: string;
  readonly #labels: string;

  constructor(client: ClickHouseClient, opts: ClickHouseRegistryStoreOptions = {}) {
    const db = opts.database ?? 'default';
    if (!IDENT.test(db))
      throw new Error(`registry database ${JSON.stringify(db)} must match ${IDENT.source}`);
    this.#client = client;
    this.#versions = `\`${db}\`.prompt_versions`;
    this.#labels = `\`${db}\`.prompt_label_events`;
  }

  async #rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const rs = await this.#client.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async maxVersion(projectId: string, name: string): Promise<number> {
    const [row] = await this.#rows<{ v: number }>(
      `SELECT max(version) AS v FROM ${this.#versions} WHERE project_id = {p:String} AND name = {n:String}`,
      { p: projectId, n: name },
    );
    return Number(row?.v ?? 0);
  }

  async claimVersion(row: StoredVersion): Promise<boolean> {
    const values: VersionRow = {
      project_id: row.projectId,
      name: row.name,
      version: row.version,
      type: row.type,
      body: JSON.stringify(row.type === 'text' ? row.template : row.messages),
      config: jsonOrEmpty(row.config),
      output_schema: jsonOrEmpty(row.outputSchema),
      examples: jsonOrEmpty(row.examples),
      metadata: jsonOrEmpty(row.metadata),
      commit_message: row.commitMessage,
      content_hash: row.contentHash,
      created_by: row.createdBy,
      created_at: fromIso(row.createdAt),
      create_id: row.createId,
    };
    await this.#client.insert({
      table: this.#versions,
      values: [values],
      format: 'JSONEachRow',
      clickhouse_settings: {
        // Cluster mode: insert through the Distributed table synchronously, so the read-back sees it.
        distributed_foreground_insert: 1,
        insert_deduplicate: 1,
        insert_deduplication_token: JSON.stringify([row.projectId, row.name, row.version]),
      },
    });
    const winner = await this.getVersion(row.projectId, row.name, row.version);
    return winner?.createId === row.createId;
  }

  async getVersion(projectId: string, name: string, version: number): Promise<StoredVersion | undefined> {
    const [row] = await this.#rows<VersionRow>(
      `SELECT * FROM ${this.#versions}
       WHERE project_id = {p:String} AND name = {n:String} AND version = {v:UInt32}
       ORDER BY created_at, create_id LIMIT 1`,
      { p: projectId, n: name, v: version },
    );
    return row === undefined ? undefined : rowToVersion(row);
  }

  async getLatest(projectId: string, name: string): Promise<StoredVersion | undefined> {
    const [row] = await this.#rows<VersionRow>(
      `SELECT * FROM ${this.#versions}
       WHERE project_id = {p:String} AND name = {n:String}
       ORDER BY version DESC, created_at, create_id LIMIT 1`,
      { p: projectId, n: name },
    );
    return row === undefined ? undefined : rowToVersion(row);
  }

  async listVersions(projectId: string, name: string): Promise<VersionSummary[]> {
    const rows = await this.#rows<VersionRow>(
      `SELECT version, any(type) AS type, any(commit_message) AS commit_message,
              any(content_hash) AS content_hash, any(created_by) AS created_by, min(created_at) AS created_at
       FROM ${this.#versions}
       WHERE project_id = {p:String} AND name = {n:String}
       GROUP BY version ORDER BY version`,
      { p: projectId, n: name },
    );
    return rows.map((r) => ({
      version: Number(r.version),
      type: r.type === 'chat' ? 'chat' : 'text',
      commitMessage: r.commit_message,
      contentHash: r.content_hash,
      createdBy: r.created_by,
      createdAt: toIso(r.created_at),
    }));
  }

  async listPrompts(projectId: string): Promise<PromptSummary[]> {
    const rows = await this.#rows<{ name: string; latest: number; n: string | number; last: string }>(
      `SELECT name, max(version) AS latest, uniqExact(version) AS n, max(created_at) AS last
       FROM ${this.#versions} WHERE project_id = {p:String}
       GROUP BY name ORDER BY name`,
      { p: projectId },
    );
    return rows.map((r) => ({
      name: r.name,
      latestVersion: Number(r.latest),
      versionCount: Number(r.n),
      lastCreatedAt: toIso(r.last),
    }));
  }

  async resolveLabel(projectId: string, name: string, label: string): Promise<number | undefined> {
    const [row] = await this.#rows<{ v: number; n: string | number }>(
      `SELECT argMax(version, (moved_at, event_id)) AS v, count() AS n FROM ${this.#labels}
       WHERE project_id = {p:String} AND name = {n:String} AND label = {l:String}`,
      { p: projectId, n: name, l: label },
    );
    return row === undefined || Number(row.n) === 0 ? undefined : Number(row.v);
  }

  async currentLabels(projectId: string, name?: string): Promise<CurrentLabel[]> {
    const rows = await this.#rows<{ name: string; label: string; v: number }>(
      `SELECT name, label, argMax(version, (moved_at, event_id)) AS v FROM ${this.#labels}
       WHERE project_id = {p:String} ${name === undefined ? '' : 'AND name = {n:String}'}
       GROUP BY name, label ORDER BY name, label`,
      name === undefined ? { p: projectId } : { p: projectId, n: name },
    );
    return rows.map((r) => ({ name: r.name, label: r.label, version: Number(r.v) }));
  }

  async appendLabelEvents(events: LabelEvent[]): Promise<void> {
    if (events.length === 0) return;
    const values: LabelRow[] = events.map((e) => ({
      project_id: e.projectId,
      name: e.name,
      label: e.label,
      version: e.version,
      actor: e.actor,
      moved_at: fromIso(e.movedAt),
      event_id: e.eventId,
    }));
    await this.#client.insert({
      table: this.#labels,
      values,
      format: 'JSONEachRow',
      clickhouse_settings: { distributed_foreground_insert: 1 },
    });
  }

  async labelHistory(projectId: string, name: string, label?: string): Promise<LabelEvent[]> {
    const rows = await this.#rows<LabelRow>(
      `SELECT * FROM ${this.#labels}
       WHERE project_id = {p:String} AND name = {n:String} ${label === undefined ? '' : 'AND label = {l:String}'}
       ORDER BY moved_at, event_id`,
      label === undefined ? { p: projectId, n: name } : { p: projectId, n: name, l: label },
    );
    return rows.map((r) => ({
      projectId: r.project_id,
      name: r.name,
      label: r.label,
      version: Number(r.version),
      actor: r.actor,
      movedAt: toIso(r.moved_at),
      eventId: r.event_id,
    }));
  }
}

import { quoteIdent } from '../schema/renderSql.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { checkQueryWindow } from './queryWindow.js';

/**
 * The options every read shares, and their checks. Every value reaches ClickHouse as a
 * `{name:Type}` query parameter; only fixed SQL fragments and validated identifiers (the database
 * name) are composed into the text. Results are plain objects (numbers, strings, ISO-8601 UTC times).
 *
 * @module
 */

/**
 * The project the collector stamps on data it accepts without a key (its `anonymous_project`, default
 * `default`), and so the project a query reads when it names none.
 */
export const DEFAULT_PROJECT = 'default';

/** Common filter of every query. */
export interface PromptQuery {
  /** Prompt name. */
  promptName: string;
  /** Project id (resource `promptline.project.id`). Default `default`, the collector's anonymous project. */
  projectId?: string;
  /** Database. Default `default`. */
  database?: string;
  /** Only this environment (`deployment.environment.name`). Default: all. */
  environment?: string;
  /** Only this label. Default: all. */
  label?: string;
  /** Only this model. Default: all. */
  model?: string;
}

/** A time window `[from, to)`. */
export interface WindowQuery extends PromptQuery {
  from: Date;
  to: Date;
  /**
   * Rows of the raw window edges (≤ 2 h) folded in JS at most; an edge with more rows is folded in
   * SQL with the same histogram maths (same results, bounded memory). Default `50_000`.
   */
  rawEdgeMaxRows?: number;
}

/** Throws {@link QueryOptionsError} unless `promptName` is a non-empty string. */
export function checkPrompt(q: Pick<PromptQuery, 'promptName'>, where = 'query'): void {
  if (typeof q.promptName !== 'string' || q.promptName === '')
    throw new QueryOptionsError(`${where}: promptName is required`);
}

/** Throws {@link QueryOptionsError} unless the prompt is named and `[from, to)` is a valid window. */
export function checkWindow(q: Pick<WindowQuery, 'promptName' | 'from' | 'to'>): void {
  checkQueryWindow('query window', q.from, q.to);
  checkPrompt(q);
}

/** The query's database, back-quoted; a name that is not a plain identifier is a {@link QueryOptionsError}. */
export function queryDatabase(q: Pick<PromptQuery, 'database'>): string {
  try {
    return quoteIdent(q.database ?? 'default', 'database');
  } catch (err) {
    throw new QueryOptionsError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * A query over every prompt of the project (the console's overview): `promptName` is then not
 * filtered on. Internal to the query layer.
 */
export type AnyPromptQuery = WindowQuery & { anyPrompt?: boolean };

/** Filters shared by every segment, as SQL with parameters only. */
export function dimFilter(q: PromptQuery & { anyPrompt?: boolean }, params: Record<string, unknown>): string {
  params.project = q.projectId ?? DEFAULT_PROJECT;
  let sql = 'project_id = {project:String}';
  if (q.anyPrompt !== true) {
    params.prompt = q.promptName;
    sql += ' AND prompt_name = {prompt:String}';
  }
  if (q.environment !== undefined) {
    params.environment = q.environment;
    sql += ' AND environment = {environment:String}';
  }
  if (q.label !== undefined) {
    params.label = q.label;
    sql += ' AND prompt_label = {label:String}';
  }
  if (q.model !== undefined) {
    params.model = q.model;
    sql += ' AND model = {model:String}';
  }
  return sql;
}

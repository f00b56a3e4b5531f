import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_PROJECT, queryDatabase } from '../read/PromptQuery.js';
import { QueryOptionsError } from '../read/QueryOptionsError.js';
import { checkQueryWindow } from '../read/queryWindow.js';
import { select } from '../read/select.js';
import { BASELINE_RULES, baselineRuleSql } from './baselineRules.js';
import type { BaselineRule } from './baselineRules.js';

/**
 * Runs the baseline-relative alert rules (baselineRules.ts) for one project at one instant, as
 * Grafana would, and says which instances fire: `promptline check` and the read API's
 * `/api/v1/checks/baseline`.
 *
 * @module
 */

/** Options of {@link baselineChecks}. */
export interface BaselineChecksQuery {
  projectId?: string;
  database?: string;
  /** The evaluation time. Default: now. */
  now?: Date;
  /** Only this prompt / label. Default: all. */
  promptName?: string;
  label?: string;
}

/** One alert instance: a (prompt, label, environment[, score]) with its value. */
export interface BaselineInstance {
  rule: string;
  metric: BaselineRule['metric'];
  prompt: string;
  label: string;
  environment: string;
  /** The version the label serves now, and the one it served before its last move. */
  version: number;
  baselineVersion: number;
  /** Score name (score rule). */
  score?: string;
  /** The rule's value (see baselineRules.ts) and its threshold; fires when value > threshold. */
  value: number;
  threshold: number;
  firing: boolean;
}

/** Result of {@link baselineChecks}. */
export interface BaselineCheckReport {
  at: string;
  /** Every instance of every rule (one per prompt, label, environment and, for scores, score name). */
  instances: BaselineInstance[];
  firing: BaselineInstance[];
}

/** The tables the rule SQL names, qualified with the query's database. */
const TABLES =
  /\b(prompt_label_events|promptline_label_history|promptline_version_stats_1h|promptline_scores|promptline_span_index|promptline_response_index)\b/g;

/** The rule SQL at `now` for one project: Grafana's macros as parameters, tables in `db`. */
function render(rule: BaselineRule, db: string): string {
  return baselineRuleSql(rule, ' AND project_id = {project:String}')
    .replaceAll('$__toTime', "toDateTime({now:UInt32}, 'UTC')")
    .replaceAll('$__fromTime', "toDateTime({now:UInt32} - 86400, 'UTC')")
    .replace(TABLES, `${db}.$1`);
}

/**
 * Evaluates the baseline rules for a project.
 *
 * @example
 * const report = await baselineChecks(client, { projectId: 'acme' });
 * for (const i of report.firing) console.log(`${i.prompt} ${i.label}: v${i.version} worse than v${i.baselineVersion} (${i.metric})`);
 */
export async function baselineChecks(
  client: ClickHouseClient,
  q: BaselineChecksQuery = {},
): Promise<BaselineCheckReport> {
  const now = q.now ?? new Date();
  checkQueryWindow('baseline checks', new Date(now.getTime() - 1), now);
  for (const [name, v] of [
    ['promptName', q.promptName],
    ['label', q.label],
  ] as const) {
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw new QueryOptionsError(`baseline checks: ${name} must not be empty`);
  }
  const db = queryDatabase(q);
  const params = { project: q.projectId ?? DEFAULT_PROJECT, now: Math.floor(now.getTime() / 1000) };
  const instances: BaselineInstance[] = [];
  // One rule after the other: a check run holds one read in the engine at a time.
  for (const rule of BASELINE_RULES) {
    const rows = await select<Record<string, string | number>>(client, render(rule, db), params);
    for (const r of rows) {
      if (
        (q.promptName !== undefined && r.prompt !== q.promptName) ||
        (q.label !== undefined && r.label !== q.label)
      )
        continue;
      const value = Number(r[rule.valueColumn]);
      instances.push({
        rule: rule.uid,
        metric: rule.metric,
        prompt: String(r.prompt),
        label: String(r.label),
        environment: String(r.environment),
        version: Number(r.version),
        baselineVersion: Number(r.baseline_version),
        ...(r.score === undefined ? {} : { score: String(r.score) }),
        value,
        threshold: rule.threshold,
        firing: value > rule.threshold,
      });
    }
  }
  instances.sort(
    (a, b) =>
      cmp(a.prompt, b.prompt) ||
      cmp(a.label, b.label) ||
      cmp(a.environment, b.environment) ||
      cmp(a.rule, b.rule) ||
      cmp(a.score ?? '', b.score ?? ''),
  );
  return { at: now.toISOString(), instances, firing: instances.filter((i) => i.firing) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

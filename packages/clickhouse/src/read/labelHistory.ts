import type { ClickHouseClient } from '@clickhouse/client';
import { checkPrompt, dimFilter, queryDatabase } from './PromptQuery.js';
import type { PromptQuery } from './PromptQuery.js';
import { isoTime, n, select } from './select.js';
import { versionName } from '../schema/promptVersion.js';

/** When a label was seen pointing at a version (from spans). */
export interface LabelHistoryEntry {
  label: string;
  /** Stored version number (see `VersionMetrics.version`). */
  version: number;
  /** The version as shown: `3`, `2.1.0`, `#a1b2c3d4`. */
  versionName: string;
  environment: string;
  requests: number;
  firstSeen: string;
  lastSeen: string;
}

/**
 * When each label was first / last seen pointing at each version, from spans (not from the
 * registry's label moves), ordered by label then first sighting.
 */
export async function labelHistory(client: ClickHouseClient, q: PromptQuery): Promise<LabelHistoryEntry[]> {
  checkPrompt(q);
  const db = queryDatabase(q);
  const params: Record<string, unknown> = {};
  const filter = dimFilter({ ...q, model: undefined }, params);
  const sql = `SELECT prompt_label, prompt_version, environment, sum(requests) AS requests,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen, max(prompt_version_name) AS version_name
FROM ${db}.promptline_label_history
WHERE ${filter}
GROUP BY prompt_label, prompt_version, environment
ORDER BY prompt_label, first_seen, prompt_version`;
  const rows = await select<{
    prompt_label: string;
    prompt_version: number;
    version_name: string;
    environment: string;
    requests: number;
    first_seen: string;
    last_seen: string;
  }>(client, sql, params);
  return rows.map((r) => ({
    label: r.prompt_label,
    version: n(r.prompt_version),
    versionName: versionName(n(r.prompt_version), r.version_name),
    environment: r.environment,
    requests: n(r.requests),
    firstSeen: isoTime(r.first_seen),
    lastSeen: isoTime(r.last_seen),
  }));
}

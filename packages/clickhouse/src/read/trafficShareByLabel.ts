import type { ClickHouseClient } from '@clickhouse/client';
import { mergedRows } from './mergedRows.js';
import type { Group } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import { checkWindow, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { n } from './select.js';
import { versionName } from '../schema/promptVersion.js';

/** Traffic of one label → version pair in a window. */
export interface LabelShare {
  label: string;
  /** Stored version number (see `VersionMetrics.version`). */
  version: number;
  /** The version as shown: `3`, `2.1.0`, `#a1b2c3d4`. */
  versionName: string;
  requests: number;
  /** requests / all requests of the prompt in the window (0..1). */
  share: number;
}

/**
 * Traffic share by label (and the version each label served) in a window.
 *
 * @example
 * const shares = await trafficShareByLabel(client, { promptName: 'support-reply', from, to });
 */
export async function trafficShareByLabel(client: ClickHouseClient, q: WindowQuery): Promise<LabelShare[]> {
  checkWindow(q);
  const db = queryDatabase(q);
  return toLabelShares(
    await mergedRows(
      client,
      db,
      q,
      ['prompt_label', 'prompt_version'],
      planSegments(q.from.getTime(), q.to.getTime()),
    ),
  );
}

/** Groups keyed by label and version as {@link LabelShare}s, busiest first (shared with the prompt page read). */
export function toLabelShares(groups: readonly Group[]): LabelShare[] {
  const rows = groups
    .map((r) => ({
      prompt_label: String(r.prompt_label),
      prompt_version: n(r.prompt_version as number),
      version_name: r.version_name,
      requests: n(r.requests),
    }))
    .sort((a, b) =>
      b.requests !== a.requests
        ? b.requests - a.requests
        : a.prompt_label !== b.prompt_label
          ? a.prompt_label < b.prompt_label
            ? -1
            : 1
          : a.prompt_version - b.prompt_version,
    );
  const total = rows.reduce((a, r) => a + n(r.requests), 0);
  return rows.map((r) => ({
    label: r.prompt_label,
    version: n(r.prompt_version),
    versionName: versionName(r.prompt_version, r.version_name),
    requests: n(r.requests),
    share: total === 0 ? 0 : n(r.requests) / total,
  }));
}

/**
 * Writes the `promptline-label-moves` group of provisioning/alerting/promptline-alerts.yaml from
 * the single definition of the baseline-relative rules (packages/clickhouse/src/alerts/
 * baselineRules.ts): everything from the group's first line to the end of the file is replaced.
 * test/deploy/grafana-baseline-alerts.test.ts fails when the file differs from what this writes
 * ({@link baselineGroupYaml}).
 *
 *   pnpm grafana:rules   (node --conditions=@promptline/source --import tsx scripts/writeBaselineRules.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { BASELINE_RULES, baselineRuleSql } from '@promptline/clickhouse';

export const FILE = fileURLToPath(
  new URL('../deploy/grafana/provisioning/alerting/promptline-alerts.yaml', import.meta.url),
);
export const GROUP = '  - orgId: 1\n    name: promptline-label-moves\n';

const META: Record<string, { for: string; severity: string; comment: string; summary: string }> = {
  'promptline-baseline-error-rate': {
    for: '10m',
    severity: 'critical',
    comment:
      "Error rate of the version a label serves now (since its last move, at most 24 h) against the version it served in the 24 h before the move, per prompt, label and environment; at least 30 generations a side. Value: lower Wilson bound of now's rate / upper Wilson bound of the baseline's (each one-sided at 0.05%). Fires above 1: the intervals do not overlap.",
    summary:
      '{{ $labels.prompt }} {{ $labels.label }} ({{ $labels.environment }}): v{{ $labels.version }} fails significantly more often than v{{ $labels.baseline_version }} before the move (error-rate bound ratio {{ printf "%.2f" $values.A.Value }})',
  },
  'promptline-baseline-latency-p95': {
    for: '10m',
    severity: 'warning',
    comment:
      "p95 latency of the version a label serves now (since its last move, at most 24 h) against the version it served in the 24 h before the move, per prompt, label and environment; at least 100 generations now. Value: lower order-statistic bound of now's p95 / upper bound of the baseline's (each one-sided at 0.05%, from the histograms). Fires above 1.",
    summary:
      '{{ $labels.prompt }} {{ $labels.label }} ({{ $labels.environment }}): p95 latency of v{{ $labels.version }} is significantly above v{{ $labels.baseline_version }} before the move (bound ratio {{ printf "%.2f" $values.A.Value }})',
  },
  'promptline-baseline-score': {
    for: '15m',
    severity: 'warning',
    comment:
      "Mean of every numeric or boolean score of the version a label serves now (since its last move, at most 24 h) against the version it served in the 24 h before the move, per prompt, label, environment and score; at least 31 scores a side. Value: Welch's t of baseline mean − now mean. Fires above 3.4 (one-sided 0.1% at 30 degrees of freedom).",
    summary:
      '{{ $labels.prompt }} {{ $labels.label }} ({{ $labels.environment }}): {{ $labels.score }} of v{{ $labels.version }} is significantly below v{{ $labels.baseline_version }} before the move (Welch t {{ printf "%.1f" $values.A.Value }})',
  },
};

/** The `promptline-label-moves` group as the file holds it, from its first line to the end. */
export function baselineGroupYaml(): string {
  const out: string[] = [GROUP.trimEnd(), '    folder: Promptline', '    interval: 1m', '    rules:'];
  for (const rule of BASELINE_RULES) {
    const m = META[rule.uid];
    if (m === undefined) throw new Error(`no Grafana metadata for ${rule.uid}`);
    out.push(
      `      # ${m.comment}`,
      `      - uid: ${rule.uid}`,
      `        title: '${rule.title}'`,
      '        condition: C',
      `        for: ${m.for}`,
      '        noDataState: OK',
      '        execErrState: Error',
      '        labels:',
      `          severity: ${m.severity}`,
      '          component: promptline',
      '        annotations:',
      `          summary: '${m.summary}'`,
      '          __dashboardUid__: promptline-version-compare',
      '        data:',
      '          - refId: A',
      '            relativeTimeRange:',
      '              from: 86400',
      '              to: 0',
      '            datasourceUid: promptline-clickhouse',
      '            model:',
      '              refId: A',
      '              editorType: sql',
      '              format: 1',
      '              queryType: table',
      '              intervalMs: 60000',
      '              maxDataPoints: 43200',
      '              rawSql: |',
      ...baselineRuleSql(rule)
        .split('\n')
        .map((line) => (line === '' ? '' : `                ${line}`)),
      '          - refId: C',
      '            datasourceUid: __expr__',
      '            model:',
      '              refId: C',
      '              type: threshold',
      '              expression: A',
      '              conditions:',
      '                - evaluator:',
      '                    type: gt',
      `                    params: [${rule.threshold}]`,
    );
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = readFileSync(FILE, 'utf8');
  const at = text.indexOf(GROUP);
  const head = at === -1 ? `${text.trimEnd()}\n` : text.slice(0, at);
  writeFileSync(FILE, `${head}${baselineGroupYaml()}`);
  process.stdout.write(`wrote ${BASELINE_RULES.length} baseline rules to ${FILE}\n`);
}

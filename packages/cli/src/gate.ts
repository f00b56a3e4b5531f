import type { MetricComparison, RegressionReport } from '@promptline/clickhouse';

import { CliError } from './CliError.js';
import { versionLabel } from './metricsReport.js';

/**
 * Deploy gates: `compare … --fail-on worse` and `regressions … --fail-on regression` exit 1 when
 * the verdicts say so (0 otherwise, 2 on usage errors), so a CD job can check a label move against
 * production data. `untested` also fails when there was nothing to judge — without it, a gate run
 * before any traffic arrived would pass.
 */

/** What `compare --fail-on` accepts. */
export const COMPARE_FAIL_ON = ['worse', 'changed', 'untested'] as const;
/** What `regressions --fail-on` accepts. */
export const REGRESSIONS_FAIL_ON = ['regression', 'untested'] as const;

/** The gate's decision, as `--json` prints it under `gate`. */
export interface GateResult {
  failOn: string[];
  failed: boolean;
  /** Why it failed (one line each); empty when it passed. */
  reasons: string[];
}

/** `--fail-on a,b` parsed against the allowed values, or a usage error (exit 2) naming them. */
export function parseFailOn<T extends string>(text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((x) => x.trim());
  const bad = items.filter((x) => !(allowed as readonly string[]).includes(x));
  if (items.length === 0 || bad.length > 0 || text.trim() === '') {
    throw new CliError(
      `--fail-on "${text}": expected one or more of ${allowed.join(', ')} (comma-separated)`,
      {
        exitCode: 2,
      },
    );
  }
  return [...new Set(items as T[])];
}

const tested = (m: MetricComparison): boolean => m.p !== null;

/**
 * `compare`: `worse` fails when any metric's verdict is `worse`, `changed` when a categorical score
 * changed, `untested` when no metric could be tested (too little data on a side).
 */
export function compareGate(
  metrics: readonly MetricComparison[],
  failOn: ReadonlyArray<(typeof COMPARE_FAIL_ON)[number]>,
): GateResult {
  const reasons: string[] = [];
  const named = (verdict: string): string[] =>
    metrics.filter((m) => m.verdict === verdict).map((m) => m.metric);
  if (failOn.includes('worse') && named('worse').length > 0)
    reasons.push(`worse: ${named('worse').join(', ')}`);
  if (failOn.includes('changed') && named('changed').length > 0)
    reasons.push(`changed: ${named('changed').join(', ')}`);
  if (failOn.includes('untested') && !metrics.some(tested))
    reasons.push('untested: no metric had enough data');
  return { failOn: [...failOn], failed: reasons.length > 0, reasons };
}

/**
 * `regressions`: judged on each environment's most recent move in the window (a roll-back after a
 * regression is the fix, not a failure). `regression` fails when that move has a metric `worse`;
 * `untested` when no move was found or the most recent one had no metric with enough data.
 */
export function regressionsGate(
  report: RegressionReport,
  failOn: ReadonlyArray<(typeof REGRESSIONS_FAIL_ON)[number]>,
): GateResult {
  const latest = new Map<string, RegressionReport['moves'][number]>();
  for (const move of report.moves) {
    const seen = latest.get(move.environment);
    if (seen === undefined || Date.parse(move.at) >= Date.parse(seen.at)) latest.set(move.environment, move);
  }
  const reasons: string[] = [];
  const where = (env: string): string => (env === '' ? '' : ` (${env})`);
  for (const move of latest.values()) {
    const from = versionLabel({ version: move.fromVersion, versionName: move.fromVersionName });
    const to = versionLabel({ version: move.toVersion, versionName: move.toVersionName });
    const what = `${from} → ${to} at ${move.at}${where(move.environment)}`;
    if (failOn.includes('regression') && move.regressions.length > 0)
      reasons.push(`regression: ${what}: ${move.regressions.join(', ')}`);
    if (failOn.includes('untested') && !move.metrics.some(tested))
      reasons.push(`untested: ${what}: no metric had enough data`);
  }
  if (failOn.includes('untested') && latest.size === 0)
    reasons.push(`untested: no move of "${report.label}" in the window`);
  return { failOn: [...failOn], failed: reasons.length > 0, reasons };
}

/** Ends the command with exit code 1 when the gate failed, naming why. */
export function enforceGate(gate: GateResult | undefined): void {
  if (gate?.failed !== true) return;
  throw new CliError(`--fail-on ${gate.failOn.join(',')}: ${gate.reasons.join('; ')}`, { exitCode: 1 });
}

import type { Command } from 'commander';
import { resolveVersion, versionArgument } from '@promptline/clickhouse';
import type { VersionComparison } from '@promptline/clickhouse';

import { CliError } from '../CliError.js';
import { renderComparisonTable } from '../comparisonTable.js';
import { versionLabel } from '../metricsReport.js';
import { COMPARE_FAIL_ON, compareGate, enforceGate, parseFailOn } from '../gate.js';
import type { GateResult } from '../gate.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { readSourceOptions } from '../sources/sourceOptions.js';
import { parseDuration } from '../duration.js';
import { resolveProject } from '../settings.js';
import { openSource } from './metrics.js';
import type { MetricsCommandOptions } from './metrics.js';

interface CompareCommandOptions extends MetricsCommandOptions {
  environment?: string;
  label?: string;
  sampleLimit?: string;
  minSamples?: string;
  alpha?: string;
  failOn?: string;
}

/** What `promptline compare --json` prints: the comparison plus where it was read (and the gate, with --fail-on). */
export interface CompareReport extends VersionComparison {
  source: string;
  gate?: GateResult;
}

/** A positive integer option or argument, or a CliError naming it. */
export function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new CliError(`${name} "${text}" must be a positive whole number`, { exitCode: 2 });
  }
  return n;
}

/**
 * A version argument as typed (`3`, `v3`, `2.1.0`, `2.2.0-rc1`, `#a1b2c3d4`, or a stored id from
 * `metrics --json`), or a CliError (exit code 2) saying why it is not a version.
 */
export function versionArg(text: string, name: string): number | string {
  const version = versionArgument(text);
  try {
    resolveVersion(version, name);
  } catch (error) {
    throw new CliError((error as Error).message, { exitCode: 2 });
  }
  return version;
}

/** An alpha in (0, 1), or a CliError. */
export function alphaOption(text: string): number {
  const a = Number(text);
  if (!(a > 0 && a < 1)) throw new CliError(`--alpha "${text}" must be between 0 and 1`, { exitCode: 2 });
  return a;
}

/** The numeric test options shared by compare and regressions, parsed. */
export function testOptions(opts: { sampleLimit?: string; minSamples?: string; alpha?: string }): {
  sampleLimit?: number;
  minSamples?: number;
  alpha?: number;
} {
  return {
    ...(opts.sampleLimit === undefined
      ? {}
      : { sampleLimit: positiveInt(opts.sampleLimit, '--sample-limit') }),
    ...(opts.minSamples === undefined ? {} : { minSamples: positiveInt(opts.minSamples, '--min-samples') }),
    ...(opts.alpha === undefined ? {} : { alpha: alphaOption(opts.alpha) }),
  };
}

/** Declares the data-source and test options shared with `metrics` / `regressions`. */
export function sourceAndTestOptions(command: Command): Command {
  return readSourceOptions(command)
    .option('--environment <name>', 'only this deployment environment')
    .option('--sample-limit <n>', 'values read per version and sampled metric (default 5000)')
    .option('--min-samples <n>', 'fewer values on a side → "insufficient data" (default 20)')
    .option('--alpha <a>', 'family-wise significance level after Holm–Bonferroni (default 0.05)')
    .option('--json', 'print the report as JSON (stable shape, see the README)');
}

async function runCompare(
  baselineText: string,
  candidateText: string,
  opts: CompareCommandOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { out, env } = ctx;
  if (opts.prompt.trim() === '') throw new CliError('--prompt must name a prompt', { exitCode: 2 });
  const baseline = versionArg(baselineText, 'baseline version');
  const candidate = versionArg(candidateText, 'candidate version');
  const windowMs = parseDuration(opts.since);
  const tests = testOptions(opts);
  const failOn = opts.failOn === undefined ? undefined : parseFailOn(opts.failOn, COMPARE_FAIL_ON);
  const to = new Date();
  const from = new Date(to.getTime() - windowMs);
  const source = await openSource(opts, global, ctx);
  let report: CompareReport;
  let project: string;
  try {
    const comparison = await source.compare({
      projectId: resolveProject(opts.project, env).value,
      promptName: opts.prompt,
      baseline,
      candidate,
      from,
      to,
      ...tests,
      ...(opts.environment === undefined ? {} : { environment: opts.environment }),
      ...(opts.label === undefined ? {} : { label: opts.label }),
    });
    ({ project, ...report } = { ...comparison, source: source.name });
  } finally {
    await source.close();
  }
  const baseName = versionLabel({ version: report.baseline, versionName: report.baselineName });
  const candName = versionLabel({ version: report.candidate, versionName: report.candidateName });
  if (failOn !== undefined) report.gate = compareGate(report.metrics, failOn);
  if (report.baselineGenerations === 0 && report.candidateGenerations === 0) {
    out.note(
      `no generations of ${baseName} or ${candName} of "${opts.prompt}" in project "${project}" in the last ${opts.since}` +
        ' (wrong --project? `promptline metrics --prompt NAME` lists the versions)',
    );
  }
  if (opts.json === true) {
    out.json(report);
    enforceGate(report.gate);
    return;
  }
  out.line(
    `prompt ${report.prompt}: ${baseName} (baseline, ${report.baselineGenerations} calls) vs ${candName} ` +
      `(candidate, ${report.candidateGenerations} calls) — last ${opts.since} (${report.from} → ${report.to}) — ${source.name}`,
  );
  for (const row of renderComparisonTable(report.metrics)) out.line(row);
  out.line(
    `verdicts at α=${report.alpha} after Holm–Bonferroni; samples capped at ${report.sampleLimit} per version; ` +
      `"insufficient data" below ${report.minSamples} values`,
  );
  enforceGate(report.gate);
}

/** `promptline compare`: statistical comparison of two versions of a prompt. */
export const register = (program: Command, ctx: CliContext): void => {
  const command = program
    .command('compare')
    .description(
      'compare two versions of a prompt: latency, TTFT, tokens, cost, error rate and scores, with significance tests',
    )
    .argument(
      '<baseline>',
      'baseline version as sent (3, v3, 2.1.0, #a1b2c3d4), e.g. the one production served before',
    )
    .argument('<candidate>', 'candidate version (2.2.0-rc1, 4, …)')
    .requiredOption('--prompt <name>', 'prompt name')
    .option('--since <window>', 'time window ending now: 30m, 24h, 7d, …', '7d')
    .option('--label <label>', 'only generations served under this label')
    .option(
      '--fail-on <verdicts>',
      'exit 1 when a verdict says so: worse, changed, untested (comma-separated); 0 otherwise, 2 on usage errors',
    );
  sourceAndTestOptions(command).action(
    async (baseline: string, candidate: string, opts: CompareCommandOptions, cmd: Command) => {
      await runCompare(baseline, candidate, opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
    },
  );
};

import type { Command } from 'commander';
import type { RegressionReport } from '@promptline/clickhouse';

import { CliError } from '../CliError.js';
import { renderComparisonTable } from '../comparisonTable.js';
import { versionLabel } from '../metricsReport.js';
import { enforceGate, parseFailOn, REGRESSIONS_FAIL_ON, regressionsGate } from '../gate.js';
import type { GateResult } from '../gate.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { parseDuration } from '../duration.js';
import { resolveProject } from '../settings.js';
import { positiveInt, sourceAndTestOptions, testOptions } from './compare.js';
import { openSource } from './metrics.js';
import type { MetricsCommandOptions } from './metrics.js';

interface RegressionsCommandOptions extends MetricsCommandOptions {
  label: string;
  environment?: string;
  sampleLimit?: string;
  minSamples?: string;
  alpha?: string;
  maxWindow: string;
  maxMoves?: string;
  failOn?: string;
}

/** What `promptline regressions --json` prints (and the gate, with --fail-on). */
export interface RegressionsCliReport extends RegressionReport {
  source: string;
  gate?: GateResult;
}

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

async function runRegressions(
  opts: RegressionsCommandOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { out, env } = ctx;
  if (opts.prompt.trim() === '') throw new CliError('--prompt must name a prompt', { exitCode: 2 });
  if (opts.label.trim() === '') throw new CliError('--label must name a label', { exitCode: 2 });
  const windowMs = parseDuration(opts.since);
  const maxWindowMs = parseDuration(opts.maxWindow, '--max-window');
  const tests = testOptions(opts);
  const maxMoves = opts.maxMoves === undefined ? undefined : positiveInt(opts.maxMoves, '--max-moves');
  const failOn = opts.failOn === undefined ? undefined : parseFailOn(opts.failOn, REGRESSIONS_FAIL_ON);
  const to = new Date();
  const from = new Date(to.getTime() - windowMs);
  const source = await openSource(opts, global, ctx);
  let report: RegressionsCliReport;
  let project: string;
  try {
    const found = await source.regressions({
      projectId: resolveProject(opts.project, env).value,
      promptName: opts.prompt,
      label: opts.label,
      from,
      to,
      maxWindowMs,
      ...tests,
      ...(maxMoves === undefined ? {} : { maxMoves }),
      ...(opts.environment === undefined ? {} : { environment: opts.environment }),
    });
    ({ project, ...report } = { ...found, source: source.name });
  } finally {
    await source.close();
  }
  if (failOn !== undefined) report.gate = regressionsGate(report, failOn);
  if (opts.json === true) {
    out.json(report);
    enforceGate(report.gate);
    return;
  }
  const head = `prompt ${report.prompt}, label ${report.label} — last ${opts.since} (${report.from} → ${report.to}) — ${source.name}`;
  out.line(head);
  if (report.moves.length === 0) {
    out.line(`no moves of label "${report.label}" in the window (project "${project}")`);
    enforceGate(report.gate);
    return;
  }
  out.line(
    report.moveSource === 'registry'
      ? "moves from the prompt registry's label log (exact time, who moved it)"
      : 'moves from spans (the second in which another version became the label’s main version; the registry has no moves of this label)',
  );
  if (report.movesFound > report.moves.length) {
    out.note(
      `${report.movesFound} moves found; showing the ${report.moves.length} most recent (--max-moves)`,
    );
  }
  for (const move of report.moves) {
    const length = Date.parse(move.after.to) - Date.parse(move.after.from);
    out.line('');
    out.line(
      `${report.label} moved ${versionLabel({ version: move.fromVersion, versionName: move.fromVersionName })} → ` +
        `${versionLabel({ version: move.toVersion, versionName: move.toVersionName })} at ${move.at}` +
        `${move.actor === null ? '' : ` by ${move.actor}`}` +
        `${move.environment === '' ? '' : ` (${move.environment})`}; ${duration(length)} before vs after: ` +
        `${move.before.generations} vs ${move.after.generations} calls`,
    );
    for (const row of renderComparisonTable(move.metrics)) out.line(row);
    out.line(
      move.regressions.length === 0 ? 'no regressions' : `REGRESSIONS: ${move.regressions.join(', ')}`,
    );
  }
  const total = report.moves.reduce((a, m) => a + m.regressions.length, 0);
  out.line('');
  out.line(
    `${report.moves.length} move(s), ${total} regression(s) at α=${report.alpha} after Holm–Bonferroni per move`,
  );
  enforceGate(report.gate);
}

/** `promptline regressions`: significant regressions after each move of a label. */
export const register = (program: Command, ctx: CliContext): void => {
  const command = program
    .command('regressions')
    .description(
      'find label moves of a prompt and test the new version right after each move against the old one right before',
    )
    .requiredOption('--prompt <name>', 'prompt name')
    .option('--label <label>', 'label whose moves are examined', 'production')
    .option('--since <window>', 'moves in this window ending now: 24h, 7d, …', '7d')
    .option('--max-window <window>', 'longest before/after window per move', '24h')
    .option('--max-moves <n>', 'most recent moves examined (default 20)')
    .option(
      '--fail-on <conditions>',
      "exit 1 when each environment's latest move shows: regression, untested (comma-separated); 0 otherwise, 2 on usage errors",
    );
  sourceAndTestOptions(command).action(async (opts: RegressionsCommandOptions, cmd: Command) => {
    await runRegressions(opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
  });
};

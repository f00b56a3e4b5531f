import type { Command } from 'commander';
import type { BaselineCheckReport } from '@promptline/clickhouse';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { readSourceOptions } from '../sources/sourceOptions.js';
import { formatTable } from '../metricsReport.js';
import { openSource } from './metrics.js';
import type { MetricsCommandOptions } from './metrics.js';

interface CheckCommandOptions extends Pick<
  MetricsCommandOptions,
  'clickhouse' | 'collector' | 'apiKey' | 'project'
> {
  prompt?: string;
  label?: string;
  at?: string;
  json?: boolean;
}

/** What `promptline check --json` prints. */
export interface CheckReport extends BaselineCheckReport {
  project: string;
  source: string;
}

const METRIC: Record<string, string> = {
  error_rate: 'error rate',
  latency_p95: 'p95 latency',
  score: 'score',
};

const MEANING: Record<string, string> = {
  error_rate: 'error-rate bound ratio (> 1: worse)',
  latency_p95: 'p95 bound ratio (> 1: slower)',
  score: 'Welch t of the drop (> 3.4: worse)',
};

async function runCheck(opts: CheckCommandOptions, global: GlobalOptions, ctx: CliContext): Promise<void> {
  const { out } = ctx;
  for (const [name, v] of [
    ['--prompt', opts.prompt],
    ['--label', opts.label],
  ] as const) {
    if (v !== undefined && v.trim() === '') throw new CliError(`${name} must not be empty`, { exitCode: 2 });
  }
  const at = opts.at === undefined ? new Date() : new Date(opts.at);
  if (Number.isNaN(at.getTime()))
    throw new CliError(`--at "${opts.at}" is not a time (ISO-8601, e.g. 2026-11-20T12:00:00Z)`, {
      exitCode: 2,
    });
  const source = await openSource(opts, global, ctx);
  let report: CheckReport;
  try {
    const checked = await source.baselineChecks({
      now: at,
      ...(opts.prompt === undefined ? {} : { promptName: opts.prompt }),
      ...(opts.label === undefined ? {} : { label: opts.label }),
    });
    report = { ...checked, source: source.name };
  } finally {
    await source.close();
  }
  if (opts.json === true) {
    out.json(report);
  } else {
    out.line(
      `label moves of project "${report.project}" checked at ${report.at} against the version each label served before its last move — ${source.name}`,
    );
    if (report.instances.length === 0) {
      out.line('nothing to check: no label moved in the last 7 days with enough traffic on both sides');
    } else {
      const rows = report.instances.map((i) => [
        i.prompt,
        i.label,
        i.environment === '' ? '–' : i.environment,
        `v${i.baselineVersion} → v${i.version}`,
        i.score === undefined ? METRIC[i.metric]! : `score ${i.score}`,
        i.value.toFixed(2),
        MEANING[i.metric]!,
        i.firing ? 'WORSE' : 'ok',
      ]);
      for (const line of formatTable(
        ['prompt', 'label', 'environment', 'move', 'metric', 'value', 'meaning', 'state'],
        rows,
        new Set([5]),
      ))
        out.line(line);
    }
  }
  if (report.firing.length > 0) {
    const what = report.firing.map(
      (i) => `${i.prompt} ${i.label} v${i.version} ${i.score ?? METRIC[i.metric]}`,
    );
    throw new CliError(`significantly worse than before the move: ${what.join('; ')}`, { exitCode: 1 });
  }
}

/** `promptline check`: the baseline-relative alert rules, evaluated now (exit 1 when one fires). */
export const register = (program: Command, ctx: CliContext): void => {
  const declared = program
    .command('check')
    .description(
      'check every label that moved in the last 7 days: is the version it serves now significantly worse (error rate, p95 latency, scores) than the one before? exit 1 if so',
    )
    .option('--prompt <name>', 'only this prompt')
    .option('--label <label>', 'only this label')
    .option('--at <time>', 'evaluate at this time (ISO-8601; default now)')
    .option('--json', 'print the report as JSON (stable shape, see the README)');
  readSourceOptions(declared).action(async (opts: CheckCommandOptions, command: Command) => {
    await runCheck(opts, command.optsWithGlobals<GlobalOptions>(), ctx);
  });
};

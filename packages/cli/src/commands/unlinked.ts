import type { Command } from 'commander';
import type { UnlinkedCount } from '@promptline/clickhouse';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { readSourceOptions } from '../sources/sourceOptions.js';
import { parseDuration } from '../duration.js';
import { formatTable, UNLINKED_REASON_TEXT } from '../metricsReport.js';
import { openSource } from './metrics.js';
import type { MetricsCommandOptions } from './metrics.js';

interface UnlinkedCommandOptions extends Omit<MetricsCommandOptions, 'prompt'> {
  prompt?: string;
}

/** What `promptline unlinked --json` prints. */
export interface UnlinkedReport {
  project: string;
  /** Window start and end, ISO-8601 UTC. */
  from: string;
  to: string;
  source: string;
  /** Per reason and prompt name, most first. */
  unlinked: UnlinkedCount[];
}

/** What a user can do about each reason. */
const FIX: Record<string, string> = {
  fallback: 'the registry was unreachable and the caller served its fallback prompt',
  no_prompt_name: 'set gen_ai.prompt.name on the generation span',
  no_version: 'set gen_ai.prompt.version (or a template / promptline.prompt.hash for an implicit version)',
  unparsable_version: 'gen_ai.prompt.version was 0, longer than 128 characters or held control characters',
};

async function runUnlinked(
  opts: UnlinkedCommandOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { out } = ctx;
  if (opts.prompt !== undefined && opts.prompt.trim() === '')
    throw new CliError('--prompt must name a prompt', { exitCode: 2 });
  const windowMs = parseDuration(opts.since);
  const to = new Date();
  const from = new Date(to.getTime() - windowMs);
  const source = await openSource(opts, global, ctx);
  let report: UnlinkedReport;
  try {
    const found = await source.unlinked({
      from,
      to,
      ...(opts.prompt === undefined ? {} : { prompt: opts.prompt }),
    });
    report = {
      project: found.project,
      from: from.toISOString(),
      to: to.toISOString(),
      source: source.name,
      unlinked: found.unlinked,
    };
  } finally {
    await source.close();
  }
  if (opts.json === true) {
    out.json(report);
    return;
  }
  const scope = opts.prompt === undefined ? `project ${report.project}` : `prompt ${opts.prompt}`;
  if (report.unlinked.length === 0) {
    out.line(
      `every generation of ${scope} in the last ${opts.since} is linked to a prompt version (${source.name})`,
    );
    return;
  }
  const total = report.unlinked.reduce((a, u) => a + u.generations, 0);
  out.line(
    `${total} generations of ${scope} linked to no prompt version — last ${opts.since} — ${source.name}`,
  );
  const rows = report.unlinked.map((u) => [
    UNLINKED_REASON_TEXT[u.reason] ?? u.reason,
    u.promptName === '' ? '–' : u.promptName,
    String(u.generations),
    u.lastSeen.replace('T', ' ').slice(0, 16),
  ]);
  for (const line of formatTable(['reason', 'prompt', 'calls', 'last seen'], rows, new Set([2])))
    out.line(line);
  for (const reason of new Set(report.unlinked.map((u) => u.reason)))
    out.line(`${UNLINKED_REASON_TEXT[reason] ?? reason}: ${FIX[reason] ?? ''}`);
}

/** `promptline unlinked`: generations that count towards no prompt version, and why. */
export const register = (program: Command, ctx: CliContext): void => {
  const declared = program
    .command('unlinked')
    .description(
      'generations linked to no prompt version, per reason and prompt (fallbacks, missing or bad versions)',
    )
    .option('--prompt <name>', 'only generations naming this prompt')
    .option('--since <window>', 'time window ending now: 30m, 24h, 7d, …', '24h')
    .option('--json', 'print the report as JSON');
  readSourceOptions(declared).action(async (opts: UnlinkedCommandOptions, command: Command) => {
    await runUnlinked(opts, command.optsWithGlobals<GlobalOptions>(), ctx);
  });
};

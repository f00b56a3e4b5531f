import type { Command } from 'commander';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { readSourceOptions } from '../sources/sourceOptions.js';
import { parseDuration } from '../duration.js';
import { EngineLockedError, openEngine } from '../engine.js';
import type { MetricsReport } from '../metricsReport.js';
import { renderBreakdownTable, renderMetricsTable } from '../metricsReport.js';
import { collectorSource } from '../sources/collectorSource.js';
import { clickhouseSource } from '../sources/clickhouseSource.js';
import type { MetricsSource } from '../sources/MetricsSource.js';
import {
  resolveApiKey,
  resolveClickHouseUrl,
  resolveCollectorUrl,
  resolveEngineDir,
  resolveHome,
  resolveProject,
} from '../settings.js';
import { readCollectorState } from '../stateFile.js';

export interface MetricsCommandOptions {
  prompt: string;
  since: string;
  json?: boolean;
  by?: string;
  top?: string;
  passScore?: string;
  clickhouse?: string;
  collector?: string;
  apiKey?: string;
  project?: string;
}

/**
 * Picks the source: an explicit collector URL, else an explicit ClickHouse URL, else the embedded
 * engine in the data directory — or, when a running collector holds that directory, that collector.
 */
export async function openSource(
  opts: Pick<MetricsCommandOptions, 'clickhouse' | 'collector' | 'apiKey' | 'project'>,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<MetricsSource> {
  const { env, out } = ctx;
  const collectorUrl = resolveCollectorUrl(opts.collector, env);
  const apiKey = resolveApiKey(opts.apiKey, env)?.value;
  if (collectorUrl !== undefined) {
    if (apiKey === undefined) {
      throw new CliError('reading through a collector needs an API key with the read scope', {
        hint: 'pass --api-key KEY or set PROMPTLINE_API_KEY (`promptline up` prints one)',
        exitCode: 2,
      });
    }
    return collectorSource(collectorUrl.value, apiKey);
  }
  const project = resolveProject(opts.project, env).value;
  const clickhouseUrl = resolveClickHouseUrl(opts.clickhouse, env);
  if (clickhouseUrl !== undefined) {
    const client = await openEngine({ clickhouseUrl: clickhouseUrl.value, engineDir: '', create: false });
    return clickhouseSource(client, `clickhouse:${clickhouseUrl.value}`, { projectId: project });
  }
  const home = resolveHome(global.dir, env).value;
  const engineDir = resolveEngineDir(global.dir, env);
  const running = await readCollectorState(home);
  if (running?.clickhouseUrl !== undefined) {
    // That collector writes to a ClickHouse server: read it directly, as it does not hold a lock.
    const client = await openEngine({ clickhouseUrl: running.clickhouseUrl, engineDir: '', create: false });
    return clickhouseSource(client, `clickhouse:${running.clickhouseUrl}`, { projectId: project });
  }
  if (running !== undefined) {
    out.note(
      `reading through the collector at ${running.url} (pid ${running.pid}), which holds ${engineDir}`,
    );
    return collectorSource(running.url, apiKey ?? running.readKey);
  }
  try {
    const client = await openEngine({ engineDir, create: false });
    return clickhouseSource(client, `embedded:${engineDir}`, { projectId: project });
  } catch (error) {
    if (!(error instanceof EngineLockedError)) throw error;
    // The lock holder may have started between our two looks: one more look at its state file.
    const late = await readCollectorState(home);
    if (late === undefined) throw error;
    out.note(`${engineDir} is locked by the running collector at ${late.url}; reading through its HTTP API`);
    return collectorSource(late.url, apiKey ?? late.readKey);
  }
}

async function runMetrics(
  opts: MetricsCommandOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { out } = ctx;
  const windowMs = parseDuration(opts.since);
  if (opts.prompt.trim() === '') throw new CliError('--prompt must name a prompt', { exitCode: 2 });
  if (opts.by !== undefined && opts.by.trim() === '')
    throw new CliError('--by must name a dimension or an attribute', { exitCode: 2 });
  if (opts.top !== undefined && opts.by === undefined)
    throw new CliError('--top needs --by', { exitCode: 2 });
  const top = opts.top === undefined ? undefined : topOption(opts.top);
  if (opts.passScore !== undefined && opts.passScore.trim() === '')
    throw new CliError('--pass-score must name a boolean score', { exitCode: 2 });
  const to = new Date();
  const from = new Date(to.getTime() - windowMs);
  const source = await openSource(opts, global, ctx);
  let report: MetricsReport;
  try {
    const query = {
      prompt: opts.prompt,
      from,
      to,
      ...(opts.passScore === undefined ? {} : { passScore: opts.passScore }),
    };
    const versions = await source.versionMetrics(query);
    const { unlinked } = await source.unlinked({ prompt: opts.prompt, from, to });
    const byReason = new Map<string, number>();
    for (const u of unlinked) byReason.set(u.reason, (byReason.get(u.reason) ?? 0) + u.generations);
    report = {
      prompt: opts.prompt,
      from: from.toISOString(),
      to: to.toISOString(),
      source: source.name,
      versions,
      unlinked: [...byReason].map(([reason, generations]) => ({ reason, generations })),
      ...(opts.passScore === undefined ? {} : { passScore: opts.passScore }),
    };
    if (opts.by !== undefined) {
      report.breakdown = await source.breakdown({
        ...query,
        by: opts.by,
        ...(top === undefined ? {} : { top }),
      });
    }
  } finally {
    await source.close();
  }
  if (opts.json === true) {
    out.json(report);
    return;
  }
  if (report.versions.length === 0 && report.unlinked.length === 0) {
    out.line(`no generations for prompt "${opts.prompt}" in the last ${opts.since} (${source.name})`);
    return;
  }
  out.line(`prompt ${report.prompt} — last ${opts.since} (${report.from} → ${report.to}) — ${source.name}`);
  for (const row of renderMetricsTable(report)) out.line(row);
  const b = report.breakdown;
  if (b !== undefined) {
    out.line('');
    const pooled = b.other === null ? '' : `, ${b.other.values} more pooled`;
    out.line(`by ${b.by} (read from ${b.readFrom}; top ${b.values.length} values${pooled}):`);
    for (const row of renderBreakdownTable(b)) out.line(row);
  }
}

/** `--top`: 1…100 values. */
function topOption(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > 100)
    throw new CliError(`--top "${text}" must be a whole number from 1 to 100`, { exitCode: 2 });
  return n;
}

/** `promptline metrics`: per-version metrics of one prompt over a window. */
export const register = (program: Command, ctx: CliContext): void => {
  const declared = program
    .command('metrics')
    .description(
      'per-version metrics of a prompt: calls, errors, latency, TTFT, tokens, cost (per call, per pass), score distributions, with 95% intervals',
    )
    .requiredOption('--prompt <name>', 'prompt name')
    .option('--since <window>', 'time window ending now: 30m, 24h, 7d, …', '24h')
    .option('--json', 'print the report as JSON (stable shape, see the README)')
    .option(
      '--by <dimension>',
      'also per value of: model, environment, label, provider, service, experiment, arm, error_type, or a span/resource attribute key',
    )
    .option('--top <n>', 'with --by: values listed, the rest pooled (default 10, at most 100)')
    .option(
      '--pass-score <name>',
      'cost per pass counts this boolean score true (default: validation passed)',
    );
  readSourceOptions(declared).action(async (opts: MetricsCommandOptions, command: Command) => {
    await runMetrics(opts, command.optsWithGlobals<GlobalOptions>(), ctx);
  });
};

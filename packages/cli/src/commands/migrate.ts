import { migrate } from '@promptline/clickhouse';
import type { Command } from 'commander';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { EngineLockedError, openEngine } from '../engine.js';
import { environmentHelp } from '../environment.js';
import { resolveClickHouseUrl, resolveEngineDir, resolveHome } from '../settings.js';
import { readCollectorState } from '../stateFile.js';

interface MigrateCommandOptions {
  clickhouse?: string;
  database?: string;
  cluster?: string;
  ttlDays?: string;
  createSchema: boolean;
}

function parseTtl(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const days = Number(text);
  if (!Number.isInteger(days) || days < 0) {
    throw new CliError(`--ttl-days "${text}" must be a whole number of days (0 keeps data forever)`, {
      exitCode: 2,
    });
  }
  return days;
}

async function runMigrate(
  opts: MigrateCommandOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { out, env } = ctx;
  const home = resolveHome(global.dir, env).value;
  const engineDir = resolveEngineDir(global.dir, env);
  const url = resolveClickHouseUrl(opts.clickhouse, env)?.value;
  const ttlDays = parseTtl(opts.ttlDays);
  const where = url ?? `the embedded engine in ${engineDir}`;

  const opening = out.progress(`opening ${where}`);
  let client;
  try {
    client = await openEngine({ clickhouseUrl: url, engineDir, create: true });
    opening.done();
  } catch (error) {
    opening.fail();
    if (error instanceof EngineLockedError) {
      const running = await readCollectorState(home);
      if (running !== undefined) {
        throw new CliError(
          `the collector at ${running.url} (pid ${running.pid}) holds ${engineDir}; it ran the migrations when it started`,
          { hint: 'nothing to do while it runs; stop it (Ctrl-C) to run `promptline migrate` by hand' },
        );
      }
    }
    throw error;
  }
  const applying = out.progress('applying migrations');
  try {
    const result = await migrate(client, {
      database: opts.database,
      cluster: opts.cluster,
      ttlDays,
      createSchema: opts.createSchema,
    });
    applying.done();
    out.line(
      `migrations: ${result.applied.length} applied${result.applied.length > 0 ? ` (${result.applied.join(', ')})` : ''}, ` +
        `${result.alreadyApplied.length} already applied, ${result.skipped.length} skipped`,
    );
    if (result.changed.length > 0) {
      out.warn(
        `migration(s) ${result.changed.join(', ')} now create something other than when they were applied ` +
          '(the file, or a fragment it expands, changed); they were not re-run',
      );
    }
  } catch (error) {
    applying.fail();
    throw new CliError(error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    await client.close();
  }
}

/** `promptline migrate`: create or upgrade the schema on the embedded engine or a server. */
export const register = (program: Command, ctx: CliContext): void => {
  program
    .command('migrate')
    .description('create or upgrade the Promptline schema (idempotent)')
    .option(
      '--clickhouse <url>',
      'ClickHouse server URL (env PROMPTLINE_CLICKHOUSE_URL; default: embedded engine)',
    )
    .option('--database <name>', 'target database', 'default')
    .option('--cluster <name>', 'render ON CLUSTER / Replicated / Distributed variants for this cluster')
    .option('--ttl-days <days>', 'row TTL in days for raw tables (0 keeps data forever)')
    .option('--no-create-schema', 'do not create otel_traces/otel_logs (an upstream collector created them)')
    .addHelpText(
      'after',
      environmentHelp([
        'PROMPTLINE_HOME',
        'PROMPTLINE_DATA_DIR',
        'PROMPTLINE_CLICKHOUSE_URL',
        'PROMPTLINE_CLICKHOUSE_USER',
        'PROMPTLINE_CLICKHOUSE_PASSWORD',
      ]),
    )
    .action(async (opts: MigrateCommandOptions, command: Command) => {
      await runMigrate(opts, command.optsWithGlobals<GlobalOptions>(), ctx);
    });
};

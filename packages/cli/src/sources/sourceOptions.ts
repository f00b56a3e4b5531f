import type { Command } from 'commander';

import { environmentHelp, READ_SOURCE_VARIABLES } from '../environment.js';

/**
 * Declares where a read command takes its data from (`--clickhouse`, `--collector`, `--api-key`,
 * `--project`) and lists the variables behind them in `--help`: one wording for every read command.
 */
export function readSourceOptions(command: Command): Command {
  return command
    .option('--clickhouse <url>', 'read a ClickHouse server directly (env PROMPTLINE_CLICKHOUSE_URL)')
    .option('--collector <url>', 'read through a running collector (env PROMPTLINE_COLLECTOR_URL)')
    .option('--api-key <key>', 'read-scope API key for --collector (env PROMPTLINE_API_KEY)')
    .option(
      '--project <id>',
      'project to read (env PROMPTLINE_PROJECT, default "default"; through a collector the key\'s project is read)',
    )
    .addHelpText('after', environmentHelp(READ_SOURCE_VARIABLES));
}

import { Command, CommanderError } from 'commander';

import { CliError } from './CliError.js';
import { COMMANDS } from './commands/index.js';
import type { CliContext } from './context.js';
import { createOutput } from './output.js';
import { ENV } from './settings.js';

export const CLI_VERSION = '0.1.0';

/** Builds the `promptline` program with every registered command. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('promptline')
    .description('Per-prompt-version metrics for LLM apps, on OpenTelemetry and ClickHouse')
    .version(CLI_VERSION)
    .option(
      '--dir <dir>',
      `local state, engine data (DIR/data) and write-ahead log (env ${ENV.HOME}, default ./.promptline)`,
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.out.line(text.replace(/\n$/, '')),
      writeErr: (text) => ctx.out.note(text.replace(/\n$/, '')),
    });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code. Errors are
 * reported through the output module as one line plus a hint; nothing is thrown.
 */
export async function runCli(argv: readonly string[], ctx: Partial<CliContext> = {}): Promise<number> {
  const full: CliContext = { out: ctx.out ?? createOutput(), env: ctx.env ?? process.env };
  const program = createProgram(full);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end here too, with exit code 0; commander printed the message.
      // Anything else commander refuses (unknown option, missing argument) is a usage error: 2.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      full.out.error(error.message, error.hint);
      return error.exitCode;
    }
    full.out.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

import type { Command } from 'commander';

import type { Output } from './output.js';

/** What every command gets besides its options. */
export interface CliContext {
  out: Output;
  env: Record<string, string | undefined>;
}

/**
 * One command module: `commands/<name>.ts` exports a `register` of this type, and
 * `commands/index.ts` lists it. Nothing else needs to change to add a command.
 */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** Options every command accepts (declared once on the program). */
export interface GlobalOptions {
  dir?: string;
}

import type { RegisterCommand } from '../context.js';
import { register as metrics } from './metrics.js';
import { register as compare } from './compare.js';
import { register as regressions } from './regressions.js';
import { register as check } from './check.js';
import { register as migrate } from './migrate.js';
import { register as prompts } from './prompts.js';
import { register as unlinked } from './unlinked.js';
import { register as up } from './up.js';
import { register as consoleCommand } from './console.js';

/**
 * Every `promptline` command, in help order. To add one: create `commands/<name>.ts` exporting
 * `register: RegisterCommand`, import it here and add it to this list.
 */
export const COMMANDS: readonly RegisterCommand[] = [
  up,
  consoleCommand,
  migrate,
  metrics,
  unlinked,
  compare,
  regressions,
  check,
  prompts,
];

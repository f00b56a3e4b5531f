import type { Command } from 'commander';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { environmentHelp } from '../environment.js';
import { resolveApiKey, resolveCollectorUrl, resolveHome } from '../settings.js';
import { readCollectorState } from '../stateFile.js';

interface ConsoleCommandOptions {
  collector?: string;
  apiKey?: string;
}

/** What the collector answers to `POST /api/v1/console/login-tokens`. */
interface LoginToken {
  path: string;
  expiresAt: string;
}

/**
 * `promptline console`: a new one-time login link for the web console of the running collector
 * (`promptline up` on the same directory), or of `--collector URL` with a read key.
 */
async function runConsole(
  opts: ConsoleCommandOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { out, env } = ctx;
  const home = resolveHome(global.dir, env).value;
  let base = resolveCollectorUrl(opts.collector, env)?.value;
  let key = resolveApiKey(opts.apiKey, env)?.value;
  if (base === undefined) {
    const running = await readCollectorState(home);
    if (running === undefined) {
      throw new CliError(`no collector is running for ${home}`, {
        hint: 'start one with `promptline up` (it prints a login link too), or pass --collector URL --api-key KEY',
      });
    }
    base = running.url;
    key ??= running.readKey;
  }
  if (key === undefined || key === '')
    throw new CliError('--api-key (or PROMPTLINE_API_KEY) is needed with --collector', { exitCode: 2 });
  base = base.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/console/login-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach the collector at ${base}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await res.text();
  if (res.status === 404)
    throw new CliError(`the collector at ${base} does not serve the console`, {
      hint: 'it is on unless extensions.promptline_console.enabled is false in its config',
    });
  if (!res.ok) {
    let reason = text.trim();
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: keep the text
    }
    throw new CliError(`the collector answered ${res.status}: ${reason}`, {
      ...(res.status === 401 || res.status === 403
        ? { hint: 'the console needs a key with the read scope' }
        : {}),
    });
  }
  const token = JSON.parse(text) as LoginToken;
  out.line(`${base}${token.path}`);
  out.note(`one-time login link, valid until ${token.expiresAt}; open it in a browser`);
}

/** `promptline console`: prints a one-time login link for the web console. */
export const register = (program: Command, ctx: CliContext): void => {
  program
    .command('console')
    .description('print a one-time login link for the web console of the running collector')
    .option('--collector <url>', 'a collector other than this directory’s (env PROMPTLINE_COLLECTOR_URL)')
    .option('--api-key <key>', 'read-scope API key for --collector (env PROMPTLINE_API_KEY)')
    .addHelpText(
      'after',
      environmentHelp(['PROMPTLINE_HOME', 'PROMPTLINE_COLLECTOR_URL', 'PROMPTLINE_API_KEY']),
    )
    .action(async (opts: ConsoleCommandOptions, command: Command) => {
      await runConsole(opts, command.optsWithGlobals<GlobalOptions>(), ctx);
    });
};

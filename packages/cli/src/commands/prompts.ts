import { loadPromptFiles, Prompt, PromptFileError, registryPromptToData } from '@promptline/prompt';
import type { PromptData } from '@promptline/prompt';
import type { Command } from 'commander';

import { CliError } from '../CliError.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { environmentHelp } from '../environment.js';
import type { CliVariable } from '../environment.js';
import { resolveApiKey, resolveCollectorUrl, resolveHome } from '../settings.js';
import { readCollectorState } from '../stateFile.js';
import type { Selector } from './promptsApi.js';
import { PromptsApi, RegistryApiError } from './promptsApi.js';

interface ConnectionOptions {
  collector?: string;
  apiKey?: string;
  json?: boolean;
}

const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:4318';

/**
 * The registry client: collector `--collector` → `PROMPTLINE_COLLECTOR_URL` → the running
 * `promptline up` (state file) → http://127.0.0.1:4318 (only when no directory was named: with
 * `--dir` or `PROMPTLINE_HOME` and no collector running for it, an error says so); key `--api-key` → `PROMPTLINE_API_KEY` → the
 * running `promptline up`'s read key (reads) or admin key (`push`, `label`).
 */
async function connect(
  opts: ConnectionOptions,
  global: GlobalOptions,
  ctx: CliContext,
  needs: 'read' | 'write' = 'read',
): Promise<PromptsApi> {
  const url = resolveCollectorUrl(opts.collector, ctx.env)?.value;
  const key = resolveApiKey(opts.apiKey, ctx.env)?.value;
  if (url !== undefined && key !== undefined) return new PromptsApi(url, key);
  const home = resolveHome(global.dir, ctx.env);
  const state = await readCollectorState(home.value);
  // A directory named on purpose means its collector, not whatever listens on the default port.
  if (url === undefined && state === undefined && home.source !== 'default')
    throw new CliError(`no collector is running for ${home.value}`, {
      hint: `start it with \`promptline --dir ${home.value} up\`, or pass --collector URL and --api-key KEY`,
    });
  const stateKey = needs === 'write' ? state?.adminKey : state?.readKey;
  return new PromptsApi(url ?? state?.url ?? DEFAULT_COLLECTOR_URL, key ?? stateKey);
}

/** `NAME`, `NAME@3` (version) or `NAME:production` (label; default `latest`). */
export function parsePromptRef(ref: string): { name: string; selector: Selector } {
  const at = /^(.+)@([0-9]+)$/.exec(ref);
  if (at) return { name: at[1] as string, selector: { version: Number(at[2]) } };
  const colon = /^(.+):([^:]+)$/.exec(ref);
  if (colon) return { name: colon[1] as string, selector: { label: colon[2] as string } };
  if (ref.includes('@')) {
    throw new CliError(`"${ref}": a version after "@" must be a positive integer`, {
      hint: 'write NAME@3 for version 3 or NAME:production for a label',
      exitCode: 2,
    });
  }
  return { name: ref, selector: { label: 'latest' } };
}

/** A version or label given on its own (`3`, `v3` or `production`). */
function parseSelector(text: string): Selector {
  const m = /^v?([0-9]+)$/.exec(text);
  return m ? { version: Number(m[1]) } : { label: text };
}

function describe(selector: Selector): string {
  return 'version' in selector ? `version ${selector.version}` : `label "${selector.label}"`;
}

type PushStatus = 'created' | 'unchanged' | 'failed';
interface PushResult {
  name: string;
  version: number;
  status: PushStatus;
  hash?: string;
  error?: string;
}

async function runPush(
  dir: string,
  opts: ConnectionOptions & { message?: string; labels: boolean },
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  let files: PromptData[];
  try {
    files = await loadPromptFiles(dir);
  } catch (error) {
    if (error instanceof PromptFileError) {
      throw new CliError(error.message, { hint: 'fix the files above; nothing was pushed', exitCode: 2 });
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`prompt folder ${dir} does not exist`, { exitCode: 2 });
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new CliError(`${dir} is a file, not a folder of prompt files`, {
        hint: 'pass the folder that holds your *.prompt.yaml files',
        exitCode: 2,
      });
    }
    throw error;
  }
  if (files.length === 0) {
    throw new CliError(`no *.prompt.yaml / *.prompt.yml / *.prompt.json files under ${dir}`, { exitCode: 2 });
  }
  const api = await connect(opts, global, ctx, 'write');
  const results: PushResult[] = [];
  for (const data of files) {
    const { labels = [], version, ...content } = data;
    const body = {
      ...content,
      version,
      labels: opts.labels ? labels.filter((l) => l !== 'latest') : [],
      commitMessage: opts.message ?? `promptline prompts push ${dir}`,
    };
    try {
      const { created, prompt } = await api.create(body);
      results.push({
        name: data.name,
        version: prompt.version,
        status: created ? 'created' : 'unchanged',
        hash: prompt.hash,
      });
      if (!opts.json) ctx.out.line(`${created ? 'created  ' : 'unchanged'} ${data.name} v${prompt.version}`);
    } catch (error) {
      // A registry refusal of one prompt (e.g. 409: the version exists with other content) does not stop the others.
      if (!(error instanceof RegistryApiError) || error.status >= 500 || error.status === 401) throw error;
      results.push({ name: data.name, version, status: 'failed', error: error.message });
      if (!opts.json) ctx.out.line(`failed    ${data.name} v${version}: ${error.message}`);
    }
  }
  const count = (s: PushStatus): number => results.filter((r) => r.status === s).length;
  if (opts.json) ctx.out.json({ results });
  else
    ctx.out.note(`${count('created')} created, ${count('unchanged')} unchanged, ${count('failed')} failed`);
  if (count('failed') > 0) {
    throw new CliError(`${count('failed')} of ${results.length} prompts were not pushed`, {
      hint: 'when a version exists with other content, bump `version` in the file',
    });
  }
}

async function runList(opts: ConnectionOptions, global: GlobalOptions, ctx: CliContext): Promise<void> {
  const prompts = await (await connect(opts, global, ctx)).list();
  if (opts.json) {
    ctx.out.json({ prompts });
    return;
  }
  if (prompts.length === 0) {
    ctx.out.note('no prompts in this project yet (push some with `promptline prompts push ./prompts`)');
    return;
  }
  const rows = prompts.map((p) => [
    p.name,
    `v${p.latestVersion}`,
    String(p.versionCount),
    Object.entries(p.labels)
      .filter(([l]) => l !== 'latest')
      .map(([l, v]) => `${l}=v${v}`)
      .join(' '),
    p.lastCreatedAt,
  ]);
  printTable(ctx, ['NAME', 'LATEST', 'VERSIONS', 'LABELS', 'UPDATED'], rows);
}

function printTable(ctx: CliContext, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  ctx.out.line(fmt(header));
  for (const r of rows) ctx.out.line(fmt(r));
}

async function runShow(
  ref: string,
  opts: ConnectionOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const { name, selector } = parsePromptRef(ref);
  const p = await (await connect(opts, global, ctx)).get(name, selector);
  if (opts.json) {
    ctx.out.json(p);
    return;
  }
  ctx.out.line(
    `${p.name} v${p.version}  [${p.type}]  labels: ${p.labels.length > 0 ? p.labels.join(', ') : '-'}`,
  );
  ctx.out.line(`hash ${p.hash}  created ${p.createdAt} by ${p.createdBy}`);
  if (p.commitMessage !== '') ctx.out.line(`commit: ${p.commitMessage}`);
  if (p.config !== undefined) ctx.out.line(`config: ${JSON.stringify(p.config)}`);
  if (p.outputSchema !== undefined) ctx.out.line(`output schema: ${JSON.stringify(p.outputSchema)}`);
  if (p.examples !== undefined) ctx.out.line(`examples: ${p.examples.length}`);
  ctx.out.line('');
  if (p.type === 'text') {
    ctx.out.line(p.template);
  } else {
    for (const m of p.messages) {
      if ('type' in m) ctx.out.line(`[placeholder: ${m.name}]`);
      else ctx.out.line(`[${m.role}]\n${m.content}`);
    }
  }
}

async function runDiff(
  name: string,
  a: string,
  b: string,
  opts: ConnectionOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const api = await connect(opts, global, ctx);
  const [left, right] = await Promise.all([api.get(name, parseSelector(a)), api.get(name, parseSelector(b))]);
  const diff = new Prompt(registryPromptToData(left)).diff(new Prompt(registryPromptToData(right)));
  if (opts.json) {
    ctx.out.json({ name, from: left.version, to: right.version, ...diff });
    return;
  }
  ctx.out.line(
    `${name}: v${left.version} (${describe(parseSelector(a))}) → v${right.version} (${describe(parseSelector(b))})`,
  );
  if (diff.identical) {
    ctx.out.line('identical content');
    return;
  }
  if (diff.unified.trim() !== '') ctx.out.line(diff.unified.trimEnd());
  ctx.out.line(
    `similarity ${diff.similarity.toFixed(3)}, +${diff.addedLines} -${diff.removedLines} lines` +
      (diff.variablesAdded.length > 0 ? `, variables added: ${diff.variablesAdded.join(', ')}` : '') +
      (diff.variablesRemoved.length > 0 ? `, variables removed: ${diff.variablesRemoved.join(', ')}` : ''),
  );
  for (const c of diff.configChanges) {
    ctx.out.line(
      `config ${c.key}: ${JSON.stringify(c.before) ?? '(unset)'} → ${JSON.stringify(c.after) ?? '(unset)'}`,
    );
  }
}

async function runLabel(
  name: string,
  versionText: string,
  label: string,
  opts: ConnectionOptions,
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  if (name === '') throw new CliError('NAME must name a prompt', { exitCode: 2 });
  const m = /^v?([0-9]+)$/.exec(versionText);
  if (!m) throw new CliError(`VERSION "${versionText}" must be a version number like 3`, { exitCode: 2 });
  if (label === '') throw new CliError('LABEL must name a label, e.g. production', { exitCode: 2 });
  const move = await (await connect(opts, global, ctx, 'write')).moveLabel(name, label, Number(m[1]));
  if (opts.json) {
    ctx.out.json(move);
    return;
  }
  const from = move.previousVersion === null ? '(new)' : `v${move.previousVersion}`;
  ctx.out.line(
    `${move.name} ${move.label}: ${from} → v${move.version}  (by ${move.actor} at ${move.movedAt})`,
  );
}

async function runHistory(
  name: string,
  opts: ConnectionOptions & { label?: string },
  global: GlobalOptions,
  ctx: CliContext,
): Promise<void> {
  const history = await (await connect(opts, global, ctx)).history(name, opts.label);
  if (opts.json) {
    ctx.out.json({ name, history });
    return;
  }
  printTable(
    ctx,
    ['TIME', 'LABEL', 'FROM', 'TO', 'ACTOR'],
    history.map((h) => [
      h.movedAt,
      h.label,
      h.previousVersion === null ? '-' : `v${h.previousVersion}`,
      `v${h.version}`,
      h.actor,
    ]),
  );
}

function withConnection(cmd: Command): Command {
  return cmd
    .option(
      '--collector <url>',
      `collector serving the registry (env PROMPTLINE_COLLECTOR_URL; default: the running \`promptline up\`, else ${DEFAULT_COLLECTOR_URL})`,
    )
    .option(
      '--api-key <key>',
      "API key (env PROMPTLINE_API_KEY; reads default to the running collector's read key)",
    )
    .option('--json', 'print JSON on stdout')
    .addHelpText('after', environmentHelp(CONNECTION_VARIABLES));
}

/** What the registry commands read. */
const CONNECTION_VARIABLES: readonly CliVariable[] = [
  'PROMPTLINE_HOME',
  'PROMPTLINE_COLLECTOR_URL',
  'PROMPTLINE_API_KEY',
];

/** `promptline prompts …`: the prompt registry from the command line. */
export const register = (program: Command, ctx: CliContext): void => {
  const prompts = program
    .command('prompts')
    .description('prompt registry: push, list, show, diff, label, history')
    .addHelpText('after', environmentHelp(CONNECTION_VARIABLES));
  withConnection(
    prompts
      .command('push')
      .description('create a registry version for each prompt file whose content changed (idempotent)')
      .argument('[dir]', 'folder of *.prompt.yaml / *.prompt.json files', './prompts')
      .option('-m, --message <text>', 'commit message of the new versions')
      .option('--no-labels', 'do not move the labels listed in the files'),
  ).action(
    async (dir: string, opts: ConnectionOptions & { message?: string; labels: boolean }, cmd: Command) => {
      await runPush(dir, opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
    },
  );
  withConnection(
    prompts.command('list').description('prompts of the project, with latest version and labels'),
  ).action(async (opts: ConnectionOptions, cmd: Command) => {
    await runList(opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
  });
  withConnection(
    prompts
      .command('show')
      .description('one version: NAME (latest), NAME@VERSION or NAME:LABEL')
      .argument('<ref>', 'NAME, NAME@3 or NAME:production'),
  ).action(async (ref: string, opts: ConnectionOptions, cmd: Command) => {
    await runShow(ref, opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
  });
  withConnection(
    prompts
      .command('diff')
      .description('what changed between two versions (each a version number or a label)')
      .argument('<name>')
      .argument('<a>', 'version or label, e.g. 2 or production')
      .argument('<b>', 'version or label'),
  ).action(async (name: string, a: string, b: string, opts: ConnectionOptions, cmd: Command) => {
    await runDiff(name, a, b, opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
  });
  withConnection(
    prompts
      .command('label')
      .description('point LABEL at VERSION (protected labels such as production need an admin key)')
      .argument('<name>')
      .argument('<version>')
      .argument('<label>'),
  ).action(async (name: string, version: string, label: string, opts: ConnectionOptions, cmd: Command) => {
    await runLabel(name, version, label, opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
  });
  withConnection(
    prompts
      .command('history')
      .description('label moves of a prompt: when, which label, from and to which version, by whom')
      .argument('<name>')
      .option('--label <label>', 'only this label'),
  ).action(async (name: string, opts: ConnectionOptions & { label?: string }, cmd: Command) => {
    await runHistory(name, opts, cmd.optsWithGlobals<GlobalOptions>(), ctx);
  });
};

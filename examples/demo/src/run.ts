/**
 * `npm run demo` (→ `pnpm run demo:run`): the whole system on one machine, in about a minute.
 *
 * 1. starts the collector with the embedded ClickHouse engine: `promptline up` (the built CLI) on
 *    the home dir (`--dir DIR` → env `PROMPTLINE_HOME` → ./.promptline, as for the CLI) — or uses
 *    the one already running there;
 * 2. starts a local OpenAI-compatible stand-in model on 127.0.0.1 whose latency, answer length and
 *    answer quality depend on the prompt version;
 * 3. runs the sample app (two prompts, three versions each) with the SDK and the real `openai`
 *    client: production → v1 and canary → v3, then the production label moves to v2 midway;
 * 4. waits until every generation and score is in ClickHouse, prints `promptline metrics` for both prompts
 *    and the `promptline regressions` report of support-reply's label move (found in the registry's
 *    label log, at the time it was made), stops the collector (data stays on disk) and says what to
 *    run next.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

import OpenAI from 'openai';
import { PromptClient, init } from '@promptline/sdk';

import { startLlmStandIn } from './llmStandIn.js';
import { DEMO_PROFILES, DEMO_PROMPTS, DemoPromptStore } from './prompts.js';
import { answerTicket, askMath } from './sampleApp.js';
import type { AppDeps, CallOutcome } from './sampleApp.js';

const CALLS_PER_PHASE = 40;
const CONCURRENCY = 6;
const PROMPTS = ['math-tutor', 'support-reply'] as const;

const home = resolve(homeFlag(process.argv.slice(2)) ?? process.env.PROMPTLINE_HOME ?? '.promptline');
const cliPackage = dirname(createRequire(import.meta.url).resolve('@promptline/cli/package.json'));
const cliBin = join(cliPackage, 'bin', 'promptline.js');
const cliShown = `node ${shown(cliBin)}`;

/** `--dir DIR` / `--dir=DIR`, like the CLI's flag. */
function homeFlag(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--dir=')) return arg.slice('--dir='.length);
    if (arg === '--dir') {
      const value = args[i + 1];
      if (value === undefined || value === '') fail('--dir needs a directory');
      return value;
    }
    fail(`unknown argument ${JSON.stringify(arg)} (usage: run.ts [--dir DIR])`);
  }
  return undefined;
}

/** A path as the user would type it from here. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function fail(text: string): never {
  process.stderr.write(`demo: ${text}\n`);
  process.exit(1);
}

interface CollectorState {
  pid: number;
  url: string;
  ingestKey: string;
  readKey: string;
  adminKey: string;
}

/** The state file `promptline up` writes while it runs (see the CLI README). */
async function readState(): Promise<CollectorState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(home, 'collector.json'), 'utf8')) as CollectorState;
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `promptline up` and waits for its state file; or reuses a collector already running. */
async function startCollector(): Promise<{ state: CollectorState; child?: ChildProcess }> {
  const running = await readState();
  if (running !== undefined) {
    say(`✓ using the collector already running on ${running.url} (pid ${running.pid})`);
    return { state: running };
  }
  say(`… starting the collector: promptline up --dir ${shown(home)} --port 0`);
  const child = spawn(process.execPath, [cliBin, '--dir', home, 'up', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString('utf8')));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) fail(`promptline up exited with code ${child.exitCode}:\n${log}`);
    const state = await readState();
    if (state !== undefined && state.pid === child.pid) {
      say(`✓ collector on ${state.url} (embedded ClickHouse in ${shown(join(home, 'data'))})`);
      return { state, child };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  return fail(`promptline up did not start within 60 s:\n${log}`);
}

interface Stored {
  calls: number;
  scores: number;
}

/** `promptline metrics --json` totals of one prompt: calls and scores (through the running collector). */
function countStored(prompt: string): Stored {
  const r = spawnSync(
    process.execPath,
    [cliBin, '--dir', home, 'metrics', '--prompt', prompt, '--since', '1d', '--json'],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) fail(`promptline metrics failed:\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as {
    versions: Array<{ count: number; scores: Record<string, { count: number }> }>;
  };
  let calls = 0;
  let scores = 0;
  for (const v of report.versions) {
    calls += v.count;
    for (const s of Object.values(v.scores)) scores += s.count;
  }
  return { calls, scores };
}

/** One request to the collector's prompt registry with the admin key; fails the demo on an error. */
async function registry(
  state: CollectorState,
  method: string,
  path: string,
  body: unknown,
): Promise<unknown> {
  const res = await fetch(`${state.url}/api/v1/prompts${path}`, {
    method,
    headers: { authorization: `Bearer ${state.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) fail(`the prompt registry answered ${res.status} to ${method} ${path}: ${await res.text()}`);
  return res.json();
}

/**
 * The demo's prompts in the collector's registry too (the app itself reads them from memory), with
 * the same label moves, so the console shows versions, diffs and who moved which label when. Pushing
 * a version again with the same content is a no-op.
 */
async function pushPrompts(state: CollectorState): Promise<void> {
  for (const p of DEMO_PROMPTS) {
    await registry(state, 'POST', '', {
      name: p.name,
      version: p.version,
      type: p.type,
      ...(p.type === 'chat' ? { messages: p.messages } : { template: p.template }),
      ...(p.config === undefined ? {} : { config: p.config }),
      commitMessage: `demo: ${p.name} v${p.version}`,
    });
  }
  for (const name of PROMPTS) {
    await registry(state, 'PUT', `/${encodeURIComponent(name)}/labels/production`, { version: 1 });
    await registry(state, 'PUT', `/${encodeURIComponent(name)}/labels/canary`, { version: 3 });
  }
}

async function runPool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

function summarize(outcomes: CallOutcome[]): void {
  const groups = new Map<string, CallOutcome[]>();
  for (const o of outcomes) {
    const key = `${o.prompt} v${o.version} (${o.label})`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  for (const [key, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const ok = list.filter((o) => o.ok).length;
    const correct = list.filter((o) => o.correct).length;
    say(
      `    ${key.padEnd(34)} ${String(list.length).padStart(3)} calls, ${list.length - ok} failed, ${correct} correct`,
    );
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(cliPackage, 'dist', 'bin.js'))) {
    fail(
      'the CLI is not built (packages/cli/dist/bin.js missing): run `pnpm build` first, or `npm run demo`',
    );
  }
  const started = Date.now();
  say('Promptline demo — per-prompt-version metrics on the embedded ClickHouse engine');
  say();
  const { state, child } = await startCollector();
  const model = await startLlmStandIn({ profiles: [...DEMO_PROFILES], seed: 7 });
  say(`✓ stand-in OpenAI-compatible model on ${model.baseURL}`);

  await pushPrompts(state);
  say('✓ prompts pushed to the collector’s registry: production → v1, canary → v3');
  const before = PROMPTS.map(countStored);
  const telemetry = init({
    serviceName: 'promptline-demo',
    endpoint: state.url,
    apiKey: state.ingestKey,
    environment: 'demo',
    scheduledDelayMillis: 500,
  });
  const store = new DemoPromptStore();
  const deps: AppDeps = {
    openai: new OpenAI({ baseURL: model.baseURL, apiKey: 'stand-in', maxRetries: 0, timeout: 20_000 }),
    prompts: new PromptClient({ source: store, cacheTtlSeconds: 1 }),
  };
  let seed = 1;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed;
  };
  const phase = async (title: string): Promise<CallOutcome[]> => {
    say(title);
    const tasks: Array<() => Promise<CallOutcome>> = [];
    for (let i = 0; i < CALLS_PER_PHASE; i++) {
      const label = i % 5 === 4 ? 'canary' : 'production';
      const a = next() % 90;
      const b = next() % 90;
      const order = 1000 + (next() % 9000);
      tasks.push(
        () => askMath(deps, label, a, b),
        () => answerTicket(deps, label, order),
      );
    }
    const outcomes = await runPool(tasks, CONCURRENCY);
    summarize(outcomes);
    return outcomes;
  };

  const first = await phase(`phase 1: production → v1, canary → v3 (${CALLS_PER_PHASE * 2} calls)`);
  const movedAt = new Map<string, string>();
  for (const name of PROMPTS) {
    store.moveLabel(name, 'production', 2);
    const move = (await registry(state, 'PUT', `/${encodeURIComponent(name)}/labels/production`, {
      version: 2,
    })) as { movedAt: string };
    movedAt.set(name, move.movedAt);
  }
  say(
    'label move: production → v2 for both prompts (the prompt cache picks it up within a second); ' +
      `registry: support-reply at ${movedAt.get('support-reply')}`,
  );
  const second = await phase(`phase 2: production → v2, canary → v3 (${CALLS_PER_PHASE * 2} calls)`);
  const sent = [...first, ...second];
  await telemetry.shutdown();
  await model.stop();

  // Every successful call scored `correct`; successful support replies also got a `user-rating`.
  // Scores travel as log records next to the spans, so wait for both counts.
  const expected: Stored[] = PROMPTS.map((p, i) => {
    const mine = sent.filter((o) => o.prompt === p);
    const ok = mine.filter((o) => o.ok).length;
    return {
      calls: (before[i]?.calls ?? 0) + mine.length,
      scores: (before[i]?.scores ?? 0) + (p === 'support-reply' ? 2 * ok : ok),
    };
  });
  const total = (list: Stored[], key: keyof Stored): number => list.reduce((n, s) => n + s[key], 0);
  say(
    `… waiting until all ${sent.length} generations and ${total(expected, 'scores')} scores are in ClickHouse`,
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = PROMPTS.map(countStored);
    if (now.every((n, i) => n.calls >= expected[i]!.calls && n.scores >= expected[i]!.scores)) break;
    if (Date.now() > deadline)
      fail(
        `after 30 s ClickHouse has ${total(now, 'calls')} of ${total(expected, 'calls')} generations and ` +
          `${total(now, 'scores')} of ${total(expected, 'scores')} scores (${PROMPTS.join(', ')}: ` +
          `${now.map((n) => `${n.calls} calls/${n.scores} scores`).join(', ')})`,
      );
    await sleep(250);
  }
  say('✓ all generations and scores stored');
  say();
  for (const prompt of PROMPTS) {
    spawnSync(process.execPath, [cliBin, '--dir', home, 'metrics', '--prompt', prompt, '--since', '1d'], {
      stdio: 'inherit',
    });
    say();
  }
  // The label move, as `regressions` finds it: from the registry's label log, at the time it was made,
  // with the old version's calls right before it against the new version's right after.
  say('$ promptline regressions --prompt support-reply --since 1d');
  spawnSync(
    process.execPath,
    [cliBin, '--dir', home, 'regressions', '--prompt', 'support-reply', '--since', '1d'],
    { stdio: 'inherit' },
  );
  say();

  if (child !== undefined) {
    child.kill('SIGINT');
    await new Promise<void>((r) => child.once('exit', () => r()));
    say(`✓ collector stopped (write-ahead log drained); the data stays in ${shown(home)}`);
  }
  const dirFlag = home === resolve('.promptline') ? '' : ` --dir ${shown(home)}`;
  say();
  say(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s. Next:`);
  const nextSteps: Array<[string, string]> = [
    [`${cliShown}${dirFlag} metrics --prompt math-tutor --since 1d`, 'the table again'],
    [`${cliShown}${dirFlag} metrics --prompt support-reply --json`, 'stable JSON for scripts'],
    [`${cliShown}${dirFlag} compare 1 2 --prompt support-reply`, 'the two versions, tested metric by metric'],
    [
      `${cliShown}${dirFlag} regressions --prompt support-reply --fail-on regression`,
      'the deploy gate: exit 1 if the move regressed',
    ],
    [`${cliShown}${dirFlag} up`, 'the collector and the web console on http://127.0.0.1:4318, until Ctrl-C'],
    [`${cliShown}${dirFlag} console`, 'a new one-time console login link while `up` runs'],
  ];
  const width = Math.max(...nextSteps.map(([cmd]) => cmd.length));
  for (const [cmd, what] of nextSteps) say(`  ${cmd.padEnd(width)}   # ${what}`);
  if (child === undefined) {
    // The collector keeps running: its console can be opened right now.
    const res = await fetch(`${state.url}/api/v1/console/login-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${state.readKey}` },
    });
    if (res.ok) say(`  console: ${state.url}${((await res.json()) as { path: string }).path}`);
  } else {
    say(
      '  console: open the login link `up` prints (http://127.0.0.1:4318/?token=…; one use, 15 min), or paste the read key',
    );
  }
  say(
    `  then point your app at it: init({ endpoint, apiKey }) from @promptline/sdk — keys in ${shown(join(home, 'keys.json'))}`,
  );
}

main().catch((error: unknown) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);

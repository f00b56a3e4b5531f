import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { stopChild } from './clickhouseProcess.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built `promptline` bin (packages/cli/bin → dist/bin.js). */
export const CLI_BIN = join(ROOT, 'packages/cli/bin/promptline.js');
/** The built `promptline-collector` bin. */
export const COLLECTOR_BIN = join(ROOT, 'packages/collector/bin/promptline-collector.js');

/**
 * Tests that run the built artefacts call this first: it names what is missing or stale and how to
 * build it, instead of failing later with a module-not-found (or testing old code) deep in a child
 * process. `extraPackages`: other packages whose dist the test runs (e.g. `sdk` for the demo).
 * `root`: the repository (tests of this check pass a fixture).
 */
export function requireBuilt(extraPackages: readonly string[] = [], root: string = ROOT): void {
  const packages = ['semconv', 'clickhouse', 'collector', 'cli', ...extraPackages];
  const entries = new Map(packages.map((p) => [p, [join(root, 'packages', p, 'dist', 'index.js')]]));
  entries.get('cli')!.push(join(root, 'packages/cli/dist/bin.js'));
  entries.get('collector')!.push(join(root, 'packages/collector/dist/bin.js'));
  const missing = [...entries.values()].flat().filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `this test runs the built packages, but these files are missing:\n  ${missing.join('\n  ')}\n` +
        'build first: `pnpm build` (`npm test` builds before it tests)',
    );
  }
  const stale: string[] = [];
  for (const [pkg, files] of entries) {
    const built = Math.min(...files.map((f) => statSync(f).mtimeMs));
    const newest = newestFile(join(root, 'packages', pkg, 'src'));
    if (newest !== undefined && newest.mtimeMs > built)
      stale.push(`${relative(root, newest.path)} is newer than ${relative(root, files[0]!)}`);
  }
  if (stale.length > 0) {
    throw new Error(
      `dist is older than src — run pnpm build (this test runs the built packages):\n  ${stale.join('\n  ')}`,
    );
  }
}

/** The most recently modified file under `dir` (recursive), if any. */
function newestFile(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestFile(path)
      : entry.isFile()
        ? { path, mtimeMs: statSync(path).mtimeMs }
        : undefined;
    if (found !== undefined && (newest === undefined || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion (bounded by `timeoutMs`). */
export function runCli(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: opts.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `promptline ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms:\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The environment without PROMPTLINE_* variables, so the developer's settings cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PROMPTLINE_')) env[k] = v;
  return { ...env, ...extra };
}

export interface UpState {
  pid: number;
  url: string;
  ingestKey: string;
  readKey: string;
  adminKey: string;
}

export interface RunningUp {
  state: UpState;
  child: ChildProcess;
  /** Output so far (stdout + stderr). */
  log(): string;
  /** SIGINT (graceful: drains the WAL) and waits; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `promptline --dir HOME up --port 0` and waits for its state file. */
export async function startUp(home: string, timeoutMs = 60_000): Promise<RunningUp> {
  const child = spawn(process.execPath, [CLI_BIN, '--dir', home, 'up', '--port', '0'], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString('utf8')));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`promptline up exited (${child.exitCode}):\n${log}`);
    try {
      const state = JSON.parse(await readFile(join(home, 'collector.json'), 'utf8')) as UpState;
      if (state.pid === child.pid) {
        return {
          state,
          child,
          log: () => log,
          stop: async () => {
            if (child.exitCode !== null) return child.exitCode;
            const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
            child.kill('SIGINT');
            const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
            const code = await exited;
            clearTimeout(timer);
            return code;
          },
        };
      }
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) {
      await stopChild(child, 1_000);
      throw new Error(`promptline up did not write its state file in ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

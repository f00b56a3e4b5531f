import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Python venv in a temp folder with exactly the pinned packages installed. */
export interface PythonVenv {
  /** The venv's folder (inside the temp folder, which is free for the test's own files). */
  dir: string;
  /** The venv's Python interpreter. */
  python: string;
  /** Runs the venv's Python with `args` (stdin `input`, optional extra environment); returns stdout. Throws with stderr on failure. */
  run(
    args: readonly string[],
    opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): string;
  /**
   * Like {@link run}, without blocking the event loop: for scripts that talk to a server in this
   * process (an in-process collector cannot answer while `run` waits).
   */
  runAsync(
    args: readonly string[],
    opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<string>;
  /** Removes the temp folder (idempotent). */
  remove(): void;
}

/**
 * Creates a venv in a fresh temp folder (`prefix`) and installs `requirements` — every package
 * pinned with `==`, including the dependencies: they are installed with `--no-deps` and
 * `pip check` must then pass, so nothing resolves "latest". Wheels only (`--only-binary=:all:`).
 * Needs Python 3 (`PYTHON` or `python3`) with venv and network access to the package index (or
 * `PIP_FIND_LINKS`); without them the calling test fails, it is not skipped.
 *
 * @example
 * ```ts
 * const py = pythonVenv('promptline-ref-', ['numpy==2.4.6']);
 * try { py.run(['-c', 'import numpy']); } finally { py.remove(); }
 * ```
 */
export function pythonVenv(prefix: string, requirements: readonly string[]): PythonVenv {
  const unpinned = requirements.filter((r) => !/^[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+$/.test(r));
  if (unpinned.length > 0)
    throw new Error(`pythonVenv: pin every requirement with ==: ${unpinned.join(', ')}`);
  const root = mkdtempSync(join(tmpdir(), prefix));
  const remove = (): void => rmSync(root, { recursive: true, force: true });
  const exec = (
    cmd: string,
    args: readonly string[],
    opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): string => {
    try {
      return execFileSync(cmd, args, {
        input: opts.input,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 600_000,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...opts.env },
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  };
  try {
    const dir = join(root, 'venv');
    exec(process.env.PYTHON ?? 'python3', ['-m', 'venv', dir]);
    const python = join(dir, process.platform === 'win32' ? 'Scripts' : 'bin', 'python');
    const pip = ['-m', 'pip', '--disable-pip-version-check', '--no-input'];
    exec(python, [...pip, 'install', '--quiet', '--only-binary=:all:', '--no-deps', ...requirements]);
    exec(python, [...pip, 'check']);
    const runAsync = (
      args: readonly string[],
      opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
    ): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = execFile(
          python,
          args,
          {
            encoding: 'utf8',
            maxBuffer: 256 * 1024 * 1024,
            timeout: opts.timeoutMs ?? 600_000,
            env: { ...process.env, ...opts.env },
          },
          (error, stdout, stderr) => {
            if (error === null) resolve(stdout);
            else reject(new Error(`${python} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
          },
        );
        child.stdin?.end(opts.input ?? '');
      });
    return { dir: root, python, run: (args, opts) => exec(python, args, opts), runAsync, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

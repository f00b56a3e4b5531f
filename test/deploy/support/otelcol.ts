import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import {
  goAtLeast,
  OffReleaseModulesError,
  buildListProblems,
  OTELCOL_RELEASE,
  parseGoListModules,
} from './otelcolModules.js';

const run = promisify(execFile);

/** An ocb manifest: `dist` and the component lists. */
type Manifest = { dist: { name: string; output_path?: string } } & Record<string, unknown>;

/** The builder (ocb) release: the collector release the manifest pins every module to. */
export const OCB_VERSION = OTELCOL_RELEASE.beta;

/**
 * Set by `npm test` (scripts/bootstrap.mjs) when building the collector before the tests failed:
 * the tests then report that failure instead of each repeating the build.
 */
export const PREBUILD_FAILED_ENV = 'PROMPTLINE_OTELCOL_PREBUILD_FAILED';

export interface OtelcolBuild {
  /** Path of the built collector binary. */
  binary: string;
  /** Whether this call compiled it (false: reused from the cache). */
  built: boolean;
  /** Wall-clock seconds this call spent building (0 when cached). */
  seconds: number;
  /**
   * Where those seconds went: installing the builder, generating the module and resolving,
   * downloading and checking its modules, compiling. Absent when cached.
   */
  phases?: { builder: number; modules: number; compile: number };
}

/**
 * Builds the upstream OpenTelemetry Collector described by `manifestPath` with the
 * OpenTelemetry Collector Builder, from source with the Go toolchain, into a cache directory
 * outside the repository (`PROMPTLINE_OTELCOL_CACHE`, default `~/.cache/promptline-otelcol`),
 * keyed by the manifest's hash so an edited manifest is rebuilt (older builds are removed).
 * Reuses a cached binary. Go's own module and build caches (GOMODCACHE, GOCACHE) make a
 * rebuild after a manifest edit take seconds instead of minutes.
 *
 * The build never resolves "newest" of anything: the builder and every module are pinned to
 * one collector release ({@link OTELCOL_RELEASE}), Go runs with `GOTOOLCHAIN=local`, and the
 * generated module's build list is checked before compiling: a collector module off the release
 * fails the build with an {@link OffReleaseModulesError} naming it.
 */
export async function ensureOtelcol(manifestPath: string): Promise<OtelcolBuild> {
  const manifestText = readFileSync(manifestPath, 'utf8');
  const key = createHash('sha256').update(manifestText).update(OCB_VERSION).digest('hex').slice(0, 12);
  const cache = process.env.PROMPTLINE_OTELCOL_CACHE ?? join(homedir(), '.cache', 'promptline-otelcol');
  const outDir = join(cache, `build-${key}`);
  const manifest = parse(manifestText) as Manifest;
  const binary = join(outDir, manifest.dist.name);
  if (existsSync(binary)) return { binary, built: false, seconds: 0 };
  if (process.env[PREBUILD_FAILED_ENV] === '1') {
    throw new Error(
      `building the upstream collector from ${manifestPath} failed before the tests started ` +
        '(its error is in the log above the test run); not trying again',
    );
  }

  // Test files run in parallel processes: one builds, the others wait for its binary.
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, `lock-${key}`);
  const deadline = Date.now() + 60 * 60_000;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      if (existsSync(binary)) return { binary, built: false, seconds: 0 };
      const holder = Number(readFileSync(lock, 'utf8'));
      if (!isAlive(holder)) rmSync(lock, { force: true });
      else if (Date.now() > deadline)
        throw new Error(`gave up waiting for the collector build (lock ${lock})`);
      else await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (existsSync(binary)) return { binary, built: false, seconds: 0 };
    return await build(manifestPath, manifest, cache, key, outDir, binary);
  } finally {
    rmSync(lock, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The `gomod:` lines (`path version`) of every component kind of an ocb manifest. */
function manifestModules(manifest: Manifest): string[] {
  const kinds = [
    'receivers',
    'processors',
    'exporters',
    'extensions',
    'connectors',
    'providers',
    'converters',
  ];
  return kinds.flatMap((kind) => {
    const list = manifest[kind];
    return Array.isArray(list)
      ? list.map((c: { gomod?: string }) => c.gomod ?? '').filter((g) => g !== '')
      : [];
  });
}

/**
 * The environment of every Go command of a build. GOTOOLCHAIN=local: Go never downloads another
 * (newer) toolchain that a go.mod asks for. GOWORK=off: no go.work around the cache takes part.
 */
function goBaseEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off' };
}

/** {@link goBaseEnv} plus `-modcacherw` in GOFLAGS, so a module cache can be deleted without chmod. */
async function goEnv(base: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const { stdout } = await run('go', ['env', 'GOFLAGS'], { env: base, timeout: 30_000 });
  const flags = stdout
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '' && f !== '-modcacherw');
  return { ...base, GOFLAGS: [...flags, '-modcacherw'].join(' ') };
}

/** The local Go's version, or an error naming what is missing and what is needed. */
async function checkGo(manifestPath: string, binary: string, env: NodeJS.ProcessEnv): Promise<string> {
  const need = `Go >= ${OTELCOL_RELEASE.minGo} (the oldest that collector release ${OTELCOL_RELEASE.beta} accepts)`;
  let version: string;
  try {
    version = (await run('go', ['env', 'GOVERSION'], { env, timeout: 30_000 })).stdout.trim();
  } catch (err) {
    throw new Error(
      `the Go toolchain is needed to build the upstream collector from ${manifestPath}: install ${need}, ` +
        `or put a prebuilt binary at ${binary} (${String(err)})`,
    );
  }
  if (!goAtLeast(version, OTELCOL_RELEASE.minGo)) {
    throw new Error(
      `the upstream collector from ${manifestPath} needs ${need}; \`go\` on PATH is ${version} ` +
        '(GOTOOLCHAIN=local is set for the build, so Go does not download a newer one)',
    );
  }
  return version;
}

async function build(
  manifestPath: string,
  manifest: Manifest,
  cache: string,
  key: string,
  outDir: string,
  binary: string,
): Promise<OtelcolBuild> {
  const base = goBaseEnv();
  await checkGo(manifestPath, binary, base);
  const env = await goEnv(base);
  const long = { env, timeout: 60 * 60_000, maxBuffer: 64 * 1024 * 1024 };
  const started = Date.now();
  mkdirSync(join(cache, 'bin'), { recursive: true });
  const builder = join(cache, 'bin', `builder-${OCB_VERSION}`);
  if (!existsSync(builder)) {
    const gobin = join(cache, `gobin-${OCB_VERSION}`);
    await run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}`], {
      ...long,
      env: { ...env, GOBIN: gobin },
    });
    writeFileSync(builder, readFileSync(join(gobin, 'builder')), { mode: 0o755 });
  }
  const builderDone = Date.now();
  // Build next to the cache entry and move it into place whole, so a reader never sees half a build.
  const tmpOut = join(cache, `tmp-${key}-${process.pid}`);
  rmSync(tmpOut, { recursive: true, force: true });
  const localManifest = join(cache, `manifest-${key}.yaml`);
  writeFileSync(localManifest, stringify({ ...manifest, dist: { ...manifest.dist, output_path: tmpOut } }));
  let modulesDone: number;
  try {
    // 1. Generate the module and resolve its dependencies (`go mod tidy`, `go mod download`).
    await run(builder, ['--config', localManifest, '--skip-compilation'], {
      ...long,
      cwd: cache,
    });
    // 2. Every collector module in the build list, listed or not, must be on the pinned release,
    //    and every module the manifest lists must be there at its version.
    const { stdout: listed } = await run('go', ['list', '-m', 'all'], { ...long, cwd: tmpOut });
    const off = buildListProblems(parseGoListModules(listed), manifestModules(manifest));
    if (off.length > 0) throw new OffReleaseModulesError(off, OTELCOL_RELEASE, manifestPath);
    modulesDone = Date.now();
    // 3. Compile what was checked (go.mod as resolved, nothing re-resolved).
    await run(builder, ['--config', localManifest, '--skip-generate', '--skip-get-modules'], {
      ...long,
      cwd: cache,
    });
    if (!existsSync(join(tmpOut, manifest.dist.name)))
      throw new Error(`the builder finished but no binary in ${tmpOut}`);
  } catch (err) {
    rmSync(tmpOut, { recursive: true, force: true });
    throw err;
  }
  renameSync(tmpOut, outDir);
  // keep the cache bounded: builds of older manifests (and leftovers of interrupted ones) go
  for (const entry of readdirSync(cache)) {
    const stale = ['build-', 'manifest-', 'tmp-'].some((p) => entry.startsWith(p)) && !entry.includes(key);
    if (stale) rmSync(join(cache, entry), { recursive: true, force: true });
  }
  const seconds = (from: number, to: number): number => Math.round((to - from) / 1000);
  const done = Date.now();
  return {
    binary,
    built: true,
    seconds: seconds(started, done),
    phases: {
      builder: seconds(started, builderDone),
      modules: seconds(builderDone, modulesDone),
      compile: seconds(modulesDone, done),
    },
  };
}

export interface ValidateResult {
  code: number;
  output: string;
}

/** Runs `<binary> validate --config <file>` and returns its exit code and combined output. */
export async function validateConfig(
  binary: string,
  configPath: string,
  env: Record<string, string> = {},
): Promise<ValidateResult> {
  try {
    const { stdout, stderr } = await run(binary, ['validate', '--config', configPath], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The component ids a built collector reports (`<binary> components`), by kind. */
export async function listComponents(binary: string): Promise<Record<string, string[]>> {
  const { stdout } = await run(binary, ['components'], { timeout: 60_000 });
  const doc = parse(stdout) as Record<string, Array<{ name: string }> | unknown>;
  const out: Record<string, string[]> = {};
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions']) {
    const list = doc[kind];
    out[kind] = Array.isArray(list) ? list.map((c: { name: string }) => c.name) : [];
  }
  return out;
}

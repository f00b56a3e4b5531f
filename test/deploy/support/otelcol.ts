import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);

/** The builder (ocb) release matching the component versions in the manifest. */
export const OCB_VERSION = 'v0.161.0';

export interface OtelcolBuild {
  /** Path of the built collector binary. */
  binary: string;
  /** Whether this call compiled it (false: reused from the cache). */
  built: boolean;
  /** Wall-clock seconds this call spent building (0 when cached). */
  seconds: number;
}

/**
 * Builds the upstream OpenTelemetry Collector described by `manifestPath` with the
 * OpenTelemetry Collector Builder, from source with the Go toolchain, into a cache directory
 * outside the repository (`PROMPTLINE_OTELCOL_CACHE`, default `~/.cache/promptline-otelcol`),
 * keyed by the manifest's hash so an edited manifest is rebuilt (older builds are removed).
 * Reuses a cached binary. Go's own module and build caches (GOMODCACHE, GOCACHE) make a
 * rebuild after a manifest edit take seconds instead of minutes.
 */
export async function ensureOtelcol(manifestPath: string): Promise<OtelcolBuild> {
  const manifestText = readFileSync(manifestPath, 'utf8');
  const key = createHash('sha256').update(manifestText).update(OCB_VERSION).digest('hex').slice(0, 12);
  const cache = process.env.PROMPTLINE_OTELCOL_CACHE ?? join(homedir(), '.cache', 'promptline-otelcol');
  const outDir = join(cache, `build-${key}`);
  const manifest = parse(manifestText) as { dist: { name: string; output_path?: string } };
  const binary = join(outDir, manifest.dist.name);
  if (existsSync(binary)) return { binary, built: false, seconds: 0 };

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

async function build(
  manifestPath: string,
  manifest: { dist: { name: string; output_path?: string } },
  cache: string,
  key: string,
  outDir: string,
  binary: string,
): Promise<OtelcolBuild> {
  try {
    await run('go', ['version'], { timeout: 30_000 });
  } catch (err) {
    throw new Error(
      `the Go toolchain is needed to build the upstream collector from ${manifestPath} ` +
        `(install Go >= 1.24, or put a prebuilt binary at ${binary}): ${String(err)}`,
    );
  }
  const started = Date.now();
  mkdirSync(join(cache, 'bin'), { recursive: true });
  const builder = join(cache, 'bin', `builder-${OCB_VERSION}`);
  if (!existsSync(builder)) {
    const gobin = join(cache, `gobin-${OCB_VERSION}`);
    await run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}`], {
      env: { ...process.env, GOBIN: gobin },
      timeout: 15 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    writeFileSync(builder, readFileSync(join(gobin, 'builder')), { mode: 0o755 });
  }
  // Build next to the cache entry and move it into place whole, so a reader never sees half a build.
  const tmpOut = join(cache, `tmp-${key}-${process.pid}`);
  rmSync(tmpOut, { recursive: true, force: true });
  const localManifest = join(cache, `manifest-${key}.yaml`);
  writeFileSync(localManifest, stringify({ ...manifest, dist: { ...manifest.dist, output_path: tmpOut } }));
  await run(builder, ['--config', localManifest], {
    cwd: cache,
    timeout: 60 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!existsSync(join(tmpOut, manifest.dist.name)))
    throw new Error(`the builder finished but no binary in ${tmpOut}`);
  renameSync(tmpOut, outDir);
  // keep the cache bounded: builds of older manifests (and leftovers of interrupted ones) go
  for (const entry of readdirSync(cache)) {
    const stale = ['build-', 'manifest-', 'tmp-'].some((p) => entry.startsWith(p)) && !entry.includes(key);
    if (stale) rmSync(join(cache, entry), { recursive: true, force: true });
  }
  return { binary, built: true, seconds: Math.round((Date.now() - started) / 1000) };
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

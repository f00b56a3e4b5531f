import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  manifest.dist.output_path = outDir;
  const localManifest = join(cache, `manifest-${key}.yaml`);
  writeFileSync(localManifest, stringify(manifest));
  await run(builder, ['--config', localManifest], {
    cwd: cache,
    timeout: 60 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!existsSync(binary)) throw new Error(`the builder finished but ${binary} is missing`);
  // keep the cache bounded: binaries of older manifests go
  for (const entry of readdirSync(cache)) {
    if ((entry.startsWith('build-') || entry.startsWith('manifest-')) && !entry.includes(key)) {
      rmSync(join(cache, entry), { recursive: true, force: true });
    }
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

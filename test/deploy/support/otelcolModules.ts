/**
 * The one upstream OpenTelemetry Collector release deploy/otelcol/builder-manifest.yaml is built
 * from, and the check that a generated collector module resolved every collector module to it.
 *
 * Each collector release tags its core modules (`go.opentelemetry.io/collector/...`) in two lines:
 * a v0 line for the modules still in beta and a v1 line for the stable ones (0.161.0 pairs with
 * 1.67.0); contrib modules (`github.com/open-telemetry/opentelemetry-collector-contrib/...`) are
 * all in the v0 line. A module the manifest does not pin itself (for example a package of another
 * module named by `import:`) resolves to that module's newest release, which can pull core modules
 * of a newer release in beside ours; Go then fails deep in the compile with an `undefined:` error.
 * This check names the modules before anything is compiled.
 */

/** The collector release the manifest and the builder (ocb) are pinned to. */
export const OTELCOL_RELEASE = {
  /** Tag of the beta (v0) modules, of contrib, and of the builder itself. */
  beta: 'v0.161.0',
  /** Tag of the stable (v1) core modules of the same release. */
  stable: 'v1.67.0',
  /** The oldest Go the release's modules accept (their go.mod `go` line). */
  minGo: '1.26.0',
} as const;

export type OtelcolRelease = Pick<typeof OTELCOL_RELEASE, 'beta' | 'stable'>;

const FAMILIES = [
  'go.opentelemetry.io/collector',
  'github.com/open-telemetry/opentelemetry-collector-contrib',
];

export interface ResolvedModule {
  path: string;
  version: string;
  /** `=> ...` of a replace directive, as `go list -m` prints it. */
  replacement?: string;
}

export interface OffReleaseModule extends ResolvedModule {
  /** The version of the pinned release this module should have. */
  expected: string;
  /** A module the manifest lists that is not in the build list at all (version is empty). */
  absent?: true;
}

/** Parses the output of `go list -m all`: `path version [=> replacement [version]]` per line. */
export function parseGoListModules(output: string): ResolvedModule[] {
  const modules: ResolvedModule[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [main, replacement] = line.split(/\s+=>\s+/, 2);
    const [path, version] = (main ?? '').split(/\s+/);
    if (path === undefined || path === '') continue;
    // The main module has no version.
    const mod: ResolvedModule = { path, version: version ?? '' };
    if (replacement !== undefined) mod.replacement = replacement;
    modules.push(mod);
  }
  return modules;
}

/**
 * Parses the modules a Go binary was linked from, as `go version -m <binary>` prints them
 * (`\tdep\tpath\tversion\tsum`, a replacement on the next line as `\t=>\tpath\tversion\tsum`).
 */
export function parseGoVersionM(output: string): ResolvedModule[] {
  const modules: ResolvedModule[] = [];
  for (const line of output.split('\n')) {
    const [kind, path, version] = line.trim().split(/\s+/);
    if (kind === 'dep' && path !== undefined) modules.push({ path, version: version ?? '' });
    const last = modules.at(-1);
    if (kind === '=>' && path !== undefined && last !== undefined)
      last.replacement = version === undefined ? path : `${path} ${version}`;
  }
  return modules;
}

/** Whether `path` is a module of the collector (core or contrib). */
export function isCollectorModule(path: string): boolean {
  return FAMILIES.some((f) => path === f || path.startsWith(`${f}/`));
}

/**
 * The collector modules in `modules` that are not at `release`: a v1 module must be at the
 * release's stable tag, every other one at its beta tag. A replaced module counts as off the
 * release, so a local override is never mistaken for the pinned code.
 */
export function offReleaseModules(
  modules: readonly ResolvedModule[],
  release: OtelcolRelease = OTELCOL_RELEASE,
): OffReleaseModule[] {
  const off: OffReleaseModule[] = [];
  for (const mod of modules) {
    if (mod.version === '' || !isCollectorModule(mod.path)) continue;
    const expected = mod.version.startsWith('v1.') ? release.stable : release.beta;
    if (mod.version !== expected || mod.replacement !== undefined) off.push({ ...mod, expected });
  }
  return off;
}

/**
 * Everything wrong with a generated collector module's build list: the collector modules off
 * `release` ({@link offReleaseModules}), and each module the manifest pins (`gomod:` lines,
 * `path version`) that is not in the build list at exactly that version, collector or not.
 */
export function buildListProblems(
  modules: readonly ResolvedModule[],
  pinned: readonly string[],
  release: OtelcolRelease = OTELCOL_RELEASE,
): OffReleaseModule[] {
  const problems = offReleaseModules(modules, release);
  const byPath = new Map(modules.map((m) => [m.path, m]));
  for (const line of pinned) {
    const [path = '', version = ''] = line.trim().split(/\s+/);
    if (problems.some((p) => p.path === path)) continue;
    const got = byPath.get(path);
    if (got === undefined) problems.push({ path, version: '', expected: version, absent: true });
    else if (got.version !== version || got.replacement !== undefined)
      problems.push({ ...got, expected: version });
  }
  return problems;
}

/** Thrown when a generated collector module resolved collector modules off the pinned release. */
export class OffReleaseModulesError extends Error {
  readonly modules: readonly OffReleaseModule[];

  constructor(modules: readonly OffReleaseModule[], release: OtelcolRelease, manifestPath: string) {
    const lines = modules.map((m) =>
      m.absent === true
        ? `  ${m.path} is not in the build list (pinned: ${m.expected}; no package of it is imported)`
        : `  ${m.path} ${m.version}${m.replacement === undefined ? '' : ` => ${m.replacement}`} (pinned: ${m.expected})`,
    );
    super(
      `${modules.length} module(s) resolved off release ${release.beta}/${release.stable} ` +
        `pinned in ${manifestPath}; nothing was compiled:\n${lines.join('\n')}\n` +
        'Give every component its own module on a `gomod:` line at the pinned release: a package ' +
        'named by `import:` that lives in a module of its own resolves to that module’s newest release.',
    );
    this.name = 'OffReleaseModulesError';
    this.modules = modules;
  }
}

/** `[major, minor, patch]` of a Go version such as `go1.26.8`, `1.26`, `go1.27rc1`; undefined if unreadable. */
export function parseGoVersion(text: string): [number, number, number] | undefined {
  const m = /(?:^|\s|go)(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Whether Go version `have` (as `go env GOVERSION` prints it) is at least `need` (`1.26.0`). */
export function goAtLeast(have: string, need: string): boolean {
  const h = parseGoVersion(have);
  const n = parseGoVersion(need);
  if (h === undefined || n === undefined) return false;
  for (let i = 0; i < 3; i++) {
    if (h[i]! !== n[i]!) return h[i]! > n[i]!;
  }
  return true;
}

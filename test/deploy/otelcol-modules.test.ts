/**
 * The pin of the upstream collector build: the manifest names every module at one collector
 * release, and the check run on the generated module before compiling (otelcolModules.ts) names
 * every collector module that resolved off that release. The failing listing below is what the
 * previous manifest resolved to once contrib 0.165.1 was out: `extension/storage/filestorage` was
 * imported as a package of `extension/storage` (pinned) and so resolved to its newest release.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OCB_VERSION } from './support/otelcol.js';
import {
  buildListProblems,
  goAtLeast,
  OffReleaseModulesError,
  offReleaseModules,
  OTELCOL_RELEASE,
  parseGoListModules,
  parseGoVersion,
  parseGoVersionM,
} from './support/otelcolModules.js';

const root = resolve(import.meta.dirname, '../..');
const CONTRIB = 'github.com/open-telemetry/opentelemetry-collector-contrib';
const CORE = 'go.opentelemetry.io/collector';

/** An excerpt of `go list -m all` in the module ocb generated from the unpinned manifest. */
const UNPINNED = `github.com/promptline/otelcol-promptline
cel.dev/expr v0.25.3
github.com/ClickHouse/clickhouse-go/v2 v2.47.0
${CONTRIB}/exporter/clickhouseexporter v0.161.0
${CONTRIB}/extension/healthcheckextension v0.161.0
${CONTRIB}/extension/storage/filestorage v0.165.1
${CONTRIB}/internal/healthcheck v0.161.0
${CONTRIB}/processor/resourceprocessor v0.161.0
${CORE}/component v1.71.0
${CORE}/component/componenttest v0.165.0
${CORE}/config/configauth v1.67.0
${CORE}/confmap v1.71.0
${CORE}/confmap/provider/envprovider v1.67.0
${CORE}/connector v0.161.0
${CORE}/extension v1.71.0
${CORE}/extension/extensiontest v0.165.0
${CORE}/extension/xextension v0.165.0
${CORE}/featuregate v1.71.0
${CORE}/internal/componentalias v0.165.0
${CORE}/internal/testutil v0.165.0
${CORE}/otelcol v0.161.0
${CORE}/pdata v1.71.0
${CORE}/pdata/pprofile v0.161.0
${CORE}/receiver/xreceiver v0.161.0
go.opentelemetry.io/otel v1.47.0
go.opentelemetry.io/otel/sdk v1.47.0
`;

describe('collector module check', () => {
  it('names every collector module of the unpinned build that is off release 0.161.0/1.67.0', () => {
    const off = offReleaseModules(parseGoListModules(UNPINNED));
    expect(off.map((m) => [m.path, m.version, m.expected])).toEqual([
      [`${CONTRIB}/extension/storage/filestorage`, 'v0.165.1', 'v0.161.0'],
      [`${CORE}/component`, 'v1.71.0', 'v1.67.0'],
      [`${CORE}/component/componenttest`, 'v0.165.0', 'v0.161.0'],
      [`${CORE}/confmap`, 'v1.71.0', 'v1.67.0'],
      [`${CORE}/extension`, 'v1.71.0', 'v1.67.0'],
      [`${CORE}/extension/extensiontest`, 'v0.165.0', 'v0.161.0'],
      [`${CORE}/extension/xextension`, 'v0.165.0', 'v0.161.0'],
      [`${CORE}/featuregate`, 'v1.71.0', 'v1.67.0'],
      [`${CORE}/internal/componentalias`, 'v0.165.0', 'v0.161.0'],
      [`${CORE}/internal/testutil`, 'v0.165.0', 'v0.161.0'],
      [`${CORE}/pdata`, 'v1.71.0', 'v1.67.0'],
    ]);
    const err = new OffReleaseModulesError(off, OTELCOL_RELEASE, 'deploy/otelcol/builder-manifest.yaml');
    expect(err.message).toContain('11 module(s) resolved off release v0.161.0/v1.67.0');
    expect(err.message).toContain(`${CORE}/pdata v1.71.0 (pinned: v1.67.0)`);
    expect(err.message).toContain(`${CONTRIB}/extension/storage/filestorage v0.165.1 (pinned: v0.161.0)`);
    expect(err.message).toContain('nothing was compiled');
    // The module the old manifest did pin is not even in the build list: nothing imports it.
    const withManifest = buildListProblems(parseGoListModules(UNPINNED), [
      `${CONTRIB}/extension/storage v0.161.0`,
    ]);
    expect(withManifest).toHaveLength(12);
    expect(withManifest.at(-1)).toEqual({
      path: `${CONTRIB}/extension/storage`,
      version: '',
      expected: 'v0.161.0',
      absent: true,
    });
  });

  it('passes a build list on one release, whatever the versions of other modules', () => {
    const pinned = UNPINNED.replaceAll('v0.165.1', 'v0.161.0')
      .replaceAll('v0.165.0', 'v0.161.0')
      .replaceAll('v1.71.0', 'v1.67.0');
    const modules = parseGoListModules(pinned);
    expect(modules).toHaveLength(26);
    expect(modules[0]).toEqual({ path: 'github.com/promptline/otelcol-promptline', version: '' });
    expect(offReleaseModules(modules)).toEqual([]);
  });

  it('takes a replaced module, a pseudo-version and an older release as off the release', () => {
    const listing = [
      `${CORE}/confmap v1.67.0 => ../confmap`,
      `${CORE}/consumer v1.67.1-0.20260901000000-abcdefabcdef`,
      `${CONTRIB}/pkg/stanza v0.160.0`,
      `${CORE} v0.161.0`,
      'go.opentelemetry.io/collectorx/foo v9.9.9', // not a collector module
    ].join('\n');
    const off = offReleaseModules(parseGoListModules(listing));
    expect(off.map((m) => m.path)).toEqual([`${CORE}/confmap`, `${CORE}/consumer`, `${CONTRIB}/pkg/stanza`]);
    expect(off[0]?.replacement).toBe('../confmap');
    expect(off[1]?.expected).toBe('v1.67.0');
    expect(off[2]?.expected).toBe('v0.161.0');
  });

  it('names a module the manifest pins that the build list lacks or has at another version', () => {
    const modules = parseGoListModules(
      [
        `${CONTRIB}/extension/storage v0.161.0`,
        'github.com/acme/otelcol-thing v1.2.4',
        `${CORE}/pdata v1.71.0`,
      ].join('\n'),
    );
    const problems = buildListProblems(modules, [
      `${CONTRIB}/extension/storage v0.161.0`, // fine
      `${CONTRIB}/extension/healthcheckextension v0.161.0`, // nothing imports it
      'github.com/acme/otelcol-thing v1.2.3', // a third-party component: its own pin
      `${CORE}/pdata v1.67.0`, // already named as off the release, once
    ]);
    expect(problems.map((p) => [p.path, p.version, p.expected, p.absent ?? false])).toEqual([
      [`${CORE}/pdata`, 'v1.71.0', 'v1.67.0', false],
      [`${CONTRIB}/extension/healthcheckextension`, '', 'v0.161.0', true],
      ['github.com/acme/otelcol-thing', 'v1.2.4', 'v1.2.3', false],
    ]);
    const message = new OffReleaseModulesError(problems, OTELCOL_RELEASE, 'm.yaml').message;
    expect(message).toContain(
      `${CONTRIB}/extension/healthcheckextension is not in the build list (pinned: v0.161.0`,
    );
    expect(message).toContain('github.com/acme/otelcol-thing v1.2.4 (pinned: v1.2.3)');
  });

  it('reads the modules a binary was linked from (`go version -m`)', () => {
    const output = [
      'otelcol-promptline: go1.26.8',
      '\tpath\tgithub.com/promptline/otelcol-promptline',
      '\tmod\tgithub.com/promptline/otelcol-promptline\t(devel)\t',
      '\tdep\tgithub.com/ClickHouse/ch-go\tv0.73.0\th1:jsHiGRbQ3sz+gekvDFJF29LWDo5dzbJm5s1h8TWVP2M=',
      `\tdep\t${CORE}/pdata\tv1.67.0\th1:x=`,
      `\tdep\t${CORE}/confmap\tv1.67.0\t`,
      '\t=>\t../confmap\t(devel)\t',
      '\tbuild\tCGO_ENABLED=0',
    ].join('\n');
    const modules = parseGoVersionM(output);
    expect(modules).toEqual([
      { path: 'github.com/ClickHouse/ch-go', version: 'v0.73.0' },
      { path: `${CORE}/pdata`, version: 'v1.67.0' },
      { path: `${CORE}/confmap`, version: 'v1.67.0', replacement: '../confmap (devel)' },
    ]);
    expect(offReleaseModules(modules).map((m) => m.path)).toEqual([`${CORE}/confmap`]);
  });

  it('compares Go versions as the toolchain prints them', () => {
    expect(parseGoVersion('go1.26.8')).toEqual([1, 26, 8]);
    expect(parseGoVersion('go1.27rc1')).toEqual([1, 27, 0]);
    expect(parseGoVersion('devel go1.28-abcdef')).toEqual([1, 28, 0]);
    expect(parseGoVersion('gccgo')).toBeUndefined();
    expect(goAtLeast('go1.26.8', '1.26.0')).toBe(true);
    expect(goAtLeast('go1.26.0', '1.26.0')).toBe(true);
    expect(goAtLeast('go1.25.9', '1.26.0')).toBe(false);
    expect(goAtLeast('go1.9.2', '1.26.0')).toBe(false);
    expect(goAtLeast('go2.0.0', '1.26.0')).toBe(true);
    expect(goAtLeast('unknown', '1.26.0')).toBe(false);
  });
});

describe('deploy/otelcol/builder-manifest.yaml', () => {
  type Component = { gomod?: string; import?: string };
  const manifest = parse(readFileSync(join(root, 'deploy/otelcol/builder-manifest.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const components = ['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'providers']
    .flatMap((kind) => (manifest[kind] as Component[] | undefined) ?? [])
    .map((c) => ({ ...c, gomod: c.gomod ?? '' }));

  it('pins every component at the release the builder and the check use', () => {
    expect(OCB_VERSION).toBe(OTELCOL_RELEASE.beta);
    expect(components.length).toBeGreaterThanOrEqual(8);
    const listing = components.map((c) => c.gomod).join('\n');
    const modules = parseGoListModules(listing);
    expect(modules.every((m) => m.version !== '' && isCollector(m.path))).toBe(true);
    expect(offReleaseModules(modules)).toEqual([]);
  });

  it('names each component by its own module, not as a package of another (`import:`)', () => {
    // A package of a module of its own, reached through `import:`, is not pinned by the line.
    expect(components.filter((c) => c.import !== undefined).map((c) => c.import)).toEqual([]);
  });
});

function isCollector(path: string): boolean {
  return path.startsWith(`${CORE}/`) || path.startsWith(`${CONTRIB}/`);
}

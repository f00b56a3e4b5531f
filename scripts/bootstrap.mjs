#!/usr/bin/env node
// One entry point for the README's two commands on a machine that has only Node 20 and npm:
//   npm run demo   -> install, build, run the end-to-end demo on the embedded engine
//   npm test       -> install, build, run every test, end with the plain line "N passed, N failed"
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const task = process.argv[2];
if (task !== 'demo' && task !== 'test') {
  console.error('usage: node scripts/bootstrap.mjs demo|test');
  process.exit(2);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

/** The output of `cmd --version`, or undefined when it does not run. */
function versionOf(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// pnpm: exactly the version in package.json's `packageManager` (never "the newest 10.x"). Use the
// one on PATH if it is that version; if there is none, install that version globally with npm;
// if the one on PATH is another version, run the pinned one through npx and leave it alone.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pinned = /^pnpm@(\d+\.\d+\.\d+)$/.exec(pkg.packageManager ?? '')?.[1];
if (pinned === undefined) {
  console.error('[promptline] package.json must pin pnpm exactly: "packageManager": "pnpm@X.Y.Z"');
  process.exit(2);
}
let pnpm = ['pnpm'];
const found = versionOf('pnpm');
if (found === undefined) {
  console.log(`[promptline] pnpm not found: installing pnpm@${pinned} with npm`);
  if (run('npm', ['install', '-g', `pnpm@${pinned}`]) !== 0 || versionOf('pnpm') !== pinned)
    pnpm = ['npx', '-y', `pnpm@${pinned}`];
} else if (found !== pinned) {
  console.log(
    `[promptline] pnpm ${found} on PATH, this repository pins ${pinned}: running pnpm@${pinned} with npx`,
  );
  pnpm = ['npx', '-y', `pnpm@${pinned}`];
}
const pn = (args, opts) => run(pnpm[0], [...pnpm.slice(1), ...args], opts);

// Only the locked dependency versions, never a fresh resolution.
if (!existsSync(join(root, 'pnpm-lock.yaml'))) {
  console.error('[promptline] pnpm-lock.yaml is missing: the install resolves only locked versions');
  process.exit(2);
}
if (pn(['install', '--frozen-lockfile']) !== 0) process.exit(1);
if (pn(['run', 'build']) !== 0) process.exit(1);

if (task === 'demo') {
  process.exit(pn(['run', 'demo:run']));
}

// The console's browser tests drive Debian's Chromium (test/support/browser.ts). CI runs as root:
// install the package by name when it is missing. Elsewhere the tests say how to install it.
if (!existsSync('/usr/bin/chromium') && process.getuid?.() === 0 && versionOf('apt-get') !== undefined) {
  console.log('[promptline] installing Debian chromium for the browser tests (apt-get install -y chromium)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run('apt-get', ['update'], { env }) !== 0 ||
    run('apt-get', ['install', '-y', 'chromium'], { env }) !== 0
  )
    console.log('[promptline] could not install chromium: the browser tests will say so');
}

// The upstream collector (test/deploy) is built from source with Go: do it before the tests run,
// so a cold build does not compete with timing-sensitive tests for the CPU. When it fails, its
// error is printed here and the tests that need the binary fail with a pointer to it (they do
// not build again).
const testEnv = { ...process.env };
if (pn(['exec', 'node', '--import', 'tsx', 'test/deploy/support/prebuild.ts']) !== 0)
  testEnv.PROMPTLINE_OTELCOL_PREBUILD_FAILED = '1';

// Tests: vitest's own summary is not what CI reads, so count from its JSON report.
const out = join(mkdtempSync(join(tmpdir(), 'promptline-test-')), 'vitest.json');
const status = pn(
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
  { env: testEnv },
);
let passed = 0;
let failed = 0;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  // A file that fails to load or whose hooks throw has no failed test of its own: count it once.
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    if (file.status === 'failed' && !tests.some((t) => t.status === 'failed')) failed += 1;
  }
} else {
  failed = 1;
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

/**
 * Runs the one-command demo (examples/demo/src/run.ts) as a child process on a temp home dir, the
 * way `pnpm demo:run` does, and checks what it prints against what `promptline metrics --json`
 * reads from the same dir afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { requireBuilt, runCli } from '../support/builtCli.js';
import { runDemo } from '../support/demo.js';

const PROMPTS = ['math-tutor', 'support-reply'] as const;
/** The demo's two phases each make 40 calls per prompt; every 5th call goes through `canary`. */
const CALLS_PER_PROMPT = 80;
const CANARY_CALLS_PER_PROMPT = 16;

/** Per prompt, per version: calls and failed calls from the demo's own phase summaries. */
function parseSummaries(stdout: string): Map<string, Map<number, { calls: number; failed: number }>> {
  const out = new Map<string, Map<number, { calls: number; failed: number }>>();
  for (const m of stdout.matchAll(/^ {4}(\S+) v(\d+) \((\w+)\)\s+(\d+) calls, (\d+) failed/gm)) {
    const byVersion = out.get(m[1]!) ?? new Map<number, { calls: number; failed: number }>();
    const cur = byVersion.get(Number(m[2])) ?? { calls: 0, failed: 0 };
    byVersion.set(Number(m[2]), { calls: cur.calls + Number(m[4]), failed: cur.failed + Number(m[5]) });
    out.set(m[1]!, byVersion);
  }
  return out;
}

/** Per prompt: `[version, calls]` rows of the `promptline metrics` tables the demo printed. */
function parseTables(stdout: string): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const section of stdout.split(/^prompt /m).slice(1)) {
    const name = section.slice(0, section.indexOf(' '));
    const rows = [...section.matchAll(/^v(\d+)\s+\S+\s+(\d+)\s/gm)].map(
      (m) => [Number(m[1]), Number(m[2])] as [number, number],
    );
    out.set(name, rows);
  }
  return out;
}

describe('the demo (examples/demo/src/run.ts) on a temp home dir', () => {
  const home = mkdtempSync(join(tmpdir(), 'promptline-demo-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('runs to the end, prints 3 versions per prompt, and the stored metrics agree', async () => {
    requireBuilt(['sdk']);
    const run = await runDemo(home, 110_000);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('demo:');
    expect(run.stdout).toContain('✓ all generations and scores stored');

    const summaries = parseSummaries(run.stdout);
    // The metrics tables come before the regressions report (which starts with its own `prompt` line).
    const tables = parseTables(run.stdout.split('$ promptline regressions')[0]!);
    expect([...summaries.keys()].sort()).toEqual([...PROMPTS]);
    expect([...tables.keys()].sort()).toEqual([...PROMPTS]);
    for (const prompt of PROMPTS) {
      const byVersion = summaries.get(prompt)!;
      expect([...byVersion.keys()].sort()).toEqual([1, 2, 3]);
      const calls = (v: number): number => byVersion.get(v)!.calls;
      expect(calls(1) + calls(2) + calls(3)).toBe(CALLS_PER_PROMPT);
      // canary → v3 throughout; production → v1 in phase 1 (32 calls), then v2 (a few phase-2
      // calls may still see v1 until the prompt cache refreshes).
      expect(calls(3)).toBe(CANARY_CALLS_PER_PROMPT);
      expect(calls(1)).toBeGreaterThanOrEqual(32);
      expect(calls(2)).toBeGreaterThan(0);

      const expectedRows = [3, 2, 1].map((v) => [v, calls(v)]);
      expect(
        tables.get(prompt)!.sort((a, b) => b[0] - a[0]),
        `${prompt} table`,
      ).toEqual(expectedRows);

      // Afterwards (collector stopped), the CLI reads the same numbers from the embedded engine.
      const r = await runCli(['--dir', home, 'metrics', '--prompt', prompt, '--since', '1d', '--json']);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        versions: Array<{
          version: number;
          count: number;
          errors: number;
          scores: Record<string, { count: number }>;
        }>;
      };
      const stored = [...report.versions].sort((a, b) => b.version - a.version);
      expect(stored.map((v) => [v.version, v.count])).toEqual(expectedRows);
      for (const v of stored) {
        const ok = byVersion.get(v.version)!.calls - byVersion.get(v.version)!.failed;
        expect(v.errors, `${prompt} v${v.version} errors`).toBe(byVersion.get(v.version)!.failed);
        // Every successful call is scored `correct`; successful support replies get a `user-rating` too.
        expect(v.scores.correct?.count, `${prompt} v${v.version} correct`).toBe(ok);
        if (prompt === 'support-reply') expect(v.scores['user-rating']?.count).toBe(ok);
      }
    }

    // The demo ends with the regressions report of its own label move, found in the registry's
    // label log at the time the registry recorded it (printed by the demo when it moved the label).
    const movedAt = /^label move: production → v2 .*registry: support-reply at (\S+)$/m.exec(run.stdout)?.[1];
    expect(movedAt, 'the demo prints when the registry moved the label').toBeDefined();
    const section = run.stdout.slice(run.stdout.indexOf('$ promptline regressions --prompt support-reply'));
    expect(section).toContain("moves from the prompt registry's label log");
    const printed = /^production moved v1 → v2 at (\S+) by (\S+);/m.exec(section);
    expect(printed, section).not.toBeNull();
    expect(Date.parse(printed![1]!)).toBe(Date.parse(movedAt!));
    const r = await runCli([
      '--dir',
      home,
      'regressions',
      '--prompt',
      'support-reply',
      '--since',
      '1d',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      moveSource: string;
      moves: Array<{
        at: string;
        fromVersion: number;
        toVersion: number;
        source: string;
        actor: string | null;
        before: { generations: number };
        after: { generations: number };
        metrics: Array<{ metric: string; p: number | null }>;
      }>;
    };
    expect(report.moveSource).toBe('registry');
    const move = report.moves[report.moves.length - 1]!;
    expect([move.fromVersion, move.toVersion, move.source, move.actor]).toEqual([
      1,
      2,
      'registry',
      printed![2],
    ]);
    expect(Date.parse(move.at)).toBe(Date.parse(movedAt!));
    // Production calls of v1 before the move (32 in phase 1) against v2 after it: enough to test.
    const production = (v: number): number => summaries.get('support-reply')!.get(v)!.calls;
    expect(move.before.generations).toBeGreaterThanOrEqual(20);
    expect(move.before.generations).toBeLessThanOrEqual(production(1));
    expect(move.after.generations).toBeGreaterThanOrEqual(20);
    expect(move.metrics.find((m) => m.metric === 'score:correct')?.p).not.toBeNull();
  }, 120_000);
});

describe('requireBuilt (test/support/builtCli.ts): the demo test runs built packages', () => {
  const root = mkdtempSync(join(tmpdir(), 'promptline-built-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, at: Date): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    utimesSync(join(root, path), at, at);
  };

  it('refuses a dist older than its src, naming the file, and accepts a fresh one', () => {
    const old = new Date(Date.now() - 60_000);
    const fresh = new Date(Date.now() - 1_000);
    for (const p of ['semconv', 'clickhouse', 'collector', 'cli', 'sdk']) {
      write(`packages/${p}/src/index.ts`, old);
      write(`packages/${p}/dist/index.js`, fresh);
    }
    write('packages/cli/dist/bin.js', fresh);
    write('packages/collector/dist/bin.js', fresh);
    expect(() => requireBuilt(['sdk'], root)).not.toThrow();

    write('packages/sdk/src/tracing/observe.ts', new Date());
    expect(() => requireBuilt(['sdk'], root)).toThrow(
      'dist is older than src — run pnpm build (this test runs the built packages):\n  ' +
        'packages/sdk/src/tracing/observe.ts is newer than packages/sdk/dist/index.js',
    );
    // Only the packages the test runs are checked.
    expect(() => requireBuilt([], root)).not.toThrow();
  });
});

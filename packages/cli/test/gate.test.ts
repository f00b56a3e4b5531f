import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { insertLogs, insertTraces, openClickHouse } from '@promptline/clickhouse';
import type { LabelMove, MetricComparison, RegressionReport } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compareGate, parseFailOn, REGRESSIONS_FAIL_ON, regressionsGate } from '../src/gate.js';
import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';
import { PHASES, PROMPT, seedRows } from './compareSeed.js';

/**
 * The deploy gates: `compare --fail-on worse` and `regressions --fail-on regression` exit 1 when the
 * verdicts say so, 0 otherwise, 2 on usage errors; `--json` carries the decision. The rules on
 * synthetic reports, then the commands on the embedded engine (the compare seed: v2 → v3 is slower
 * and scores lower, v3 → v4 changes nothing; the registry moves production v2 → v3 only).
 */

const metric = (name: string, verdict: MetricComparison['verdict'], tested = true): MetricComparison =>
  ({ metric: name, verdict, p: tested ? 0.01 : null }) as MetricComparison;

const move = (at: string, environment: string, regressions: string[], tested = true): LabelMove =>
  ({
    environment,
    at,
    fromVersion: 1,
    toVersion: 2,
    regressions,
    metrics: [metric('latency_ms', regressions.length > 0 ? 'worse' : 'no significant difference', tested)],
  }) as LabelMove;

const report = (moves: LabelMove[]): RegressionReport => ({ label: 'production', moves }) as RegressionReport;

describe('gate rules', () => {
  it('--fail-on values are checked: a list of known conditions, else a usage error (2)', () => {
    expect(parseFailOn('regression, untested', REGRESSIONS_FAIL_ON)).toEqual(['regression', 'untested']);
    for (const bad of ['worse', '', 'regression,', 'REGRESSION']) {
      expect(() => parseFailOn(bad, REGRESSIONS_FAIL_ON)).toThrow(
        expect.objectContaining({ exitCode: 2, message: expect.stringContaining('regression, untested') }),
      );
    }
  });

  it('compare: worse, changed and untested each name what failed', () => {
    const metrics = [
      metric('latency_ms', 'worse'),
      metric('score:tone', 'changed'),
      metric('error_rate', 'better'),
    ];
    expect(compareGate(metrics, ['worse'])).toEqual({
      failOn: ['worse'],
      failed: true,
      reasons: ['worse: latency_ms'],
    });
    expect(compareGate(metrics, ['changed']).reasons).toEqual(['changed: score:tone']);
    expect(compareGate([metric('error_rate', 'better')], ['worse', 'changed']).failed).toBe(false);
    const none = [metric('latency_ms', 'insufficient data', false)];
    expect(compareGate(none, ['worse']).failed).toBe(false);
    expect(compareGate(none, ['worse', 'untested']).reasons).toEqual(['untested: no metric had enough data']);
  });

  it("regressions: each environment's latest move decides; a roll-back after a regression passes", () => {
    const regressed = move('2026-11-20T10:00:00.000Z', 'prod', ['latency_ms']);
    const rollback = move('2026-11-20T11:00:00.000Z', 'prod', []);
    expect(regressionsGate(report([regressed]), ['regression']).reasons).toEqual([
      'regression: v1 → v2 at 2026-11-20T10:00:00.000Z (prod): latency_ms',
    ]);
    expect(regressionsGate(report([regressed, rollback]), ['regression']).failed).toBe(false);
    // Another environment's latest move regressed: that fails.
    const eu = move('2026-11-20T09:00:00.000Z', 'eu', ['score:quality']);
    expect(regressionsGate(report([regressed, rollback, eu]), ['regression']).reasons).toEqual([
      'regression: v1 → v2 at 2026-11-20T09:00:00.000Z (eu): score:quality',
    ]);
    expect(regressionsGate(report([]), ['regression']).failed).toBe(false);
    expect(regressionsGate(report([]), ['untested']).reasons).toEqual([
      'untested: no move of "production" in the window',
    ]);
    const thin = move('2026-11-20T12:00:00.000Z', '', [], false);
    expect(regressionsGate(report([thin]), ['regression', 'untested']).reasons).toEqual([
      'untested: v1 → v2 at 2026-11-20T12:00:00.000Z: no metric had enough data',
    ]);
  });
});

describe('gates on the embedded engine', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-cli-gate-'));
    expect(await runCli(['--dir', dir, 'migrate'], { out: captureOutput().out, env: {} })).toBe(0);
    const client = openClickHouse({ path: join(dir, 'data') });
    const { spans, logs } = seedRows('default');
    await insertTraces(client, spans, { dedupToken: 'gate-spans' });
    await insertLogs(client, logs, { dedupToken: 'gate-scores' });
    // The registry knows `production` v2 from the first phase and the move to v3 (not the one to v4).
    await client.insert({
      table: 'default.prompt_label_events',
      format: 'JSONEachRow',
      values: [
        [PHASES[0]!.start - 60_000, 2, 'alice'],
        [PHASES[1]!.start, 3, 'release-bot'],
      ].map(([at, version, actor], i) => ({
        project_id: 'default',
        name: PROMPT,
        label: 'production',
        version,
        actor,
        moved_at: new Date(at as number).toISOString().replace('T', ' ').replace('Z', ''),
        event_id: `gate-${i}`,
      })),
    });
    await client.close();
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const cap = captureOutput();
    const code = await runCli(['--dir', dir, ...args], { out: cap.out, env: {} });
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
  };

  it('compare --fail-on worse: exit 1 naming the worse metrics, the table still printed; 0 when nothing is worse', async () => {
    const worse = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--fail-on', 'worse']);
    expect(worse.code).toBe(1);
    expect(worse.stdout).toMatch(/^latency_ms\s/m);
    expect(worse.stderr).toContain('error: --fail-on worse: worse: latency_ms, score:quality');
    const same = await run(['compare', '--prompt', PROMPT, '3', '4', '--since', '4h', '--fail-on', 'worse']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toBe('');
  });

  it('compare --fail-on worse --json: the decision in the document, and the exit code', async () => {
    const r = await run([
      'compare',
      '--prompt',
      PROMPT,
      '2',
      '3',
      '--since',
      '4h',
      '--fail-on',
      'worse',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { gate: { failOn: string[]; failed: boolean; reasons: string[] } };
    expect(doc.gate).toEqual({
      failOn: ['worse'],
      failed: true,
      reasons: ['worse: latency_ms, score:quality'],
    });
    const ok = await run([
      'compare',
      '--prompt',
      PROMPT,
      '3',
      '4',
      '--since',
      '4h',
      '--fail-on',
      'worse',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { gate: { failed: boolean } }).gate.failed).toBe(false);
    // Without --fail-on there is no gate and no failure.
    const plain = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--json']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('gate');
  });

  it('compare --fail-on untested: no data for the versions fails', async () => {
    const r = await run([
      'compare',
      '--prompt',
      PROMPT,
      '7',
      '8',
      '--since',
      '4h',
      '--fail-on',
      'worse,untested',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('untested: no metric had enough data');
    expect(
      (await run(['compare', '--prompt', PROMPT, '7', '8', '--since', '4h', '--fail-on', 'worse'])).code,
    ).toBe(0);
  });

  it('regressions --fail-on regression: the registry move v2 → v3, at its registry time and by its actor, fails', async () => {
    const r = await run(['regressions', '--prompt', PROMPT, '--since', '4h', '--fail-on', 'regression']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("moves from the prompt registry's label log");
    expect(r.stdout).toContain(
      `production moved v2 → v3 at ${new Date(PHASES[1]!.start).toISOString()} by release-bot;`,
    );
    expect(r.stderr).toMatch(
      /error: --fail-on regression: regression: v2 → v3 at .*: latency_ms, score:quality/,
    );
    const json = await run([
      'regressions',
      '--prompt',
      PROMPT,
      '--since',
      '4h',
      '--fail-on',
      'regression',
      '--json',
    ]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { moveSource: string; gate: { failed: boolean } };
    expect([doc.moveSource, doc.gate.failed]).toEqual(['registry', true]);
  });

  it('regressions: a label without moves passes --fail-on regression and fails --fail-on untested', async () => {
    const pass = await run([
      'regressions',
      '--prompt',
      PROMPT,
      '--label',
      'canary',
      '--fail-on',
      'regression',
    ]);
    expect(pass.code).toBe(0);
    const fail = await run(['regressions', '--prompt', PROMPT, '--label', 'canary', '--fail-on', 'untested']);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain('untested: no move of "canary" in the window');
  });

  it('usage errors exit 2: an unknown condition, an unknown option, a missing argument', async () => {
    const bad = await run(['compare', '--prompt', PROMPT, '2', '3', '--fail-on', 'slower']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fail-on "slower": expected one or more of worse, changed, untested');
    expect((await run(['regressions', '--prompt', PROMPT, '--fail-on', 'worse'])).code).toBe(2);
    expect((await run(['compare', '--prompt', PROMPT, '2', '3', '--fail-fast'])).code).toBe(2);
    expect((await run(['compare', '--prompt', PROMPT, '2'])).code).toBe(2);
  });
});

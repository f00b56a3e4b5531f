import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { insertLogs, insertTraces, openClickHouse } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';
import { HOUR, PER_VERSION, PHASES, PROMPT, seedRows } from './compareSeed.js';

/**
 * `promptline compare` and `promptline regressions` on the embedded engine: the data directory is
 * migrated by `promptline migrate`, filled through the package's insert API (so the materialized
 * views run), and read by the commands with --json and as tables.
 */

interface JsonMetric {
  metric: string;
  verdict: string;
  test: string;
  p: number | null;
  pAdjusted: number | null;
  baseline: { n: number; total: number };
  candidate: { n: number; total: number };
}

describe('promptline compare / regressions (embedded engine)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-cli-compare-'));
    const migrated = captureOutput();
    expect(await runCli(['--dir', dir, 'migrate'], { out: migrated.out, env: {} })).toBe(0);
    const client = openClickHouse({ path: join(dir, 'data') });
    const { spans, logs } = seedRows('default');
    await insertTraces(client, spans, { dedupToken: 'cli-compare-spans' });
    await insertLogs(client, logs, { dedupToken: 'cli-compare-scores' });
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

  it('compare --json: version 3 is worse than 2 on latency and quality', async () => {
    const r = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      prompt: string;
      baseline: number;
      candidate: number;
      source: string;
      baselineGenerations: number;
      candidateGenerations: number;
      metrics: JsonMetric[];
    };
    expect(report.source).toBe(`embedded:${join(dir, 'data')}`);
    expect([report.baseline, report.candidate]).toEqual([2, 3]);
    expect(report.baselineGenerations).toBe(PER_VERSION);
    expect(report.candidateGenerations).toBe(PER_VERSION);
    const by = new Map(report.metrics.map((m) => [m.metric, m]));
    expect(by.get('latency_ms')?.verdict).toBe('worse');
    expect(by.get('latency_ms')?.baseline.n).toBe(PER_VERSION);
    expect(by.get('score:quality')?.verdict).toBe('worse');
    expect(by.get('score:quality')?.candidate.n).toBe(PER_VERSION);
    expect(by.get('ttft_ms')?.verdict).toBe('insufficient data'); // nothing streamed
    expect(by.get('error_rate')?.verdict).toBe('no significant difference');
  });

  it('compare --json: versions 3 and 4 do not differ; same input, same output', async () => {
    const first = await run(['compare', '--prompt', PROMPT, '3', '4', '--since', '4h', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const metrics = (JSON.parse(first.stdout) as { metrics: JsonMetric[] }).metrics;
    for (const m of metrics) {
      expect(['no significant difference', 'insufficient data'], m.metric).toContain(m.verdict);
    }
    expect(metrics.find((m) => m.metric === 'latency_ms')?.verdict).toBe('no significant difference');
    const second = await run(['compare', '--prompt', PROMPT, '3', '4', '--since', '4h', '--json']);
    const strip = (s: string): unknown => {
      const { from: _f, to: _t, ...rest } = JSON.parse(s) as Record<string, unknown>;
      return rest;
    };
    expect(strip(second.stdout)).toEqual(strip(first.stdout));
  });

  it('compare prints a table with the verdicts', async () => {
    const r = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--sample-limit', '40']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`prompt ${PROMPT}: v2 (baseline, ${PER_VERSION} calls) vs v3`);
    expect(r.stdout).toMatch(
      /^metric\s+better\s+baseline \[95% CI\]\s+candidate \[95% CI\]\s+change\s+difference \[95% CI\]\s+effect\s+test\s+p\s+p \(Holm\)\s+verdict/m,
    );
    // Each side's headline with its interval; the Hodges–Lehmann shift with its interval; Cliff's δ.
    expect(r.stdout).toMatch(
      /^latency_ms\s+lower\s+median \d+ms \[\d+ms, \d+ms\] n=40\/150\s+median \d+ms \[\d+ms, \d+ms\] n=40\/150\s+\+\d+\.\d%\s+\+\d+ms \[\+\d+ms, \+\d+ms\]\s+δ=0\.\d\d\s+MWU exact.*worse$/m,
    );
    // A numeric score: the mean with its t interval, Welch's difference and Hedges' g.
    expect(r.stdout).toMatch(
      /^score:quality\s+higher\s+mean 0\.\d\d \[0\.\d\d, 0\.\d\d\] n=40\/150\s+.*-0\.\d\d \[-0\.\d\d, -0\.\d\d\]\s+g=-\d\.\d\d\s+Welch t.*worse$/m,
    );
    expect(r.stdout).toContain('samples capped at 40 per version');
  });

  it('regressions --json: two moves of production, only 2 → 3 regresses', async () => {
    const r = await run(['regressions', '--prompt', PROMPT, '--since', '4h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      label: string;
      movesFound: number;
      moves: Array<{
        fromVersion: number;
        toVersion: number;
        at: string;
        regressions: string[];
        before: { generations: number };
        after: { generations: number };
      }>;
    };
    expect(report.label).toBe('production');
    expect(report.movesFound).toBe(2);
    expect(report.moves.map((m) => [m.fromVersion, m.toVersion])).toEqual([
      [2, 3],
      [3, 4],
    ]);
    expect(Date.parse(report.moves[0]!.at)).toBe(
      PHASES[1]!.start + Math.floor((0.5 * (HOUR - 120_000)) / PER_VERSION),
    );
    expect(report.moves[0]!.regressions).toEqual(expect.arrayContaining(['latency_ms', 'score:quality']));
    expect(report.moves[1]!.regressions).toEqual([]);
    expect(report.moves[0]!.before.generations).toBeGreaterThan(PER_VERSION * 0.9);
    expect(report.moves[0]!.after.generations).toBeGreaterThan(PER_VERSION * 0.9);
  });

  it('regressions prints each move and its regressions; another label has no moves', async () => {
    const r = await run(['regressions', '--prompt', PROMPT, '--since', '4h']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /production moved v2 → v3 at .*; (59|60)m before vs after: \d+ vs 1(49|50) calls/,
    );
    expect(r.stdout).toMatch(/REGRESSIONS: .*latency_ms/);
    expect(r.stdout).toContain('no regressions');
    const none = await run(['regressions', '--prompt', PROMPT, '--label', 'canary', '--since', '4h']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no moves of label "canary" in the window');
  });

  it('says so when the project has no generations of either version', async () => {
    const r = await run([
      'compare',
      '--prompt',
      PROMPT,
      '2',
      '3',
      '--since',
      '4h',
      '--project',
      'other',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no generations of v2 or v3 of "triage" in project "other" in the last 4h');
    const report = JSON.parse(r.stdout) as { baselineGenerations: number; metrics: JsonMetric[] };
    expect(report.baselineGenerations).toBe(0);
    for (const m of report.metrics) expect(m.verdict).toBe('insufficient data');
  });

  it('rejects bad arguments with exit code 2 and names them', async () => {
    const bad = await run(['compare', '--prompt', PROMPT, '2', 'v0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'error: candidate version "v0" is not a version: version 0 is not a version',
    );
    const alpha = await run(['compare', '--prompt', PROMPT, '2', '3', '--alpha', '2']);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toContain('--alpha "2" must be between 0 and 1');
    const window = await run(['regressions', '--prompt', PROMPT, '--max-window', 'soon']);
    expect(window.code).toBe(2);
    expect(window.stderr).toContain('--max-window "soon" is not a duration');
  });
});

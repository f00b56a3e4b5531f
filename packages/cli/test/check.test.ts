import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openClickHouse } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CheckReport } from '../src/commands/check.js';
import { runCli } from '../src/program.js';
import { buildMoveSeed, NOW, PROJECT, writeMoveSeed } from '../../../test/kit/labelMoveSeed.js';
import { captureOutput } from './captureOutput.js';

/**
 * `promptline check`: the baseline-relative alert rules (the Grafana group `promptline-label-moves`)
 * on the embedded engine over the seeded label moves (test/kit/labelMoveSeed.ts): `summarize`
 * (registry move) and `extract` (move seen in spans) regressed, `classify` did not.
 */
describe('promptline check (embedded engine)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-cli-check-'));
    expect(await runCli(['--dir', dir, 'migrate'], { out: captureOutput().out, env: {} })).toBe(0);
    const client = openClickHouse({ path: join(dir, 'data') });
    try {
      await writeMoveSeed(client, buildMoveSeed());
    } finally {
      await client.close();
    }
  }, 180_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const cap = captureOutput();
    const code = await runCli(['--dir', dir, ...args], {
      out: cap.out,
      env: { PROMPTLINE_PROJECT: PROJECT },
    });
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
  };
  const at = new Date(NOW).toISOString();

  it('exits 1 when a label serves a version significantly worse than the one before its move', async () => {
    const r = await run(['check', '--at', at]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^summarize\s+production\s+prod\s+v2 → v3\s+error rate\s+\d+\.\d\d\s+.*WORSE$/m);
    expect(r.stdout).toMatch(/^extract\s+production\s+prod\s+v1 → v2\s+p95 latency\s+.*WORSE$/m);
    expect(r.stdout).toMatch(/^classify\s+production\s+prod\s+v1 → v2\s+error rate\s+.*ok$/m);
    expect(r.stderr).toContain(
      'error: significantly worse than before the move: extract production v2 error rate',
    );
  });

  it('--json: every instance and the firing ones; --prompt narrows to one prompt (exit 0 when it is fine)', async () => {
    const r = await run(['check', '--at', at, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.project).toBe(PROJECT);
    expect(report.firing.map((i) => `${i.prompt}/${i.metric}/${i.score ?? ''}`)).toEqual([
      'extract/error_rate/',
      'extract/latency_p95/',
      'summarize/error_rate/',
      'summarize/latency_p95/',
      'summarize/score/correct',
      'summarize/score/quality',
    ]);
    const classify = await run(['check', '--at', at, '--prompt', 'classify']);
    expect(classify.code, classify.stderr).toBe(0);
    expect(classify.stdout).not.toContain('WORSE');
    // A week later the moves are settled: nothing to check.
    const later = await run(['check', '--at', new Date(NOW + 8 * 86_400_000).toISOString()]);
    expect(later.code).toBe(0);
    expect(later.stdout).toContain('nothing to check');
  });

  it('usage errors exit 2', async () => {
    expect((await run(['check', '--at', 'tomorrow'])).code).toBe(2);
    expect((await run(['check', '--label', ''])).code).toBe(2);
  });
});

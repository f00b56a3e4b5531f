import { insertLogs, insertTraces } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestCollector } from '../../../test/kit/collector.js';
import type { TestCollector } from '../../../test/kit/collector.js';

import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';
import { PER_VERSION, PROMPT, seedRows } from './compareSeed.js';

/**
 * `promptline compare` / `regressions` through a running collector that owns the embedded engine:
 * the commands read over the collector's read-only SQL endpoint with a read key.
 */

const READER = 'pl_cli_compare_read_key_000000000000000000000';
const INGEST = 'pl_cli_compare_ingest_key_0000000000000000000';

describe('promptline compare / regressions through a collector', () => {
  let dir: string;
  let collector: TestCollector;

  beforeAll(async () => {
    collector = await startTestCollector({
      prefix: 'promptline-cli-compare-collector-',
      keys: [
        { key: READER, project: 'acme', scopes: ['read', 'sql'], name: 'reader' },
        { key: INGEST, project: 'acme', scopes: ['ingest'], name: 'app' },
      ],
    });
    dir = collector.dir;
    // Straight into the collector's engine (the insert API the exporter uses), so the MVs run.
    const { spans, logs } = seedRows('acme');
    await insertTraces(collector.collector.client, spans, { dedupToken: 'cli-compare-collector-spans' });
    await insertLogs(collector.collector.client, logs, { dedupToken: 'cli-compare-collector-scores' });
  }, 120_000);
  afterAll(async () => {
    await collector?.close();
  });

  const run = async (
    args: string[],
    key = READER,
  ): Promise<{ code: number; stdout: string; stderr: string }> => {
    const cap = captureOutput();
    const code = await runCli(
      ['--dir', dir, ...args, '--collector', collector.url, '--api-key', key, '--project', 'acme'],
      { out: cap.out, env: {} },
    );
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
  };

  it('compare --json reads over the SQL endpoint and finds v3 worse than v2', async () => {
    const r = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      source: string;
      baselineGenerations: number;
      metrics: Array<{ metric: string; verdict: string; baseline: { n: number } }>;
    };
    expect(report.source).toBe(`collector:${collector.url}`);
    expect(report.baselineGenerations).toBe(PER_VERSION);
    const latency = report.metrics.find((m) => m.metric === 'latency_ms');
    expect(latency?.verdict).toBe('worse');
    expect(latency?.baseline.n).toBe(PER_VERSION);
    expect(report.metrics.find((m) => m.metric === 'score:quality')?.verdict).toBe('worse');
  });

  it('regressions --json finds the two moves', async () => {
    const r = await run(['regressions', '--prompt', PROMPT, '--since', '4h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      moves: Array<{ fromVersion: number; toVersion: number; regressions: string[] }>;
    };
    expect(report.moves.map((m) => [m.fromVersion, m.toVersion])).toEqual([
      [2, 3],
      [3, 4],
    ]);
    expect(report.moves[0]!.regressions).toContain('latency_ms');
    expect(report.moves[1]!.regressions).toEqual([]);
  });

  it('a key without the sql scope is refused with the reason', async () => {
    const r = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--json'], INGEST);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lacks the "sql" scope/);
    expect(r.stdout).toBe('');
  });
});

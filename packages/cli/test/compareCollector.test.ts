import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { insertLogs, insertTraces } from '@promptline/clickhouse';
import { hashApiKey, loadConfig, startCollector } from '@promptline/collector';
import type { RunningCollector } from '@promptline/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';
import { PER_VERSION, PROMPT, seedRows } from './compareSeed.js';

/**
 * `promptline compare` / `regressions` through a running collector that owns the embedded engine:
 * the commands read through the collector's typed read API (`/api/v1/compare`, `/regressions`) with
 * a plain `read` key (no `sql` scope: the embedded engine serves no raw SQL).
 */

const READER = 'pl_cli_compare_read_key_000000000000000000000';
const INGEST = 'pl_cli_compare_ingest_key_0000000000000000000';

describe('promptline compare / regressions through a collector', () => {
  let dir: string;
  let collector: RunningCollector;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-cli-compare-collector-'));
    collector = await startCollector(
      loadConfig(
        {
          receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
          processors: {
            promptline_auth: {
              keys: [
                { sha256: hashApiKey(READER), project: 'acme', scopes: ['read'], name: 'reader' },
                { sha256: hashApiKey(INGEST), project: 'acme', scopes: ['ingest'], name: 'app' },
              ],
            },
          },
          exporters: { clickhouse: { data_dir: join(dir, 'data'), wal: { dir: join(dir, 'wal') } } },
          service: {
            telemetry: { logs: { level: 'silent' } },
            pipelines: {
              traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
            },
          },
        },
        {},
      ),
    );
    // Straight into the collector's engine (the insert API the exporter uses), so the MVs run.
    const { spans, logs } = seedRows('acme');
    await insertTraces(collector.client, spans, { dedupToken: 'cli-compare-collector-spans' });
    await insertLogs(collector.client, logs, { dedupToken: 'cli-compare-collector-scores' });
  }, 120_000);
  afterAll(async () => {
    await collector?.stop();
    await rm(dir, { recursive: true, force: true });
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

  it('compare --json reads through the typed API and finds v3 worse than v2', async () => {
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

  it('a key without the read scope is refused with the reason', async () => {
    const r = await run(['compare', '--prompt', PROMPT, '2', '3', '--since', '4h', '--json'], INGEST);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lacks the "read" scope/);
    expect(r.stdout).toBe('');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { insertTraces, openClickHouse } from '@promptline/clickhouse';
import type { TraceRow } from '@promptline/clickhouse';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MetricsReport } from '../src/metricsReport.js';
import { runCli } from '../src/program.js';
import { traceRow } from '../../../test/kit/rows.js';
import { captureOutput } from './captureOutput.js';

const HOUR = 3_600_000;

function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000000');
}

let spanNo = 0;
function row(o: {
  version: number;
  label: string;
  startMs: number;
  durationMs: number;
  input: number;
  output: number;
  cost: number;
  error?: boolean;
  project?: string;
}): TraceRow {
  spanNo++;
  return traceRow({
    Timestamp: chTime(o.startMs),
    TraceId: spanNo.toString(16).padStart(32, '0'),
    SpanId: spanNo.toString(16).padStart(16, '0'),
    SpanName: 'chat',
    SpanKind: 'Client',
    ServiceName: 'cli-test',
    ResourceAttributes: {
      [RESOURCE.SERVICE_NAME]: 'cli-test',
      [RESOURCE.PROJECT_ID]: o.project ?? 'default',
    },
    ScopeName: 'test',
    ScopeVersion: '1',
    SpanAttributes: {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.PROMPT_NAME]: 'cli-metrics',
      [PROMPTLINE.PROMPT_VERSION]: String(o.version),
      [PROMPTLINE.PROMPT_LABEL]: o.label,
      [GEN_AI.USAGE_INPUT_TOKENS]: String(o.input),
      [GEN_AI.USAGE_OUTPUT_TOKENS]: String(o.output),
      [PROMPTLINE.COST_USD]: String(o.cost),
    },
    Duration: o.durationMs * 1_000_000,
    StatusCode: o.error === true ? 'Error' : 'Ok',
  });
}

// `promptline metrics` on the embedded engine, in-process: what it prints for rows whose every
// number the test knows (the e2e tests do the same through the built bin and a running collector).
describe('promptline metrics (embedded engine)', () => {
  let dir: string;
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptline-cli-metrics-'));
    expect(await runCli(['--dir', dir, 'migrate'], { out: captureOutput().out, env: {} })).toBe(0);
    const rows: TraceRow[] = [];
    // v1: 10 calls, 100..1000 ms, 2 errors; v2: 4 calls of 50 ms; 3 days ago: 5 more v1 calls;
    // another project: 7 calls that must never show.
    for (let i = 1; i <= 10; i++) {
      rows.push(
        row({
          version: 1,
          label: 'production',
          startMs: now - 2 * HOUR + i * 1000,
          durationMs: 100 * i,
          input: 10 * i,
          output: i,
          cost: 0.001 * i,
          error: i === 3 || i === 7,
        }),
      );
    }
    for (let i = 0; i < 4; i++) {
      rows.push(
        row({
          version: 2,
          label: 'canary',
          startMs: now - HOUR + i * 1000,
          durationMs: 50,
          input: 7,
          output: 3,
          cost: 0.0005,
        }),
      );
    }
    for (let i = 0; i < 5; i++) {
      rows.push(
        row({
          version: 1,
          label: 'production',
          startMs: now - 72 * HOUR + i * 1000,
          durationMs: 10,
          input: 1,
          output: 1,
          cost: 0,
        }),
      );
    }
    for (let i = 0; i < 7; i++) {
      rows.push(
        row({
          version: 1,
          label: 'production',
          startMs: now - HOUR,
          durationMs: 5,
          input: 1,
          output: 1,
          cost: 1,
          project: 'other',
        }),
      );
    }
    const client = openClickHouse({ path: join(dir, 'data') });
    try {
      await insertTraces(client, rows);
    } finally {
      await client.close();
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the per-version report as JSON with exact counts and sums', async () => {
    const cap = captureOutput();
    expect(
      await runCli(['--dir', dir, 'metrics', '--prompt', 'cli-metrics', '--json'], { out: cap.out, env: {} }),
    ).toBe(0);
    const report = JSON.parse(cap.stdout()) as MetricsReport;
    expect(report.prompt).toBe('cli-metrics');
    expect(report.source).toBe(`embedded:${join(dir, 'data')}`);
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(24 * HOUR);
    expect(report.versions.map((v) => v.version)).toEqual([2, 1]);
    const [v2, v1] = report.versions;
    expect(v1).toMatchObject({
      labels: ['production'],
      count: 10,
      errors: 2,
      errorRate: 0.2,
      tokens: { input: 550, output: 55 },
    });
    expect(v1!.costUsd.total).toBeCloseTo(0.055, 12);
    expect(v1!.costUsd.perCall).toBeCloseTo(0.0055, 12);
    expect(v1!.latencyMs.mean).toBeCloseTo(550, 6);
    // Quantiles from the aggregates: within 1% of the two rank values around them (500/600 ms for p50,
    // 900/1000 ms for p99).
    expect(v1!.latencyMs.p50).toBeGreaterThanOrEqual(495);
    expect(v1!.latencyMs.p50).toBeLessThanOrEqual(606);
    expect(v1!.latencyMs.p99).toBeGreaterThanOrEqual(891);
    expect(v1!.latencyMs.p99).toBeLessThanOrEqual(1010);
    expect(v1!.ttftMs).toEqual({ p50: null, p95: null, p99: null, mean: null, n: 0 });
    expect(v1!.latencyMs.n).toBe(10);
    // Wilson interval of 2 errors in 10 calls (z = 1.96): written out from its formula.
    const z = 1.959963984540054;
    const centre = (0.2 + (z * z) / 20) / (1 + (z * z) / 10);
    const half = (z / (1 + (z * z) / 10)) * Math.sqrt((0.2 * 0.8) / 10 + (z * z) / 400);
    expect(v1!.intervals.errorRate!.lower).toBeCloseTo(centre - half, 12);
    expect(v1!.intervals.errorRate!.upper).toBeCloseTo(centre + half, 12);
    // Ten calls are enough for the median's interval, not for the p95's (n ≥ 72).
    expect(v1!.intervals['latencyMs.p50']).toBeDefined();
    expect(v1!.intervals['latencyMs.p95']).toBeUndefined();
    expect(v1!.costPerPass).toBeNull(); // nothing validated, no --pass-score
    expect(v1!.scores).toEqual({});
    expect(v1!.firstSeen).toBe(new Date(now - 2 * HOUR + 1000).toISOString());
    expect(v1!.lastSeen).toBe(new Date(now - 2 * HOUR + 10_000).toISOString());
    expect(v2).toMatchObject({ labels: ['canary'], count: 4, errors: 0, tokens: { input: 28, output: 12 } });
    expect(v2!.latencyMs.p50! / 50).toBeCloseTo(1, 1);
    expect(cap.stderr()).toBe('');
  });

  it('honours --since and prints a table for humans', async () => {
    const week = captureOutput();
    expect(
      await runCli(['--dir', dir, 'metrics', '--prompt', 'cli-metrics', '--since', '7d', '--json'], {
        out: week.out,
        env: {},
      }),
    ).toBe(0);
    const counts = (JSON.parse(week.stdout()) as MetricsReport).versions.map((v) => [v.version, v.count]);
    expect(counts).toEqual([
      [2, 4],
      [1, 15],
    ]);

    const table = captureOutput();
    expect(
      await runCli(['--dir', dir, 'metrics', '--prompt', 'cli-metrics'], { out: table.out, env: {} }),
    ).toBe(0);
    const lines = table.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^prompt cli-metrics — last 24h /);
    // Error rates with their Wilson intervals (0 of 4: [0%, 49.0%]).
    expect(lines[3]).toMatch(/^v2\s+canary\s+4\s+0\.0% \[0\.0%, 49\.0%\]\s+50ms/);
    expect(lines[4]).toMatch(/^v1\s+production\s+10\s+20\.0% \[5\.7%, 51\.0%\]/);
    expect(lines[4]).toContain('550/55');

    const none = captureOutput();
    expect(
      await runCli(['--dir', dir, 'metrics', '--prompt', 'no-such-prompt'], { out: none.out, env: {} }),
    ).toBe(0);
    expect(none.stdout()).toContain('no generations for prompt "no-such-prompt" in the last 24h');
  });

  it('--by: the figures per value of a dimension or an attribute, in JSON and as a table', async () => {
    const json = captureOutput();
    expect(
      await runCli(['--dir', dir, 'metrics', '--prompt', 'cli-metrics', '--by', 'label', '--json'], {
        out: json.out,
        env: {},
      }),
    ).toBe(0);
    const report = JSON.parse(json.stdout()) as MetricsReport;
    expect(report.breakdown?.readFrom).toBe('aggregates');
    expect(
      report.breakdown?.values.map((v) => [v.value, v.count, v.versions.map((x) => [x.version, x.count])]),
    ).toEqual([
      ['production', 10, [[1, 10]]],
      ['canary', 4, [[2, 4]]],
    ]);
    // A resource attribute (read from the spans), top 1: nothing else to pool.
    const table = captureOutput();
    expect(
      await runCli(
        ['--dir', dir, 'metrics', '--prompt', 'cli-metrics', '--by', 'service.name', '--top', '1'],
        {
          out: table.out,
          env: {},
        },
      ),
    ).toBe(0);
    expect(table.stdout()).toContain('by service.name (read from spans; top 1 values):');
    expect(table.stdout()).toMatch(/^cli-test\s+v2\s+4\s+0\.0%/m);
    expect(table.stdout()).toMatch(/^cli-test\s+v1\s+10\s+20\.0%/m);

    const usage = captureOutput();
    expect(
      await runCli(['--dir', dir, 'metrics', '--prompt', 'cli-metrics', '--top', '3'], {
        out: usage.out,
        env: {},
      }),
    ).toBe(2);
    expect(usage.stderr()).toContain('--top needs --by');
  });
});

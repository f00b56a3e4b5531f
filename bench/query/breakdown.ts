/**
 * bench:breakdown — what `metrics --by` costs on the data set of bench:query (BENCH_ROWS, default
 * 10,000,000 generation spans, 30 days): `metricsBreakdown` of one prompt over 24 h and over 7 days
 * by an aggregate column (`model`), a generations column (`provider`), a resource attribute
 * (`deployment.environment.name`, 2 values) and a span attribute with many values
 * (`gen_ai.conversation.id`, ~100,000, top 10), beside `metricsByVersion` of the same window.
 * Median of 5 runs each after a warm-up, once the load's merges are done.
 *
 *   pnpm bench:breakdown
 *   BENCH_ROWS=200000 BENCH_DIR=.bench-data/b200k pnpm bench:breakdown
 *
 * Last stdout line: {"bench":"breakdown","rows":…,"metrics_24h_ms":…,"model_24h_ms":…,…}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.some((a) => a.includes('@promptline/source'))) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@promptline/source', '--import', 'tsx', fileURLToPath(import.meta.url)],
    { stdio: 'inherit', env: process.env },
  );
  process.exit(child.status ?? 1);
}

const { metricsBreakdown, metricsByVersion, migrate, openClickHouse } =
  await import('@promptline/clickhouse');
const { DAY, DB, PROJECT, T0, loadDataset } = await import('./dataset.js');
const { median, reportResult } = await import('../support/report.js');

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error('BENCH_ROWS must be an integer ≥ 1000');
const log = (msg: string): void => void process.stderr.write(`[bench:breakdown] ${msg}\n`);

const keep = process.env.BENCH_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'promptline-bench-breakdown-'));
const client = openClickHouse({ path: dir });
try {
  await migrate(client, { database: DB });
  await loadDataset(client, ROWS, log);
  const to = new Date(T0 + 30 * DAY - 17 * 60_000);
  const base = { database: DB, projectId: PROJECT, promptName: 'prompt-07', to };
  const time = async (what: string, fn: () => Promise<unknown>): Promise<number> => {
    await fn();
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await fn();
      runs.push(performance.now() - t);
    }
    log(`${what}: ${runs.map((x) => x.toFixed(1)).join(' ')} ms`);
    return Math.round(median(runs) * 10) / 10;
  };
  const figures: Record<string, number> = { rows: ROWS };
  for (const [name, days] of [
    ['24h', 1],
    ['7d', 7],
  ] as const) {
    const q = { ...base, from: new Date(to.getTime() - days * DAY) };
    figures[`metrics_${name}_ms`] = await time(`metricsByVersion ${name}`, () =>
      metricsByVersion(client, { ...q, includeScores: false }),
    );
    for (const [key, by] of [
      ['model', 'model'],
      ['provider', 'provider'],
      ['resource_attr', 'deployment.environment.name'],
      ['span_attr', 'gen_ai.conversation.id'],
    ] as const) {
      const b = await metricsBreakdown(client, { ...q, by });
      log(`by ${by} ${name}: ${b.source}, ${b.values.length} values listed, ${b.other?.values ?? 0} pooled`);
      figures[`${key}_${name}_ms`] = await time(`by ${by} ${name}`, () =>
        metricsBreakdown(client, { ...q, by }),
      );
    }
  }
  reportResult('breakdown', figures);
} finally {
  await client.close();
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}

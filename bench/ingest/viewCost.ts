/**
 * bench:ingest-views — what each part of the ingest views costs, in CPU time per million spans.
 *
 * Wall time on a shared machine swings with other load; CPU time much less. For each variant of the
 * schema (see viewCostRun.ts), a fresh embedded engine in a process of its own receives the same
 * blocks of BENCH_SPANS_PER_INSERT (default 16384) generation spans, BENCH_INSERTS (default 8)
 * measured inserts after two warm-up ones; the variants run in alternating order, BENCH_REPS (default 3)
 * times. Per run: the process's CPU seconds (engine threads included) and wall seconds per million
 * spans; per variant the median over runs, and its ratio to the first variant (same round: the
 * median of per-round ratios, which cancels load that changes between rounds).
 *
 *   pnpm bench:ingest-views
 *   BENCH_VARIANTS=t14,t17,t17-nodedupe,all BENCH_REPS=5 pnpm bench:ingest-views
 *   BENCH_VARIANTS=all,all-nodedupe,all-norespidx-nounlinked BENCH_REPS=3 pnpm bench:ingest-views
 *
 * Last stdout line: {"bench":"ingest-views","<variant>_cpu_s_per_m":…,"<variant>_cpu_ratio":…,…}
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, reportResult } from '../support/report.js';
import { pack } from './batchFile.js';
import { captureBatches } from './spans.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const variants = (process.env.BENCH_VARIANTS ?? 't14,t17,t17-nodedupe,all').split(',');
const reps = Number(process.env.BENCH_REPS ?? 3);
const spansPerInsert = Number(process.env.BENCH_SPANS_PER_INSERT ?? 16384);
const inserts = Number(process.env.BENCH_INSERTS ?? 8);
const tmp = mkdtempSync(join(tmpdir(), 'promptline-bench-views-'));
const batchFile = join(tmp, 'batches.bin');
writeFileSync(batchFile, pack(await captureBatches(64, 512)));

interface Run {
  variant: string;
  cpu: number[];
  wall: number[];
  generations: number;
  expected: number;
}
function run(variant: string): Promise<Run> {
  const dir = mkdtempSync(join(tmp, 'engine-'));
  return new Promise<Run>((resolve, reject) => {
    const p = fork(
      join(here, 'viewCostRun.ts'),
      [batchFile, dir, variant, String(spansPerInsert), String(inserts)],
      {
        execArgv: ['--conditions=@promptline/source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let out: Run | undefined;
    p.on('message', (m) => (out = m as Run));
    p.on('error', reject);
    p.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code === 0 && out !== undefined) resolve(out);
      else reject(new Error(`variant ${variant} exited with ${code}`));
    });
  });
}

const perMillion = (xs: number[]): number =>
  (xs.reduce((a, b) => a + b, 0) / (xs.length * spansPerInsert)) * 1e6;
const rounds: Array<Map<string, Run>> = [];
try {
  for (let r = 0; r < reps; r++) {
    const round = new Map<string, Run>();
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const res = await run(v);
      if (res.generations !== res.expected)
        throw new Error(`${v}: ${res.generations} generations stored, expected ${res.expected}`);
      round.set(v, res);
      process.stdout.write(
        `round ${r + 1} ${v}: cpu ${perMillion(res.cpu).toFixed(1)} s/M spans, wall ${perMillion(res.wall).toFixed(1)} s/M spans\n`,
      );
    }
    rounds.push(round);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const figures: Record<string, number> = { reps, spans_per_insert: spansPerInsert, inserts };
const first = variants[0]!;
for (const v of variants) {
  const cpu = rounds.map((r) => perMillion(r.get(v)!.cpu));
  const ratio = rounds.map((r) => perMillion(r.get(v)!.cpu) / perMillion(r.get(first)!.cpu));
  figures[`${v}_cpu_s_per_m`] = Number(median(cpu).toFixed(2));
  figures[`${v}_cpu_ratio`] = Number(median(ratio).toFixed(3));
  figures[`${v}_wall_s_per_m`] = Number(median(rounds.map((r) => perMillion(r.get(v)!.wall))).toFixed(2));
}
reportResult('ingest-views', figures);

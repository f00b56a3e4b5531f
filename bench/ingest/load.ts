/**
 * bench:ingest load process (forked by run.ts). Modes:
 *   prepare <file>            capture BATCHES exporter requests of 512 spans into <file>
 *   send <file> <url> <secs>  POST them round-robin with CONCURRENCY connections for <secs> seconds
 * Results go back to the parent over IPC.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { pack, unpack } from './batchFile.js';
import { captureBatches } from './spans.js';
import { traceIdOffsets, withRound } from './traceIds.js';

export const SPANS_PER_BATCH = 512;
/** Clients honour Retry-After, capped here (ms). */
const MAX_BACKOFF_MS = Number(process.env.BENCH_MAX_BACKOFF_MS ?? 1000);

function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function send(file: string, target: string, seconds: number): Promise<void> {
  const bodies = unpack(readFileSync(file));
  const offsets = bodies.map(traceIdOffsets);
  const url = new URL(target);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let accepted = 0;
  let throttled = 0;
  let errors = 0;
  let next = 0;
  // BENCH_RATE: offered spans/s (requests are started on a schedule); absent = as fast as accepted.
  const rate = Number(process.env.BENCH_RATE ?? 0);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const n = next++;
      if (rate > 0) {
        const due = started + ((n * SPANS_PER_BATCH) / rate) * 1000;
        if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
        if (performance.now() >= deadline) break;
      }
      // Every round of the captured requests gets fresh trace ids: every span sent is a new span.
      const i = n % bodies.length;
      const body = withRound(bodies[i]!, offsets[i]!, Math.floor(n / bodies.length));
      const t0 = performance.now();
      try {
        const res = await post(agent, url, body);
        if (res.status === 200) {
          latencies.push(performance.now() - t0);
          accepted += SPANS_PER_BATCH;
        } else if (res.status === 429 || res.status === 503) {
          throttled++;
          await new Promise((r) => setTimeout(r, Math.min(MAX_BACKOFF_MS, (res.retryAfter || 1) * 1000)));
        } else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const p99 =
    latencies.length === 0
      ? 0
      : latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
  const p50 = latencies.length === 0 ? 0 : latencies[Math.floor(latencies.length / 2)]!;
  process.send?.({ accepted, requests: latencies.length, throttled, errors, elapsed, p99, p50 });
}

const [mode, file, target, secs] = process.argv.slice(2);
if (mode === 'prepare') {
  const batches = Number(process.env.BENCH_BATCHES ?? 64);
  writeFileSync(file!, pack(await captureBatches(batches, SPANS_PER_BATCH)));
  process.send?.({ ok: true });
} else if (mode === 'send') {
  await send(file!, target!, Number(secs));
} else {
  throw new Error(`usage: load.ts prepare <file> | send <file> <url> <seconds>`);
}

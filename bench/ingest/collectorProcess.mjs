/**
 * bench:ingest collector process (forked by run.ts): the built collector (`@promptline/collector`'s
 * dist, what `promptline-collector` and `promptline up` run) in a plain Node process, so the peak RSS
 * the bench reports is the shipped collector's. Plain JavaScript because the TypeScript loader the rest
 * of the bench runs under (tsx) adds ~35 MB to a process's RSS (an idle collector: 348 vs 313 MB).
 *
 * IPC, one reply per request:
 *   { type: 'start', config, dedupe } → { type: 'started', url, releaseMemory, engineMallocConf }
 *   { type: 'window' }         → { type: 'window', written, inserts, insertSeconds, heldForLag, rssFileMb, rssAnonMb }
 *   { type: 'drain', timeoutMs } → { type: 'drained', drained, drainSeconds, storedRows, storedSpanIds, storedGenerations, cpuSeconds, peak }
 * then the process exits. `peak`: resident memory and its JavaScript share (V8 heap; Buffers outside
 * it), sampled every 50 ms from start to the end of the drain. `cpuSeconds`: the process's CPU time
 * (the engine's threads included) from the end of `start` to the end of the drain: all the work of
 * receiving and storing what was sent, none of the start-up.
 *
 * `dedupe: false` runs the collector without the span dedupe once migrated (dedupeVariant.mjs: the
 * `-nodedupe` schema of bench:ingest-views), for before / after runs of its cost on the same build.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { loadConfig, startCollector } from '@promptline/collector';
import { dropDedupe } from './dedupeVariant.mjs';

const MB = 1024 * 1024;
const peak = { rss: 0, heap: 0, external: 0 };
const sample = () => {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heap = Math.max(peak.heap, m.heapTotal);
  peak.external = Math.max(peak.external, m.external);
};
let collector;
let sampler;
let cpuAtStart;

/** A figure of /proc/self/status in MB (kB there). */
const statusMb = (status, key) =>
  Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);

async function handle(msg) {
  switch (msg.type) {
    case 'start': {
      const config = loadConfig(msg.config, {});
      collector = await startCollector(config);
      if (msg.dedupe === false) await dropDedupe(collector.client);
      cpuAtStart = process.cpuUsage();
      sample();
      sampler = setInterval(sample, 50);
      return {
        type: 'started',
        url: collector.url,
        releaseMemory: config.exporter.releaseMemory,
        // The embedded engine's allocator settings (one arena, `percpu_arena:disabled,narenas:1`, unless the environment set them).
        engineMallocConf: process.env.JE_MALLOC_CONF ?? '',
      };
    }
    case 'window': {
      // Resident memory split at the end of the window: file-backed (mostly the engine's library) vs anonymous.
      const status = readFileSync('/proc/self/status', 'utf8');
      return {
        type: 'window',
        written: collector.metrics.written.traces,
        inserts: collector.metrics.inserts,
        insertSeconds: collector.metrics.insertSeconds,
        heldForLag: collector.metrics.heldForLag,
        rssFileMb: statusMb(status, 'RssFile'),
        rssAnonMb: statusMb(status, 'RssAnon'),
      };
    }
    case 'drain': {
      const started = performance.now();
      const drained = await collector.flush(msg.timeoutMs);
      const drainSeconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuAtStart);
      clearInterval(sampler);
      const rs = await collector.client.query({
        query: `SELECT count() AS n, uniqExact(TraceId, SpanId) AS u,
          (SELECT count() FROM promptline_generations) AS g FROM otel_traces`,
        format: 'JSONEachRow',
      });
      const [stored] = await rs.json();
      await collector.stop();
      return {
        type: 'drained',
        drained,
        drainSeconds,
        storedRows: Number(stored?.n),
        storedSpanIds: Number(stored?.u),
        storedGenerations: Number(stored?.g),
        spanInserts: { ...collector.metrics.spanInserts },
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        peak: {
          rssMb: Math.round(peak.rss / MB),
          heapMb: Math.round(peak.heap / MB),
          externalMb: Math.round(peak.external / MB),
        },
      };
    }
    default:
      throw new Error(`collectorProcess: unknown request ${JSON.stringify(msg.type)}`);
  }
}

process.on('message', (msg) => {
  handle(msg).then(
    (reply) => {
      process.send(reply, () => {
        if (reply.type === 'drained') process.disconnect();
      });
    },
    (err) => {
      process.stderr.write(`[bench:ingest collector] ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
});

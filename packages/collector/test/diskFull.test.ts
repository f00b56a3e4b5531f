/**
 * The WAL on a real full filesystem: a tmpfs mounted by the test, filled until ~30 KiB are free. A
 * request whose records do not fit is refused (503 + Retry-After) and leaves no byte behind, so the
 * requests acknowledged before and after it are exported whole, exactly once, with or without a
 * restart in between, and the segments after it are not held up.
 */
import { readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GEN_AI } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchSink } from '../src/exporter/WalDrainer.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { fillTo, mountTmpfs } from '../../../test/kit/disk.js';
import { generationRequest } from './otlpWire.js';

const PROTO = { 'content-type': 'application/x-protobuf' };
const SPANS_PER_REQUEST = 20;
const tmp = tempDir('promptline-disk-full-');
let fs: { dir: string; unmount: () => void };
const running: RunningCollector[] = [];

beforeAll(() => {
  fs = mountTmpfs('promptline-wal-fs-', 1024 * 1024);
});
afterAll(async () => {
  for (const c of running) await c.stop();
  fs?.unmount();
  tmp.remove();
});

function config(walName: string, extra: Record<string, unknown> = {}): ReturnType<typeof testConfig> {
  return testConfig(tmp.dir, {
    exporters: {
      clickhouse: {
        // No sealing by age: every request before the disk fills and after it goes to one segment.
        wal: { dir: join(fs.dir, walName), segment_max_bytes: 262_144, flush_interval_ms: 600_000 },
      },
    },
    service: { retry_after_seconds: 3, telemetry: { logs: { level: 'info' } }, ...extra },
  });
}

async function launch(
  cfg: ReturnType<typeof testConfig>,
  lines: string[],
  sink?: BatchSink,
): Promise<RunningCollector> {
  const c = await startCollector(cfg, {
    logSink: (l) => lines.push(l),
    ...(sink === undefined ? {} : { sink }),
  });
  running.push(c);
  return c;
}

async function stop(c: RunningCollector): Promise<void> {
  await c.stop();
  running.splice(running.indexOf(c), 1);
}

async function stored(c: RunningCollector, prompt: string): Promise<{ spans: number; unique: number }> {
  const [t] = await queryRows<{ n: string | number; u: string | number }>(
    c.client,
    `SELECT count() AS n, uniqExact(TraceId, SpanId) AS u FROM otel_traces WHERE SpanAttributes['${GEN_AI.PROMPT_NAME}'] = {p:String}`,
    { p: prompt },
  );
  return { spans: Number(t!.n), unique: Number(t!.u) };
}

async function metric(c: RunningCollector, name: string): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`${name} is not on /metrics`);
  return Number(m[1]);
}

/** Segment bytes on disk, which must equal what the WAL counts as written (no partial record kept). */
function walFileBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

interface FillResult {
  /** Spans acknowledged. */
  acked: number;
  /** Segment bytes on disk while it was full, and what the WAL counted as written then. */
  onDisk: number;
  counted: number;
}

/**
 * Sends requests until the disk refuses one, then a few more (all refused), then frees the space
 * and sends `after` more (all acknowledged).
 */
async function fillRefuseFree(
  c: RunningCollector,
  walDir: string,
  prompt: string,
  after: number,
): Promise<FillResult> {
  const filler = fillTo(fs.dir, 30 * 1024, `filler-${prompt}`);
  try {
    return await fillRefuseFreeWith(c, walDir, prompt, after, filler);
  } finally {
    rmSync(filler, { force: true });
  }
}

async function fillRefuseFreeWith(
  c: RunningCollector,
  walDir: string,
  prompt: string,
  after: number,
  filler: string,
): Promise<FillResult> {
  let acked = 0;
  let refused: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < 50 && refused === undefined; i++) {
    const res = await post(`${c.url}/v1/traces`, generationRequest(SPANS_PER_REQUEST, prompt), PROTO);
    if (res.status === 200) acked += SPANS_PER_REQUEST;
    else refused = res;
  }
  // Some fit in the 30 KiB; the one that did not is refused as retryable, not acknowledged.
  expect(acked).toBeGreaterThan(0);
  expect(refused?.status).toBe(503);
  expect(refused?.headers.get('retry-after')).toBe('3');
  for (let i = 0; i < 4; i++) {
    const res = await post(`${c.url}/v1/traces`, generationRequest(SPANS_PER_REQUEST, prompt), PROTO);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
  }
  const onDisk = walFileBytes(walDir);
  const counted = await metric(c, 'promptline_collector_queue_bytes');
  unlinkSync(filler);
  for (let i = 0; i < after; i++) {
    const res = await post(`${c.url}/v1/traces`, generationRequest(SPANS_PER_REQUEST, prompt), PROTO);
    expect(res.status).toBe(200);
    acked += SPANS_PER_REQUEST;
  }
  return { acked, onDisk, counted };
}

describe('WAL on a full filesystem (tmpfs mounted by the test)', () => {
  it('refused requests leave nothing behind; every acknowledged span is exported once and later segments are not blocked', async () => {
    const lines: string[] = [];
    const cfg = config('wal-live');
    const c = await launch(cfg, lines);
    const fill = await fillRefuseFree(c, cfg.exporter.wal.dir, 'full-live', 3);
    let acked = fill.acked;
    // The segment holding the requests from before and after the full disk exports.
    expect(await c.flush(20_000)).toBe(true);
    // A later segment goes through too.
    expect(
      (await post(`${c.url}/v1/traces`, generationRequest(SPANS_PER_REQUEST, 'full-live'), PROTO)).status,
    ).toBe(200);
    acked += SPANS_PER_REQUEST;
    expect(await c.flush(20_000)).toBe(true);
    expect(await stored(c, 'full-live')).toEqual({ spans: acked, unique: acked });
    expect(await metric(c, 'promptline_collector_wal_corrupt_bytes_total')).toBe(0);
    // Nothing of the refused requests stayed in the segment while the disk was full.
    expect(fill.onDisk).toBe(fill.counted);
    // One line when the disk filled, one with the count when writes succeeded again: not one per request.
    const full = lines.filter((l) => /disk (is|was) full/i.test(l));
    expect(full).toHaveLength(2);
    expect(full[0]).toMatch(/warn: .*503/);
    expect(full[1]).toMatch(/\(5 times\)/);
    await stop(c);
  });

  it('after a restart the WAL replays every acknowledged span, none cut as a torn tail', async () => {
    const lines: string[] = [];
    const cfg = config('wal-restart', { shutdown_timeout_ms: 0 });
    // ClickHouse unreachable while the disk fills: everything stays in the WAL across the restart.
    const down: BatchSink = {
      insert: () => Promise.reject(new Error('ClickHouse unavailable (test)')),
    };
    const c = await launch(cfg, lines, down);
    const { acked, onDisk, counted } = await fillRefuseFree(c, cfg.exporter.wal.dir, 'full-restart', 3);
    await stop(c);
    expect(walFileBytes(cfg.exporter.wal.dir)).toBeGreaterThan(0);
    const d = await launch(cfg, lines);
    expect(
      (await post(`${d.url}/v1/traces`, generationRequest(SPANS_PER_REQUEST, 'full-restart'), PROTO)).status,
    ).toBe(200);
    expect(await d.flush(20_000)).toBe(true);
    expect(await stored(d, 'full-restart')).toEqual({
      spans: acked + SPANS_PER_REQUEST,
      unique: acked + SPANS_PER_REQUEST,
    });
    expect(lines.some((l) => /torn tail|corrupt/.test(l))).toBe(false);
    expect(onDisk).toBe(counted);
    expect(readdirSync(cfg.exporter.wal.dir).filter((f) => f.endsWith('.wal'))).toEqual([]);
    await stop(d);
  });
});

import { encodeTraceBlock, migrate } from '@promptline/clickhouse';
import type { TraceRow } from '@promptline/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseSink } from '../src/exporter/ClickHouseSink.js';
import { NewSpanTracker, spanIdentities, storedHours } from '../src/exporter/NewSpans.js';
import type { WalBatch } from '../src/wal/WriteAheadLog.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { chTimestamp, traceRow } from '../../../test/kit/rows.js';

/**
 * Inserts of spans the collector knows are new skip the generations view's identity lookup
 * (decision 0035): the tracker's verdicts, and the sink on a real engine, where a copy in any
 * later insert, before or after a restart, still counts once.
 */

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

/** A generation span of project `p`, `minutes` after T0. */
function generation(n: number, minutes = 0, project = 'acme'): TraceRow {
  return traceRow({
    Timestamp: chTimestamp(T0 + minutes * 60_000),
    TraceId: n.toString(16).padStart(32, 'a'),
    SpanId: n.toString(16).padStart(16, 'b'),
    ResourceAttributes: { 'service.name': 'svc', 'promptline.project.id': project },
    SpanAttributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.prompt.name': 'support',
      'gen_ai.prompt.version': '1',
    },
  });
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('NewSpanTracker', () => {
  const ids = (rows: TraceRow[]): Float64Array => spanIdentities(rows);
  const hourOf = Math.floor(T0 / HOUR);

  it('tells a batch new only when no span of it was seen before, nor twice in it', () => {
    const t = new NewSpanTracker({ floorHour: 0 });
    expect(t.admit(ids(range(0, 10).map((n) => generation(n))))).toBe(true);
    // A copy in a later batch, among new spans: the batch is not new, its new spans are remembered.
    expect(t.admit(ids([generation(20), generation(3)]))).toBe(false);
    expect(t.admit(ids([generation(20)]))).toBe(false);
    // Twice in one batch.
    expect(t.admit(ids([generation(30), generation(30)]))).toBe(false);
    expect(t.size).toBe(12);
    // The same ids in another project, or in another hour, are other spans.
    expect(t.admit(ids([generation(1, 0, 'globex')]))).toBe(true);
    expect(t.admit(ids([generation(1, 60)]))).toBe(true);
  });

  it('tracks only hours after its floor, and drops the oldest hours beyond its bound', () => {
    const t = new NewSpanTracker({ floorHour: hourOf, maxIdentities: 25 });
    // The floor's hour may hold stored spans: never new.
    expect(t.admit(ids([generation(1, 0)]))).toBe(false);
    expect(t.admit(ids(range(2, 12).map((n) => generation(n, 60))))).toBe(true);
    expect(t.admit(ids(range(12, 22).map((n) => generation(n, 120))))).toBe(true);
    // 30 identities > 25: the oldest hour (T0 + 1 h) is dropped and no longer tracked.
    expect(t.admit(ids(range(22, 32).map((n) => generation(n, 180))))).toBe(true);
    expect(t.floorHour).toBe(hourOf + 1);
    expect(t.size).toBe(20);
    expect(t.admit(ids([generation(99, 60)]))).toBe(false);
    expect(t.admit(ids([generation(99, 240)]))).toBe(true);
    t.raiseFloor(hourOf + 3);
    expect(t.size).toBe(1);
    expect(t.admit(ids([generation(100, 180)]))).toBe(false);
  });

  it('reads a span start it cannot parse as never new', () => {
    const t = new NewSpanTracker({ floorHour: 0 });
    expect(t.admit(ids([traceRow({ Timestamp: 'yesterday' })]))).toBe(false);
  });

  it('keeps many identities apart (no false copies among 200,000 distinct spans)', () => {
    const t = new NewSpanTracker({ floorHour: 0 });
    const batch = range(0, 200_000).map((n) => generation(n, n % 120));
    expect(t.admit(ids(batch))).toBe(true);
    expect(t.size).toBe(200_000);
  });
});

describe('the sink with a tracker, on the embedded engine', () => {
  const engine = tempEngine();
  const { client } = engine;
  beforeAll(() => migrate(client));
  afterAll(() => engine.close());

  let seq = 0;
  const batch = (rows: TraceRow[], withIds = true): WalBatch => {
    const body = encodeTraceBlock(rows);
    return {
      kind: 'traces',
      format: 'Native',
      index: 0,
      rows: rows.length,
      bytes: body.length,
      ...(withIds ? { identities: [spanIdentities(rows)] } : {}),
      chunks: () => [body],
    };
  };
  const generations = async (): Promise<number> =>
    Number((await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM promptline_generations'))[0]?.n);
  const sinkWith = async (paths: string[]) => {
    const stored = await storedHours(client, 'default');
    const tracker = new NewSpanTracker({ floorHour: stored.floor, untracked: stored.later });
    const sink = clickHouseSink(client, {
      database: 'default',
      newSpans: { tracker, storedHours: () => storedHours(client, 'default') },
      onSpanInsert: (p) => paths.push(p),
    });
    return { tracker, insert: (b: WalBatch) => sink.insert(b, `seg-${++seq}-otel_traces`) };
  };

  it('inserts new spans as new, looks up copies before and after a restart, and counts each span once', async () => {
    const paths: string[] = [];
    let { tracker, insert } = await sinkWith(paths);
    expect(tracker.floorHour).toBe(0);
    await insert(batch(range(0, 50).map((n) => generation(n))));
    expect(paths).toEqual(['new']);
    expect(await generations()).toBe(50);
    // Copies among new spans, in a later insert: looked up, and stored once.
    await insert(batch(range(40, 60).map((n) => generation(n))));
    expect(paths).toEqual(['new', 'looked_up']);
    expect(await generations()).toBe(60);

    // A fresh process: the hours stored so far are not tracked, later hours are.
    ({ tracker, insert } = await sinkWith(paths));
    expect(tracker.floorHour).toBe(Math.floor(T0 / HOUR));
    await insert(batch(range(0, 10).map((n) => generation(n))));
    expect(await generations()).toBe(60);
    await insert(batch(range(100, 110).map((n) => generation(n, 60))));
    expect(paths.slice(2)).toEqual(['looked_up', 'new']);
    expect(await generations()).toBe(70);

    // A batch whose spans the tracker never saw (a segment of an earlier run): looked up, and the
    // hours it may have filled are no longer tracked from the next batch the tracker checks.
    await insert(
      batch(
        range(200, 205).map((n) => generation(n, 120)),
        false,
      ),
    );
    await insert(batch([generation(200, 120)]));
    expect(tracker.floorHour).toBe(Math.floor(T0 / HOUR) + 2);
    expect(paths.slice(4)).toEqual(['looked_up', 'looked_up']);
    expect(await generations()).toBe(75);

    // A span stamped two days ahead of the clock: after a restart its hour is not tracked, the
    // hours before it are.
    const ahead = Math.ceil((Date.now() - T0) / 60_000) + 48 * 60;
    await insert(batch([generation(300, ahead)]));
    ({ tracker, insert } = await sinkWith(paths));
    expect(tracker.floorHour).toBe(Math.floor(T0 / HOUR) + 2);
    await insert(batch([generation(300, ahead)]));
    await insert(batch([generation(301, 180)]));
    expect(paths.slice(6)).toEqual(['new', 'looked_up', 'new']);
    expect(await generations()).toBe(77);
  });
});

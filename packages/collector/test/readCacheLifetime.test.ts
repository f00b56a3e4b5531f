import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { readApiRoutes } from '../src/read/readApiRoutes.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { generateApiKey } from '../src/auth/ApiKeyStore.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { ingestReadConfig, tempDir } from '../../../test/kit/collector.js';
import {
  generationSpans,
  generationSpecs,
  otlpProtobuf,
  postTraces,
} from '../../../test/support/generationSpans.js';

/**
 * How long the read cache keeps an answer about a window still filling (one that reaches into the
 * last two hours, as the console's day ranges do). On the embedded engine every write goes through
 * the collector, whose counter makes a cached answer stale the moment its data changes, so such an
 * answer is kept as long as one about an older window; against a ClickHouse server other writers may
 * add data the counter never sees, and the answer lives 10 s. The collector runs on a fixed clock
 * (the `now` start option).
 */

const INGEST = generateApiKey();
const READ = generateApiKey();
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('read cache lifetimes', () => {
  const tmp = tempDir('promptline-cache-life-');
  let collector: RunningCollector | undefined;
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('keeps an answer about a live window on the embedded engine until a write, at most 5 min', async () => {
    let now = Date.UTC(2026, 10, 10, 6, 20);
    collector = await startCollector(
      ingestReadConfig(tmp.dir, { ingest: INGEST, read: READ, project: 'acme' }),
      {
        now: () => now,
      },
    );
    const c = collector;
    const send = async (count: number, seed: number): Promise<void> => {
      const specs = generationSpecs({ count, prompt: 'live', versions: [1, 2], seed, startMs: now - MINUTE });
      expect((await postTraces(c.url, otlpProtobuf(generationSpans(specs)), INGEST)).status).toBe(200);
      expect(await c.flush(30_000)).toBe(true);
    };
    // The console's 24-hour range: whole hours, ending at the next one.
    const to = Math.floor(now / HOUR) * HOUR + HOUR;
    const url = new URL('/api/v1/metrics', c.url);
    url.searchParams.set('prompt', 'live');
    url.searchParams.set('from', new Date(to - 24 * HOUR).toISOString());
    url.searchParams.set('to', new Date(to).toISOString());
    /** The window's request count, and whether the read cache answered. */
    const read = async (): Promise<{ requests: number; cached: boolean }> => {
      const hits = c.readCacheStats().hits;
      const res = await fetch(url, { headers: { authorization: `Bearer ${READ}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { versions: Array<{ requests: number }> };
      return {
        requests: body.versions.reduce((a, v) => a + v.requests, 0),
        cached: c.readCacheStats().hits > hits,
      };
    };

    await send(30, 1);
    expect(await read()).toEqual({ requests: 30, cached: false });
    // A minute later, and three more: no write, the same answer from the cache (10 s before).
    now += MINUTE;
    expect(await read()).toEqual({ requests: 30, cached: true });
    now += 3 * MINUTE;
    expect(await read()).toEqual({ requests: 30, cached: true });
    // Five minutes after the read: read again.
    now += MINUTE;
    expect(await read()).toEqual({ requests: 30, cached: false });
    // A write of the prompt: read again at once.
    await send(12, 2);
    expect(await read()).toEqual({ requests: 42, cached: false });
    expect(await read()).toEqual({ requests: 42, cached: true });
  }, 60_000);

  it('gives such an answer 10 s against a ClickHouse server, whose other writers it cannot see', async () => {
    const at = Date.UTC(2026, 10, 10, 6, 20);
    const live = new URL('http://x/api/v1/metrics?prompt=p');
    live.searchParams.set('from', new Date(at - 23 * HOUR).toISOString());
    live.searchParams.set('to', new Date(at + 40 * MINUTE).toISOString());
    const old = new URL('http://x/api/v1/metrics?prompt=p');
    old.searchParams.set('from', new Date(at - 48 * HOUR).toISOString());
    old.searchParams.set('to', new Date(at - 24 * HOUR).toISOString());
    const lifetimes = async (endpoint: string): Promise<number[]> => {
      const config = loadConfig(
        {
          receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
          exporters: { clickhouse: { endpoint, data_dir: tmp.dir, wal: { dir: tmp.dir } } },
          service: { pipelines: { traces: { receivers: ['otlp'], exporters: ['clickhouse'] } } },
        },
        {},
      );
      const routes = await readApiRoutes(config, false, createLogger('silent'), {
        writes: () => 0,
        now: () => at,
      });
      return [routes.cache.ttlFor(live), routes.cache.ttlFor(old)];
    };
    expect(await lifetimes('')).toEqual([300_000, 300_000]);
    expect(await lifetimes('http://127.0.0.1:8123')).toEqual([10_000, 300_000]);
  });
});

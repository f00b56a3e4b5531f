import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { generateApiKey } from '../src/auth/ApiKeyStore.js';
import { ingestReadConfig, tempDir } from '../../../test/kit/collector.js';
import {
  generationSpans,
  generationSpecs,
  otlpProtobuf,
  postTraces,
} from '../../../test/support/generationSpans.js';

/**
 * On the embedded engine with read connections, reads run while the exporter inserts (decision
 * 0056), and a read may see an insert in some tables and not yet in others. The read cache must
 * never keep such an answer past the insert: a console that asks again after the data is in must
 * get all of it. The page is asked for over and over while a large batch is inserted, with the
 * same URL each time (so a kept answer would be served), and once the insert has finished the
 * page, the metrics and the time series show every span.
 */

const INGEST = generateApiKey();
const READ = generateApiKey();
const HOUR = 3_600_000;

describe('reads while the exporter inserts (embedded engine, read connections)', () => {
  const tmp = tempDir('promptline-reads-inserts-');
  let collector: RunningCollector | undefined;
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('keep no answer that saw part of an insert: once it is in, every view shows all of it', async () => {
    collector = await startCollector(
      ingestReadConfig(
        tmp.dir,
        { ingest: INGEST, read: READ, project: 'acme' },
        { exporters: { clickhouse: { engine_readers: 2 } } },
      ),
    );
    const c = collector;
    const prompt = 'busy';
    const now = Date.now();
    // The console's 24-hour window: whole hours, ending at the next one.
    const to = new Date(Math.floor(now / HOUR) * HOUR + HOUR);
    const window = { prompt, from: new Date(to.getTime() - 24 * HOUR).toISOString(), to: to.toISOString() };
    const get = async (path: string, params: Record<string, string | number>): Promise<unknown> => {
      const u = new URL(path, c.url);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
      const res = await fetch(u, { headers: { authorization: `Bearer ${READ}` } });
      expect(res.status, u.pathname).toBe(200);
      return res.json();
    };
    const requests = (body: unknown): number =>
      (body as { versions: Array<{ requests: number }> }).versions.reduce((a, v) => a + v.requests, 0);
    const page = async (): Promise<number> =>
      requests(await get('/api/v1/prompt-page', { ...window, interval: 3600 }));
    const send = async (count: number, seed: number): Promise<void> => {
      const specs = generationSpecs({ count, prompt, versions: [1, 2], seed, startMs: now - 60_000 });
      const res = await postTraces(c.url, otlpProtobuf(generationSpans(specs)), INGEST);
      expect(res.status).toBe(200);
    };

    await send(40, 1);
    expect(await c.flush(30_000)).toBe(true);
    expect(await page()).toBe(40);

    // A batch large enough that its insert takes a while; the page is read again and again meanwhile.
    await send(6000, 2);
    let inserted = false;
    const flushed = c.flush(60_000).then((ok) => {
      inserted = true;
      return ok;
    });
    const seen: number[] = [];
    while (!inserted) seen.push(await page());
    expect(await flushed).toBe(true);
    // Reads ran while the batch was on its way in (else this test exercised nothing), and each
    // answered the data before it or with it.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((n) => n !== 40 && n !== 6040)).toEqual([]);

    // Once it is in: all of it, on the page asked for before (the same URL) and on the other views.
    expect(await page()).toBe(6040);
    expect(requests(await get('/api/v1/metrics', window))).toBe(6040);
    const series = (await get('/api/v1/timeseries', { ...window, interval: 3600 })) as {
      points: Array<{ requests: number }>;
    };
    expect(series.points.reduce((a, p) => a + p.requests, 0)).toBe(6040);
  });
});

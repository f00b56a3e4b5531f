import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../src/auth/ApiKeyStore.js';
import { ReadCache } from '../src/read/ReadCache.js';
import { sendJson } from '../src/server/Router.js';

/**
 * The read cache's freshness rule over real HTTP: an answer is reused only while the data's version
 * (the collector's write counter) is the one its read started at; a read that overlapped a write is
 * not kept, and a request that comes after a write never joins a read started before it.
 */

const WHO: Principal = {
  id: 'k1',
  project: 'acme',
  scopes: new Set(['read']),
  name: 'dash',
  anonymous: false,
};

describe('ReadCache freshness', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  /** A server whose one route is held open until the test releases it; `reads` counts handler runs. */
  async function start(cache: ReadCache): Promise<{
    get: () => Promise<number>;
    release: (newestFirst?: boolean) => void;
    reads: () => number;
  }> {
    let reads = 0;
    let open: Array<() => void> = [];
    const handler = cache.wrap(
      async (_req, res) => {
        const n = ++reads;
        await new Promise<void>((r) => open.push(r));
        sendJson(res, 200, { read: n });
      },
      () => WHO,
    );
    server = createServer((req, res) => {
      void handler(req, res, {}, new URL(req.url ?? '/', 'http://x'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const path = '/api/v1/prompt-page?prompt=a&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';
    return {
      get: async () => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return ((await res.json()) as { read: number }).read;
      },
      release: (newestFirst = false) => {
        const now = newestFirst ? open.reverse() : open;
        open = [];
        for (const r of now) r();
      },
      reads: () => reads,
    };
  }

  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  };

  it('shares a read in flight, and keeps its answer while nothing was written', async () => {
    let version = 0;
    const cache = new ReadCache({ writes: () => version });
    const s = await start(cache);
    const a = s.get();
    await until(() => s.reads() === 1);
    const b = s.get();
    await new Promise((r) => setTimeout(r, 50));
    s.release();
    expect([await a, await b]).toEqual([1, 1]);
    expect(await s.get()).toBe(1);
    expect(cache.snapshot()).toMatchObject({ misses: 1, shared: 1, hits: 1, entries: 1 });
    // A write: the kept answer is stale.
    version += 2;
    const c = s.get();
    await until(() => s.reads() === 2);
    s.release();
    expect(await c).toBe(2);
  });

  it('does not join a read started before a write, nor keep an answer read across one', async () => {
    let version = 0;
    const cache = new ReadCache({ writes: () => version });
    const s = await start(cache);
    const a = s.get();
    await until(() => s.reads() === 1);
    version++; // a write starts while A reads
    const b = s.get();
    await until(() => s.reads() === 2); // B reads on its own
    s.release(true); // B answers first, then A
    expect([await a, await b]).toEqual([1, 2]);
    // A overlapped the write: not kept (it would replace B's answer). B started after it and
    // nothing was written since: kept.
    expect(await s.get()).toBe(2);
    expect(cache.snapshot()).toMatchObject({ misses: 2, shared: 0, hits: 1, entries: 1 });
  });
});

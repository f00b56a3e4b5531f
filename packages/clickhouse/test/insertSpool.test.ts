import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodeTraceBlock,
  insertJsonEachRow,
  insertLogs,
  insertNative,
  insertTraces,
  migrate,
} from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { logRow, traceRow } from '../../../test/kit/rows.js';

describe('embedded insert spool', () => {
  it('reads bodies from spool files it always removes, applies column defaults, and sweeps orphans once it owns the dir', async () => {
    // Its own file: the sweep runs once per client, after that client's first successful insert.
    const e = tempEngine();
    try {
      await migrate(e.client, { database: 'pl' });
      const spool = join(e.dir, 'promptline-spool');
      mkdirSync(spool, { recursive: true });
      const orphan = `${process.pid + 1}-7.jsonl`;
      writeFileSync(join(spool, orphan), '{}\n');
      const bad = Buffer.from(`${JSON.stringify({ ...traceRow(), Nope: 1 })}\n`);
      await expect(insertJsonEachRow(e.client, 'otel_traces', bad, { database: 'pl' })).rejects.toThrow(
        /Unknown field.*Nope/,
      );
      // The failed insert's file is gone; the orphan stays until an insert succeeds.
      expect(readdirSync(spool)).toEqual([orphan]);
      await insertLogs(e.client, [logRow({ Timestamp: '2026-11-02 03:04:05.678000000' })], {
        database: 'pl',
        dedupToken: 'l-1',
      });
      expect(readdirSync(spool)).toEqual([]);
      const got = await queryRows<{ t: string; n: string }>(
        e.client,
        'SELECT toString(any(TimestampTime)) AS t, count() AS n FROM pl.otel_logs',
      );
      // TimestampTime is a DEFAULT column the rows omit: the table's expression applies.
      expect(got.map((r) => [r.t, Number(r.n)])).toEqual([['2026-11-02 03:04:05', 1]]);
      await insertTraces(e.client, [traceRow({ Duration: 3 }), traceRow({ Duration: 4 })], {
        database: 'pl',
      });
      const t = await queryRows<{ d: string }>(e.client, 'SELECT sum(Duration) AS d FROM pl.otel_traces');
      expect(Number(t[0]?.d)).toBe(7);
      expect(readdirSync(spool)).toEqual([]);
    } finally {
      await e.close();
    }
  });

  it('takes a body in chunks that reuse one buffer, and skips an empty one', async () => {
    const e = tempEngine();
    try {
      await migrate(e.client, { database: 'pl' });
      const body = Buffer.concat([
        encodeTraceBlock([traceRow({ Duration: 1 }), traceRow({ Duration: 2 })]),
        encodeTraceBlock([traceRow({ Duration: 40 })]),
      ]);
      // 1000-byte pieces through one buffer, as the collector reads a WAL segment.
      function* pieces(): Generator<Uint8Array> {
        const buf = Buffer.alloc(1000);
        for (let off = 0; off < body.length; off += buf.length) {
          const n = body.copy(buf, 0, off, Math.min(body.length, off + buf.length));
          yield buf.subarray(0, n);
        }
      }
      await insertNative(e.client, 'otel_traces', pieces(), { database: 'pl', dedupToken: 'chunked' });
      await insertNative(e.client, 'otel_traces', [], { database: 'pl', dedupToken: 'empty' });
      const got = await queryRows<{ n: string; d: string }>(
        e.client,
        'SELECT count() AS n, sum(Duration) AS d FROM pl.otel_traces',
      );
      expect(got.map((r) => [Number(r.n), Number(r.d)])).toEqual([[3, 43]]);
      expect(readdirSync(join(e.dir, 'promptline-spool'))).toEqual([]);
    } finally {
      await e.close();
    }
  });
});

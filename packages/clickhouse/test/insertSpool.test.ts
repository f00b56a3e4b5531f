import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertJsonEachRow, insertLogs, insertTraces, migrate } from '../src/index.js';
import { logRow, rows, span, tempEngine } from './helpers.js';

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
      const bad = Buffer.from(`${JSON.stringify({ ...span(), Nope: 1 })}\n`);
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
      const got = await rows<{ t: string; n: string }>(
        e.client,
        'SELECT toString(any(TimestampTime)) AS t, count() AS n FROM pl.otel_logs',
      );
      // TimestampTime is a DEFAULT column the rows omit: the table's expression applies.
      expect(got.map((r) => [r.t, Number(r.n)])).toEqual([['2026-11-02 03:04:05', 1]]);
      await insertTraces(e.client, [span({ Duration: 3 }), span({ Duration: 4 })], { database: 'pl' });
      const t = await rows<{ d: string }>(e.client, 'SELECT sum(Duration) AS d FROM pl.otel_traces');
      expect(Number(t[0]?.d)).toBe(7);
      expect(readdirSync(spool)).toEqual([]);
    } finally {
      await e.close();
    }
  });
});

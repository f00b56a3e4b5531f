import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineQueryParams, stringLiteral } from '../src/engine/inlineQueryParams.js';
import {
  listGenerations,
  metricsByVersion,
  migrate,
  openClickHouse,
  promptDimensions,
  promptOverview,
  promptPage,
} from '../src/index.js';
import { queryRows } from '../../../test/kit/engine.js';
import { mulberry32 } from '../../../test/kit/random.js';

const dir = mkdtempSync(join(tmpdir(), 'promptline-conns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One client on the shared data directory (one process, one directory), closed after `fn`. */
async function withClient<T>(readers: number, fn: (c: ClickHouseClient) => Promise<T>): Promise<T> {
  const client = openClickHouse({ path: dir, readers });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The value and type the engine reads for `{p:type}` given `value`, bound as a parameter or written inline. */
async function readBack(c: ClickHouseClient, type: string, value: unknown): Promise<[string, string]> {
  const sql = `SELECT toJSONString({p:${type}}) AS v, toTypeName({p:${type}}) AS t`;
  const bound = await queryRows<{ v: string; t: string }>(c, sql, { p: value });
  const inlined = inlineQueryParams(sql, { p: value });
  if (inlined === undefined) throw new Error(`not inlined: ${type} ${String(value)}`);
  const written = await queryRows<{ v: string; t: string }>(c, inlined);
  expect(written).toEqual(bound);
  return [bound[0]!.v, bound[0]!.t];
}

describe('inlineQueryParams: values written into the statement', () => {
  it('reads back every value and type as the engine binds it', async () => {
    await withClient(0, async (c) => {
      const cases: Array<[string, unknown]> = [
        ['String', ''],
        ['String', "it's"],
        ['String', "back\\slash \\' \\x41 \\n"],
        ['String', "'; DROP TABLE x; --"],
        ['String', "') OR 1=1 OR ('"],
        ['String', 'tab\there\nnew line\r\0nul\x7f\x1b'],
        ['String', 'é 日本語 🙂 {x:String} /* c */ -- d'],
        ['UInt8', 255],
        ['UInt32', 4_294_967_295],
        ['UInt64', '18446744073709551615'],
        ['UInt64', 18_446_744_073_709_551_615n],
        ['Int64', -9_007_199_254_740_991],
        ['Int32', '-2147483648'],
        ['Float64', 0.1],
        ['Float64', -1e-300],
        ['Float64', 123.456],
        ["DateTime64(3, 'UTC')", '2026-10-01 12:34:56.789'],
        ["DateTime64(9, 'UTC')", '2026-10-01 12:34:56.123456789'],
        ["DateTime('UTC')", '2026-10-01 00:00:00'],
        ['Date', '2026-10-01'],
        ['Array(String)', ["a'b", '\\', '', 'x']],
        ['Array(UInt32)', []],
        ['Array(UInt32)', [1, 2, 4_294_967_295]],
        ['Nullable(String)', null],
        ['Nullable(UInt32)', 7],
        ['Bool', true],
      ];
      for (const [type, value] of cases) {
        const [v, t] = await readBack(c, type, value);
        expect(t).toBe(type);
        if (type === 'String') expect(JSON.parse(v)).toBe(value);
      }
    });
  });

  it('keeps random strings byte for byte', async () => {
    await withClient(0, async (c) => {
      const rnd = mulberry32(20261207);
      const alphabet = [
        "'",
        '\\',
        '"',
        '`',
        '{',
        '}',
        ':',
        '-',
        '/',
        '*',
        '\n',
        '\0',
        '\t',
        'a',
        'é',
        '日',
        '🙂',
        '\x01',
        ' ',
      ];
      const strings = Array.from({ length: 300 }, () =>
        Array.from(
          { length: Math.floor(rnd() * 24) },
          () => alphabet[Math.floor(rnd() * alphabet.length)],
        ).join(''),
      );
      const sql = 'SELECT arrayMap(s -> hex(s), {p:Array(String)}) AS h';
      const inlined = inlineQueryParams(sql, { p: strings });
      expect(inlined).toBeDefined();
      const [row] = await queryRows<{ h: string[] }>(c, inlined!);
      expect(row!.h).toEqual(strings.map((s) => Buffer.from(s, 'utf8').toString('hex').toUpperCase()));
    });
  });

  it('leaves quoted strings, quoted names and comments alone', () => {
    const sql = `SELECT '{p:String}' AS "{p:String}", \`{p:String}\`, {p:String} -- {p:String}
/* {p:String} */ FROM t WHERE x = 'it''s {p:String}' AND y = '\\'{p:String}'`;
    expect(inlineQueryParams(sql, { p: 'v' })).toBe(
      `SELECT '{p:String}' AS "{p:String}", \`{p:String}\`, 'v' -- {p:String}
/* {p:String} */ FROM t WHERE x = 'it''s {p:String}' AND y = '\\'{p:String}'`,
    );
    expect(stringLiteral("a'\\\n")).toBe("'a\\'\\\\\\x0a'");
  });

  it('gives the statement back to the engine’s own binding when it cannot write a value', () => {
    const no: Array<[string, unknown]> = [
      ['Identifier', 'otel_traces'],
      ['UUID', '00000000-0000-0000-0000-000000000000'],
      ['String', 3],
      ['UInt8', 256],
      ['UInt32', -1],
      ['UInt64', 1.5],
      ['Int64', '12abc'],
      ['Float64', Number.NaN],
      ['Float64', '1.5'],
      ["DateTime64(3, 'UTC')", new Date(0)],
      ["DateTime64(3, 'UTC')", "2026-10-01' OR 1=1"],
      ['Array(String)', 'a'],
      ['Array(UInt32)', [1, 'x']],
      ['String', null],
    ];
    for (const [type, value] of no)
      expect(inlineQueryParams(`SELECT {p:${type}}`, { p: value })).toBeUndefined();
    expect(inlineQueryParams('SELECT {q:String}', { p: 'v' })).toBeUndefined();
    expect(inlineQueryParams('SELECT {p:String}', {})).toBeUndefined();
  });
});

/** Settles `slow`, then `fast`, started 50 ms apart; returns the order they finished in. */
async function finishOrder(slow: () => Promise<unknown>, fast: () => Promise<unknown>): Promise<string[]> {
  const order: string[] = [];
  const a = slow().then(() => order.push('slow'));
  await new Promise((r) => setTimeout(r, 50));
  const b = fast().then(() => order.push('fast'));
  await Promise.all([a, b]);
  return order;
}

/** A read of ~1.5 s, parameterised as the package's reads are. */
const slowRead = (c: ClickHouseClient) => () =>
  queryRows(c, 'SELECT sleepEachRow(0.5) FROM numbers({n:UInt32}) SETTINGS max_block_size = 1', { n: 3 });

describe('EngineConnections: reads beside each other and beside writes', () => {
  it('answers a read and takes a write while another read runs', async () => {
    await withClient(2, async (c) => {
      await c.command({ query: 'CREATE TABLE IF NOT EXISTS side (n UInt32) ENGINE = MergeTree ORDER BY n' });
      expect(
        await finishOrder(slowRead(c), () => queryRows(c, 'SELECT {a:String} AS a', { a: 'x' })),
      ).toEqual(['fast', 'slow']);
      expect(
        await finishOrder(slowRead(c), () =>
          c.insert({ table: 'side', values: [{ n: 1 }], format: 'JSONEachRow' }),
        ),
      ).toEqual(['fast', 'slow']);
      // A read sent after the write has finished sees it.
      expect(await queryRows(c, 'SELECT count() AS c FROM side WHERE n = {n:UInt32}', { n: 1 })).toEqual([
        { c: 1 },
      ]);
    });
  });

  it('with no read connections, a read waits for the one before it', async () => {
    await withClient(0, async (c) => {
      expect(
        await finishOrder(slowRead(c), () => queryRows(c, 'SELECT {a:String} AS a', { a: 'x' })),
      ).toEqual(['slow', 'fast']);
    });
  });

  it('more reads than readers wait in order and are all answered', async () => {
    await withClient(2, async (c) => {
      const rows = await Promise.all(
        Array.from({ length: 12 }, (_, i) => queryRows<{ i: number }>(c, 'SELECT {i:UInt8} AS i', { i })),
      );
      expect(rows.map((r) => r[0]!.i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });
  });

  it('answers reads with settings, or with values it does not write, through the writing connection', async () => {
    await withClient(2, async (c) => {
      const rs = await c.query({
        query: 'SELECT getSetting({name:String}) AS v',
        query_params: { name: 'max_result_rows' },
        clickhouse_settings: { max_result_rows: '1234' },
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([{ v: 1234 }]);
      expect(await queryRows(c, 'SELECT count() > 0 AS ok FROM system.{t:Identifier}', { t: 'one' })).toEqual(
        [{ ok: 1 }],
      );
    });
  });

  it('writes the values of the console’s reads into their statements (none is left to run one at a time)', async () => {
    await withClient(2, async (c) => {
      await migrate(c, { database: 'conns' });
      const sent: Array<{ query: string; query_params?: Record<string, unknown> }> = [];
      const query = c.query.bind(c);
      c.query = ((p: Parameters<typeof c.query>[0]) => {
        sent.push(p);
        return query(p);
      }) as typeof c.query;
      const q = {
        database: 'conns',
        projectId: 'p',
        promptName: 'support-reply',
        from: new Date('2026-10-01T00:17:00Z'),
        to: new Date('2026-10-08T00:43:00Z'),
      };
      await promptPage(c, { ...q, intervalSeconds: 21_600 });
      await promptDimensions(c, q);
      await metricsByVersion(c, q);
      await promptOverview(c, { database: 'conns', projectId: 'p', from: q.from, to: q.to });
      await listGenerations(c, { ...q, version: 1 });
      const withParams = sent.filter((p) => Object.keys(p.query_params ?? {}).length > 0);
      expect(withParams.length).toBeGreaterThan(5);
      for (const p of withParams) expect(inlineQueryParams(p.query, p.query_params!), p.query).toBeDefined();
    });
  });

  it('refuses a readers value out of range, naming it', () => {
    expect(() => openClickHouse({ path: dir, readers: -1 })).toThrow(/readers .* from 0 to 16 \(got -1\)/);
    expect(() => openClickHouse({ path: dir, readers: 2.5 })).toThrow(/readers/);
  });
});

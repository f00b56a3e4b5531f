import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVALUATION_EVENT_NAME, EVENT_NAME_ATTRIBUTE } from '@promptline/semconv';
import { renderMigrations } from '../src/index.js';
import { loadMigrations } from '../src/schema/migrate.js';
import { planSegments } from '../src/read/planSegments.js';
import { renderMigration, splitStatements } from '../src/schema/renderSql.js';
import {
  histQuantiles,
  histQuantilesByValue,
  histRepresentative,
  orderedHistQuantiles,
} from '../src/schema/histogram.js';
import { emptyGroup, groupHistLevels, HISTOGRAMS, histLevels, mergeGroup } from '../src/read/mergedRows.js';
import { HIST_TAG } from '../src/schema/histogram.js';
import { quoteIdent, sqlString } from '../src/schema/renderSql.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

async function parses(sql: string): Promise<string> {
  const [r] = await queryRows<{ f: string }>(client, 'SELECT formatQuery({q:String}) AS f', { q: sql });
  return r?.f ?? '';
}

describe('cluster variant', () => {
  const cluster = renderMigrations({ cluster: 'prod_cluster', database: 'pl', ttlDays: 30 });
  const statements = cluster.flatMap((m) => m.statements);

  it('renders ON CLUSTER, Replicated engines, *_local tables and Distributed tables', () => {
    const creates = statements.filter((s) => /^CREATE (TABLE|MATERIALIZED VIEW)/.test(s));
    expect(creates.length).toBeGreaterThan(10);
    for (const s of creates) expect(s).toContain('ON CLUSTER `prod_cluster`');
    const storage = statements.filter((s) => /ENGINE = (?!Replicated)\w*MergeTree/.test(s));
    expect(storage).toEqual([]);
    expect(
      statements.some((s) =>
        s.includes(
          "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
        ),
      ),
    ).toBe(true);
    const dist = statements.filter((s) => s.includes('ENGINE = Distributed('));
    expect(
      dist.some((s) =>
        s.includes("Distributed('prod_cluster', 'pl', 'otel_traces_local', cityHash64(TraceId))"),
      ),
    ).toBe(true);
    expect(
      dist.some((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `pl`.`promptline_generations` ON CLUSTER')),
    ).toBe(true);
    // Materialized views read and write the local tables.
    const mv = statements.find((s) => s.includes('promptline_generations_mv')) ?? '';
    expect(mv).toContain('TO `pl`.`promptline_generations_local`');
    expect(mv).toContain('FROM `pl`.`otel_traces_local`');
    expect(statements.some((s) => s.includes('replicated_deduplication_window = 10000'))).toBe(true);
    expect(statements.some((s) => s.includes('TTL toDateTime(Timestamp) + toIntervalDay(30)'))).toBe(true);
  });

  it('the price table is replicated to every node: no {shard} in its path, no Distributed, no _local', async () => {
    const prices = statements.filter((s) => s.includes('promptline_model_prices'));
    const create = prices.find((s) =>
      s.startsWith('CREATE TABLE IF NOT EXISTS `pl`.`promptline_model_prices` ON CLUSTER'),
    );
    expect(create).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all_nodes/{database}/{table}', '{shard}-{replica}', updated_at, is_deleted)",
    );
    const [path] = /'\/clickhouse\/tables\/[^']*'/.exec(create ?? '') ?? [''];
    expect(path).not.toContain('{shard}');
    expect(prices.filter((s) => s.includes('Distributed('))).toEqual([]);
    expect(statements.some((s) => s.includes('promptline_model_prices_local'))).toBe(false);
    // The generations view prices from the node's own (complete) copy; the defaults go into it.
    const mv = statements.find((s) => s.includes('promptline_generations_mv')) ?? '';
    expect(mv).toContain('FROM `pl`.`promptline_model_prices` FINAL');
    expect(prices.some((s) => s.startsWith('INSERT INTO `pl`.`promptline_model_prices`'))).toBe(true);
    expect(await parses(create ?? '')).toContain('ReplicatedReplacingMergeTree');
    // Single node: the same plain ReplacingMergeTree as before.
    const single = renderMigrations({ database: 'pl' }).flatMap((m) => m.statements);
    const one = single.find((s) =>
      /^CREATE TABLE IF NOT EXISTS `pl`\.`promptline_model_prices`\s+\(/.test(s),
    );
    expect(one).toContain('ENGINE = ReplacingMergeTree(updated_at, is_deleted)');
  });

  it('every cluster statement is parsed by the engine', async () => {
    for (const s of statements) {
      const formatted = await parses(s);
      expect(formatted.length, s.slice(0, 120)).toBeGreaterThan(0);
    }
  });

  it('every single-node statement is parsed by the engine, without cluster syntax', async () => {
    const single = renderMigrations({ database: 'pl' }).flatMap((m) => m.statements);
    for (const s of single) {
      expect(s).not.toContain('ON CLUSTER');
      expect(s).not.toContain('Distributed(');
      expect(await parses(s)).not.toBe('');
    }
  });

  it('createSchema: false in cluster mode reads the upstream tables under their own names', () => {
    const st = renderMigrations({ cluster: 'c', createSchema: false }).flatMap((m) => m.statements);
    expect(st.some((s) => s.includes('otel_traces_local'))).toBe(false);
    expect(st.find((s) => s.includes('promptline_generations_mv'))).toContain('FROM `default`.`otel_traces`');
  });
});

describe('migration templating', () => {
  it('rejects unknown directives, bad identifiers and unknown semconv keys with a clear error', () => {
    expect(() => renderMigration('SELECT {{nope}};')).toThrow(/unknown migration directive \{\{nope\}\}/);
    expect(() => renderMigration('SELECT {{key:GEN_AI.NOPE}};')).toThrow(/no such string constant/);
    expect(() => renderMigration('SELECT 1;', { database: 'x; DROP' })).toThrow(/database/);
    expect(() => renderMigration('SELECT 1;', { cluster: "c'" })).toThrow(/cluster/);
    expect(() => renderMigration('SELECT {{table:a-b}};')).toThrow(/table/);
    expect(renderMigration('SELECT {{key:GEN_AI.REQUEST_MODEL}};')).toEqual([
      "SELECT 'gen_ai.request.model'",
    ]);
    expect(renderMigration('SELECT {{list:GEN_AI_GENERATION_OPERATIONS}};')[0]).toContain(
      "'text_completion'",
    );
  });

  it('{{engine_all_nodes:…}} replicates to every node and keeps the table unsplit in every file', () => {
    const text =
      'CREATE TABLE IF NOT EXISTS {{table:t}} {{on_cluster}} (a UInt8)\nENGINE = {{engine_all_nodes:ReplacingMergeTree(a)}}\nORDER BY a;\nSELECT * FROM {{local:t}};';
    expect(renderMigration(text)).toEqual([
      'CREATE TABLE IF NOT EXISTS `default`.`t`  (a UInt8)\nENGINE = ReplacingMergeTree(a)\nORDER BY a',
      'SELECT * FROM `default`.`t`',
    ]);
    const [create, select] = renderMigration(text, { cluster: 'c' });
    expect(create).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/all_nodes/{database}/{table}', '{shard}-{replica}', a)",
    );
    expect(select).toBe('SELECT * FROM `default`.`t`');
    // Other files see it unsplit through renderMigrations; a plain {{engine:…}} table stays split.
    expect(renderMigration('SELECT * FROM {{local:t}};', { cluster: 'c' })).toEqual([
      'SELECT * FROM `default`.`t_local`',
    ]);
    expect(() => renderMigration('SELECT {{engine_all_nodes:Log}};', { cluster: 'c' })).toThrow(
      /engine_all_nodes:Log.*MergeTree/,
    );
  });

  it('migrations name attribute keys only through {{key:…}} (no literal map keys)', () => {
    for (const f of loadMigrations()) {
      expect(f.text, f.file).not.toMatch(/Attributes\[\s*'/);
    }
    const mv = renderMigrations({ database: 'pl' })
      .flatMap((m) => m.statements)
      .find((s) => s.includes('promptline_scores_mv'));
    expect(mv).toContain(
      `LogAttributes[${sqlString(EVENT_NAME_ATTRIBUTE)}] = ${sqlString(EVALUATION_EVENT_NAME)}`,
    );
  });

  it('property: directive-free statements round-trip through split + render', () => {
    const line = fc
      .stringMatching(/^[A-Za-z0-9_ ,()'=<>*.+-]{1,40}$/)
      .filter((l) => !/;\s*$/.test(l) && !/^\s*--/.test(l));
    const stmt = fc.array(line, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('\n'));
    fc.assert(
      fc.property(fc.array(stmt, { minLength: 1, maxLength: 6 }), (stmts) => {
        const text = stmts.map((s) => `${s};`).join('\n\n');
        const expected = stmts.map((s) => s.trim()).filter((s) => s !== '');
        expect(renderMigration(text)).toEqual(expected);
        expect(splitStatements(text).length).toBe(stmts.length);
      }),
    );
  });

  it('property: quoteIdent accepts exactly plain identifiers', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const ok = /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
        if (ok) expect(quoteIdent(s)).toBe(`\`${s}\``);
        else expect(() => quoteIdent(s)).toThrow();
      }),
    );
  });

  it('fuzz: arbitrary text either renders or fails with an Error, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const out = renderMigration(text);
          expect(Array.isArray(out)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
    );
  });
});

describe('histogram quantiles (math)', () => {
  it('property: every quantile is within 0.5% of the exact order statistic at rank floor(q(n-1))', () => {
    const value = fc.oneof(
      fc.constant(0),
      fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
      fc.double({ min: -1e4, max: -1e-4, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          // Build the histogram as the SQL does: key = ceil(log_1.01 |x|), negatives shifted, zero apart.
          const counts = new Map<number, number>();
          for (const x of xs) {
            const k =
              x === 0
                ? -32768
                : x > 0
                  ? Math.ceil(Math.log(x) / Math.log(1.01))
                  : Math.ceil(Math.log(-x) / Math.log(1.01)) - 20000;
            counts.set(k, (counts.get(k) ?? 0) + 1);
          }
          const [got] = histQuantiles([...counts.keys()], [...counts.values()], [q]);
          const sorted = [...xs].sort((a, b) => a - b);
          const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
          expect(Math.abs((got as number) - exact)).toBeLessThanOrEqual(Math.abs(exact) * 0.005 + 1e-12);
        },
      ),
    );
    expect(histRepresentative(-32768)).toBe(0);
    expect(histQuantiles([], [], [0.5])).toEqual([null]);
  });

  it('property: quantiles by key order equal quantiles by sorted representative values, for every stored key', () => {
    // Every key the schema stores: zero, negative values (−27000…−13000), positive (−7000…7000),
    // and the rest of the Int16 range for good measure.
    const key = fc.oneof(
      fc.constant(-32768),
      fc.integer({ min: -27000, max: -13000 }),
      fc.integer({ min: -7000, max: 7000 }),
      fc.integer({ min: -32768, max: 32767 }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 400 }),
        fc.array(fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: 1000 }).map(String)), {
          minLength: 400,
          maxLength: 400,
        }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (keys, counts, levels) => {
          const c = counts.slice(0, keys.length);
          expect(histQuantiles(keys, c, levels)).toEqual(histQuantilesByValue(keys, c, levels));
        },
      ),
      { numRuns: 500 },
    );
    // A Map read in place when its entries are in value order (sorted keys ≥ the zero key, as the
    // engine returns them), else sorted: both agree with sorting by value, ascending levels or not.
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 400 }),
        fc.array(fc.nat({ max: 1000 }), { minLength: 400, maxLength: 400 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (keys, counts, levels, sorted) => {
          const ks = sorted ? keys.filter((k) => k === -32768 || k > -10000).sort((a, b) => a - b) : keys;
          const h = new Map(ks.map((k, i) => [k, counts[i]!] as const));
          const expected = histQuantilesByValue([...h.keys()], [...h.values()], levels);
          expect(histLevels(h, levels)).toEqual(expected);
          const ascending = [...levels].sort((a, b) => a - b);
          const inPlace = orderedHistQuantiles(h, ascending);
          if (sorted)
            expect(inPlace).toEqual(histQuantilesByValue([...h.keys()], [...h.values()], ascending));
        },
      ),
      { numRuns: 500 },
    );
    expect(
      orderedHistQuantiles(
        new Map([
          [5, 1],
          [3, 1],
        ]),
        [0.5],
      ),
    ).toBeUndefined();
    expect(
      orderedHistQuantiles(
        new Map([
          [3, 1],
          [5, 1],
        ]),
        [0.9, 0.5],
      ),
    ).toBeUndefined();
    // A group's histograms packed as one merged row arrives (every histogram's tagged keys, ascending)
    // read in place agree with sorting by value; unpacked into Maps (when anything is added to
    // the group) they hold the same buckets.
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(key, { maxLength: 120 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 480, maxLength: 480 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (perHist, counts, levels) => {
          const tagged = perHist
            .flatMap((ks, m) => ks.map((k) => k + m * HIST_TAG))
            .sort((a, b) => a - b)
            .map((t, i) => [t, counts[i]!] as const);
          const packed = emptyGroup({});
          packed.packedHist = { keys: tagged.map((t) => t[0]), counts: tagged.map((t) => t[1]) };
          const maps = emptyGroup({});
          mergeGroup(maps, packed);
          // The group merged from is read, not changed (it may be a kept answer's).
          expect(packed.packedHist).toEqual({
            keys: tagged.map((t) => t[0]),
            counts: tagged.map((t) => t[1]),
          });
          for (const name of HISTOGRAMS) expect(packed[name].size).toBe(0);
          HISTOGRAMS.forEach((name, m) => {
            const mine = tagged.filter(([t]) => Math.floor((t + 32768) / HIST_TAG) === m);
            const ks = mine.map(([t]) => t - m * HIST_TAG);
            const cs = mine.map(([, c]) => c);
            const again = emptyGroup({});
            again.packedHist = { keys: tagged.map((t) => t[0]), counts: tagged.map((t) => t[1]) };
            expect(groupHistLevels(again, name, levels)).toEqual(histQuantilesByValue(ks, cs, levels));
            expect(new Map([...maps[name]].sort((a, b) => a[0] - b[0]))).toEqual(
              new Map(ks.map((k, i) => [k, cs[i]!] as const).sort((a, b) => a[0] - b[0])),
            );
          });
        },
      ),
      { numRuns: 300 },
    );
    // Keys outside Int16 take the general path and still agree.
    expect(histQuantiles([40000, -40000, 5], [1, 1, 1], [0, 0.5, 1])).toEqual(
      histQuantilesByValue([40000, -40000, 5], [1, 1, 1], [0, 0.5, 1]),
    );
  });

  it('the SQL histogram agrees with the JS one on the engine', async () => {
    const { histValueSql } = await import('../src/schema/histogram.js');
    const [r] = await queryRows<{ h: [number[], string[]]; e: number[] }>(
      client,
      `SELECT sumMap(${histValueSql('x')}) AS h, quantilesExactLow(0.5, 0.99)(x) AS e
       FROM (SELECT if(number % 5 = 0, 0, exp(number / 700)) AS x FROM numbers(5000))`,
    );
    const [p50, p99] = histQuantiles(r?.h[0] ?? [], r?.h[1] ?? [], [0.5, 0.99]);
    const xs = Array.from({ length: 5000 }, (_, i) => (i % 5 === 0 ? 0 : Math.exp(i / 700))).sort(
      (a, b) => a - b,
    );
    expect(Math.abs((p50 as number) / (xs[2499] as number) - 1)).toBeLessThan(0.005);
    expect(Math.abs((p99 as number) / (xs[Math.floor(0.99 * 4999)] as number) - 1)).toBeLessThan(0.005);
  });
});

describe('planSegments', () => {
  it('property: segments tile [from, to) contiguously, with whole hours / days from the aggregates', () => {
    const t = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 0, 1) });
    fc.assert(
      fc.property(t, fc.integer({ min: 1, max: 40 * 86_400_000 }), (from, len) => {
        const segs = planSegments(from, from + len);
        expect(segs[0]?.from).toBe(from);
        expect(segs[segs.length - 1]?.to).toBe(from + len);
        segs.forEach((s, i) => {
          expect(s.to).toBeGreaterThan(s.from);
          if (i > 0) expect(s.from).toBe(segs[i - 1]?.to);
          if (s.source === '1h') expect((s.from % 3_600_000) + (s.to % 3_600_000)).toBe(0);
          if (s.source === '1d') expect((s.from % 86_400_000) + (s.to % 86_400_000)).toBe(0);
          if (s.source === 'raw') expect(s.to - s.from).toBeLessThan(3_600_000 * 2);
        });
      }),
    );
  });
});

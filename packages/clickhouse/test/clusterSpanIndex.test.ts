import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVALUATION, EVALUATION_EVENT_NAME, RESOURCE } from '@promptline/semconv';
import { insertLogs, renderMigrations } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { logRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

const cluster = renderMigrations({ cluster: 'c', database: 'pl' });
const statementsOf = (version: number): string[] =>
  cluster.find((m) => m.version === version)?.statements ?? [];
const scores = statementsOf(6);

/**
 * A cluster statement as ONE node of the cluster would run it, on the embedded engine (no keeper):
 * no `ON CLUSTER`, `Replicated*MergeTree(path, replica[, args])` → `*MergeTree([args])`.
 */
function asOneNode(sql: string): string {
  return sql
    .replace(/ ON CLUSTER `c`/g, '')
    .replace(/Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?/g, '$1(');
}

describe('cluster span index', () => {
  it('renders a replicated-to-all-nodes index and a dictionary under the name readers use', () => {
    const table = scores.find((s) =>
      s.startsWith('CREATE TABLE IF NOT EXISTS `pl`.`promptline_span_index_local`'),
    );
    expect(table).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all_nodes/{database}/{table}', '{shard}-{replica}')",
    );
    expect(table).toContain('SETTINGS replicated_deduplication_window = 0');
    const dict = scores.find((s) =>
      s.startsWith('CREATE DICTIONARY IF NOT EXISTS `pl`.`promptline_span_index` ON CLUSTER `c`'),
    );
    expect(dict).toContain("SOURCE(CLICKHOUSE(DB 'pl' TABLE 'promptline_span_index_local'))");
    expect(dict).toContain('LAYOUT(COMPLEX_KEY_DIRECT())');
    // No per-node RocksDB span index in the cluster; the score id set stays RocksDB (per node).
    const rocks = scores.filter((s) => s.includes('EmbeddedRocksDB'));
    expect(rocks.map((s) => /`pl`\.`(\w+)`/.exec(s)?.[1])).toEqual(['promptline_score_ids_local']);
    // The score view resolves through the dictionary; the index view fills the replicated table.
    const mv = scores.find((s) => s.includes('promptline_scores_mv')) ?? '';
    expect(mv).toContain('LEFT ANY JOIN `pl`.`promptline_span_index` AS s');
    const indexMv = scores.find((s) => s.includes('promptline_span_index_mv')) ?? '';
    expect(indexMv).toContain('TO `pl`.`promptline_span_index_local`');
    expect(indexMv).toContain('FROM `pl`.`promptline_generations_local`');
  });

  it('single node keeps the EmbeddedRocksDB index under its own name, no dictionary', () => {
    const single = renderMigrations({ database: 'pl' }).find((m) => m.version === 6)?.statements ?? [];
    const index = single.find((s) => /^CREATE TABLE IF NOT EXISTS `pl`\.`promptline_span_index`\s/.test(s));
    expect(index).toContain('ENGINE = EmbeddedRocksDB(0)');
    expect(single.some((s) => s.includes('DICTIONARY'))).toBe(false);
    expect(single.some((s) => s.includes('replicated_deduplication_window = 0'))).toBe(false);
  });

  describe('one node of the cluster, on the engine', () => {
    beforeAll(async () => {
      await client.command({ query: 'CREATE DATABASE IF NOT EXISTS pl' });
      // Every cluster statement as one node runs them, except the Distributed tables and the
      // statements that read or drop them (a lone node has no cluster to distribute over).
      const statements = cluster.flatMap((m) => m.statements);
      const distributed = statements
        .filter((s) => s.includes('Distributed('))
        .map((s) => /^CREATE TABLE IF NOT EXISTS (`pl`\.`\w+`)/.exec(s)?.[1] ?? '');
      for (const s of statements) {
        if (s.includes('Distributed(')) continue;
        if (distributed.some((name) => name !== '' && s.includes(name))) continue;
        await client.command({ query: asOneNode(s) });
      }
    });

    it('a score whose span reached this node only by replication resolves, at insert and at read', async () => {
      // A row the index view wrote on another replica, replicated here.
      await client.command({
        query: `INSERT INTO pl.promptline_span_index_local VALUES
          ('p1:${'a'.repeat(32)}${'b'.repeat(16)}', '2026-11-20 12:00:00', 'support', 7, 'production', 'prod', 'gpt-4o')`,
      });
      const score = (span: string, value: string) =>
        logRow({
          TraceId: 'a'.repeat(32),
          SpanId: span,
          EventName: EVALUATION_EVENT_NAME,
          ResourceAttributes: { [RESOURCE.PROJECT_ID]: 'p1' },
          LogAttributes: { [EVALUATION.NAME]: 'helpful', [EVALUATION.SCORE_VALUE]: value },
        });
      await insertLogs(client, [score('b'.repeat(16), '0.75'), score('c'.repeat(16), '0.25')], {
        database: 'pl',
        table: 'otel_logs_local',
      });
      const stored = await queryRows<{ span_id: string; prompt_version: number; prompt_label: string }>(
        client,
        'SELECT span_id, prompt_version, prompt_label FROM pl.promptline_scores_local ORDER BY span_id',
      );
      expect(stored).toEqual([
        { span_id: 'b'.repeat(16), prompt_version: 7, prompt_label: 'production' },
        { span_id: 'c'.repeat(16), prompt_version: 0, prompt_label: '' },
      ]);
      // The span of the unresolved score arrives later (replicated); readers resolve it by name.
      await client.command({
        query: `INSERT INTO pl.promptline_span_index_local VALUES
          ('p1:${'a'.repeat(32)}${'c'.repeat(16)}', '2026-11-20 12:00:00', 'support', 8, 'canary', 'prod', 'gpt-4o')`,
      });
      const read = await queryRows<{ v: number; value: number }>(
        client,
        `SELECT s.prompt_version AS v, u.value AS value
         FROM (SELECT value, span_key FROM pl.promptline_scores_local WHERE prompt_version = 0) AS u
         INNER JOIN pl.promptline_span_index AS s ON s.span_key = u.span_key
         SETTINGS join_algorithm = 'direct'`,
      );
      expect(read).toEqual([{ v: 8, value: 0.25 }]);
    });
  });
});

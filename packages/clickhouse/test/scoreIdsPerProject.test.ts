/**
 * Score ids are idempotency keys per project: the same `promptline.score.id` in two projects is two
 * scores; a repeat within a project (a retried send, or twice in one batch) is one. Also across the
 * upgrade by migration 0014, whose set is refilled from the scores already stored.
 */
import { EVALUATION, EVALUATION_EVENT_NAME, RESOURCE } from '@promptline/semconv';
import { afterAll, describe, expect, it } from 'vitest';
import { insertLogs, migrate, renderMigrations } from '../src/index.js';
import type { LogRow } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { hexId, logRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

let n = 0;
/** A numeric score record of `project` with score id `id`, on a span of its own. */
function score(project: string, id: string, value = 1): LogRow {
  n++;
  return logRow({
    TraceId: hexId(n, 32),
    SpanId: hexId(n, 16),
    EventName: EVALUATION_EVENT_NAME,
    ResourceAttributes: { 'service.name': 'svc', [RESOURCE.PROJECT_ID]: project },
    LogAttributes: {
      [EVALUATION.NAME]: 'helpful',
      [EVALUATION.ID]: id,
      [EVALUATION.SCORE_VALUE]: String(value),
    },
  });
}

async function stored(database: string): Promise<Array<{ project_id: string; score_id: string; n: string }>> {
  return queryRows(
    client,
    `SELECT project_id, score_id, toString(count()) AS n FROM ${database}.promptline_scores
     GROUP BY project_id, score_id ORDER BY project_id, score_id`,
  );
}

describe('score ids per project', () => {
  it('the same score id in two projects is two scores; a repeat within a project is one', async () => {
    await migrate(client, { database: 'ids' });
    const opts = { database: 'ids' };
    // Project A first, then B with the same id (the case that dropped B's score).
    await insertLogs(client, [score('a', 'feedback-1')], { ...opts, dedupToken: 'batch-1' });
    await insertLogs(client, [score('b', 'feedback-1')], { ...opts, dedupToken: 'batch-2' });
    // A retried send of A's score (another batch), and one batch holding an id twice for C and once for D.
    await insertLogs(client, [score('a', 'feedback-1', 0)], { ...opts, dedupToken: 'batch-3' });
    await insertLogs(client, [score('c', 'dup'), score('c', 'dup'), score('d', 'dup')], {
      ...opts,
      dedupToken: 'batch-4',
    });
    expect(await stored('ids')).toEqual([
      { project_id: 'a', score_id: 'feedback-1', n: '1' },
      { project_id: 'b', score_id: 'feedback-1', n: '1' },
      { project_id: 'c', score_id: 'dup', n: '1' },
      { project_id: 'd', score_id: 'dup', n: '1' },
    ]);
    // The first value of A's score stands (the retry with value 0 was dropped).
    const [a] = await queryRows<{ value: number }>(
      client,
      "SELECT value FROM ids.promptline_scores WHERE project_id = 'a'",
    );
    expect(a!.value).toBe(1);
  });

  it('a project whose id is a prefix of another never collides with it', async () => {
    await insertLogs(client, [score('ab', 'c'), score('a', 'bc')], {
      database: 'ids',
      dedupToken: 'batch-5',
    });
    const got = await queryRows<{ project_id: string }>(
      client,
      "SELECT project_id FROM ids.promptline_scores WHERE project_id IN ('ab', 'a') AND score_id IN ('c', 'bc') ORDER BY project_id",
    );
    expect(got.map((r) => r.project_id)).toEqual(['a', 'ab']);
  });

  it('upgrading by migration 0014 keeps the ids already accepted, each under its project', async () => {
    await migrate(client, { database: 'up12', target: 13 });
    await insertLogs(client, [score('a', 'before-upgrade')], { database: 'up12', dedupToken: 'old-1' });
    const upgrade = await migrate(client, { database: 'up12' });
    expect(upgrade.applied).toContain(14);
    // A's id was accepted before the upgrade: a retry is still dropped. B's same id is a new score.
    await insertLogs(client, [score('a', 'before-upgrade', 0), score('b', 'before-upgrade')], {
      database: 'up12',
      dedupToken: 'new-1',
    });
    expect(await stored('up12')).toEqual([
      { project_id: 'a', score_id: 'before-upgrade', n: '1' },
      { project_id: 'b', score_id: 'before-upgrade', n: '1' },
    ]);
    const keys = await queryRows<{ score_key: string }>(
      client,
      'SELECT score_key FROM up12.promptline_score_ids ORDER BY score_key',
    );
    expect(keys.map((k) => k.score_key)).toEqual(['1:abefore-upgrade', '1:bbefore-upgrade']);
  });

  it("on a cluster the set stays per node, is filled from every shard's scores, and the view joins by the new key", () => {
    const cluster = renderMigrations({ cluster: 'c', database: 'pl' }).find(
      (m) => m.version === 14,
    )!.statements;
    const table = cluster.find((x) =>
      x.startsWith('CREATE TABLE IF NOT EXISTS `pl`.`promptline_score_ids_local` ON CLUSTER `c`'),
    );
    expect(table).toContain('ENGINE = EmbeddedRocksDB(0)');
    expect(table).toContain('PRIMARY KEY score_key');
    const fill = cluster.find((x) => x.startsWith('INSERT INTO `pl`.`promptline_score_ids_local`'));
    expect(fill).toMatch(/FROM `pl`\.`promptline_scores`$/);
    const view = cluster.find(
      (x) => x.includes('`pl`.`promptline_scores_mv_local`') && x.startsWith('CREATE'),
    );
    expect(view).toContain(
      'LEFT ANY JOIN `pl`.`promptline_score_ids_local` AS d ON d.score_key = l.score_key',
    );
    expect(view).toContain('LIMIT 1 BY score_key');
    expect(view).toContain('FROM `pl`.`otel_logs_local`');
  });
});

/**
 * Scores linked by `gen_ai.response.id` (migration 0017): a score record that carries only the
 * provider's response id is linked to the generation with that response id in its project, whether it
 * arrives before the generation (resolved when read) or after (resolved at insert), exactly once:
 * in the score summaries, the comparison samples and the hourly score aggregates. The first
 * generation stored with a response id keeps it; a response id wins over the span a record is
 * parented to; projects never share response ids.
 */
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareVersions, insertLogs, insertTraces, metricsByVersion, migrate } from '../src/index.js';
import type { LogRow, TraceRow } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { chTimestamp, hexId, logRow, traceRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
const DB = 'responses';
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
afterAll(() => engine.close());
beforeAll(() => migrate(client, { database: DB }));

let n = 0;
function generation(project: string, version: string, responseId: string, at = T0 + 60_000): TraceRow {
  n++;
  return traceRow({
    TraceId: hexId(9000 + n, 32),
    SpanId: hexId(9000 + n, 16),
    Timestamp: chTimestamp(at),
    ResourceAttributes: { 'service.name': 'svc', [RESOURCE.PROJECT_ID]: project },
    SpanAttributes: {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.PROMPT_NAME]: 'reply',
      [PROMPTLINE.PROMPT_VERSION]: version,
      [GEN_AI.RESPONSE_ID]: responseId,
    },
  });
}

/** A score event with only a response id (no trace context), or parented to `parent`. */
function score(
  project: string,
  responseId: string,
  value: number,
  opts: { id?: string; parent?: TraceRow; at?: number } = {},
): LogRow {
  return logRow({
    Timestamp: chTimestamp(opts.at ?? T0 + 120_000),
    TraceId: opts.parent?.TraceId ?? '',
    SpanId: opts.parent?.SpanId ?? '',
    EventName: EVALUATION_EVENT_NAME,
    ResourceAttributes: { 'service.name': 'feedback', [RESOURCE.PROJECT_ID]: project },
    LogAttributes: {
      [EVALUATION.NAME]: 'helpful',
      [EVALUATION.SCORE_VALUE]: String(value),
      ...(responseId === '' ? {} : { [GEN_AI.RESPONSE_ID]: responseId }),
      ...(opts.id === undefined ? {} : { [EVALUATION.ID]: opts.id }),
    },
  });
}

const window = {
  database: DB,
  projectId: 'p1',
  promptName: 'reply',
  from: new Date(T0),
  to: new Date(T0 + 3_600_000),
};

async function helpful(version: number): Promise<{ count: number; mean: number | null } | undefined> {
  const rows = await metricsByVersion(client, window);
  const s = rows.find((r) => r.version === version)?.scores.find((x) => x.name === 'helpful');
  return s === undefined ? undefined : { count: s.count, mean: s.mean };
}

describe('scores by response id', () => {
  it('a score before its generation resolves when read; one after resolves at insert; each counts once', async () => {
    // Early: the feedback service's score reaches ClickHouse before the generation (and is re-sent).
    await insertLogs(client, [score('p1', 'chatcmpl-early', 1, { id: 'fb-1' })], {
      database: DB,
      dedupToken: 'l-1',
    });
    await insertLogs(client, [score('p1', 'chatcmpl-early', 1, { id: 'fb-1' })], {
      database: DB,
      dedupToken: 'l-2',
    });
    expect(await helpful(2)).toBeUndefined();
    await insertTraces(
      client,
      [generation('p1', '2', 'chatcmpl-early'), generation('p1', '2', 'chatcmpl-late')],
      { database: DB, dedupToken: 't-1' },
    );
    expect(await helpful(2)).toEqual({ count: 1, mean: 1 });
    // Late: the generation is there; the score is resolved at insert (into the hourly aggregates).
    await insertLogs(client, [score('p1', 'chatcmpl-late', 0, { id: 'fb-2' })], {
      database: DB,
      dedupToken: 'l-3',
    });
    expect(await helpful(2)).toEqual({ count: 2, mean: 0.5 });
    const stored = await queryRows<{ score_id: string; prompt_version: number }>(
      client,
      `SELECT score_id, prompt_version FROM ${DB}.promptline_scores ORDER BY score_id`,
    );
    expect(stored).toEqual([
      { score_id: 'fb-1', prompt_version: 0 },
      { score_id: 'fb-2', prompt_version: 2 },
    ]);
    const [agg] = await queryRows<{ n: number }>(
      client,
      `SELECT toUInt32(sum(scores)) AS n FROM ${DB}.promptline_score_stats_1h WHERE prompt_version = 2`,
    );
    expect(agg!.n).toBe(1);
  });

  it('comparison samples hold each response-id score once', async () => {
    await insertTraces(client, [generation('p1', '3', 'chatcmpl-v3')], { database: DB, dedupToken: 't-2' });
    await insertLogs(client, [score('p1', 'chatcmpl-v3', 0.25, { id: 'fb-3' })], {
      database: DB,
      dedupToken: 'l-4',
    });
    const r = await compareVersions(client, { ...window, baseline: 2, candidate: 3, minSamples: 2 });
    const m = r.metrics.find((x) => x.metric === 'score:helpful');
    expect([m?.baseline.n, m?.candidate.n]).toEqual([2, 1]);
  });

  it('the first generation stored with a response id keeps it; the response id wins over the parent span', async () => {
    const a = generation('p1', '4', 'chatcmpl-shared');
    const b = generation('p1', '5', 'chatcmpl-shared');
    await insertTraces(client, [a], { database: DB, dedupToken: 't-3' });
    await insertTraces(client, [b], { database: DB, dedupToken: 't-4' });
    // Parented to b (say, the judge ran inside it) but naming the response a and b share → a.
    await insertLogs(client, [score('p1', 'chatcmpl-shared', 0.5, { id: 'fb-4', parent: b })], {
      database: DB,
      dedupToken: 'l-5',
    });
    // Parented to b with a response id no generation has: linked by its span.
    await insertLogs(client, [score('p1', 'chatcmpl-unknown', 0.75, { id: 'fb-5', parent: b })], {
      database: DB,
      dedupToken: 'l-6',
    });
    expect(await helpful(4)).toEqual({ count: 1, mean: 0.5 });
    expect(await helpful(5)).toEqual({ count: 1, mean: 0.75 });
  });

  it('response ids belong to their project', async () => {
    await insertTraces(client, [generation('p2', '6', 'chatcmpl-p2')], { database: DB, dedupToken: 't-5' });
    await insertLogs(client, [score('p1', 'chatcmpl-p2', 1, { id: 'fb-6' })], {
      database: DB,
      dedupToken: 'l-7',
    });
    const rows = await metricsByVersion(client, { ...window, projectId: 'p2' });
    expect(rows[0]?.scores).toEqual([]);
    const [row] = await queryRows<{ prompt_version: number }>(
      client,
      `SELECT prompt_version FROM ${DB}.promptline_scores WHERE score_id = 'fb-6'`,
    );
    expect(row!.prompt_version).toBe(0);
  });

  it('scores without an id: the response id is part of the content id, so two responses are two scores', async () => {
    await insertTraces(client, [generation('p1', '7', 'chatcmpl-x'), generation('p1', '7', 'chatcmpl-y')], {
      database: DB,
      dedupToken: 't-6',
    });
    const same = { at: T0 + 300_000 };
    await insertLogs(client, [score('p1', 'chatcmpl-x', 1, same), score('p1', 'chatcmpl-y', 1, same)], {
      database: DB,
      dedupToken: 'l-8',
    });
    // Re-sent without ids in a new batch: the content ids repeat, so nothing more counts.
    await insertLogs(client, [score('p1', 'chatcmpl-x', 1, same)], { database: DB, dedupToken: 'l-9' });
    expect(await helpful(7)).toEqual({ count: 2, mean: 1 });
  });
});

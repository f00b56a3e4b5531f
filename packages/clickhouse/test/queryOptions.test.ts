import { afterAll, describe, expect, it } from 'vitest';
import {
  generationDetail,
  labelHistory,
  listGenerations,
  metricsByVersion,
  promptDimensions,
  promptOverview,
  QueryOptionsError,
  scoresByVersion,
  scoreTimeSeriesByVersion,
  timeSeriesByVersion,
  trafficShareByLabel,
} from '../src/index.js';
import { tempEngine } from '../../../test/kit/engine.js';

// Options are checked before anything is sent: the engine is never asked (and never loaded).
const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

const from = new Date('2026-11-20T00:00:00Z');
const to = new Date('2026-11-21T00:00:00Z');

async function rejection(run: () => Promise<unknown>): Promise<QueryOptionsError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QueryOptionsError);
  return err as QueryOptionsError;
}

describe('invalid query options are a QueryOptionsError naming the option', () => {
  it.each([
    [
      'no prompt',
      () => metricsByVersion(client, { promptName: '', from, to }),
      'query: promptName is required',
    ],
    [
      'an empty window',
      () => trafficShareByLabel(client, { promptName: 'p', from: to, to: from }),
      'query window: to must be after from (from < to)',
    ],
    [
      'an invalid date',
      () => scoresByVersion(client, { promptName: 'p', from: new Date('nope'), to }),
      'query window: from and to must be valid Dates',
    ],
    [
      'a short interval',
      () => timeSeriesByVersion(client, { promptName: 'p', from, to, intervalSeconds: 59 }),
      'timeSeriesByVersion: intervalSeconds must be an integer from 60 to 31622400 (got 59)',
    ],
    [
      'a negative edge bound',
      () => metricsByVersion(client, { promptName: 'p', from, to, rawEdgeMaxRows: -1, includeScores: false }),
      'query: rawEdgeMaxRows must be an integer ≥ 0',
    ],
    [
      'a database that is not an identifier',
      () => labelHistory(client, { promptName: 'p', database: 'a.b' }),
      'database "a.b" must match ^[A-Za-z_][A-Za-z0-9_]*$',
    ],
    [
      'an overview of an empty window',
      () => promptOverview(client, { from: to, to: from }),
      'query window: to must be after from (from < to)',
    ],
    [
      'an overview bucket of part of an hour',
      () => promptOverview(client, { from, to, sparklineIntervalSeconds: 1800 }),
      'promptOverview: sparklineIntervalSeconds must be a whole number of hours',
    ],
    [
      'dimensions of an invalid window',
      () => promptDimensions(client, { from: new Date('nope'), to }),
      'query window: from and to must be valid Dates',
    ],
    [
      'a short score series interval',
      () => scoreTimeSeriesByVersion(client, { promptName: 'p', from, to, intervalSeconds: 30 }),
      'scoreTimeSeriesByVersion: intervalSeconds must be an integer ≥ 60',
    ],
    [
      'generations without a prompt',
      () => listGenerations(client, { promptName: '', version: 1, from, to }),
      'query: promptName is required',
    ],
    [
      'a generations cursor that is not one',
      () => listGenerations(client, { promptName: 'p', version: 1, from, to, cursor: 'not-a-cursor' }),
      'generations: cursor is invalid (use the "next" value of the previous page)',
    ],
    [
      'a generations page size out of bounds',
      () => listGenerations(client, { promptName: 'p', version: 1, from, to, limit: 500 }),
      'generations: limit must be an integer in 1…200',
    ],
    [
      'a generation id that is not hex',
      () => generationDetail(client, { traceId: 'XYZ', spanId: 'abc' }),
      'generation: trace and span ids must be lowercase hex',
    ],
    [
      'an overview in a database that is not an identifier',
      () => promptOverview(client, { database: 'a.b', from, to }),
      'database "a.b" must match ^[A-Za-z_][A-Za-z0-9_]*$',
    ],
  ])('%s', async (_what, run, message) => {
    expect((await rejection(run)).message).toBe(message);
  });
});

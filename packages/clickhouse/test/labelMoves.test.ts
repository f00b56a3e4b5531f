import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { detectRegressions, insertTraces, migrate } from '../src/index.js';
import type { TraceRow } from '../src/index.js';
import { lastingRuns, SPAN_BLIP_MS } from '../src/compare/detectRegressions.js';
import { tempEngine } from '../../../test/kit/engine.js';
import { hexId, traceRow } from '../../../test/kit/rows.js';

/**
 * Label moves at their true time: from the registry's label log when it has the label (the exact
 * time and who moved it), else from spans at second resolution, with the stragglers around a move
 * (old-version calls from cached prompts, a first client on the new version) not read as moves.
 */

describe('lastingRuns: short runs around a move are not moves', () => {
  const r = (version: number, s: number): { version: number; start: number } => ({
    version,
    start: s * 1000,
  });
  const versions = (runs: Array<{ version: number; start: number }>): Array<[number, number]> =>
    lastingRuns(runs).map((x) => [x.version, x.start / 1000]);

  it('a straggler of the old version after the move: one move, at the first new-version run', () => {
    expect(versions([r(1, 0), r(2, 600), r(1, 603), r(2, 610)])).toEqual([
      [1, 0],
      [2, 600],
    ]);
  });

  it('a first client on the new version before the move: the move starts there', () => {
    expect(versions([r(1, 0), r(2, 575), r(1, 580), r(2, 600), r(1, 603), r(2, 610)])).toEqual([
      [1, 0],
      [2, 575],
    ]);
  });

  it('a short run of another version that does not last is no move; a lasting one is', () => {
    expect(versions([r(1, 0), r(2, 600), r(1, 630)])).toEqual([[1, 0]]);
    expect(versions([r(1, 0), r(2, 600), r(3, 630), r(3, 700)])).toEqual([
      [1, 0],
      [3, 630],
    ]);
    // The threshold: a run of exactly SPAN_BLIP_MS lasts.
    const at = SPAN_BLIP_MS / 1000;
    expect(versions([r(1, 0), r(2, 600), r(1, 600 + at)])).toEqual([
      [1, 0],
      [2, 600],
      [1, 600 + at],
    ]);
    // The last run always counts: a move seconds ago is a move.
    expect(versions([r(1, 0), r(2, 600)])).toEqual([
      [1, 0],
      [2, 600],
    ]);
    expect(lastingRuns([])).toEqual([]);
  });
});

const engine = tempEngine();
const { client } = engine;
const DB = 'moves';
const PROJECT = 'proj-moves';
/** The move: 10:15:30.250, inside one minute with old and new traffic on both sides of it. */
const T = Date.UTC(2026, 10, 16, 10, 15, 30, 250);
const TO = T + 40 * 60_000;

interface Call {
  prompt: string;
  version: number;
  ms: number;
  environment: string;
}
const calls: Call[] = [];
for (const prompt of ['reg', 'spn']) {
  for (let k = 0; k < 240; k++) {
    calls.push({
      prompt,
      version: 1,
      ms: T - 40 * 60_000 + k * 10_000,
      environment: k % 4 === 0 ? 'eu' : 'us',
    });
    calls.push({ prompt, version: 2, ms: T + 400 + k * 10_000, environment: k % 4 === 0 ? 'eu' : 'us' });
  }
  // Clients whose cached prompt is still version 1, a few seconds after the move.
  calls.push({ prompt, version: 1, ms: T + 3_000, environment: 'us' });
  calls.push({ prompt, version: 1, ms: T + 13_000, environment: 'us' });
}

function span(c: Call, i: number): TraceRow {
  return traceRow({
    Timestamp: new Date(c.ms).toISOString(),
    TraceId: hexId(1000 + i, 32),
    SpanId: hexId(1000 + i, 16),
    Duration: (c.version === 1 ? 200 : 260) * 1_000_000 + (i % 17) * 1_000_000,
    SpanAttributes: {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.PROMPT_NAME]: c.prompt,
      [PROMPTLINE.PROMPT_VERSION]: String(c.version),
      [PROMPTLINE.PROMPT_LABEL]: 'production',
    },
    ResourceAttributes: {
      [RESOURCE.PROJECT_ID]: PROJECT,
      [RESOURCE.DEPLOYMENT_ENVIRONMENT]: c.environment,
    },
  });
}

const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

beforeAll(async () => {
  await migrate(client, { database: DB });
  await insertTraces(client, calls.map(span), { database: DB, dedupToken: 'calls' });
  // The registry knows `reg` only: production → 1 two hours before, set to 1 again (not a move),
  // then → 2 at T. `spn` has no registry events: its moves come from spans.
  await client.insert({
    table: `${DB}.prompt_label_events`,
    format: 'JSONEachRow',
    values: [
      [T - 2 * 3_600_000, 1, 'alice', 'e1'],
      [T - 3_600_000, 1, 'alice', 'e2'],
      [T, 2, 'release-bot', 'e3'],
      [T - 5 * 3_600_000, 7, 'bob', 'e0'],
    ].map(([at, version, actor, id], i) => ({
      project_id: PROJECT,
      name: 'reg',
      label: i === 3 ? 'staging' : 'production',
      version,
      actor,
      moved_at: chTime(at as number),
      event_id: id,
    })),
  });
}, 120_000);
afterAll(() => engine.close());

const base = {
  database: DB,
  projectId: PROJECT,
  label: 'production',
  from: new Date(T - 3_600_000),
  to: new Date(TO),
};
const inWindow = (prompt: string, version: number, from: string, to: string, env?: string): number =>
  calls.filter(
    (c) =>
      c.prompt === prompt &&
      c.version === version &&
      c.ms >= Date.parse(from) &&
      c.ms < Date.parse(to) &&
      (env === undefined || c.environment === env),
  ).length;

describe('detectRegressions: label moves at their true time', () => {
  it('a move inside one minute is found at the registry time, with its actor', async () => {
    const report = await detectRegressions(client, { ...base, promptName: 'reg' });
    expect(report.moveSource).toBe('registry');
    expect(report.movesFound).toBe(1);
    const [move] = report.moves;
    expect(move).toMatchObject({
      at: new Date(T).toISOString(),
      source: 'registry',
      actor: 'release-bot',
      fromVersion: 1,
      toVersion: 2,
      environment: '',
    });
    // Equal windows, bounded by `to` (40 min after the move; the previous move was 2 h before).
    expect(move!.before).toEqual({
      from: new Date(T - 40 * 60_000).toISOString(),
      to: new Date(T).toISOString(),
      generations: inWindow('reg', 1, new Date(T - 40 * 60_000).toISOString(), new Date(T).toISOString()),
    });
    expect(move!.after.generations).toBe(inWindow('reg', 2, move!.after.from, move!.after.to));
    expect(move!.before.generations).toBe(240);
    expect(move!.after.generations).toBe(240);
    // Version 2 is slower (260 vs 200 ms): a latency regression at the move.
    expect(move!.regressions).toContain('latency_ms');
  });

  it('registry moves compare one environment when asked', async () => {
    const report = await detectRegressions(client, { ...base, promptName: 'reg', environment: 'eu' });
    const [move] = report.moves;
    expect(move?.environment).toBe('eu');
    expect(move!.before.generations).toBe(inWindow('reg', 1, move!.before.from, move!.before.to, 'eu'));
    expect(move!.before.generations).toBe(60);
  });

  it('without registry events, from spans at second resolution: the first new-version call, stragglers ignored', async () => {
    const report = await detectRegressions(client, { ...base, promptName: 'spn' });
    expect(report.moveSource).toBe('spans');
    // Per environment: `us` and `eu` each see the move at their own first version-2 call.
    const firstV2 = (env: string): number =>
      Math.min(
        ...calls
          .filter((c) => c.prompt === 'spn' && c.version === 2 && c.environment === env)
          .map((c) => c.ms),
      );
    expect(
      report.moves.map((m) => [m.environment, m.at, m.fromVersion, m.toVersion, m.source, m.actor]),
    ).toEqual(
      [
        ['eu', new Date(firstV2('eu')).toISOString(), 1, 2, 'spans', null],
        ['us', new Date(firstV2('us')).toISOString(), 1, 2, 'spans', null],
      ].sort((a, b) => Date.parse(a[1] as string) - Date.parse(b[1] as string)),
    );
    for (const m of report.moves) {
      expect(m.before.generations).toBe(inWindow('spn', 1, m.before.from, m.before.to, m.environment));
      expect(m.after.generations).toBe(inWindow('spn', 2, m.after.from, m.after.to, m.environment));
    }
  });

  it('the registry time is exact where spans can only see the first call', async () => {
    const registry = await detectRegressions(client, { ...base, promptName: 'reg', environment: 'us' });
    const spans = await detectRegressions(client, { ...base, promptName: 'spn', environment: 'us' });
    expect(Date.parse(registry.moves[0]!.at)).toBe(T);
    expect(Date.parse(spans.moves[0]!.at)).toBe(T + 400 + 10_000); // the first `us` call of version 2
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  distributionsByVersion,
  generationDetail,
  insertLogs,
  insertTraces,
  labelHistory,
  listGenerations,
  metricsByVersion,
  migrate,
  promptDimensions,
  promptOverview,
  promptPage,
  scoresByVersion,
  scoreTimeSeriesByVersion,
  timeSeriesByVersion,
  trafficShareByLabel,
} from '../src/index.js';
import type { GenerationRow } from '../src/index.js';
import { PROMPTLINE } from '@promptline/semconv';
import { tempEngine } from '../../../test/kit/engine.js';
import { binPoints } from '../src/read/distributions.js';
import { scorePresence } from '../src/read/lateScores.js';
import { buildScenario } from './versionScenario.js';

/**
 * The queries behind the console (overview, score time series, distributions, generations) on the
 * real embedded engine, checked against the scenario's own values. The window starts and ends off
 * the hour, so every query also reads raw edges.
 */

const engine = tempEngine();
const { client } = engine;
const DB = 'cons';
const PROJECT = 'proj-console';
const START = Date.UTC(2026, 10, 10, 0, 17, 0);
const PHASE = 2 * 3_600_000;
const PER_VERSION = 120;
const main = buildScenario({
  start: START,
  phaseMs: PHASE,
  perVersion: PER_VERSION,
  project: PROJECT,
  prompt: 'summarize',
  environment: 'prod',
  seed: 3,
  idBase: 1000,
});
const other = buildScenario({
  start: START,
  phaseMs: PHASE,
  perVersion: 20,
  project: PROJECT,
  prompt: 'classify',
  environment: 'staging',
  seed: 4,
  idBase: 9000,
});
const foreign = buildScenario({
  start: START,
  phaseMs: PHASE,
  perVersion: 30,
  project: 'someone-else',
  prompt: 'summarize',
  environment: 'prod',
  seed: 5,
  idBase: 20000,
});
const FROM = new Date(START - 13 * 60_000);
const TO = new Date(START + 3 * PHASE + 7 * 60_000);
const window = { database: DB, projectId: PROJECT, from: FROM, to: TO };

// One captured input/output on the first span of version 3.
const captured = main.spans.find((s) => s.SpanAttributes[PROMPTLINE.PROMPT_VERSION] === '3')!;
captured.SpanAttributes[PROMPTLINE.INPUT] = 'Summarize: the parcel is late.';
captured.SpanAttributes[PROMPTLINE.OUTPUT] = 'A late parcel.';

/** The exact order statistic of rank ⌊q·(n−1)⌋. */
function orderStat(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))]!;
}

beforeAll(async () => {
  await migrate(client, { database: DB });
  await insertLogs(client, main.earlyScores, { database: DB, dedupToken: 'early' });
  const spans = [...main.spans, ...other.spans, ...foreign.spans];
  for (let i = 0; i < spans.length; i += 400)
    await insertTraces(client, spans.slice(i, i + 400), { database: DB, dedupToken: `t-${i}` });
  await insertLogs(client, [...main.lateScores, ...foreign.lateScores], { database: DB, dedupToken: 'late' });
}, 120_000);
afterAll(() => engine.close());

describe('promptOverview', () => {
  it('sums every version of each prompt of the project, with an exact p95 and a sparkline', async () => {
    const rows = await promptOverview(client, window);
    expect(rows.map((r) => r.name)).toEqual(['summarize', 'classify']);
    const s = rows[0]!;
    expect(s.requests).toBe(main.gens.length);
    expect(s.errors).toBe(main.gens.filter((g) => g.error).length);
    expect(s.errorRate).toBeCloseTo(s.errors / s.requests, 12);
    const exact = orderStat(
      main.gens.map((g) => g.latencyMs),
      0.95,
    );
    expect(Math.abs(s.latencyP95Ms - exact) / exact).toBeLessThan(0.005);
    // The sparkline covers the window hour by hour and adds up to the total.
    expect(s.sparkline.length).toBe(
      Math.ceil((TO.getTime() - Math.floor(FROM.getTime() / 3_600_000) * 3_600_000) / 3_600_000),
    );
    expect(s.sparkline.reduce((a, p) => a + p.requests, 0)).toBe(s.requests);
    const firstHour = main.gens.filter((g) => g.ms < Date.UTC(2026, 10, 10, 1)).length;
    expect(s.sparkline[0]!.requests).toBe(firstHour);
    // The same total as the per-version figures.
    const perVersion = await metricsByVersion(client, {
      ...window,
      promptName: 'summarize',
      includeScores: false,
    });
    expect(perVersion.reduce((a, v) => a + v.requests, 0)).toBe(s.requests);
    expect(perVersion.reduce((a, v) => a + v.totalCostUsd, 0)).toBeCloseTo(s.totalCostUsd, 9);
  });

  it('names the version of each prompt’s last call, and of each label’s, as sent', async () => {
    const lastOf = (gens: typeof main.gens, to = TO.getTime()): number =>
      gens.filter((g) => g.ms >= FROM.getTime() && g.ms < to).sort((a, b) => b.ms - a.ms)[0]!.version;
    const rows = await promptOverview(client, window);
    for (const [name, gens] of [
      ['summarize', main.gens],
      ['classify', other.gens],
    ] as const) {
      const v = lastOf(gens);
      const row = rows.find((r) => r.name === name)!;
      expect(row.lastVersion).toEqual({ version: v, versionName: String(v) });
      expect(row.labelsSeen).toEqual({ production: { version: v, versionName: String(v) } });
    }
    // A window ending in the middle phase: its last call was served by version 3.
    const mid = new Date(START + PHASE + PHASE / 2);
    const early = await promptOverview(client, { ...window, to: mid });
    expect(lastOf(main.gens, mid.getTime())).toBe(3);
    expect(early.find((r) => r.name === 'summarize')!.lastVersion?.version).toBe(3);
  });

  it('filters by environment and never reads another project', async () => {
    const rows = await promptOverview(client, { ...window, environment: 'staging' });
    expect(rows.map((r) => [r.name, r.requests])).toEqual([['classify', other.gens.length]]);
    const foreignRows = await promptOverview(client, { ...window, projectId: 'someone-else' });
    expect(foreignRows.map((r) => [r.name, r.requests])).toEqual([['summarize', foreign.gens.length]]);
  });

  it('lists the dimensions seen', async () => {
    const d = await promptDimensions(client, { ...window, promptName: 'summarize' });
    expect(d).toEqual({
      prompts: ['summarize'],
      environments: ['prod'],
      labels: ['production'],
      models: ['gpt-4o-mini'],
      versions: [2, 3, 4],
    });
    expect((await promptDimensions(client, window)).environments).toEqual(['prod', 'staging']);
  });
});

describe('scoreTimeSeriesByVersion', () => {
  it('gives each bucket the mean of the scores of its generations (early and late scores alike)', async () => {
    const points = await scoreTimeSeriesByVersion(client, {
      ...window,
      promptName: 'summarize',
      intervalSeconds: 3600,
    });
    const expected = new Map<string, { count: number; sum: number }>();
    for (const g of main.gens) {
      if (g.quality === null) continue;
      const bucket = new Date(Math.floor(g.ms / 3_600_000) * 3_600_000).toISOString();
      const key = `${bucket} v${g.version}`;
      const e = expected.get(key) ?? { count: 0, sum: 0 };
      e.count++;
      e.sum += g.quality;
      expected.set(key, e);
    }
    expect(points.every((p) => p.name === 'quality')).toBe(true);
    expect(points.length).toBe(expected.size);
    for (const p of points) {
      const e = expected.get(`${p.bucket} v${p.version}`);
      expect(e, `${p.bucket} v${p.version}`).toBeDefined();
      expect(p.count).toBe(e!.count);
      expect(p.mean).toBeCloseTo(e!.sum / e!.count, 9);
    }
  });
});

describe('scorePresence', () => {
  it('says which scores a read may find, and the reads it lets skip would have found nothing', async () => {
    const HOUR = 3_600_000;
    // A score's row time is its generation's + 1 s; early scores are stored unresolved.
    const genMs = (s: { Timestamp: string }): number => Date.parse(s.Timestamp) - 1000;
    const edge = genMs(main.lateScores[40]!);
    const windows: Array<[number, number]> = [
      [FROM.getTime(), TO.getTime()],
      [START - 5 * HOUR, START - HOUR], // before any data
      [TO.getTime() + HOUR, TO.getTime() + 3 * HOUR], // after every score
      [START + PHASE + 11 * 60_000, START + PHASE + 73 * 60_000], // off the hour, mid-data
      [edge, edge + 1], // one generation's instant: its score's row time is outside
      [edge + 1, edge + 1001], // just after it, up to its score's row time
      [Math.max(...main.earlyScores.map((x) => Date.parse(x.Timestamp))) + 1, TO.getTime()], // after the last early score
    ];
    const scenarios = [
      { project: PROJECT, prompt: 'summarize', early: main.earlyScores, late: main.lateScores },
      { project: PROJECT, prompt: 'classify', early: main.earlyScores, late: [] },
      { project: 'someone-else', prompt: 'summarize', early: [], late: foreign.lateScores },
      { project: 'someone-else', prompt: 'classify', early: [], late: [] },
    ];
    let skipped = 0;
    let found = 0;
    for (const [from, to] of windows)
      for (const sc of scenarios) {
        const presence = await scorePresence(client, DB, {
          project: sc.project,
          prompt: sc.prompt,
          from: new Date(from),
          to: new Date(to),
        });
        expect(presence, `${sc.project}/${sc.prompt} ${from}…${to}`).toEqual({
          late: sc.early.some((x) => Date.parse(x.Timestamp) >= from),
          resolved: sc.late.some((x) => genMs(x) >= from && genMs(x) < to),
        });
        const q = {
          database: DB,
          projectId: sc.project,
          promptName: sc.prompt,
          from: new Date(from),
          to: new Date(to),
        };
        const all = { presence: { late: true, resolved: true } };
        const full = await scoresByVersion(client, q, all);
        expect(await scoresByVersion(client, q)).toEqual(full);
        // The distributions' score read asks the same: it finds a score exactly when the full read does.
        const dist = await distributionsByVersion(client, { ...q, versions: [2, 3, 4] });
        expect(Object.keys(dist.scores).length > 0, `${sc.project}/${sc.prompt} ${from}…${to}`).toBe(
          full.size > 0,
        );
        const series = { ...q, intervalSeconds: 3600 };
        const fullSeries = await scoreTimeSeriesByVersion(client, series, all);
        expect(await scoreTimeSeriesByVersion(client, series)).toEqual(fullSeries);
        if (!presence.late && !presence.resolved) skipped++;
        if (full.size > 0) found++;
      }
    // Both kinds occur: reads left out, and reads that find scores.
    expect(skipped).toBeGreaterThan(4);
    expect(found).toBeGreaterThan(2);
  });
});

describe('promptPage', () => {
  // Whole hours from aggregates with raw edges folded in JS; a 30-minute bucket (the series reads
  // generations for all of it, the table still whole hours); a window inside one hour (all raw);
  // and a label filter.
  const cases = [
    { name: 'off-hour window, hourly buckets', from: FROM, to: TO, intervalSeconds: 3600 },
    { name: 'off-hour window, 30-minute buckets', from: FROM, to: TO, intervalSeconds: 1800 },
    {
      name: 'inside one hour',
      from: new Date(START + PHASE + 5 * 60_000),
      to: new Date(START + PHASE + 41 * 60_000),
      intervalSeconds: 300,
    },
    { name: 'label filter', from: FROM, to: TO, intervalSeconds: 3600, label: 'production' },
  ];
  for (const c of cases) {
    it(`answers each part as its own query does: ${c.name}`, async () => {
      const { name: _, ...w } = c;
      const q = { ...window, ...w, promptName: 'summarize' };
      const page = await promptPage(client, q);
      expect(page.versions).toEqual(await metricsByVersion(client, q));
      expect(page.labels).toEqual(await trafficShareByLabel(client, q));
      expect(page.points).toEqual(await timeSeriesByVersion(client, q));
      expect(page.scorePoints).toEqual(await scoreTimeSeriesByVersion(client, q));
      expect(page.labelHistory).toEqual(await labelHistory(client, q));
      // And the request counts are the scenario's.
      const inWindow = main.gens.filter((g) => g.ms >= q.from.getTime() && g.ms < q.to.getTime());
      expect(page.versions.reduce((a, v) => a + v.requests, 0)).toBe(
        c.label === undefined ? inWindow.length : page.labels.reduce((a, l) => a + l.requests, 0),
      );
      expect(page.versions.length).toBeGreaterThan(0);
    });
  }
});

describe('distributionsByVersion', () => {
  it('bins latency and scores of two versions on shared bins with exact counts', async () => {
    const d = await distributionsByVersion(client, {
      ...window,
      promptName: 'summarize',
      versions: [2, 3],
      bins: 20,
    });
    expect(d.latencyMs.bins.length).toBe(20);
    expect(d.latencyMs.scale).toBe('linear');
    for (const v of [2, 3]) {
      const gens = main.gens.filter((g) => g.version === v);
      expect(d.latencyMs.n[String(v)]).toBe(gens.length);
      expect(d.latencyMs.counts[String(v)]!.reduce((a, c) => a + c, 0)).toBe(gens.length);
      expect(d.ttftMs.n[String(v)]).toBe(gens.filter((g) => g.ttftMs !== null).length);
      const scored = gens.filter((g) => g.quality !== null);
      const q = d.scores.quality!;
      expect(q.n[String(v)]).toBe(scored.length);
      // Bins are ordered and the extreme values fall inside them.
      const min = Math.min(...scored.map((g) => g.quality!));
      expect(q.bins[0]![0]).toBeLessThanOrEqual(min);
    }
    const edges = d.latencyMs.bins.flat();
    expect([...edges].sort((a, b) => a - b)).toEqual(edges);
  });
});

describe('binPoints', () => {
  it('gives a score one bin per value, and a measured quantity bins over its range', () => {
    const points = new Map([
      [
        1,
        [
          [100, 3],
          [101, 2],
        ] as Array<[number, number]>,
      ],
      [2, [[900, 1]] as Array<[number, number]>],
    ]);
    const score = binPoints(points, 20);
    expect(score.bins).toEqual([
      [100, 100],
      [101, 101],
      [900, 900],
    ]);
    expect(score.counts).toEqual({ 1: [3, 2, 0], 2: [0, 0, 1] });
    // Latency: 100 and 101 share the first of 20 equal bins, 900 is in the last.
    const latency = binPoints(points, 20, false);
    expect(latency.bins.length).toBe(20);
    expect(latency.scale).toBe('linear');
    expect(latency.bins[0]![0]).toBe(100);
    expect(latency.bins[19]![1]).toBe(900);
    expect(latency.counts['1']![0]).toBe(5);
    expect(latency.counts['2']![19]).toBe(1);
    expect(latency.counts['1']!.reduce((a, c) => a + c, 0)).toBe(5);
    // One value: one bin, whatever the kind.
    expect(binPoints(new Map([[1, [[250, 4]] as Array<[number, number]>]]), 20, false).bins).toEqual([
      [250, 250],
    ]);
  });
});

describe('listGenerations / generationDetail', () => {
  it('pages a version newest first without gaps or repeats, scores attached', async () => {
    const seen: GenerationRow[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await listGenerations(client, {
        ...window,
        promptName: 'summarize',
        version: 3,
        limit: 50,
        ...(cursor === undefined ? {} : { cursor }),
      });
      seen.push(...page.rows);
      if (page.next === null) break;
      cursor = page.next;
    }
    const gens = main.gens.filter((g) => g.version === 3);
    expect(seen.length).toBe(gens.length);
    expect(new Set(seen.map((r) => r.spanId)).size).toBe(gens.length);
    const times = seen.map((r) => r.time);
    expect([...times].sort().reverse()).toEqual(times);
    expect(seen.filter((r) => r.status === 'error').length).toBe(gens.filter((g) => g.error).length);
    const scored = seen.filter((r) => r.scores.some((s) => s.name === 'quality'));
    expect(scored.length).toBe(gens.filter((g) => g.quality !== null).length);
  });

  it('filters by status and by score range', async () => {
    const errors = await listGenerations(client, {
      ...window,
      promptName: 'summarize',
      version: 2,
      status: 'error',
      limit: 200,
    });
    expect(errors.rows.length).toBe(main.gens.filter((g) => g.version === 2 && g.error).length);
    expect(errors.rows.every((r) => r.status === 'error')).toBe(true);
    const low = await listGenerations(client, {
      ...window,
      promptName: 'summarize',
      version: 2,
      score: 'quality',
      scoreMax: 0.7,
      limit: 200,
    });
    const expected = main.gens.filter((g) => g.version === 2 && g.quality !== null && g.quality <= 0.7);
    expect(low.rows.length).toBe(expected.length);
    expect(low.rows.every((r) => (r.scores.find((s) => s.name === 'quality')?.value ?? 1) <= 0.7)).toBe(true);
  });

  it('shows one generation with its captured input and output, only to its project', async () => {
    const d = await generationDetail(client, {
      database: DB,
      projectId: PROJECT,
      traceId: captured.TraceId,
      spanId: captured.SpanId,
    });
    expect(d).not.toBeNull();
    expect(d!.version).toBe(3);
    expect(d!.input).toBe('Summarize: the parcel is late.');
    expect(d!.output).toBe('A late parcel.');
    expect(d!.promptName).toBe('summarize');
    expect(
      await generationDetail(client, {
        database: DB,
        projectId: 'someone-else',
        traceId: captured.TraceId,
        spanId: captured.SpanId,
      }),
    ).toBeNull();
    await expect(
      generationDetail(client, { database: DB, projectId: PROJECT, traceId: "x' OR 1", spanId: 'ab' }),
    ).rejects.toThrow(/hex/);
  });
});

/**
 * Prompt versions as the GenAI conventions send them (migrations 0015, 0016): the standard
 * `gen_ai.prompt.version` (a string) is read, `promptline.prompt.version` wins over it; whole numbers
 * are stored as themselves, any other text as a named version under a stable id with its text kept;
 * a prompt without a version but with a hash or template gets an implicit `#xxxxxxxx` version; every
 * generation not linked says why. The query layer's twin of the view's parsing (parseVersionText,
 * xxHash32) agrees with the engine, and named versions flow through metrics, time series, label
 * share and history, comparisons (by name as typed) and regressions.
 */
import { GEN_AI, OPENINFERENCE, PROMPTLINE, RESOURCE, TRACELOOP } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareVersions,
  detectRegressions,
  insertTraces,
  labelHistory,
  metricsBreakdown,
  metricsByVersion,
  migrate,
  timeSeriesByVersion,
  trafficShareByLabel,
  unlinkedGenerations,
} from '../src/index.js';
import type { TraceRow } from '../src/index.js';
import { namedVersionId, parseVersionText, xxHash32 } from '../src/schema/promptVersion.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { mulberry32 } from '../../../test/kit/random.js';
import { chTimestamp, hexId, traceRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
const DB = 'versions';
const PROJECT = 'p1';
afterAll(() => engine.close());
beforeAll(() => migrate(client, { database: DB }));

let n = 0;
function span(
  attrs: Record<string, string>,
  at = Date.UTC(2026, 10, 20, 12, 0, 0),
  latencyMs = 100,
): TraceRow {
  n++;
  return traceRow({
    TraceId: hexId(5000 + n, 32),
    SpanId: hexId(5000 + n, 16),
    Timestamp: chTimestamp(at),
    Duration: latencyMs * 1_000_000,
    ResourceAttributes: { 'service.name': 'svc', [RESOURCE.PROJECT_ID]: PROJECT },
    SpanAttributes: { [GEN_AI.OPERATION_NAME]: 'chat', ...attrs },
  });
}

async function stored(
  spanId: string,
): Promise<{ prompt_version: number; prompt_version_name: string; unlinked_reason: string }> {
  const [row] = await queryRows<{
    prompt_version: number;
    prompt_version_name: string;
    unlinked_reason: string;
  }>(
    client,
    `SELECT prompt_version, prompt_version_name, unlinked_reason FROM ${DB}.promptline_generations
     WHERE span_id = {s:String}`,
    { s: spanId },
  );
  return row!;
}

describe('version texts', () => {
  it('the engine and parseVersionText agree on every kind of version text', async () => {
    const texts = [
      '3',
      'v3',
      'V12',
      '03',
      ' 7 ',
      '\t8\n',
      '2147483647',
      '2147483648',
      '9999999999',
      '12345678901',
      '0',
      'v0',
      '0000000000',
      '00000000000',
      '2.1.0',
      '2.2.0-rc1',
      '2024-01-15',
      'release candidate',
      'a1b2c3d',
      'ü-version-ñ',
      '版本二',
      'x'.repeat(128),
      'x'.repeat(129),
      'é'.repeat(128),
      'bad\u0001text',
      'tab\tinside',
      '#a1b2c3d4',
    ];
    const spans = texts.map((t) => span({ [GEN_AI.PROMPT_NAME]: 'texts', [GEN_AI.PROMPT_VERSION]: t }));
    await insertTraces(client, spans, { database: DB, dedupToken: 'texts' });
    for (const [i, text] of texts.entries()) {
      const row = await stored(spans[i]!.SpanId);
      const js = parseVersionText(text);
      const expected =
        js.kind === 'integer' || js.kind === 'named'
          ? { prompt_version: js.id, prompt_version_name: js.name, unlinked_reason: '' }
          : {
              prompt_version: 0,
              prompt_version_name: '',
              unlinked_reason: js.kind === 'empty' ? 'no_version' : 'unparsable_version',
            };
      expect({ text, ...row }).toEqual({ text, ...expected });
    }
    expect(parseVersionText('v3')).toEqual({ kind: 'integer', id: 3, name: '3' });
    expect(parseVersionText('2.1.0')).toMatchObject({ kind: 'named', name: '2.1.0' });
    expect(parseVersionText('2147483648')).toMatchObject({ kind: 'named', name: '2147483648' });
  });

  it('xxHash32 is the engine’s, for any UTF-8 text', async () => {
    const rnd = mulberry32(179);
    const alphabet = ['a', 'Z', '0', '.', '-', ' ', 'é', 'ñ', '版', '😀', '#'];
    const texts = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: i % 70 }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''),
    );
    const rows = await queryRows<{ h: number }>(
      client,
      'SELECT xxHash32(arrayJoin({t:Array(String)})) AS h',
      {
        t: texts,
      },
    );
    expect(rows.map((r) => Number(r.h))).toEqual(texts.map((t) => xxHash32(new TextEncoder().encode(t))));
    expect(namedVersionId('2.1.0')).toBeGreaterThanOrEqual(2 ** 31);
  });

  it('promptline.prompt.version wins over gen_ai.prompt.version; each alone links', async () => {
    const both = span({
      [GEN_AI.PROMPT_NAME]: 'wins',
      [PROMPTLINE.PROMPT_VERSION]: '4',
      [GEN_AI.PROMPT_VERSION]: '2.0.0',
    });
    const standard = span({ [GEN_AI.PROMPT_NAME]: 'wins', [GEN_AI.PROMPT_VERSION]: '2.0.0' });
    const ours = span({ [GEN_AI.PROMPT_NAME]: 'wins', [PROMPTLINE.PROMPT_VERSION]: '5' });
    await insertTraces(client, [both, standard, ours], { database: DB, dedupToken: 'wins' });
    expect(await stored(both.SpanId)).toEqual({
      prompt_version: 4,
      prompt_version_name: '4',
      unlinked_reason: '',
    });
    expect(await stored(standard.SpanId)).toEqual({
      prompt_version: namedVersionId('2.0.0'),
      prompt_version_name: '2.0.0',
      unlinked_reason: '',
    });
    expect(await stored(ours.SpanId)).toMatchObject({ prompt_version: 5 });
  });

  it('a name with a hash or template but no version gets an implicit #version; otherwise it says why', async () => {
    const hashed = span({ [GEN_AI.PROMPT_NAME]: 'implicit', [PROMPTLINE.PROMPT_HASH]: '9f86d081884c7d65' });
    const openinference = span({
      [OPENINFERENCE.PROMPT_ID]: 'oi-prompt',
      [OPENINFERENCE.PROMPT_TEMPLATE]: 'Answer {{q}} briefly.',
    });
    const traceloop = span({
      [TRACELOOP.PROMPT_KEY]: 'tl-prompt',
      [TRACELOOP.PROMPT_TEMPLATE]: 'Hi {{name}}',
    });
    const bare = span({ [GEN_AI.PROMPT_NAME]: 'implicit' });
    const fallback = span({ [PROMPTLINE.PROMPT_FALLBACK]: 'true' });
    const unnamed = span({ [GEN_AI.PROMPT_VERSION]: '3' });
    await insertTraces(client, [hashed, openinference, traceloop, bare, fallback, unnamed], {
      database: DB,
      dedupToken: 'implicit',
    });
    expect(await stored(hashed.SpanId)).toEqual({
      prompt_version: namedVersionId('#9f86d081'),
      prompt_version_name: '#9f86d081',
      unlinked_reason: '',
    });
    const [hex] = await queryRows<{ h: string }>(
      client,
      "SELECT concat('#', substring(lower(hex(sipHash64('Answer {{q}} briefly.'))), 1, 8)) AS h",
    );
    expect(await stored(openinference.SpanId)).toMatchObject({ prompt_version_name: hex!.h });
    expect((await stored(traceloop.SpanId)).prompt_version_name).toMatch(/^#[0-9a-f]{8}$/);
    expect(await stored(bare.SpanId)).toMatchObject({ prompt_version: 0, unlinked_reason: 'no_version' });
    expect(await stored(fallback.SpanId)).toMatchObject({ prompt_version: 0, unlinked_reason: 'fallback' });
    expect(await stored(unnamed.SpanId)).toMatchObject({
      prompt_version: 0,
      unlinked_reason: 'no_prompt_name',
    });
  });
});

describe('named versions through the query layer', () => {
  const PROMPT = 'semver';
  const T0 = Date.UTC(2026, 10, 21, 0, 0, 0);
  const HOUR = 3_600_000;
  // 2.1.0 serves production for 10 h, then 2.2.0-rc1 (slower) takes over; v3 runs beside under staging.
  const rows: TraceRow[] = [];
  const rnd = mulberry32(2);
  for (let m = 0; m < 20 * 60; m += 5) {
    const at = T0 + m * 60_000 + 17_000;
    const after = m >= 10 * 60;
    rows.push(
      span(
        {
          [GEN_AI.PROMPT_NAME]: PROMPT,
          [GEN_AI.PROMPT_VERSION]: after ? '2.2.0-rc1' : '2.1.0',
          [PROMPTLINE.PROMPT_LABEL]: 'production',
        },
        at,
        (after ? 300 : 100) + Math.round(rnd() * 20),
      ),
    );
    if (m % 15 === 0)
      rows.push(
        span(
          {
            [GEN_AI.PROMPT_NAME]: PROMPT,
            [PROMPTLINE.PROMPT_VERSION]: '3',
            [PROMPTLINE.PROMPT_LABEL]: 'staging',
          },
          at,
        ),
      );
  }
  rows.push(span({ [GEN_AI.PROMPT_NAME]: PROMPT, [GEN_AI.PROMPT_VERSION]: '0' }, T0 + 30 * 60_000));
  rows.push(span({ [GEN_AI.PROMPT_NAME]: PROMPT, [GEN_AI.PROMPT_VERSION]: '0' }, T0 + 5 * HOUR + 60_000));
  const window = {
    database: DB,
    projectId: PROJECT,
    promptName: PROMPT,
    from: new Date(T0 + 20 * 60_000),
    to: new Date(T0 + 20 * HOUR),
  };
  const countOf = (version: string, from: number, to: number): number =>
    rows.filter((r) => {
      const t = Date.parse(r.Timestamp.replace(' ', 'T').slice(0, 23) + 'Z');
      const v = r.SpanAttributes[GEN_AI.PROMPT_VERSION] ?? r.SpanAttributes[PROMPTLINE.PROMPT_VERSION];
      return v === version && t >= from && t < to;
    }).length;

  beforeAll(() => insertTraces(client, rows, { database: DB, dedupToken: 'semver' }));

  it('metrics: one row per version, named versions by name, counts as sent', async () => {
    const got = await metricsByVersion(client, window);
    expect(got.map((r) => [r.versionName, r.requests])).toEqual([
      ['3', countOf('3', window.from.getTime(), window.to.getTime())],
      ['2.2.0-rc1', countOf('2.2.0-rc1', window.from.getTime(), window.to.getTime())],
      ['2.1.0', countOf('2.1.0', window.from.getTime(), window.to.getTime())],
    ]);
    expect(got[1]!.version).toBe(namedVersionId('2.2.0-rc1'));
  });

  it('breakdowns by a column and by a span attribute carry the names and count re-sent spans once', async () => {
    // Copies of the first 60 spans in another batch: otel_traces holds them twice, the figures once.
    await insertTraces(client, rows.slice(0, 60), { database: DB, dedupToken: 'semver-again' });
    const expected = [
      ['production', '2.1.0', countOf('2.1.0', window.from.getTime(), window.to.getTime())],
      ['production', '2.2.0-rc1', countOf('2.2.0-rc1', window.from.getTime(), window.to.getTime())],
      ['staging', '3', countOf('3', window.from.getTime(), window.to.getTime())],
    ];
    for (const by of ['label', PROMPTLINE.PROMPT_LABEL]) {
      const b = await metricsBreakdown(client, { ...window, by });
      const got = b.values
        .flatMap((v) => v.versions.map((x) => [v.value, x.versionName, x.requests]))
        .sort((x, y) => String(x[0]).localeCompare(String(y[0])) || String(x[1]).localeCompare(String(y[1])));
      expect(got, by).toEqual(expected);
    }
  });

  it('time series, label share and label history carry the names', async () => {
    const points = await timeSeriesByVersion(client, { ...window, intervalSeconds: 3600 });
    expect(new Set(points.map((p) => p.versionName))).toEqual(new Set(['3', '2.1.0', '2.2.0-rc1']));
    expect(points.reduce((a, p) => a + p.requests, 0)).toBe(
      ['3', '2.1.0', '2.2.0-rc1'].reduce(
        (a, v) => a + countOf(v, window.from.getTime(), window.to.getTime()),
        0,
      ),
    );
    const share = await trafficShareByLabel(client, window);
    expect(share.map((s) => `${s.label}:${s.versionName}`).sort()).toEqual([
      'production:2.1.0',
      'production:2.2.0-rc1',
      'staging:3',
    ]);
    const history = await labelHistory(client, { database: DB, projectId: PROJECT, promptName: PROMPT });
    expect(history.map((h) => `${h.label}:${h.versionName}`)).toEqual([
      'production:2.1.0',
      'production:2.2.0-rc1',
      'staging:3',
    ]);
  });

  it('compare takes versions as typed, and regressions name the move', async () => {
    const r = await compareVersions(client, { ...window, baseline: '2.1.0', candidate: ' 2.2.0-rc1 ' });
    expect([r.baselineName, r.candidateName]).toEqual(['2.1.0', '2.2.0-rc1']);
    expect(r.baselineGenerations).toBe(countOf('2.1.0', window.from.getTime(), window.to.getTime()));
    expect(r.candidateGenerations).toBe(countOf('2.2.0-rc1', window.from.getTime(), window.to.getTime()));
    expect(r.metrics.find((m) => m.metric === 'latency_ms')?.verdict).toBe('worse');
    const byId = await compareVersions(client, { ...window, baseline: r.baseline, candidate: 'v3' });
    expect([byId.baselineName, byId.candidateName, byId.candidate]).toEqual(['2.1.0', '3', 3]);
    const report = await detectRegressions(client, { ...window, label: 'production' });
    expect(
      report.moves.map((m) => [m.fromVersionName, m.toVersionName, m.regressions.includes('latency_ms')]),
    ).toEqual([['2.1.0', '2.2.0-rc1', true]]);
  });

  it('unlinked generations are counted per reason, over whole hours and edges', async () => {
    const got = await unlinkedGenerations(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      from: window.from,
      to: window.to,
    });
    expect(got).toEqual([
      expect.objectContaining({ reason: 'unparsable_version', promptName: PROMPT, generations: 2 }),
    ]);
    const edgeOnly = await unlinkedGenerations(client, {
      database: DB,
      projectId: PROJECT,
      promptName: PROMPT,
      from: new Date(T0 + 5 * HOUR + 30_000),
      to: new Date(T0 + 5 * HOUR + 90_000),
    });
    expect(edgeOnly.map((u) => u.generations)).toEqual([1]);
    const all = await unlinkedGenerations(client, {
      database: DB,
      projectId: PROJECT,
      from: new Date(Date.UTC(2026, 10, 19)),
      to: new Date(Date.UTC(2026, 10, 23)),
    });
    const byReason = Object.fromEntries(
      ['fallback', 'no_prompt_name', 'no_version', 'unparsable_version'].map((reason) => [
        reason,
        all.filter((u) => u.reason === reason).reduce((a, u) => a + u.generations, 0),
      ]),
    );
    const [truth] = await queryRows<Record<string, number>>(
      client,
      `SELECT toUInt32(countIf(unlinked_reason = 'fallback')) AS fallback,
        toUInt32(countIf(unlinked_reason = 'no_prompt_name')) AS no_prompt_name,
        toUInt32(countIf(unlinked_reason = 'no_version')) AS no_version,
        toUInt32(countIf(unlinked_reason = 'unparsable_version')) AS unparsable_version
       FROM ${DB}.promptline_generations WHERE project_id = '${PROJECT}' AND prompt_version = 0`,
    );
    expect(byReason).toEqual(truth);
  });
});

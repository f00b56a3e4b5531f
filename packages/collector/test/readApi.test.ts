import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { tempDir, testConfig } from '../../../test/kit/collector.js';
import { generationSpans, otlpProtobuf, postTraces } from '../../../test/support/generationSpans.js';
import type { GenerationSpec } from '../../../test/support/generationSpans.js';

const INGEST = generateApiKey();
const READ = generateApiKey();
const OTHER_READ = generateApiKey();
const OTHER_INGEST = generateApiKey();
const SQL = generateApiKey();

/**
 * A generation of the tests: a `gpt-4o-mini` call of version 1 under `production`, 100 input and 20
 * output tokens, unless `spec` says otherwise.
 */
const call = (
  spec: Pick<GenerationSpec, 'prompt' | 'startMs' | 'durationMs'> & Partial<GenerationSpec>,
): GenerationSpec => ({
  version: 1,
  label: 'production',
  model: 'gpt-4o-mini',
  inputTokens: 100,
  outputTokens: 20,
  costUsd: 0.0001,
  error: false,
  ...spec,
});

describe('read API: typed metrics over HTTP', () => {
  const tmp = tempDir('promptline-read-');
  let collector: RunningCollector;
  /** Sends the calls' spans (service `support`) in one OTLP request and waits until they are stored. */
  const send = async (calls: GenerationSpec[], key = INGEST): Promise<void> => {
    const res = await postTraces(collector.url, otlpProtobuf(generationSpans(calls, 'support')), key);
    expect(res.status).toBe(200);
    expect(await collector.flush(20_000)).toBe(true);
  };

  beforeAll(async () => {
    collector = await startCollector(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: [
              { sha256: hashApiKey(INGEST), project: 'acme', scopes: ['ingest'], name: 'app' },
              { sha256: hashApiKey(READ), project: 'acme', scopes: ['read'], name: 'dash' },
              { sha256: hashApiKey(OTHER_READ), project: 'globex', scopes: ['read'], name: 'other' },
              { sha256: hashApiKey(OTHER_INGEST), project: 'globex', scopes: ['ingest'], name: 'other-app' },
              { sha256: hashApiKey(SQL), project: 'acme', scopes: ['read', 'sql'], name: 'analyst' },
            ],
          },
        },
      }),
    );
    const now = Date.now();
    await send([
      // Version 1: 4 calls of 100 ms; version 2: 6 calls of 300 ms, one an error.
      ...Array.from({ length: 10 }, (_, i) =>
        call({
          prompt: 'support-answer',
          version: i < 4 ? 1 : 2,
          startMs: now - 60_000 + i * 1000,
          durationMs: i < 4 ? 100 : 300,
          error: i === 9,
        }),
      ),
      // Another prompt with a named version, sent as the GenAI standard attribute: 3 calls of 2.1.0
      // (under two labels), after 2 calls of version 1.
      ...Array.from({ length: 2 }, (_, i) =>
        call({ prompt: 'release-notes', startMs: now - 40_000 + i * 1000, durationMs: 100 }),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        call({
          prompt: 'release-notes',
          versionText: '2.1.0',
          label: i === 0 ? 'production' : 'canary',
          startMs: now - 30_000 + i * 1000,
          durationMs: 200,
        }),
      ),
    ]);
  });
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('serves per-version metrics of the key’s project', async () => {
    const res = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer&since=1h`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      project: string;
      versions: Array<{ version: number; requests: number; errors: number; latencyMs: { p50: number } }>;
    };
    expect(body.project).toBe('acme');
    const byVersion = new Map(body.versions.map((v) => [v.version, v]));
    expect(byVersion.get(1)?.requests).toBe(4);
    expect(byVersion.get(2)?.requests).toBe(6);
    expect(byVersion.get(2)?.errors).toBe(1);
    // Quantiles come from aggregate states: within 1% of the exact value.
    expect(Math.abs(byVersion.get(1)!.latencyMs.p50 - 100) / 100).toBeLessThan(0.01);
    expect(Math.abs(byVersion.get(2)!.latencyMs.p50 - 300) / 300).toBeLessThan(0.01);

    // Another project's key sees none of it.
    const other = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer&since=1h`, {
      headers: { authorization: `Bearer ${OTHER_READ}` },
    });
    expect(((await other.json()) as { versions: unknown[] }).versions).toEqual([]);
  });

  it('requires a key with the read scope', async () => {
    const none = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer`);
    expect(none.status).toBe(401);
    const ingestOnly = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer`, {
      headers: { authorization: `Bearer ${INGEST}` },
    });
    expect(ingestOnly.status).toBe(403);
    expect(((await ingestOnly.json()) as { error: string }).error).toMatch(/lacks the "read" scope/);
    const bad = await fetch(`${collector.url}/api/v1/metrics?since=1h`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(bad.status).toBe(400);
  });

  it('answers 400 naming the parameter for windows and intervals out of range', async () => {
    const get = async (query: string): Promise<{ status: number; error: string }> => {
      const res = await fetch(`${collector.url}${query}`, { headers: { authorization: `Bearer ${READ}` } });
      const body = (await res.json()) as { error?: string };
      return { status: res.status, error: body.error ?? '' };
    };
    // Issue 17: this window answered 500, the interval overflowed into buckets dated 2014.
    const years = await get('/api/v1/metrics?prompt=support-answer&from=0001-01-01&to=9999-12-31');
    expect(years.status).toBe(400);
    expect(years.error).toMatch(/^to: must be between 1900-01-01 and 2300-01-01/);
    const early = await get('/api/v1/metrics?prompt=support-answer&from=1800-01-01&to=2020-01-01');
    expect(early).toEqual({ status: 400, error: expect.stringMatching(/^from: must be between/) as string });
    const overflow = await get('/api/v1/timeseries?prompt=support-answer&since=1h&interval=10000000000');
    expect(overflow.status).toBe(400);
    expect(overflow.error).toMatch(/^interval: must be a whole number from 60 to 31622400/);
    const tooMany = await get('/api/v1/timeseries?prompt=support-answer&since=30d&interval=60');
    expect(tooMany.status).toBe(400);
    expect(tooMany.error).toMatch(/^interval: 60 s splits the window into 43200 buckets, at most 10000/);
    expect((await get('/api/v1/timeseries?prompt=support-answer&since=1h&interval=1.5')).status).toBe(400);
    const since = await get('/api/v1/metrics?prompt=support-answer&since=999999999w');
    expect(since).toEqual({
      status: 400,
      error: expect.stringMatching(/^since: reaches back before 1900/) as string,
    });
    expect((await get('/api/v1/metrics?prompt=support-answer&from=2026-02-01&to=2026-01-01')).error).toBe(
      'from must be before to',
    );
    const ok = await get('/api/v1/timeseries?prompt=support-answer&since=1h&interval=600');
    expect(ok.status).toBe(200);
  });

  it('compares two versions of the key’s project, and only of that project', async () => {
    const res = await fetch(
      `${collector.url}/api/v1/compare?prompt=support-answer&baseline=1&candidate=2&since=1h&min_samples=2`,
      { headers: { authorization: `Bearer ${READ}` } },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      project: string;
      baselineGenerations: number;
      candidateGenerations: number;
      metrics: Array<{ metric: string; baseline: { n: number } }>;
    };
    expect(body.project).toBe('acme');
    expect([body.baselineGenerations, body.candidateGenerations]).toEqual([4, 6]);
    expect(body.metrics.find((m) => m.metric === 'latency_ms')?.baseline.n).toBe(4);
    const other = await fetch(
      `${collector.url}/api/v1/compare?prompt=support-answer&baseline=1&candidate=2&since=1h`,
      { headers: { authorization: `Bearer ${OTHER_READ}` } },
    );
    const otherBody = (await other.json()) as { project: string; baselineGenerations: number };
    expect([otherBody.project, otherBody.baselineGenerations]).toEqual(['globex', 0]);
    const bad = await fetch(`${collector.url}/api/v1/compare?prompt=support-answer&baseline=0&candidate=2`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^compare: baseline "0" is not a version/,
    );
    const regressions = await fetch(
      `${collector.url}/api/v1/regressions?prompt=support-answer&label=production&since=1h&max_window=10m`,
      { headers: { authorization: `Bearer ${READ}` } },
    );
    expect(regressions.status).toBe(200);
    const report = (await regressions.json()) as { project: string; label: string; moves: unknown[] };
    expect([report.project, report.label]).toEqual(['acme', 'production']);
    const badWindow = await fetch(
      `${collector.url}/api/v1/regressions?prompt=support-answer&max_window=90d`,
      { headers: { authorization: `Bearer ${READ}` } },
    );
    expect(((await badWindow.json()) as { error: string }).error).toMatch(
      /^max_window: must be from 1m to 30d/,
    );
  });

  const get = async (
    path: string,
    key = READ,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${collector.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The console's window: explicit, to the minute, so answers may come from the read cache. */
  const minuteWindow = (): string => {
    const to = Math.ceil((Date.now() + 60_000) / 60_000) * 60_000;
    return `from=${new Date(to - 3_600_000).toISOString()}&to=${new Date(to).toISOString()}`;
  };

  it('lists generations and distributions of a version as sent or as stored; the prompt page names and orders versions as /metrics', async () => {
    type Generations = {
      version: number;
      versionName: string;
      rows: Array<{ traceId: string; spanId: string; version: number; versionName: string }>;
    };
    const byName = await get(`/api/v1/generations?prompt=release-notes&version=2.1.0&since=1h`);
    expect(byName.status).toBe(200);
    const named = byName.body as unknown as Generations;
    expect(named.versionName).toBe('2.1.0');
    expect(named.version).toBeGreaterThanOrEqual(2 ** 31);
    expect(named.rows.length).toBe(3);
    expect(new Set(named.rows.map((r) => `${r.version} ${r.versionName}`))).toEqual(
      new Set([`${named.version} 2.1.0`]),
    );
    // The stored id, as the readers list it, selects the same generations.
    const byId = (await get(`/api/v1/generations?prompt=release-notes&version=${named.version}&since=1h`))
      .body as unknown as Generations;
    expect([byId.versionName, byId.rows.map((r) => r.spanId)]).toEqual([
      '2.1.0',
      named.rows.map((r) => r.spanId),
    ]);
    const first = named.rows[0]!;
    const detail = await get(`/api/v1/generations/${first.traceId}/${first.spanId}`);
    expect([detail.status, detail.body.version, detail.body.versionName]).toEqual([
      200,
      named.version,
      '2.1.0',
    ]);
    // Whole-number versions as before, with `v` or without; their name is the number.
    const v2 = (await get(`/api/v1/generations?prompt=support-answer&version=v2&since=1h`))
      .body as unknown as Generations;
    expect([v2.version, v2.versionName, v2.rows.length]).toEqual([2, '2', 6]);
    const bad = await get(`/api/v1/generations?prompt=support-answer&version=0&since=1h`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^version "0" is not a version/);
    expect((await get(`/api/v1/generations?prompt=support-answer&since=1h`)).status).toBe(400);
    // The prompt page lists versions as /metrics does: same order, same names (2.1.0 over two labels).
    const page = (await get(`/api/v1/prompt-page?prompt=release-notes&${minuteWindow()}`)).body as {
      versions: Array<{ version: number; versionName: string; requests: number }>;
    };
    const metrics = (await get(`/api/v1/metrics?prompt=release-notes&${minuteWindow()}`)).body as {
      versions: Array<{ version: number; versionName: string; requests: number }>;
    };
    const names = (vs: typeof page.versions): string[] => vs.map((v) => `${v.versionName} ${v.requests}`);
    expect(names(page.versions)).toEqual(['1 2', '2.1.0 3']);
    expect(names(page.versions)).toEqual(names(metrics.versions));
    // Distributions take versions as sent too, keyed by stored number.
    const d = await get(`/api/v1/distributions?prompt=release-notes&versions=2.1.0&since=1h`);
    expect(d.status).toBe(200);
    expect(d.body.versions).toEqual([named.version]);
    expect((d.body.latencyMs as { n: Record<string, number> }).n).toEqual({ [named.version]: 3 });
  });

  it('answers the prompt page in one call, each part as its own endpoint answers', async () => {
    const w = `prompt=support-answer&${minuteWindow()}`;
    const page = await get(`/api/v1/prompt-page?${w}&interval=300`);
    expect(page.status).toBe(200);
    const metrics = await get(`/api/v1/metrics?${w}`);
    const share = await get(`/api/v1/labels/share?${w}`);
    const series = await get(`/api/v1/timeseries?${w}&interval=300`);
    const scores = await get(`/api/v1/scores/timeseries?${w}&interval=300`);
    const history = await get(`/api/v1/labels/history?${w}`);
    expect(page.body.project).toBe('acme');
    expect(page.body.versions).toEqual(metrics.body.versions);
    expect(page.body.labels).toEqual(share.body.labels);
    expect(page.body.points).toEqual(series.body.points);
    expect(page.body.scorePoints).toEqual(scores.body.points);
    expect(page.body.labelHistory).toEqual(history.body.history);
    // Never pushed to the registry: no moves (where /api/v1/prompts/NAME/history answers 404).
    expect(page.body.registryHistory).toEqual([]);
    expect((page.body.versions as Array<{ requests: number }>).map((v) => v.requests)).toEqual([6, 4]);
    // Another project's key sees none of it; no key, no answer; bad parameters name themselves.
    expect((await get(`/api/v1/prompt-page?${w}`, OTHER_READ)).body.versions).toEqual([]);
    expect((await fetch(`${collector.url}/api/v1/prompt-page?${w}`)).status).toBe(401);
    expect((await get(`/api/v1/prompt-page?${w}`, INGEST)).status).toBe(403);
    const bad = await get(`/api/v1/prompt-page?${w}&interval=1`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^interval:/);
    expect((await get(`/api/v1/prompt-page?${minuteWindow()}`)).status).toBe(400);
    // Bad input to the generations list and detail: 400 naming it, never 500.
    const cursor = await get(`/api/v1/generations?version=1&cursor=nope&${w}`);
    expect([cursor.status, cursor.body.error]).toEqual([
      400,
      'generations: cursor is invalid (use the "next" value of the previous page)',
    ]);
    const id = await get('/api/v1/generations/NOT-HEX/abc');
    expect([id.status, id.body.error]).toEqual([400, 'generation: trace and span ids must be lowercase hex']);
  });

  it('reuses a cached answer only until the next write to its project, or to its prompt', async () => {
    const sendRefunds = (count: number, key = INGEST): Promise<void> =>
      send(
        Array.from({ length: count }, () =>
          call({ prompt: 'refund-answer', startMs: Date.now() - 30_000, durationMs: 50 }),
        ),
        key,
      );
    const requests = async (path: string, key = READ): Promise<number> =>
      ((await get(path, key)).body.versions as Array<{ requests: number }>).reduce(
        (a, v) => a + v.requests,
        0,
      );
    await sendRefunds(2);
    const path = `/api/v1/prompt-page?prompt=refund-answer&${minuteWindow()}`;
    const before = collector.readCacheStats();
    expect(await requests(path)).toBe(2);
    expect(await requests(path)).toBe(2);
    const between = collector.readCacheStats();
    expect([between.misses - before.misses, between.hits - before.hits]).toEqual([1, 1]);
    // Another project's spans, same prompt and window: stored (its key reads them), and acme's
    // answer, whose data they cannot change, is still reused.
    await sendRefunds(4, OTHER_INGEST);
    expect(await requests(path, OTHER_READ)).toBe(4);
    const afterOther = collector.readCacheStats();
    expect(await requests(path)).toBe(2);
    expect(collector.readCacheStats().hits - afterOther.hits).toBe(1);
    expect(collector.readCacheStats().misses - afterOther.misses).toBe(0);
    // A write to acme: the same request (well within the cache's lifetime) reads again.
    await sendRefunds(3);
    const afterOwn = collector.readCacheStats();
    expect(await requests(path)).toBe(5);
    expect(collector.readCacheStats().misses - afterOwn.misses).toBe(1);

    // Spans of acme's other prompts leave answers about refund-answer as they are, while answers
    // about the whole project (the filters' values of every prompt) are read again.
    const prompts = `/api/v1/dimensions?${minuteWindow()}`;
    const promptNames = async (): Promise<string[]> => (await get(prompts)).body.prompts as string[];
    expect(await promptNames()).not.toContain('other-answer');
    const tally = (): [number, number] => {
      const s = collector.readCacheStats();
      return [s.hits, s.misses];
    };
    const [hits0, misses0] = tally();
    await send([call({ prompt: 'other-answer', startMs: Date.now() - 30_000, durationMs: 50 })]);
    expect(await requests(path)).toBe(5);
    expect(await promptNames()).toContain('other-answer');
    expect(tally()).toEqual([hits0 + 1, misses0 + 1]);
    // refund-answer named through another convention's key (Langfuse's): its answers are read again.
    const spanNamed = (attrs: Record<string, string>) => {
      const [span] = generationSpans(
        [call({ prompt: 'unused', startMs: Date.now() - 30_000, durationMs: 50 })],
        'support',
      );
      const a = span!.attributes as Record<string, unknown>;
      delete a['gen_ai.prompt.name'];
      delete a['promptline.prompt.version'];
      Object.assign(a, attrs);
      return span!;
    };
    const post = async (attrs: Record<string, string>): Promise<void> => {
      expect((await postTraces(collector.url, otlpProtobuf([spanNamed(attrs)]), INGEST)).status).toBe(200);
      expect(await collector.flush(20_000)).toBe(true);
    };
    await post({
      'langfuse.observation.prompt.name': 'refund-answer',
      'langfuse.observation.prompt.version': '1',
    });
    const [hits1, misses1] = tally();
    expect(await requests(path)).toBe(6);
    expect(tally()).toEqual([hits1, misses1 + 1]);
    // A span whose prompt the view names after its template (OpenInference): its prompt cannot be
    // told before it is stored, so every answer of acme is read again.
    expect(await requests(path)).toBe(6);
    const [hits2, misses2] = tally();
    await post({ 'llm.prompt_template.template': 'Refund {{order}}' });
    expect(await requests(path)).toBe(6);
    expect(tally()).toEqual([hits2, misses2 + 1]);
  });

  it('reads an empty filter as the generations sent without that attribute, a missing one as all', async () => {
    const now = Date.now();
    await send(
      Array.from({ length: 5 }, (_, i) =>
        call({
          prompt: 'filter-check',
          label: i < 2 ? '' : 'production',
          startMs: now - 20_000 + i,
          durationMs: 80,
        }),
      ),
    );
    const requests = async (filters: string): Promise<number> => {
      const res = await fetch(`${collector.url}/api/v1/metrics?prompt=filter-check&since=1h${filters}`, {
        headers: { authorization: `Bearer ${READ}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { versions: Array<{ requests: number }> };
      return body.versions.reduce((a, v) => a + v.requests, 0);
    };
    expect(await requests('')).toBe(5);
    expect(await requests('&label=')).toBe(2);
    expect(await requests('&label=production')).toBe(3);
    // None of these spans carries an environment.
    expect(await requests('&environment=')).toBe(5);
    expect(await requests('&environment=prod')).toBe(0);
    expect(await requests('&model=')).toBe(0);
  });

  it('breaks the figures down by a dimension or an attribute, and checks label moves against their baseline', async () => {
    const get = async (query: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${collector.url}${query}`, { headers: { authorization: `Bearer ${READ}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    type Breakdown = {
      project: string;
      source: string;
      values: Array<{
        value: string;
        requests: number;
        versions: Array<{ version: number; requests: number }>;
      }>;
      other: unknown;
    };
    const model = await get('/api/v1/metrics/breakdown?prompt=support-answer&since=1h&by=model');
    expect(model.status).toBe(200);
    const m = model.body as unknown as Breakdown;
    expect([m.project, m.source]).toEqual(['acme', 'aggregates']);
    expect(
      m.values.map((v) => [v.value, v.requests, v.versions.map((x) => [x.version, x.requests])]),
    ).toEqual([
      [
        'gpt-4o-mini',
        10,
        [
          [2, 6],
          [1, 4],
        ],
      ],
    ]);
    // A resource attribute, read from the spans.
    const service = (await get('/api/v1/metrics/breakdown?prompt=support-answer&since=1h&by=service.name'))
      .body as unknown as Breakdown;
    expect([service.source, service.values.map((v) => [v.value, v.requests])]).toEqual([
      'spans',
      [['support', 10]],
    ]);
    expect(await get('/api/v1/metrics/breakdown?prompt=support-answer&since=1h')).toEqual({
      status: 400,
      body: { error: 'by: required (?by=…)' },
    });
    expect((await get('/api/v1/metrics/breakdown?prompt=support-answer&by=model&top=0')).body).toEqual({
      error: 'top: must be a whole number from 1 to 100 (got 0)',
    });
    expect(
      (await get('/api/v1/metrics/breakdown?prompt=support-answer&since=30d&by=app.tenant')).body.error,
    ).toMatch(
      /^breakdown: a breakdown by an attribute \(app.tenant\) reads spans; its window is at most 7 days/,
    );

    // production moved from version 1 to 2 (in spans), with too few calls to judge: no instance.
    const checks = await get('/api/v1/checks/baseline?prompt=support-answer');
    expect(checks.status).toBe(200);
    expect(checks.body).toMatchObject({ project: 'acme', instances: [], firing: [] });
    expect((await get('/api/v1/checks/baseline?at=yesterday')).status).toBe(400);
  });

  it('passes pass_score on: cost per passing outcome of a score no version has is null', async () => {
    const res = await fetch(
      `${collector.url}/api/v1/metrics?prompt=support-answer&since=1h&pass_score=correct`,
      {
        headers: { authorization: `Bearer ${READ}` },
      },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { versions: Array<{ costPerPass: unknown }> };
    expect(body.versions[0]?.costPerPass).toEqual({
      basis: 'score:correct',
      passes: 0,
      judged: 0,
      usd: null,
    });
  });
});

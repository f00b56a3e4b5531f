import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { authKeys, tempDir, testConfig } from '../../../test/kit/collector.js';

/**
 * Every read-API route, every query parameter it reads, and the registry's bodies, fields, names
 * and labels, each given values a client could send by mistake or on purpose: the answer is never a 5xx (bad input is the caller's 4xx,
 * naming the problem), and the collector keeps answering.
 */

const READ = generateApiKey();
const WRITE = generateApiKey();

/** Parameters of every windowed prompt query (`promptQuery`). */
const PROMPT_QUERY = ['prompt', 'since', 'from', 'to', 'environment', 'label', 'model'];
/** Parameters of the statistical tests. */
const TESTS = ['sample_limit', 'min_samples', 'alpha'];

/**
 * Each route with parameters that make a valid request (so that one bad parameter is the only
 * fault), and the parameters its handler (src/read/) takes from the URL.
 */
const ROUTES: Array<[string, Record<string, string>, string[]]> = [
  ['/api/v1/metrics', { prompt: 'p', since: '24h' }, [...PROMPT_QUERY, 'scores', 'pass_score', ...TESTS]],
  ['/api/v1/metrics/breakdown', { prompt: 'p', since: '24h', by: 'model' }, [...PROMPT_QUERY, 'by', 'top']],
  ['/api/v1/timeseries', { prompt: 'p', since: '24h', interval: '3600' }, [...PROMPT_QUERY, 'interval']],
  ['/api/v1/labels/share', { prompt: 'p', since: '24h' }, PROMPT_QUERY],
  ['/api/v1/labels/history', { prompt: 'p' }, PROMPT_QUERY],
  [
    '/api/v1/compare',
    { prompt: 'p', since: '24h', baseline: '1', candidate: '2' },
    [...PROMPT_QUERY, 'baseline', 'candidate', ...TESTS],
  ],
  [
    '/api/v1/regressions',
    { prompt: 'p', since: '7d' },
    [...PROMPT_QUERY, 'max_window', 'max_moves', ...TESTS],
  ],
  ['/api/v1/checks/baseline', {}, ['at', 'prompt', 'label']],
  ['/api/v1/unlinked', { since: '24h' }, ['since', 'from', 'to', 'prompt', 'environment']],
  ['/api/v1/overview', { since: '24h' }, ['since', 'from', 'to', 'environment']],
  ['/api/v1/prompt-page', { prompt: 'p', since: '24h', interval: '3600' }, [...PROMPT_QUERY, 'interval']],
  ['/api/v1/dimensions', { since: '24h' }, ['since', 'from', 'to', 'prompt']],
  ['/api/v1/scores/timeseries', { prompt: 'p', since: '24h' }, [...PROMPT_QUERY, 'interval']],
  [
    '/api/v1/distributions',
    { prompt: 'p', since: '24h', versions: '1,2' },
    [...PROMPT_QUERY, 'versions', 'bins'],
  ],
  [
    '/api/v1/generations',
    { prompt: 'p', since: '24h', version: '1' },
    [...PROMPT_QUERY, 'version', 'status', 'score', 'scoreMin', 'scoreMax', 'limit', 'cursor'],
  ],
  ['/api/v1/generations/0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331', {}, []],
];

const VALUES = [
  '',
  'x',
  '-1',
  '0',
  '1e309',
  'NaN',
  '99999999999999999999999',
  '2026-13-45T25:61:00Z',
  '1,,2',
  "'; DROP TABLE otel_traces; --",
  '\u0000\u202e\ud83d',
  'v'.repeat(20_000),
];

/** Values a JSON field may be given by mistake. */
const JSON_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  true,
  '',
  'x',
  'x'.repeat(300_000),
  [],
  [null],
  ['a', 1],
  {},
  { a: { b: { c: [1, { d: null }] } } },
];

async function send(
  url: string,
  method: string,
  key: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, text: await res.text() };
}

/** What is wrong with an answer to bad input: a 5xx, or a 4xx whose JSON names no error. */
function fault(r: { status: number; text: string }): string | undefined {
  if (r.status >= 500) return `${r.status} ${r.text.slice(0, 200)}`;
  if (r.status < 400) return undefined;
  let error: unknown;
  try {
    error = (JSON.parse(r.text) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  return typeof error === 'string' && error !== ''
    ? undefined
    : `${r.status} without an error: ${JSON.stringify(r.text.slice(0, 80))}`;
}

describe('read API and registry: bad input', () => {
  const tmp = tempDir('promptline-read-bad-');
  let collector: RunningCollector;
  beforeAll(async () => {
    collector = await startCollector(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: authKeys([
              { key: READ, project: 'acme', scopes: ['read'], name: 'dash' },
              { key: WRITE, project: 'acme', scopes: ['read', 'write', 'admin'], name: 'ci' },
            ]),
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('never answer 5xx, and name the problem when they refuse', async () => {
    const failures: string[] = [];
    let refused = 0;
    for (const [path, valid, params] of ROUTES) {
      // The valid request first: it must be answered (it proves the route is there).
      const ok = await send(`${collector.url}${path}?${new URLSearchParams(valid)}`, 'GET', READ);
      if (ok.status !== 200 && !(ok.status === 404 && path.startsWith('/api/v1/generations/')))
        failures.push(`${path} (valid): ${ok.status}`);
      for (const name of params)
        for (const value of VALUES) {
          const query = new URLSearchParams({ ...valid, [name]: value });
          const res = await send(`${collector.url}${path}?${query}`, 'GET', READ);
          const problem = fault(res);
          if (problem !== undefined)
            failures.push(`${path} ${name}=${JSON.stringify(value.slice(0, 40))}: ${problem}`);
          else if (res.status >= 400 && res.status !== 404) refused++;
        }
    }
    expect(failures).toEqual([]);
    // The bad values are refused, not silently taken for something else, in most places.
    expect(refused).toBeGreaterThan(400);
    const health = await fetch(`${collector.url}/healthz`);
    expect(health.status).toBe(200);
  }, 600_000);

  it('registry: bad bodies, fields, names, labels and versions never answer 5xx and say what is wrong', async () => {
    const failures: string[] = [];
    const check = (what: string, r: { status: number; text: string }, ok: number[]): void => {
      const problem = ok.includes(r.status) ? undefined : fault(r);
      if (problem !== undefined) failures.push(`${what}: ${problem}`);
    };
    const prompts = `${collector.url}/api/v1/prompts`;
    const valid = {
      name: 'fuzz/reply',
      template: 'Answer {{question}}',
      labels: ['staging'],
      config: { model: 'gpt-4o-mini' },
      commitMessage: 'first',
    };
    const created = await send(prompts, 'POST', WRITE, JSON.stringify(valid));
    expect(created.status).toBe(201);
    for (const body of [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '1',
      '['.repeat(100_000),
      '{"name":"a","template":"b"}x',
    ])
      check(`body ${JSON.stringify(body.slice(0, 20))}`, await send(prompts, 'POST', WRITE, body), []);
    const fields = [
      'name',
      'type',
      'template',
      'messages',
      'labels',
      'config',
      'commitMessage',
      'onlyIfChanged',
      'examples',
      'metadata',
      'outputSchema',
      'version',
    ];
    for (const field of fields) {
      const { [field as keyof typeof valid]: _dropped, ...without } = valid;
      check(`without ${field}`, await send(prompts, 'POST', WRITE, JSON.stringify(without)), [200, 201]);
      for (const value of JSON_VALUES)
        check(
          `${field}=${JSON.stringify(value)?.slice(0, 30)}`,
          await send(prompts, 'POST', WRITE, JSON.stringify({ ...valid, [field]: value })),
          [200, 201],
        );
    }
    const names = ['fuzz%2Freply', '%00', '..%2F..', 'x'.repeat(5000), '%F0%9F%98%80', '%E2%80%AE'];
    for (const name of names) {
      for (const suffix of [
        '',
        '/versions',
        '/history',
        '?label=',
        '?version=abc',
        '?version=-1',
        '?label=x&version=1',
      ])
        check(
          `GET ${name.slice(0, 20)}${suffix}`,
          await send(`${prompts}/${name}${suffix}`, 'GET', READ),
          [200],
        );
      for (const label of ['production', 'latest', '', '%00', 'x'.repeat(5000)])
        for (const version of JSON_VALUES)
          check(
            `PUT ${name.slice(0, 20)}/labels/${label.slice(0, 10)} ${JSON.stringify(version)?.slice(0, 20)}`,
            await send(`${prompts}/${name}/labels/${label}`, 'PUT', WRITE, JSON.stringify({ version })),
            [200],
          );
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
  }, 600_000);
});

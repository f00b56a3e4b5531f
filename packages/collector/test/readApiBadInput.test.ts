import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { tempDir, testConfig } from '../../../test/kit/collector.js';

/**
 * Every read-API route, every query parameter the read side reads, each given values a client
 * could send by mistake or on purpose: the answer is never a 5xx (bad input is the caller's 4xx,
 * naming the problem), and the collector keeps answering.
 */

const READ = generateApiKey();

/** Each route with parameters that make a valid request (so that one bad parameter is the only fault). */
const ROUTES: Array<[string, Record<string, string>]> = [
  ['/api/v1/metrics', { prompt: 'p', since: '24h' }],
  ['/api/v1/metrics/breakdown', { prompt: 'p', since: '24h', by: 'model' }],
  ['/api/v1/timeseries', { prompt: 'p', since: '24h', interval: '3600' }],
  ['/api/v1/labels/share', { prompt: 'p', since: '24h' }],
  ['/api/v1/labels/history', { prompt: 'p' }],
  ['/api/v1/compare', { prompt: 'p', since: '24h', baseline: '1', candidate: '2' }],
  ['/api/v1/regressions', { prompt: 'p', since: '7d' }],
  ['/api/v1/checks/baseline', {}],
  ['/api/v1/unlinked', { since: '24h' }],
  ['/api/v1/overview', { since: '24h' }],
  ['/api/v1/prompt-page', { prompt: 'p', since: '24h', interval: '3600' }],
  ['/api/v1/dimensions', { since: '24h' }],
  ['/api/v1/scores/timeseries', { prompt: 'p', since: '24h' }],
  ['/api/v1/distributions', { prompt: 'p', since: '24h', versions: '1,2' }],
  ['/api/v1/generations', { prompt: 'p', since: '24h', version: '1' }],
  ['/api/v1/generations/0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331', {}],
];

const PARAMS = [
  'prompt',
  'since',
  'from',
  'to',
  'environment',
  'label',
  'model',
  'interval',
  'version',
  'versions',
  'baseline',
  'candidate',
  'bins',
  'limit',
  'cursor',
  'status',
  'score',
  'scoreMin',
  'scoreMax',
  'by',
  'top',
  'alpha',
  'pass_score',
  'min_samples',
  'max_moves',
  'max_window',
  'sample_limit',
  'scores',
  'at',
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

describe('read API: bad query parameters', () => {
  const tmp = tempDir('promptline-read-bad-');
  let collector: RunningCollector;
  beforeAll(async () => {
    collector = await startCollector(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: [{ sha256: hashApiKey(READ), project: 'acme', scopes: ['read'], name: 'dash' }],
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
    for (const [path, valid] of ROUTES) {
      // The valid request first: it must be answered (it proves the route is there).
      const ok = await fetch(`${collector.url}${path}?${new URLSearchParams(valid)}`, {
        headers: { authorization: `Bearer ${READ}` },
      });
      await ok.arrayBuffer();
      if (ok.status !== 200 && !(ok.status === 404 && path.startsWith('/api/v1/generations/')))
        failures.push(`${path} (valid): ${ok.status}`);
      for (const name of PARAMS)
        for (const value of VALUES) {
          const query = new URLSearchParams({ ...valid, [name]: value });
          const res = await fetch(`${collector.url}${path}?${query}`, {
            headers: { authorization: `Bearer ${READ}` },
          });
          const text = await res.text();
          if (res.status >= 500)
            failures.push(
              `${path} ${name}=${JSON.stringify(value.slice(0, 40))}: ${res.status} ${text.slice(0, 200)}`,
            );
          else if (res.status >= 400 && res.status !== 404) {
            refused++;
            let error: unknown;
            try {
              error = (JSON.parse(text) as { error?: unknown }).error;
            } catch {
              error = undefined;
            }
            if (typeof error !== 'string' || error === '')
              failures.push(
                `${path} ${name}=${JSON.stringify(value.slice(0, 40))}: ${res.status} without an error: ${JSON.stringify(text.slice(0, 80))}`,
              );
          }
        }
    }
    expect(failures).toEqual([]);
    // The bad values are refused, not silently taken for something else, in most places.
    expect(refused).toBeGreaterThan(500);
    const health = await fetch(`${collector.url}/healthz`);
    expect(health.status).toBe(200);
  }, 600_000);
});

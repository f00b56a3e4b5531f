import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector } from '../../../test/kit/collector.js';
import type { TestCollector } from '../../../test/kit/collector.js';

const KEYS = {
  reader: 'pl_test_reader_key_0000000000000000000000000',
  writer: 'pl_test_writer_key_0000000000000000000000000',
  admin: 'pl_test_admin_key_00000000000000000000000000',
  ingest: 'pl_test_ingest_key_0000000000000000000000000',
  other: 'pl_test_other_project_key_000000000000000000',
};

describe('registry HTTP API on the collector (mounted by default)', () => {
  let collector: TestCollector;

  async function call(
    method: string,
    path: string,
    opts: { key?: keyof typeof KEYS; body?: unknown; raw?: string; contentType?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    if (opts.key !== undefined) headers.authorization = `Bearer ${KEYS[opts.key]}`;
    const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${collector.url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  beforeAll(async () => {
    collector = await startTestCollector({
      prefix: 'promptline-registry-http-',
      keys: [
        { key: KEYS.reader, project: 'p1', scopes: ['read'], name: 'reader' },
        { key: KEYS.writer, project: 'p1', scopes: ['read', 'write'], name: 'writer' },
        { key: KEYS.admin, project: 'p1', scopes: ['admin'], name: 'admin' },
        { key: KEYS.ingest, project: 'p1', scopes: ['ingest'], name: 'ingest' },
        { key: KEYS.other, project: 'p2', scopes: ['read', 'write'], name: 'other' },
      ],
    });
  });
  afterAll(async () => {
    await collector?.close();
  });

  it('creates versions, resolves labels and versions, lists, moves labels with history', async () => {
    const name = encodeURIComponent('support/triage');
    const one = await call('POST', '/api/v1/prompts', {
      key: 'writer',
      body: { name: 'support/triage', template: 'Triage {{ticket}}', commitMessage: 'first' },
    });
    expect(one.status).toBe(201);
    expect(one.body).toMatchObject({
      created: true,
      prompt: { name: 'support/triage', version: 1, labels: ['latest'] },
    });
    const again = await call('POST', '/api/v1/prompts', {
      key: 'writer',
      body: { name: 'support/triage', template: 'Triage {{ticket}}', onlyIfChanged: true },
    });
    expect([again.status, again.body.created]).toEqual([200, false]);
    const two = await call('POST', '/api/v1/prompts', {
      key: 'writer',
      body: { name: 'support/triage', template: 'Triage carefully: {{ticket}}', config: { temperature: 0 } },
    });
    expect((two.body.prompt as { version: number }).version).toBe(2);

    expect(
      (
        await call('PUT', `/api/v1/prompts/${name}/labels/production`, {
          key: 'writer',
          body: { version: 1 },
        })
      ).status,
    ).toBe(403);
    const moved = await call('PUT', `/api/v1/prompts/${name}/labels/production`, {
      key: 'admin',
      body: { version: 1 },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      label: 'production',
      version: 1,
      previousVersion: null,
      actor: 'admin',
    });

    const prod = await call('GET', `/api/v1/prompts/${name}?label=production`, { key: 'reader' });
    expect(prod.status).toBe(200);
    expect(prod.body).toMatchObject({
      name: 'support/triage',
      version: 1,
      type: 'text',
      template: 'Triage {{ticket}}',
    });
    const latest = await call('GET', `/api/v1/prompts/${name}`, { key: 'reader' });
    expect(latest.body).toMatchObject({ version: 2, config: { temperature: 0 }, labels: ['latest'] });
    const v2 = await call('GET', `/api/v1/prompts/${name}?version=2`, { key: 'reader' });
    expect(v2.body.template).toBe('Triage carefully: {{ticket}}');

    const versions = await call('GET', `/api/v1/prompts/${name}/versions`, { key: 'reader' });
    expect(
      (versions.body.versions as { version: number; labels: string[] }[]).map((v) => [v.version, v.labels]),
    ).toEqual([
      [1, ['production']],
      [2, ['latest']],
    ]);
    const list = await call('GET', '/api/v1/prompts', { key: 'reader' });
    expect(list.body.prompts).toEqual([
      expect.objectContaining({
        name: 'support/triage',
        latestVersion: 2,
        versionCount: 2,
        labels: { latest: 2, production: 1 },
      }),
    ]);
    const history = await call('GET', `/api/v1/prompts/${name}/history?label=production`, { key: 'reader' });
    expect(
      (history.body.history as { version: number; actor: string }[]).map((h) => [h.version, h.actor]),
    ).toEqual([[1, 'admin']]);
  });

  it('20 concurrent POSTs of one prompt get versions 1..20, each exactly once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('POST', '/api/v1/prompts', { key: 'writer', body: { name: 'burst', template: `burst ${i}` } }),
      ),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const numbers = answers.map((a) => (a.body.prompt as { version: number }).version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const versions = await call('GET', '/api/v1/prompts/burst/versions', { key: 'reader' });
    expect((versions.body.versions as unknown[]).length).toBe(20);
  });

  it('keeps projects apart', async () => {
    await call('POST', '/api/v1/prompts', { key: 'other', body: { name: 'p2-only', template: 'secret' } });
    expect((await call('GET', '/api/v1/prompts/p2-only', { key: 'reader' })).status).toBe(404);
    const p2list = await call('GET', '/api/v1/prompts', { key: 'other' });
    expect((p2list.body.prompts as { name: string }[]).map((p) => p.name)).toEqual(['p2-only']);
  });

  it('JSON nested deeper than 64 levels in a prompt field is 400 naming the field, never a 5xx', async () => {
    const nested = (depth: number, leaf = '1'): string =>
      `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
    const deepList = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const cases: Array<[string, string]> = [
      ['metadata', `{"name":"deep","template":"x","metadata":${nested(5000)}}`],
      ['config', `{"name":"deep","template":"x","config":${nested(5000)}}`],
      ['examples', `{"name":"deep","template":"x","examples":[{"input":${deepList(5000)}}]}`],
      ['outputSchema', `{"name":"deep","template":"x","outputSchema":${nested(5000, '{"type":"string"}')}}`],
      [
        'outputSchema',
        `{"name":"deep","template":"x","outputSchema":${JSON.stringify(nested(5000, '{"type":"string"}'))}}`,
      ],
    ];
    for (const [field, raw] of cases) {
      const res = await call('POST', '/api/v1/prompts', { key: 'writer', raw });
      expect([field, res.status, res.body.code]).toEqual([field, 400, 'invalid_request']);
      expect(res.body.error).toMatch(new RegExp(`^${field} is nested deeper than 64 levels`));
    }
    // 64 levels is fine, and the collector is unharmed.
    const ok = await call('POST', '/api/v1/prompts', {
      key: 'writer',
      raw: `{"name":"deep","template":"x","metadata":${nested(63)}}`,
    });
    expect(ok.status).toBe(201);
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
  });

  it('answers bad input with a precise 4xx and a message naming the problem', async () => {
    await call('POST', '/api/v1/prompts', { key: 'writer', body: { name: 'known', template: 'k' } });
    const cases: [Promise<{ status: number; body: Record<string, unknown> }>, number, string, RegExp][] = [];
    const add = (
      p: () => Promise<{ status: number; body: Record<string, unknown> }>,
      status: number,
      code: string,
      message: RegExp,
    ): void => {
      cases.push([p(), status, code, message]);
    };
    add(
      () => call('GET', '/api/v1/prompts/unknown-prompt', { key: 'reader' }),
      404,
      'not_found',
      /prompt "unknown-prompt" not found/,
    );
    add(
      () => call('GET', '/api/v1/prompts/known?label=nope', { key: 'reader' }),
      404,
      'not_found',
      /has no label "nope"/,
    );
    add(
      () => call('GET', '/api/v1/prompts/known?label=Bad%20Label', { key: 'reader' }),
      400,
      'invalid_label',
      /label "Bad Label" is invalid/,
    );
    add(
      () => call('GET', '/api/v1/prompts/known?version=abc', { key: 'reader' }),
      400,
      'invalid_request',
      /version must be a positive integer/,
    );
    add(
      () => call('PUT', '/api/v1/prompts/known/labels/NOT_OK', { key: 'writer', body: { version: 1 } }),
      400,
      'invalid_label',
      /label "NOT_OK" is invalid/,
    );
    add(
      () =>
        call('POST', '/api/v1/prompts', {
          key: 'writer',
          body: { name: 'huge', template: 'x'.repeat(150_000) },
        }),
      413,
      'too_large',
      /template is 150000 bytes; the limit is 131072/,
    );
    add(
      () =>
        call('POST', '/api/v1/prompts', {
          key: 'writer',
          body: { name: 'huge', template: 'x'.repeat(2_000_000) },
        }),
      413,
      'too_large',
      /exceeds the limit of 1048576 bytes/,
    );
    add(
      () =>
        call('POST', '/api/v1/prompts', {
          key: 'writer',
          body: { name: 'schema', template: 'x', outputSchema: '{"type":' },
        }),
      400,
      'invalid_schema',
      /outputSchema is not valid JSON/,
    );
    add(
      () =>
        call('POST', '/api/v1/prompts', {
          key: 'writer',
          body: { name: 'schema', template: 'x', outputSchema: { type: 12 } },
        }),
      400,
      'invalid_schema',
      /not a valid JSON Schema/,
    );
    add(
      () =>
        call('POST', '/api/v1/prompts', {
          key: 'writer',
          body: { name: 'x', template: 'Hi {{ bad name }}' },
        }),
      400,
      'invalid_prompt',
      /prompt "x" is invalid: "template".*bad name/,
    );
    add(
      () =>
        call('POST', '/api/v1/prompts', {
          key: 'writer',
          body: { name: 'x', messages: [{ role: 'user', content: 'open {{x' }] },
        }),
      400,
      'invalid_prompt',
      /messages\[0\]\.content/,
    );
    add(
      () => call('POST', '/api/v1/prompts', { key: 'writer', raw: '{"name": "x",' }),
      400,
      'invalid_json',
      /not valid JSON/,
    );
    add(
      () => call('POST', '/api/v1/prompts', { key: 'writer', raw: 'name=x', contentType: 'text/plain' }),
      415,
      'invalid_request',
      /Content-Type must be application\/json/,
    );
    for (const [pending, status, code, message] of cases) {
      const res = await pending;
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(String(res.body.error)).toMatch(message);
    }
    // Auth: no key 401, a key without the scope 403 (the collector's auth errors).
    expect((await call('GET', '/api/v1/prompts/known')).status).toBe(401);
    expect((await call('GET', '/api/v1/prompts/known', { key: 'ingest' })).status).toBe(403);
    expect(
      (await call('POST', '/api/v1/prompts', { key: 'reader', body: { name: 'x', template: 'y' } })).status,
    ).toBe(403);
    // Nothing refused was stored.
    for (const n of ['huge', 'schema', 'x'])
      expect((await call('GET', `/api/v1/prompts/${n}`, { key: 'reader' })).status).toBe(404);
  });
});

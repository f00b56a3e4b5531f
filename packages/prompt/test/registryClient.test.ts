import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prompt, RegistryClient, RegistryRequestError, registryPromptToData } from '@promptline/prompt';
import type { RegistryPrompt } from '@promptline/prompt';

/**
 * RegistryClient against a registry stand-in on 127.0.0.1 that records each request and answers
 * the way the collector does (JSON bodies, `{ error, code }` on failure).
 */
describe('RegistryClient', () => {
  let server: Server;
  let baseUrl: string;
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

  const stored: RegistryPrompt = {
    name: 'support/triage',
    version: 3,
    type: 'chat',
    messages: [
      { role: 'system', content: 'Triage for {{team|support}}.' },
      { type: 'placeholder', name: 'history' },
    ],
    config: { model: 'gpt-4o-mini' },
    commitMessage: 'tighter',
    hash: '0123456789abcdef',
    createdBy: 'ci',
    createdAt: '2026-11-20T12:00:00.000Z',
    labels: ['latest', 'production'],
  };

  const read = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const body = await read(req);
        seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
        const url = new URL(req.url ?? '/', 'http://x');
        const json = (status: number, value: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        };
        if (url.pathname === '/api/v1/prompts' && req.method === 'GET') {
          json(200, {
            prompts: [
              { name: 'a', latestVersion: 2, versionCount: 2, lastCreatedAt: 'x', labels: { latest: 2 } },
            ],
          });
        } else if (url.pathname === '/api/v1/prompts' && req.method === 'POST') {
          json(201, { created: true, prompt: { ...stored, ...JSON.parse(body) } });
        } else if (url.pathname === '/api/v1/prompts/support%2Ftriage') {
          json(200, stored);
        } else if (url.pathname === '/api/v1/prompts/support%2Ftriage/labels/production') {
          json(409, { error: 'version 9 does not exist', code: 'not_found' });
        } else if (url.pathname === '/api/v1/prompts/slow/history') {
          setTimeout(() => json(200, { name: 'slow', history: [] }), 2000).unref();
        } else if (url.pathname === '/api/v1/prompts/plain/versions') {
          res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway from the proxy');
        } else {
          json(404, { error: `no route ${url.pathname}`, code: 'not_found' });
        }
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('gets a version by label with the key, the name sent as one %2F-encoded segment', async () => {
    const client = new RegistryClient({ baseUrl: `${baseUrl}/`, apiKey: 'k1' });
    const p = await client.getPrompt('support/triage', { label: 'production' });
    expect(p).toEqual(stored);
    expect(seen.at(-1)).toMatchObject({
      method: 'GET',
      url: '/api/v1/prompts/support%2Ftriage?label=production',
      auth: 'Bearer k1',
    });
    // The one JSON -> PromptData mapping: a Prompt compiles it.
    const prompt = new Prompt(registryPromptToData(p));
    expect(prompt.compileChat({ history: [{ role: 'user', content: 'hi' }] })).toEqual([
      { role: 'system', content: 'Triage for support.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(prompt.labels).toEqual(['latest', 'production']);
  });

  it('lists prompts and creates a version with a JSON body', async () => {
    const client = new RegistryClient({ baseUrl });
    expect(await client.listPrompts()).toEqual([
      { name: 'a', latestVersion: 2, versionCount: 2, lastCreatedAt: 'x', labels: { latest: 2 } },
    ]);
    const created = await client.createPrompt({ name: 'greet', template: 'Hi {{name}}', version: 1 });
    expect(created.created).toBe(true);
    expect(created.prompt.name).toBe('greet');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ name: 'greet', template: 'Hi {{name}}', version: 1 });
    expect(seen.at(-1)!.auth).toBeUndefined();
  });

  it("turns an error answer into RegistryRequestError with the server's reason and code", async () => {
    const client = new RegistryClient({ baseUrl });
    const err = await client.moveLabel('support/triage', 'production', 9).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryRequestError);
    expect(err).toMatchObject({
      status: 409,
      reason: 'version 9 does not exist',
      code: 'not_found',
      message: 'registry answered 409 for prompt "support/triage": version 9 does not exist',
    });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ version: 9 });
    const plain = await client.listVersions('plain').catch((e: unknown) => e);
    expect(plain).toMatchObject({ status: 502, reason: 'bad gateway from the proxy', code: undefined });
  });

  it('gives up after timeoutMs (the stand-in would answer 200 after 2 s)', async () => {
    const client = new RegistryClient({ baseUrl, timeoutMs: 200 });
    await expect(client.labelHistory('slow')).rejects.toThrow(/abort|timeout/i);
  });
});

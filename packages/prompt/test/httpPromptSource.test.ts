import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpPromptSource, RegistryRequestError } from '@promptline/prompt';

const MiB = 1024 * 1024;

/** A registry stand-in on 127.0.0.1: `/api/v1/prompts/{name}` answers by name. */
describe('HttpPromptSource response bound', () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '');
      const prompt = (template: string): string =>
        JSON.stringify({ name, version: 1, type: 'text', template, labels: ['production'] });
      if (name === 'small') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(prompt('Hi {{x}}'));
      } else if (name === 'big-declared') {
        // 4 MiB + 1 KiB with a Content-Length: refused before reading.
        const body = prompt('x'.repeat(4 * MiB + 1024));
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
          .end(body);
      } else if (name === 'big-chunked') {
        // No Content-Length: 64 chunks of 128 KiB (8 MiB) streamed; the reader stops past the bound.
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        const chunk = 'y'.repeat(128 * 1024);
        let sent = 0;
        const pump = (): void => {
          while (sent < 64 && !res.destroyed) {
            sent++;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('reads a normal answer', async () => {
    const data = await new HttpPromptSource({ baseUrl }).fetchPrompt('small', { label: 'production' });
    expect(data).toMatchObject({ name: 'small', version: 1, type: 'text', template: 'Hi {{x}}' });
  });

  it('refuses a body over the default 4 MiB by Content-Length, naming the size and the limit', async () => {
    const err = await new HttpPromptSource({ baseUrl })
      .fetchPrompt('big-declared', { label: 'production' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RegistryRequestError);
    expect((err as Error).message).toMatch(
      /registry answer for prompt "big-declared" is \d+ bytes; the limit \(maxResponseBytes\) is 4194304/,
    );
  });

  it('stops reading a streamed body without Content-Length once it passes maxResponseBytes', async () => {
    const source = new HttpPromptSource({ baseUrl, maxResponseBytes: 1 * MiB });
    await expect(source.fetchPrompt('big-chunked', { label: 'production' })).rejects.toThrow(
      /is more than 1048576 bytes; the limit \(maxResponseBytes\) is 1048576/,
    );
    // The default bound also applies to streamed bodies (8 MiB > 4 MiB).
    await expect(
      new HttpPromptSource({ baseUrl }).fetchPrompt('big-chunked', { label: 'production' }),
    ).rejects.toThrow(/the limit \(maxResponseBytes\) is 4194304/);
    expect(requests).toBeGreaterThanOrEqual(4);
  });
});

describe('HttpPromptSource base URL from the environment', () => {
  const names = ['PROMPTLINE_COLLECTOR_URL', 'PROMPTLINE_REGISTRY_URL', 'PROMPTLINE_ENDPOINT'];
  afterAll(() => {
    for (const n of names) delete process.env[n];
  });

  it('PROMPTLINE_COLLECTOR_URL, then the deprecated names (one DeprecationWarning each), then the default', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      for (const n of names) delete process.env[n];
      expect(new HttpPromptSource().baseUrl).toBe('http://localhost:4318');
      process.env.PROMPTLINE_ENDPOINT = 'http://endpoint:1';
      expect(new HttpPromptSource().baseUrl).toBe('http://endpoint:1');
      expect(new HttpPromptSource().baseUrl).toBe('http://endpoint:1');
      process.env.PROMPTLINE_REGISTRY_URL = 'http://registry:2';
      expect(new HttpPromptSource().baseUrl).toBe('http://registry:2');
      process.env.PROMPTLINE_COLLECTOR_URL = 'http://collector:3';
      expect(new HttpPromptSource().baseUrl).toBe('http://collector:3');
      expect(new HttpPromptSource({ baseUrl: 'http://option:4' }).baseUrl).toBe('http://option:4');
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => [w.name, w.message])).toEqual([
      [
        'DeprecationWarning',
        'PROMPTLINE_ENDPOINT is deprecated and will be removed: set PROMPTLINE_COLLECTOR_URL instead (same value)',
      ],
      [
        'DeprecationWarning',
        'PROMPTLINE_REGISTRY_URL is deprecated and will be removed: set PROMPTLINE_COLLECTOR_URL instead (same value)',
      ],
    ]);
  });
});

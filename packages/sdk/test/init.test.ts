import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Prompt,
  getActiveGeneration,
  init,
  observe,
  parsePromptData,
  setLogSink,
  updateActiveGeneration,
} from '@promptline/sdk';

interface Received {
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  custom: string | undefined;
  body: Buffer;
}

// A local OTLP/HTTP stand-in that records requests (at most 100).
const received: Received[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (received.length < 100) {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        custom: req.headers['x-team'] as string | undefined,
        body: Buffer.concat(chunks),
      });
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

const prompt = new Prompt(parsePromptData({ name: 'init/prompt', version: 3, template: 'hi' }), {
  label: 'production',
});

describe('init()', () => {
  it('exports spans and scores as OTLP/HTTP protobuf with headers, resource and attributes', async () => {
    const telemetry = init({
      serviceName: 'init-test-service',
      endpoint: url,
      apiKey: 'pl_test_key',
      headers: { 'x-team': 'llm' },
      environment: 'staging',
    });
    const gen = observe(
      async () => {
        updateActiveGeneration({ usage: { inputTokens: 5, outputTokens: 6 } });
        getActiveGeneration()?.score('quality', 0.9, { id: 'score-init-1' });
        return 'ok';
      },
      { name: 'init-gen', asType: 'generation', prompt },
    );
    expect(await gen()).toBe('ok');
    await telemetry.shutdown();
    const traces = received.filter((r) => r.path === '/v1/traces');
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    expect(t.contentType).toBe('application/x-protobuf');
    expect(t.authorization).toBe('Bearer pl_test_key');
    expect(t.custom).toBe('llm');
    // Protobuf carries strings as raw UTF-8: the resource and prompt attributes are in the payload.
    for (const s of [
      'init-test-service',
      'staging',
      'init-gen',
      'init/prompt',
      'promptline.prompt.version',
    ]) {
      expect(t.body.includes(Buffer.from(s))).toBe(true);
    }
    const scores = received.filter((r) => r.path === '/v1/logs');
    expect(scores).toHaveLength(1);
    expect(scores[0]!.contentType).toBe('application/x-protobuf');
    for (const s of ['gen_ai.evaluation.result', 'quality', 'score-init-1']) {
      expect(scores[0]!.body.includes(Buffer.from(s))).toBe(true);
    }
  });

  it('an option beats the environment, and the environment beats the default', async () => {
    received.length = 0;
    process.env.PROMPTLINE_COLLECTOR_URL = url;
    process.env.OTEL_SERVICE_NAME = 'from-env';
    try {
      const fromEnv = init({ registerGlobal: false });
      observe(() => 1, { name: 'env-span' })();
      await fromEnv.shutdown();
      const body = received.find((r) => r.path === '/v1/traces')?.body;
      expect(body?.includes(Buffer.from('from-env'))).toBe(true);

      received.length = 0;
      process.env.PROMPTLINE_COLLECTOR_URL = 'http://127.0.0.1:9'; // discard port: nothing listens
      const fromOption = init({ endpoint: url, serviceName: 'from-option', registerGlobal: false });
      observe(() => 1, { name: 'option-span' })();
      await fromOption.shutdown();
      const body2 = received.find((r) => r.path === '/v1/traces')?.body;
      expect(body2?.includes(Buffer.from('from-option'))).toBe(true);
      expect(body2?.includes(Buffer.from('from-env'))).toBe(false);
    } finally {
      delete process.env.PROMPTLINE_COLLECTOR_URL;
      delete process.env.OTEL_SERVICE_NAME;
    }
  });

  it('the deprecated PROMPTLINE_ENDPOINT still works, below PROMPTLINE_COLLECTOR_URL, with one warning', async () => {
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    process.env.PROMPTLINE_ENDPOINT = url;
    try {
      for (const name of ['old-name-1', 'old-name-2']) {
        received.length = 0;
        const telemetry = init({ serviceName: name, registerGlobal: false });
        observe(() => 1, { name: 'alias-span' })();
        await telemetry.shutdown();
        const body = received.find((r) => r.path === '/v1/traces')?.body;
        expect(body?.includes(Buffer.from(name))).toBe(true);
      }
      expect(lines.filter((l) => l.includes('PROMPTLINE_ENDPOINT'))).toEqual([
        '[promptline] warn: PROMPTLINE_ENDPOINT is deprecated and will be removed: set PROMPTLINE_COLLECTOR_URL instead (same value)',
      ]);
      // The new name wins over the old one.
      received.length = 0;
      process.env.PROMPTLINE_ENDPOINT = 'http://127.0.0.1:9';
      process.env.PROMPTLINE_COLLECTOR_URL = url;
      const telemetry = init({ serviceName: 'new-name', registerGlobal: false });
      observe(() => 1, { name: 'alias-span' })();
      await telemetry.shutdown();
      expect(received.find((r) => r.path === '/v1/traces')?.body.includes(Buffer.from('new-name'))).toBe(
        true,
      );
    } finally {
      delete process.env.PROMPTLINE_ENDPOINT;
      delete process.env.PROMPTLINE_COLLECTOR_URL;
      setLogSink(undefined);
    }
  });
});

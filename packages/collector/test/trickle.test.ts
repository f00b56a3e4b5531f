import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/ApiKeyStore.js';
import { loadConfig } from '../src/config/loadConfig.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { authKeys, tempDir } from '../../../test/kit/collector.js';
import {
  generationSpans,
  generationSpecs,
  otlpProtobuf,
  postTraces,
} from '../../../test/support/generationSpans.js';

/**
 * With the default flush interval (decision 0059), a trickle of export requests is inserted
 * together: every insert costs the engine a fixed amount of CPU whatever its size.
 */

const KEY = generateApiKey();

describe('a trickle of spans, default configuration', () => {
  const tmp = tempDir('promptline-trickle-');
  let collector: RunningCollector | undefined;
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('inserts requests that arrive within the flush interval as one batch, and loses none', async () => {
    const config = loadConfig(
      {
        receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
        processors: {
          promptline_auth: { keys: authKeys([{ key: KEY, project: 'acme', scopes: ['ingest'] }]) },
        },
        exporters: { clickhouse: { data_dir: join(tmp.dir, 'data'), wal: { dir: join(tmp.dir, 'wal') } } },
        service: {
          telemetry: { logs: { level: 'silent' } },
          pipelines: {
            traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
          },
        },
      },
      {},
    );
    expect(config.exporter.wal.flushIntervalMs).toBe(2000);
    collector = await startCollector(config);
    const c = collector;
    const before = c.metrics.inserts;
    // Two small requests 600 ms apart, as an app's exporter sends them (with the former 500 ms
    // interval, two inserts).
    for (let i = 0; i < 2; i++) {
      const specs = generationSpecs({
        count: 5,
        prompt: 'trickle',
        versions: [1],
        seed: i,
        startMs: Date.now(),
      });
      expect((await postTraces(c.url, otlpProtobuf(generationSpans(specs)), KEY)).status).toBe(200);
      if (i === 0) await new Promise((r) => setTimeout(r, 600));
    }
    // Nothing is flushed by hand: the exporter seals the segment when it is 2 s old.
    const deadline = Date.now() + 20_000;
    while (c.metrics.written.traces < 10 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(c.metrics.written.traces).toBe(10);
    expect(c.metrics.inserts - before).toBe(1);
  }, 60_000);
});

/**
 * What the collector exposes to other users of the machine and to unauthenticated callers: its data
 * and WAL directories are its user's only, and /healthz says up or down, nothing else.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { generationRequest } from './otlpWire.js';

const tmp = tempDir('promptline-exposure-');
let collector: RunningCollector | undefined;
afterAll(async () => {
  await collector?.stop();
  tmp.remove();
});

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('exposure', () => {
  it('data directory, WAL directory and segments are readable by the collector user only, also when they existed', async () => {
    // Left by an earlier version, readable by everyone.
    mkdirSync(join(tmp.dir, 'data'), { recursive: true });
    chmodSync(join(tmp.dir, 'data'), 0o755);
    const lines: string[] = [];
    const config = testConfig(tmp.dir, {
      exporters: { clickhouse: { wal: { flush_interval_ms: 600_000 } } },
      service: { telemetry: { logs: { level: 'info' } } },
    });
    collector = await startCollector(config, { logSink: (l) => lines.push(l) });
    expect(
      (
        await post(`${collector.url}/v1/traces`, generationRequest(3, 'private'), {
          'content-type': 'application/x-protobuf',
        })
      ).status,
    ).toBe(200);
    expect(modeOf(config.exporter.dataDir)).toBe(0o700);
    expect(modeOf(config.exporter.wal.dir)).toBe(0o700);
    const segments = readdirSync(config.exporter.wal.dir);
    expect(segments.length).toBe(1);
    expect(modeOf(join(config.exporter.wal.dir, segments[0]!))).toBe(0o600);
    expect(
      lines.some((l) =>
        l.includes(`${config.exporter.dataDir}: access restricted to its owner (mode 755 -> 700)`),
      ),
    ).toBe(true);
  });

  it('GET /healthz without a key says up or down and nothing else', async () => {
    const res = await fetch(`${collector!.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

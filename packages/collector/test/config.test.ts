import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import { ConfigError } from '../src/config/ConfigError.js';
import { defaultConfigDocument, loadConfig } from '../src/config/loadConfig.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { deepMerge, tempDir, testConfig } from '../../../test/kit/collector.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = tempDir('promptline-config-');
afterAll(() => tmp.remove());

function problems(doc: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(deepMerge(defaultConfigDocument(), doc), env);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('loadConfig', () => {
  it('the shipped collector-config/promptline.yaml is valid and spells out the defaults', () => {
    const fromFile = loadConfig(join(repo, 'collector-config/promptline.yaml'), {});
    const defaults = loadConfig(undefined, {});
    expect(fromFile.receiver).toEqual(defaults.receiver);
    expect(fromFile.pipelines).toEqual(defaults.pipelines);
    expect(fromFile.exporter.wal.fsync).toBe('always');
    expect({ ...fromFile.exporter, dataDir: '', wal: { ...fromFile.exporter.wal, dir: '' } }).toEqual({
      ...defaults.exporter,
      dataDir: '',
      wal: { ...defaults.exporter.wal, dir: '' },
    });
    expect(fromFile.exporter.dataDir).toBe(join(repo, '.promptline/data'));
    expect(fromFile.exporter.wal.dir).toBe(join(repo, '.promptline/wal'));
    expect(fromFile.auth).toEqual({ keys: [], allowAnonymousIngest: true, anonymousProject: 'default' });
    expect(fromFile.pipelines.traces.map((p) => p.type)).toEqual([
      'promptline_auth',
      'promptline_redaction',
      'promptline_filter',
      'promptline_limits',
    ]);
    expect(fromFile.readApi.enabled).toBe(true);
  });

  it('names the key and the fix for every problem, all at once', () => {
    const found = problems({
      receivers: {
        otlp: { protocols: { http: { endpoint: 'localhost', max_request_body_size: -1, bogus: 1 } } },
      },
      exporters: { clickhouse: { endpoint: 'tcp://x:9000', wal: { fsync: 'sometimes' } } },
      processors: {
        promptline_redaction: { patterns: ['email', 'ssn'], custom: [{ name: 'x', regex: '(' }] },
        promptline_sampler: {},
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'receivers.otlp.protocols.http.endpoint: must be host:port, e.g. 127.0.0.1:4318 (got "localhost")',
        'receivers.otlp.protocols.http.max_request_body_size: must be a number between 1024 and 1073741824 (got -1)',
        expect.stringMatching(/^receivers\.otlp\.protocols\.http\.bogus: unknown key \(known: .*endpoint/),
        'exporters.clickhouse.endpoint: must be an http(s):// ClickHouse URL, or empty for the embedded engine (got "tcp://x:9000")',
        'exporters.clickhouse.wal.fsync: must be one of always, interval, never (got "sometimes")',
        expect.stringMatching(/^processors\.promptline_redaction\.patterns: unknown pattern "ssn"/),
        expect.stringMatching(
          /^processors\.promptline_redaction\.custom\[0\]\.regex: not a valid regular expression/,
        ),
        expect.stringMatching(/^processors\.promptline_sampler: unknown processor type "promptline_sampler"/),
      ]),
    );
    expect(found).toHaveLength(8);
  });

  it('exporters.clickhouse.attribute_indexes: on by default, a boolean', () => {
    expect(loadConfig(undefined, {}).exporter.attributeIndexes).toBe(true);
    const off = deepMerge(defaultConfigDocument(), {
      exporters: { clickhouse: { attribute_indexes: false } },
    });
    expect(loadConfig(off, {}).exporter.attributeIndexes).toBe(false);
    expect(problems({ exporters: { clickhouse: { attribute_indexes: 'no' } } }).join('\n')).toContain(
      'exporters.clickhouse.attribute_indexes',
    );
  });

  it('extensions.promptline_read_api.sql: never with the embedded engine; with a server, a reader that is not the writer', () => {
    expect(loadConfig(undefined, {}).readApi.sql.enabled).toBe(false);
    expect(problems({ extensions: { promptline_read_api: { sql: { enabled: true } } } })).toEqual([
      expect.stringMatching(
        /^extensions\.promptline_read_api\.sql\.enabled: raw SQL is not served with the embedded engine, which cannot refuse INTO OUTFILE/,
      ),
    ]);
    const server = { exporters: { clickhouse: { endpoint: 'http://ch:8123', username: 'promptline' } } };
    // The read API is off by default with a server; turned on, its SQL endpoint needs a reader.
    expect(problems(server)).toEqual([]);
    const on = deepMerge(server, { extensions: { promptline_read_api: { enabled: true } } });
    expect(problems(on)).toEqual([
      expect.stringMatching(
        /^extensions\.promptline_read_api\.sql\.username: required for the SQL endpoint with a ClickHouse server: a read-only ClickHouse user/,
      ),
    ]);
    expect(
      problems(deepMerge(on, { extensions: { promptline_read_api: { sql: { username: 'promptline' } } } })),
    ).toEqual([
      'extensions.promptline_read_api.sql.username: must not be the exporter\'s user "promptline" (it writes); use a read-only ClickHouse user',
    ]);
    expect(
      problems(deepMerge(on, { extensions: { promptline_read_api: { sql: { enabled: false } } } })),
    ).toEqual([]);
    const reader = loadConfig(deepMerge(defaultConfigDocument(), on), {
      PROMPTLINE_SQL_USER: 'promptline_reader',
      PROMPTLINE_SQL_PASSWORD: 'pw',
    }).readApi.sql;
    expect(reader).toEqual({
      enabled: true,
      username: 'promptline_reader',
      password: 'pw',
      maxConcurrent: 2,
      timeoutMs: 70_000,
      maxResponseBytes: 256 * 1024 * 1024,
    });
  });

  it('exporters.clickhouse.release_memory: when_idle by default, one of three values', () => {
    expect(loadConfig(undefined, {}).exporter.releaseMemory).toBe('when_idle');
    const each = deepMerge(defaultConfigDocument(), {
      exporters: { clickhouse: { release_memory: 'after_each_batch' } },
    });
    expect(loadConfig(each, {}).exporter.releaseMemory).toBe('after_each_batch');
    expect(problems({ exporters: { clickhouse: { release_memory: 'always' } } })).toContain(
      'exporters.clickhouse.release_memory: must be one of when_idle, after_each_batch, never (got "always")',
    );
  });

  it('exporters.clickhouse.wal.dead_letter_after: 5 by default, a whole number from 1', () => {
    expect(loadConfig(undefined, {}).exporter.wal.deadLetterAfter).toBe(5);
    expect(loadConfig(undefined, {}).exporter.wal.deadLetterMaxBytes).toBe(256 * 1024 * 1024);
    const two = deepMerge(defaultConfigDocument(), {
      exporters: { clickhouse: { wal: { dead_letter_after: 2 } } },
    });
    expect(loadConfig(two, {}).exporter.wal.deadLetterAfter).toBe(2);
    for (const bad of [0, 2.5, 'x'])
      expect(
        problems({ exporters: { clickhouse: { wal: { dead_letter_after: bad } } } }).join('\n'),
      ).toContain('exporters.clickhouse.wal.dead_letter_after');
  });

  it('exporters.clickhouse.ttl_days: absent (keep forever) by default, else a whole number of days from 1', () => {
    expect(loadConfig(undefined, {}).exporter.ttlDays).toBeUndefined();
    const week = deepMerge(defaultConfigDocument(), { exporters: { clickhouse: { ttl_days: 7 } } });
    expect(loadConfig(week, {}).exporter.ttlDays).toBe(7);
    for (const bad of [0, -3, 1.5, 'week'])
      expect(problems({ exporters: { clickhouse: { ttl_days: bad } } }).join('\n')).toContain(
        'exporters.clickhouse.ttl_days',
      );
  });

  it('exporters.clickhouse.engine_readers: a whole number from 0 to 16', () => {
    const none = deepMerge(defaultConfigDocument(), { exporters: { clickhouse: { engine_readers: 0 } } });
    expect(loadConfig(none, {}).exporter.engineReaders).toBe(0);
    expect(loadConfig(undefined, {}).exporter.engineReaders).toBeGreaterThanOrEqual(2);
    for (const bad of [-1, 17, 1.5, 'many'])
      expect(problems({ exporters: { clickhouse: { engine_readers: bad } } }).join('\n')).toContain(
        'exporters.clickhouse.engine_readers',
      );
  });

  it('checks pipelines against defined processors and puts authentication first', () => {
    expect(
      problems({
        service: {
          pipelines: {
            traces: {
              receivers: ['otlp'],
              processors: ['promptline_redaction', 'promptline_auth', 'missing'],
              exporters: ['clickhouse'],
            },
            metrics: { receivers: ['otlp'], exporters: ['clickhouse'] },
          },
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        'service.pipelines.traces.processors[2]: "missing" is not defined under processors',
        'service.pipelines.traces.processors: must start with promptline_auth (the project id comes from the API key before anything else runs)',
        'service.pipelines.metrics: unsupported signal (this collector stores traces and logs)',
      ]),
    );
  });

  it('validates API keys: digests only, known scopes, a project', () => {
    const found = problems({
      processors: {
        promptline_auth: { keys: [{ sha256: 'pl_plaintextkey', project: '', scopes: ['ingest', 'root'] }] },
      },
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^processors\.promptline_auth\.keys\[0\]\.sha256: must be the 64-hex-digit SHA-256 of the key \(never the key itself/,
      ),
      expect.stringMatching(/^processors\.promptline_auth\.keys\[0\]\.project: required/),
      'processors.promptline_auth.keys[0].scopes: unknown scope "root" (known: ingest, read, sql, write, admin)',
    ]);
    // With a valid key, anonymous ingest is off by default.
    const keysFile = join(tmp.dir, 'keys.yaml');
    writeFileSync(keysFile, `keys:\n  - { sha256: ${hashApiKey('k1')}, project: acme, scopes: [ingest] }\n`);
    const cfg = loadConfig(
      deepMerge(defaultConfigDocument(), { processors: { promptline_auth: { keys_file: keysFile } } }),
      {},
    );
    expect(cfg.auth.keys).toEqual([
      { sha256: hashApiKey('k1'), project: 'acme', scopes: ['ingest'], name: 'acme#0' },
    ]);
    expect(cfg.auth.allowAnonymousIngest).toBe(false);
  });

  it('substitutes ${env:…} and applies PROMPTLINE_* overrides over the file', () => {
    const file = join(tmp.dir, 'c.yaml');
    writeFileSync(
      file,
      [
        'receivers: { otlp: { protocols: { http: { endpoint: "${env:HOST:-127.0.0.1}:${env:PORT}" } } } }',
        'exporters: { clickhouse: { data_dir: ./d, wal: { fsync: interval } } }',
        'service: { pipelines: { traces: { receivers: [otlp], exporters: [clickhouse] } } }',
      ].join('\n'),
    );
    const cfg = loadConfig(file, {
      PORT: '5000',
      PROMPTLINE_WAL_FSYNC: 'never',
      PROMPTLINE_CLICKHOUSE_URL: 'http://ch:8123',
    });
    expect(cfg.receiver).toMatchObject({ host: '127.0.0.1', port: 5000 });
    expect(cfg.exporter.dataDir).toBe(join(tmp.dir, 'd'));
    expect(cfg.exporter.wal.fsync).toBe('never');
    expect(cfg.exporter.endpoint).toBe('http://ch:8123');
    expect(cfg.readApi.enabled).toBe(false);
    expect(cfg.signals).toEqual({ traces: true, logs: false });
    expect(() => loadConfig(file, {})).toThrow(
      /receivers\.otlp\.protocols\.http\.endpoint: environment variable PORT is not set/,
    );
    expect(() => loadConfig(join(tmp.dir, 'nope.yaml'), {})).toThrow(
      /config file .*nope\.yaml: cannot read it/,
    );
    writeFileSync(join(tmp.dir, 'bad.yaml'), 'receivers: [');
    expect(() => loadConfig(join(tmp.dir, 'bad.yaml'), {})).toThrow(/not valid YAML/);
  });
});

const DB_KEY = generateApiKey();

describe('exporters.clickhouse.database (real engine, official OTLP exporter)', () => {
  it('creates the schema in the configured database and exports spans there', async () => {
    const collector = await startCollector(
      testConfig(join(tmp.dir, 'db'), {
        processors: {
          promptline_auth: {
            keys: [
              {
                sha256: hashApiKey(DB_KEY),
                project: 'default',
                scopes: ['ingest', 'read', 'sql'],
                name: 't',
              },
            ],
          },
        },
        exporters: { clickhouse: { database: 'plx' } },
      }),
    );
    const auth = { authorization: `Bearer ${DB_KEY}` };
    try {
      const provider = new BasicTracerProvider({
        spanProcessors: [
          new SimpleSpanProcessor(
            new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, headers: auth }),
          ),
        ],
      });
      const tracer = provider.getTracer('database-test');
      const now = Date.now();
      for (let i = 0; i < 5; i++) {
        const span = tracer.startSpan('chat gpt-4o-mini', {
          kind: SpanKind.CLIENT,
          startTime: now - 30_000 + i * 100,
          attributes: {
            [GEN_AI.OPERATION_NAME]: 'chat',
            [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
            [GEN_AI.PROMPT_NAME]: 'db-check',
            [PROMPTLINE.PROMPT_VERSION]: i < 2 ? 1 : 2,
            [GEN_AI.USAGE_INPUT_TOKENS]: 10,
          },
        });
        span.end(now - 30_000 + i * 100 + 50);
      }
      await provider.forceFlush();
      await provider.shutdown();
      expect(await collector.flush(20_000)).toBe(true);
      expect(collector.metrics.exportRetries).toBe(0);

      const tables = await queryRows<{ database: string; name: string }>(
        collector.client,
        "SELECT database, name FROM system.tables WHERE name IN ('otel_traces', 'promptline_generations') ORDER BY database, name",
      );
      expect(tables).toEqual([
        { database: 'plx', name: 'otel_traces' },
        { database: 'plx', name: 'promptline_generations' },
      ]);
      const [spans] = await queryRows<{ n: string | number }>(
        collector.client,
        `SELECT count() AS n FROM plx.otel_traces WHERE SpanAttributes['${GEN_AI.PROMPT_NAME}'] = 'db-check'`,
      );
      expect(Number(spans!.n)).toBe(5);
      const gens = await queryRows<{ v: string | number; n: string | number }>(
        collector.client,
        "SELECT prompt_version AS v, count() AS n FROM plx.promptline_generations WHERE prompt_name = 'db-check' GROUP BY v ORDER BY v",
      );
      expect(gens.map((g) => [Number(g.v), Number(g.n)])).toEqual([
        [1, 2],
        [2, 3],
      ]);
      // The typed read API reads the same database.
      const res = await fetch(`${collector.url}/api/v1/metrics?prompt=db-check&since=1h`, { headers: auth });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { versions: Array<{ version: number; requests: number }> };
      expect(body.versions.map((v) => [v.version, v.requests]).sort((a, b) => a[0]! - b[0]!)).toEqual([
        [1, 2],
        [2, 3],
      ]);
    } finally {
      await collector.stop();
    }
  });

  it('ttl_days: 7 creates otel_traces and otel_logs with a 7-day TTL', async () => {
    // Same engine directory (one per process), a database of its own: the tables are created fresh.
    const collector = await startCollector(
      testConfig(join(tmp.dir, 'db'), {
        exporters: { clickhouse: { database: 'ttl7', ttl_days: 7, wal: { dir: join(tmp.dir, 'wal-ttl') } } },
      }),
    );
    try {
      const [traces] = await queryRows<{ statement: string }>(
        collector.client,
        'SHOW CREATE TABLE ttl7.otel_traces',
      );
      expect(traces!.statement).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)');
      const [logs] = await queryRows<{ statement: string }>(
        collector.client,
        'SHOW CREATE TABLE ttl7.otel_logs',
      );
      expect(logs!.statement).toContain('TTL TimestampTime + toIntervalDay(7)');
      // Without ttl_days (the other database): no TTL.
      const [plain] = await queryRows<{ statement: string }>(
        collector.client,
        'SHOW CREATE TABLE plx.otel_traces',
      );
      expect(plain!.statement).not.toContain('TTL');
    } finally {
      await collector.stop();
    }
  });
});

/**
 * The upstream OpenTelemetry Collector configs in collector-config/ are accepted by the real
 * collector: a binary built from source (OpenTelemetry Collector Builder, Go toolchain) with
 * exactly the contrib components of deploy/otelcol/builder-manifest.yaml runs
 * `validate --config` on each of them. The first run on a machine compiles the collector
 * (minutes; see bench/RESULTS.md for measured times); later runs reuse the cached binary.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureOtelcol, listComponents, validateConfig } from './support/otelcol.js';
import { isCollectorModule, offReleaseModules, parseGoVersionM } from './support/otelcolModules.js';

const root = resolve(import.meta.dirname, '../..');
const manifestPath = join(root, 'deploy/otelcol/builder-manifest.yaml');
const configs = ['collector-config/upstream-clickhouse.yaml', 'collector-config/upstream-forward.yaml'];

type Yaml = Record<string, unknown>;
const load = (rel: string): Yaml => parse(readFileSync(join(root, rel), 'utf8')) as Yaml;

/** Component type of an id such as `file_storage/queue` → `file_storage`. */
const typeOf = (id: string): string => id.split('/')[0] ?? id;

let binary = '';
let tmp = '';

beforeAll(async () => {
  const build = await ensureOtelcol(manifestPath);
  binary = build.binary;
  if (build.built) {
    // Reported so the CI cost of a cold build is visible in the test log.
    process.stdout.write(`built ${binary} in ${build.seconds}s\n`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'promptline-otelcol-'));
}, 60 * 60_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('upstream collector configs', () => {
  it.each(configs)('%s passes `otelcol validate` with its defaults', async (rel) => {
    const result = await validateConfig(binary, join(root, rel), {
      PROMPTLINE_API_KEY: 'pl_test_key',
      OTELCOL_QUEUE_DIR: join(tmp, 'queue'),
    });
    expect(result.output).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  });

  it('validate rejects a broken config, naming the problem (the check is real)', async () => {
    const doc = load('collector-config/upstream-clickhouse.yaml');
    const exporters = doc.exporters as Record<string, Yaml>;
    const clickhouse = exporters.clickhouse as Yaml;
    clickhouse.create_schemaa = false; // misspelt key
    const file = join(tmp, 'broken-key.yaml');
    writeFileSync(file, stringify(doc));
    const result = await validateConfig(binary, file, { OTELCOL_QUEUE_DIR: join(tmp, 'queue') });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('create_schemaa');

    const doc2 = load('collector-config/upstream-clickhouse.yaml');
    const service = doc2.service as { pipelines: Record<string, { processors: string[] }> };
    service.pipelines.traces!.processors.push('attributes/missing');
    const file2 = join(tmp, 'broken-ref.yaml');
    writeFileSync(file2, stringify(doc2));
    const result2 = await validateConfig(binary, file2, { OTELCOL_QUEUE_DIR: join(tmp, 'queue') });
    expect(result2.code).not.toBe(0);
    expect(result2.output).toContain('attributes/missing');
  });

  it('read PROMPTLINE_PROJECT and PROMPTLINE_COLLECTOR_URL, or their deprecated names when unset', async () => {
    /** The resolved config (`otelcol print-config`) of `rel` under `env`. */
    const resolved = async (rel: string, env: Record<string, string>): Promise<Yaml> => {
      const { stdout } = await promisify(execFile)(binary, ['print-config', '--config', join(root, rel)], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        timeout: 60_000,
      });
      return parse(stdout) as Yaml;
    };
    const base = { PROMPTLINE_API_KEY: 'pl_test_key', OTELCOL_QUEUE_DIR: join(tmp, 'queue') };
    const project = async (env: Record<string, string>): Promise<unknown> => {
      const doc = await resolved('collector-config/upstream-clickhouse.yaml', { ...base, ...env });
      const processors = doc.processors as Record<string, { attributes: Array<{ value: unknown }> }>;
      return processors['resource/project']!.attributes[0]!.value;
    };
    expect(await project({})).toBe('default');
    expect(await project({ PROMPTLINE_PROJECT_ID: 'old' })).toBe('old');
    expect(await project({ PROMPTLINE_PROJECT: 'new', PROMPTLINE_PROJECT_ID: 'old' })).toBe('new');
    const endpoint = async (env: Record<string, string>): Promise<unknown> => {
      const doc = await resolved('collector-config/upstream-forward.yaml', { ...base, ...env });
      return (doc.exporters as Record<string, Yaml>)['otlp_http/promptline']!.endpoint;
    };
    expect(await endpoint({})).toBe('http://promptline-collector:4318');
    expect(await endpoint({ PROMPTLINE_COLLECTOR_ENDPOINT: 'http://old:4318' })).toBe('http://old:4318');
    expect(
      await endpoint({
        PROMPTLINE_COLLECTOR_URL: 'http://new:4318',
        PROMPTLINE_COLLECTOR_ENDPOINT: 'http://old:4318',
      }),
    ).toBe('http://new:4318');
  });

  it('the built collector is linked from collector modules of the one pinned release only', async () => {
    // What the binary was built from (its embedded build info), not what the manifest asked for.
    const { stdout } = await promisify(execFile)('go', ['version', '-m', binary], {
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const modules = parseGoVersionM(stdout);
    expect(modules.filter((m) => isCollectorModule(m.path)).length).toBeGreaterThan(50);
    expect(offReleaseModules(modules)).toEqual([]);
  });

  it('the built collector has exactly the components the configs use', async () => {
    const built = await listComponents(binary);
    const used: Record<string, Set<string>> = {
      receivers: new Set(),
      processors: new Set(),
      exporters: new Set(),
      extensions: new Set(),
    };
    for (const rel of configs) {
      const doc = load(rel);
      for (const kind of Object.keys(used)) {
        for (const id of Object.keys((doc[kind] as Yaml | undefined) ?? {})) used[kind]!.add(typeOf(id));
      }
    }
    for (const kind of Object.keys(used)) {
      expect([...(built[kind] ?? [])].sort(), kind).toEqual([...used[kind]!].sort());
    }
  });

  it('writes into the schema the migrations own, with a persistent queue, limiter first', () => {
    const doc = load('collector-config/upstream-clickhouse.yaml');
    const ch = (doc.exporters as Record<string, Yaml>).clickhouse!;
    expect(ch.create_schema).toBe(false);
    expect(ch.traces_table_name).toBe('otel_traces');
    expect(ch.logs_table_name).toBe('otel_logs');
    for (const rel of configs) {
      const d = load(rel);
      const service = d.service as {
        extensions: string[];
        pipelines: Record<string, { processors: string[]; exporters: string[] }>;
      };
      for (const [name, p] of Object.entries(service.pipelines)) {
        expect(p.processors[0], `${rel} ${name}`).toBe('memory_limiter');
        expect(p.processors, `${rel} ${name}`).toContain('redaction');
        expect(p.processors.at(-1), `${rel} ${name}`).toBe('batch');
        for (const exporterId of p.exporters) {
          const queue = (d.exporters as Record<string, Yaml>)[exporterId]!.sending_queue as Yaml;
          expect(queue.enabled).toBe(true);
          expect(service.extensions).toContain(queue.storage);
          expect(typeOf(String(queue.storage))).toBe('file_storage');
        }
      }
    }
  });

  it('redaction never touches the keys that link a span to a prompt version', () => {
    const mustKeep = [
      GEN_AI.OPERATION_NAME,
      GEN_AI.PROVIDER_NAME,
      GEN_AI.SYSTEM,
      GEN_AI.REQUEST_MODEL,
      GEN_AI.RESPONSE_MODEL,
      GEN_AI.PROMPT_NAME,
      PROMPTLINE.PROMPT_VERSION,
      PROMPTLINE.PROMPT_LABEL,
      PROMPTLINE.PROMPT_HASH,
      PROMPTLINE.PROMPT_FALLBACK,
      RESOURCE.PROJECT_ID,
      RESOURCE.DEPLOYMENT_ENVIRONMENT,
      RESOURCE.SERVICE_NAME,
    ];
    for (const rel of configs) {
      const redaction = (load(rel).processors as Record<string, Yaml>).redaction!;
      expect([...(redaction.ignored_keys as string[])].sort(), rel).toEqual([...mustKeep].sort());
    }
  });

  it('the redaction patterns mask what they should and leave ids, hashes and timestamps', () => {
    const redaction = (load('collector-config/upstream-clickhouse.yaml').processors as Record<string, Yaml>)
      .redaction!;
    // RE2 and JavaScript agree on these patterns except for the inline (?i) flag.
    const patterns = (redaction.blocked_values as string[]).map((p) =>
      p.startsWith('(?i)') ? new RegExp(p.slice(4), 'i') : new RegExp(p),
    );
    const masked = (s: string): boolean => patterns.some((re) => re.test(s));
    for (const secret of [
      'mail me at jane.doe+x@example.co.uk',
      'card 4111 1111 1111 1111 exp 12/29',
      'card 5500-0000-0000-0004',
      'call +44 20 7946 0958 now',
      'key sk-proj-abcdefghijklmnopqrstuvwxyz012345',
      'AKIAIOSFODNN7EXAMPLE',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
    ]) {
      expect(masked(secret), secret).toBe(true);
    }
    for (const benign of [
      '0af7651916cd43dd8448eb211c80319c', // trace id
      'b7ad6b7169203331', // span id
      'sha256:3f1c9a0e5b7d2c4a6e8f0b1d3c5e7a9b', // prompt hash
      '1763740800123', // epoch milliseconds
      '1763740800123456789', // epoch nanoseconds
      'gpt-4o-mini-2024-07-18',
      'summarize-ticket v3 production',
    ]) {
      expect(masked(benign), benign).toBe(false);
    }
  });
});

import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { query, start, tempDir, testConfig } from './helpers.js';
import { bypassCorpus } from './sqlBypassCorpus.js';
import type { BypassCase } from './sqlBypassCorpus.js';

// Issue 17: the SQL endpoint of an embedded-engine collector ran arbitrary SQL (files read and
// written, every project's data and registry changed). The embedded engine cannot enforce a
// read-only mode (its client writes INTO OUTFILE files and runs every statement of a string, and
// readonly does not stop the scalar file() function), so the collector no longer serves raw SQL with
// it. Every technique of the corpus, sent every way a client can send SQL, must be refused with a
// 4xx and leave no trace: no file written, no secret in any answer, no request to the network, no
// table or registry row changed.

const INGEST = generateApiKey();
const SQL = generateApiKey();
const WRITE = generateApiKey();
const SECRET = `pl_${randomBytes(32).toString('base64url')}`;

interface Answer {
  status: number;
  body: string;
}

describe('SQL endpoint on the embedded engine: the bypass corpus', () => {
  const tmp = tempDir('promptline-bypass-');
  const secretPath = join(tmp.dir, 'keys.json');
  const outDir = join(tmp.dir, 'out');
  let collector: RunningCollector;
  let canary: Server;
  let canaryHits = 0;
  let cases: BypassCase[];
  const outPaths: string[] = [];

  /** Row count and content hash of every table, the list of tables, and the registry's answer. */
  async function state(): Promise<unknown> {
    const tables = await query<{ name: string; engine: string }>(
      collector.client,
      "SELECT name, engine FROM system.tables WHERE database = 'default' ORDER BY name",
    );
    const counts: Record<string, number> = {};
    for (const t of tables) {
      if (/View$/.test(t.engine)) continue;
      const [row] = await query<{ n: string }>(
        collector.client,
        `SELECT count() AS n FROM default.\`${t.name}\``,
      );
      counts[t.name] = Number(row?.n);
    }
    const hashes: Record<string, string> = {};
    for (const t of ['otel_traces', 'prompt_versions', 'prompt_label_events']) {
      const [row] = await query<{ h: string }>(
        collector.client,
        `SELECT toString(groupBitXor(cityHash64(*))) AS h FROM default.${t}`,
      );
      hashes[t] = row?.h ?? '';
    }
    const registry = await fetch(`${collector.url}/api/v1/prompts`, {
      headers: { authorization: `Bearer ${WRITE}` },
    }).then((r) => r.text());
    return { tables: tables.map((t) => t.name), counts, hashes, registry };
  }

  /** Name, size and mtime of every file under the temp dir outside the engine's and WAL's. */
  function files(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (path === join(tmp.dir, 'data') || path === join(tmp.dir, 'wal')) continue;
        const st = statSync(path);
        if (st.isDirectory()) walk(path);
        else out.push(`${path} ${st.size} ${st.mtimeMs}`);
      }
    };
    walk(tmp.dir);
    return out.sort();
  }

  beforeAll(async () => {
    writeFileSync(secretPath, `${JSON.stringify({ ingest: INGEST, admin: SECRET })}\n`, { mode: 0o600 });
    canary = createServer((_req, res) => {
      canaryHits++;
      res.end(`${SECRET}\n`);
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    const port = (canary.address() as AddressInfo).port;
    collector = await start(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: [
              { sha256: hashApiKey(INGEST), project: 'acme', scopes: ['ingest'], name: 'app' },
              { sha256: hashApiKey(SQL), project: 'acme', scopes: ['read', 'sql'], name: 'analyst' },
              { sha256: hashApiKey(WRITE), project: 'acme', scopes: ['read', 'write'], name: 'editor' },
            ],
          },
        },
      }),
    );
    cases = bypassCorpus({
      secret: secretPath,
      out: (name) => {
        const path = join(outDir, `${name.replace(/\W+/g, '-')}.txt`);
        outPaths.push(path);
        return path;
      },
      dir: tmp.dir,
      canary: `http://127.0.0.1:${port}`,
      canaryHostPort: `127.0.0.1:${port}`,
    });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [RESOURCE.SERVICE_NAME]: 'support' }),
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporter({
            url: `${collector.url}/v1/traces`,
            headers: { authorization: `Bearer ${INGEST}` },
          }),
        ),
      ],
    });
    const tracer = provider.getTracer('bypass-test');
    for (let i = 0; i < 5; i++) {
      const span = tracer.startSpan('chat', {
        kind: SpanKind.CLIENT,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROMPT_NAME]: 'support-answer',
          [PROMPTLINE.PROMPT_VERSION]: 1,
        },
      });
      span.end();
    }
    await provider.shutdown();
    expect(await collector.flush(20_000)).toBe(true);
    const created = await fetch(`${collector.url}/api/v1/prompts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'support-answer', template: 'Hello {{name}}', labels: ['staging'] }),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await collector?.stop();
    await new Promise((r) => canary?.close(r));
    tmp.remove();
  });

  /** Every way a ClickHouse client sends SQL to the endpoint. */
  async function sendEveryWay(c: BypassCase): Promise<Answer[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(c.params ?? {})) params.set(k === 'readonly' ? k : `param_${k}`, v);
    const bearer = { authorization: `Bearer ${SQL}` };
    const answers: Answer[] = [];
    const send = async (url: string, init: RequestInit): Promise<void> => {
      const res = await fetch(url, init);
      answers.push({ status: res.status, body: await res.text() });
    };
    const base = `${collector.url}/?${params.toString()}`;
    await send(base, { method: 'POST', headers: bearer, body: c.sql });
    await send(`${base}&query=${encodeURIComponent(c.sql)}`, { method: 'GET', headers: bearer });
    await send(`${base}&query=${encodeURIComponent(c.sql.slice(0, 10))}`, {
      method: 'POST',
      headers: bearer,
      body: c.sql.slice(10),
    });
    await send(base, {
      method: 'POST',
      headers: { ...bearer, 'content-encoding': 'gzip' },
      body: gzipSync(c.sql),
    });
    await send(base, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`default:${SQL}`).toString('base64')}` },
      body: c.sql,
    });
    await send(base, {
      method: 'POST',
      headers: { 'x-clickhouse-user': 'default', 'x-clickhouse-key': SQL },
      body: c.sql,
    });
    const ch = createClient({ url: collector.url, password: SQL, log: { level: ClickHouseLogLevel.OFF } });
    try {
      await ch
        .query({ query: c.sql, query_params: c.params ?? {}, format: 'TabSeparated' })
        .then(async (rs) => answers.push({ status: 200, body: await rs.text() }));
    } catch (e) {
      const err = e as Error;
      answers.push({
        status: /not served with the embedded engine/.test(err.message) ? 404 : 0,
        body: err.message,
      });
    } finally {
      await ch.close();
    }
    return answers;
  }

  it('refuses every case, every way it is sent, and nothing changes', { timeout: 300_000 }, async () => {
    const before = await state();
    const filesBefore = files();
    const rssBefore = process.memoryUsage().rss;
    for (const c of cases) {
      for (const a of await sendEveryWay(c)) {
        expect(a.status, `${c.name}: ${a.body}`).toBe(404);
        expect(a.body, c.name).toMatch(/not served with the embedded engine/);
        expect(a.body, c.name).toMatch(/typed API/);
        expect(a.body, c.name).not.toContain(SECRET);
      }
    }
    for (const path of outPaths) expect(existsSync(path), path).toBe(false);
    expect(existsSync(outDir)).toBe(false);
    expect(files()).toEqual(filesBefore);
    expect(canaryHits).toBe(0);
    expect(await state()).toEqual(before);
    // The memory bomb of the issue never reached the engine: the process did not grow by gigabytes.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
    const health = await fetch(`${collector.url}/healthz`);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
  });

  it('says what to use instead, to clients and to ping', async () => {
    const ch = createClient({ url: collector.url, password: SQL });
    try {
      await expect(ch.query({ query: 'SELECT 1' })).rejects.toThrow(
        /Read through the typed API instead \(\/api\/v1\/metrics/,
      );
      expect((await ch.ping()).success).toBe(false);
    } finally {
      await ch.close();
    }
    // The typed API still answers the same key.
    const typed = await fetch(`${collector.url}/api/v1/metrics?prompt=support-answer&since=1h`, {
      headers: { authorization: `Bearer ${SQL}` },
    });
    expect(typed.status).toBe(200);
    expect(((await typed.json()) as { versions: Array<{ requests: number }> }).versions[0]?.requests).toBe(5);
  });
});

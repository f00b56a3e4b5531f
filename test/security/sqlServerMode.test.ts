import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { insertTraces } from '@promptline/clickhouse';
import { hashApiKey, loadConfig, startCollector } from '@promptline/collector';
import type { RunningCollector } from '@promptline/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bypassCorpus } from '../../packages/collector/test/sqlBypassCorpus.js';
import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import type { ClickHouseProcess } from '../support/clickhouseProcess.js';
import { freePort } from '../support/ports.js';

// The SQL endpoint with a ClickHouse server: the collector forwards every request, unchanged, as
// the read-only user of deploy/clickhouse/single/users.xml. There is no ClickHouse server on the
// test machine, so "the server" is the HTTP fixture (real engine behind ClickHouse's HTTP protocol)
// with a reader session that holds the settings of the shipped `promptline_sql` profile. What this
// proves: the caller's text reaches ClickHouse only as the reader, never as the collector's writer;
// the caller cannot choose the user; the profile's readonly and limits stop every `profile` case of
// the corpus and the memory bomb inside the engine; per-key and byte bounds hold. What it cannot
// prove: the cases the corpus marks `http` (one statement per request, no INTO OUTFILE: a server's
// HTTP interface) and `grants` (the reader's missing source grants) — the fixture's engine runs those
// as a local client would, so they are not sent here.

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SQL_KEY = 'pl_sql_server_mode_analyst_key_00000000000000';
const OTHER_SQL_KEY = 'pl_sql_server_mode_other_key_0000000000000000';
const READER = 'promptline_reader';
const READER_PASSWORD = randomBytes(12).toString('hex');
const SECRET = `pl_${randomBytes(32).toString('base64url')}`;

/** The settings of one profile of a users.xml (leaf elements, constraints left out). */
function profileSettings(xml: string, profile: string): Record<string, string> {
  const block = new RegExp(`<${profile}>([\\s\\S]*?)</${profile}>`).exec(xml)?.[1];
  if (block === undefined) throw new Error(`profile ${profile} not found`);
  const settings: Record<string, string> = {};
  const leaves = block.replace(/<constraints>[\s\S]*?<\/constraints>/, '').replace(/<!--[\s\S]*?-->/g, '');
  for (const m of leaves.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) settings[m[1]!] = m[2]!.trim();
  return settings;
}

describe('SQL endpoint with a ClickHouse server: forwarded as the read-only reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-sql-server-'));
  const secretPath = join(dir, 'keys.json');
  const logPath = join(dir, 'fixture-log.jsonl');
  const outDir = join(dir, 'out');
  const profile = profileSettings(
    readFileSync(join(repo, 'deploy/clickhouse/single/users.xml'), 'utf8'),
    'promptline_sql',
  );
  let clickhouse: ClickHouseProcess;
  let collector: RunningCollector;
  let writer: ClickHouseClient;
  let canary: Server;
  let canaryHits = 0;

  async function state(): Promise<unknown> {
    const rows = async (sql: string): Promise<unknown[]> =>
      (await writer.query({ query: sql, format: 'JSONEachRow' })).json();
    return {
      tables: await rows("SELECT name FROM system.tables WHERE database = 'default' ORDER BY name"),
      traces: await rows('SELECT count() AS n, toString(groupBitXor(cityHash64(*))) AS h FROM otel_traces'),
      versions: await rows('SELECT count() AS n FROM prompt_versions'),
      labels: await rows('SELECT count() AS n FROM prompt_label_events'),
    };
  }

  function files(): string[] {
    return readdirSync(dir)
      .filter((n) => n !== 'ch' && n !== 'wal' && n !== 'fixture-log.jsonl')
      .map((n) => `${n} ${statSync(join(dir, n)).size}`)
      .sort();
  }

  beforeAll(async () => {
    expect(profile.readonly).toBe('1');
    writeFileSync(secretPath, `${JSON.stringify({ admin: SECRET })}\n`, { mode: 0o600 });
    canary = createServer((_req, res) => {
      canaryHits++;
      res.end(`${SECRET}\n`);
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    const port = await freePort();
    clickhouse = await startClickHouseProcess({
      dataDir: join(dir, 'ch'),
      port,
      env: {
        CHDB_FIXTURE_READER: `${READER}:${READER_PASSWORD}`,
        CHDB_FIXTURE_READER_SETTINGS: JSON.stringify(profile),
        CHDB_FIXTURE_LOG: logPath,
      },
    });
    collector = await startCollector(
      loadConfig(
        {
          receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
          processors: {
            promptline_auth: {
              keys: [
                { sha256: hashApiKey(SQL_KEY), project: 'acme', scopes: ['sql'], name: 'analyst' },
                { sha256: hashApiKey(OTHER_SQL_KEY), project: 'acme', scopes: ['sql'], name: 'other' },
              ],
            },
          },
          exporters: {
            clickhouse: { endpoint: clickhouse.url, username: 'default', wal: { dir: join(dir, 'wal') } },
          },
          extensions: {
            promptline_read_api: {
              enabled: true,
              sql: { username: READER, password: READER_PASSWORD, max_response_bytes: 200_000 },
            },
          },
          service: {
            telemetry: { logs: { level: 'silent' } },
            pipelines: {
              traces: { receivers: ['otlp'], processors: ['promptline_auth'], exporters: ['clickhouse'] },
            },
          },
        },
        {},
      ),
    );
    writer = createClient({ url: clickhouse.url });
    await insertTraces(
      writer,
      [
        {
          Timestamp: '2026-01-01 00:00:00.000000000',
          TraceId: '0af7651916cd43dd8448eb211c80319c',
          SpanId: 'b7ad6b7169203331',
          ParentSpanId: '',
          TraceState: '',
          SpanName: 'chat',
          SpanKind: 'Client',
          ServiceName: 'support',
          ResourceAttributes: { 'promptline.project.id': 'acme' },
          ScopeName: 't',
          ScopeVersion: '',
          SpanAttributes: { 'gen_ai.operation.name': 'chat' },
          Duration: 1_000_000,
          StatusCode: 'Ok',
          StatusMessage: '',
          'Events.Timestamp': [],
          'Events.Name': [],
          'Events.Attributes': [],
          'Links.TraceId': [],
          'Links.SpanId': [],
          'Links.TraceState': [],
          'Links.Attributes': [],
        },
      ],
      { dedupToken: 'sql-server-mode' },
    );
  }, 180_000);
  afterAll(async () => {
    await collector?.stop();
    await writer?.close();
    await clickhouse?.stop();
    await new Promise((r) => canary?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves reads to @clickhouse/client, as the reader, whatever user the caller names', async () => {
    const ch = createClient({ url: collector.url, username: 'default', password: SQL_KEY });
    try {
      const rs = await ch.query({
        query:
          "SELECT count() AS n, toString(getSetting('readonly')) AS ro FROM otel_traces WHERE SpanName = {s:String}",
        query_params: { s: 'chat' },
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([{ n: '1', ro: '1' }]);
      expect((await ch.ping()).success).toBe(true);
      const tables = await (
        await ch.query({ query: 'SHOW TABLES', format: 'JSONEachRow' })
      ).json<{ name: string }>();
      expect(tables.map((t) => t.name)).toContain('otel_traces');
      const columns = await (
        await ch.query({ query: 'DESCRIBE TABLE otel_traces', format: 'JSONEachRow' })
      ).json<{ name: string }>();
      expect(columns.map((c) => c.name)).toContain('TraceId');
    } finally {
      await ch.close();
    }
    // A caller naming a user in the URL or headers still runs as the reader.
    const res = await fetch(
      `${collector.url}/?user=default&password=&query=${encodeURIComponent("SELECT 'who-am-i'")}`,
      {
        headers: { authorization: `Bearer ${SQL_KEY}`, 'x-clickhouse-user': 'default' },
      },
    );
    expect(res.status).toBe(200);
    const log = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { user: string; query: string });
    expect(log.filter((l) => l.query.includes("'who-am-i'")).map((l) => l.user)).toEqual([READER]);
  });

  it(
    'the profile stops every case of the corpus in the engine; nothing written, read or changed',
    { timeout: 300_000 },
    async () => {
      const cases = bypassCorpus({
        secret: secretPath,
        out: (name) => join(outDir, `${name.replace(/\W+/g, '-')}.txt`),
        dir,
        canary: `http://127.0.0.1:${(canary.address() as AddressInfo).port}`,
        canaryHostPort: `127.0.0.1:${(canary.address() as AddressInfo).port}`,
      }).filter((c) => c.enforcedBy === 'profile');
      expect(cases.length).toBeGreaterThan(30);
      const before = await state();
      const filesBefore = files();
      for (const c of cases) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(c.params ?? {}))
          params.set(k === 'readonly' ? k : `param_${k}`, v);
        const res = await fetch(`${collector.url}/?${params.toString()}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${SQL_KEY}` },
          body: c.sql,
        });
        const body = await res.text();
        if (c.harmlessReadAllowed === true && res.status === 200) continue;
        expect(res.status, `${c.name}: ${body}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${c.name}: ${body}`).toBeLessThan(500);
        expect(body, c.name).not.toContain(SECRET);
        if (c.name === 'memory bomb') {
          // Refused by the engine's per-query memory limit of the profile, not by the collector.
          expect(res.headers.get('x-clickhouse-exception-code'), body).toBe('241');
          expect(body).toMatch(/memory limit exceeded/i);
        }
      }
      expect(existsSync(outDir)).toBe(false);
      expect(files()).toEqual(filesBefore);
      expect(canaryHits).toBe(0);
      expect(await state()).toEqual(before);
      // Only the reader ever received the corpus: the collector's writer session never ran it.
      const log = readFileSync(logPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { user: string; query: string });
      for (const c of cases) {
        const users = new Set(log.filter((l) => l.query.includes(c.sql)).map((l) => l.user));
        expect([...users], c.name).toEqual([READER]);
      }
      const health = await fetch(`${collector.url}/healthz`);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
    },
  );

  it('one request per key runs and one waits; a third gets 429, other keys are not held up', async () => {
    const send = (key: string, sql: string): Promise<number> =>
      fetch(`${collector.url}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: sql,
      }).then(async (r) => {
        await r.text();
        return r.status;
      });
    const slow = 'SELECT sleep(1.5)';
    const same = [send(SQL_KEY, slow), send(SQL_KEY, slow), send(SQL_KEY, slow)];
    const other = send(OTHER_SQL_KEY, 'SELECT 1');
    expect((await Promise.all(same)).sort()).toEqual([200, 200, 429]);
    expect(await other).toBe(200);
  });

  it('cuts a result larger than max_response_bytes', async () => {
    const res = await fetch(`${collector.url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SQL_KEY}` },
      body: 'SELECT number FROM numbers(100000)',
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('refuses to start with a reader that can write', async () => {
    await expect(
      startCollector(
        loadConfig(
          {
            receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
            exporters: {
              clickhouse: {
                endpoint: clickhouse.url,
                username: 'default',
                migrate: false,
                wal: { dir: join(dir, 'wal-2') },
              },
            },
            // The fixture runs every user but the reader as a writer (readonly = 0).
            extensions: { promptline_read_api: { enabled: true, sql: { username: 'someone_else' } } },
            service: {
              pipelines: { traces: { receivers: ['otlp'], processors: [], exporters: ['clickhouse'] } },
            },
          },
          {},
        ),
      ),
    ).rejects.toThrow(/"someone_else" of the SQL endpoint is not locked down: readonly = 0 \(must be 1\)/);
  });
});

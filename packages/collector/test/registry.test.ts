import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate, openClickHouse } from '@promptline/clickhouse';
import { parsePromptData, promptHash } from '@promptline/prompt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseRegistryStore } from '../src/registry/ClickHouseRegistryStore.js';
import type { RegistryCaller } from '../src/registry/PromptRegistry.js';
import { PromptRegistry } from '../src/registry/PromptRegistry.js';
import { RegistryError } from '../src/registry/RegistryError.js';

const writer: RegistryCaller = { projectId: 'p1', actor: 'ci-bot', scopes: ['read', 'write'] };
const admin: RegistryCaller = { projectId: 'p1', actor: 'alice', scopes: ['admin'] };
const reader: RegistryCaller = { projectId: 'p1', actor: 'app', scopes: ['read'] };
const ingestOnly: RegistryCaller = { projectId: 'p1', actor: 'otel', scopes: ['ingest'] };
const otherProject: RegistryCaller = { projectId: 'p2', actor: 'bob', scopes: ['admin'] };

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error('expected a RegistryError, the call succeeded');
}

describe('PromptRegistry on ClickHouse (embedded engine)', () => {
  let dir: string;
  let client: ClickHouseClient;
  let store: ClickHouseRegistryStore;
  let registry: PromptRegistry;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promptline-registry-'));
    client = openClickHouse({ path: dir });
    await migrate(client);
    store = new ClickHouseRegistryStore(client);
    registry = new PromptRegistry({ store });
  });
  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('20 concurrent creates of one prompt get versions 1..20, each exactly once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        registry.create(writer, {
          name: 'concurrent',
          template: `Answer #${i}: {{q}}`,
          commitMessage: `c${i}`,
        }),
      ),
    );
    const versions = results.map((r) => r.prompt.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each stored row is the content of the request that was told it got that number.
    for (const r of results) {
      const stored = await registry.get(reader, 'concurrent', { version: r.prompt.version });
      expect(stored.type === 'text' && stored.template).toBe(r.prompt.type === 'text' && r.prompt.template);
    }
    const rs = await client.query({
      query: `SELECT count() AS n, uniqExact(version) AS u, min(version) AS lo, max(version) AS hi
              FROM prompt_versions WHERE project_id = 'p1' AND name = 'concurrent'`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<Record<string, string | number>>();
    expect(Object.values(row ?? {}).map(Number)).toEqual([20, 20, 1, 20]);
    expect((await registry.get(reader, 'concurrent', {})).version).toBe(20);
  });

  it('writers with separate locks (as in separate processes) still never share or skip a number', async () => {
    // Two registries over one store: only the store's claim keeps them apart. The subclass only
    // counts lost claims, to show the race really happened.
    let lostClaims = 0;
    class CountingStore extends ClickHouseRegistryStore {
      override async claimVersion(
        row: Parameters<ClickHouseRegistryStore['claimVersion']>[0],
      ): Promise<boolean> {
        const won = await super.claimVersion(row);
        if (!won) lostClaims++;
        return won;
      }
    }
    const shared = new CountingStore(client);
    const one = new PromptRegistry({ store: shared });
    const other = new PromptRegistry({ store: shared });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? one : other).create(writer, { name: 'two-writers', template: `t${i}` }),
      ),
    );
    expect(results.map((r) => r.prompt.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const rs = await client.query({
      query: `SELECT count() AS n FROM prompt_versions WHERE project_id = 'p1' AND name = 'two-writers'`,
      format: 'JSONEachRow',
    });
    expect((await rs.json<{ n: string }>()).map((r) => Number(r.n))).toEqual([20]);
    expect(lostClaims).toBeGreaterThan(0);
  });

  it('a label move is atomic for concurrent readers', async () => {
    const name = 'atomic';
    for (let v = 1; v <= 3; v++) await registry.create(writer, { name, template: `content of v${v}` });
    await registry.moveLabel(admin, name, 'production', 1);
    const assigned = new Set<number>([1]);
    let stop = false;
    let reads = 0;
    const problems: string[] = [];
    const readerLoop = async (): Promise<void> => {
      while (!stop) {
        try {
          const p = await registry.get(reader, name, { label: 'production' });
          reads++;
          const template = p.type === 'text' ? p.template : '';
          if (!assigned.has(p.version)) problems.push(`read version ${p.version} never assigned`);
          if (template !== `content of v${p.version}`) problems.push(`v${p.version} read with "${template}"`);
        } catch (err) {
          problems.push(`read failed: ${String(err)}`);
        }
      }
    };
    const readers = Array.from({ length: 4 }, readerLoop);
    // Moves between existing versions, and to versions created just before the move.
    for (let i = 0; i < 12; i++) {
      let target: number;
      if (i % 3 === 2) {
        const { prompt } = await registry.create(writer, {
          name,
          template: `content of v${4 + Math.floor(i / 3)}`,
        });
        target = prompt.version;
      } else {
        target = (i % 3) + 1;
      }
      assigned.add(target);
      await registry.moveLabel(admin, name, 'production', target);
    }
    stop = true;
    await Promise.all(readers);
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    expect((await registry.get(reader, name, { label: 'production' })).version).toBe(7);
  });

  it('latest moves on create; production and custom labels by request; history has actor and time', async () => {
    const name = 'support/triage';
    const one = await registry.create(writer, {
      name,
      template: 'Triage {{ticket}}',
      commitMessage: 'first',
    });
    expect(one.prompt.labels).toEqual(['latest']);
    const two = await registry.create(writer, {
      name,
      type: 'chat',
      messages: [
        { role: 'system', content: 'You triage.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{ticket}}' },
      ],
      config: { model: 'gpt-4o-mini', temperature: 0.2 },
      outputSchema: { type: 'object', properties: { priority: { type: 'string' } }, required: ['priority'] },
      examples: [{ input: { ticket: 'down' }, output: { priority: 'p1' } }],
      labels: ['staging'],
    });
    expect(two.prompt.version).toBe(2);
    expect(two.prompt.labels).toEqual(['latest', 'staging']);
    expect((await registry.get(reader, name, { version: 1 })).labels).toEqual([]);

    const forbidden = await rejection(registry.moveLabel(writer, name, 'production', 1));
    expect([forbidden.status, forbidden.code]).toEqual([403, 'forbidden']);
    expect(forbidden.message).toContain('protected label "production"');
    await registry.moveLabel(admin, name, 'production', 1);
    await registry.moveLabel(writer, name, 'canary', 2);
    const move = await registry.moveLabel(admin, name, 'production', 2);
    expect(move).toMatchObject({ label: 'production', version: 2, previousVersion: 1, actor: 'alice' });

    const prod = await registry.get(reader, name, { label: 'production' });
    expect(prod.version).toBe(2);
    expect(prod.type).toBe('chat');
    expect(prod.config).toEqual({ model: 'gpt-4o-mini', temperature: 0.2 });
    expect(prod.outputSchema).toMatchObject({ required: ['priority'] });
    expect(prod.examples).toEqual([{ input: { ticket: 'down' }, output: { priority: 'p1' } }]);
    expect(prod.labels).toEqual(['latest', 'canary', 'production', 'staging']);
    expect(prod.createdBy).toBe('ci-bot');

    const history = await registry.history(reader, name);
    expect(history.map((h) => [h.label, h.version, h.previousVersion, h.actor])).toEqual([
      ['latest', 1, null, 'ci-bot'],
      ['latest', 2, 1, 'ci-bot'],
      ['staging', 2, null, 'ci-bot'],
      ['production', 1, null, 'alice'],
      ['canary', 2, null, 'ci-bot'],
      ['production', 2, 1, 'alice'],
    ]);
    const times = history.map((h) => Date.parse(h.movedAt));
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);
    expect(Math.abs((times.at(-1) as number) - Date.now())).toBeLessThan(60_000);
    expect((await registry.history(reader, name, 'production')).map((h) => h.version)).toEqual([1, 2]);

    const versions = await registry.versions(reader, name);
    expect(versions.map((v) => [v.version, v.type, v.labels])).toEqual([
      [1, 'text', []],
      [2, 'chat', ['latest', 'canary', 'production', 'staging']],
    ]);
    const listed = (await registry.list(reader)).find((p) => p.name === name);
    expect(listed).toMatchObject({
      latestVersion: 2,
      versionCount: 2,
      labels: { latest: 2, production: 2, canary: 2, staging: 2 },
    });
  });

  it('one project cannot see or move another project’s prompts', async () => {
    await registry.create(writer, { name: 'private', template: 'p1 only' });
    const notFound = await rejection(registry.get(otherProject, 'private', {}));
    expect([notFound.status, notFound.message]).toEqual([404, 'prompt "private" not found in this project']);
    expect((await registry.list(otherProject)).map((p) => p.name)).not.toContain('private');
    expect((await rejection(registry.moveLabel(otherProject, 'private', 'production', 1))).status).toBe(404);
    const own = await registry.create(otherProject, { name: 'private', template: 'p2 copy' });
    expect(own.prompt.version).toBe(1);
    const p1 = await registry.get(reader, 'private', {});
    expect(p1.type === 'text' && p1.template).toBe('p1 only');
  });

  it('scopes: read keys cannot write, write-only and ingest keys cannot read', async () => {
    const writeOnly: RegistryCaller = { projectId: 'p1', actor: 'w', scopes: ['write'] };
    expect((await rejection(registry.get(writeOnly, 'private', {}))).status).toBe(403);
    const e1 = await rejection(registry.create(reader, { name: 'x', template: 'y' }));
    expect([e1.status, e1.message]).toEqual([
      403,
      'creating a prompt version needs an API key with the "write" scope',
    ]);
    const e2 = await rejection(registry.get(ingestOnly, 'private', {}));
    expect(e2.status).toBe(403);
    const e3 = await rejection(registry.create(writer, { name: 'x', template: 'y', labels: ['production'] }));
    expect(e3.status).toBe(403);
    // Nothing was created by the refused requests.
    expect((await rejection(registry.get(reader, 'x', {}))).status).toBe(404);
  });

  it('onlyIfChanged is idempotent; an explicit version must be the next one', async () => {
    const name = 'idempotent';
    const a = await registry.create(writer, { name, template: 'same', onlyIfChanged: true });
    const b = await registry.create(writer, { name, template: 'same', onlyIfChanged: true });
    expect([a.created, a.prompt.version, b.created, b.prompt.version]).toEqual([true, 1, false, 1]);
    const c = await registry.create(writer, { name, template: 'changed', onlyIfChanged: true });
    expect([c.created, c.prompt.version]).toEqual([true, 2]);
    expect(c.prompt.hash).not.toBe(a.prompt.hash);
    // Explicit versions: same content at an existing number is a no-op, different content a 409.
    expect((await registry.create(writer, { name, template: 'same', version: 1 })).created).toBe(false);
    const clash = await rejection(registry.create(writer, { name, template: 'other', version: 2 }));
    expect([clash.status, clash.code]).toEqual([409, 'version_conflict']);
    expect(clash.message).toContain('bump the version to 3');
    const gap = await rejection(registry.create(writer, { name, template: 'other', version: 5 }));
    expect(gap.status).toBe(409);
    expect(gap.message).toContain('the next version is 3');
    expect((await registry.create(writer, { name, template: 'other', version: 3 })).prompt.version).toBe(3);
  });

  it('bad input gets a precise 4xx naming the problem', async () => {
    await registry.create(writer, { name: 'known', template: 'k' });
    const cases: [() => Promise<unknown>, number, string, RegExp][] = [
      [() => registry.get(reader, 'nope', {}), 404, 'not_found', /prompt "nope" not found in this project/],
      [
        () => registry.get(reader, 'known', { label: 'missing' }),
        404,
        'not_found',
        /prompt "known" has no label "missing"/,
      ],
      [
        () => registry.get(reader, 'known', { version: 9 }),
        404,
        'not_found',
        /prompt "known" has no version 9/,
      ],
      [
        () => registry.get(reader, 'known', { label: 'Bad Label!' }),
        400,
        'invalid_label',
        /label "Bad Label!" is invalid/,
      ],
      [
        () => registry.moveLabel(writer, 'known', 'UPPER', 1),
        400,
        'invalid_label',
        /label "UPPER" is invalid/,
      ],
      [
        () => registry.moveLabel(writer, 'known', 'latest', 1),
        400,
        'invalid_label',
        /"latest" moves by itself/,
      ],
      [
        () => registry.moveLabel(writer, 'known', 'staging', 0),
        400,
        'invalid_request',
        /version must be a positive integer/,
      ],
      [
        () => registry.create(writer, { name: '../etc', template: 'x' }),
        400,
        'invalid_name',
        /prompt name "..\/etc"/,
      ],
      [
        () => registry.create(writer, { name: 'big', template: 'x'.repeat(200_000) }),
        413,
        'too_large',
        /template is 200000 bytes; the limit is 131072/,
      ],
      [
        () => registry.create(writer, { name: 's', template: 'x', outputSchema: '{"type": "object",' }),
        400,
        'invalid_schema',
        /outputSchema is not valid JSON/,
      ],
      [
        () => registry.create(writer, { name: 's', template: 'x', outputSchema: { type: 'banana' } }),
        400,
        'invalid_schema',
        /outputSchema is not a valid JSON Schema: \/type/,
      ],
      [
        () =>
          registry.create(writer, {
            name: 's',
            template: 'x',
            outputSchema: { $ref: '#/definitions/missing' },
          }),
        400,
        'invalid_schema',
        /outputSchema does not compile/,
      ],
      [
        () => registry.create(writer, { name: 's', messages: [{ role: 'user' }] }),
        400,
        'invalid_prompt',
        /messages\[0\]/,
      ],
      [
        () => registry.create(writer, { name: 's', type: 'audio', template: 'x' }),
        400,
        'invalid_prompt',
        /"type"/,
      ],
      [
        () => registry.create(writer, { name: 's', template: 'x', labels: ['ok', 'NOT OK'] }),
        400,
        'invalid_label',
        /"NOT OK"/,
      ],
    ];
    for (const [call, status, code, message] of cases) {
      const err = await rejection(call());
      expect({ status: err.status, code: err.code }).toEqual({ status, code });
      expect(err.message).toMatch(message);
    }
    // None of the refused creates stored anything.
    for (const n of ['big', 's']) expect((await rejection(registry.get(reader, n, {}))).status).toBe(404);
  });

  it('templates the SDK rejects are refused with 400 invalid_prompt naming the problem; nothing is stored', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ name: 't/bad1', template: 'Hi {{ bad name }}' }, /"template".*bad name/],
      [{ name: 't/bad2', template: 'open {{x' }, /"template"/],
      [{ name: 't/bad3', template: '{{ 1bad }}' }, /"template".*1bad/],
      [
        {
          name: 't/bad4',
          messages: [
            { role: 'system', content: 'fine {{a}}' },
            { role: 'user', content: 'broken {{ b c }}' },
          ],
        },
        /messages\[1\]\.content/,
      ],
    ];
    for (const [body, message] of bad) {
      // The SDK's parser itself refuses each of these (so a stored version would break every client).
      expect(() => parsePromptData({ ...body, version: 1 })).toThrow();
      const err = await rejection(registry.create(writer, body));
      expect({ status: err.status, code: err.code }).toEqual({ status: 400, code: 'invalid_prompt' });
      expect(err.message).toMatch(message);
      expect((await rejection(registry.get(reader, body.name as string, {}))).status).toBe(404);
    }
  });

  it('the stored content hash is the SDK promptHash, for a chat prompt with config, schema and examples', async () => {
    const body = {
      name: 'hash/chat',
      messages: [
        { role: 'system', content: 'You triage {{product}} tickets.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{ticket}}' },
      ],
      config: { model: 'gpt-4o-mini', temperature: 0.2, stop: ['\n\n'] },
      outputSchema: {
        type: 'object',
        properties: { priority: { type: 'string', enum: ['low', 'high'] } },
        required: ['priority'],
      },
      examples: [{ input: { ticket: 'down' }, output: { priority: 'high' } }],
      metadata: { owner: 'support' },
    };
    const created = await registry.create(writer, body);
    const rs = await client.query({
      query: `SELECT content_hash FROM prompt_versions WHERE project_id = 'p1' AND name = 'hash/chat'`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ content_hash: string }>();
    const sdkHash = promptHash(parsePromptData({ ...body, version: created.prompt.version }));
    expect(rows.map((r) => r.content_hash)).toEqual([sdkHash]);
    // Each part counts: a different example gives a different hash.
    expect(
      promptHash(
        parsePromptData({ ...body, version: 1, examples: [{ input: { ticket: 'x' }, output: {} }] }),
      ),
    ).not.toBe(sdkHash);
    // What the registry serves back hashes the same in the SDK.
    const served = await registry.get(reader, 'hash/chat', {});
    expect(promptHash(parsePromptData(served))).toBe(sdkHash);
  });
});

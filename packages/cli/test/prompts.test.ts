import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestCollector } from '../../../test/kit/collector.js';
import type { TestCollector } from '../../../test/kit/collector.js';

import { parsePromptRef } from '../src/commands/prompts.js';
import { runCli } from '../src/program.js';
import { captureOutput } from './captureOutput.js';

const ADMIN = 'pl_cli_prompts_admin_key_0000000000000000000';
const WRITER = 'pl_cli_prompts_write_key_0000000000000000000';
const READER = 'pl_cli_prompts_read_key_00000000000000000000';

describe('promptline prompts (against a real collector on the embedded engine)', () => {
  let dir: string;
  let promptsDir: string;
  let collector: TestCollector;

  async function cli(args: string[], key = ADMIN): Promise<{ code: number; stdout: string; stderr: string }> {
    const cap = captureOutput();
    const code = await runCli(['--dir', dir, ...args, '--collector', collector.url, '--api-key', key], {
      out: cap.out,
      env: {},
    });
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
  }

  beforeAll(async () => {
    collector = await startTestCollector({
      prefix: 'promptline-cli-prompts-',
      keys: [
        { key: ADMIN, project: 'acme', scopes: ['admin'], name: 'alice' },
        { key: WRITER, project: 'acme', scopes: ['read', 'write'], name: 'ci' },
        { key: READER, project: 'acme', scopes: ['read'], name: 'app' },
      ],
    });
    dir = collector.dir;
    promptsDir = join(dir, 'prompts');
    await mkdir(join(promptsDir, 'support'), { recursive: true });
    await writeFile(
      join(promptsDir, 'summarize.prompt.yaml'),
      'version: 1\nlabels: [production]\ntemplate: "Summarize in {{n}} words: {{text}}"\nconfig:\n  model: gpt-4o-mini\n  temperature: 0.2\n',
    );
    await writeFile(
      join(promptsDir, 'support', 'triage.prompt.json'),
      JSON.stringify({
        version: 1,
        messages: [
          { role: 'system', content: 'You triage support tickets.' },
          { role: 'user', content: '{{ticket}}' },
        ],
      }),
    );
  });
  afterAll(async () => {
    await collector?.close();
  });

  it('push creates a version per prompt, and pushing again changes nothing', async () => {
    const first = await cli(['prompts', 'push', promptsDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('created   summarize v1');
    expect(first.stdout).toContain('created   support/triage v1');
    expect(first.stderr).toContain('2 created, 0 unchanged, 0 failed');
    const missing = await cli(['prompts', 'push', join(dir, 'no-such-folder')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error: prompt folder ${join(dir, 'no-such-folder')} does not exist`);
    const file = join(promptsDir, 'summarize.prompt.yaml');
    const notAFolder = await cli(['prompts', 'push', file]);
    expect(notAFolder.code).toBe(2);
    expect(notAFolder.stderr).toContain(`error: ${file} is a file, not a folder of prompt files`);
    const again = await cli(['prompts', 'push', promptsDir, '--json']);
    expect(again.code).toBe(0);
    const results = (
      JSON.parse(again.stdout) as { results: { name: string; status: string; version: number }[] }
    ).results;
    expect(results.map((r) => [r.name, r.status, r.version])).toEqual([
      ['summarize', 'unchanged', 1],
      ['support/triage', 'unchanged', 1],
    ]);
    const list = await cli(['prompts', 'list', '--json'], READER);
    const prompts = (
      JSON.parse(list.stdout) as { prompts: { name: string; versionCount: number; labels: object }[] }
    ).prompts;
    expect(prompts.map((p) => [p.name, p.versionCount, p.labels])).toEqual([
      ['summarize', 1, { latest: 1, production: 1 }],
      ['support/triage', 1, { latest: 1 }],
    ]);
  });

  it('changed content needs a version bump: refused with a hint, then created', async () => {
    const file = join(promptsDir, 'summarize.prompt.yaml');
    await writeFile(
      file,
      'version: 1\ntemplate: "Summarize briefly ({{n}} words): {{text}}"\nconfig:\n  model: gpt-4o-mini\n  temperature: 0.7\n',
    );
    const refused = await cli(['prompts', 'push', promptsDir]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /failed {4}summarize v1: registry: prompt "summarize" version 1 already exists with different content .*bump the version to 2 \(HTTP 409\)/,
    );
    expect(refused.stdout).toContain('unchanged support/triage v1');
    expect(refused.stderr).toContain('error: 1 of 2 prompts were not pushed');
    await writeFile(
      file,
      'version: 2\ntemplate: "Summarize briefly ({{n}} words): {{text}}"\nconfig:\n  model: gpt-4o-mini\n  temperature: 0.7\n',
    );
    const pushed = await cli(['prompts', 'push', promptsDir, '-m', 'shorter summaries'], WRITER);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain('created   summarize v2');
  });

  it('show resolves NAME, NAME@VERSION and NAME:LABEL', async () => {
    const latest = await cli(['prompts', 'show', 'summarize'], READER);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain('summarize v2  [text]  labels: latest');
    expect(latest.stdout).toContain('created');
    expect(latest.stdout).toContain('by ci');
    expect(latest.stdout).toContain('commit: shorter summaries');
    expect(latest.stdout).toContain('Summarize briefly ({{n}} words): {{text}}');
    const prod = await cli(['prompts', 'show', 'summarize:production', '--json'], READER);
    expect(JSON.parse(prod.stdout)).toMatchObject({
      version: 1,
      template: 'Summarize in {{n}} words: {{text}}',
    });
    const chat = await cli(['prompts', 'show', 'support/triage@1'], READER);
    expect(chat.stdout).toContain('[system]\nYou triage support tickets.\n[user]\n{{ticket}}');
    const missing = await cli(['prompts', 'show', 'nope'], READER);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: registry: prompt "nope" not found in this project (HTTP 404)');
  });

  it('diff shows the SDK diff between two versions or labels', async () => {
    const diff = await cli(['prompts', 'diff', 'summarize', 'production', '2'], READER);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('summarize: v1 (label "production") → v2 (version 2)');
    expect(diff.stdout).toContain('-Summarize in {{n}} words: {{text}}');
    expect(diff.stdout).toContain('+Summarize briefly ({{n}} words): {{text}}');
    expect(diff.stdout).toMatch(/similarity 0\.\d{3}, \+1 -1 lines/);
    expect(diff.stdout).toContain('config temperature: 0.2 → 0.7');
    const json = JSON.parse(
      (await cli(['prompts', 'diff', 'summarize', '1', '1', '--json'], READER)).stdout,
    ) as {
      identical: boolean;
    };
    expect(json.identical).toBe(true);
  });

  it('label moves a label (admin for production) and history lists the moves', async () => {
    const denied = await cli(['prompts', 'label', 'summarize', '2', 'production'], WRITER);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      'protected label "production" needs an API key with the "admin" scope (HTTP 403)',
    );
    const moved = await cli(['prompts', 'label', 'summarize', '2', 'production']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/^summarize production: v1 → v2 {2}\(by alice at \d{4}-\d\d-\d\dT/);
    const staging = await cli(['prompts', 'label', 'summarize', '1', 'staging'], WRITER);
    expect(staging.stdout).toContain('summarize staging: (new) → v1');
    const bad = await cli(['prompts', 'label', 'summarize', '1', 'Not A Label'], WRITER);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('label "Not A Label" is invalid');
    const empty = await cli(['prompts', 'label', 'summarize', '1', ''], WRITER);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('error: LABEL must name a label, e.g. production');

    const history = await cli(['prompts', 'history', 'summarize'], READER);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME +LABEL +FROM +TO +ACTOR$/);
    const rows = lines.slice(1).map((l) => l.split(/ {2,}/).slice(1));
    expect(rows).toEqual([
      ['latest', '-', 'v1', 'alice'],
      ['production', '-', 'v1', 'alice'],
      ['latest', 'v1', 'v2', 'ci'],
      ['production', 'v1', 'v2', 'alice'],
      ['staging', '-', 'v1', 'ci'],
    ]);
    const onlyProd = JSON.parse(
      (await cli(['prompts', 'history', 'summarize', '--label', 'production', '--json'], READER)).stdout,
    ) as {
      history: { version: number }[];
    };
    expect(onlyProd.history.map((h) => h.version)).toEqual([1, 2]);
  });

  it('says clearly when the collector cannot be reached', async () => {
    const cap = captureOutput();
    const code = await runCli(
      ['--dir', dir, 'prompts', 'list', '--collector', 'http://127.0.0.1:9', '--api-key', READER],
      {
        out: cap.out,
        env: {},
      },
    );
    expect(code).toBe(1);
    expect(cap.stderr()).toContain('error: cannot reach the collector at http://127.0.0.1:9');
    expect(cap.stderr()).toContain('hint: start it with `promptline up`');
  });

  it('with --dir naming a directory no collector runs for: says so, never asks the default port', async () => {
    const empty = join(dir, 'no-collector-here');
    await mkdir(empty, { recursive: true });
    const cap = captureOutput();
    const code = await runCli(['--dir', empty, 'prompts', 'list'], { out: cap.out, env: {} });
    expect(code).toBe(1);
    expect(cap.stderr()).toContain(`error: no collector is running for ${empty}`);
    expect(cap.stderr()).toContain(`promptline --dir ${empty} up`);
    expect(cap.stderr()).not.toContain('127.0.0.1:4318');
  });

  it('parses prompt references', () => {
    expect(parsePromptRef('a/b@12')).toEqual({ name: 'a/b', selector: { version: 12 } });
    expect(parsePromptRef('a/b:canary')).toEqual({ name: 'a/b', selector: { label: 'canary' } });
    expect(parsePromptRef('a/b')).toEqual({ name: 'a/b', selector: { label: 'latest' } });
    expect(() => parsePromptRef('a@x')).toThrow(/a version after "@" must be a positive integer/);
  });
});

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePromptSource, Prompt, PromptFileError, loadPromptFiles } from '@promptline/prompt';

const fixtures = join(import.meta.dirname, 'fixtures/prompts');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('prompts as code', () => {
  it('loads every prompt file with names from paths', async () => {
    const prompts = await loadPromptFiles(fixtures);
    expect(prompts.map((p) => [p.name, p.version, p.type])).toEqual([
      ['summarize', 2, 'text'],
      ['support/triage', 3, 'chat'],
    ]);
    const triage = prompts[1]!;
    expect(triage.config).toEqual({ model: 'gpt-4o-mini', temperature: 0 });
    expect(triage.type === 'chat' && triage.messages[1]).toEqual({ type: 'placeholder', name: 'history' });
  });

  it('serves loaded prompts by label and version', async () => {
    const source = new FilePromptSource(await loadPromptFiles(fixtures));
    const p = new Prompt(await source.fetchPrompt('support/triage', { label: 'production' }));
    expect(p.version).toBe(3);
    expect(p.compileChat({ ticket: 'refund?', history: [] })).toEqual([
      { role: 'system', content: 'Classify the ticket for team support.' },
      { role: 'user', content: 'refund?' },
    ]);
    expect((await source.fetchPrompt('summarize', { label: 'staging' })).version).toBe(2);
    expect((await source.fetchPrompt('summarize', { label: 'latest' })).version).toBe(2);
    await expect(source.fetchPrompt('summarize', { version: 1 })).rejects.toThrow('version 1 not found');
  });

  it('reports every bad file in one error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pl-prompts-'));
    dirs.push(dir);
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a/bad-version.prompt.yaml'), 'version: 0\ntemplate: hi\n');
    await writeFile(join(dir, 'wrong-name.prompt.yaml'), 'name: other\nversion: 1\ntemplate: hi\n');
    await writeFile(join(dir, 'broken.prompt.json'), '{ "version": ');
    await writeFile(join(dir, 'brace.prompt.yml'), 'version: 1\ntemplate: "oops {{ two words }}"\n');
    await writeFile(join(dir, 'ignored.yaml'), 'not: a prompt\n');
    let err: unknown;
    try {
      await loadPromptFiles(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromptFileError);
    const problems = (err as PromptFileError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/a\/bad-version\.prompt\.yaml: "version" must be a positive integer/);
    expect(problems.join('\n')).toMatch(
      /wrong-name\.prompt\.yaml: "name" is "other" but the file path says "wrong-name"/,
    );
    expect(problems.join('\n')).toMatch(/broken\.prompt\.json: cannot parse/);
    expect(problems.join('\n')).toMatch(/brace\.prompt\.yml: "template": invalid placeholder/);
  });
});

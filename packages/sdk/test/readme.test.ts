import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PromptClient, PromptNotFoundError, setLogSink } from '@promptline/sdk';
import type { PromptSource } from '@promptline/sdk';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

/** The kind of each `fallback:` in a block: `text` (a string literal) or `chat` (a list). */
function fallbackKinds(block: string): ('text' | 'chat')[] {
  return [...block.matchAll(/fallback:\s*(['"`[])/g)].map((m) => (m[1] === '[' ? 'chat' : 'text'));
}

describe('README examples', () => {
  it('never pairs a text fallback with compileChat() or a chat fallback with compileText()', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const checked: string[] = [];
    for (const block of blocks) {
      const kinds = fallbackKinds(block);
      if (kinds.length === 0) continue;
      const first = block.split('\n')[0] ?? '';
      if (block.includes('.compileChat(')) expect([first, kinds]).toEqual([first, kinds.map(() => 'chat')]);
      if (block.includes('.compileText(')) expect([first, kinds]).toEqual([first, kinds.map(() => 'text')]);
      checked.push(first);
    }
    expect(checked.length).toBeGreaterThanOrEqual(3);
  });

  it('the quick start works while the prompt source is down: its chat fallback compiles with compileChat()', async () => {
    const quickStart = blocks[0] ?? '';
    const literal = /fallback:\s*(\[[\s\S]*?\]),\n\s*\}\);/.exec(quickStart)?.[1];
    expect(literal).toBeDefined();
    // The literal is plain data (strings and objects): evaluate it as JSON after quoting the keys.
    const json = (literal ?? '')
      .replace(/(\w+):/g, '"$1":')
      .replace(/'/g, '"')
      .replace(/,(\s*[\]}])/g, '$1');
    const fallback = JSON.parse(json) as { role: string; content: string }[];
    const down: PromptSource = {
      fetchPrompt: (name, selector) => Promise.reject(new PromptNotFoundError(name, selector)),
    };
    const warned: string[] = [];
    setLogSink((level, line) => warned.push(`${level} ${line}`));
    const prompt = await new PromptClient({ source: down })
      .get('support/triage', { fallback })
      .finally(() => setLogSink(undefined));
    expect(prompt.isFallback).toBe(true);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(
      /^warn \[promptline\] warn: prompt "support\/triage" unavailable, using the caller's fallback/,
    );
    expect(prompt.compileChat({ ticket: 'Where is my refund?', history: [] })).toEqual([
      { role: 'system', content: 'Classify this support ticket.' },
      { role: 'user', content: 'Where is my refund?' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  Prompt,
  PromptCompileError,
  PromptDataError,
  TemplateSyntaxError,
  parsePromptData,
} from '@promptline/prompt';

const text = (template: string, extra: Record<string, unknown> = {}): Prompt =>
  new Prompt(parsePromptData({ name: 'p', version: 1, template, ...extra }));

describe('text prompt compile', () => {
  it('fills variables, with spaces inside braces and repeated use', () => {
    expect(text('Hi {{ name }}, {{name}}! {{n}}').compile({ name: 'Ada', n: 3 })).toBe('Hi Ada, Ada! 3');
  });

  it('lists every missing variable in one error', () => {
    const p = text('{{a}} {{b}} {{c|x}} {{d}} {{a}}');
    let err: unknown;
    try {
      p.compile({ b: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromptCompileError);
    expect((err as PromptCompileError).missing).toEqual(['a', 'd']);
    expect((err as Error).message).toBe('cannot compile prompt "p": missing variables: a, d');
  });

  it('uses inline defaults only when the variable is not given', () => {
    const p = text('Hello {{name|dear friend}}!');
    expect(p.compile({})).toBe('Hello dear friend!');
    expect(p.compile({ name: 'Bo' })).toBe('Hello Bo!');
    expect(p.compile({ name: '' })).toBe('Hello !');
  });

  it('strict mode also reports unused variables', () => {
    const p = text('{{a}}');
    expect(p.compile({ a: 1, extra: 2 })).toBe('1');
    expect(() => p.compile({ extra: 2, more: 3 }, { strict: true })).toThrow(
      'missing variables: a; unused variables: extra, more',
    );
  });

  it('renders literal braces through the backslash escape', () => {
    expect(text('JSON: \\{{"a": {{v}}}}').compile({ v: 1 })).toBe('JSON: {{"a": 1}}');
    expect(text('path \\\\{{v}}').compile({ v: 'x' })).toBe('path \\x');
    expect(text('a \\ b }} c').compile({})).toBe('a \\ b }} c');
  });

  it('rejects malformed placeholders with the offset and the fix', () => {
    expect(() => text('hi {{ bad name }}')).toThrow(PromptDataError);
    expect(() => text('hi {{ bad name }}')).toThrow(/offset 3.*"\\\{\{" for literal braces/);
    expect(() => text('open {{x')).toThrow(/unclosed "\{\{" at offset 5/);
  });

  it('renders objects as JSON', () => {
    expect(text('{{o}}').compile({ o: { a: [1, 2] } })).toBe('{"a":[1,2]}');
  });
});

describe('chat prompt compile', () => {
  const chat = new Prompt(
    parsePromptData({
      name: 'support',
      version: 3,
      messages: [
        { role: 'system', content: 'You help with {{topic}}.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{question}}' },
      ],
    }),
  );

  it('expands placeholders into message lists', () => {
    expect(chat.type).toBe('chat');
    expect(chat.variables).toEqual(['topic', 'history', 'question']);
    expect(
      chat.compile({
        topic: 'billing',
        question: 'Why?',
        history: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      }),
    ).toEqual([
      { role: 'system', content: 'You help with billing.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'Why?' },
    ]);
  });

  it('counts a missing placeholder as a missing variable', () => {
    expect(() => chat.compile({ topic: 't' })).toThrow('missing variables: history, question');
  });

  it('rejects a placeholder value that is not a message list', () => {
    expect(() => chat.compile({ topic: 't', question: 'q', history: 'nope' })).toThrow(/expects a list/);
  });
});

describe('prompt data', () => {
  it('reports every problem at once', () => {
    let err: unknown;
    try {
      parsePromptData({ name: '', version: 0, template: 5, labels: 'x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromptDataError);
    expect((err as PromptDataError).problems).toHaveLength(4);
  });

  it('hash depends on content, not on labels or metadata', () => {
    const a = text('x {{y}}', { labels: ['production'], config: { model: 'm', temperature: 0 } });
    const b = text('x {{y}}', {
      labels: ['staging'],
      metadata: { owner: 'me' },
      config: { temperature: 0, model: 'm' },
    });
    const c = text('x {{y}}', { config: { model: 'm', temperature: 0.1 } });
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });
});

describe('diff on real prompt pairs', () => {
  it('diffs a text prompt edit', () => {
    const v1 = new Prompt(
      parsePromptData({
        name: 'summarize',
        version: 1,
        template:
          'You are a concise assistant.\nSummarize the following article in {{sentences}} sentences.\n\nArticle:\n{{article}}\n',
        config: { model: 'gpt-4o-mini', temperature: 0.2 },
      }),
    );
    const v2 = new Prompt(
      parsePromptData({
        name: 'summarize',
        version: 2,
        template:
          'You are a concise assistant.\nSummarize the following article in {{sentences}} sentences for a {{audience}} reader.\n\nArticle:\n{{article}}\n',
        config: { model: 'gpt-4o', temperature: 0.2, max_tokens: 300 },
      }),
    );
    const d = v1.diff(v2);
    expect(d.addedLines).toBe(1);
    expect(d.removedLines).toBe(1);
    expect(d.variablesAdded).toEqual(['audience']);
    expect(d.variablesRemoved).toEqual([]);
    expect(d.configChanges).toEqual([
      { key: 'max_tokens', before: undefined, after: 300 },
      { key: 'model', before: 'gpt-4o-mini', after: 'gpt-4o' },
    ]);
    expect(d.similarity).toBeGreaterThan(0.85);
    expect(d.similarity).toBeLessThan(1);
    expect(d.identical).toBe(false);
    expect(d.unified).toContain('--- summarize@1');
    expect(d.unified).toContain('+++ summarize@2');
    expect(d.unified).toContain('-Summarize the following article in {{sentences}} sentences.');
    expect(d.unified).toContain(
      '+Summarize the following article in {{sentences}} sentences for a {{audience}} reader.',
    );
  });

  it('diffs a chat prompt that drops a variable and a message', () => {
    const v1 = new Prompt(
      parsePromptData({
        name: 'triage',
        version: 4,
        messages: [
          { role: 'system', content: 'Classify the ticket for team {{team}}.' },
          { role: 'user', content: '{{ticket}}' },
        ],
      }),
    );
    const v2 = new Prompt(
      parsePromptData({
        name: 'triage',
        version: 5,
        messages: [{ role: 'user', content: 'Classify: {{ticket}}' }],
      }),
    );
    const d = v1.diff(v2);
    expect(d.variablesRemoved).toEqual(['team']);
    expect(d.variablesAdded).toEqual([]);
    expect(d.removedLines).toBe(3);
    expect(d.addedLines).toBe(1);
    expect(v1.diff(v1).similarity).toBe(1);
    expect(v1.diff(v1).identical).toBe(true);
  });
});

it('exports TemplateSyntaxError for parse failures', () => {
  expect(new TemplateSyntaxError('x')).toBeInstanceOf(Error);
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prompt, PromptDataError, TemplateSyntaxError, parsePromptData } from '@promptline/prompt';

describe('parsers of outside input (fuzz-style)', () => {
  it('templates either parse or fail with TemplateSyntaxError, never anything else', () => {
    const braces = fc.string({
      unit: fc.constantFrom('{', '}', '\\', '|', 'a', '_', ' ', '1', '.'),
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.oneof(braces, fc.string()), (template) => {
        try {
          const p = new Prompt(parsePromptData({ name: 'fuzz', version: 1, template }));
          // Whatever parsed also compiles when every variable is given.
          const vars = Object.fromEntries(p.variables.map((v) => [v, 'v']));
          expect(typeof p.compile(vars)).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(PromptDataError);
          expect((err as PromptDataError).problems[0]).toMatch(/^"template": (unclosed|invalid placeholder)/);
        }
      }),
      { numRuns: 3000 },
    );
    expect(new TemplateSyntaxError('x').name).toBe('TemplateSyntaxError');
  });

  it('prompt data from any JSON either validates or fails with PromptDataError', () => {
    const field = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    const candidate = fc.record(
      {
        name: fc.oneof(fc.string(), field),
        version: fc.oneof(fc.integer({ min: -2, max: 5 }), field),
        template: fc.oneof(fc.string(), field),
        messages: fc.oneof(
          fc.array(fc.record({ role: fc.string(), content: fc.string() })),
          fc.array(fc.record({ type: fc.constant('placeholder'), name: fc.string() })),
          field,
        ),
        labels: field,
        config: field,
        type: fc.oneof(fc.constantFrom('text', 'chat', 'other'), field),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(candidate, fc.jsonValue()), (input) => {
        try {
          const data = parsePromptData(input);
          expect(Number.isInteger(data.version) && data.version >= 1).toBe(true);
          expect(() => new Prompt(data)).not.toThrow();
        } catch (err) {
          expect(err).toBeInstanceOf(PromptDataError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

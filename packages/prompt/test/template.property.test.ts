import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prompt, escapeTemplate, parsePromptData } from '@promptline/prompt';

const make = (template: string): Prompt =>
  new Prompt(parsePromptData({ name: 'prop', version: 1, template }));
// Text biased towards braces and backslashes, where escaping goes wrong.
const tricky = fc.string({ unit: fc.constantFrom('{', '}', '\\', 'a', ' ', '\n', '|'), maxLength: 40 });
const anyText = fc.oneof(tricky, fc.string({ maxLength: 60 }));
const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);

describe('template properties', () => {
  it('an escaped literal compiles back to itself', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(make(escapeTemplate(s)).compile({})).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('escaped literals around variables keep both intact', () => {
    fc.assert(
      fc.property(anyText, varName, fc.string({ maxLength: 20 }), anyText, (pre, name, value, post) => {
        // Documented limit: a literal ending in "\\" or "\\{" right before a placeholder is ambiguous.
        fc.pre(!/\\\{?$/.test(pre));
        const p = make(`${escapeTemplate(pre)}{{${name}}}${escapeTemplate(post)}`);
        expect(p.variables).toEqual([name]);
        expect(p.compile({ [name]: value })).toBe(`${pre}${value}${post}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('compile reports exactly the variables not given', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(varName, { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean()),
        (names, given) => {
          const p = make(names.map((n) => `{{${n}}}`).join(' - '));
          const vars: Record<string, string> = {};
          names.forEach((n, i) => {
            if (given[i] === true) vars[n] = n.toUpperCase();
          });
          const missing = names.filter((n) => !(n in vars));
          if (missing.length === 0) {
            expect(p.compile(vars)).toBe(names.map((n) => n.toUpperCase()).join(' - '));
          } else {
            expect(() => p.compile(vars)).toThrow(`missing variables: ${missing.join(', ')}`);
          }
        },
      ),
    );
  });
});

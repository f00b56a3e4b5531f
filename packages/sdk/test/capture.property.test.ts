import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeBounded } from '../src/tracing/capture.js';

describe('bounded capture serializer', () => {
  it('never exceeds the limit and equals JSON.stringify when it fits', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 16, max: 400 }), (value, max) => {
        const { text, truncated } = serializeBounded(value, max);
        expect(text.length).toBeLessThanOrEqual(max);
        const json = typeof value === 'string' ? value : JSON.stringify(value);
        if (json.length <= max) {
          expect(truncated).toBe(false);
          expect(text).toBe(typeof value === 'string' ? value : JSON.stringify(JSON.parse(json)));
        } else {
          expect(truncated).toBe(true);
          expect(json.startsWith(text)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

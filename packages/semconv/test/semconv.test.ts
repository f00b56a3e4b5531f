import { describe, expect, it } from 'vitest';
import { EVALUATION, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';

describe('attribute keys', () => {
  it('are unique across every group', () => {
    const all = [GEN_AI, PROMPTLINE, RESOURCE, EVALUATION].flatMap((g) => Object.values(g));
    expect(new Set(all).size).toBe(all.length);
  });

  it('keep our own keys out of the gen_ai namespace', () => {
    for (const key of Object.values(PROMPTLINE)) expect(key.startsWith('promptline.')).toBe(true);
    for (const key of Object.values(GEN_AI)) expect(key.startsWith('gen_ai.')).toBe(true);
  });
});

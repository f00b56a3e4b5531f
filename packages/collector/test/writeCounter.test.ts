import { afterAll, describe, expect, it } from 'vitest';
import { WriteCounter } from '../src/read/WriteCounter.js';
import { tempEngine } from '../../../test/kit/engine.js';

/**
 * The write counter over a real engine client: which versions a write moves, by what it is
 * attributed to (projects, and prompts within them), and that no version comes back after a write.
 */
describe('WriteCounter', () => {
  const engine = tempEngine();
  afterAll(() => engine.close());
  const write = (): Promise<unknown> => engine.client.command({ query: 'SELECT 1' });

  it('moves the versions of what a write may change, and only those', async () => {
    const writes = new WriteCounter();
    writes.count(engine.client);
    const versions = (): number[] => [
      writes.valueFor('acme'),
      writes.valueFor('acme', 'a'),
      writes.valueFor('acme', 'b'),
      writes.valueFor('globex'),
      writes.valueFor('globex', 'a'),
    ];
    const moved = async (run: () => Promise<unknown>): Promise<boolean[]> => {
      const before = versions();
      await run();
      return versions().map((v, i) => v !== before[i]);
    };
    // acme's prompt a: acme's project-wide version and a's move; b and globex do not.
    const promptA = { projects: new Set(['acme']), prompts: new Map([['acme', new Set(['a'])]]) };
    expect(await moved(() => writes.attributed(promptA, write))).toEqual([true, true, false, false, false]);
    // acme with its prompts untold: every acme version.
    expect(await moved(() => writes.attributed({ projects: new Set(['acme']) }, write))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    // No project told, or outside any attribution: everything.
    expect(await moved(() => writes.attributed({}, write))).toEqual([true, true, true, true, true]);
    expect(await moved(write)).toEqual([true, true, true, true, true]);
    // Nothing attributed (memory handed back): nothing.
    expect(await moved(() => writes.attributed({ projects: new Set() }, write))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    // Reads do not count.
    expect(await moved(() => engine.client.query({ query: 'SELECT 1' }))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('never gives a prompt a version it had before a write, when it starts its prompt counts afresh', async () => {
    const writes = new WriteCounter({ maxPrompts: 3 });
    writes.count(engine.client);
    const seen = new Map<string, Set<number>>();
    const note = (prompt: string): number => {
      const v = writes.valueFor('acme', prompt);
      const before = seen.get(prompt) ?? new Set<number>();
      seen.set(prompt, before.add(v));
      return v;
    };
    for (let round = 0; round < 12; round++) {
      const prompt = `p${round % 5}`;
      const before = note(prompt);
      const others = ['p0', 'p1', 'p2', 'p3', 'p4']
        .filter((p) => p !== prompt)
        .map((p) => [p, note(p)] as const);
      await writes.attributed(
        { projects: new Set(['acme']), prompts: new Map([['acme', new Set([prompt])]]) },
        write,
      );
      const after = writes.valueFor('acme', prompt);
      // The written prompt's version is new: none it had before.
      expect(after).not.toBe(before);
      expect(seen.get(prompt)!.has(after)).toBe(false);
      note(prompt);
      // Another prompt keeps its version unless the counts started afresh (then it is a new one).
      for (const [p, v] of others) {
        const now = writes.valueFor('acme', p);
        if (now !== v) expect(seen.get(p)!.has(now)).toBe(false);
      }
    }
  });
});

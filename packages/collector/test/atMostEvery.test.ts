import { describe, expect, it } from 'vitest';
import { atMostEvery } from '../src/server/atMostEvery.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('atMostEvery', () => {
  it('shares one call among concurrent callers, reuses its answer for the interval, then calls again', async () => {
    let calls = 0;
    const read = atMostEvery(150, async () => {
      calls++;
      await sleep(30);
      return calls;
    });
    expect(await Promise.all(Array.from({ length: 20 }, () => read()))).toEqual(Array(20).fill(1));
    expect(await read()).toBe(1);
    expect(calls).toBe(1);
    await sleep(200);
    expect(await read()).toBe(2);
    expect(calls).toBe(2);
  });

  it('counts the interval from when a slow call settled, and a failed call is retried after it too', async () => {
    let calls = 0;
    const read = atMostEvery(100, async () => {
      calls++;
      await sleep(150); // longer than the interval: callers during it still share it
      if (calls === 1) throw new Error('engine busy');
      return calls;
    });
    const first = read();
    await sleep(120);
    const during = read();
    await expect(first).rejects.toThrow('engine busy');
    await expect(during).rejects.toThrow('engine busy');
    expect(calls).toBe(1);
    await sleep(120);
    expect(await read()).toBe(2);
  });
});

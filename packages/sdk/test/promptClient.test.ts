import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PromptData, PromptSelector, PromptSource } from '@promptline/sdk';
import { PromptClient, PromptNotFoundError, setLogSink } from '@promptline/sdk';

/** A source whose answers the test controls: each call is recorded and waits for `release`. */
class ControlledSource implements PromptSource {
  calls: { name: string; selector: PromptSelector }[] = [];
  version = 1;
  failWith: Error | undefined;
  private gates: (() => void)[] = [];
  gated = false;

  async fetchPrompt(name: string, selector: PromptSelector): Promise<PromptData> {
    this.calls.push({ name, selector });
    if (this.gated) await new Promise<void>((r) => this.gates.push(r));
    if (this.failWith !== undefined) throw this.failWith;
    return {
      name,
      version: this.version,
      type: 'text',
      template: `v${this.version} {{x}}`,
      labels: ['production'],
    };
  }

  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

const logs: string[] = [];
beforeEach(() => {
  logs.length = 0;
  setLogSink((_level, line) => logs.push(line));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  setLogSink(undefined);
  vi.useRealTimers();
});

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('PromptClient cache', () => {
  it('serves fresh entries from memory and resolves labels by default to production', async () => {
    const source = new ControlledSource();
    const client = new PromptClient({ source, cacheTtlSeconds: 60 });
    const a = await client.get('greet');
    const b = await client.get('greet');
    expect(a).toBe(b);
    expect(a.label).toBe('production');
    expect(a.isFallback).toBe(false);
    expect(source.calls).toEqual([{ name: 'greet', selector: { label: 'production' } }]);
  });

  it('shares one fetch between concurrent first callers', async () => {
    const source = new ControlledSource();
    source.gated = true;
    const client = new PromptClient({ source });
    const pending = [client.get('greet'), client.get('greet'), client.get('greet')];
    await flush();
    source.release();
    const got = await Promise.all(pending);
    expect(source.calls).toHaveLength(1);
    expect(new Set(got).size).toBe(1);
  });

  it('stale-while-revalidate: returns stale at once, one refresh at a time, then the new version', async () => {
    const source = new ControlledSource();
    const client = new PromptClient({ source, cacheTtlSeconds: 10 });
    expect((await client.get('greet')).version).toBe(1);
    source.version = 2;
    source.gated = true;
    vi.setSystemTime(1_000_000 + 11_000);
    const stale = await Promise.all([client.get('greet'), client.get('greet'), client.get('greet')]);
    expect(stale.map((p) => p.version)).toEqual([1, 1, 1]);
    expect(source.calls).toHaveLength(2); // first fetch + exactly one refresh
    source.release();
    await flush();
    expect((await client.get('greet')).version).toBe(2);
    expect(source.calls).toHaveLength(2);
  });

  it('a failing refresh keeps the stale copy and logs once', async () => {
    const source = new ControlledSource();
    const client = new PromptClient({ source, cacheTtlSeconds: 1 });
    await client.get('greet');
    source.failWith = new Error('registry down');
    for (let i = 1; i <= 5; i++) {
      vi.setSystemTime(1_000_000 + i * 2000);
      const p = await client.get('greet');
      expect(p.version).toBe(1);
      expect(p.isFallback).toBe(false);
      await flush();
    }
    expect(source.calls).toHaveLength(6);
    const warnings = logs.filter((l) => l.includes('refreshing prompt "greet" failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('registry down');
    // Recovery resets the once-only log.
    source.failWith = undefined;
    source.version = 3;
    vi.setSystemTime(1_000_000 + 20_000);
    await client.get('greet');
    await flush();
    expect((await client.get('greet')).version).toBe(3);
  });

  it('without cache or fallback, the source error reaches the caller', async () => {
    const source = new ControlledSource();
    source.failWith = new PromptNotFoundError('nope', { label: 'production' });
    const client = new PromptClient({ source });
    await expect(client.get('nope')).rejects.toThrow('prompt "nope" with label "production" not found');
  });

  it('falls back when nothing could be fetched, marks it, and does not cache it', async () => {
    const source = new ControlledSource();
    source.failWith = new Error('offline');
    const client = new PromptClient({ source });
    const p = await client.get('greet', { label: 'staging', fallback: 'Hello {{x}}' });
    expect(p.isFallback).toBe(true);
    expect(p.version).toBe(0);
    expect(p.compile({ x: 'y' })).toBe('Hello y');
    source.failWith = undefined;
    const real = await client.get('greet', { label: 'staging' });
    expect(real.isFallback).toBe(false);
    expect(real.version).toBe(1);
    expect(source.calls).toHaveLength(2);
  });

  it('honours a per-call cacheTtlSeconds', async () => {
    const source = new ControlledSource();
    const client = new PromptClient({ source, cacheTtlSeconds: 3600 });
    await client.get('greet');
    vi.setSystemTime(1_000_000 + 5_000);
    await client.get('greet'); // fresh under the client TTL
    expect(source.calls).toHaveLength(1);
    await client.get('greet', { cacheTtlSeconds: 2 }); // stale under a 2 s TTL: one refresh
    await flush();
    expect(source.calls).toHaveLength(2);
  });

  it('fetches versions by number and rejects label + version together', async () => {
    const source = new ControlledSource();
    source.version = 7;
    const client = new PromptClient({ source });
    expect((await client.get('greet', { version: 7 })).label).toBeUndefined();
    expect(source.calls[0]!.selector).toEqual({ version: 7 });
    await expect(client.get('greet', { version: 1, label: 'x' })).rejects.toThrow('either label or version');
  });

  it('bounds the cache', async () => {
    const source = new ControlledSource();
    const client = new PromptClient({ source, maxEntries: 2 });
    await client.get('a');
    await client.get('b');
    await client.get('c');
    await client.get('a');
    expect(source.calls.map((c) => c.name)).toEqual(['a', 'b', 'c', 'a']);
  });
});

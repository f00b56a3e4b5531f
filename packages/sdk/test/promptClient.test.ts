import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PromptData, PromptSelector, PromptSource } from '@promptline/sdk';
import { FilePromptSource, PromptClient, PromptNotFoundError, setLogSink } from '@promptline/sdk';

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

  it('a refresh that finishes after its entry was evicted does not grow the cache past maxEntries', async () => {
    const source = new ControlledSource();
    const client = new PromptClient({ source, maxEntries: 2, cacheTtlSeconds: 3600 });
    await client.get('a');
    await client.get('b');
    source.gated = true;
    await client.get('a', { cacheTtlSeconds: 0 }); // stale: served, refresh of "a" now pending
    await flush();
    source.gated = false;
    await client.get('c'); // evicts "a" (the oldest fetched) while its refresh is pending
    source.release(); // the refresh of "a" completes and re-inserts it: "b" must go
    await flush();
    await flush();
    expect(source.calls.map((c) => c.name)).toEqual(['a', 'b', 'a', 'c']);
    await client.get('c');
    await client.get('a');
    expect(source.calls).toHaveLength(4); // "c" and "a" are cached
    await client.get('b');
    expect(source.calls.map((c) => c.name)).toEqual(['a', 'b', 'a', 'c', 'b']); // "b" was evicted
  });
});

/** A source that never answers: each call waits until the client's timeout aborts it. */
class HangingSource implements PromptSource {
  calls = 0;
  fetchPrompt(_name: string, _selector: PromptSelector, signal?: AbortSignal): Promise<PromptData> {
    this.calls++;
    return new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }
}

describe('PromptClient fallback path', () => {
  it('warns once per key until recovery, and retries the source at most once per backoff window', async () => {
    const source = new ControlledSource();
    source.failWith = new Error('registry down');
    const client = new PromptClient({ source, failureBackoffSeconds: 5 });
    for (let i = 0; i < 10; i++) {
      const p = await client.get('greet', { fallback: 'fb {{x}}' });
      expect(p.isFallback).toBe(true);
    }
    expect(source.calls).toHaveLength(1); // in backoff: fallback served without asking the source
    vi.setSystemTime(1_000_000 + 5_001);
    expect((await client.get('greet', { fallback: 'fb {{x}}' })).isFallback).toBe(true);
    expect((await client.get('greet', { fallback: 'fb {{x}}' })).isFallback).toBe(true);
    expect(source.calls).toHaveLength(2); // one retry after the window
    // Another key has its own window and its own warning.
    await client.get('other', { fallback: 'fb' });
    const warnings = logs.filter((l) => l.includes('unavailable, using the caller'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('prompt "greet"');
    expect(warnings[0]).toContain('registry down');
    expect(warnings[1]).toContain('prompt "other"');
    // Recovery: the next retry succeeds, and a later failure warns again.
    source.failWith = undefined;
    vi.setSystemTime(1_000_000 + 11_000);
    const real = await client.get('greet', { fallback: 'fb {{x}}' });
    expect([real.isFallback, real.version]).toEqual([false, 1]);
    client.invalidate('greet');
    source.failWith = new Error('down again');
    await client.get('greet', { fallback: 'fb {{x}}' });
    expect(logs.filter((l) => l.includes('prompt "greet" unavailable'))).toHaveLength(2);
  });

  it('with a hanging registry only the first call waits for the timeout; the next ones get the fallback at once', async () => {
    const source = new HangingSource();
    const client = new PromptClient({ source, fetchTimeoutMs: 50 });
    const first = await client.get('greet', { fallback: 'fb' });
    expect(first.isFallback).toBe(true);
    const rest = await Promise.all(Array.from({ length: 20 }, () => client.get('greet', { fallback: 'fb' })));
    expect(rest.every((p) => p.isFallback)).toBe(true);
    expect(source.calls).toBe(1);
    // Without a fallback the caller still gets a real attempt (and its error).
    await expect(client.get('greet')).rejects.toThrow();
    expect(source.calls).toBe(2);
  });
});

describe('PromptClient over prompts as code', () => {
  it('serves FilePromptSource prompts by label and version', async () => {
    const client = new PromptClient({
      source: new FilePromptSource([
        {
          name: 'summarize',
          version: 2,
          type: 'text',
          template: 'Sum {{text}}',
          labels: ['production', 'staging'],
        },
      ]),
    });
    expect((await client.get('summarize')).version).toBe(2);
    expect((await client.get('summarize', { label: 'latest' })).compile({ text: 'x' })).toBe('Sum x');
    await expect(client.get('summarize', { version: 1 })).rejects.toThrow('version 1 not found');
  });
});

import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  HttpPromptSource,
  init,
  observe,
  PromptClient,
  setLogSink,
  updateActiveGeneration,
  VariantChooser,
} from '@promptline/sdk';
import type { Prompt, PromptlineTelemetry } from '@promptline/sdk';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startRegistryCollector } from './registryCollector.js';
import type { RegistryCollector } from './registryCollector.js';

/**
 * The SDK's PromptClient over the registry's HTTP API on a real collector: label resolution,
 * spans carrying the resolved version and label, stale-while-revalidate, and what happens when the
 * registry goes down (cached copy, then the caller's fallback, never linked).
 */
describe('SDK PromptClient over the registry API', () => {
  let reg: RegistryCollector;
  let telemetry: PromptlineTelemetry;
  const exporter = new InMemorySpanExporter();
  const logs: string[] = [];

  async function generate(prompt: Prompt, spanName: string): Promise<ReadableSpan> {
    const call = observe(async () => prompt.compile({ name: 'Ada' }), {
      name: spanName,
      asType: 'generation',
      prompt,
      model: 'gpt-4o-mini',
    });
    await call();
    await telemetry.forceFlush();
    const span = exporter.getFinishedSpans().find((s) => s.name === spanName);
    if (span === undefined) throw new Error(`span ${spanName} was not exported`);
    return span;
  }

  beforeAll(async () => {
    setLogSink((level, message) => logs.push(`${level} ${message}`));
    telemetry = init({ serviceName: 'registry-sdk-test', spanExporter: exporter, scheduledDelayMillis: 10 });
    reg = await startRegistryCollector();
    for (const template of ['Hello {{name}} (v1)', 'Hi {{name}} (v2)', 'Hey {{name}} (v3)']) {
      expect(
        (await reg.call('POST', '/api/v1/prompts', 'write', { name: 'app/greet', template })).status,
      ).toBe(201);
    }
    expect(
      (await reg.call('PUT', '/api/v1/prompts/app%2Fgreet/labels/production', 'admin', { version: 1 }))
        .status,
    ).toBe(200);
    expect(
      (await reg.call('PUT', '/api/v1/prompts/app%2Fgreet/labels/variant-b', 'write', { version: 3 })).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await telemetry.shutdown();
    await reg.close();
  });

  it('fetches by label and version; spans carry the resolved version and label', async () => {
    const client = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }),
    });
    const prod = await client.get('app/greet', { label: 'production' });
    expect([prod.version, prod.label, prod.isFallback]).toEqual([1, 'production', false]);
    expect(prod.compile({ name: 'Ada' })).toBe('Hello Ada (v1)');
    const latest = await client.get('app/greet', { label: 'latest' });
    expect(latest.version).toBe(3);
    const v2 = await client.get('app/greet', { version: 2 });
    expect([v2.version, v2.label]).toEqual([2, undefined]);

    const span = await generate(prod, 'gen-production');
    expect(span.attributes[GEN_AI.PROMPT_NAME]).toBe('app/greet');
    expect(span.attributes[PROMPTLINE.PROMPT_VERSION]).toBe(1);
    expect(span.attributes[PROMPTLINE.PROMPT_LABEL]).toBe('production');
    expect(span.attributes[PROMPTLINE.PROMPT_FALLBACK]).toBeUndefined();
    // The registry's content hash is the SDK's: the link on the span names the same content.
    const stored = await reg.call('GET', '/api/v1/prompts/app%2Fgreet?version=1', 'read');
    expect(span.attributes[PROMPTLINE.PROMPT_HASH]).toBe(stored.body.hash);
  });

  it('an unknown prompt is a PromptNotFoundError; a key of another project sees nothing', async () => {
    const client = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }),
    });
    await expect(client.get('does-not-exist', { label: 'production' })).rejects.toMatchObject({
      name: 'PromptNotFoundError',
    });
    const other = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.otherProject }),
    });
    await expect(other.get('app/greet', { label: 'production' })).rejects.toMatchObject({
      name: 'PromptNotFoundError',
    });
  });

  it('a label move reaches the client through stale-while-revalidate', async () => {
    const client = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }),
      cacheTtlSeconds: 0.05,
    });
    await reg.call('POST', '/api/v1/prompts', 'write', { name: 'swr', template: 'one' });
    await reg.call('POST', '/api/v1/prompts', 'write', { name: 'swr', template: 'two' });
    await reg.call('PUT', '/api/v1/prompts/swr/labels/staging', 'write', { version: 1 });
    expect((await client.get('swr', { label: 'staging' })).version).toBe(1);
    await reg.call('PUT', '/api/v1/prompts/swr/labels/staging', 'write', { version: 2 });
    await new Promise((r) => setTimeout(r, 80));
    // Stale copy served at once while one refresh runs…
    expect((await client.get('swr', { label: 'staging' })).version).toBe(1);
    // …and the refreshed version afterwards.
    let version = 1;
    for (let i = 0; i < 50 && version === 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      version = (await client.get('swr', { label: 'staging' })).version;
    }
    expect(version).toBe(2);
  });

  it('an A/B chooser picks labels, and spans carry arm, resolved label and version', async () => {
    const client = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }),
    });
    const chooser = new VariantChooser({
      name: 'greeting-tone',
      arms: [
        { label: 'production', weight: 50, name: 'control' },
        { label: 'variant-b', weight: 50, name: 'b' },
      ],
    });
    const seen = new Map<string, number>();
    for (let u = 0; u < 40; u++) {
      const spanName = `ab-${u}`;
      const call = observe(
        async () => {
          const choice = chooser.choose(`user-${u}`);
          const prompt = await client.get('app/greet', { label: choice.label });
          updateActiveGeneration({ prompt });
          return prompt.version;
        },
        { name: spanName, asType: 'generation', model: 'gpt-4o-mini' },
      );
      await call();
    }
    await telemetry.forceFlush();
    for (const span of exporter.getFinishedSpans().filter((s) => s.name.startsWith('ab-'))) {
      const arm = String(span.attributes[PROMPTLINE.EXPERIMENT_ARM]);
      const label = String(span.attributes[PROMPTLINE.PROMPT_LABEL]);
      expect(span.attributes[PROMPTLINE.EXPERIMENT_NAME]).toBe('greeting-tone');
      expect(label).toBe(arm === 'control' ? 'production' : 'variant-b');
      expect(span.attributes[PROMPTLINE.PROMPT_VERSION]).toBe(arm === 'control' ? 1 : 3);
      seen.set(arm, (seen.get(arm) ?? 0) + 1);
    }
    expect((seen.get('control') ?? 0) + (seen.get('b') ?? 0)).toBe(40);
    expect(seen.get('control')).toBeGreaterThan(5);
    expect(seen.get('b')).toBeGreaterThan(5);
  });

  it('registry down: the cached prompt is served (still linked), then the fallback (never linked)', async () => {
    const client = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }),
      cacheTtlSeconds: 0.01,
      fetchTimeoutMs: 2000,
    });
    const before = await client.get('app/greet', { label: 'production' });
    expect(before.version).toBe(1);

    await reg.collector.stop();
    logs.length = 0;
    await new Promise((r) => setTimeout(r, 30));
    // Stale and the refresh fails: the cached version keeps being served, linked as before.
    for (let i = 0; i < 3; i++) {
      const cached = await client.get('app/greet', { label: 'production' });
      expect([cached.version, cached.isFallback]).toEqual([1, false]);
      await new Promise((r) => setTimeout(r, 30));
    }
    const cachedSpan = await generate(await client.get('app/greet', { label: 'production' }), 'gen-cached');
    expect(cachedSpan.attributes[PROMPTLINE.PROMPT_VERSION]).toBe(1);
    expect(cachedSpan.attributes[PROMPTLINE.PROMPT_LABEL]).toBe('production');
    // The failed refresh was logged once, not once per call.
    expect(
      logs.filter((l) => l.includes('refreshing prompt "app/greet" failed') && l.startsWith('warn')),
    ).toHaveLength(1);

    // Nothing cached (another label / a fresh process): the caller's fallback, unlinked.
    const fresh = new PromptClient({ source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }) });
    const fallback = await fresh.get('app/greet', {
      label: 'production',
      fallback: 'Hello {{name}} (fallback)',
    });
    expect([fallback.isFallback, fallback.version]).toEqual([true, 0]);
    expect(fallback.compile({ name: 'Ada' })).toBe('Hello Ada (fallback)');
    const fallbackSpan = await generate(fallback, 'gen-fallback');
    expect(fallbackSpan.attributes[PROMPTLINE.PROMPT_FALLBACK]).toBe(true);
    expect(fallbackSpan.attributes[PROMPTLINE.PROMPT_VERSION]).toBeUndefined();
    expect(fallbackSpan.attributes[PROMPTLINE.PROMPT_LABEL]).toBeUndefined();
    expect(fallbackSpan.attributes[GEN_AI.PROMPT_NAME]).toBeUndefined();
    expect(fallbackSpan.attributes[PROMPTLINE.PROMPT_HASH]).toBeUndefined();
    // Without a fallback the transport error reaches the caller (nothing to serve).
    await expect(fresh.get('app/greet', { label: 'staging' })).rejects.toThrow();
  });
});

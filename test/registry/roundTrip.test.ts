import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@promptline/cli';
import type { Output } from '@promptline/cli';
import { metricsByVersion, trafficShareByLabel } from '@promptline/clickhouse';
import { HttpPromptSource, init, observe, PromptClient, updateActiveGeneration } from '@promptline/sdk';
import type { Prompt, PromptlineTelemetry } from '@promptline/sdk';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startRegistryCollector } from './registryCollector.js';
import type { RegistryCollector } from './registryCollector.js';

function capture(): { out: Output; stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  const out: Output = {
    line: (t = '') => void (stdout += `${t}\n`),
    json: (v) => void (stdout += `${JSON.stringify(v)}\n`),
    note: (t) => void (stderr += `${t}\n`),
    warn: (t) => void (stderr += `warning: ${t}\n`),
    error: (t, hint) => void (stderr += `error: ${t}\n${hint === undefined ? '' : `  hint: ${hint}\n`}`),
    progress: () => ({ done: () => undefined, fail: () => undefined }),
  };
  return { out, stdout: () => stdout, stderr: () => stderr };
}

/**
 * Round trip through every real part: prompt files → `promptline prompts push` → registry tables →
 * SDK `PromptClient` over HTTP (by label) → generation spans carrying the resolved version and label
 * → OTLP into the same collector → ClickHouse → per-version metrics (typed queries and `promptline metrics`).
 */
describe('registry round trip: files → push → SDK by label → spans → per-version metrics', () => {
  let reg: RegistryCollector;
  let home: string;
  let telemetry: PromptlineTelemetry;
  const started = new Date(Date.now() - 60_000);

  async function cli(args: string[], key: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const cap = capture();
    const code = await runCli(['--dir', home, ...args, '--collector', reg.url, '--api-key', key], {
      out: cap.out,
      env: {},
    });
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
  }

  async function generate(prompt: Prompt, latencyMs: number, outputTokens: number): Promise<void> {
    const call = observe(
      async () => {
        await new Promise((r) => setTimeout(r, latencyMs));
        updateActiveGeneration({ usage: { inputTokens: 100, outputTokens } });
        return prompt.compile({ question: 'What is OTLP?' });
      },
      { name: 'answer', asType: 'generation', prompt, model: 'gpt-4o-mini', provider: 'openai' },
    );
    await call();
  }

  beforeAll(async () => {
    reg = await startRegistryCollector();
    home = await mkdtemp(join(tmpdir(), 'promptline-roundtrip-'));
    telemetry = init({
      serviceName: 'roundtrip-app',
      endpoint: reg.url,
      apiKey: KEYS.ingest,
      scheduledDelayMillis: 20,
    });
  });
  afterAll(async () => {
    await telemetry?.shutdown();
    await reg?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('links every span to the version its label resolved to, and the metrics split by version', async () => {
    const dir = join(home, 'prompts');
    await mkdir(join(dir, 'qa'), { recursive: true });
    const file = join(dir, 'qa', 'answer.prompt.yaml');
    await writeFile(file, 'version: 1\nlabels: [production]\ntemplate: "Answer: {{question}}"\n');
    const push1 = await cli(['prompts', 'push', dir], KEYS.admin);
    expect(push1.code, push1.stderr).toBe(0);
    expect(push1.stdout).toContain('created   qa/answer v1');
    // Idempotent.
    expect((await cli(['prompts', 'push', dir], KEYS.admin)).stdout).toContain('unchanged qa/answer v1');

    const prompts = new PromptClient({
      source: new HttpPromptSource({ baseUrl: reg.url, apiKey: KEYS.read }),
    });
    const v1 = await prompts.get('qa/answer', { label: 'production' });
    expect([v1.version, v1.label]).toEqual([1, 'production']);
    for (let i = 0; i < 3; i++) await generate(v1, 5, 40);

    await writeFile(file, 'version: 2\nlabels: [production]\ntemplate: "Answer briefly: {{question}}"\n');
    const push2 = await cli(['prompts', 'push', dir, '-m', 'brief answers'], KEYS.admin);
    expect(push2.stdout).toContain('created   qa/answer v2');
    prompts.invalidate('qa/answer');
    const v2 = await prompts.get('qa/answer', { label: 'production' });
    expect([v2.version, v2.label]).toEqual([2, 'production']);
    for (let i = 0; i < 2; i++) await generate(v2, 5, 10);

    await telemetry.forceFlush();
    expect(await reg.collector.flush(20_000)).toBe(true);

    // The raw spans carry name, version and label exactly as resolved.
    const rs = await reg.collector.client.query({
      query: `SELECT SpanAttributes[{v:String}] AS version, SpanAttributes[{l:String}] AS label, count() AS n
              FROM otel_traces WHERE SpanAttributes[{p:String}] = 'qa/answer'
              GROUP BY version, label ORDER BY version`,
      query_params: { v: PROMPTLINE.PROMPT_VERSION, l: PROMPTLINE.PROMPT_LABEL, p: GEN_AI.PROMPT_NAME },
      format: 'JSONEachRow',
    });
    const rows = (await rs.json<{ version: string; label: string; n: string | number }>()).map((r) => [
      r.version,
      r.label,
      Number(r.n),
    ]);
    expect(rows).toEqual([
      ['1', 'production', 3],
      ['2', 'production', 2],
    ]);

    // Per-version metrics through the schema's typed queries (what `promptline metrics` reads).
    const window = {
      promptName: 'qa/answer',
      projectId: 'acme',
      from: started,
      to: new Date(Date.now() + 60_000),
    };
    const metrics = await metricsByVersion(reg.collector.client, window);
    expect(metrics.map((m) => [m.version, m.requests, m.errors, m.outputTokens])).toEqual([
      [2, 2, 0, 20],
      [1, 3, 0, 120],
    ]);
    const shares = await trafficShareByLabel(reg.collector.client, window);
    expect(shares.map((s) => [s.label, s.version, s.requests])).toEqual([
      ['production', 1, 3],
      ['production', 2, 2],
    ]);

    // …and `promptline metrics` (through the collector's read API) shows them per version.
    const report = await cli(['metrics', '--prompt', 'qa/answer', '--since', '1h', '--json'], KEYS.read);
    expect(report.code, report.stderr).toBe(0);
    const parsed = JSON.parse(report.stdout) as {
      prompt: string;
      versions: {
        version: number;
        labels: string[];
        count: number;
        tokens: { output: number };
        latencyMs: { p50: number };
      }[];
    };
    expect(parsed.prompt).toBe('qa/answer');
    expect(parsed.versions.map((v) => [v.version, v.labels, v.count, v.tokens.output])).toEqual([
      [2, ['production'], 2, 20],
      [1, ['production'], 3, 120],
    ]);
    for (const v of parsed.versions) expect(v.latencyMs.p50).toBeGreaterThanOrEqual(4);

    // The registry's own deployment history says when production moved.
    const history = await cli(
      ['prompts', 'history', 'qa/answer', '--label', 'production', '--json'],
      KEYS.read,
    );
    const moves = (
      JSON.parse(history.stdout) as { history: { version: number; previousVersion: number | null }[] }
    ).history;
    expect(moves.map((m) => [m.previousVersion, m.version])).toEqual([
      [null, 1],
      [1, 2],
    ]);
  });
});

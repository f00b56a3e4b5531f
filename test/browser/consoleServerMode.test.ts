/**
 * The console in server mode: `promptline up --clickhouse URL` (the ClickHouse HTTP fixture, real
 * engine, its own process) serves the same console; the browser logs in with the printed link and
 * the pages show what the read API answers from the server.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fmtCount, fmtMs } from '@promptline/console/format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser, requireBrowser } from '../support/browser.js';
import type { Browser } from '../support/browser.js';
import { CLI_BIN, cleanEnv, requireBuilt } from '../support/builtCli.js';
import { startClickHouseProcess } from '../support/clickhouseProcess.js';
import { collectorQueueBytes } from '../support/collectorProcess.js';
import type { ClickHouseProcess } from '../support/clickhouseProcess.js';
import { generationSpans, generationSpecs, otlpProtobuf, postTraces } from '../support/generationSpans.js';
import { freePort } from '../support/ports.js';
import { blankCharts, cspViolations, settle, visit } from './support/consolePages.js';

describe('the console with a ClickHouse server (promptline up --clickhouse)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-console-server-'));
  let clickhouse: ClickHouseProcess | undefined;
  let up: ChildProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    requireBuilt();
    requireBrowser();
    clickhouse = await startClickHouseProcess({ dataDir: join(dir, 'ch'), port: await freePort() });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (up !== undefined && up.exitCode === null) {
      const exited = new Promise((r) => up!.once('exit', r));
      up.kill('SIGINT');
      await exited;
    }
    await clickhouse?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console and reads the server through the read API', { timeout: 180_000 }, async () => {
    const home = join(dir, 'home');
    up = spawn(
      process.execPath,
      [CLI_BIN, '--dir', home, 'up', '--port', '0', '--clickhouse', clickhouse!.url],
      {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    up.stdout!.on('data', (c: Buffer) => (log += c.toString('utf8')));
    up.stderr!.on('data', (c: Buffer) => (log += c.toString('utf8')));
    let login: string | undefined;
    for (const deadline = Date.now() + 60_000; login === undefined;) {
      login = /^ {2}console {5}(http:\/\/\S+\/\?token=\S+)$/m.exec(log)?.[1];
      if (up.exitCode !== null || Date.now() > deadline)
        throw new Error(`promptline up did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(log).toContain(`storage     ClickHouse at ${clickhouse!.url}`);
    const state = JSON.parse(await readFile(join(home, 'collector.json'), 'utf8')) as {
      url: string;
      readKey: string;
      ingestKey: string;
    };
    const specs = generationSpecs({
      count: 60,
      prompt: 'server-mode',
      versions: [1, 2],
      seed: 5,
      startMs: Date.now() - 60_000,
    });
    expect((await postTraces(state.url, otlpProtobuf(generationSpans(specs)), state.ingestKey)).status).toBe(
      200,
    );
    const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
      const u = new URL(path, state.url);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      const res = await fetch(u, { headers: { authorization: `Bearer ${state.readKey}` } });
      expect(res.status, u.pathname).toBe(200);
      return (await res.json()) as T;
    };
    for (const until = Date.now() + 30_000; ;) {
      const m = await api<{ versions: Array<{ requests: number }> }>('/api/v1/metrics', {
        prompt: 'server-mode',
        since: '1h',
      });
      if (
        m.versions.reduce((a, v) => a + v.requests, 0) === specs.length &&
        (await collectorQueueBytes(state.url)) === 0
      )
        break;
      if (Date.now() > until) throw new Error('spans not in ClickHouse after 30 s');
      await new Promise((r) => setTimeout(r, 300));
    }

    browser = await launchBrowser();
    const { page } = browser;
    await page.goto(login);
    await page.waitForSelector('#prompts-table');
    await settle(page);
    const w = {
      from: (await page.locator('.window').getAttribute('data-from'))!,
      to: (await page.locator('.window').getAttribute('data-to'))!,
    };
    const overview = await api<{ prompts: Array<{ name: string; requests: number; latencyP95Ms: number }> }>(
      '/api/v1/overview',
      w,
    );
    expect(overview.prompts.map((p) => p.name)).toEqual(['server-mode']);
    const row = page.locator('tr[data-prompt="server-mode"]');
    expect(await row.locator('[data-fig="requests"]').innerText()).toBe(fmtCount(specs.length));
    expect(await row.locator('[data-fig="latencyP95Ms"]').innerText()).toBe(
      fmtMs(overview.prompts[0]!.latencyP95Ms),
    );

    await visit(page, '#/prompt/server-mode');
    const metrics = await api<{ versions: Array<{ version: number; requests: number }> }>('/api/v1/metrics', {
      prompt: 'server-mode',
      ...w,
    });
    for (const v of metrics.versions)
      expect(
        await page
          .locator(`#versions-table tr[data-version="${v.version}"] [data-fig="requests"]`)
          .innerText(),
      ).toBe(fmtCount(v.requests));
    const charts = await blankCharts(page);
    expect(charts.charts).toBeGreaterThanOrEqual(8);
    expect(charts.blank).toEqual([]);

    // A generation's detail reads the span from the server's otel_traces.
    await visit(page, '#/prompt/server-mode/generations?version=2');
    await page.locator('#generations-table tbody tr th a').first().click();
    await settle(page);
    expect(await page.locator('h1').innerText()).toContain('server-mode v2');
    expect(cspViolations(browser.messages)).toEqual([]);
  });
});

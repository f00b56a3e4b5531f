/**
 * The console in a real browser (Debian's Chromium through playwright-core) on the demo's data:
 * the demo runs on a temp home dir, `promptline up` serves it, the browser logs in with the link
 * `up` printed, visits every page and checks that the page shows exactly what the read API answers,
 * that charts drew, that the demo's label move is a marker, that logins fail without a valid
 * token, and, on every page, axe-core (no serious or critical violation), keyboard reach and the
 * CSP. Screenshots of every page go to the test's temp dir (the path is printed).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fmtCount, fmtMs, fmtNum, fmtP, fmtRate, fmtUsd, versionLabel } from '@promptline/console/format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser, requireBrowser } from '../support/browser.js';
import type { Browser } from '../support/browser.js';
import { CLI_BIN, cleanEnv, requireBuilt } from '../support/builtCli.js';
import { collectorQueueBytes } from '../support/collectorProcess.js';
import { runDemo } from '../support/demo.js';
import { generationSpans, generationSpecs, otlpProtobuf, postTraces } from '../support/generationSpans.js';
import {
  blankCharts,
  cspViolations,
  pixelsOfColor,
  seriousViolations,
  settle,
  unreachableByKeyboard,
  visit,
  waitShown,
} from './support/consolePages.js';

const PROMPT = 'support-reply';
/** A third prompt, sent by the test: production serves v1 for 20 minutes, then v2 (a found move). */
const MOVED = 'triage';
/**
 * A fourth prompt, sent as other SDKs send versions: production serves v1 for 20 minutes, then the
 * named version 2.1.0 (`gen_ai.prompt.version`), which the console must show by its name.
 */
const NAMED = 'release-notes';
const NAMED_VERSION = '2.1.0';

interface State {
  url: string;
  readKey: string;
  ingestKey: string;
}

describe('the console in Chromium, on the demo data', () => {
  const home = mkdtempSync(join(tmpdir(), 'promptline-console-'));
  const shots = join(home, 'screenshots');
  let up: ChildProcess | undefined;
  let upLog = '';
  let loginUrl = '';
  let state: State;
  let browser: Browser;
  const timings: Record<string, number> = {};

  /** The read API with the read key, as any other client would call it. */
  const api = async <T>(
    path: string,
    params: Record<string, string | number | undefined> = {},
  ): Promise<T> => {
    const u = new URL(path, state.url);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v));
    const res = await fetch(u, { headers: { authorization: `Bearer ${state.readKey}` } });
    if (!res.ok) throw new Error(`${u.pathname}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  /** Waits until the read API counts `count` calls of `prompt` in the last hour (30 s at most). */
  const stored = async (prompt: string, count: number): Promise<void> => {
    for (const until = Date.now() + 30_000; ;) {
      const m = await api<{ versions: Array<{ requests: number }> }>('/api/v1/metrics', {
        prompt,
        since: '1h',
      });
      // The count shows the spans arrived; an empty queue that their insert finished, so every
      // table (the aggregates the pages read too) holds them.
      if (
        m.versions.reduce((a, v) => a + v.requests, 0) === count &&
        (await collectorQueueBytes(state.url)) === 0
      )
        return;
      if (Date.now() > until) throw new Error(`${prompt}: spans not stored after 30 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** The window the page asked for (every request of a view uses the same one). */
  const pageWindow = async (): Promise<{ from: string; to: string }> => {
    const el = browser.page.locator('.window').first();
    return { from: (await el.getAttribute('data-from'))!, to: (await el.getAttribute('data-to'))! };
  };
  const cell = (row: string, fig: string) => browser.page.locator(`${row} [data-fig="${fig}"]`).first();
  const expectFig = async (row: string, fig: string, value: number | null, text: string): Promise<void> => {
    const c = cell(row, fig);
    const shown = await c.getAttribute('data-value');
    if (value === null) expect(shown, `${row} ${fig}`).toBe('');
    // Sums of floats may differ in the last bits between two reads (the engine's summation order).
    else if (Number.isInteger(value)) expect(Number(shown), `${row} ${fig}`).toBe(value);
    else
      expect(Math.abs(Number(shown) - value), `${row} ${fig}: ${shown} vs ${value}`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(value)),
      );
    expect((await c.innerText()).split(/\s+n=|\s+\[/)[0]!.trim(), `${row} ${fig} text`).toBe(text);
  };
  const checkEveryPageRule = async (name: string): Promise<void> => {
    const violations = await seriousViolations(browser.page);
    expect(violations, `${name}: axe`).toEqual([]);
    expect(await unreachableByKeyboard(browser.page), `${name}: keyboard`).toEqual([]);
    expect(cspViolations(browser.messages), `${name}: CSP`).toEqual([]);
    expect(
      browser.messages.filter((m) => m.startsWith('error') || m.startsWith('pageerror')),
      `${name}: console errors`,
    ).toEqual([]);
    await browser.page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    requireBuilt(['sdk']);
    requireBrowser();
    mkdirSync(shots, { recursive: true });
    const demo = await runDemo(join(home, 'home'), 90_000);
    if (demo.status !== 0) throw new Error(`the demo failed:\n${demo.stdout}\n${demo.stderr}`);
    expect(demo.stdout).toMatch(/promptline\.js --dir \S+ console\s+# a new one-time console login link/);
    up = spawn(process.execPath, [CLI_BIN, '--dir', join(home, 'home'), 'up', '--port', '0'], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up.stdout!.on('data', (c: Buffer) => (upLog += c.toString('utf8')));
    up.stderr!.on('data', (c: Buffer) => (upLog += c.toString('utf8')));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = /^ {2}console {5}(http:\/\/\S+\/\?token=\S+)$/m.exec(upLog);
      if (m !== null) {
        loginUrl = m[1]!;
        break;
      }
      if (up.exitCode !== null || Date.now() > deadline)
        throw new Error(`promptline up did not print a login link:\n${upLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    state = JSON.parse(await readFile(join(home, 'home', 'collector.json'), 'utf8')) as State;
    // The demo's phases take seconds, less than the minute resolution at which moves are found in
    // traffic: a prompt whose production label moved 20 minutes ago gives the regressions page a move.
    const now = Date.now();
    const specs = generationSpecs({
      count: 240,
      prompt: MOVED,
      versions: [1, 2],
      seed: 11,
      startMs: now,
    }).map((s, i) => ({
      ...s,
      version: i < 120 ? 1 : 2,
      label: 'production',
      startMs: now - 40 * 60_000 + i * 10_000,
      durationMs: (i < 120 ? 200 : 500) + (s.durationMs % 100),
    }));
    const named = generationSpecs({
      count: 160,
      prompt: NAMED,
      versions: [1, 2],
      seed: 12,
      startMs: now,
    }).map((s, i) => ({
      ...s,
      version: i < 80 ? 1 : 2,
      ...(i < 80 ? {} : { versionText: NAMED_VERSION }),
      label: 'production',
      startMs: now - 40 * 60_000 + 5_000 + i * 15_000,
      durationMs: (i < 80 ? 200 : 450) + (s.durationMs % 100),
    }));
    const posted = await postTraces(
      state.url,
      otlpProtobuf(generationSpans([...specs, ...named])),
      state.ingestKey,
    );
    expect(posted.status).toBe(200);
    await stored(MOVED, specs.length);
    await stored(NAMED, named.length);
    // A time zone other than UTC: every time the console shows must still be UTC.
    browser = await launchBrowser({ timezoneId: 'America/New_York' });
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    if (up !== undefined && up.exitCode === null) {
      const exited = new Promise((r) => up!.once('exit', r));
      up.kill('SIGINT');
      await exited;
    }
    // Not when the set-up stopped before it made the directory (its error says why).
    if (existsSync(shots)) {
      writeFileSync(join(shots, 'timings.json'), `${JSON.stringify(timings)}\n`);
      process.stdout.write(`console screenshots: ${shots}\n`);
    }
    rmSync(join(home, 'home'), { recursive: true, force: true });
  });

  it('without a valid token: the login page, and 401 for the page and every API call', async () => {
    const { page } = browser;
    const bare = await page.goto(`${state.url}/`);
    expect(bare!.status()).toBe(401);
    await page.waitForSelector('main.login input[type="password"]');
    const wrong = await page.goto(`${state.url}/?token=not-a-valid-token`);
    expect(wrong!.status()).toBe(401);
    await expect.poll(() => page.locator('[data-testid="login-error"]').innerText()).toContain('not valid');
    const statuses = await page.evaluate(async () =>
      Promise.all(
        ['/api/v1/console/session', '/api/v1/overview', `/api/v1/metrics?prompt=support-reply`].map(
          async (p) => (await fetch(p)).status,
        ),
      ),
    );
    expect(statuses).toEqual([401, 401, 401]);
    expect(await seriousViolations(page), 'login: axe').toEqual([]);
    expect(await unreachableByKeyboard(page), 'login: keyboard').toEqual([]);
    await page.screenshot({ path: join(shots, 'login.png') });
    browser.messages.length = 0;
  });

  it('logs in with the link `promptline up` printed, once', async () => {
    const { page, context } = browser;
    const res = await page.goto(loginUrl);
    // Redirected to `/` without the token, with a session cookie the page's scripts cannot read.
    expect(res!.status()).toBe(200);
    expect(page.url()).toBe(`${state.url}/`);
    await page.waitForSelector('[data-testid="project"]');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'promptline_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const again = await launchBrowser();
    try {
      const reused = await again.page.goto(loginUrl);
      expect(reused!.status()).toBe(401);
      await again.page.waitForSelector('[data-testid="login-error"]');
    } finally {
      await again.close();
    }
    await settle(page);
    browser.messages.length = 0;
  });

  it('Prompts: every prompt with the read API’s figures and a sparkline', async () => {
    const { page } = browser;
    await visit(page, '#/');
    await page.waitForSelector('#prompts-table');
    const w = await pageWindow();
    const overview = await api<{
      prompts: Array<
        Record<string, number> & {
          name: string;
          lastVersion: { version: number; versionName: string } | null;
          labelsSeen: Record<string, { version: number; versionName: string }>;
        }
      >;
    }>('/api/v1/overview', w);
    expect(overview.prompts.map((p) => p.name).sort()).toEqual(['math-tutor', NAMED, 'support-reply', MOVED]);
    for (const p of overview.prompts) {
      const row = `tr[data-prompt="${p.name}"]`;
      await expectFig(row, 'requests', p.requests!, fmtCount(p.requests));
      await expectFig(row, 'errorRate', p.errorRate!, fmtRate(p.errorRate));
      await expectFig(row, 'latencyP95Ms', p.latencyP95Ms!, fmtMs(p.latencyP95Ms));
      await expectFig(row, 'totalCostUsd', p.totalCostUsd!, fmtUsd(p.totalCostUsd));
      expect(await page.locator(`${row} svg.sparkline polyline`).count()).toBe(1);
      // From the registry (the demo pushed its prompts): latest version and labels. Prompts never
      // pushed: the version of the last call and the labels seen, from spans.
      if (p.name === MOVED || p.name === NAMED) {
        // Both were sent moving production from v1 to a newer version.
        const served = p.name === NAMED ? NAMED_VERSION : 'v2';
        expect(versionLabel(p.lastVersion!)).toBe(served);
        expect(versionLabel(p.labelsSeen.production!)).toBe(served);
        expect(await page.locator(`${row} [data-cell="latest"]`).innerText()).toBe(
          `${versionLabel(p.lastVersion!)} (last call)`,
        );
        const labels = Object.entries(p.labelsSeen).map(([l, v]) => `${l} → ${versionLabel(v)}`);
        for (const l of labels)
          expect(await page.locator(`${row} [data-cell="labels"]`).innerText()).toContain(l);
      } else expect(await page.locator(row).innerText()).toContain('production → v2');
    }
    await checkEveryPageRule('prompts');
  });

  it('Prompt: the per-version table equals /api/v1/metrics, charts draw, the label move is a marker', async () => {
    const { page } = browser;
    // A fresh load of the prompt page, to measure when it first paints.
    const t0 = Date.now();
    await page.goto(`${state.url}/#/prompt/${PROMPT}`);
    await waitShown(page, '#versions-table');
    timings.promptPageTableMs = Date.now() - t0;
    timings.promptPageFirstContentfulPaintMs = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    );
    await settle(page);
    process.stdout.write(
      `console prompt page: first contentful paint ${timings.promptPageFirstContentfulPaintMs.toFixed(0)} ms, ` +
        `table shown ${timings.promptPageTableMs} ms after navigation\n`,
    );
    expect(timings.promptPageFirstContentfulPaintMs).toBeGreaterThan(0);

    const w = await pageWindow();
    const metrics = await api<{
      versions: Array<{
        version: number;
        requests: number;
        errors: number;
        errorRate: number;
        latencyMs: { p50: number; p95: number; p99: number };
        ttftMs: { p50: number } | null;
        totalCostUsd: number;
        scores: Array<{ name: string; mean: number | null }>;
      }>;
    }>('/api/v1/metrics', { prompt: PROMPT, ...w });
    expect(metrics.versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
    expect(await page.locator('#versions-table tbody tr').count()).toBe(3);
    for (const v of metrics.versions) {
      const row = `#versions-table tr[data-version="${v.version}"]`;
      await expectFig(row, 'requests', v.requests, fmtCount(v.requests));
      await expectFig(row, 'errors', v.errors, fmtCount(v.errors));
      await expectFig(row, 'errorRate', v.errorRate, fmtRate(v.errorRate));
      await expectFig(row, 'latencyMs.p50', v.latencyMs.p50, fmtMs(v.latencyMs.p50));
      await expectFig(row, 'latencyMs.p95', v.latencyMs.p95, fmtMs(v.latencyMs.p95));
      await expectFig(row, 'latencyMs.p99', v.latencyMs.p99, fmtMs(v.latencyMs.p99));
      await expectFig(row, 'ttftMs.p50', v.ttftMs?.p50 ?? null, fmtMs(v.ttftMs?.p50));
      await expectFig(row, 'totalCostUsd', v.totalCostUsd, fmtUsd(v.totalCostUsd));
      for (const s of v.scores) await expectFig(row, `score:${s.name}`, s.mean, fmtNum(s.mean));
      // n beside the error rate is the number of calls.
      expect(await cell(row, 'errorRate').innerText()).toContain(`n=${v.requests}`);
    }
    const share = await api<{
      labels: Array<{ label: string; version: number; requests: number; share: number }>;
    }>('/api/v1/labels/share', { prompt: PROMPT, ...w });
    for (const s of share.labels) {
      const row = `#share-table tr[data-label="${s.label}"][data-version="${s.version}"]`;
      await expectFig(row, 'requests', s.requests, fmtCount(s.requests));
      await expectFig(row, 'share', s.share, fmtRate(s.share));
    }

    const charts = await blankCharts(page);
    // calls, errors, p50, p95, p99, TTFT, tokens, cost + the two scores (correct, user-rating).
    expect(charts.charts).toBe(10);
    expect(charts.blank).toEqual([]);
    // The time axis reads in UTC although the browser runs in New York: ticks on whole UTC hours,
    // each labelled with its UTC time (the window's and the table's times are UTC too).
    const ticks = JSON.parse(
      (await page.locator('#chart-calls .chart-canvas').getAttribute('data-x-ticks')) ?? '[]',
    ) as Array<[number, string]>;
    expect(ticks.length).toBeGreaterThan(2);
    for (const [t, label] of ticks) {
      const iso = new Date(t * 1000).toISOString();
      expect(iso.slice(14, 19), `tick ${label}`).toBe('00:00');
      expect(label.endsWith(iso.slice(11, 16)), `tick ${label} at ${iso}`).toBe(true);
    }
    expect(ticks[0]![1]).toBe(
      `${new Date(ticks[0]![0] * 1000).toISOString().slice(5, 16).replace('T', ' ')}`,
    );
    // Over 7 days the ticks fall on UTC midnights (or 6-hour marks), not on New York's.
    await visit(page, `#/prompt/${PROMPT}?range=7d`);
    const week = JSON.parse(
      (await page.locator('#chart-calls .chart-canvas').getAttribute('data-x-ticks')) ?? '[]',
    ) as Array<[number, string]>;
    expect(week.length).toBeGreaterThan(2);
    for (const [t, label] of week) expect(new Date(t * 1000).getUTCHours() % 6, `tick ${label}`).toBe(0);
    await visit(page, `#/prompt/${PROMPT}`);
    // Each version's line is on the calls chart, in its colour.
    for (const color of ['#1f5fbf', '#c2410c', '#15803d'])
      expect(await pixelsOfColor(page, 'chart-calls', color), color).toBeGreaterThan(0);

    // The demo moved production from v1 to v2: in the registry (who, when) and in traffic.
    const registryMarker = page.locator('#chart-calls [data-testid="label-move"][data-source="registry"]', {
      hasText: 'production → v2',
    });
    const spanMarker = page.locator('#chart-calls [data-testid="label-move"][data-source="spans"]', {
      hasText: 'production → v2',
    });
    expect(await registryMarker.count()).toBe(1);
    expect(await spanMarker.count()).toBe(1);
    const history = await api<{
      history: Array<{ label: string; version: number; actor: string; movedAt: string }>;
    }>(`/api/v1/prompts/${PROMPT}/history`);
    // Every push moved `latest`; no call was served under it, so the charts leave those moves out,
    // and the moves table lists every move of the registry.
    const latestMoves = history.history.filter((h) => h.label === 'latest');
    expect(latestMoves.length).toBeGreaterThan(1);
    expect(
      await page
        .locator('#chart-calls [data-testid="label-move"][data-source="registry"]', { hasText: 'latest' })
        .count(),
    ).toBe(0);
    const movesTable = await page.locator('#moves-table').innerText();
    for (const h of latestMoves) expect(movesTable).toContain(`latest → v${h.version}`);
    const move = history.history.filter((h) => h.label === 'production' && h.version === 2).pop()!;
    expect(Number(await registryMarker.getAttribute('data-t'))).toBeCloseTo(
      Date.parse(move.movedAt) / 1000,
      3,
    );
    await registryMarker.hover();
    const tip = registryMarker.locator('.tip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.innerText()).toContain(`moved in the registry by ${move.actor}`);
    expect(move.actor).toBe('local-admin');
    await page.mouse.move(0, 0);
    // The traffic marker says the same on keyboard focus.
    await spanMarker.focus();
    await expect.poll(() => spanMarker.locator('.tip').isVisible()).toBe(true);
    expect(await spanMarker.locator('.tip').innerText()).toContain('first served in spans (demo)');
    await checkEveryPageRule('prompt');
  });

  it('Compare: verdicts and tests as /api/v1/compare, both distributions drawn, the template diff', async () => {
    const { page } = browser;
    await visit(page, `#/prompt/${PROMPT}/compare?a=1&b=2`);
    await page.waitForSelector('#compare-table');
    const w = await pageWindow();
    const report = await api<{
      baselineGenerations: number;
      candidateGenerations: number;
      metrics: Array<{
        metric: string;
        headline: string;
        verdict: string;
        p: number | null;
        effect: { difference: number | null; differenceCi: { lower: number; upper: number } | null };
        baseline: { n: number; headline: number | null; ci: { lower: number } | null };
        candidate: { n: number; headline: number | null; ci: { lower: number } | null };
      }>;
    }>('/api/v1/compare', { prompt: PROMPT, baseline: 1, candidate: 2, ...w });
    expect(await page.locator('[data-testid="baseline-generations"]').innerText()).toBe(
      fmtCount(report.baselineGenerations),
    );
    expect(await page.locator('#compare-table tbody tr').count()).toBe(report.metrics.length);
    for (const m of report.metrics) {
      const row = `#compare-table tr[data-metric="${m.metric}"]`;
      expect(await cell(row, 'verdict').getAttribute('data-value'), m.metric).toBe(m.verdict);
      expect(Number(await cell(row, 'baseline.n').getAttribute('data-value')), m.metric).toBe(m.baseline.n);
      expect(Number(await cell(row, 'candidate.n').getAttribute('data-value')), m.metric).toBe(m.candidate.n);
      const p = await cell(row, 'p').getAttribute('data-value');
      expect(p === '' ? null : Number(p), m.metric).toBe(m.p);
      // The change carries the difference with its interval, as `promptline compare` prints it.
      const change = await cell(row, 'relativeChange').innerText();
      if (m.effect.difference !== null && m.effect.differenceCi !== null)
        expect(change, m.metric).toMatch(/\n[+−]\S.*\n\[[+−].+, [+−].+\]$/);
      else expect(change, m.metric).not.toContain('[');
      // Shown as a p-value reads: never `0` (a p-value of 0 is one below a double's reach).
      const pText = (await cell(row, 'p').innerText()).trim();
      expect(pText, m.metric).toBe(fmtP(m.p));
      expect(pText, m.metric).not.toMatch(/^0(\.0+)?(e\+?0)?$/);
      // Each side shows the statistic the test is about (a numeric score's mean, not its median),
      // with its interval.
      for (const side of ['baseline', 'candidate'] as const) {
        const value = await cell(row, side).getAttribute('data-value');
        expect(value === '' ? null : Number(value), `${m.metric} ${side}`).toBe(m[side].headline);
        const text = await cell(row, side).innerText();
        if (m.headline !== 'rate') expect(text, `${m.metric} ${side}`).toMatch(new RegExp(`^${m.headline} `));
        if (m[side].ci !== null) expect(text, `${m.metric} ${side}`).toMatch(/\[.+, .+\]$/);
      }
    }
    expect(await cell('#compare-table tr[data-metric="score:user-rating"]', 'baseline').innerText()).toMatch(
      /^mean /,
    );
    const charts = await blankCharts(page);
    expect(charts.charts).toBeGreaterThanOrEqual(3);
    expect(charts.blank).toEqual([]);
    expect(await pixelsOfColor(page, 'dist-latency', '#1f5fbf')).toBeGreaterThan(0);
    expect(await pixelsOfColor(page, 'dist-latency', '#c2410c')).toBeGreaterThan(0);
    const diff = await page.locator('[data-testid="diff"]').innerText();
    expect(diff).toContain('+You are a friendly support agent');
    expect(diff).toContain('-You are a support agent');
    await checkEveryPageRule('compare');
  });

  it('Regressions: each move with its before/after verdicts as /api/v1/regressions', async () => {
    const { page } = browser;
    await visit(page, `#/regressions?prompt=${MOVED}`);
    const report = await api<{
      moves: Array<{ fromVersion: number; toVersion: number; metrics: unknown[] }>;
    }>('/api/v1/regressions', { prompt: MOVED, label: 'production', since: '7d' });
    expect(report.moves.length).toBe(1);
    expect(await page.locator('[data-testid="move"]').count()).toBe(report.moves.length);
    const last = report.moves[report.moves.length - 1]!;
    const first = page.locator('[data-testid="move"]').first();
    expect(await first.locator('h2').innerText()).toContain(`v${last.fromVersion} → v${last.toVersion}`);
    expect(await first.locator('tbody tr').count()).toBe(last.metrics.length);
    // v2 is slower by design: the latency verdict is "worse", as the API says.
    expect(
      await first.locator('tr[data-metric="latency_ms"] [data-fig="verdict"]').getAttribute('data-value'),
    ).toBe('worse');
    await checkEveryPageRule('regressions');
  });

  it('Generations: a version’s calls newest first as /api/v1/generations, and one in detail', async () => {
    const { page } = browser;
    await visit(page, `#/prompt/${PROMPT}/generations?version=2`);
    await page.waitForSelector('#generations-table');
    const w = await pageWindow();
    const list = await api<{
      rows: Array<{ spanId: string; traceId: string; latencyMs: number; costUsd: number }>;
    }>('/api/v1/generations', { prompt: PROMPT, version: 2, limit: 50, ...w });
    const rows = page.locator('#generations-table tbody tr');
    expect(await rows.count()).toBe(list.rows.length);
    for (const [i, r] of list.rows.slice(0, 5).entries()) {
      expect(await rows.nth(i).getAttribute('data-span')).toBe(r.spanId);
      const row = `#generations-table tr[data-span="${r.spanId}"]`;
      await expectFig(row, 'latencyMs', r.latencyMs, fmtMs(r.latencyMs));
      await expectFig(row, 'costUsd', r.costUsd, fmtUsd(r.costUsd));
    }
    // Only errors: the API's count.
    const errors = await api<{ rows: unknown[] }>('/api/v1/generations', {
      prompt: PROMPT,
      version: 2,
      status: 'error',
      ...w,
    });
    await visit(page, `#/prompt/${PROMPT}/generations?version=2&status=error`);
    expect(await page.locator('#generations-table tbody tr').count()).toBe(errors.rows.length);
    await visit(page, `#/prompt/${PROMPT}/generations?version=2`);
    await checkEveryPageRule('generations');

    const first = list.rows[0]!;
    await page.locator(`#generations-table tr[data-span="${first.spanId}"] th a`).click();
    await settle(page);
    const detail = await api<{ latencyMs: number; promptName: string; version: number }>(
      `/api/v1/generations/${first.traceId}/${first.spanId}`,
    );
    expect(
      Number(await page.locator('#generation-facts dd[data-value]').first().getAttribute('data-value')),
    ).toBe(detail.latencyMs);
    expect(await page.locator('h1').innerText()).toContain(`${PROMPT} v2`);
    // The demo captures neither side: the page names the SDK options that would.
    const body = await page.locator('main').innerText();
    expect(body).toContain('init({ captureInput: true })');
    expect(body).toContain('init({ captureOutput: true })');
    await checkEveryPageRule('generation');
  });

  it('Named versions: shown as sent (2.1.0) in the table, legends, markers, compare, regressions and generations', async () => {
    const { page } = browser;
    await visit(page, `#/prompt/${NAMED}`);
    await waitShown(page, '#versions-table');
    const w = await pageWindow();
    const metrics = await api<{
      versions: Array<{ version: number; versionName: string; requests: number }>;
    }>('/api/v1/metrics', { prompt: NAMED, ...w });
    const v21 = metrics.versions.find((v) => v.versionName === NAMED_VERSION)!;
    expect(v21.version).toBeGreaterThanOrEqual(2 ** 31);
    const id = String(v21.version);
    // The table: one row per version, named by what was sent, with the API's figures.
    const row = `#versions-table tr[data-version="${id}"]`;
    expect(await page.locator(`${row} th`).innerText()).toBe(NAMED_VERSION);
    expect(await page.locator('#versions-table tr[data-version="1"] th').innerText()).toBe('v1');
    await expectFig(row, 'requests', v21.requests, fmtCount(v21.requests));
    // Every chart's legend, the traffic share and the move seen in spans name it; its id shows nowhere.
    expect(await page.locator('#chart-calls .legend').innerText()).toContain(NAMED_VERSION);
    expect(await page.locator('#chart-p95 .legend').innerText()).toContain(NAMED_VERSION);
    expect(await page.locator(`#share-table tr[data-version="${id}"] td`).first().innerText()).toBe(
      NAMED_VERSION,
    );
    expect(await page.locator('#moves-table').innerText()).toContain(
      `production → ${NAMED_VERSION} (was v1)`,
    );
    expect(await page.locator('main').innerText()).not.toContain(id);

    // Compare, from the table's link (to the next version in the API's order): the URL carries the
    // versions as sent; the figures are the API's for them.
    await page.locator('#versions-table a', { hasText: 'compare with' }).click();
    await settle(page);
    await page.waitForSelector('#compare-table');
    const q = new URLSearchParams(page.url().split('?')[1]);
    expect([q.get('a'), q.get('b')].sort()).toEqual(['1', NAMED_VERSION]);
    const side = q.get('a') === NAMED_VERSION ? 'baseline' : 'candidate';
    const cw = await pageWindow();
    type Side = 'baseline' | 'candidate';
    const report = await api<
      Record<Side, number> &
        Record<`${Side}Name`, string> &
        Record<`${Side}Generations`, number> & {
          metrics: Array<{ metric: string; verdict: string } & Record<Side, { n: number }>>;
        }
    >('/api/v1/compare', { prompt: NAMED, baseline: q.get('a')!, candidate: q.get('b')!, ...cw });
    expect([report[side], report[`${side}Name`]]).toEqual([v21.version, NAMED_VERSION]);
    expect(await page.locator(`[data-testid="${side}-version"]`).innerText()).toBe(NAMED_VERSION);
    expect(await page.locator(`[data-testid="${side}-generations"]`).innerText()).toBe(
      fmtCount(report[`${side}Generations`]),
    );
    for (const m of report.metrics) {
      const r = `#compare-table tr[data-metric="${m.metric}"]`;
      expect(await cell(r, 'verdict').getAttribute('data-value'), m.metric).toBe(m.verdict);
      expect(Number(await cell(r, `${side}.n`).getAttribute('data-value')), m.metric).toBe(m[side].n);
    }
    const picker = page
      .locator('form[aria-label="Versions to compare"] select')
      .nth(side === 'baseline' ? 0 : 1);
    expect(await picker.locator('option:checked').innerText()).toMatch(new RegExp(`^${NAMED_VERSION} \\(`));
    expect(await page.locator('#dist-latency .legend').innerText()).toContain(
      `${NAMED_VERSION} (n=${report[`${side}Generations`].toLocaleString('en-US')})`,
    );
    expect((await blankCharts(page)).blank).toEqual([]);
    expect(await page.locator('main').innerText()).not.toContain(id);
    await checkEveryPageRule('compare-named');

    // Regressions: the move from v1 to 2.1.0, by name, as the API found it.
    await visit(page, `#/regressions?prompt=${NAMED}`);
    const moves = await api<{ moves: Array<{ fromVersionName: string; toVersionName: string }> }>(
      '/api/v1/regressions',
      { prompt: NAMED, label: 'production', since: '7d' },
    );
    expect(moves.moves.map((m) => `${m.fromVersionName} → ${m.toVersionName}`)).toEqual([
      `1 → ${NAMED_VERSION}`,
    ]);
    expect(await page.locator('[data-testid="move"] h2').first().innerText()).toContain(
      `v1 → ${NAMED_VERSION}`,
    );

    // Generations, from the table's link: the URL carries the name; the rows are the API's for it.
    await visit(page, `#/prompt/${NAMED}`);
    await page.locator(`${row} a`, { hasText: 'generations' }).click();
    await settle(page);
    await page.waitForSelector('#generations-table');
    expect(new URLSearchParams(page.url().split('?')[1]).get('version')).toBe(NAMED_VERSION);
    const gw = await pageWindow();
    const list = await api<{
      versionName: string;
      rows: Array<{ spanId: string; traceId: string; latencyMs: number; versionName: string }>;
    }>('/api/v1/generations', { prompt: NAMED, version: NAMED_VERSION, limit: 50, ...gw });
    expect(list.rows.length).toBe(50);
    expect(new Set(list.rows.map((r) => r.versionName))).toEqual(new Set([NAMED_VERSION]));
    const rows = page.locator('#generations-table tbody tr');
    expect(await rows.count()).toBe(list.rows.length);
    for (const [i, r] of list.rows.slice(0, 5).entries()) {
      expect(await rows.nth(i).getAttribute('data-span')).toBe(r.spanId);
      await expectFig(
        `#generations-table tr[data-span="${r.spanId}"]`,
        'latencyMs',
        r.latencyMs,
        fmtMs(r.latencyMs),
      );
    }
    expect(await page.locator('#generations-table caption').innerText()).toMatch(
      new RegExp(`^${NAMED_VERSION.replaceAll('.', '\\.')}, newest first`),
    );
    expect(
      await page
        .locator('form[aria-label="Generation filters"] select')
        .first()
        .locator('option:checked')
        .innerText(),
    ).toBe(NAMED_VERSION);
    await checkEveryPageRule('generations-named');
    const first = list.rows[0]!;
    await page.locator(`#generations-table tr[data-span="${first.spanId}"] th a`).click();
    await settle(page);
    expect(await page.locator('h1').innerText()).toContain(`${NAMED} ${NAMED_VERSION} at`);
    expect(await page.locator('.crumbs').innerText()).toContain(`generations of ${NAMED_VERSION}`);
    expect(await page.locator('main').innerText()).not.toContain(id);
  });

  it('Registry: versions, label history (who, when) and a diff, as the registry API', async () => {
    const { page } = browser;
    await visit(page, '#/registry');
    expect(await page.locator('#registry-table tbody tr').count()).toBe(2);
    await checkEveryPageRule('registry');
    await visit(page, `#/registry/${PROMPT}?from=1&to=3`);
    const versions = await api<{ versions: unknown[] }>(`/api/v1/prompts/${PROMPT}/versions`);
    const history = await api<{ history: Array<{ actor: string }> }>(`/api/v1/prompts/${PROMPT}/history`);
    expect(await page.locator('#registry-versions tbody tr').count()).toBe(versions.versions.length);
    expect(await page.locator('#registry-history tbody tr').count()).toBe(history.history.length);
    expect(await page.locator('#registry-history').innerText()).toContain('local-admin');
    expect(await page.locator('[data-testid="diff"]').innerText()).toContain(
      '+You are a senior support agent',
    );
    await checkEveryPageRule('registry-prompt');
  });

  it('Refresh: the button and auto-refresh show calls sent after the page loaded', async () => {
    const { page } = browser;
    const prompt = 'refreshed';
    let sent = 0;
    /** Sends `count` calls of version 1 from the last two minutes and waits until they are stored. */
    const send = async (count: number, seed: number): Promise<void> => {
      const now = Date.now();
      const specs = generationSpecs({ count, prompt, versions: [1], seed, startMs: now }).map((s, i) => ({
        ...s,
        startMs: now - 120_000 + i * 1000,
      }));
      expect(
        (await postTraces(state.url, otlpProtobuf(generationSpans(specs)), state.ingestKey)).status,
      ).toBe(200);
      sent += count;
      await stored(prompt, sent);
    };
    const shown = async (): Promise<string | null> =>
      page
        .locator('#versions-table tr[data-version="1"] [data-fig="requests"]')
        .first()
        .getAttribute('data-value');
    const until = async (value: number, ms: number): Promise<void> => {
      for (const end = Date.now() + ms; (await shown()) !== String(value);) {
        if (Date.now() > end)
          throw new Error(`the page shows ${await shown()} calls, not ${value}, after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    await send(5, 21);
    await visit(page, `#/prompt/${prompt}`);
    await waitShown(page, '#versions-table');
    expect(await shown()).toBe('5');
    await send(7, 22);
    // Nothing reloads by itself while auto-refresh is off.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await shown()).toBe('5');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await until(12, 10_000);
    const w = await pageWindow();
    const m = await api<{ versions: Array<{ requests: number }> }>('/api/v1/metrics', { prompt, ...w });
    expect(m.versions.map((v) => v.requests)).toEqual([12]);

    // Auto-refresh every 5 s picks up new calls without a click, and stays on across pages.
    await page.getByLabel('Auto-refresh').selectOption('5s');
    await send(3, 23);
    await until(15, 15_000);
    await checkEveryPageRule('refresh');
    await page.locator('header nav').getByRole('link', { name: 'Prompts' }).click();
    await page.waitForSelector('#prompts-table');
    expect(await page.getByLabel('Auto-refresh').inputValue()).toBe('5s');
    await page.getByLabel('Auto-refresh').selectOption('off');
  });
});

/**
 * A real browser for the console's tests: Debian's `chromium` (installed by scripts/bootstrap.mjs
 * when missing) driven by `playwright-core`, headless, with a fresh profile and every background
 * connection off (this machine's network is closed; Chromium's own update, sync and metrics
 * requests would otherwise be refused and slow it down).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

/** Where Debian's package puts the browser. */
export const CHROMIUM = process.env.PROMPTLINE_CHROMIUM ?? '/usr/bin/chromium';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built console the collector serves. */
export const CONSOLE_DIST = join(ROOT, 'packages/console/dist');

/** Fails with the fix when the browser or the console build is missing. */
export function requireBrowser(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (\`apt-get install -y chromium\`; npm test does it when run as root)`,
    );
  const index = join(CONSOLE_DIST, 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: build first (\`pnpm build\`)`);
  const built = statSync(index).mtimeMs;
  const src = join(ROOT, 'packages/console/src');
  const newest = Math.max(...newestTimes(src));
  if (newest > built) throw new Error('packages/console/dist is older than its src: run `pnpm build`');
}

function newestTimes(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...newestTimes(p));
    else out.push(statSync(p).mtimeMs);
  }
  return out;
}

/** axe-core's browser script, to evaluate in a page. */
export function axeSource(): string {
  return readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console messages and page errors seen so far. */
  messages: string[];
  close(): Promise<void>;
}

/** A fresh headless Chromium with one page (in the machine's time zone unless `timezoneId` names one). */
export async function launchBrowser(
  opts: { width?: number; height?: number; timezoneId?: string } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'promptline-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 },
    ...(opts.timezoneId === undefined ? {} : { timezoneId: opts.timezoneId }),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const messages: string[] = [];
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    messages,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

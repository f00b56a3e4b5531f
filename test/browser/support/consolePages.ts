/**
 * What every console page is checked for in the browser: axe-core finds no serious or critical
 * violation, Tab reaches every control, no Content-Security-Policy violation, charts drew pixels.
 */
import type { Page } from 'playwright-core';

import { axeSource } from '../../support/browser.js';

/** Navigates the single-page console to `hash` and waits until nothing is loading. */
export async function visit(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
  await settle(page);
}

/** Waits until no "Loading …" placeholder is left and charts had a frame to draw. */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.body.innerText.includes('Loading'), undefined, {
    timeout: 30_000,
  });
  await page.waitForTimeout(300);
}

/**
 * Waits until `selector` is on the page; when it never comes, the error quotes what the page shows
 * instead (an empty state, an error), which is what a failure needs to be understood.
 */
export async function waitShown(page: Page, selector: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout });
  } catch (e) {
    const text = await page
      .locator('main')
      .innerText()
      .catch(() => '(no main element)');
    throw new Error(
      `${selector} not shown after ${timeout} ms; ${page.url()} shows:\n${text.slice(0, 2000)}`,
      {
        cause: e,
      },
    );
  }
}

/** axe-core violations of impact serious or critical on the current page. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate(
    () => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined',
  );
  // Evaluated through the DevTools protocol: not an inline script, so the page's CSP allows it.
  if (!loaded) await page.evaluate(axeSource());
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
            opts: unknown,
          ) => Promise<{
            violations: Array<{
              id: string;
              impact: string;
              help: string;
              nodes: Array<{ target: string[] }>;
            }>;
          }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
}

/**
 * Presses Tab until focus has been everywhere, and returns the controls (links, buttons, inputs,
 * selects, focusable elements) that it never reached.
 */
export async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    const controls = [
      ...document.querySelectorAll<HTMLElement>(
        'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])',
      ),
    ].filter((el) => el.getClientRects().length > 0);
    controls.forEach((el, i) => el.setAttribute('data-kb', String(i)));
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
    return controls.length;
  });
  const seen = new Set<string>();
  for (let i = 0; i < count + 5; i++) {
    await page.keyboard.press('Tab');
    const kb = await page.evaluate(() => document.activeElement?.getAttribute('data-kb') ?? null);
    if (kb !== null) seen.add(kb);
    if (seen.size === count) break;
  }
  return page.evaluate(
    (reached) => {
      const missing: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('[data-kb]')) {
        if (!reached.includes(el.getAttribute('data-kb')!))
          missing.push(
            `${el.tagName.toLowerCase()} ${(el.textContent ?? '').trim().slice(0, 40) || el.outerHTML.slice(0, 80)}`,
          );
      }
      return missing;
    },
    [...seen],
  );
}

/** Chart ids on the page whose canvas has no drawn pixel. */
export async function blankCharts(page: Page): Promise<{ charts: number; blank: string[] }> {
  return page.evaluate(() => {
    const figures = [...document.querySelectorAll<HTMLElement>('figure.chart')];
    const blank: string[] = [];
    for (const f of figures) {
      const canvas = f.querySelector('canvas');
      const ctx = canvas?.getContext('2d');
      if (
        canvas === null ||
        canvas === undefined ||
        ctx === null ||
        ctx === undefined ||
        canvas.width === 0
      ) {
        if (f.querySelector('.muted') === null) blank.push(f.id);
        continue;
      }
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
      if (drawn === 0) blank.push(f.id);
    }
    return { charts: figures.length, blank };
  });
}

/** Pixels of a chart's canvas drawn in a given colour (a series line or bar), roughly. */
export async function pixelsOfColor(page: Page, chartId: string, hex: string): Promise<number> {
  return page.evaluate(
    ([id, color]) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`#${CSS.escape(id)} canvas`);
      const ctx = canvas?.getContext('2d');
      if (canvas === null || canvas === undefined || ctx === null || ctx === undefined) return 0;
      const r = parseInt(color.slice(1, 3), 16);
      const g = parseInt(color.slice(3, 5), 16);
      const b = parseInt(color.slice(5, 7), 16);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (
          data[i + 3]! > 200 &&
          Math.abs(data[i]! - r) < 40 &&
          Math.abs(data[i + 1]! - g) < 40 &&
          Math.abs(data[i + 2]! - b) < 40
        )
          n++;
      return n;
    },
    [chartId, hex] as const,
  );
}

/** Console messages that report a Content-Security-Policy violation. */
export function cspViolations(messages: readonly string[]): string[] {
  return messages.filter((m) => /Content Security Policy|Refused to (load|execute|apply)/i.test(m));
}

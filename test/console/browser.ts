import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's chromium package, or CHROMIUM_PATH. The browser tests skip, saying so, where neither exists. */
export const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => Boolean(p && existsSync(p)));
export const skipWithoutChromium = !chromiumPath;
if (skipWithoutChromium) console.warn('Skipping the web console browser tests: no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH).');

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

const SHOTS = path.resolve('test-results/console');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** A fresh browser context signed in by pasting a token, as a user without the demo picker would. */
export async function signInWithToken(browser: Browser, url: string, token: string, who: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByTestId('signed-in-as').textContent().catch(() => null), { timeout: 10_000, message: errors.join('\n') }).toBe(who);
  return page;
}

/** Form controls a screen reader would announce without a name. */
export const unlabelledControls = (page: Page): Promise<string[]> =>
  page.$$eval('input, select, textarea, button', (controls) =>
    controls
      .filter((c) => !(c as unknown as { labels?: ArrayLike<unknown> }).labels?.length && !c.getAttribute('aria-label') && !(c.tagName === 'BUTTON' && c.textContent?.trim()))
      .map((c) => c.outerHTML.slice(0, 120)),
  );

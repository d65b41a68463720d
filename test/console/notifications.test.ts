import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startTestSmtp, type TestSmtp } from '../smtp.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld } from '../world.js';
import { launchChromium, screenshot, signInWithToken, skipWithoutChromium, unlabelledControls } from './browser.js';

let smtp: TestSmtp;
let stack: Stack;
let browser: Browser;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  if (skipWithoutChromium) return;
  smtp = await startTestSmtp();
  [stack, browser] = await Promise.all([startStack({ env: { SMTP_URL: smtp.url, SMTP_FROM: 'desk@example.com' } }), launchChromium()]);
  w = await buildWorld(stack);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await smtp?.stop();
});

describe.skipIf(skipWithoutChromium)('the web console: notification preferences', () => {
  it('lets a person choose per kind and keeps the choice', async () => {
    const page = await signInWithToken(browser, stack.url, w.priya, 'priya');
    await page.getByRole('link', { name: 'Notifications' }).click();
    const escalated = page.getByLabel('Escalated to me');
    await escalated.waitFor();
    expect(await escalated.inputValue()).toBe('now');
    await escalated.selectOption('digest');
    await page.getByLabel('Reassigned to me by someone').selectOption('inbox');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Saved.');
    await screenshot(page, 'notification-preferences');
    expect(await unlabelledControls(page)).toEqual([]);

    const stored = await http(`${stack.url}/api/v1/people/priya/notification-preferences`, { token: w.priya });
    expect(stored.body.preferences).toMatchObject({ escalation: 'digest', reassignment: 'inbox', assignment: 'now' });
    await page.reload();
    await expect.poll(() => page.getByLabel('Escalated to me').inputValue(), { timeout: 10_000 }).toBe('digest');
  });
});

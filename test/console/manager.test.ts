import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld } from '../world.js';
import { launchChromium, screenshot, skipWithoutChromium, unlabelledControls } from './browser.js';

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  if (skipWithoutChromium) return;
  [stack, browser] = await Promise.all([startStack({ demoUsers: true }), launchChromium()]);
  await buildWorld(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const seconds = { timeout: 15_000 };
const cell = (page: Page, key: string) => page.locator(`td[data-cell="${key}"]`);

describe.skipIf(skipWithoutChromium)('the web console, for managers', () => {
  it('signs in from the demo picker, marks a person departed and sees the gap appear', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await page.goto(stack.url);
    // From the keyboard: the token box, Sign in, then the picker in directory order (dana, grace, …).
    await page.locator('button[data-person="grace"]').waitFor();
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    expect(await page.locator('button[data-person="grace"]').evaluate((b) => b.matches(':focus'))).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('signed-in-as').textContent(), seconds).toBe('grace');

    await page.getByRole('link', { name: 'Ownership' }).click();
    const exceptionQueue = cell(page, 'NA/exception-queue');
    await expect.poll(() => exceptionQueue.textContent(), seconds).toMatch(/Owner\s*priya.*Backup\s*li/);
    expect(await exceptionQueue.getAttribute('class')).not.toContain('gap');
    expect(await page.locator('table.gaps tr[data-kind="no-backup"]').count()).toBe(0);
    await screenshot(page, 'manager-before-departure');

    const departure = page.getByRole('region', { name: 'Mark a person departed' });
    await departure.getByLabel('Person', { exact: true }).selectOption('priya');
    await departure.getByLabel('Why', { exact: true }).fill('left at the end of the pilot');
    await departure.getByRole('button', { name: 'Mark departed' }).click();
    await expect.poll(() => page.locator('.sweep').textContent(), seconds).toMatch(/Sweep for priya: done.*4 cells changed/);

    await expect.poll(() => exceptionQueue.getAttribute('class'), seconds).toContain('gap');
    expect(await exceptionQueue.textContent()).toMatch(/Owner\s*li.*Backup\s*—.*no-backup/);
    expect(await page.locator('table.gaps tr[data-kind="no-backup"]').count()).toBe(4);
    await screenshot(page, 'manager-gap-after-departure');
    expect(await unlabelledControls(page)).toEqual([]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('ownership-gaps-po-test.csv');
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('capability,region,area,kind,detail,since,person,exceptionId');
    expect(csv.filter((line) => line.includes('"no-backup"'))).toHaveLength(4);

    // The same gap, as the audit API reports it to anyone else.
    const audit = await http(`${stack.url}/api/v1/audit/ownership-gaps?capability=po-test&kind=no-backup`, { token: await stack.token('grace', 'manager') });
    expect(audit.body.items.map((g: { area: string }) => g.area).sort()).toEqual(['adoption-training', 'business-rules', 'exception-queue', 'model-retraining']);

    // An edit made on a matrix someone else changed meanwhile is refused, not silently applied.
    await exceptionQueue.getByRole('button', { name: 'Edit NA exception-queue' }).click();
    const elsewhere = await http(`${stack.url}/api/v1/capabilities/po-test/ownership/NA/business-rules`, {
      method: 'PUT',
      token: await stack.token('grace', 'manager'),
      body: { owner: 'li', backup: 'olivia', escalation: ['dana'], reason: 'another manager, another tab' },
    });
    expect(elsewhere.status).toBe(200);
    await exceptionQueue.getByLabel('Backup').selectOption('omar');
    await exceptionQueue.getByLabel('Why').fill('stale edit');
    await exceptionQueue.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('section[aria-labelledby="matrix-title"] .notice').textContent(), seconds).toMatch(/^Not saved: the matrix changed/);
    expect(await exceptionQueue.textContent()).toMatch(/Backup\s*—/);

    // The manager fills the gap in the matrix; the cell is no longer flagged.
    await exceptionQueue.getByRole('button', { name: 'Edit NA exception-queue' }).click();
    await exceptionQueue.getByLabel('Backup').selectOption('omar');
    await exceptionQueue.getByLabel('Why').fill('omar backs li up until we hire');
    await exceptionQueue.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('section[aria-labelledby="matrix-title"] .notice').textContent(), seconds).toBe('Saved NA / exception-queue.');
    await expect.poll(() => exceptionQueue.getAttribute('class'), seconds).not.toContain('gap');
    expect(await exceptionQueue.textContent()).toMatch(/Owner\s*li.*Backup\s*omar/);
    await expect.poll(() => page.locator('table.gaps tr[data-kind="no-backup"]').count(), seconds).toBe(2);
    await page.context().close();
  });
});

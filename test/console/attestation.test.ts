import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld } from '../world.js';
import { launchChromium, screenshot, signInWithToken, skipWithoutChromium, unlabelledControls } from './browser.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
let browser: Browser;
beforeAll(async () => {
  if (skipWithoutChromium) return;
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  w = await buildWorld(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const seconds = { timeout: 10_000 };

describe.skipIf(skipWithoutChromium)('the web console, for ownership attestation', () => {
  it('lets an owner confirm a cell in one click from the inbox, and the manager see it', async () => {
    const started = await http(`${stack.url}/api/v1/capabilities/po-test/attestations`, { token: w.grace, body: { within: '1h', remindBefore: '10m' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);

    const page = await signInWithToken(browser, stack.url, w.priya, 'priya');
    await page.getByRole('link', { name: 'My inbox' }).click();
    const asked = page.getByRole('region', { name: 'Ownership to confirm' });
    await expect.poll(() => asked.locator('li[data-attestation]').count(), seconds).toBe(4);
    expect(await page.locator('.inbox li a', { hasText: 'please confirm the cells you own or back up' }).count()).toBe(1);
    await screenshot(page, 'attestation-owner-inbox');
    expect(await unlabelledControls(page)).toEqual([]);

    await asked.getByRole('button', { name: 'Confirm po-test NA business-rules' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent(), seconds).toBe('Confirmed po-test NA / business-rules.');
    await expect.poll(() => asked.locator('li[data-attestation]').count(), seconds).toBe(3);
    const progress = await http(`${stack.url}/api/v1/capabilities/po-test/attestations/${encodeURIComponent(started.body.campaignId)}`, { token: w.grace });
    expect(progress.body.requests.find((r: { person: string; area: string }) => r.person === 'priya' && r.area === 'business-rules')).toMatchObject({ state: 'confirmed' });
    await page.context().close();

    // The manager follows the campaign on the ownership page.
    const manager = await signInWithToken(browser, stack.url, w.grace, 'grace');
    await manager.getByRole('link', { name: 'Ownership' }).click();
    const card = manager.getByRole('region', { name: 'Ownership attestation' });
    await expect.poll(() => card.locator('li').first().textContent(), seconds).toMatch(/running NA: 1 confirmed, 0 declined, 7 waiting, 0 expired of 8/);
    expect(await card.locator('tr[data-state="confirmed"]').textContent()).toMatch(/NA \/ business-rules.*priya \(owner\).*confirmed/);
    await screenshot(manager, 'attestation-manager-progress');
    await manager.context().close();
  });
});

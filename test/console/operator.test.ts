import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, fastPolicy, path, priceVariance } from '../world.js';
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

const raise = async (overrides: Record<string, unknown> = {}) => {
  const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-test', overrides) });
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  return raised.body as { id: string; title: string };
};
/** Long enough for a refresh or two of the console's polling. */
const seconds = { timeout: 10_000 };
const row = (page: Page, id: string) => page.locator(`tr[data-id="${id}"]`);

describe.skipIf(skipWithoutChromium)('the web console, for operators', () => {
  it('takes an exception from the queue to resolution, trust fields first', async () => {
    const exception = await raise({ title: 'Browser: unit price above contract' });
    const page = await signInWithToken(browser, stack.url, w.olivia, 'olivia');
    await expect(page.getByRole('heading', { name: 'Demo users' }).count(), 'no demo picker unless enabled').resolves.toBe(0);

    await row(page, exception.id).getByRole('button', { name: /^Claim/ }).click();
    await expect.poll(() => row(page, exception.id).locator('.status').textContent(), seconds).toContain('claimed by you');
    await row(page, exception.id).getByRole('link', { name: /^Resolve/ }).click();

    await page.getByRole('heading', { name: 'Can this be trusted?' }).waitFor();
    const trust = page.locator('section[aria-labelledby="trust-title"]');
    await expect(trust.textContent()).resolves.toMatch(/42% \(low\)/);
    await expect(trust.locator('.checks li.fail').textContent()).resolves.toContain('price-outlier');
    await expect(trust.locator('table.refs tbody tr').first().textContent()).resolves.toMatch(/erp.*PO-00123456.*unitPrice.*11\.2.*payload\.unitPrice = 11\.2/);
    await screenshot(page, 'operator-detail-claimed');
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByLabel('Resolution code').fill('supplier-price-corrected');
    await page.getByLabel('Note').fill('Supplier re-issued at contract price');
    await page.getByLabel('Value event').selectOption('rework-avoided');
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    await expect.poll(() => page.locator('.status-word').textContent(), seconds).toBe('resolved');
    await expect(page.getByRole('region', { name: 'Resolution' }).textContent()).resolves.toContain('supplier-price-corrected by olivia');
    await screenshot(page, 'operator-resolved');

    const stored = await http(`${stack.url}/api/v1/exceptions/${path(exception.id)}`, { token: w.priya });
    expect(stored.body).toMatchObject({
      status: 'resolved',
      resolution: { code: 'supplier-price-corrected', note: 'Supplier re-issued at contract price', valueEvent: 'rework-avoided', by: 'olivia' },
    });
    await page.context().close();
  });

  it('shows a claim lost to a race as "claimed by" the winner, in both browsers within seconds', async () => {
    const exception = await raise({ title: 'Browser: raced for' });
    const [olivia, omar] = await Promise.all([signInWithToken(browser, stack.url, w.olivia, 'olivia'), signInWithToken(browser, stack.url, w.omar, 'omar')]);
    const claimButtons = [olivia, omar].map((page) => row(page, exception.id).getByRole('button', { name: /^Claim/ }));
    await Promise.all(claimButtons.map((b) => b.waitFor()));
    await Promise.all(claimButtons.map((b) => b.click()));
    await Promise.all([olivia, omar].map((page) => expect.poll(() => page.locator('.notice').first().textContent(), seconds).toMatch(/claimed/)));

    const stored = await http(`${stack.url}/api/v1/exceptions/${path(exception.id)}`, { token: w.priya });
    const winner = stored.body.claimant as string;
    expect(['olivia', 'omar']).toContain(winner);
    const [winnerPage, loserPage] = winner === 'olivia' ? [olivia, omar] : [omar, olivia];

    await expect.poll(() => winnerPage.locator('.notice').first().textContent(), seconds).toContain('You claimed');
    await expect.poll(() => loserPage.locator('.notice').first().textContent(), seconds).toContain(`was not claimed: claimed by ${winner}`);
    expect(await loserPage.locator('[role="alert"]').count(), 'a lost race is not an error').toBe(0);
    await expect.poll(() => row(loserPage, exception.id).locator('.status').textContent(), seconds).toContain(`claimed by ${winner}`);
    await screenshot(loserPage, 'race-loser-sees-claimant');

    // The winner lets go; the other operator's queue shows it open again by the next refresh.
    await row(winnerPage, exception.id).getByRole('button', { name: /^Release/ }).click();
    await expect.poll(() => row(loserPage, exception.id).locator('.status').textContent(), { timeout: 8_000 }).toMatch(/^open/);
    await Promise.all([olivia.context().close(), omar.context().close()]);
  });

  it('filters the queue and claims several exceptions at once', async () => {
    const [critical, high] = [await raise({ title: 'Browser: bulk critical', severity: 'critical' }), await raise({ title: 'Browser: bulk high' })];
    const page = await signInWithToken(browser, stack.url, w.omar, 'omar');
    await row(page, high.id).waitFor();
    await page.getByLabel('Severity').selectOption('critical');
    await expect.poll(() => row(page, high.id).count(), seconds).toBe(0);
    expect(await row(page, critical.id).count()).toBe(1);
    await page.getByLabel('Severity').selectOption('');

    for (const e of [critical, high]) await row(page, e.id).getByRole('checkbox', { name: `Select ${e.title}` }).check();
    await page.getByRole('button', { name: 'Claim selected (2)' }).click();
    await expect.poll(() => page.locator('.notice').first().textContent(), seconds).toBe('Claimed 2 of 2.');
    for (const e of [critical, high]) {
      expect((await http(`${stack.url}/api/v1/exceptions/${path(e.id)}`, { token: w.priya })).body.claimant).toBe('omar');
    }
    await page.getByLabel('Status').selectOption('claimed');
    await expect.poll(() => row(page, critical.id).locator('.status').textContent(), seconds).toContain('claimed by you');
    await page.context().close();
  });

  it("shows the owner's inbox: what reached them, at which step and why", async () => {
    await buildWorld(stack, { policy: fastPolicy, id: 'po-fast' });
    const exception = (await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-fast', { title: 'Browser: left unclaimed' }) })).body;
    const page = await signInWithToken(browser, stack.url, await stack.token('li', 'operator'), 'li');
    await page.getByRole('link', { name: 'My inbox' }).click();
    const entry = page.locator('ul.inbox li', { hasText: exception.title });
    await expect.poll(() => entry.locator('.why').first().textContent().catch(() => ''), seconds).toMatch(/^escalated: claim SLA lapsed \d+s ago, step 1 of 3 \(level 1, /);
    await screenshot(page, 'inbox-escalated');
    await page.context().close();
  });
  it('shows the SLA in working time, and sets and resumes waiting on others', async () => {
    const cal = await buildWorld(stack, { id: 'po-console-cal' });
    const overlay = { timeZone: 'Europe/Berlin', businessCalendar: { workdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours: { start: '00:00', end: '23:59:59' } } };
    expect((await http(`${stack.url}/api/v1/capabilities/po-console-cal/regions/NA`, { method: 'PUT', token: cal.admin, body: overlay })).status).toBe(200);
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: cal.integration, body: priceVariance('po-console-cal', { title: 'Browser: on a business calendar' }) });
    expect(raised.status).toBe(201);
    const id = raised.body.id as string;
    const page = await signInWithToken(browser, stack.url, cal.olivia, 'olivia');
    // "claim due Wed 14:05 CET, 60 working minutes left": the deadline in the calendar's zone, the time left in working time.
    await expect.poll(() => row(page, id).textContent(), seconds).toMatch(/claim due \w{3} \d\d:\d\d (CET|CEST|GMT\+\d), \d+ working (minute|hour)s? left/);
    await row(page, id).getByRole('button', { name: /^Claim/ }).click();
    await expect.poll(() => row(page, id).locator('.status').textContent(), seconds).toContain('claimed by you');
    await row(page, id).getByRole('link', { name: /^Resolve/ }).click();
    await page.getByLabel('Waiting on').selectOption('supplier');
    await page.getByLabel('What it waits for').fill('new price list from SUP-0042');
    await page.getByRole('button', { name: 'Set waiting' }).click();
    await expect.poll(() => page.locator('.summary').textContent(), seconds).toContain('waiting on supplier: resolve clock paused');
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'operator-waiting');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('.summary').textContent(), seconds).toMatch(/resolve due \w{3} \d\d:\d\d/);
    const events = (await http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: cal.admin })).body.items.map((e: { action: string }) => e.action);
    expect(events).toEqual(expect.arrayContaining(['waiting', 'resumed']));
  });
});

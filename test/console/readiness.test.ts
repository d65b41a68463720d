import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, priceVariance } from '../world.js';
import { launchChromium, screenshot, signInWithToken, skipWithoutChromium, unlabelledControls } from './browser.js';

let stack: Stack;
let browser: Browser;
const areas = ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training'];

/**
 * po-test in NA (ready but for days stable, which one stable day satisfies here) and in EMEA, whose
 * exception-queue cell has no backup and whose intakes often break the contract.
 */
beforeAll(async () => {
  if (skipWithoutChromium) return;
  [stack, browser] = await Promise.all([startStack({ env: { GAP_MAX_CELLS_PER_PERSON: '20' } }), launchChromium()]);
  const w = await buildWorld(stack);
  const template = (await http(`${stack.url}/api/v1/capabilities/po-test`, { token: w.admin })).body.template;
  template.version += 1;
  template.cutover.minDaysStable = 1;
  expect((await http(`${stack.url}/api/v1/capabilities/po-test`, { method: 'PUT', token: w.admin, body: template })).status).toBe(200);
  // A published version waits for each region to adopt it (issue 17).
  expect((await http(`${stack.url}/api/v1/capabilities/po-test/regions/NA/adoption`, { token: w.admin, body: { version: template.version } })).status).toBe(200);
  expect((await http(`${stack.url}/api/v1/capabilities/po-test/regions/EMEA`, { method: 'PUT', token: w.admin, body: {} })).status).toBe(201);
  for (const region of ['NA', 'EMEA']) {
    for (const area of areas) {
      const backup = region === 'EMEA' && area === 'exception-queue' ? null : 'li';
      const res = await http(`${stack.url}/api/v1/capabilities/po-test/ownership/${region}/${area}`, { method: 'PUT', token: w.admin, body: { owner: 'priya', backup, escalation: ['dana', 'grace'], reason: 'readiness world' } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  }
  const at = new Date(Date.now() - 60_000).toISOString();
  const events = ['NA', 'EMEA'].flatMap((region) => [
    { kind: 'decision', key: `console-${region}`, capability: 'po-test', region, occurredAt: at, quantity: 400 },
    { kind: 'value', key: `console-${region}-value`, capability: 'po-test', region, occurredAt: at, valueEvent: 'rework-avoided', quantity: 90 },
  ]);
  expect((await http(`${stack.url}/api/v1/reports`, { token: w.integration, body: { events } })).body.stored).toBe(4);
  for (let i = 0; i < 3; i++) {
    const bad = priceVariance('po-test', { region: 'EMEA' });
    delete (bad.payload as Record<string, unknown>).sku;
    expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: bad })).status).toBe(422);
  }
  expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-test', { region: 'EMEA' }) })).status).toBe(201);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const seconds = { timeout: 15_000 };
const cell = (page: Page, key: string) => page.locator(`td[data-cell="${key}"]`);

describe.skipIf(skipWithoutChromium)('the readiness page, for managers', () => {
  it('shows why EMEA is not ready, will not promote it, and turns ownership green once the matrix gap is filled', async () => {
    const page = await signInWithToken(browser, stack.url, await stack.token('grace', 'manager'), 'grace');
    await page.getByRole('link', { name: 'Readiness' }).click();
    await expect.poll(() => cell(page, 'EMEA/ownership').textContent(), seconds).toMatch(/fail.*1 ownership gaps: 1 no-backup/);
    expect(await cell(page, 'EMEA/input-reliability').textContent()).toMatch(/fail.*75%.*3 of 4 intakes refused.*payload\.sku \(3\)/);
    expect(await cell(page, 'NA/ownership').getAttribute('class')).toBe('pass');
    expect(await cell(page, 'NA/ready').textContent()).toMatch(/✓ ready/);
    expect(await page.locator('table[aria-label="EMEA: value per week"]').textContent()).toMatch(/rework-avoided.*minutes/);

    const promoteEmea = page.getByRole('button', { name: 'Promote EMEA to production' });
    expect(await promoteEmea.isDisabled()).toBe(true);
    expect(await page.locator('#why-EMEA').textContent()).toBe('Not ready: Input reliability (refused ÷ submitted), Ownership readiness (gaps in the audit), Days stable.');
    await screenshot(page, 'readiness-emea-held-back');
    expect(await unlabelledControls(page)).toEqual([]);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('po-test-readiness.csv');
    expect(readFileSync(await download.path(), 'utf8').split('\r\n')[0]).toBe('"criterion","EMEA measured","EMEA threshold","EMEA pass","EMEA why","NA measured","NA threshold","NA pass","NA why"');

    // The manager fills the gap on the ownership page, and comes back.
    await page.getByRole('link', { name: 'Ownership' }).click();
    const queueCell = page.locator('td[data-cell="EMEA/exception-queue"]');
    await queueCell.getByRole('button', { name: 'Edit EMEA exception-queue' }).click();
    await queueCell.getByLabel('Backup').selectOption('li');
    await queueCell.getByLabel('Why').fill('li backs priya up in EMEA too');
    await queueCell.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('section[aria-labelledby="matrix-title"] .notice').textContent(), seconds).toBe('Saved EMEA / exception-queue.');
    await page.getByRole('link', { name: 'Readiness' }).click();
    await expect.poll(() => cell(page, 'EMEA/ownership').getAttribute('class'), seconds).toBe('pass');
    expect(await cell(page, 'EMEA/ownership').textContent()).toMatch(/✓ pass.*no gap in the audit/);
    expect(await promoteEmea.isDisabled()).toBe(true);
    expect(await page.locator('#why-EMEA').textContent()).toBe('Not ready: Input reliability (refused ÷ submitted), Days stable.');

    // NA is ready: promoted from the page.
    await page.getByRole('button', { name: 'Promote NA to production' }).click();
    await expect.poll(() => cell(page, 'NA/ready').textContent(), seconds).toMatch(/In production/);
    await expect.poll(() => page.locator('th[data-region="NA"]').textContent(), seconds).toMatch(/production/);
    await screenshot(page, 'readiness-na-promoted');
    await page.context().close();
  });

  it('is not offered to operators', async () => {
    const page = await signInWithToken(browser, stack.url, await stack.token('olivia', 'operator'), 'olivia');
    expect(await page.getByRole('link', { name: 'Readiness' }).count()).toBe(0);
    await page.goto(`${stack.url}/#/readiness`);
    await expect.poll(() => page.locator('main').textContent(), seconds).toMatch(/needs the manager role/);
    await page.context().close();
  });
});

import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, slowPolicy } from '../world.js';
import { launchChromium, screenshot, signInWithToken, skipWithoutChromium, unlabelledControls } from './browser.js';

let stack: Stack;
let browser: Browser;

/** po-test in NA with one trigger: low-confidence recommendations above 20 % of decisions ask priya (model-retraining) to retrain. */
beforeAll(async () => {
  if (skipWithoutChromium) return;
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  const w = await buildWorld(stack);
  const template = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  Object.assign(template, { id: 'po-test', version: template.version + 1, slaPolicies: { critical: slowPolicy, high: slowPolicy, medium: slowPolicy, low: slowPolicy } });
  template.decisionTriggers = { 'low-confidence-share': { ...template.decisionTriggers['low-confidence-share'], threshold: 0.2 } };
  expect((await http(`${stack.url}/api/v1/capabilities/po-test`, { method: 'PUT', token: w.admin, body: template })).status).toBe(200);
  const at = new Date(Date.now() - 60_000).toISOString();
  expect((await http(`${stack.url}/api/v1/reports`, { token: w.integration, body: { events: [{ kind: 'decision', key: 'console-decisions', capability: 'po-test', region: 'NA', occurredAt: at, quantity: 6 }] } })).body.stored).toBe(1);
  for (let i = 0; i < 3; i++) {
    const body = {
      capability: 'po-test',
      region: 'NA',
      type: 'low-confidence-recommendation',
      sourceKey: `CONSOLE-LC-${i}`,
      title: `Low confidence on PO-0041261${i}`,
      confidence: 0.4,
      payload: { poNumber: `PO-0041261${i}`, supplierId: 'SUP-0042', sku: 'BRK-2210', quantity: 250, unitPrice: 10.1, currency: 'USD', needByDate: at.slice(0, 10), recommendedAction: 'expedite', modelVersion: 'po-rec-2.3.1', confidence: 0.4, recommendedAt: at },
    };
    expect((await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body })).status).toBe(201);
  }
  const fired = await http(`${stack.url}/api/v1/decisions/evaluate`, { token: w.grace, body: { capability: 'po-test' } });
  expect(fired.body.raised, JSON.stringify(fired.body)).toHaveLength(1);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const seconds = { timeout: 15_000 };

describe.skipIf(skipWithoutChromium)('decision items in the console', () => {
  it('an owner opens a retraining decision from the inbox, reads the evidence and records "retrain" with a target version', async () => {
    const page = await signInWithToken(browser, stack.url, await stack.token('priya', 'owner'), 'priya');
    await page.getByRole('link', { name: 'My inbox' }).click();
    const link = page.getByTestId('my-decisions').getByRole('link');
    await expect.poll(() => link.count(), seconds).toBe(1);
    expect(await link.textContent()).toMatch(/33\.3% of decisions raised low-confidence-recommendation \(3 of 9\)/);
    await link.click();

    // The evidence as numbers, a chart of the exceptions behind it, and links to them.
    const evidence = page.getByTestId('evidence');
    await expect.poll(() => evidence.textContent(), seconds).toMatch(/exceptions\s*3.*decisions\s*9/s);
    expect(await page.locator('figure.chart figcaption').textContent()).toBe('Exceptions behind it, per day');
    expect(await page.getByRole('link', { name: /exception:po-test:CONSOLE-LC-/ }).count()).toBe(3);
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByLabel('What was decided').selectOption('retrain');
    await page.getByLabel('With which data').fill('NA overrides of the last quarter, labelled by buyers');
    await page.getByLabel('Target model version').fill('po-rec-2.5.0');
    await page.getByRole('button', { name: 'Record' }).click();
    await expect.poll(() => page.getByTestId('decision-status').textContent(), seconds).toBe('decided');
    expect(await page.getByTestId('decision-outcome').textContent()).toMatch(/decided \(retrain\) by priya.*target po-rec-2\.5\.0/);
    expect(await page.getByTestId('before-after').textContent()).toMatch(/Waiting for intake payloads to carry po-rec-2\.5\.0/);
    await screenshot(page, 'decision-retrain');

    // A manager sees it in the log.
    const manager = await signInWithToken(browser, stack.url, await stack.token('grace', 'manager'), 'grace');
    await manager.getByRole('link', { name: 'Decisions' }).click();
    await expect.poll(() => manager.getByTestId('decision-log').textContent(), seconds).toMatch(/decided: retrain by priya/);
    expect(await manager.getByTestId('overdue-count').textContent()).toBe('0 open decisions past due');
  });
});

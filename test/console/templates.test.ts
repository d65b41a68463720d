import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceVarianceIntake } from '../../scripts/fixtures.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { launchChromium, screenshot, signInWithToken, skipWithoutChromium, unlabelledControls } from './browser.js';

let stack: Stack;
let browser: Browser;
let admin: string;
const ID = 'po-console';
const api = (p: string) => `${stack.url}/api/v1${p}`;
const shipped = (): Record<string, any> => ({ ...(YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>), id: ID });
let exceptionId = '';

/** po-console v1 in NA with a full matrix and one open price variance; v2 published with a shorter high claim window. */
beforeAll(async () => {
  if (skipWithoutChromium) return;
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  admin = await stack.token('root', 'admin');
  expect((await http(api(`/capabilities/${ID}`), { method: 'PUT', token: admin, body: { ...shipped(), version: 1 } })).status).toBe(201);
  expect((await http(api(`/capabilities/${ID}/regions/NA`), { method: 'PUT', token: admin, body: { localNotes: { exceptionTypes: { 'price-variance': 'NA: ask **procurement-na** before approving.' } } } })).status).toBe(201);
  for (const [id, managerId] of [['grace', null], ['priya', 'grace'], ['li', 'grace'], ['dana', 'grace']] as const) {
    expect((await http(api(`/people/${id}`), { method: 'PUT', token: admin, body: { name: id, email: `${id}@example.com`, managerId, roles: ['owner', 'operator', 'manager'] } })).status).toBeLessThan(300);
  }
  for (const area of ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']) {
    const res = await http(api(`/capabilities/${ID}/ownership/NA/${area}`), { method: 'PUT', token: admin, body: { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], reason: 'console world' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  const raised = await http(api('/exceptions'), { token: await stack.token('erp', 'integration'), body: priceVarianceIntake(ID, 'NA', 'CONSOLE-1') });
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  exceptionId = raised.body.id;
  const v2: Record<string, any> = { ...shipped(), version: 2 };
  v2.slaPolicies.high.claimWithin = '30m';
  expect((await http(api(`/capabilities/${ID}`), { method: 'PUT', token: admin, body: v2 })).status).toBe(200);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const seconds = { timeout: 15_000 };

describe.skipIf(skipWithoutChromium)('the web console, template versions', () => {
  it('shows the procedure and the local note beside the trust fields', async () => {
    const page = await signInWithToken(browser, stack.url, await stack.token('priya', 'owner'), 'priya');
    await page.goto(`${stack.url}/#/exception/${encodeURIComponent(exceptionId)}`);
    const procedure = page.getByRole('region', { name: 'How to handle it' });
    await expect.poll(() => procedure.textContent(), seconds).toContain('contract price and tolerance');
    expect(await procedure.textContent()).toContain('template version 1');
    expect(await procedure.locator('strong', { hasText: 'procurement-na' }).count()).toBe(1);
  });

  it('lets a manager read the diff and the impact of version 2 in NA, then adopt it', async () => {
    const page = await signInWithToken(browser, stack.url, await stack.token('grace', 'manager'), 'grace');
    await page.getByRole('link', { name: 'Templates' }).click();
    const na = page.locator('table.versions tr[data-region="NA"]');
    await expect.poll(() => na.textContent(), seconds).toMatch(/NA\s*1\s*\(1 behind\)/);
    await page.getByRole('button', { name: 'Preview version 2 for NA' }).click();

    const change = page.locator('table.diff tr[data-path="slaPolicies.high.claimWithin"]');
    await expect.poll(() => change.textContent(), seconds).toMatch(/sla\s*changed\s*slaPolicies\.high\.claimWithin\s*1h\s*30m/);
    expect(await page.locator('table.diff tbody tr').count()).toBe(1);
    // The one open exception is a high price variance: version 2 would give it another claim deadline.
    expect(await page.locator('[data-impact="changeDeadline"]').textContent()).toBe('1');
    expect(await page.locator('[data-impact="changeOwner"]').textContent()).toBe('0');
    expect(await page.locator('[data-impact="failContract"]').textContent()).toBe('0');
    expect(await page.locator('section.preview table.rehearsal td.fail').count()).toBe(0);
    expect(await page.locator('section.preview table.rehearsal td.pass').count()).toBeGreaterThanOrEqual(10);
    await screenshot(page, 'templates-preview');
    expect(await unlabelledControls(page)).toEqual([]);

    // NA's stored rehearsal ran when it was rolled out, before its matrix was filled: the console says so.
    expect(await page.getByText('The ownership matrix of NA changed after this rehearsal').count()).toBe(1);

    await page.getByRole('button', { name: 'Adopt version 2 in NA' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'now runs' }).textContent(), seconds).toMatch(/NA now runs version 2 \(rehearsal: (\d+) of \1 scenarios pass\)/);
    await expect.poll(() => na.textContent(), seconds).toMatch(/NA\s*2/);
    await expect.poll(() => page.getByText('The ownership matrix of NA changed after this rehearsal').count(), seconds).toBe(0);
    const history = await http(api(`/capabilities/${ID}/versions`), { token: admin });
    expect(history.body.regions).toEqual([{ region: 'NA', templateVersion: 2, behind: 0 }]);
    await screenshot(page, 'templates-adopted');
  });
});

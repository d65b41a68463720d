import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { expect } from 'vitest';
import { priceVarianceIntake } from '../scripts/fixtures.js';
import { http } from './http.js';
import type { Stack } from './stack.js';

/** The version of the shipped template (templates/po-assist.yaml): a path parameter the route-table tests fill in. */
export const shippedVersion = (YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as { version: number }).version;

/** SLAs in seconds, so escalation can be watched in a test. */
export const fastPolicy = {
  claimWithin: '2s',
  resolveWithin: '20s',
  claimLease: '3s',
  escalation: [
    { after: '1s', notify: 'backup' },
    { after: '2s', notify: 'escalation[0]' },
    { after: '3s', notify: 'manager-of-owner' },
  ],
  repeat: { every: '2s', times: 2 },
};

export const slowPolicy = { ...fastPolicy, claimWithin: '1h', resolveWithin: '2h', claimLease: '1h' };

/**
 * A capability `po-test` (the shipped PO Assist template with chosen SLAs), rolled out to NA, with a
 * manager, an owner, a backup, a chain and two operators.
 */
export async function buildWorld(stack: Stack, options: { policy?: object; id?: string } = {}) {
  const id = options.id ?? 'po-test';
  const template = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  template.id = id;
  // Wall-time clocks, so seconds-long SLAs fire at any hour the suite runs; calendars: test/lifecycle/calendar.test.ts.
  delete template.businessCalendar;
  const policy = options.policy ?? slowPolicy;
  template.slaPolicies = { critical: policy, high: policy, medium: policy, low: policy };
  // The shipped scenarios expect the shipped policies' escalation steps; this world has others.
  delete template.scenarios;
  const admin = await stack.token('root', 'admin');
  const put = await http(`${stack.url}/api/v1/capabilities/${id}`, { method: 'PUT', token: admin, body: template });
  expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
  await http(`${stack.url}/api/v1/capabilities/${id}/regions/NA`, { method: 'PUT', token: admin, body: {} });
  const people: Array<[string, string | null, string[]]> = [
    ['grace', null, ['manager']],
    ['priya', 'grace', ['owner']],
    ['li', 'grace', ['operator']],
    ['dana', 'grace', ['owner']],
    ['olivia', 'dana', ['operator']],
    ['omar', 'dana', ['operator']],
  ];
  for (const [pid, managerId, roles] of people) {
    const res = await http(`${stack.url}/api/v1/people/${pid}`, { method: 'PUT', token: admin, body: { name: pid, email: `${pid}@example.com`, managerId, roles } });
    expect(res.status).toBeLessThan(300);
  }
  for (const area of ['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']) {
    const res = await http(`${stack.url}/api/v1/capabilities/${id}/ownership/NA/${area}`, {
      method: 'PUT',
      token: admin,
      body: { owner: 'priya', backup: 'li', escalation: ['dana'], reason: 'test world' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  return {
    capability: id,
    admin,
    integration: await stack.token('erp', 'integration'),
    olivia: await stack.token('olivia', 'operator'),
    omar: await stack.token('omar', 'operator'),
    priya: await stack.token('priya', 'owner'),
    grace: await stack.token('grace', 'manager'),
  };
}

/** Operators the directory knows: a subject outside it may act only as an integration (docs/security.md). */
export async function enrolOperators(stack: Stack, admin: string, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const id of ids) {
    const res = await http(`${stack.url}/api/v1/people/${id}`, { method: 'PUT', token: admin, body: { name: id, email: `${id}@example.com`, roles: ['operator'] } });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
  return Promise.all(ids.map((id) => stack.token(id, 'operator')));
}

let counter = 0;
/** A valid price-variance intake for po-test in NA. */
export function priceVariance(capability = 'po-test', overrides: Record<string, unknown> = {}) {
  counter += 1;
  const sourceKey = `PO-${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  return { ...priceVarianceIntake(capability, 'NA', sourceKey), ...overrides };
}

export const path = (id: string) => encodeURIComponent(id);

/** Polls until `check` passes or the time is up; escalations are timer-driven. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

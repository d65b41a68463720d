import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, priceVariance } from '../world.js';

/**
 * Issue 13, Why §4: an NA overlay with `claimWithin: 999999999d` was saved (200); the next intake
 * answered 500 and every listing after it too, since claimBy lay past the largest Date. The save
 * itself must refuse it.
 */
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;

beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack, { id: 'po-bounds' });
});
afterAll(async () => {
  await stack?.close();
});

describe('bounded durations, checked when saved', () => {
  it('refuses an NA overlay whose claim SLA is absurd, naming the path, and the queue keeps working', async () => {
    const overlay = await http(`${stack.url}/api/v1/capabilities/po-bounds/regions/NA`, {
      method: 'PUT',
      token: w.admin,
      body: { slaPolicies: { medium: { claimWithin: '999999999d' } } },
    });
    expectProblem(overlay, 422);
    expect(overlay.body.errors).toContainEqual({ path: 'slaPolicies.medium.claimWithin', message: 'must be at most 90d' });

    const region = await http(`${stack.url}/api/v1/capabilities/po-bounds/regions/NA`, { token: w.admin });
    expect(region.body.effective.slaPolicies.medium.claimWithin).toBe('1h');

    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-bounds', { severity: 'medium' }) });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    const listing = await http(`${stack.url}/api/v1/exceptions?capability=po-bounds`, { token: w.olivia });
    expect(listing.status, JSON.stringify(listing.body)).toBe(200);
    expect(listing.body.items.length).toBeGreaterThan(0);
  });

  it('refuses a core template whose lease and escalation delays pass their bounds, naming every path', async () => {
    const current = await http(`${stack.url}/api/v1/capabilities/po-bounds`, { token: w.admin });
    const template = structuredClone(current.body.template);
    template.version += 1;
    template.slaPolicies.high.claimLease = '31d';
    template.slaPolicies.low.escalation.at(-1).after = '40d';
    template.slaPolicies.critical.repeat = { every: '1h', times: 1000 };
    const put = await http(`${stack.url}/api/v1/capabilities/po-bounds`, { method: 'PUT', token: w.admin, body: template });
    expectProblem(put, 422);
    const paths = (put.body.errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['slaPolicies.high.claimLease', `slaPolicies.low.escalation.${template.slaPolicies.low.escalation.length - 1}.after`, 'slaPolicies.critical.repeat.times']),
    );
  });
});

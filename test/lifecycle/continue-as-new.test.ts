import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../worker/ledger-verify.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

/**
 * Every transition ends its run (CONTINUE_AS_NEW_AFTER=1) while the matrix keeps moving the cell's
 * owner: a reroute that arrives while a run is finishing is carried into the next, never dropped.
 */
describe('continue-as-new on every transition', () => {
  let stack: Stack;
  let world: Awaited<ReturnType<typeof buildWorld>>;
  beforeAll(async () => {
    stack = await startStack({ env: { CONTINUE_AS_NEW_AFTER: '1' } });
    world = await buildWorld(stack);
  }, 60_000);
  afterAll(async () => stack?.close());

  it('applies every reroute and every update, and the ledger matches the workflows', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await http(`${stack.url}/api/v1/exceptions`, { method: 'POST', token: world.integration, body: priceVariance() });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    const owners = ['dana', 'priya', 'dana', 'priya', 'dana'];
    const statuses: Record<number, number> = {};
    const count = (s: number) => (statuses[s] = (statuses[s] ?? 0) + 1);
    await Promise.all([
      (async () => {
        for (const owner of owners) {
          const res = await http(`${stack.url}/api/v1/capabilities/po-test/ownership/NA/business-rules`, {
            method: 'PUT',
            token: world.admin,
            body: { owner, backup: 'li', escalation: ['grace'], reason: `rota: ${owner}` },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          await new Promise((r) => setTimeout(r, 150));
        }
      })(),
      ...ids.map(async (id, i) => {
        for (let round = 0; round < 4; round++) {
          count((await http(`${stack.url}/api/v1/exceptions/${path(id)}/comments`, { method: 'POST', token: world.omar, body: { text: `round ${round}` } })).status);
          if (i % 2 === 0) {
            count((await http(`${stack.url}/api/v1/exceptions/${path(id)}/claim`, { method: 'POST', token: world.olivia, body: {} })).status);
            count((await http(`${stack.url}/api/v1/exceptions/${path(id)}/release`, { method: 'POST', token: world.olivia, body: {} })).status);
          }
        }
      }),
    ]);
    expect(Object.keys(statuses)).toEqual(['200']);
    for (const id of ids) expect(await stack.continuedAsNew(id)).toBe(true);
    // The last rota entry is dana: every open exception of the cell ends with her.
    const final = await eventually(
      async () => Promise.all(ids.map(async (id) => (await http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: world.grace })).body.owner as string)),
      (owners) => owners.every((o) => o === 'dana'),
    );
    expect(final).toEqual(ids.map(() => 'dana'));
    await stack.worker!.confirmer.settle();
    const report = await verifyLedger({ ledger: stack.ledger, client: stack.api.client, skipVisibility: true });
    expect(report.differences).toEqual([]);
  }, 120_000);
});

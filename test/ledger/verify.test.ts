import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyOne } from '../../worker/ledger-verify.js';
import { http } from '../http.js';
import { eachLedger } from '../ledgers.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

/** ledger:verify must see what a user would see go wrong: a column a listing filters on, a lost event, a stray inbox entry. */
eachLedger('ledger:verify', (ledger) => {
  let stack: Stack;
  let world: Awaited<ReturnType<typeof buildWorld>>;
  beforeAll(async () => {
    stack = await startStack({ ledger });
    world = await buildWorld(stack);
  }, 60_000);
  afterAll(async () => stack?.close());

  const verify = (id: string) => verifyOne({ ledger: stack.ledger, client: stack.api.client }, id);
  async function claimed(): Promise<string> {
    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: world.integration, body: priceVariance() });
    expect(raised.status).toBe(201);
    const id = raised.body.id as string;
    expect((await http(`${stack.url}/api/v1/exceptions/${path(id)}/claim`, { token: world.olivia, body: {} })).status).toBe(200);
    expect(await verify(id)).toEqual([]);
    return id;
  }

  it('reports a claimant column that disagrees with history, though the stored state agrees', async () => {
    const id = await claimed();
    await stack.ledger.updateTable('exceptions').set({ claimant: 'mallory' }).where('id', '=', id).execute();
    expect(await verify(id)).toEqual([expect.objectContaining({ kind: 'state', detail: expect.stringContaining('differs: claimant') })]);
  });

  it('reports a lost timeline event and an inbox entry history never recorded', async () => {
    const id = await claimed();
    await stack.ledger.deleteFrom('exception_events').where('exception_id', '=', id).where('seq', '=', 2).execute();
    await stack.ledger.insertInto('inbox').values({ person: 'mallory', exception_id: id, seq: 2, kind: 'assigned', level: 0, reason: 'planted', at: Date.now(), fence: 0 }).execute();
    const kinds = (await verify(id)).map((d) => d.kind);
    expect(kinds).toContain('timeline');
    expect(kinds).toContain('inbox');
  });
});

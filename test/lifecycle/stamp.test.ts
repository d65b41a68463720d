import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimException, commentOnException, type ExceptionState, getException } from '../../workflows/exception/messages.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

/**
 * A transition's time is the API's stamp, carried in the update (decision 0010), so a replay computes
 * the claim time and lease the answering attempt wrote, whatever the workflow task's start time.
 */
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

const raise = async () => {
  const res = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const olivia = { id: 'olivia', roles: ['operator' as const] };

describe.concurrent('transition stamps', () => {
  it('takes the time the API stamped, never earlier than the last transition, for the state and the ledger', async () => {
    const id = await raise();
    const handle = stack.api.client.workflow.getHandle(id);
    const before = await handle.query(getException);
    const stamp = Date.now() - 3_000;
    await handle.executeUpdate(claimException, { args: [{ actor: olivia, at: stamp }] });
    const claimed: ExceptionState = await handle.query(getException);
    expect(claimed.updatedAt).toBe(Math.max(stamp, before.updatedAt));
    // A stamp before the last transition does not run the timeline backwards.
    await handle.executeUpdate(commentOnException, { args: [{ actor: olivia, text: 'checked', at: claimed.updatedAt - 1_000 }] });
    expect((await handle.query(getException)).updatedAt).toBe(claimed.updatedAt);
    const timeline = await http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin });
    const claim = (timeline.body.items as Array<{ action: string; at: string }>).find((e) => e.action === 'claimed')!;
    expect(Date.parse(claim.at)).toBe(claimed.updatedAt);
  });

  it('refuses a stamp far from the workflow clock without writing history, and the API stamps its own', async () => {
    const id = await raise();
    const handle = stack.api.client.workflow.getHandle(id);
    const events = async () => (await handle.fetchHistory()).events?.length ?? 0;
    const length = await events();
    const refused = await handle.executeUpdate(claimException, { args: [{ actor: olivia, at: Date.now() - 3_600_000 }] }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'Unavailable', message: expect.stringMatching(/clock/) });
    expect(await events()).toBe(length);

    const began = Date.now();
    const res = await http(`${stack.url}/api/v1/exceptions/${path(id)}/claim`, { method: 'POST', token: w.olivia, body: {} });
    expect(res.status).toBe(200);
    const state = await handle.query(getException);
    expect(state.updatedAt).toBeGreaterThanOrEqual(began);
    expect(state.updatedAt).toBeLessThanOrEqual(Date.now());
  });
});

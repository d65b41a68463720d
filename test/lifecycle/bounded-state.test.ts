import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyOne } from '../../worker/ledger-verify.js';
import { http } from '../http.js';
import { inParallel, report } from '../reliability/soak.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, path, priceVariance } from '../world.js';

type World = Awaited<ReturnType<typeof buildWorld>>;

/**
 * 1000 comments of 5 KB (5 MB of update arguments) already pass the dev server's continue-as-new
 * suggestion, and 300 hand escalations twelve times the per-exception limit of 25. `SOAK=1 npx vitest
 * run test/lifecycle/bounded-state.test.ts` runs 2000 of each, as before npm test's time budget.
 */
const COMMENTS = process.env.SOAK ? 2000 : 1000;
const ESCALATIONS = process.env.SOAK ? 2000 : 300;

/** Whatever users do to one exception, its workflow state stays bounded, it stays workable, and the ledger agrees. */
describe('bounded workflow state', () => {
  let stack: Stack;
  let world: World;
  beforeAll(async () => {
    stack = await startStack();
    world = await buildWorld(stack);
  }, 60_000);
  afterAll(async () => stack?.close());

  async function raise(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await http(`${stack.url}/api/v1/exceptions`, { method: 'POST', token: world.integration, body: priceVariance('po-test', overrides) });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(201);
    return res.body.id as string;
  }
  const act = (id: string, action: string, token: string, body: unknown = {}) => http(`${stack.url}/api/v1/exceptions/${path(id)}/${action}`, { method: 'POST', token, body });

  async function claimResolveAndVerify(id: string) {
    const claimed = await act(id, 'claim', world.olivia);
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
    const resolved = await act(id, 'resolve', world.olivia, { code: 'corrected-and-released' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    await stack.worker!.confirmer.settle();
    expect(await verifyOne({ ledger: stack.ledger, client: stack.api.client }, id)).toEqual([]);
  }

  async function historyOf(id: string) {
    const handle = stack.api.client.workflow.getHandle(id);
    const history = await handle.fetchHistory();
    const sizes = (history.events ?? []).map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
    return { events: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0), firstEventBytes: sizes[0] ?? 0 };
  }

  it(`takes ${COMMENTS} comments of 5 KB on one exception, continuing as new, then a claim and a resolve`, async () => {
    const id = await raise();
    const text = 'c'.repeat(5000);
    const statuses: Record<number, number> = {};
    await inParallel(Array.from({ length: COMMENTS }, (_, i) => i), 8, async () => {
      const res = await act(id, 'comments', world.omar, { text });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    });
    expect(statuses).toEqual({ 200: COMMENTS });
    expect(await stack.continuedAsNew(id)).toBe(true);
    const current = await historyOf(id);
    const detail = await http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: world.olivia });
    expect(detail.body.commentCount).toBe(COMMENTS);
    expect(detail.body.comments).toHaveLength(100);
    report(`${COMMENTS} comments of 5 KB`, { currentRunEvents: current.events, currentRunBytes: current.bytes });
    await claimResolveAndVerify(id);
  }, 300_000);

  it('takes a payload just under the 1 MB body limit, then 50 comments, a claim and a resolve', async () => {
    const base = priceVariance();
    const id = await raise({ payload: { ...base.payload, attachment: 'p'.repeat(1_000_000) } });
    for (let i = 0; i < 50; i++) expect((await act(id, 'comments', world.omar, { text: `note ${i}` })).status).toBe(200);
    const detail = await http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: world.olivia });
    expect((detail.body.payload.attachment as string).length).toBe(1_000_000);
    const history = await historyOf(id);
    // The payload is in history once, in the start event; 50 transitions add only their own bytes.
    expect(history.bytes - history.firstEventBytes).toBeLessThan(200_000);
    await claimResolveAndVerify(id);
  }, 120_000);

  it(`refuses hand escalations past the per-exception limit with 422, and stays workable after ${ESCALATIONS} attempts`, async () => {
    const id = await raise();
    const statuses: Record<number, number> = {};
    const reason = 'r'.repeat(2000);
    await inParallel(Array.from({ length: ESCALATIONS }, (_, i) => i), 8, async () => {
      const res = await act(id, 'escalate', world.omar, { reason });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 422) expect(res.body.detail).toMatch(/Escalated by hand 25 times already/);
    });
    expect(statuses).toEqual({ 200: 25, 422: ESCALATIONS - 25 });
    const detail = await http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: world.olivia });
    expect(detail.body.escalations.length).toBeLessThanOrEqual(5);
    expect(detail.body.escalationCount).toBeGreaterThanOrEqual(25);
    await claimResolveAndVerify(id);
  }, 300_000);

  it('adds the same history bytes per transition whatever the payload size', async () => {
    const perTransition: Record<string, number> = {};
    for (const [label, size] of [['1 KB', 1_000], ['100 KB', 100_000], ['900 KB', 900_000]] as const) {
      const base = priceVariance();
      const id = await raise({ payload: { ...base.payload, attachment: 'p'.repeat(size) } });
      const before = await historyOf(id);
      for (const [action, body] of [['claim', {}], ['comments', { text: 'checked the contract price' }], ['release', { reason: 'shift ends' }], ['claim', {}], ['resolve', { code: 'corrected-and-released' }]] as const) {
        expect((await act(id, action, world.olivia, body)).status).toBe(200);
      }
      const after = await historyOf(id);
      perTransition[label] = Math.round((after.bytes - before.bytes) / 5);
    }
    report('history bytes per transition', perTransition);
    expect(perTransition['900 KB']!).toBeLessThan(perTransition['1 KB']! + 1000);
    expect(perTransition['100 KB']!).toBeLessThan(perTransition['1 KB']! + 1000);
  }, 120_000);
});

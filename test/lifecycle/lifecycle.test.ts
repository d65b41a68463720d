import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, enrolOperators, path, priceVariance } from '../world.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

const raise = (body: unknown, token = w.integration) => http(`${stack.url}/api/v1/exceptions`, { token, body });
const act = (id: string, action: string, token: string, body: unknown = {}) => http(`${stack.url}/api/v1/exceptions/${path(id)}/${action}`, { token, body });

describe('the exception lifecycle', () => {
  it('takes a PO exception from surfacing to resolution through the API alone', async () => {
    const raised = await raise(priceVariance());
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    expect(raised.body).toMatchObject({ status: 'open', owner: 'priya', ownerSource: 'owner', area: 'business-rules', severity: 'high' });
    expect(raised.body.trust).toMatchObject({ confidence: 0.42, qualityChecks: [{ name: 'price-outlier', passed: false }] });
    expect(Date.parse(raised.body.deadlines.claimBy)).toBeGreaterThan(Date.now());
    const id = raised.body.id as string;
    expect(id).toMatch(/^exception:po-test:PO-/);

    const claimed = await act(id, 'claim', w.olivia);
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
    expect(claimed.body).toMatchObject({ status: 'claimed', claimant: 'olivia' });

    // Read-your-writes: the listing shows the claim as soon as the claim returned.
    const listing = await http(`${stack.url}/api/v1/exceptions?claimant=olivia&status=claimed`, { token: w.olivia });
    expect(listing.body.items.map((e: { id: string }) => e.id)).toContain(id);

    expect((await act(id, 'comments', w.olivia, { text: 'Checked the contract: price list expired.' })).status).toBe(200);
    const resolved = await act(id, 'resolve', w.olivia, { code: 'supplier-price-corrected', note: 'Supplier re-issued at contract price', valueEvent: 'rework-avoided' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: { code: 'supplier-price-corrected', valueEvent: 'rework-avoided', by: 'olivia' } });

    const detail = await http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: w.priya });
    expect(detail.body.status).toBe('resolved');
    const timeline = await http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: w.priya });
    expect(timeline.body.items.map((e: { action: string; actor: string }) => `${e.action}:${e.actor}`)).toEqual([
      'surfaced:erp',
      'claimed:olivia',
      'commented:olivia',
      'resolved:olivia',
    ]);
    expect(timeline.body.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('returns the existing exception for a duplicate, sequentially and 20 at once', async () => {
    const body = priceVariance();
    const first = await raise(body);
    expect(first.status).toBe(201);
    const again = await raise(body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    const storm = priceVariance();
    const results = await Promise.all(Array.from({ length: 20 }, () => raise(storm)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(19);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const listed = await http(`${stack.url}/api/v1/exceptions?limit=500`, { token: w.admin });
    expect(listed.body.items.filter((e: { id: string }) => e.id === results[0]!.body.id)).toHaveLength(1);
  });

  it('gives 20 concurrent claims exactly one winner and 19 × 409 naming the claimant', async () => {
    const { body } = await raise(priceVariance());
    const tokens = await enrolOperators(stack, w.admin, 'op', 20);
    const claims = await Promise.all(tokens.map((token) => act(body.id, 'claim', token)));
    const odd = claims.filter((c) => c.status !== 200 && c.status !== 409);
    expect(odd.map((c) => c.body), 'every claim is won or refused').toEqual([]);
    const winners = claims.filter((c) => c.status === 200);
    expect(winners).toHaveLength(1);
    const losers = claims.filter((c) => c.status === 409);
    expect(losers).toHaveLength(19);
    expect(losers[0]!.body.detail).toBe(`Claimed by ${winners[0]!.body.claimant}.`);
    const timeline = await http(`${stack.url}/api/v1/exceptions/${path(body.id)}/timeline`, { token: w.admin });
    expect(timeline.body.items.filter((e: { action: string }) => e.action === 'claimed')).toHaveLength(1);
  });

  it('refuses what a client may not do, with the right status', async () => {
    const { body } = await raise(priceVariance());
    await act(body.id, 'claim', w.olivia);
    // Another operator may not resolve olivia's claim.
    expectProblem(await act(body.id, 'resolve', w.omar, { code: 'fixed' }), 403);
    // A value event the template does not count.
    const badEvent = await act(body.id, 'resolve', w.olivia, { code: 'fixed', valueEvent: 'made-up' });
    expectProblem(badEvent, 422);
    expect(badEvent.body.errors[0].path).toBe('valueEvent');
    // Dismiss needs a reason (400) and the owner or a manager (403 for an operator).
    expectProblem(await act(body.id, 'dismiss', w.priya, {}), 400);
    expectProblem(await act(body.id, 'dismiss', w.olivia, { reason: 'noise' }), 403);
    // Reassign only to an active, known person.
    const ghost = await act(body.id, 'reassign', w.grace, { to: 'ghost', reason: 'r' });
    expectProblem(ghost, 422);
    // Resolve, then a claim on the resolved exception is 409.
    expect((await act(body.id, 'resolve', w.olivia, { code: 'fixed' })).status).toBe(200);
    expectProblem(await act(body.id, 'claim', w.omar), 409);
    expectProblem(await act('exception:po-test:nope', 'claim', w.omar), 404);
  });

  it('reassigns to an active person and notifies them', async () => {
    const { body } = await raise(priceVariance());
    const res = await act(body.id, 'reassign', w.grace, { to: 'dana', reason: 'Dana covers supplier pricing this week' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ owner: 'dana', ownerSource: 'reassigned' });
    const inbox = await http(`${stack.url}/api/v1/me/inbox`, { token: await stack.token('dana', 'owner') });
    expect(inbox.body.items.find((i: { exceptionId: string }) => i.exceptionId === body.id)).toMatchObject({ kind: 'reassigned', reason: expect.stringContaining('supplier pricing') });
  });

  it('refuses intake with clear 4xx and keeps every contract violation in the quarantine', async () => {
    const unknownCap = await raise(priceVariance('no-such-cap'));
    expectProblem(unknownCap, 422);
    expect(unknownCap.body.errors[0]).toMatchObject({ path: 'capability', message: expect.stringContaining('po-test') });
    const unknownRegion = await raise(priceVariance('po-test', { region: 'APAC' }));
    expectProblem(unknownRegion, 422);
    expect(unknownRegion.body.errors[0].message).toContain('NA');
    const unknownType = await raise(priceVariance('po-test', { type: 'alien' }));
    expectProblem(unknownType, 422);
    expect(unknownType.body.errors[0].message).toContain('price-variance');

    const wrongTypes = await raise({ ...priceVariance(), confidence: 'high', sourceRefs: 'erp' });
    expectProblem(wrongTypes, 400);
    expect(wrongTypes.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['confidence', 'sourceRefs']));

    const bad = priceVariance();
    bad.payload = { ...bad.payload, quantity: 2.5, currency: 'DOGE', unitPrice: undefined } as never;
    const violation = await raise(bad);
    expectProblem(violation, 422);
    const paths = violation.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['payload.quantity', 'payload.currency', 'payload.unitPrice']));
    expect(violation.body.quarantineId).toEqual(expect.any(Number));

    const kept = await http(`${stack.url}/api/v1/quarantine?sourceKey=${encodeURIComponent(bad.sourceKey)}`, { token: w.integration });
    expect(kept.body.items).toHaveLength(1);
    expect(kept.body.items[0]).toMatchObject({ id: violation.body.quarantineId, actor: 'erp', type: 'price-variance', body: { sourceKey: bad.sourceKey } });
    expect(kept.body.items[0].reasons.map((r: { path: string }) => r.path)).toEqual(paths);

    const huge = await raise({ ...priceVariance(), title: 'x'.repeat(2_000_000) });
    expectProblem(huge, 413);
  });

  it('raises a batch with one result per item', async () => {
    const good = priceVariance();
    const items = [good, good, { ...priceVariance(), type: 'alien' }, { nonsense: true }];
    const res = await http(`${stack.url}/api/v1/exceptions:batch`, { token: w.integration, body: { items } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const statuses = res.body.results.map((r: { status: number }) => r.status);
    expect(statuses[2]).toBe(422);
    expect(statuses[3]).toBe(400);
    expect([...statuses.slice(0, 2)].sort((a: number, b: number) => a - b)).toEqual([200, 201]);
    expect(res.body).toMatchObject({ created: 1, duplicates: 1, refused: 2 });
    expectProblem(await http(`${stack.url}/api/v1/exceptions:batch`, { token: w.integration, body: { items: Array(1001).fill(good) } }), 400);
  });
});

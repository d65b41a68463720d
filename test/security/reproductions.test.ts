import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceVarianceIntake } from '../../scripts/fixtures.js';
import { expectProblem, http } from '../http.js';
import type { Stack } from '../stack.js';
import { path } from '../world.js';
import { openIn, startDemoStack } from './demo-stack.js';

/**
 * The holes of issue 13 as a new user found them, on the demo data (`npm start` on an empty folder):
 * each of these answered 200/201 before scope, directory status and role grants were checked.
 */
let stack: Stack;
let admin: string;
beforeAll(async () => {
  stack = await startDemoStack();
  admin = await stack.token('root', 'admin');
});
afterAll(async () => stack?.close());

const api = (p: string) => `${stack.url}/api/v1${p}`;
const person = (id: string) => http(api(`/people/${id}`), { token: admin });
const exception = (id: string) => http(api(`/exceptions/${path(id)}`), { token: admin });
const putPerson = (id: string, body: object, token = admin) =>
  http(api(`/people/${id}`), { method: 'PUT', token, body: { name: id, email: `${id}@example.com`, managerId: 'grace', ...body } });

describe('Why §1: a departed person cannot act', () => {
  it("marco's token (departed in the demo) cannot claim or resolve, and the answer says since when", async () => {
    expect((await person('marco')).body.status).toBe('departed');
    const marco = await stack.mint({ sub: 'marco', roles: ['owner', 'operator'] });
    const [id] = await openIn(stack, 'NA');
    const claim = await http(api(`/exceptions/${path(id!)}/claim`), { token: marco, body: {} });
    expectProblem(claim, 403);
    expect(claim.body.detail).toMatch(/^marco departed on \d{4}-\d\d-\d\d/);
    const resolve = await http(api(`/exceptions/${path(id!)}/resolve`), { token: marco, body: { code: 'supplier-price-corrected' } });
    expectProblem(resolve, 403);
    expect((await exception(id!)).body).toMatchObject({ status: 'open', claimant: null });
    // Nor read: the token of someone who has left shows nothing.
    expectProblem(await http(api('/exceptions'), { token: marco }), 403);
  });

  it('a claim never outlives its claimant: the sweep releases it, and a claim after the departure is refused within seconds', async () => {
    expect((await putPerson('kai', { roles: ['operator'] })).status).toBe(201);
    const kai = await stack.token('kai', 'operator');
    const [first, second] = await openIn(stack, 'EMEA');
    expect((await http(api(`/exceptions/${path(first!)}/claim`), { token: kai, body: {} })).status).toBe(200);
    const sweep = await http(api('/people/kai/departure'), { token: admin, body: { reason: 'left the company' } });
    expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
    expect((await exception(first!)).body.claimant).toBeNull();
    const late = await http(api(`/exceptions/${path(second!)}/claim`), { token: kai, body: {} });
    expectProblem(late, 403);
    expect(late.body.detail).toContain('kai departed on');
    expect((await exception(second!)).body.claimant).toBeNull();
  });

  it('a person on leave reads but does not act', async () => {
    expect((await putPerson('lena', { roles: ['operator'], status: 'on-leave' })).status).toBe(201);
    const lena = await stack.token('lena', 'operator');
    expect((await http(api('/exceptions'), { token: lena })).status).toBe(200);
    const [id] = await openIn(stack, 'NA');
    const claim = await http(api(`/exceptions/${path(id!)}/claim`), { token: lena, body: {} });
    expectProblem(claim, 403);
    expect(claim.body.detail).toContain('lena is on leave');
  });

  it('a subject outside the directory acts only as an integration (or an admin)', async () => {
    const [id] = await openIn(stack, 'NA');
    const ghost = await http(api(`/exceptions/${path(id!)}/claim`), { token: await stack.token('ghost', 'operator'), body: {} });
    expectProblem(ghost, 403);
    expect(ghost.body.detail).toContain('ghost is not in the people directory');
    const erp = await stack.token('erp', 'integration');
    const raised = await http(api('/exceptions'), { token: erp, body: priceVarianceIntake('po-assist', 'NA', `SEC-${Date.now()}`) });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    const comment = await http(api(`/exceptions/${path(raised.body.id)}/comments`), { token: erp, body: { text: 'from the ERP' } });
    expect(comment.status).toBe(200);
    // Holding a person's role beside integration does not let an unknown subject claim.
    const mixed = await http(api(`/exceptions/${path(raised.body.id)}/claim`), { token: await stack.token('erp', 'integration', 'operator'), body: {} });
    expectProblem(mixed, 403);
  });
});

describe('Why §2: a region-scoped manager changes only their region', () => {
  const hannah = () => stack.mint({ sub: 'hannah', roles: ['manager'], scope: ['po-assist:EMEA'] });

  it('cannot PUT the core template (NA keeps its claim SLA)', async () => {
    const template = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
    template.version += 1;
    template.slaPolicies.medium.claimWithin = '1s';
    const res = await http(api('/capabilities/po-assist'), { method: 'PUT', token: await hannah(), body: template });
    expectProblem(res, 403);
    expect(res.body.detail).toContain('po-assist');
    const na = await http(api('/capabilities/po-assist/regions/NA'), { token: admin });
    expect(na.body.effective.slaPolicies.medium.claimWithin).not.toBe('1s');
  });

  it("cannot start jordan's departure, which would rewrite NA cells; the 403 names them", async () => {
    const res = await http(api('/people/jordan/departure'), { token: await hannah(), body: { reason: 'reorg' } });
    expectProblem(res, 403);
    expect(res.body.detail).toContain('po-assist:NA (owner of business-rules');
    expect(res.body.detail).toMatch(/^This would touch po-assist:NA \(owner of business-rules[^;]*\), outside your token's scope \(po-assist:EMEA\)\.$/);
    expect((await person('jordan')).body.status).toBe('active');
    const matrix = await http(api('/capabilities/po-assist/ownership?region=NA'), { token: admin });
    expect(matrix.body.regions.NA['business-rules'].owner).toBe('jordan');
    expect((await http(api('/people/jordan/departure'), { token: admin })).status).toBe(404);
  });

  it('cannot change a person whose cells reach NA, but can start the departure of someone wholly in EMEA', async () => {
    expectProblem(await putPerson('jordan', { roles: ['owner', 'operator'], status: 'on-leave', managerId: 'raj' }, await hannah()), 403);
    const tomas = await http(api('/people/tomas/departure'), { token: await hannah(), body: { reason: 'moved to another team' } });
    expect(tomas.status, JSON.stringify(tomas.body)).toBe(200);
  });
});

describe('Why §3: the quarantine shows only what the scope covers', () => {
  it('an EMEA-scoped integration token does not see NA quarantined intakes', async () => {
    const erp = await stack.token('erp', 'integration');
    const sourceKey = `SEC-QUARANTINE-${Date.now()}`;
    const bad = priceVarianceIntake('po-assist', 'NA', sourceKey);
    delete bad.payload.sku;
    expectProblem(await http(api('/exceptions'), { token: erp, body: bad }), 422);
    const all = await http(api(`/quarantine?sourceKey=${sourceKey}`), { token: erp });
    expect(all.body.items).toHaveLength(1);
    const emea = await stack.mint({ sub: 'erp', roles: ['integration'], scope: ['po-assist:EMEA'] });
    const scoped = await http(api('/quarantine?limit=200'), { token: emea });
    expect(scoped.status).toBe(200);
    expect(scoped.body.items.filter((r: { region: string | null }) => r.region !== 'EMEA')).toEqual([]);
    expect(JSON.stringify(scoped.body)).not.toContain(sourceKey);
  });
});

describe('Why §7: no role escalation', () => {
  it('a manager scoped to po-assist:NA cannot make eve an admin', async () => {
    const manager = await stack.mint({ sub: 'grace', roles: ['manager'], scope: ['po-assist:NA'] });
    const res = await putPerson('eve', { roles: ['admin'] }, manager);
    expectProblem(res, 403);
    expect(res.body.detail).toBe('Only an admin grants the admin role.');
    expect((await person('eve')).status).toBe(404);
  });

  it('grants only roles the caller holds; only an admin makes (or unmakes) an admin', async () => {
    const grace = await stack.mint({ sub: 'grace', roles: ['manager', 'owner'] });
    expectProblem(await putPerson('eve', { roles: ['operator'] }, grace), 403);
    expect((await putPerson('eve', { roles: ['owner'] }, grace)).status).toBe(201);
    expect((await putPerson('eve', { roles: ['owner', 'admin'] }, admin)).status).toBe(200);
    // A manager cannot take an admin's role away, nor mark them departed and lock them out.
    expectProblem(await putPerson('eve', { roles: ['owner'] }, grace), 403);
    expectProblem(await http(api('/people/eve/departure'), { token: grace, body: { reason: 'lock out' } }), 403);
    expect((await person('eve')).body).toMatchObject({ status: 'active', roles: ['owner', 'admin'] });
  });
});

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceVarianceIntake } from '../../scripts/fixtures.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { path } from '../world.js';

/**
 * Template versions through the API and a real worker (issue 17): po-ver v1 in NA and EMEA, v2
 * published and adopted in NA only, v3 breaking EMEA's overlay. EMEA's exception-queue cell has no
 * escalation chain, which its rehearsal must catch.
 */
let stack: Stack;
let admin: string;
let grace: string;
let erp: string;
const ID = 'po-ver';
const api = (p: string) => `${stack.url}/api/v1${p}`;
const shipped = () => {
  const t = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
  t.id = ID;
  // Wall-time clocks, so the claim windows below read the same at any hour the suite runs (the shipped
  // business calendar made a 2 h window span the night after 16:00 UTC); calendars: test/lifecycle/calendar.test.ts.
  delete t.businessCalendar;
  return t;
};
const publish = async (template: Record<string, any>) => {
  const res = await http(api(`/capabilities/${ID}`), { method: 'PUT', token: admin, body: template });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
};
let counter = 0;
const raise = async (region: string) => {
  counter += 1;
  const res = await http(api('/exceptions'), { token: erp, body: priceVarianceIntake(ID, region, `VER-${region}-${counter}`) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; templateVersion: number | null; createdAt: string; deadlines: { claimBy: string }; procedure: { markdown: string | null } };
};
const claimWindow = (e: { createdAt: string; deadlines: { claimBy: string } }) => Date.parse(e.deadlines.claimBy) - Date.parse(e.createdAt);

beforeAll(async () => {
  stack = await startStack();
  admin = await stack.token('root', 'admin');
  grace = await stack.token('grace', 'manager');
  erp = await stack.token('erp', 'integration');
  await publish({ ...shipped(), version: 1 });
  for (const [region, overlay] of [['NA', {}], ['EMEA', { slaPolicies: { medium: { claimLease: '2h' } } }]] as const) {
    const res = await http(api(`/capabilities/${ID}/regions/${region}`), { method: 'PUT', token: admin, body: overlay });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  for (const [id, managerId] of [['grace', null], ['raj', 'grace'], ['priya', 'raj'], ['jordan', 'raj'], ['dana', 'grace'], ['li', 'dana'], ['amara', 'raj'], ['hannah', 'grace'], ['tomas', 'hannah']] as const) {
    const res = await http(api(`/people/${id}`), { method: 'PUT', token: admin, body: { name: id, email: `${id}@example.com`, managerId, roles: ['owner', 'operator', 'manager'] } });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
  const cells: Record<string, Record<string, { owner: string; backup: string; escalation: string[] }>> = {
    NA: {
      'business-rules': { owner: 'jordan', backup: 'dana', escalation: ['dana', 'grace'] },
      'model-retraining': { owner: 'amara', backup: 'raj', escalation: ['raj', 'grace'] },
      'exception-queue': { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'] },
      'adoption-training': { owner: 'dana', backup: 'li', escalation: ['grace', 'raj'] },
    },
    EMEA: {
      'business-rules': { owner: 'jordan', backup: 'hannah', escalation: ['hannah', 'grace'] },
      'model-retraining': { owner: 'amara', backup: 'raj', escalation: ['raj', 'grace'] },
      // The broken chain: nobody to escalate to after the backup.
      'exception-queue': { owner: 'hannah', backup: 'tomas', escalation: [] },
      'adoption-training': { owner: 'dana', backup: 'hannah', escalation: ['grace', 'raj'] },
    },
  };
  for (const [region, areas] of Object.entries(cells)) {
    for (const [area, cell] of Object.entries(areas)) {
      const res = await http(api(`/capabilities/${ID}/ownership/${region}/${area}`), { method: 'PUT', token: admin, body: { ...cell, reason: 'versions world' } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  }
});
afterAll(async () => stack?.close());

describe('template versions', () => {
  let naBefore: Awaited<ReturnType<typeof raise>>;

  it('keeps every region on its version when a new one is published; NA adopts v2 after its preview, EMEA stays on v1', async () => {
    naBefore = await raise('NA');
    expect(naBefore.templateVersion).toBe(1);

    const v2: Record<string, any> = { ...shipped(), version: 2 };
    v2.slaPolicies.high.claimWithin = '2h';
    v2.exceptionTypes.find((t: any) => t.id === 'price-variance').procedure = 'Version 2: call the supplier before anything else.';
    await publish(v2);

    const history = await http(api(`/capabilities/${ID}/versions`), { token: grace });
    expect(history.body).toMatchObject({ latest: 2, regions: [{ region: 'EMEA', templateVersion: 1, behind: 1 }, { region: 'NA', templateVersion: 1, behind: 1 }] });
    expect(history.body.versions.map((v: any) => [v.version, v.regions])).toEqual([[2, []], [1, ['EMEA', 'NA']]]);

    const preview = await http(api(`/capabilities/${ID}/regions/NA/adoption?version=2`), { token: grace });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.diff.map((c: any) => `${c.section} ${c.path}`)).toEqual(['procedures exceptionTypes.price-variance.procedure', 'sla slaPolicies.high.claimWithin']);
    // The one open NA exception is a high price variance: under v2 it would have another claim deadline, and nothing else.
    expect(preview.body.impact).toMatchObject({ open: 1, changeOwner: 0, changeDeadline: 1, failContract: 0, affected: 1, samples: { changeDeadline: [naBefore.id] } });
    expect(preview.body.rehearsal).toMatchObject({ templateVersion: 2, failed: 0 });

    const adopted = await http(api(`/capabilities/${ID}/regions/NA/adoption`), { token: grace, body: { version: 2, reason: 'the supplier call first' } });
    expect(adopted.status, JSON.stringify(adopted.body)).toBe(200);
    expect(adopted.body).toMatchObject({ region: 'NA', from: 1, to: 2, changed: true, rehearsal: { templateVersion: 2, failed: 0 } });

    const naAfter = await raise('NA');
    const emea = await raise('EMEA');
    expect([naAfter.templateVersion, emea.templateVersion]).toEqual([2, 1]);
    expect(claimWindow(naAfter)).toBe(2 * 3_600_000);
    expect(claimWindow(emea)).toBe(3_600_000);
    expect(naAfter.procedure.markdown).toBe('Version 2: call the supplier before anything else.');
    // The open one keeps what it was raised under: its version, its deadline and its procedure.
    const kept = await http(api(`/exceptions/${path(naBefore.id)}`), { token: grace });
    expect(kept.body).toMatchObject({ templateVersion: 1, deadlines: { claimBy: naBefore.deadlines.claimBy } });
    expect(kept.body.procedure.markdown).toContain('contract price and tolerance');

    const audit = await http(api(`/audit-log?subjectType=capability-region&subjectId=${ID}/NA`), { token: admin });
    expect(audit.body.items[0]).toMatchObject({ actor: 'grace', action: 'template.adopted', reason: 'the supplier call first', detail: { from: 1, to: 2 } });
    const published = await http(api(`/audit-log?subjectType=capability&subjectId=${ID}`), { token: admin });
    expect(published.body.items.map((e: any) => e.detail.version)).toEqual([2, 1]);
  });

  it("refuses to adopt a version that EMEA's overlay no longer fits, naming the path", async () => {
    const v3: Record<string, any> = { ...shipped(), version: 3 };
    v3.adaptable = v3.adaptable.filter((p: string) => p !== 'slaPolicies.*.claimLease');
    await publish(v3);
    const preview = await http(api(`/capabilities/${ID}/regions/EMEA/adoption?version=3`), { token: grace });
    expect(preview.body).toMatchObject({ from: 1, to: 3, impact: null, rehearsal: null, overlayErrors: [{ path: 'overlay.slaPolicies.medium.claimLease' }] });
    const refused = await http(api(`/capabilities/${ID}/regions/EMEA/adoption`), { token: grace, body: { version: 3 } });
    expectProblem(refused, 422);
    expect(refused.body.errors.map((e: any) => e.path)).toEqual(['overlay.slaPolicies.medium.claimLease']);
    expect((await http(api(`/capabilities/${ID}/versions`), { token: grace })).body.regions).toContainEqual({ region: 'EMEA', templateVersion: 1, behind: 2 });
    // Sending the fixed overlay with the adoption moves it in one step.
    const fixed = await http(api(`/capabilities/${ID}/regions/EMEA/adoption`), { token: grace, body: { version: 3, overlay: {} } });
    expect(fixed.body).toMatchObject({ from: 1, to: 3, changed: true });
    expect((await http(api(`/exceptions`), { token: erp, body: priceVarianceIntake(ID, 'EMEA', 'VER-EMEA-v3') })).body.templateVersion).toBe(3);
  });

  it('rehearses the shipped scenarios: all pass in NA, and the broken chain fails in EMEA with the reason', async () => {
    const na = await http(api(`/capabilities/${ID}/regions/NA/rehearsal`), { method: 'POST', token: grace });
    expect(na.status, JSON.stringify(na.body)).toBe(200);
    expect(na.body.results.filter((r: any) => !r.pass)).toEqual([]);
    expect(na.body.total).toBeGreaterThanOrEqual(10);

    const emea = await http(api(`/capabilities/${ID}/regions/EMEA/rehearsal`), { method: 'POST', token: grace });
    const failed = emea.body.results.filter((r: any) => !r.pass);
    expect(failed.map((r: any) => r.id).sort()).toEqual(['missing-field-to-queue-owner', 'stale-inventory-to-queue-owner']);
    expect(failed[0].reasons[0]).toBe('step 2 (escalation[0] after 1h) expects the escalation[0] of EMEA/exception-queue, but the cell has no active escalation[0]; it reaches grace');
    const stored = await http(api(`/capabilities/${ID}/regions/EMEA/rehearsal`), { token: grace });
    expect(stored.body).toMatchObject({ templateVersion: 3, trigger: 'on-demand', failed: 2 });

    const card = await http(api(`/capabilities/${ID}/regions/EMEA/readiness`), { token: grace });
    expect(card.body.criteria.find((c: any) => c.id === 'rehearsal')).toMatchObject({ pass: false, measured: 2, why: expect.stringContaining('missing-field-to-queue-owner: step 2') });
    const naCard = await http(api(`/capabilities/${ID}/regions/NA/readiness`), { token: grace });
    expect(naCard.body.criteria.find((c: any) => c.id === 'rehearsal')).toMatchObject({ pass: true, measured: 0 });
  });
});

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseTemplate, validateTemplate, type CapabilityTemplate } from '../../domain/capability.js';
import { rehearse, resolvePlaceholders } from '../../domain/rehearsal.js';
import { applyOverlay } from '../../domain/rollout.js';
import { resolveRoute, type RouteCell, type RoutePeople } from '../../domain/rules/route.js';
import { diffTemplates, impactOf, type OpenException } from '../../domain/template-diff.js';
import { demoCells, demoLeavers, demoPeople, demoRefills } from '../../scripts/fixtures.js';

const source = () => YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, any>;
function template(edit: (t: Record<string, any>) => void = () => undefined): CapabilityTemplate {
  const raw = source();
  edit(raw);
  const parsed = parseTemplate(raw, 'object');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.template;
}
const NOW = Date.parse('2031-01-01T12:00:00Z');

/** NA as the demo leaves it: the pilot team's leavers departed, their cells refilled by NA's manager. */
function demoRoutes(region: 'NA' | 'EMEA', cells: Record<string, { owner: string; backup: string | null; escalation: string[] }>) {
  const people: RoutePeople = Object.fromEntries(
    demoPeople.map(([id, p]) => [id, { status: demoLeavers.includes(id) ? 'departed' : p.status ?? 'active', managerId: p.managerId ?? null }]),
  );
  return (area: string) => {
    const cell = cells[area];
    const routeCell: RouteCell | null = cell ? { ...cell, version: 1 } : null;
    return resolveRoute(routeCell, people, null).route;
  };
}
const naCells = { ...demoCells.NA, ...demoRefills };

describe('the shipped scenarios', () => {
  it('declare at least ten and all pass in NA with the demo matrix', () => {
    const t = template();
    const run = rehearse(t, 'NA', demoRoutes('NA', naCells), NOW);
    expect(run.total).toBeGreaterThanOrEqual(10);
    expect(run.results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.reasons.join('; ')}`)).toEqual([]);
    expect(run.results.find((r) => r.id === 'week-old-recommendation-quarantined')).toMatchObject({ outcome: 'quarantined', quarantinedFields: ['payload.recommendedAt'] });
    expect(run.results.find((r) => r.id === 'blocking-quality-check-is-critical')?.escalation.map((s) => s.target)).toEqual(['amara', 'raj', 'grace', 'raj']);
  });

  it('fail where a chain is broken, saying which step reaches whom instead', () => {
    const broken = { ...naCells, 'exception-queue': { owner: 'hannah', backup: 'tomas', escalation: [] } };
    const run = rehearse(template(), 'EMEA', demoRoutes('EMEA', broken), NOW);
    const failed = run.results.filter((r) => !r.pass);
    expect(failed.map((r) => r.id).sort()).toEqual(['missing-field-to-queue-owner', 'stale-inventory-to-queue-owner']);
    expect(failed[0]!.reasons).toEqual([
      "step 2 (escalation[0] after 1h) expects the escalation[0] of EMEA/exception-queue, but the cell has no active escalation[0]; it reaches grace",
    ]);
  });

  it('fail when the intake is accepted but was expected quarantined, and the reverse', () => {
    const t = template((raw) => {
      raw.exceptionTypes.find((x: any) => x.id === 'price-variance').contract.fields.priceCheckedAt.maxAge = '30d';
      raw.operatingModel.integrations = [];
    });
    const run = rehearse(t, 'NA', demoRoutes('NA', naCells), NOW);
    expect(run.results.find((r) => r.id === 'old-price-check-quarantined')).toMatchObject({ pass: false, reasons: ['accepted, expected quarantined for payload.priceCheckedAt'] });
  });
});

describe('integration requirements', () => {
  it('refuse a source that refreshes more slowly than a field it feeds may age, naming the path', () => {
    const raw = source();
    raw.operatingModel.integrations[0].refreshEvery = '8d';
    raw.operatingModel.integrations[0].fields.push('noSuchField');
    const result = validateTemplate(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      {
        path: 'operatingModel.integrations.0.refreshEvery',
        message: 'po-recommender refreshes every 8d, more slowly than recommendedAt may age (maxAge 7d in low-confidence-recommendation): intakes would be refused as stale between refreshes',
      },
      { path: 'operatingModel.integrations.0.fields.6', message: "'noSuchField' is not a contract field of any exception type" },
    ]);
  });
});

describe('a version diff', () => {
  it('names added and removed types, contract fields, SLA, escalation and value-event changes', () => {
    const v1 = template();
    const v2 = template((t) => {
      t.version = 3;
      t.exceptionTypes = t.exceptionTypes.filter((x: any) => x.id !== 'recommendation-overridden-repeatedly');
      delete t.decisionTriggers['overrides-by-buyer'];
      t.exceptionTypes.push({ id: 'duplicate-po', description: 'Two POs for one need', area: 'exception-queue', defaultSeverity: 'medium', contract: { fields: { poNumber: { type: 'string' } } } });
      t.scenarios = t.scenarios.filter((s: any) => s.id !== 'overrides-to-adoption-owner');
      const pv = t.exceptionTypes.find((x: any) => x.id === 'price-variance');
      pv.area = 'exception-queue';
      pv.contract.fields.buyerId = { type: 'string' };
      delete pv.contract.fields.varianceTolerancePct;
      // The price-compare integration fed it: its requirements change with the contract.
      t.operatingModel.integrations[2].fields = t.operatingModel.integrations[2].fields.filter((f: string) => f !== 'varianceTolerancePct');
      t.slaPolicies.high.claimWithin = '30m';
      t.slaPolicies.high.escalation[0].notify = 'owner';
      t.valueEvents.push({ id: 'po-merged', description: 'Two POs merged' });
    });
    const changes = diffTemplates(v1, v2).map((c) => `${c.section} ${c.kind} ${c.path}`);
    expect(changes).toEqual(
      expect.arrayContaining([
        'exception-types removed exceptionTypes.recommendation-overridden-repeatedly',
        'exception-types added exceptionTypes.duplicate-po',
        'exception-types changed exceptionTypes.price-variance.area',
        'contract removed exceptionTypes.price-variance.contract.fields.varianceTolerancePct',
        'contract added exceptionTypes.price-variance.contract.fields.buyerId',
        'sla changed slaPolicies.high.claimWithin',
        'escalation changed slaPolicies.high.escalation',
        'value-events added valueEvents.po-merged',
        'scenarios removed scenarios.overrides-to-adoption-owner',
      ]),
    );
    expect(changes).toHaveLength(9);
    expect(diffTemplates(v1, v1)).toEqual([]);
  });
});

describe('the impact dry-run', () => {
  const v1 = template();
  const policy = (severity: 'high' | 'medium' | 'low' | 'critical') => v1.slaPolicies[severity];
  const row = (i: number, over: Partial<OpenException> = {}): OpenException => ({
    id: `e${i}`,
    type: 'missing-input-field',
    area: 'exception-queue',
    severity: 'high',
    status: 'open',
    owner: 'priya',
    createdAt: NOW,
    policy: policy('high'),
    payload: { poNumber: 'PO-00100002', missingField: 'needByDate', sourceSystem: 'erp', modelVersion: 'm' },
    ...over,
  });
  const v2 = template((t) => {
    t.version = 3;
    // missing-input-field moves to business-rules (owner jordan); high claims within 30m; sourceSystem loses 'manual'.
    t.exceptionTypes.find((x: any) => x.id === 'missing-input-field').area = 'business-rules';
    t.exceptionTypes.find((x: any) => x.id === 'missing-input-field').contract.fields.sourceSystem.values = ['erp', 'edi'];
    t.exceptionTypes = t.exceptionTypes.filter((x: any) => x.id !== 'stale-input');
    delete t.decisionTriggers['stale-input-repeats'];
    t.scenarios = [];
    t.operatingModel.integrations = [];
    t.slaPolicies.high.claimWithin = '30m';
  });
  const owners: Record<string, string> = { 'business-rules': 'jordan', 'exception-queue': 'priya' };

  it('counts exactly who would change owner, deadline or fail the new contract', () => {
    const rows = [
      row(1), // moves to jordan; open under high: claim window changes
      row(2, { status: 'claimed' }), // moves to jordan; claimed: the claim window no longer matters, resolve unchanged
      row(3, { owner: 'jordan', status: 'claimed' }), // already with jordan: no owner change, no deadline change
      row(4, { payload: { poNumber: 'PO-00100002', missingField: 'x', sourceSystem: 'manual', modelVersion: 'm' }, status: 'claimed', owner: 'jordan' }), // fails the contract only
      row(5, { type: 'stale-input', payload: {}, status: 'claimed' }), // its type is gone
      row(6, { type: 'price-variance', area: 'business-rules', severity: 'medium', policy: policy('medium'), owner: 'jordan', payload: { poNumber: 'PO-1' }, createdAt: NOW }), // broke its contract all along
      row(7, { type: 'low-confidence-recommendation', area: 'model-retraining', severity: 'low', policy: policy('low'), owner: 'amara', payload: {} }),
    ];
    const impact = impactOf(rows, v2, (area) => owners[area] ?? null);
    expect(impact).toMatchObject({ open: 7, changeOwner: 2, changeDeadline: 1, failContract: 4, affected: 6 });
    expect(impact.samples).toEqual({ changeOwner: ['e1', 'e2'], changeDeadline: ['e1'], failContract: ['e4', 'e5', 'e6', 'e7'] });
  });

  it('checks freshness as of when each exception was raised, not now', () => {
    const raised = Date.now() - 30 * 86_400_000;
    const payload = { poNumber: 'PO-00100001', supplierId: 'SUP-1001', sku: 'W-1', quantity: 1, unitPrice: 1, currency: 'USD', needByDate: '2031-01-01', recommendedAction: 'defer', modelVersion: 'm', confidence: 0.2, recommendedAt: new Date(raised - 3_600_000).toISOString() };
    const fresh = row(1, { type: 'low-confidence-recommendation', area: 'model-retraining', severity: 'medium', policy: policy('medium'), createdAt: raised, payload });
    expect(impactOf([fresh], v1, () => 'priya').failContract).toBe(0);
  });
});

describe('an overlay after a breaking core change', () => {
  it('is refused with the paths that no longer fit', () => {
    const overlay = { slaPolicies: { medium: { claimLease: '2h' } }, localNotes: { general: 'Call the plant first.' } };
    expect(applyOverlay(template(), overlay).ok).toBe(true);
    const v2 = template((t) => {
      t.version = 3;
      t.adaptable = t.adaptable.filter((p: string) => p !== 'slaPolicies.*.claimLease' && p !== 'localNotes');
    });
    const result = applyOverlay(v2, overlay);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toEqual(['slaPolicies.medium.claimLease', 'localNotes.general']);
  });
});

describe('a scenario', () => {
  const t = template();
  const routes = demoRoutes('NA', naCells);
  const scenario = (over: Record<string, any>) => ({ id: 'x', description: 'x', intake: { type: 'missing-input-field', payload: { poNumber: 'PO-00100002', missingField: 'sku', sourceSystem: 'erp', modelVersion: 'm' } }, ...over });
  const run = (s: Record<string, any>) => rehearse({ ...t, scenarios: [s as never] }, 'NA', routes, NOW).results[0]!;

  it.each([
    ['a bad severity is refused by the envelope, naming it', { intake: { type: 'missing-input-field', severity: 'urgent', payload: {} }, expect: { outcome: 'quarantined', quarantinedFields: ['severity'] } }, true, []],
    ['the wrong quarantined field', { intake: { type: 'missing-input-field', payload: { missingField: 'sku', sourceSystem: 'erp', modelVersion: 'm' } }, expect: { outcome: 'quarantined', quarantinedFields: ['payload.sku'] } }, false, ['quarantined for payload.poNumber, not for payload.sku']],
    ['the wrong area', { expect: { outcome: 'accepted', route: { area: 'business-rules', to: 'owner' } } }, false, ['routes to exception-queue, expected business-rules']],
    ['the wrong number of steps', { expect: { outcome: 'accepted', escalation: ['backup'] } }, false, ['the high policy has 3 escalation steps, the scenario expects 1']],
    ['a step expected to reach nobody that reaches someone', { expect: { outcome: 'accepted', escalation: ['backup', 'nobody', 'manager-of-owner'] } }, false, ['step 2 (escalation[0] after 1h) reaches dana, expected nobody']],
    ['a step expected to reach another role', { expect: { outcome: 'accepted', escalation: ['owner', 'escalation[0]', 'manager-of-owner'] } }, false, ['step 1 (backup after 15m) reaches li, expected the owner (priya)']],
  ])('%s', (_name, over, pass, reasons) => {
    const result = run(scenario(over));
    expect(result.reasons).toEqual(reasons);
    expect(result.pass).toBe(pass);
  });

  it('stands {{now±duration}} in a payload for the time it runs', () => {
    expect(resolvePlaceholders({ a: '{{now}}', b: '{{now-1d}}', c: '{{now+2h}}', d: '{{later}}', e: 3 }, NOW)).toEqual({
      a: '2031-01-01T12:00:00.000Z',
      b: '2030-12-31T12:00:00.000Z',
      c: '2031-01-01T14:00:00.000Z',
      d: '{{later}}',
      e: 3,
    });
  });
});

import { parseEscalationTarget, type CapabilityTemplate } from '../domain/capability.js';
import type { GapInputs } from '../domain/gaps.js';
import { latestOutcomes } from './attestation.js';
import { storedLintFindings } from './chain-lint.js';
import type { LedgerDb } from './db.js';

/**
 * Reads what the gap rules need from the ledger's projections. With `place`, only what that region's
 * findings can depend on (the readiness scorecard of one region): of the open exceptions, the region's
 * own (orphaned ones) and those of the people who own or back up its cells, wherever (overload).
 */
export async function gapInputs(db: LedgerDb, thresholds: GapInputs['thresholds'], place?: { capability: string; region: string }): Promise<GapInputs> {
  const rollouts = await db.selectFrom('capability_regions').select(['capability_id', 'region', 'effective', 'updated_at']).execute();
  const cells = await db.selectFrom('ownership_cells').selectAll().execute();
  const changed = await db
    .selectFrom('ownership_changes')
    .select(['capability', 'region', 'area', (eb) => eb.fn.max('at').as('at')])
    .groupBy(['capability', 'region', 'area'])
    .execute();
  const changedAt = new Map(changed.map((c) => [`${c.capability}/${c.region}/${c.area}`, c.at as string]));
  const people = await db.selectFrom('people').select(['id', 'status', 'updated_at', 'unreachable_at', 'unreachable_reason']).execute();
  const openOf = () => db.selectFrom('exceptions').select(['id', 'capability', 'region', 'area', 'owner', 'created_at']).where('status', 'in', ['open', 'claimed']);
  let open: Awaited<ReturnType<ReturnType<typeof openOf>['execute']>>;
  if (place) {
    const people = [...new Set(cells.filter((c) => c.capability === place.capability && c.region === place.region).flatMap((c) => [c.owner, c.backup]).filter((p): p is string => p !== null))];
    const here = await openOf().where('capability', '=', place.capability).where('region', '=', place.region).execute();
    const theirs = people.length ? await openOf().where('owner', 'in', people).execute() : [];
    const seen = new Set(here.map((e) => e.id));
    open = [...here, ...theirs.filter((e) => !seen.has(e.id))];
  } else {
    open = await openOf().execute();
  }
  return {
    rollouts: rollouts.map((r) => ({ capability: r.capability_id, region: r.region, maxChainIndex: maxChainIndex(JSON.parse(r.effective) as CapabilityTemplate), since: r.updated_at })),
    cells: cells.map((c) => ({
      capability: c.capability,
      region: c.region,
      area: c.area,
      owner: c.owner,
      backup: c.backup,
      escalation: JSON.parse(c.escalation) as string[],
      since: changedAt.get(`${c.capability}/${c.region}/${c.area}`) ?? '',
    })),
    people: Object.fromEntries(
      people.map((p) => [p.id, { status: p.status, since: p.updated_at, unreachable: p.unreachable_at ? { since: p.unreachable_at, reason: p.unreachable_reason ?? 'refused' } : null }]),
    ),
    openExceptions: open.map((e) => ({ id: e.id, capability: e.capability, region: e.region, area: e.area, owner: e.owner, createdAt: new Date(e.created_at).toISOString() })),
    thresholds,
    chainLint: await storedLintFindings(db, place?.capability),
    attestations: (await latestOutcomes(db)).filter((o) => !place || (o.capability === place.capability && o.region === place.region)),
  };
}

/** Per rolled-out region of a capability, the highest escalation[i] its effective SLA policies name. */
export async function chainDepths(db: LedgerDb, capability: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom('capability_regions').select(['region', 'effective']).where('capability_id', '=', capability).execute();
  return Object.fromEntries(rows.map((r) => [r.region, maxChainIndex(JSON.parse(r.effective) as CapabilityTemplate)]));
}

/** The highest escalation[i] any severity's policy reaches; -1 when none names the chain. */
function maxChainIndex(template: CapabilityTemplate): number {
  let max = -1;
  for (const policy of Object.values(template.slaPolicies)) {
    for (const step of policy.escalation) {
      const target = parseEscalationTarget(step.notify);
      if (target.kind === 'escalation') max = Math.max(max, target.index);
    }
  }
  return max;
}

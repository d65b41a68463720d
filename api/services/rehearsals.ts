import type { CapabilityTemplate } from '../../domain/capability.js';
import type { Route } from '../../domain/exception.js';
import { rehearse, type Rehearsal } from '../../domain/rehearsal.js';
import { applyOverlay } from '../../domain/rollout.js';
import { listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { readRoute } from '../../ledger/route.js';
import { saveRehearsal, type StoredRehearsal } from '../../ledger/template-versions.js';

/**
 * Runs a template's scenarios against a region as its matrix and directory stand in the ledger now
 * (domain/rehearsal.ts): the route of each area comes from the routing rule intake uses (readRoute).
 */
export async function dryRun(ledger: LedgerDb, template: CapabilityTemplate, region: string, now = Date.now()): Promise<Rehearsal> {
  const areas = [...new Set((template.scenarios ?? []).flatMap((s) => template.exceptionTypes.filter((t) => t.id === s.intake.type).map((t) => t.area)))];
  const routes = new Map<string, Route>();
  for (const area of areas) routes.set(area, (await readRoute(ledger, template.id, region, area, null)).route);
  return rehearse(template, region, (area) => routes.get(area)!, now);
}

/** Rehearses and stores the result as the region's latest under the template's version. */
export async function rehearseRegion(ledger: LedgerDb, template: CapabilityTemplate, region: string, trigger: string): Promise<StoredRehearsal> {
  const rehearsal = await dryRun(ledger, template, region);
  await saveRehearsal(ledger, rehearsal, trigger);
  return { ...rehearsal, trigger };
}

/**
 * A newly published version, rehearsed in every region with that region's overlay, before any adopts
 * it. A region whose overlay does not fit the version has nothing to rehearse (its preview says why).
 */
export async function rehearseCandidates(ledger: LedgerDb, core: CapabilityTemplate): Promise<void> {
  for (const rollout of await listRollouts(ledger, core.id)) {
    const candidate = applyOverlay(core, rollout.overlay);
    if (candidate.ok) await rehearseRegion(ledger, candidate.effective, rollout.region, 'published');
  }
}

import type { CapabilityTemplate } from '../../domain/capability.js';
import { applyOverlay } from '../../domain/rollout.js';
import { listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { dryRunRehearsal } from '../../ledger/rehearsal-run.js';
import { saveRehearsal, type StoredRehearsal } from '../../ledger/template-versions.js';

/** Rehearses and stores the result as the region's latest under the template's version. */
export async function rehearseRegion(ledger: LedgerDb, template: CapabilityTemplate, region: string, trigger: string): Promise<StoredRehearsal> {
  const rehearsal = await dryRunRehearsal(ledger, template, region);
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

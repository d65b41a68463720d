import { randomUUID } from 'node:crypto';
import type { CapabilityTemplate } from '../../domain/capability.js';
import { applyOverlay } from '../../domain/rollout.js';
import { diffTemplates, impactOf, type Impact, type OpenException, type TemplateChange } from '../../domain/template-diff.js';
import type { Rehearsal } from '../../domain/rehearsal.js';
import { appendAudit } from '../../ledger/audit.js';
import { listRollouts, saveRollout, type StoredRollout } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { writeTransaction } from '../../ledger/dialect.js';
import { dryRunRehearsal } from '../../ledger/rehearsal-run.js';
import { readRoute } from '../../ledger/route.js';
import { getVersion, listVersions, openExceptions, type StoredRehearsal, type StoredVersion } from '../../ledger/template-versions.js';
import { AppError } from '../errors.js';
import type { ChannelGuard } from './channel.js';
import { requireCapability, requireRollout } from './catalog.js';
import { rehearseRegion } from './rehearsals.js';

/**
 * Template versions (issue 17, decision 0014): a published version waits until a region adopts it.
 * Before adopting, a manager reads the preview: the diff of the region's effective templates, the
 * impact on its open exceptions and a rehearsal of the candidate. Adopting refuses an overlay that
 * no longer fits (422 with its paths) and is audited with who moved the region from which version to which.
 */

export async function requireVersion(ledger: LedgerDb, capabilityId: string, version: number): Promise<StoredVersion> {
  const stored = await getVersion(ledger, capabilityId, version);
  if (stored) return stored;
  const published = (await listVersions(ledger, capabilityId)).map((v) => v.version).sort((a, b) => a - b);
  throw new AppError('NOT_FOUND', `${capabilityId} has no version ${version}; published: ${published.join(', ') || 'none'}.`);
}

/** The history: every version, who published it when, and which regions run it. */
export async function versionHistory(ledger: LedgerDb, capabilityId: string, visible: (region: string) => boolean) {
  const capability = await requireCapability(ledger, capabilityId);
  const regions = (await listRollouts(ledger, capabilityId)).filter((r) => visible(r.region));
  const versions = await listVersions(ledger, capabilityId);
  return {
    capability: capabilityId,
    latest: capability.version,
    regions: regions.map((r) => ({ region: r.region, templateVersion: r.templateVersion, behind: capability.version - r.templateVersion })),
    versions: versions.map((v) => ({ ...v, regions: regions.filter((r) => r.templateVersion === v.version).map((r) => r.region) })),
  };
}

function candidateFor(core: CapabilityTemplate, overlay: unknown) {
  const result = applyOverlay(core, overlay);
  return result.ok ? result : { ok: false as const, errors: result.errors.map((e) => ({ path: e.path ? `overlay.${e.path}` : 'overlay', message: e.message })) };
}

/** The impact dry-run: the region's open exceptions against the candidate, with the matrix as it stands. */
export async function impactIn(ledger: LedgerDb, capabilityId: string, region: string, candidate: CapabilityTemplate): Promise<Impact> {
  const owners = new Map<string, string | null>();
  for (const type of candidate.exceptionTypes) {
    if (!owners.has(type.area)) owners.set(type.area, (await readRoute(ledger, capabilityId, region, type.area, null)).route.owner);
  }
  const rows: OpenException[] = [];
  for await (const row of openExceptions(ledger, capabilityId, region)) rows.push(row);
  return impactOf(rows, candidate, (area) => owners.get(area) ?? null);
}

export interface AdoptionPreview {
  capability: string;
  region: string;
  from: number;
  to: number;
  /** Empty when the overlay fits; else every path that no longer does (adopting would be refused). */
  overlayErrors: Array<{ path: string; message: string }>;
  diff: TemplateChange[];
  impact: Impact | null;
  rehearsal: Rehearsal | null;
}

export async function previewAdoption(ledger: LedgerDb, capabilityId: string, region: string, version: number): Promise<AdoptionPreview> {
  await requireCapability(ledger, capabilityId);
  const rollout = await requireRollout(ledger, capabilityId, region);
  const target = await requireVersion(ledger, capabilityId, version);
  const candidate = candidateFor(target.template, rollout.overlay);
  const base = { capability: capabilityId, region, from: rollout.templateVersion, to: version };
  if (!candidate.ok) return { ...base, overlayErrors: candidate.errors, diff: diffTemplates(rollout.effective, target.template), impact: null, rehearsal: null };
  const impact = await impactIn(ledger, capabilityId, region, candidate.effective);
  return { ...base, overlayErrors: [], diff: diffTemplates(rollout.effective, candidate.effective), impact, rehearsal: await dryRunRehearsal(ledger, candidate.effective, region) };
}

/**
 * Moves a region to another version (a newer one, or back to an older one). Open exceptions keep the
 * version they were raised under; intakes from now on get this one. `overlay`, when given, replaces
 * the region's overlay in the same step (to fix one that the new core no longer accepts).
 */
export async function adoptVersion(
  ledger: LedgerDb,
  input: { capabilityId: string; region: string; version: number; overlay?: Record<string, unknown>; actor: string; reason?: string; channelGuard?: ChannelGuard },
): Promise<{ rollout: StoredRollout; from: number; changed: boolean; rehearsal: StoredRehearsal }> {
  const saved = await writeTransaction(ledger, async (tx) => {
    await requireCapability(tx, input.capabilityId);
    const existing = await requireRollout(tx, input.capabilityId, input.region);
    const target = await requireVersion(tx, input.capabilityId, input.version);
    const overlay = input.overlay ?? existing.overlay;
    if (existing.templateVersion === input.version && JSON.stringify(overlay) === JSON.stringify(existing.overlay)) return { rollout: existing, from: existing.templateVersion, changed: false };
    const candidate = candidateFor(target.template, overlay);
    if (!candidate.ok) {
      throw new AppError('UNPROCESSABLE', `The overlay of ${input.region} does not fit ${input.capabilityId} version ${input.version}; change it (send overlay) and adopt again.`, {
        errors: candidate.errors,
        adaptable: target.template.adaptable,
      });
    }
    input.channelGuard?.(existing.effective.notifications.channel, candidate.effective.notifications.channel);
    const rollout: StoredRollout = { ...existing, overlay, effective: candidate.effective, templateVersion: input.version, updatedAt: new Date().toISOString(), updatedBy: input.actor };
    await saveRollout(tx, rollout);
    await appendAudit(tx, [
      {
        idempotencyKey: `adopt:${input.capabilityId}:${input.region}:${randomUUID()}`,
        at: rollout.updatedAt,
        actor: input.actor,
        action: 'template.adopted',
        subjectType: 'capability-region',
        subjectId: `${input.capabilityId}/${input.region}`,
        reason: input.reason ?? null,
        detail: { from: existing.templateVersion, to: input.version, overlayChanged: input.overlay !== undefined, diff: diffTemplates(existing.effective, candidate.effective).length },
      },
    ]);
    return { rollout, from: existing.templateVersion, changed: true };
  });
  const rehearsal = await rehearseRegion(ledger, saved.rollout.effective, input.region, saved.changed ? 'adopted' : 'on-demand');
  return { ...saved, rehearsal };
}

/** On demand: the region's scenarios against its effective template, stored as its latest rehearsal. */
export async function rehearseNow(ledger: LedgerDb, capabilityId: string, region: string): Promise<StoredRehearsal> {
  await requireCapability(ledger, capabilityId);
  const rollout = await requireRollout(ledger, capabilityId, region);
  return rehearseRegion(ledger, rollout.effective, region, 'on-demand');
}

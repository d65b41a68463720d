import { randomUUID } from 'node:crypto';
import { parseTemplate } from '../../domain/capability.js';
import { applyOverlay } from '../../domain/rollout.js';
import { appendAudit } from '../../ledger/audit.js';
import {
  getCapability,
  getRollout,
  listRollouts,
  saveCapability,
  saveRollout,
  type StoredCapability,
  type StoredRollout,
} from '../../ledger/catalog.js';
import { relintCapability } from '../../ledger/chain-lint.js';
import type { LedgerDb } from '../../ledger/db.js';
import { writeTransaction } from '../../ledger/dialect.js';
import { getVersion, type StoredRehearsal } from '../../ledger/template-versions.js';
import { AppError } from '../errors.js';
import type { ChannelGuard } from './channel.js';
import { rehearseCandidates, rehearseRegion } from './rehearsals.js';

export interface PutTemplateResult {
  capability: StoredCapability;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * Publishes a capability template version. Versions only rise; an equal version must be the same
 * template. Regions keep the version they adopted until they adopt this one
 * (api/services/template-versions.ts), which is where an overlay that no longer fits is refused.
 * `expectedVersion` (If-Match) names the version the writer last read; a changed template over any
 * other is refused with 409. The checks, the save and the audit entry are one ledger transaction, so
 * two writers of the same version cannot both succeed, and no template is saved without its audit entry.
 */
export async function putTemplate(
  ledger: LedgerDb,
  input: { id: string; source: unknown; format: 'yaml' | 'json' | 'object'; actor: string; origin: string; channelGuard?: ChannelGuard; expectedVersion?: number },
): Promise<PutTemplateResult> {
  const parsed = parseTemplate(input.source, input.format);
  if (!parsed.ok) {
    throw new AppError(parsed.kind === 'syntax' ? 'BAD_REQUEST' : 'UNPROCESSABLE', `The template is ${parsed.kind === 'syntax' ? 'not well-formed' : 'invalid'}.`, {
      errors: parsed.errors,
    });
  }
  const template = parsed.template;
  if (template.id !== input.id) {
    throw new AppError('UNPROCESSABLE', `The template's id is ${template.id}, but the path names ${input.id}.`, {
      errors: [{ path: 'id', message: `must be ${input.id}` }],
    });
  }
  const result = await writeTransaction(ledger, async (tx) => {
    const existing = await getCapability(tx, input.id);
    input.channelGuard?.(existing?.template.notifications.channel ?? 'none', template.notifications.channel);
    // The same template again is a retry (perhaps of a write whose answer was lost): nothing to refuse or write.
    if (existing && JSON.stringify(existing.template) === JSON.stringify(template)) return { capability: existing, outcome: 'unchanged' as const };
    const current = existing?.version ?? 0;
    if (input.expectedVersion !== undefined && input.expectedVersion !== current) {
      throw new AppError('CONFLICT', `${input.id} is at version ${current}, not ${input.expectedVersion}; reload it and try again.`, {
        currentVersion: current,
        errors: [{ path: 'headers.if-match', message: `the stored version is ${current}` }],
      });
    }
    if (existing && template.version <= existing.version) {
      throw new AppError('CONFLICT', `Version ${existing.version} of ${input.id} is stored; a changed template needs a higher version.`, {
        currentVersion: existing.version,
        errors: [{ path: 'version', message: `must be greater than ${existing.version}` }],
      });
    }
    const capability: StoredCapability = {
      id: template.id,
      name: template.name,
      version: template.version,
      template,
      source: input.origin,
      updatedAt: new Date().toISOString(),
      updatedBy: input.actor,
    };
    await saveCapability(tx, capability);
    await appendAudit(tx, [
      {
        idempotencyKey: `capability:${template.id}#v${template.version}`,
        at: capability.updatedAt,
        actor: input.actor,
        action: existing ? 'capability.updated' : 'capability.created',
        subjectType: 'capability',
        subjectId: template.id,
        reason: null,
        detail: { version: template.version, previousVersion: existing?.version ?? null, source: input.origin },
      },
    ]);
    return { capability, outcome: existing ? ('updated' as const) : ('created' as const) };
  });
  // The chains may now reach other steps: lint them again (ledger/chain-lint.ts).
  if (result.outcome !== 'unchanged') await relintCapability(ledger, input.id);
  // Each region rehearses the new version before it adopts it: its result is there to read with the preview.
  if (result.outcome !== 'unchanged') await rehearseCandidates(ledger, result.capability.template);
  return result;
}

export async function requireCapability(ledger: LedgerDb, id: string): Promise<StoredCapability> {
  const capability = await getCapability(ledger, id);
  if (!capability) throw new AppError('NOT_FOUND', `No capability ${id}.`);
  return capability;
}

/** A region's effective template; 422 when the region is not rolled out, listing those that are. */
export async function requireRollout(ledger: LedgerDb, capabilityId: string, region: string): Promise<StoredRollout> {
  const rollout = await getRollout(ledger, capabilityId, region);
  if (rollout) return rollout;
  const regions = (await listRollouts(ledger, capabilityId)).map((r) => r.region);
  throw new AppError('UNPROCESSABLE', `${capabilityId} is not rolled out to ${region}; rolled out: ${regions.join(', ') || 'none'}.`, {
    errors: [{ path: 'region', message: `not rolled out; known: ${regions.join(', ') || 'none'}` }],
    knownRegions: regions,
  });
}

/** Stores a region's overlay over the template as it stands in the same transaction, with its audit entry. */
export async function putRollout(
  ledger: LedgerDb,
  input: { capabilityId: string; region: string; overlay: unknown; actor: string; channelGuard?: ChannelGuard },
): Promise<{ rollout: StoredRollout; outcome: 'created' | 'updated'; changed: string[]; rehearsal: StoredRehearsal }> {
  const saved = await writeTransaction(ledger, async (tx) => {
    const capability = await requireCapability(tx, input.capabilityId);
    const existing = await getRollout(tx, input.capabilityId, input.region);
    // A region's overlay applies to the core version it adopted; a new region starts on the newest.
    const core = existing ? ((await getVersion(tx, input.capabilityId, existing.templateVersion))?.template ?? capability.template) : capability.template;
    const result = applyOverlay(core, input.overlay);
    if (!result.ok) {
      throw new AppError('UNPROCESSABLE', `The overlay changes keys that ${input.capabilityId} does not let a region adapt, or gives them bad values.`, {
        errors: result.errors,
        adaptable: core.adaptable,
      });
    }
    input.channelGuard?.((existing?.effective ?? capability.template).notifications.channel, result.effective.notifications.channel);
    const rollout: StoredRollout = {
      capabilityId: input.capabilityId,
      region: input.region,
      overlay: (input.overlay ?? {}) as Record<string, unknown>,
      effective: result.effective,
      templateVersion: core.version,
      updatedAt: new Date().toISOString(),
      updatedBy: input.actor,
    };
    await saveRollout(tx, rollout);
    await appendAudit(tx, [
      {
        idempotencyKey: `rollout:${input.capabilityId}:${input.region}:${randomUUID()}`,
        at: rollout.updatedAt,
        actor: input.actor,
        action: existing ? 'rollout.updated' : 'rollout.created',
        subjectType: 'capability-region',
        subjectId: `${input.capabilityId}/${input.region}`,
        reason: null,
        detail: { overlay: rollout.overlay, changed: result.changed, templateVersion: core.version },
      },
    ]);
    return { rollout, outcome: existing ? ('updated' as const) : ('created' as const), changed: result.changed };
  });
  await relintCapability(ledger, input.capabilityId);
  return { ...saved, rehearsal: await rehearseRegion(ledger, saved.rollout.effective, input.region, 'overlay') };
}

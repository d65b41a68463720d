import type { CapabilityTemplate } from '../domain/capability.js';
import type { LedgerDb } from './db.js';

export interface StoredCapability {
  id: string;
  name: string;
  version: number;
  template: CapabilityTemplate;
  source: string;
  updatedAt: string;
  updatedBy: string;
}

export interface StoredRollout {
  capabilityId: string;
  region: string;
  overlay: Record<string, unknown>;
  effective: CapabilityTemplate;
  updatedAt: string;
  updatedBy: string;
}

const toCapability = (r: { id: string; name: string; version: number; template: string; source: string; updated_at: string; updated_by: string }): StoredCapability => ({
  id: r.id,
  name: r.name,
  version: r.version,
  template: JSON.parse(r.template) as CapabilityTemplate,
  source: r.source,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

const toRollout = (r: { capability_id: string; region: string; overlay: string; effective: string; updated_at: string; updated_by: string }): StoredRollout => ({
  capabilityId: r.capability_id,
  region: r.region,
  overlay: JSON.parse(r.overlay) as Record<string, unknown>,
  effective: JSON.parse(r.effective) as CapabilityTemplate,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

export async function getCapability(db: LedgerDb, id: string): Promise<StoredCapability | undefined> {
  const row = await db.selectFrom('capabilities').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toCapability(row);
}

export async function listCapabilities(db: LedgerDb): Promise<StoredCapability[]> {
  return (await db.selectFrom('capabilities').selectAll().orderBy('id').execute()).map(toCapability);
}

const parsedTemplates = new Map<string, Readonly<CapabilityTemplate>>();

/**
 * The template a region runs, for intake. Every intake reads it, so each distinct text is parsed
 * once; the row is still read each time, so a change made through any API process shows at once.
 */
export async function getEffectiveTemplate(db: LedgerDb, capabilityId: string, region: string): Promise<Readonly<CapabilityTemplate> | undefined> {
  const row = await db
    .selectFrom('capability_regions')
    .select('effective')
    .where('capability_id', '=', capabilityId)
    .where('region', '=', region)
    .executeTakeFirst();
  if (!row) return undefined;
  let template = parsedTemplates.get(row.effective);
  if (!template) {
    if (parsedTemplates.size >= 64) parsedTemplates.clear();
    template = JSON.parse(row.effective) as CapabilityTemplate;
    parsedTemplates.set(row.effective, template);
  }
  return template;
}

export async function getRollout(db: LedgerDb, capabilityId: string, region: string): Promise<StoredRollout | undefined> {
  const row = await db
    .selectFrom('capability_regions')
    .selectAll()
    .where('capability_id', '=', capabilityId)
    .where('region', '=', region)
    .executeTakeFirst();
  return row && toRollout(row);
}

export async function listRollouts(db: LedgerDb, capabilityId?: string): Promise<StoredRollout[]> {
  let query = db.selectFrom('capability_regions').selectAll().orderBy('capability_id').orderBy('region');
  if (capabilityId) query = query.where('capability_id', '=', capabilityId);
  return (await query.execute()).map(toRollout);
}

/** Saves a template and the recomputed effective template of each of its regions; run it in writeTransaction. */
export async function saveCapability(
  tx: LedgerDb,
  capability: StoredCapability,
  rollouts: Array<Pick<StoredRollout, 'region' | 'effective'>>,
): Promise<void> {
  const row = {
    id: capability.id,
    name: capability.name,
    version: capability.version,
    template: JSON.stringify(capability.template),
    source: capability.source,
    updated_at: capability.updatedAt,
    updated_by: capability.updatedBy,
  };
  await tx.insertInto('capabilities').values(row).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
  for (const rollout of rollouts) {
    await tx
      .updateTable('capability_regions')
      .set({ effective: JSON.stringify(rollout.effective) })
      .where('capability_id', '=', capability.id)
      .where('region', '=', rollout.region)
      .execute();
  }
}

export async function saveRollout(db: LedgerDb, rollout: StoredRollout): Promise<void> {
  const row = {
    capability_id: rollout.capabilityId,
    region: rollout.region,
    overlay: JSON.stringify(rollout.overlay),
    effective: JSON.stringify(rollout.effective),
    updated_at: rollout.updatedAt,
    updated_by: rollout.updatedBy,
  };
  await db
    .insertInto('capability_regions')
    .values(row)
    .onConflict((oc) => oc.columns(['capability_id', 'region']).doUpdateSet(row))
    .execute();
}

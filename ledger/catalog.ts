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
  /** The core version the region adopted; its effective template is that version plus the overlay. */
  templateVersion: number;
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

const toRollout = (r: { capability_id: string; region: string; overlay: string; effective: string; updated_at: string; updated_by: string; template_version: number | null }): StoredRollout => ({
  capabilityId: r.capability_id,
  region: r.region,
  templateVersion: r.template_version ?? (JSON.parse(r.effective) as CapabilityTemplate).version,
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

/**
 * Saves a published template: the capability's newest version and its row in the version history
 * (ledger/template-versions.ts). Regions keep the version they adopted; run it in writeTransaction.
 */
export async function saveCapability(tx: LedgerDb, capability: StoredCapability): Promise<void> {
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
  await tx
    .insertInto('capability_versions')
    .values({ capability_id: row.id, version: row.version, template: row.template, source: row.source, published_at: row.updated_at, published_by: row.updated_by })
    .onConflict((oc) => oc.columns(['capability_id', 'version']).doNothing())
    .execute();
}

export async function saveRollout(db: LedgerDb, rollout: StoredRollout): Promise<void> {
  const row = {
    capability_id: rollout.capabilityId,
    region: rollout.region,
    overlay: JSON.stringify(rollout.overlay),
    effective: JSON.stringify(rollout.effective),
    updated_at: rollout.updatedAt,
    updated_by: rollout.updatedBy,
    template_version: rollout.templateVersion,
  };
  await db
    .insertInto('capability_regions')
    .values(row)
    .onConflict((oc) => oc.columns(['capability_id', 'region']).doUpdateSet(row))
    .execute();
}

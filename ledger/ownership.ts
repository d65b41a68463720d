import type { OwnershipChange } from '../domain/ownership.js';
import type { LedgerDb } from './db.js';

export async function recordChange(db: LedgerDb, capability: string, change: OwnershipChange): Promise<void> {
  await db
    .insertInto('ownership_changes')
    .values({
      capability,
      version: change.version,
      at: change.at,
      actor: change.actor,
      region: change.region,
      area: change.area,
      before: JSON.stringify(change.before),
      after: JSON.stringify(change.after),
      reason: change.reason,
    })
    .onConflict((oc) => oc.columns(['capability', 'version']).doNothing())
    .execute();
  const cell = {
    capability,
    region: change.region,
    area: change.area,
    owner: change.after.owner,
    backup: change.after.backup,
    escalation: JSON.stringify(change.after.escalation),
    version: change.version,
  };
  // Newer versions win, so a late retry never rolls a cell back.
  await db
    .insertInto('ownership_cells')
    .values(cell)
    .onConflict((oc) => oc.columns(['capability', 'region', 'area']).doUpdateSet(cell).where('ownership_cells.version', '<', change.version))
    .execute();
}

export async function listChanges(
  db: LedgerDb,
  filter: { capability: string; region?: string; area?: string; beforeVersion?: number; limit: number },
): Promise<{ changes: OwnershipChange[]; more: boolean }> {
  let query = db
    .selectFrom('ownership_changes')
    .selectAll()
    .where('capability', '=', filter.capability)
    .orderBy('version', 'desc')
    .limit(filter.limit + 1);
  if (filter.region) query = query.where('region', '=', filter.region);
  if (filter.area) query = query.where('area', '=', filter.area);
  if (filter.beforeVersion !== undefined) query = query.where('version', '<', filter.beforeVersion);
  const rows = await query.execute();
  return {
    changes: rows.slice(0, filter.limit).map((r) => ({
      version: r.version,
      at: r.at,
      actor: r.actor,
      region: r.region,
      area: r.area as OwnershipChange['area'],
      before: JSON.parse(r.before) as OwnershipChange['before'],
      after: JSON.parse(r.after) as OwnershipChange['after'],
      reason: r.reason,
    })),
    more: rows.length > filter.limit,
  };
}

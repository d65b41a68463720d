import type { Scorecard } from '../domain/rules/readiness.js';
import type { LedgerDb } from './db.js';

export type StageName = 'pilot' | 'production' | 'paused';

export interface StoredStage {
  capability: string;
  region: string;
  stage: StageName;
  since: number | null;
  updatedBy: string | null;
  reason: string | null;
  flaggedAt: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Every region's stage; a rolled-out region without a row is a pilot. */
export async function listStages(db: LedgerDb, capability?: string): Promise<StoredStage[]> {
  let q = db.selectFrom('rollout_stages').selectAll();
  if (capability) q = q.where('capability', '=', capability);
  return (await q.execute()).map((r) => ({
    capability: r.capability,
    region: r.region,
    stage: r.stage as StageName,
    since: num(r.since),
    updatedBy: r.updated_by,
    reason: r.reason,
    flaggedAt: num(r.flagged_at),
  }));
}

export async function getStage(db: LedgerDb, capability: string, region: string): Promise<StoredStage> {
  const found = (await listStages(db, capability)).find((s) => s.region === region);
  return found ?? { capability, region, stage: 'pilot', since: null, updatedBy: null, reason: null, flaggedAt: null };
}

export async function putStage(db: LedgerDb, s: { capability: string; region: string; stage: StageName; at: number; actor: string; reason: string | null }): Promise<void> {
  await db
    .insertInto('rollout_stages')
    .values({ capability: s.capability, region: s.region, stage: s.stage, since: s.at, updated_by: s.actor, reason: s.reason, flagged_at: null })
    .onConflict((oc) => oc.columns(['capability', 'region']).doUpdateSet({ stage: s.stage, since: s.at, updated_by: s.actor, reason: s.reason, flagged_at: null }))
    .execute();
}

export interface StoredSnapshot {
  day: number;
  held: boolean;
  ready: boolean;
  stage: string;
  scorecard: Scorecard;
  computedAt: number;
  origin: string;
}

/** Writes the day's snapshot unless one exists: the first scorecard of a day stands (or, with `replace`, the new one does). */
export async function saveSnapshot(
  db: LedgerDb,
  s: { capability: string; region: string; day: number; stage: string; scorecard: Scorecard; computedAt: number; origin: 'schedule' | 'backfill' },
  replace = false,
): Promise<boolean> {
  const values = {
    capability: s.capability,
    region: s.region,
    day: s.day,
    held: s.scorecard.held ? 1 : 0,
    ready: s.scorecard.ready ? 1 : 0,
    stage: s.stage,
    scorecard: JSON.stringify(s.scorecard),
    computed_at: s.computedAt,
    origin: s.origin,
  };
  const result = await db
    .insertInto('readiness_snapshots')
    .values(values)
    .onConflict((oc) => {
      const conflict = oc.columns(['capability', 'region', 'day']);
      return replace ? conflict.doUpdateSet({ held: values.held, ready: values.ready, stage: values.stage, scorecard: values.scorecard, computed_at: values.computed_at, origin: values.origin }) : conflict.doNothing();
    })
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** A region's snapshots in [from, to), oldest first. */
export async function listSnapshots(db: LedgerDb, capability: string, region: string, from: number, to: number): Promise<StoredSnapshot[]> {
  const rows = await db
    .selectFrom('readiness_snapshots')
    .selectAll()
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('day', '>=', from)
    .where('day', '<', to)
    .orderBy('day')
    .execute();
  return rows.flatMap((r) => {
    try {
      return [{ day: Number(r.day), held: Number(r.held) === 1, ready: Number(r.ready) === 1, stage: r.stage, scorecard: JSON.parse(r.scorecard) as Scorecard, computedAt: Number(r.computed_at), origin: r.origin }];
    } catch {
      // A row no one can read is left out rather than failing the history.
      return [];
    }
  });
}

import type { GapInputs } from '../domain/gaps.js';
import { DAY_MS, dayOf, scorecard } from '../domain/rules/readiness.js';
import { appendAudit } from './audit.js';
import { listRollouts } from './catalog.js';
import type { LedgerDb } from './db.js';
import { gapInputs } from './gaps.js';
import { readinessFacts } from './readiness.js';
import { getStage, saveSnapshot, setFlag } from './rollout-stages.js';

export interface DaySnapshotResult {
  day: string;
  written: number;
  /** Regions that already had a snapshot of the day: the first one stands. */
  kept: number;
  /** Production regions newly flagged (below a threshold), and those whose flag cleared. */
  flagged: string[];
  cleared: string[];
}

/**
 * Snapshots every rolled-out region's scorecard for one UTC day (its window ending at the next
 * midnight) into the ledger, once per day: a second run of the same day keeps the first snapshot,
 * unless `replace`. A region in production whose scorecard no longer holds is flagged (never demoted)
 * and the flag, with the owners to tell, goes into the audit log; the flag clears when it holds again.
 * The ownership criterion reads the matrix as it is now (the matrix's history is not replayed).
 */
export async function snapshotDay(
  db: LedgerDb,
  options: { day: number; origin: 'schedule' | 'backfill'; gapThresholds: GapInputs['thresholds']; replace?: boolean; now?: number },
): Promise<DaySnapshotResult> {
  const day = dayOf(options.day);
  const now = options.now ?? Date.now();
  const to = Math.min(day + DAY_MS, now);
  const inputs = await gapInputs(db, options.gapThresholds);
  const result: DaySnapshotResult = { day: new Date(day).toISOString().slice(0, 10), written: 0, kept: 0, flagged: [], cleared: [] };
  for (const rollout of await listRollouts(db)) {
    const { capabilityId: capability, region, effective: template } = rollout;
    const facts = await readinessFacts(db, { capability, region, template, to, now, gapThresholds: options.gapThresholds, gapInputs: inputs });
    const card = scorecard(facts, template.cutover);
    const stage = await getStage(db, capability, region);
    const written = await saveSnapshot(db, { capability, region, day, stage: stage.stage, scorecard: card, computedAt: now, origin: options.origin }, options.replace);
    if (written) result.written++;
    else result.kept++;
    // Only today's (or yesterday's) evaluation speaks for the region as it is; an old day's backfill does not.
    if (stage.stage !== 'production' || day < dayOf(now) - DAY_MS) continue;
    const place = `${capability}:${region}`;
    if (!card.held && stage.flaggedAt === null) {
      await setFlag(db, capability, region, now);
      result.flagged.push(place);
      await appendAudit(db, [
        {
          // Keyed by the day: a retried run records the flag once.
          idempotencyKey: `readiness-flag:${place}:${day}`,
          at: new Date(now).toISOString(),
          actor: 'system',
          action: 'rollout-flagged',
          subjectType: 'rollout',
          subjectId: place,
          reason: `below a cutover threshold in production: ${card.failing.filter((f) => f !== 'days-stable').join(', ')}`,
          detail: { day: result.day, failing: card.failing, notify: ownersOf(inputs, capability, region), scorecard: card },
        },
      ]);
    } else if (card.held && stage.flaggedAt !== null) {
      await setFlag(db, capability, region, null);
      result.cleared.push(place);
      await appendAudit(db, [
        { idempotencyKey: `readiness-unflag:${place}:${day}`, at: new Date(now).toISOString(), actor: 'system', action: 'rollout-flag-cleared', subjectType: 'rollout', subjectId: place, detail: { day: result.day } },
      ]);
    }
  }
  return result;
}

/** The owners and backups of the region's cells: who hears that it fell below a threshold. */
function ownersOf(inputs: GapInputs, capability: string, region: string): string[] {
  return inputs.cells.filter((c) => c.capability === capability && c.region === region).flatMap((c) => [c.owner, c.backup]).filter((p): p is string => p !== null);
}

/** Snapshots each of the `days` days before today, oldest first, so each day's "days stable" reads the ones before it. */
export async function backfillSnapshots(db: LedgerDb, options: { days: number; gapThresholds: GapInputs['thresholds']; replace?: boolean; now?: number }): Promise<DaySnapshotResult[]> {
  const today = dayOf(options.now ?? Date.now());
  const results: DaySnapshotResult[] = [];
  for (let day = today - options.days * DAY_MS; day < today; day += DAY_MS) {
    results.push(await snapshotDay(db, { day, origin: 'backfill', gapThresholds: options.gapThresholds, replace: options.replace, now: options.now }));
  }
  return results;
}

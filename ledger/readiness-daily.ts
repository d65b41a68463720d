import type { GapInputs } from '../domain/gaps.js';
import { DAY_MS, dayOf, scorecard } from '../domain/rules/readiness.js';
import { listRollouts } from './catalog.js';
import type { LedgerDb } from './db.js';
import { gapInputs } from './gaps.js';
import { gapInputsAsOf } from './gaps-history.js';
import { readinessFacts } from './readiness.js';
import { clearFlag, raiseFlag } from './readiness-notices.js';
import { getStage, saveSnapshot } from './rollout-stages.js';

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
 * unless `replace`. A region in production whose scorecard no longer holds is flagged (never demoted),
 * once: its owners and backups find it in their inbox and, where the region has a webhook channel, it
 * goes out through the outbox (ledger/readiness-notices.ts); the flag clears when it holds again.
 * A backfilled day's ownership criterion reads the matrix as it stood that day (ledger/gaps-history.ts).
 */
export async function snapshotDay(
  db: LedgerDb,
  options: { day: number; origin: 'schedule' | 'backfill'; gapThresholds: GapInputs['thresholds']; replace?: boolean; now?: number },
): Promise<DaySnapshotResult> {
  const day = dayOf(options.day);
  const now = options.now ?? Date.now();
  const to = Math.min(day + DAY_MS, now);
  // The backfill grades a past day against the matrix and directory as they stood at its end; the
  // schedule, at 00:05, reads them as they are (the day's end, give or take minutes) and speaks for the
  // region now: what it flags, it flags today.
  const inputs = options.origin === 'backfill' && to < now ? await gapInputsAsOf(db, options.gapThresholds, to) : await gapInputs(db, options.gapThresholds);
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
      const channel = template.notifications?.channel;
      const webhook = channel && channel !== 'none' ? channel.webhook : null;
      if (await raiseFlag(db, { capability, region, at: now, day: result.day, scorecard: card, notify: peopleToTell(inputs, capability, region), webhook })) result.flagged.push(place);
    } else if (card.held && stage.flaggedAt !== null) {
      if (await clearFlag(db, { capability, region, at: now, day: result.day })) result.cleared.push(place);
    }
  }
  return result;
}

/** The owners and backups of the region's cells, each once, but for those who have left: who hears that it fell below a threshold. */
function peopleToTell(inputs: GapInputs, capability: string, region: string): string[] {
  const named = inputs.cells.filter((c) => c.capability === capability && c.region === region).flatMap((c) => [c.owner, c.backup]);
  return [...new Set(named.filter((p): p is string => p !== null && inputs.people[p]?.status !== 'departed'))].sort();
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

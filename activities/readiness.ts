import type { GapInputs } from '../domain/gaps.js';
import type { LedgerDb } from '../ledger/db.js';
import { snapshotDay, type DaySnapshotResult } from '../ledger/readiness-daily.js';

/** The gap audit's defaults (config GAP_MAX_CELLS_PER_PERSON, GAP_MAX_OPEN_PER_OWNER). */
const DEFAULT_GAP_THRESHOLDS = { maxCellsPerPerson: 6, maxOpenPerOwner: 25 };

export function createReadinessActivities(deps: { ledger: LedgerDb; gapThresholds?: GapInputs['thresholds'] }) {
  return {
    /** Every region's scorecard for one day, into the ledger; idempotent per day (ledger/readiness-daily.ts). */
    async snapshotReadiness(input: { day: number }): Promise<DaySnapshotResult> {
      return snapshotDay(deps.ledger, { day: input.day, origin: 'schedule', gapThresholds: deps.gapThresholds ?? DEFAULT_GAP_THRESHOLDS });
    },
  };
}

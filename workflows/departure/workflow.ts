import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { cellGaps } from '../../domain/rules/gaps.js';
import { ACTOR_STATUS_TTL_MS } from '../../domain/rules/people.js';
import { getDepartureProgress, type CarriedSweep, type DepartureInput, type DepartureResult, type Work } from './messages.js';

const acts = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Steps that wait on other workflows heartbeat; a dead worker's attempt is retried after this.
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds' },
});
// A check is one short ledger read: a local activity keeps it to one marker in the history.
const { sweepProgress } = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds' },
});

const BATCH = 50;
const FIRST_WAIT_MS = 500;
const MAX_WAIT_MS = 60_000;
/** About six events a check: a run stays near 1 200 events, far below Temporal's history limits. */
const CHECKS_PER_RUN = 200;
/** After this many checks, exceptions whose workflow is gone or closed are no longer waited on. */
const CHECKS_BEFORE_LOOKING_AT_WORKFLOWS = 3;

/**
 * The departure sweep: mark the person departed, hand their cells to backups, move their open work.
 * Every step is idempotent, so a worker crash at any point resumes without double moves.
 */
export async function departureWorkflow(input: DepartureInput): Promise<DepartureResult> {
  if (input.carried) return waitForMoves(input, input.carried);
  const result: DepartureResult = {
    person: input.person,
    actor: input.actor,
    reason: input.reason,
    stage: 'marking',
    matrixChanges: [],
    moves: [],
    gaps: [],
    startedAt: new Date().toISOString(),
    completedAt: null,
  };
  wf.setHandler(getDepartureProgress, () => result);
  const wait = Date.parse(input.effectiveAt) - Date.now();
  if (wait > 0) await wf.sleep(wait);

  // Snapshot first: once the status changes, routing starts moving their work away.
  const work = await acts.openWorkOf(input.person);
  await acts.markPersonStatus({ person: input.person, status: 'departed', actor: input.actor, reason: input.reason });

  result.stage = 'matrix';
  for (const capability of await acts.capabilitiesInMatrix()) {
    const { changes, statuses, chainDepths } = await acts.departFromMatrix({ capability, person: input.person, actor: input.actor, reason: input.reason });
    // Histories from before the activity returned statuses: the departed person cannot act, the others are taken as able to.
    const status = (id: string) => (statuses ? (statuses[id] ?? 'unknown') : id === input.person ? 'departed' : 'active');
    for (const change of changes) {
      result.matrixChanges.push({ ...change, capability });
      const at = { capability, region: change.region, area: change.area };
      result.gaps.push(...cellGaps(change.after, status, chainDepths?.[change.region] ?? 0).map((gap) => ({ ...at, ...gap })));
    }
  }

  // A claim the API let through between the snapshot and the mark (it may act on a directory status
  // cached for ACTOR_STATUS_TTL_MS) is found by a second look once that time has passed, so no claim
  // outlives its claimant's departure. Histories from before this took one snapshot.
  if (wf.patched('claims-after-mark')) {
    await wf.sleep(ACTOR_STATUS_TTL_MS + 500);
    for (const late of await acts.openWorkOf(input.person)) if (!work.some((w) => w.id === late.id)) work.push(late);
  }

  result.stage = 'moving';
  const ids = work.map((w) => w.id);
  for (let i = 0; i < ids.length; i += BATCH) {
    await acts.signalMoves({ ids: ids.slice(i, i + BATCH), person: input.person, actor: input.actor, reason: input.reason });
  }
  // The exceptions move themselves; the sweep waits, durably, until the ledger shows none left with the person.
  if (wf.patched('bounded-sweep-wait')) return waitForMoves(input, { result, work, pending: ids, waitMs: Math.min(FIRST_WAIT_MS, input.waitMaxMs ?? MAX_WAIT_MS) });
  // Histories from before: a check every 500 ms, all in one run.
  for (let pending = await acts.workStillWith({ ids, person: input.person }); pending.length > 0; pending = await acts.workStillWith({ ids: pending, person: input.person })) {
    await wf.sleep('500 milliseconds');
  }
  return finish(input, result, work, 'done');
}

/**
 * Waits for the moved work with a doubling back-off, and continues as new with its progress after
 * CHECKS_PER_RUN checks (or when Temporal suggests it), so a stuck exception never grows one history
 * without bound. It stops waiting for work no longer with the person, and stops the sweep if they return.
 */
async function waitForMoves(input: DepartureInput, carried: CarriedSweep): Promise<DepartureResult> {
  const { result, work } = carried;
  wf.setHandler(getDepartureProgress, () => result);
  const maxWaitMs = input.waitMaxMs ?? MAX_WAIT_MS;
  let { pending, waitMs } = carried;
  for (let checksThisRun = 0; ; checksThisRun++) {
    const checks = result.checks ?? 0;
    const progress = await sweepProgress({ ids: pending, person: input.person, checkWorkflows: checks >= CHECKS_BEFORE_LOOKING_AT_WORKFLOWS });
    pending = progress.pending;
    result.pending = pending;
    result.checks = checks + 1;
    if (progress.gone.length) result.stranded = [...(result.stranded ?? []), ...progress.gone];
    if (progress.personStatus === 'active') return finish(input, result, work, 'returned');
    if (pending.length === 0) return finish(input, result, work, 'done');
    if (checksThisRun + 1 >= CHECKS_PER_RUN || wf.workflowInfo().continueAsNewSuggested) {
      await wf.continueAsNew<typeof departureWorkflow>({ ...input, carried: { result, work, pending, waitMs } });
    }
    // Temporal fires timers to about a second, so tests (waitMaxMs 0) check back to back instead.
    if (waitMs > 0) await wf.sleep(waitMs);
    waitMs = Math.min(waitMs * 2, maxWaitMs);
  }
}

/** Records where each exception went (what stayed with a returning person shows as not moved). */
async function finish(input: DepartureInput, result: DepartureResult, work: Work[], stage: 'done' | 'returned'): Promise<DepartureResult> {
  for (let i = 0; i < work.length; i += BATCH) {
    result.moves.push(...(await acts.recordMoves({ work: work.slice(i, i + BATCH), person: input.person, actor: input.actor, reason: input.reason, sweepId: wf.workflowInfo().workflowId })));
  }
  result.stage = stage;
  result.completedAt = new Date().toISOString();
  return result;
}

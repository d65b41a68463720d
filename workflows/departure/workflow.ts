import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { getDepartureProgress, type DepartureInput, type DepartureResult, type Gap } from './messages.js';

const acts = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Steps that wait on other workflows heartbeat; a dead worker's attempt is retried after this.
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds' },
});

const BATCH = 50;

/**
 * The departure sweep: mark the person departed, hand their cells to backups, move their open work.
 * Every step is idempotent, so a worker crash at any point resumes without double moves.
 */
export async function departureWorkflow(input: DepartureInput): Promise<DepartureResult> {
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
    const { changes } = await acts.departFromMatrix({ capability, person: input.person, actor: input.actor, reason: input.reason });
    for (const change of changes) {
      result.matrixChanges.push({ ...change, capability });
      result.gaps.push(...gapsOf(capability, change.region, change.area, change.after));
    }
  }

  result.stage = 'moving';
  const ids = work.map((w) => w.id);
  for (let i = 0; i < ids.length; i += BATCH) {
    await acts.signalMoves({ ids: ids.slice(i, i + BATCH), person: input.person, actor: input.actor, reason: input.reason });
  }
  // The exceptions move themselves; the sweep waits, durably, until the ledger shows none left with the person.
  for (let pending = await acts.workStillWith({ ids, person: input.person }); pending.length > 0; pending = await acts.workStillWith({ ids: pending, person: input.person })) {
    await wf.sleep('500 milliseconds');
  }
  for (let i = 0; i < work.length; i += BATCH) {
    result.moves.push(...(await acts.recordMoves({ work: work.slice(i, i + BATCH), person: input.person, actor: input.actor, reason: input.reason, sweepId: wf.workflowInfo().workflowId })));
  }
  result.stage = 'done';
  result.completedAt = new Date().toISOString();
  return result;
}

function gapsOf(capability: string, region: string, area: string, cell: { owner: string | null; backup: string | null; escalation: string[] }): Gap[] {
  const gaps: Gap[] = [];
  if (cell.owner === null) gaps.push({ capability, region, area, kind: 'unowned', detail: 'no owner and no backup to take over' });
  else if (cell.backup === null) gaps.push({ capability, region, area, kind: 'no-backup', detail: `${cell.owner} has no backup` });
  if (cell.escalation.length === 0) gaps.push({ capability, region, area, kind: 'empty-escalation-step', detail: 'the escalation chain is empty' });
  return gaps;
}

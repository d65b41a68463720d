import { isGrpcDeadlineError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { departureWorkflowId, getDepartureProgress, type DepartureResult } from '../../workflows/departure/messages.js';
import { departureWorkflow } from '../../workflows/departure/workflow.js';
import type { LedgerDb } from '../../ledger/db.js';
import { AppError, fromTemporal } from '../errors.js';
import type { ScopeTarget } from '../scope.js';
import { footprintOf } from './people.js';
import type { TemporalDeps } from './temporal.js';

const WAIT_FOR_RESULT_MS = 30_000;

/** Starts the person's sweep once; a second call gets the same sweep. Waits briefly for its outcome. */
export async function startDeparture(
  deps: TemporalDeps,
  input: { person: string; actor: string; reason: string; effectiveAt?: string },
): Promise<{ sweepId: string; done: boolean; result: DepartureResult }> {
  const sweepId = departureWorkflowId(input.person);
  try {
    await deps.client.workflow.start(departureWorkflow, {
      workflowId: sweepId,
      taskQueue: deps.taskQueue,
      args: [{ person: input.person, actor: input.actor, reason: input.reason, effectiveAt: input.effectiveAt ?? new Date().toISOString(), waitMaxMs: deps.departureWaitMaxMs }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    // Already swept and closed: its result stands.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw fromTemporal(err);
  }
  return readDeparture(deps, input.person, WAIT_FOR_RESULT_MS);
}

export async function readDeparture(deps: TemporalDeps, person: string, waitMs = 0): Promise<{ sweepId: string; done: boolean; result: DepartureResult }> {
  const sweepId = departureWorkflowId(person);
  const handle = deps.client.workflow.getHandle<typeof departureWorkflow>(sweepId);
  try {
    // Its own deadline, longer than the client's default for a call: the wait is the point.
    const finished = waitMs <= 0 ? null : await deps.client.withDeadline(Date.now() + waitMs, () => handle.result()).then(
      (result) => ({ done: true as const, result }),
      (err: unknown) => {
        if (isGrpcDeadlineError(err)) return null;
        throw err;
      },
    );
    if (finished) return { sweepId, ...finished };
    // A sweep that has finished answers with its result, not its last progress report.
    if ((await handle.describe()).status.name === 'COMPLETED') return { sweepId, done: true, result: await handle.result() };
    return { sweepId, done: false, result: await handle.query(getDepartureProgress) };
  } catch (err) {
    const mapped = fromTemporal(err);
    if (mapped instanceof AppError && mapped.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', `No departure sweep for ${person}.`);
    throw mapped;
  }
}

/** What a person's sweep reached (its matrix changes, gaps and moved exceptions) plus what they hold now. */
export async function sweepFootprint(deps: TemporalDeps, ledger: LedgerDb, person: string): Promise<ScopeTarget[]> {
  const targets = await footprintOf(ledger, person);
  let sweep: DepartureResult;
  try {
    sweep = (await readDeparture(deps, person)).result;
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return targets;
    throw err;
  }
  for (const c of sweep.matrixChanges) targets.push({ capability: c.capability, region: c.region, what: `its change to ${c.area}` });
  for (const g of sweep.gaps) targets.push({ capability: g.capability, region: g.region, what: `a gap in ${g.area}` });
  const ids = sweep.moves.map((m) => m.exceptionId);
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await ledger.selectFrom('exceptions').select(['capability', 'region']).where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) targets.push({ capability: r.capability, region: r.region, what: 'an exception it moved' });
  }
  return targets;
}

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { departureWorkflowId, getDepartureProgress, type DepartureResult } from '../../workflows/departure/messages.js';
import { departureWorkflow } from '../../workflows/departure/workflow.js';
import { AppError, fromTemporal } from '../errors.js';
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
    const finished = await Promise.race([
      handle.result().then((result) => ({ done: true as const, result })),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), waitMs).unref()),
    ]);
    if (finished) return { sweepId, ...finished };
    return { sweepId, done: false, result: await handle.query(getDepartureProgress) };
  } catch (err) {
    const mapped = fromTemporal(err);
    if (mapped instanceof AppError && mapped.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', `No departure sweep for ${person}.`);
    throw mapped;
  }
}

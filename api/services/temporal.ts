import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';

export interface TemporalDeps {
  client: Client;
  taskQueue: string;
  /** Handed to entity workflows when they start; see CONTINUE_AS_NEW_AFTER. */
  continueAsNewAfter?: number;
  /** Handed to departure sweeps; see DEPARTURE_WAIT_MAX_MS. */
  departureWaitMaxMs?: number;
}

/** Update-with-start: the entity workflow is created by its first write, and exists exactly once. */
export function withStart<A extends unknown[]>(
  deps: TemporalDeps,
  workflow: (...args: A) => Promise<unknown>,
  workflowId: string,
  args: A,
) {
  return new WithStartWorkflowOperation(workflow, {
    workflowId,
    taskQueue: deps.taskQueue,
    args,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** A query on an entity that has never been written answers `fallback`. */
export async function queryOr<T>(run: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return fallback;
    throw err;
  }
}

// The bare-Temporal baseline: what the same server and worker settings do with no product logic.
// Bundled into a second worker on its own task queue; only @temporalio/workflow is imported.
import * as wf from '@temporalio/workflow';

export const bareStep = wf.defineUpdate<{ step: number; at: number }, [string]>('bareStep');

/** Starts, accepts two updates (the analogue of claim and resolve) and completes. No activities. */
export async function bareLifecycleWorkflow(): Promise<number> {
  let steps = 0;
  wf.setHandler(bareStep, () => {
    steps += 1;
    return { step: steps, at: Date.now() };
  });
  await wf.condition(() => steps >= 2);
  await wf.condition(wf.allHandlersFinished);
  return steps;
}

/** One durable timer, the analogue of an SLA escalation: reports when it was due and when it fired. */
export async function bareTimerWorkflow(delayMs: number): Promise<{ dueAt: number; firedAt: number }> {
  const dueAt = Date.now() + delayMs;
  await wf.sleep(delayMs);
  return { dueAt, firedAt: Date.now() };
}

import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';

const { evaluateDecisionTriggers } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/**
 * Started by the `decision-triggers` Schedule (worker/decision-schedule.ts): evaluates every trigger of
 * every rolled-out region from the ledger and raises a decision item for each one that fired (an open
 * item for the same trigger × region is kept, not raised twice).
 */
export async function decisionTriggersWorkflow(input: { capability?: string } = {}) {
  return evaluateDecisionTriggers(input);
}

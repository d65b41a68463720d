import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { SelfCheckResult } from './messages.js';

const { describeLedger } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/** Round trip API → Temporal → worker → ledger, behind GET /readyz?deep=true. */
export async function selfCheckWorkflow(): Promise<SelfCheckResult> {
  return describeLedger();
}

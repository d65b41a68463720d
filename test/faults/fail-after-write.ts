import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Test-only, bundled only by test/ledger/fence.test.ts: when the ledger write answers
 * `{ injectFailure: true }`, the workflow task fails right after that write, as one does when its
 * worker crashes or its task times out. The retried task runs the updates again, perhaps in another order.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleLocalActivity(input, next) {
        const result: unknown = await next(input);
        if (typeof result === 'object' && result !== null && (result as { injectFailure?: boolean }).injectFailure) {
          throw new Error('injected fault: the workflow task fails after its ledger write');
        }
        return result;
      },
    },
  ],
});

export const selfCheckWorkflowId = (requestId: string) => `system:self-check:${requestId}`;

export interface SelfCheckResult {
  /** The ledger migrations the worker sees; proves the worker reaches the same ledger as the API. */
  ledgerMigrations: string[];
  workerIdentity: string;
  checkedAt: string;
}

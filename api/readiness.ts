import type { Client, Connection } from '@temporalio/client';
import { ledgerReachable, type LedgerDb } from '../ledger/db.js';

export interface ReadinessDeps {
  connection: Connection;
  client: Client;
  namespace: string;
  taskQueue: string;
  ledger: LedgerDb;
}

export interface Check {
  ok: boolean;
  detail: string;
}

/** Long polls last about a minute, so a live worker's last poll is never older than this. */
const POLLER_FRESHNESS_MS = 2 * 60_000;
const CHECK_TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

async function check(run: () => Promise<string>): Promise<Check> {
  try {
    return { ok: true, detail: await run() };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

export async function readiness(deps: ReadinessDeps): Promise<{ ready: boolean; checks: Record<string, Check> }> {
  const [temporal, worker, ledger] = await Promise.all([
    check(async () => {
      await withTimeout(deps.connection.workflowService.describeNamespace({ namespace: deps.namespace }), 'Temporal');
      return `namespace ${deps.namespace} reachable`;
    }),
    check(async () => {
      const queue = await withTimeout(
        deps.connection.workflowService.describeTaskQueue({
          namespace: deps.namespace,
          taskQueue: { name: deps.taskQueue },
          taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
        }),
        'Task queue description',
      );
      const now = Date.now();
      const live = (queue.pollers ?? []).filter((p) => {
        const seconds = Number(p.lastAccessTime?.seconds ?? 0);
        return now - seconds * 1000 < POLLER_FRESHNESS_MS;
      });
      if (live.length === 0) throw new Error(`no worker is polling task queue ${deps.taskQueue}`);
      return `${live.length} worker(s) polling ${deps.taskQueue}`;
    }),
    check(async () => {
      await withTimeout(ledgerReachable(deps.ledger), 'Ledger');
      return 'ledger reachable';
    }),
  ]);
  const checks = { temporal, worker, ledger };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

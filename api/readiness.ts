import { isGrpcDeadlineError, WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { listCapabilities } from '../ledger/catalog.js';
import { ledgerReachable, type LedgerDb } from '../ledger/db.js';
import { ownershipWorkflowId } from '../workflows/ownership/messages.js';
import { peopleDirectoryWorkflowId } from '../workflows/people/messages.js';

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

/** Temporal calls carry the deadline themselves, so a slow answer is cancelled rather than left running. */
async function temporalCall<T>(deps: ReadinessDeps, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await deps.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, run);
  } catch (err) {
    throw isGrpcDeadlineError(err) ? new Error(`${what} timed out after ${CHECK_TIMEOUT_MS} ms`) : err;
  }
}

async function check(run: () => Promise<string>): Promise<Check> {
  try {
    return { ok: true, detail: await run() };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** How many workers polled the queue recently. */
async function livePollers(deps: ReadinessDeps, taskQueue: string): Promise<number> {
  const queue = await deps.connection.workflowService.describeTaskQueue({
    namespace: deps.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
  });
  const now = Date.now();
  return (queue.pollers ?? []).filter((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESHNESS_MS).length;
}

/**
 * The singletons every write about people or ownership goes through keep the task queue they were
 * started on. If nobody polls that queue (say the API and workers moved to another
 * TEMPORAL_TASK_QUEUE), those writes cannot complete: readiness names each such workflow and queue.
 */
async function singletons(deps: ReadinessDeps): Promise<string> {
  const ids = [peopleDirectoryWorkflowId, ...(await listCapabilities(deps.ledger)).map((c) => ownershipWorkflowId(c.id))];
  const running = await Promise.all(
    ids.map(async (id) => {
      try {
        const description = await deps.client.workflow.getHandle(id).describe();
        return description.status.name === 'RUNNING' ? { id, taskQueue: description.taskQueue } : null;
      } catch (err) {
        // Not written yet: its first write starts it on our queue.
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    }),
  );
  const found = running.filter((r) => r !== null);
  const queues = [...new Set(found.map((r) => r.taskQueue))];
  const polled = new Map(await Promise.all(queues.map(async (q) => [q, (await livePollers(deps, q)) > 0] as const)));
  const stranded = found.filter((r) => !polled.get(r.taskQueue));
  if (stranded.length) {
    throw new Error(stranded.map((r) => `${r.id} waits on task queue ${r.taskQueue}, which no worker polls`).join('; '));
  }
  return found.length ? `${found.map((r) => r.id).join(', ')} on polled task queues` : 'none started yet';
}

export async function readiness(deps: ReadinessDeps): Promise<{ ready: boolean; checks: Record<string, Check> }> {
  const [temporal, worker, singleton, ledger] = await Promise.all([
    check(async () => {
      await temporalCall(deps, 'Temporal', () => deps.connection.workflowService.describeNamespace({ namespace: deps.namespace }));
      return `namespace ${deps.namespace} reachable`;
    }),
    check(async () => {
      const live = await temporalCall(deps, 'Task queue description', () => livePollers(deps, deps.taskQueue));
      if (live === 0) throw new Error(`no worker is polling task queue ${deps.taskQueue}`);
      return `${live} worker(s) polling ${deps.taskQueue}`;
    }),
    check(() => temporalCall(deps, 'Singleton workflows description', () => singletons(deps))),
    check(async () => {
      await withTimeout(ledgerReachable(deps.ledger), 'Ledger');
      return 'ledger reachable';
    }),
  ]);
  const checks = { temporal, worker, singletons: singleton, ledger };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

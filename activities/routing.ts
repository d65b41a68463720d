import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { appendAudit } from '../ledger/audit.js';
import { openDecisionIds } from '../ledger/decisions.js';
import { chainDepths } from '../ledger/gaps.js';
import type { LedgerDb } from '../ledger/db.js';
import type { PeopleSnapshot } from '../domain/ownership.js';
import { ownershipChanged } from '../workflows/exception/messages.js';
import { applyDeparture, ownershipWorkflowId, type DepartureOutcome } from '../workflows/ownership/messages.js';
import { peopleDirectoryWorkflowId, setPersonStatus } from '../workflows/people/messages.js';

export interface RoutingDeps {
  ledger: LedgerDb;
  client: Client;
}

const SIGNAL_CONCURRENCY = 16;

/** What departFromMatrix adds to the matrix's outcome, for the gap rule. Histories from before it lack it. */
export interface DepartureContext {
  statuses?: Record<string, string>;
  chainDepths?: Record<string, number>;
}

async function forEachLimited<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const openStatuses = ['open', 'claimed'];
const isDecisionWorkflow = (id: string) => id.startsWith('decision:');

/** Activities that move work when ownership changes. Signals are idempotent: a re-resolved owner is stable. */
export function createRoutingActivities(deps: RoutingDeps) {
  const { ledger, client } = deps;
  /**
   * An update waits on another workflow, which may need this very worker: if the worker shuts down,
   * the activity's cancellation must end the wait, or the worker never drains.
   */
  const cancellable = async <T>(run: () => Promise<T>) => {
    const context = Context.current();
    // Heartbeats while waiting, so a crashed worker's attempt is retried elsewhere within the heartbeat timeout.
    const beat = setInterval(() => context.heartbeat(), 1000);
    try {
      return await client.withAbortSignal(context.cancellationSignal, run);
    } finally {
      clearInterval(beat);
    }
  };
  const signal = (ids: string[], payload: { actor: string; reason: string; releaseClaimsOf?: string }) =>
    forEachLimited(ids, SIGNAL_CONCURRENCY, async (id) => {
      await client.workflow.getHandle(id).signal(ownershipChanged, payload).catch((err: Error) => {
        // A workflow that closed since the ledger listed it has nothing left to move.
        if (err.name !== 'WorkflowNotFoundError') throw err;
      });
    });

  /** Of the decision workflows among `ids`, those whose open (or deferred) item the person still owns. */
  const decisionsStillWith = async (ids: string[], person: string): Promise<string[]> => {
    const wanted = ids.filter(isDecisionWorkflow);
    if (wanted.length === 0) return [];
    const rows = await ledger.selectFrom('decisions').select('workflow_id').where('workflow_id', 'in', wanted).where('status', 'in', ['open', 'deferred']).where('owner', '=', person).execute();
    return [...new Set(rows.map((r) => r.workflow_id))].sort();
  };

  return {
    async rerouteCell(input: { capability: string; region: string; area: string; actor: string; reason: string }) {
      const rows = await ledger
        .selectFrom('exceptions')
        .select('id')
        .where('capability', '=', input.capability)
        .where('region', '=', input.region)
        .where('area', '=', input.area)
        .where('status', 'in', openStatuses)
        .execute();
      // Decision items of the cell follow it too (workflows/decision): the same signal, by workflow id.
      const decisions = (await openDecisionIds(ledger, { cells: [input] })).map((d) => d.workflowId);
      await signal([...rows.map((r) => r.id), ...decisions], { actor: input.actor, reason: input.reason });
      return rows.length + decisions.length;
    },

    async rerouteForPerson(input: { person: string; status: string; actor: string; reason: string }) {
      const owned = await ledger
        .selectFrom('exceptions')
        .select('id')
        .where('status', 'in', openStatuses)
        .where((eb) => eb.or([eb('owner', '=', input.person), eb('claimant', '=', input.person)]))
        .execute();
      // On return, the cells they own route to them again.
      const cells = await ledger
        .selectFrom('ownership_cells')
        .select(['capability', 'region', 'area'])
        .where((eb) => eb.or([eb('owner', '=', input.person), eb('backup', '=', input.person)]))
        .execute();
      const inCells = cells.length
        ? await ledger
            .selectFrom('exceptions')
            .select('id')
            .where('status', 'in', openStatuses)
            .where((eb) => eb.or(cells.map((c) => eb.and([eb('capability', '=', c.capability), eb('region', '=', c.region), eb('area', '=', c.area)]))))
            .execute()
        : [];
      const decisions = [...(await openDecisionIds(ledger, { person: input.person })), ...(await openDecisionIds(ledger, { cells }))].map((d) => ({ id: d.workflowId }));
      const ids = [...new Set([...owned, ...inCells, ...decisions].map((r) => r.id))];
      await signal(ids, { actor: input.actor, reason: input.reason, ...(input.status !== 'active' ? { releaseClaimsOf: input.person } : {}) });
      return ids.length;
    },

    /** A narrow update on the directory: only the status moves, never a rebuild from the (lagging) ledger copy. */
    async markPersonStatus(input: { person: string; status: 'departed' | 'on-leave' | 'active'; actor: string; reason: string }) {
      try {
        await cancellable(() =>
          client.workflow.getHandle(peopleDirectoryWorkflowId).executeUpdate(setPersonStatus, {
            args: [{ id: input.person, status: input.status, actor: input.actor, reason: input.reason }],
          }),
        );
      } catch (err) {
        // The directory refuses an unknown person for good; retrying cannot help.
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
          throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type ?? 'Invalid');
        }
        throw err;
      }
    },

    async capabilitiesInMatrix(): Promise<string[]> {
      const rows = await ledger.selectFrom('ownership_cells').select('capability').distinct().execute();
      return rows.map((r) => r.capability).sort();
    },

    /**
     * Applies the departure to one capability's matrix. With the changes come what the gap rule needs to
     * judge the cells after them: the status of everyone they name, and how deep each region's SLA policies reach.
     */
    async departFromMatrix(input: { capability: string; person: string; actor: string; reason: string }): Promise<DepartureOutcome & DepartureContext> {
      const cells = await ledger.selectFrom('ownership_cells').select(['backup']).where('capability', '=', input.capability).where('owner', '=', input.person).execute();
      const backups = [...new Set(cells.map((c) => c.backup).filter((b): b is string => Boolean(b)))];
      const people: PeopleSnapshot = {};
      if (backups.length) {
        for (const p of await ledger.selectFrom('people').select(['id', 'status']).where('id', 'in', backups).execute()) {
          people[p.id] = { status: p.status as 'active' };
        }
      }
      const outcome = await cancellable(() =>
        client.workflow.getHandle(ownershipWorkflowId(input.capability)).executeUpdate(applyDeparture, {
          args: [{ person: input.person, actor: input.actor, reason: input.reason, people }],
        }),
      );
      const named = [...new Set(outcome.changes.flatMap((c) => [c.after.owner, c.after.backup, ...c.after.escalation]).filter((id): id is string => Boolean(id)))];
      const statuses = named.length ? await ledger.selectFrom('people').select(['id', 'status']).where('id', 'in', named).execute() : [];
      return { ...outcome, statuses: Object.fromEntries(statuses.map((p) => [p.id, p.status])), chainDepths: await chainDepths(ledger, input.capability) };
    },

    /** Open exceptions with the person, and the decision items they own (by workflow id: the sweep signals and waits on those). */
    async openWorkOf(person: string): Promise<Array<{ id: string; owner: string | null; claimant: string | null }>> {
      const exceptions = await ledger
        .selectFrom('exceptions')
        .select(['id', 'owner', 'claimant'])
        .where('status', 'in', openStatuses)
        .where((eb) => eb.or([eb('owner', '=', person), eb('claimant', '=', person)]))
        .orderBy('id')
        .execute();
      const decisions = (await openDecisionIds(ledger, { person })).map((d) => ({ id: d.workflowId, owner: d.owner, claimant: null }));
      return [...exceptions, ...decisions];
    },

    /** Asks each exception to re-resolve its owner and give up the person's claim. */
    async signalMoves(input: { ids: string[]; person: string; actor: string; reason: string }) {
      await signal(input.ids, { actor: input.actor, reason: input.reason, releaseClaimsOf: input.person });
    },

    /** Which of these exceptions the ledger still shows with the person (sweeps from before 'bounded-sweep-wait'; newer ones use sweepProgress). */
    async workStillWith(input: { ids: string[]; person: string }): Promise<string[]> {
      if (input.ids.length === 0) return [];
      const rows = await ledger
        .selectFrom('exceptions')
        .select('id')
        .where('id', 'in', input.ids)
        .where('status', 'in', openStatuses)
        .where((eb) => eb.or([eb('owner', '=', input.person), eb('claimant', '=', input.person)]))
        .execute();
      return [...rows.map((r) => r.id), ...(await decisionsStillWith(input.ids, input.person))];
    },

    /**
     * Where a departure sweep stands: which of the exceptions it waits on are still open with the person,
     * and whether the person is back. With `checkWorkflows`, an exception whose workflow is gone or closed
     * is no longer waited on: the ledger names the person, but nothing will ever move it.
     */
    async sweepProgress(input: { ids: string[]; person: string; checkWorkflows: boolean }): Promise<{ pending: string[]; gone: string[]; personStatus: string | null }> {
      const person = await ledger.selectFrom('people').select('status').where('id', '=', input.person).executeTakeFirst();
      const pending = input.ids.length
        ? (
            await ledger
              .selectFrom('exceptions')
              .select('id')
              .where('id', 'in', input.ids)
              .where('status', 'in', openStatuses)
              .where((eb) => eb.or([eb('owner', '=', input.person), eb('claimant', '=', input.person)]))
              .orderBy('id')
              .execute()
          )
            .map((r) => r.id)
            .concat(await decisionsStillWith(input.ids, input.person))
        : [];
      const gone: string[] = [];
      if (input.checkWorkflows) {
        await forEachLimited(pending, SIGNAL_CONCURRENCY, async (id) => {
          const running = await client.workflow
            .getHandle(id)
            .describe()
            .then((d) => d.status.name === 'RUNNING')
            .catch((err: Error) => {
              if (err.name === 'WorkflowNotFoundError') return false;
              throw err;
            });
          if (!running) gone.push(id);
        });
      }
      return { pending: pending.filter((id) => !gone.includes(id)), gone: gone.sort(), personStatus: person?.status ?? null };
    },

    /** Reads where each exception went and records each move in the audit log (keyed, so a retry writes nothing twice). */
    async recordMoves(input: { work: Array<{ id: string; owner: string | null; claimant: string | null }>; person: string; actor: string; reason: string; sweepId: string }) {
      const ids = input.work.map((w) => w.id);
      const rows = ids.length ? await ledger.selectFrom('exceptions').select(['id', 'owner', 'claimant']).where('id', 'in', ids).execute() : [];
      const decisionIds = ids.filter(isDecisionWorkflow);
      const decisions = decisionIds.length
        ? await ledger.selectFrom('decisions').select(['workflow_id as id', 'owner']).where('workflow_id', 'in', decisionIds).where('status', 'in', ['open', 'deferred']).execute()
        : [];
      const now = new Map([...rows, ...decisions.map((d) => ({ ...d, claimant: null }))].map((r) => [r.id, r]));
      const moves = input.work.map((was) => {
        const after = now.get(was.id);
        return { exceptionId: was.id, fromOwner: was.owner, toOwner: after?.owner ?? null, claimReleased: was.claimant === input.person && after?.claimant !== input.person };
      });
      await appendAudit(
        ledger,
        moves.map((m) => ({
          idempotencyKey: `${input.sweepId}:${m.exceptionId}`,
          at: new Date().toISOString(),
          actor: input.actor,
          action: 'exception.moved',
          subjectType: 'person',
          subjectId: input.person,
          reason: input.reason,
          detail: m,
        })),
      );
      return moves;
    },
  };
}

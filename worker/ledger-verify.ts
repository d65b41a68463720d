import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { canonicalJson as canonical, eventDigest, noticeDigest } from '../domain/rules/digest.js';
import type { ExceptionState } from '../domain/rules/exception-model.js';
import { isClosed } from '../domain/rules/exception.js';
import type { LedgerDb } from '../ledger/db.js';
import { projectedColumns } from '../ledger/projection.js';
import { getException } from '../workflows/exception/messages.js';
import { decisionWorkflowsWithoutRows, verifyDecision } from './ledger-verify-decisions.js';

export interface Difference {
  id: string;
  kind: ExceptionDifferenceKind | DecisionDifferenceKind;
  detail: string;
}
type ExceptionDifferenceKind = 'workflow-missing' | 'workflow-ended' | 'state' | 'timeline' | 'inbox' | 'ledger-missing' | 'unreadable' | 'unanswered';
/** A decision item's differences (worker/ledger-verify-decisions.ts), kept apart from an exception's. */
export type DecisionDifferenceKind =
  | 'decision-workflow-missing'
  | 'decision-workflow-ended'
  | 'decision-state'
  | 'decision-timeline'
  | 'decision-inbox'
  | 'decision-ledger-missing'
  | 'decision-unreadable'
  | 'decision-unanswered';

export interface VerifyOptions {
  ledger: LedgerDb;
  client: Client;
  /** Checks at once. */
  concurrency?: number;
  /** An exception that differs is looked at again after this long before it is reported (writes in flight). */
  recheckAfterMs?: number;
  /** Skip the visibility scan for workflows the ledger lacks (it needs a visibility store that answers). */
  skipVisibility?: boolean;
  /** That scan looks only at workflows started at least this long ago (their first write may be in flight); 10 s unless told. */
  settledAfterMs?: number;
}

export interface VerifyReport {
  /** Exceptions checked. */
  checked: number;
  /** Decision items checked. */
  decisions: number;
  differences: Difference[];
}

/**
 * `ledger:verify`: for every exception, compare the ledger's state row, timeline and inbox with the
 * workflow (asked by query while it runs, read from its result once closed). The workflow keeps digests
 * of what it recorded, so the timeline and inbox are compared whole without the workflow holding them.
 * Then every exception workflow Temporal knows must have a ledger row. Decision items likewise
 * (worker/ledger-verify-decisions.ts): row, timeline (by the workflow's event digest) and inbox.
 */
export async function verifyLedger(options: VerifyOptions): Promise<VerifyReport> {
  const ids = (await options.ledger.selectFrom('exceptions').select('id').orderBy('id').execute()).map((r) => r.id);
  const decisionIds = (await options.ledger.selectFrom('decisions').select('id').orderBy('id').execute()).map((r) => r.id);
  // Exception ids start `exception:`, decision ids `decision:`: one map holds both.
  const decisionSet = new Set(decisionIds);
  const check = (id: string) => (decisionSet.has(id) ? verifyDecision(options, id) : verifyOne(options, id));
  const found = new Map<string, Difference[]>();
  await inParallel([...ids, ...decisionIds], options.concurrency ?? 8, async (id) => {
    const diffs = await check(id);
    if (diffs.length) found.set(id, diffs);
  });
  if (found.size && (options.recheckAfterMs ?? 2000) > 0) {
    await new Promise((r) => setTimeout(r, options.recheckAfterMs ?? 2000));
    await inParallel([...found.keys()], options.concurrency ?? 8, async (id) => {
      const diffs = await check(id);
      if (diffs.length) found.set(id, diffs);
      else found.delete(id);
    });
  }
  const differences = [...found.values()].flat();
  if (!options.skipVisibility) {
    const settledBefore = Date.now() - (options.settledAfterMs ?? 10_000);
    differences.push(...(await workflowsWithoutRows(options, new Set(ids), settledBefore)));
    differences.push(...(await decisionWorkflowsWithoutRows(options, new Set(decisionIds), settledBefore)));
  }
  return { checked: ids.length, decisions: decisionIds.length, differences };
}

export async function verifyOne(options: Pick<VerifyOptions, 'ledger' | 'client'>, id: string): Promise<Difference[]> {
  const row = await options.ledger.selectFrom('exceptions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return [];
  let ledgerState: ExceptionState;
  try {
    ledgerState = JSON.parse(row.state) as ExceptionState;
  } catch {
    return [{ id, kind: 'unreadable', detail: 'the state row is not JSON' }];
  }
  const truth = await workflowState(options.client, id, row.status);
  if ('difference' in truth) return [truth.difference];
  const wf = truth.state;
  const diffs: Difference[] = [];
  // The stored state and every column listings read must be what the workflow's state projects to.
  const columns = Object.entries(projectedColumns(wf))
    .filter(([column, value]) => row[column as keyof typeof row] !== value)
    .map(([column]) => column);
  const stateDiffers = canonical(ledgerState) !== canonical(wf);
  if (stateDiffers || columns.length) {
    const what = [...columns, ...(stateDiffers ? ['state'] : [])].join(', ');
    diffs.push({ id, kind: 'state', detail: `ledger seq ${row.seq} ${row.status} claimant ${row.claimant} owner ${row.owner}; workflow seq ${wf.seq} ${wf.status} claimant ${wf.claimant} owner ${wf.owner} (differs: ${what})` });
  }
  if (row.confirmed_seq > row.seq) diffs.push({ id, kind: 'state', detail: `confirmed through ${row.confirmed_seq} beyond seq ${row.seq}` });

  const events = await options.ledger.selectFrom('exception_events').select(['seq', 'at', 'actor', 'action', 'from_value', 'to_value', 'reason']).where('exception_id', '=', id).orderBy('seq').execute();
  const seqs = events.map((e) => e.seq);
  const contiguous = seqs.length === wf.seq && seqs.every((s, i) => s === i + 1);
  if (!contiguous) diffs.push({ id, kind: 'timeline', detail: `ledger has ${seqs.length} events (last ${seqs.at(-1) ?? 0}); history has ${wf.seq}` });
  if (typeof wf.digestFrom === 'number') {
    let digest = '';
    for (const e of events) if (e.seq > wf.digestFrom) digest = eventDigest(digest, { seq: e.seq, at: e.at, actor: e.actor, action: e.action, from: e.from_value, to: e.to_value, reason: e.reason });
    if (digest !== wf.eventDigest) diffs.push({ id, kind: 'timeline', detail: 'the events differ from what history recorded (digest)' });
    const inbox = await options.ledger.selectFrom('inbox').select(['seq', 'person', 'kind', 'level']).where('exception_id', '=', id).orderBy('seq').orderBy('id').execute();
    let notices = '';
    for (const n of inbox) if (n.seq > wf.digestFrom) notices = noticeDigest(notices, { seq: n.seq, person: n.person, kind: n.kind as 'assigned', level: n.level });
    if (notices !== wf.noticeDigest) diffs.push({ id, kind: 'inbox', detail: `the inbox (${inbox.length} entries) differs from the notifications history recorded (digest)` });
  }
  return diffs;
}

/** What a workflow answers for its state: asked by query while it runs, its result once completed. */
export type WorkflowAnswer<T> = { answer: 'state'; state: T } | { answer: 'unanswered'; detail: string } | { answer: 'ended'; status: string } | { answer: 'missing' };

/** The one way ledger:verify asks a workflow (exceptions here, decision items in ledger-verify-decisions.ts). */
export async function askWorkflow<T>(client: Client, workflowId: string, query: QueryDefinition<T>): Promise<WorkflowAnswer<T>> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const status = (await handle.describe()).status.name;
    if (status === 'RUNNING') {
      try {
        return { answer: 'state', state: await queryWithRetry(() => handle.query(query)) };
      } catch (err) {
        // A workflow whose task keeps failing cannot answer; that is a finding, not a reason to stop.
        return { answer: 'unanswered', detail: (err as Error).cause instanceof Error ? (err as Error).cause!.toString() : String(err) };
      }
    }
    if (status === 'COMPLETED') return { answer: 'state', state: (await handle.result()) as T };
    return { answer: 'ended', status: status.toLowerCase() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { answer: 'missing' };
    throw err;
  }
}

async function workflowState(client: Client, id: string, ledgerStatus: string): Promise<{ state: ExceptionState } | { difference: Difference }> {
  const asked = await askWorkflow(client, id, getException);
  switch (asked.answer) {
    case 'state':
      return { state: asked.state };
    case 'unanswered':
      return { difference: { id, kind: 'unanswered', detail: `the workflow did not answer: ${asked.detail}` } };
    case 'ended':
      return { difference: { id, kind: 'workflow-ended', detail: `the workflow is ${asked.status} while the ledger shows it ${ledgerStatus}` } };
    case 'missing':
      return { difference: { id, kind: 'workflow-missing', detail: `no workflow, while the ledger shows it ${ledgerStatus}${isClosed(ledgerStatus as 'open') ? ' (closed: retention may have removed it)' : ''}` } };
  }
}

/** A run that has just continued as new answers "workflow task is not scheduled yet" for a moment; a loaded server may miss a deadline. */
export async function queryWithRetry<T>(query: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await query();
    } catch (err) {
      const code = (err as { cause?: { code?: number } }).cause?.code;
      if (attempt >= attempts || (code !== 4 && code !== 9 && code !== 14)) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

async function workflowsWithoutRows(options: VerifyOptions, known: Set<string>, settled: number): Promise<Difference[]> {
  const diffs: Difference[] = [];
  for await (const wf of options.client.workflow.list({ query: `WorkflowType = 'exceptionWorkflow'` })) {
    if (known.has(wf.workflowId) || wf.startTime.getTime() > settled) continue;
    if (wf.status.name !== 'RUNNING' && wf.status.name !== 'COMPLETED') continue;
    known.add(wf.workflowId);
    diffs.push({ id: wf.workflowId, kind: 'ledger-missing', detail: `a ${wf.status.name.toLowerCase()} workflow with no ledger row` });
  }
  return diffs;
}

async function inParallel<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i]!);
  }));
}

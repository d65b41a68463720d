import type { Client } from '@temporalio/client';
import { decisionNotices, isSettled, type DecisionEvent, type DecisionState } from '../domain/rules/decision.js';
import { canonicalJson as canonical, decisionEventDigest } from '../domain/rules/digest.js';
import type { LedgerDb } from '../ledger/db.js';
import { decisionColumns } from '../ledger/decisions.js';
import { getDecision } from '../workflows/decision/messages.js';
import { askWorkflow, queryWithRetry, type Difference } from './ledger-verify.js';

type Options = { ledger: LedgerDb; client: Client };
type Row = NonNullable<Awaited<ReturnType<typeof readRow>>>;

const readRow = (ledger: LedgerDb, id: string) => ledger.selectFrom('decisions').selectAll().where('id', '=', id).executeTakeFirst();

/**
 * One decision item's row, timeline and inbox against its workflow (asked by query while it runs, read
 * from its result once closed). The workflow keeps a digest of its events (content included), so the
 * timeline is compared whole; the inbox is what the one notice rule (domain/rules/decision.ts
 * decisionNotices) makes of the verified events, over the events the digest covers.
 */
export async function verifyDecision(options: Options, id: string): Promise<Difference[]> {
  const row = await readRow(options.ledger, id);
  if (!row) return [];
  let ledgerState: DecisionState;
  try {
    ledgerState = JSON.parse(row.state) as DecisionState;
  } catch {
    return [{ id, kind: 'decision-unreadable', detail: 'the state row is not JSON' }];
  }
  const truth = await decisionTruth(options.client, row);
  if ('difference' in truth) return [truth.difference];
  const wf = truth.state;
  const diffs: Difference[] = [];
  const columns = Object.entries(decisionColumns(wf))
    .filter(([column, value]) => row[column as keyof Row] !== value)
    .map(([column]) => column);
  const stateDiffers = canonical(ledgerState) !== canonical(wf);
  if (stateDiffers || columns.length) {
    const what = [...new Set([...columns, ...(stateDiffers ? ['state'] : [])])].join(', ');
    diffs.push({ id, kind: 'decision-state', detail: `ledger seq ${row.seq} ${row.status} owner ${row.owner}; workflow seq ${wf.seq} ${wf.status} owner ${wf.owner} (differs: ${what})` });
  }

  const stored = await options.ledger.selectFrom('decision_events').select(['seq', 'at', 'actor', 'action', 'detail']).where('decision_id', '=', id).orderBy('seq').execute();
  const seqs = stored.map((e) => e.seq);
  if (seqs.length !== wf.seq || !seqs.every((s, i) => s === i + 1)) diffs.push({ id, kind: 'decision-timeline', detail: `ledger has ${seqs.length} events (last ${seqs.at(-1) ?? 0}); history has ${wf.seq}` });
  if (typeof wf.digestFrom !== 'number') return diffs;
  const from = wf.digestFrom;
  const events: DecisionEvent[] = [];
  let unreadable = false;
  for (const e of stored) {
    if (e.seq <= from) continue;
    try {
      events.push({ seq: e.seq, at: e.at, actor: e.actor, action: e.action as DecisionEvent['action'], detail: JSON.parse(e.detail) as Record<string, unknown> });
    } catch {
      unreadable = true;
    }
  }
  if (unreadable || events.reduce(decisionEventDigest, '') !== wf.eventDigest) {
    // The inbox is checked against verified events only: altered events would misstate whom it should reach.
    diffs.push({ id, kind: 'decision-timeline', detail: 'the events differ from what history recorded (digest)' });
    return diffs;
  }

  const key = (n: { seq: number; person: string; kind: string; level: number }) => `${n.seq}|${n.person}|${n.kind}|${n.level}`;
  const expected = decisionNotices(wf, events).map(key).sort();
  const inbox = await options.ledger.selectFrom('inbox').select(['seq', 'person', 'kind', 'level']).where('decision_id', '=', id).where('seq', '>', from).execute();
  const actual = inbox.map((n) => key({ ...n, level: Number(n.level) })).sort();
  if (expected.join('\n') !== actual.join('\n')) diffs.push({ id, kind: 'decision-inbox', detail: `the inbox has ${actual.length} notices of this item; its events call for ${expected.length}` });
  return diffs;
}

/** The workflow's answer for a row: its workflow's current item, or the closed run that held an earlier item of the same trigger × region. */
async function decisionTruth(client: Client, row: Row): Promise<{ state: DecisionState } | { difference: Difference }> {
  const id = row.id;
  const asked = await askWorkflow(client, row.workflow_id, getDecision);
  if (asked.answer === 'unanswered') return { difference: { id, kind: 'decision-unanswered', detail: `the workflow did not answer: ${asked.detail}` } };
  if (asked.answer === 'ended') return { difference: { id, kind: 'decision-workflow-ended', detail: `the workflow is ${asked.status} while the ledger shows it ${row.status}` } };
  if (asked.answer === 'missing') {
    return { difference: { id, kind: 'decision-workflow-missing', detail: `no workflow, while the ledger shows it ${row.status}${isSettled(row.status as 'open') ? ' (settled: retention may have removed it)' : ''}` } };
  }
  const latest = asked.state;
  if (latest.id === id) return { state: latest };
  // A later item of the same trigger × region runs now: this row's item is an earlier, closed run.
  for await (const run of client.workflow.list({ query: `WorkflowId = '${row.workflow_id.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Completed'` })) {
    const state = (await client.workflow.getHandle(row.workflow_id, run.runId).result()) as DecisionState;
    if (state.id === id) return { state };
  }
  return { difference: { id, kind: 'decision-workflow-missing', detail: `no closed run of ${row.workflow_id} holds this item while the ledger shows it ${row.status} (retention may have removed it)` } };
}

/** Every running or completed decision workflow (started before `settledBefore`) must have its item's row; a difference names the item. */
export async function decisionWorkflowsWithoutRows(options: Options, known: Set<string>, settledBefore: number): Promise<Difference[]> {
  const diffs: Difference[] = [];
  for await (const run of options.client.workflow.list({ query: `WorkflowType = 'decisionWorkflow'` })) {
    const status = run.status.name;
    if (run.startTime.getTime() > settledBefore || (status !== 'RUNNING' && status !== 'COMPLETED')) continue;
    // A trigger × region may have raised several items over time: ask this run which one it holds.
    const handle = options.client.workflow.getHandle(run.workflowId, status === 'RUNNING' ? undefined : run.runId);
    let itemId: string;
    try {
      itemId = (status === 'RUNNING' ? await queryWithRetry(() => handle.query(getDecision)) : ((await handle.result()) as DecisionState)).id;
    } catch (err) {
      diffs.push({ id: run.workflowId, kind: 'decision-unanswered', detail: `the workflow did not say which item it holds: ${String(err)}` });
      continue;
    }
    if (!known.has(itemId)) diffs.push({ id: itemId, kind: 'decision-ledger-missing', detail: `a ${status.toLowerCase()} decision workflow (${run.workflowId}) with no ledger row` });
  }
  return diffs;
}

import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { LedgerDb } from '../ledger/db.js';
import { firedEverywhere } from '../ledger/decision-evaluation.js';
import { recordDecision, type DecisionWrite } from '../ledger/decisions.js';
import type { MailRouting } from '../ledger/mail.js';
import type { DecisionInput } from '../workflows/decision/messages.js';
import { decisionWorkflow } from '../workflows/decision/workflow.js';

export interface EvaluationResult {
  regions: number;
  triggers: number;
  fired: number;
  /** Items started now, and fired triggers whose item for that region was still open (deferred included). */
  raised: string[];
  kept: string[];
}

/**
 * Starts one decision workflow per fired trigger × region. The workflow id is the trigger × region, so a
 * trigger that fires again while its item is open (or deferred) keeps that item: one open item each.
 */
export async function raiseDecisions(client: Client, taskQueue: string, inputs: DecisionInput[]): Promise<Pick<EvaluationResult, 'raised' | 'kept'>> {
  const raised: string[] = [];
  const kept: string[] = [];
  for (const input of inputs) {
    try {
      await client.workflow.start(decisionWorkflow, {
        workflowId: input.workflowId,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      raised.push(input.id);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      kept.push(input.workflowId);
    }
  }
  return { raised, kept };
}

/** Grades every trigger from the ledger and raises what fired (the Schedule's and the API's one path). */
export async function evaluateAndRaise(deps: { ledger: LedgerDb; client: Client }, taskQueue: string, only?: { capability?: string; region?: string }, now = Date.now()): Promise<EvaluationResult> {
  const { regions, triggers, fired } = await firedEverywhere(deps.ledger, now, only);
  const outcome = await raiseDecisions(deps.client, taskQueue, fired);
  await untilRecorded(deps.ledger, outcome.raised);
  return { regions, triggers, fired: fired.length, ...outcome };
}

/**
 * Waits (a few seconds at most) until the ledger holds each item just raised: the workflow writes its
 * first transition once it runs, and whoever asked should find every id it is given.
 */
async function untilRecorded(ledger: LedgerDb, ids: string[], timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ids.length > 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const rows = await ledger.selectFrom('decisions').select('id').where('id', 'in', ids).execute();
    if (rows.length === ids.length) return;
  }
}

export function createDecisionActivities(deps: { ledger: LedgerDb; client: Client; mail?: MailRouting }) {
  return {
    async recordDecision(input: DecisionWrite): Promise<void> {
      await recordDecision(deps.ledger, input, { mail: deps.mail });
    },
    async evaluateDecisionTriggers(input: { capability?: string }): Promise<EvaluationResult> {
      return evaluateAndRaise(deps, Context.current().info.taskQueue, input);
    },
  };
}

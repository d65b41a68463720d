import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../../domain/rules/exception.js';
import type { DecisionFacts, DecisionOutcome, DecisionReceipt, DecisionState } from '../../domain/rules/decision.js';
import type { Fired } from '../../domain/rules/decision-triggers.js';
import type { Stamped } from '../../domain/rules/stamp.js';

/** The decision item's contract: messages, IDs and the workflow's input, imported by the API and the worker. */
export { decisionId, decisionWorkflowId, workflowIdOf } from '../../domain/rules/decision.js';
export type { DecisionEvent, DecisionFacts, DecisionOutcome, DecisionReceipt, DecisionState, RecordedOutcome } from '../../domain/rules/decision.js';

/** What the workflow is started with; the evidence is written to the ledger with the first transition and never carried. */
export interface DecisionInput extends DecisionFacts {
  evidence?: DecisionEvidence;
  /** Set when continuing as new. */
  carried?: DecisionState;
}

/** The figures that fired the trigger, the exceptions behind them and the value events of its window (bounded by the evaluator). */
export interface DecisionEvidence extends Fired {
  exceptionIds: string[];
}

export const recordOutcome = defineUpdate<DecisionReceipt, [Stamped & { actor: Actor; outcome: DecisionOutcome }]>('recordOutcome');
/** The same signal, by name and payload, as the exception's: the departure sweep and matrix changes move decision items too. */
export interface OwnershipChangedSignal {
  actor: string;
  reason: string;
  releaseClaimsOf?: string;
}
export const ownershipChanged = defineSignal<[OwnershipChangedSignal]>('ownershipChanged');
export const getDecision = defineQuery<DecisionState>('getDecision');

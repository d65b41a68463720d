import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AttestationAnswer, AttestationRequest, AttestationState } from '../../domain/rules/attestation.js';

/** One workflow per campaign; the API names it `attestation:<capability>:<short id>`. */
export const attestationWorkflowId = (capability: string, shortId: string) => `attestation:${capability}:${shortId}`;

export interface AttestationInput {
  /** The API names it; a run the quarterly Schedule starts takes its workflow id. */
  campaignId?: string;
  capability: string;
  /** The regions asked, at most MAX_CAMPAIGN_REGIONS (domain/rules/attestation.ts); empty: every rolled-out region no running campaign covers. */
  regions: string[];
  startedBy: string;
  /** How long people have to answer, and how long before the end they are reminded. */
  withinMs: number;
  remindBeforeMs: number;
  /** Set when the campaign continued as new: where it stood. */
  carried?: CarriedCampaign;
  /** Continue as new after this many answers in one run, besides the server's suggestion (CONTINUE_AS_NEW_AFTER, tests). */
  continueAsNewAfter?: number;
}

/** What a campaign holds: bounded by MAX_CAMPAIGN_REQUESTS entries of a few ids each; answers' text lives in the ledger. */
export interface CarriedCampaign {
  startedAt: number;
  remindAt: number;
  deadline: number;
  reminded: boolean;
  version: number;
  requests: Record<string, { state: AttestationState }>;
  cancelled: { actor: string; reason: string } | null;
}

export interface AnswerRequest {
  region: string;
  area: string;
  /** The caller's token subject: only the person asked answers for a cell. */
  person: string;
  answer: AttestationAnswer;
  reason?: string | null;
}

export interface CancelRequest {
  actor: string;
  reason: string;
}

/** Updates answer receipts, never state (the ledger has the rest). */
export interface AttestationReceipt {
  campaignId: string;
  version: number;
  status: 'running' | 'completed' | 'cancelled';
}

export interface AttestationProgress {
  campaignId: string;
  status: 'opening' | 'running' | 'completed' | 'cancelled';
  version: number;
  deadline: number;
  counts: Record<AttestationState | 'asked', number>;
}

export const answerAttestation = defineUpdate<AttestationReceipt, [AnswerRequest]>('answerAttestation');
export const cancelAttestation = defineUpdate<AttestationReceipt, [CancelRequest]>('cancelAttestation');
/** Answers once the campaign has asked everyone (its ledger rows are written): the start's read-your-writes. */
export const awaitOpened = defineUpdate<AttestationProgress, []>('awaitOpened');
export const getAttestationProgress = defineQuery<AttestationProgress>('getAttestationProgress');

export type { AttestationRequest };

import { answerRefusal, MAX_CAMPAIGN_REQUESTS, requestKey, type AttestationRequest, type AttestationState } from '../../domain/rules/attestation.js';
import { conflict, refuse } from '../errors.js';
import type { AnswerRequest, AttestationInput, AttestationProgress, AttestationReceipt, CancelRequest, CarriedCampaign } from './messages.js';

/**
 * One attestation campaign's state and rules; the workflow file wires messages and timers to it.
 * It holds one small entry per request (at most MAX_CAMPAIGN_REQUESTS) and counts; who answered
 * what, and why, is in the ledger.
 */
export class AttestationCampaign {
  readonly campaignId: string;
  startedAt: number;
  remindAt: number;
  deadline: number;
  reminded: boolean;
  version: number;
  requests: Record<string, { state: AttestationState }>;
  cancelled: { actor: string; reason: string } | null;
  /** Set once the campaign decided to close: answers and cancels are refused from then on. */
  closing = false;
  closed: 'completed' | 'cancelled' | null = null;
  opened: boolean;
  /** Answers whose ledger write is still in flight; the campaign closes only after them. */
  writing = 0;

  constructor(input: AttestationInput, now: number, workflowId = input.campaignId ?? '') {
    this.campaignId = input.campaignId ?? workflowId;
    const carried = input.carried;
    this.startedAt = carried?.startedAt ?? now;
    this.deadline = carried?.deadline ?? now + input.withinMs;
    this.remindAt = carried?.remindAt ?? Math.max(now, this.deadline - input.remindBeforeMs);
    this.reminded = carried?.reminded ?? false;
    this.version = carried?.version ?? 0;
    this.requests = carried?.requests ?? {};
    this.cancelled = carried?.cancelled ?? null;
    this.opened = carried !== undefined;
  }

  open(requests: AttestationRequest[]): void {
    for (const r of requests.slice(0, MAX_CAMPAIGN_REQUESTS)) this.requests[requestKey(r)] = { state: 'pending' };
    this.opened = true;
  }

  get running(): boolean {
    return this.opened && !this.closing && this.closed === null;
  }

  validateAnswer(request: AnswerRequest): void {
    if (!this.opened) throw conflict('The campaign is still opening; try again in a moment.');
    refuse(answerRefusal({ open: this.running && this.cancelled === null, requests: this.requests }, request));
  }

  answer(request: AnswerRequest): AttestationReceipt {
    this.validateAnswer(request);
    this.requests[requestKey(request)] = { state: request.answer === 'confirm' ? 'confirmed' : 'declined' };
    this.version += 1;
    return this.receipt();
  }

  /** A campaign may be cancelled while it is still opening (a scheduled one shows in the ledger a moment before its workflow has its requests). */
  validateCancel(_request: CancelRequest): void {
    if (this.closing || this.closed !== null || this.cancelled) throw conflict(`The campaign is ${this.closed ?? 'closing'}: there is nothing to cancel.`);
  }

  cancel(request: CancelRequest): void {
    this.validateCancel(request);
    this.cancelled = { actor: request.actor, reason: request.reason };
    this.version += 1;
  }

  pending(): Array<{ region: string; area: string; person: string }> {
    return Object.entries(this.requests)
      .filter(([, r]) => r.state === 'pending')
      .map(([key]) => {
        const [region, area, person] = key.split('/') as [string, string, string];
        return { region, area, person };
      });
  }

  /** Everyone has answered, or a manager cancelled: nothing left to wait for. */
  settled(): boolean {
    return this.cancelled !== null || (this.opened && this.pending().length === 0);
  }

  /** The next time the campaign must act on its own: the reminder, then the deadline. */
  nextWake(): number {
    return this.reminded ? this.deadline : Math.min(this.remindAt, this.deadline);
  }

  receipt(): AttestationReceipt {
    return { campaignId: this.campaignId, version: this.version, status: this.closed ?? 'running' };
  }

  progress(): AttestationProgress {
    const counts = { asked: 0, pending: 0, confirmed: 0, declined: 0, expired: 0, cancelled: 0 };
    for (const r of Object.values(this.requests)) {
      counts.asked += 1;
      counts[r.state] += 1;
    }
    if (this.closed) {
      counts[this.closed === 'completed' ? 'expired' : 'cancelled'] += counts.pending;
      counts.pending = 0;
    }
    return { campaignId: this.campaignId, status: this.closed ?? (this.opened ? 'running' : 'opening'), version: this.version, deadline: this.deadline, counts };
  }

  carryOver(): CarriedCampaign {
    return { startedAt: this.startedAt, remindAt: this.remindAt, deadline: this.deadline, reminded: this.reminded, version: this.version, requests: this.requests, cancelled: this.cancelled };
  }
}

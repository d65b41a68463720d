import type { AttestationRequest } from '../domain/rules/attestation.js';
import { closeCampaign, openCampaign, recordAnswer, remindPending, type OpenCampaign, type RecordedAnswer } from '../ledger/attestation.js';
import type { LedgerDb } from '../ledger/db.js';

/**
 * The attestation campaign's ledger writes (ledger/attestation.ts). Each is idempotent: a campaign
 * opens once, an answer is keyed by the campaign's version, a campaign closes once.
 */
export function createAttestationActivities(deps: { ledger: LedgerDb }) {
  return {
    openAttestationCampaign: (input: OpenCampaign): Promise<AttestationRequest[]> => openCampaign(deps.ledger, input),
    recordAttestationAnswer: (input: RecordedAnswer): Promise<void> => recordAnswer(deps.ledger, input),
    remindAttestation: (input: { campaignId: string; at: number; pending: Array<{ region: string; area: string; person: string }> }): Promise<void> => remindPending(deps.ledger, input),
    closeAttestationCampaign: (input: { campaignId: string; status: 'completed' | 'cancelled'; at: number; actor: string; reason: string | null; version: number }): Promise<void> =>
      closeCampaign(deps.ledger, input),
  };
}

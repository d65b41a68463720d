/**
 * Ownership attestation: a campaign asks each owner and backup of a capability's cells to confirm them
 * within a deadline. These rules are shared by the campaign workflow (workflows/attestation/), the
 * ledger's projection and the gap audit.
 */

export type AttestationRole = 'owner' | 'backup';
export type AttestationAnswer = 'confirm' | 'decline';
/** pending: asked; expired: the deadline passed unanswered; cancelled: the campaign was cancelled first. */
export type AttestationState = 'pending' | 'confirmed' | 'declined' | 'expired' | 'cancelled';

export interface AttestationRequest {
  region: string;
  area: string;
  person: string;
  role: AttestationRole;
}

/** Regions one campaign may cover: with four areas and two people a cell, at most 400 requests. */
export const MAX_CAMPAIGN_REGIONS = 50;
export const MAX_CAMPAIGN_REQUESTS = MAX_CAMPAIGN_REGIONS * 8;

export const requestKey = (r: { region: string; area: string; person: string }) => `${r.region}/${r.area}/${r.person}`;

/** Why an answer cannot be taken, or null. The workflow's validator and the API give the same reason. */
export function answerRefusal(
  campaign: { open: boolean; requests: Readonly<Record<string, { state: AttestationState } | undefined>> },
  answer: { region: string; area: string; person: string; answer: AttestationAnswer; reason?: string | null },
): { type: 'Conflict' | 'Forbidden' | 'Invalid'; message: string; path?: string } | null {
  if (!campaign.open) return { type: 'Conflict', message: 'The campaign is closed: it no longer takes answers.' };
  const request = campaign.requests[requestKey(answer)];
  if (!request) return { type: 'Forbidden', message: `${answer.person} was not asked to attest ${answer.region}/${answer.area} in this campaign: only the cell's owner and backup answer for it.` };
  if (request.state !== 'pending') return { type: 'Conflict', message: `${answer.person} already answered for ${answer.region}/${answer.area} (${request.state}).` };
  if (answer.answer === 'decline' && !answer.reason?.trim()) return { type: 'Invalid', message: 'A decline needs a reason, so the manager knows what to change.', path: 'reason' };
  return null;
}

/** The last answer a person gave (or failed to give) for one cell, with what the cell names now. */
export interface AttestationOutcome {
  capability: string;
  region: string;
  area: string;
  person: string;
  role: AttestationRole;
  state: AttestationState;
  reason: string | null;
  /** When it was answered, or when the campaign closed on it. */
  at: string;
  campaignId: string;
}

/**
 * A cell is unattested for a person when the latest campaign that asked them about it ended without
 * their confirmation (they declined, or let the deadline pass) and the cell still names them in the
 * same role. It clears when they confirm in a later campaign, or when the cell is reassigned.
 * `outcomes` must hold only the latest outcome per cell and person.
 */
export function unattestedCells(
  outcomes: readonly AttestationOutcome[],
  currentCell: (capability: string, region: string, area: string) => { owner: string | null; backup: string | null } | undefined,
): Array<AttestationOutcome & { detail: string }> {
  const gaps: Array<AttestationOutcome & { detail: string }> = [];
  for (const o of outcomes) {
    if (o.state !== 'declined' && o.state !== 'expired') continue;
    const cell = currentCell(o.capability, o.region, o.area);
    if (!cell || cell[o.role] !== o.person) continue;
    const detail =
      o.state === 'declined'
        ? `${o.person} declined to attest as ${o.role} (${o.reason ?? 'no reason'}); reassign the cell or ask again`
        : `${o.person} did not confirm as ${o.role} before campaign ${o.campaignId} closed`;
    gaps.push({ ...o, detail });
  }
  return gaps;
}

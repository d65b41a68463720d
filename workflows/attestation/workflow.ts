import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { AttestationCampaign } from './campaign.js';
import { answerAttestation, awaitOpened, cancelAttestation, getAttestationProgress, type AttestationInput, type AttestationProgress } from './messages.js';

// Regular activities: each runs only once the workflow task that scheduled it is in history, so the
// ledger never shows an answer history does not hold (the ownership matrix writes the same way).
const acts = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/**
 * One ownership attestation campaign: asks each owner and backup of the capability's cells in its
 * regions to confirm them, reminds whoever has not answered before the deadline, and closes at the
 * deadline (what is unanswered expires), when everyone has answered, or when a manager cancels.
 * Timers are durable: a worker restart changes nothing.
 */
export async function attestationWorkflow(input: AttestationInput): Promise<AttestationProgress> {
  const campaign = new AttestationCampaign(input, Date.now(), wf.workflowInfo().workflowId);
  let answersThisRun = 0;
  const continueAsNewDue = () => wf.workflowInfo().continueAsNewSuggested || (input.continueAsNewAfter !== undefined && answersThisRun >= input.continueAsNewAfter);

  wf.setHandler(getAttestationProgress, () => campaign.progress());
  wf.setHandler(awaitOpened, async () => {
    await wf.condition(() => campaign.opened);
    return campaign.progress();
  });
  wf.setHandler(
    answerAttestation,
    async (request) => {
      const receipt = campaign.answer(request);
      answersThisRun += 1;
      campaign.writing += 1;
      try {
        await acts.recordAttestationAnswer({
          campaignId: campaign.campaignId,
          version: receipt.version,
          region: request.region,
          area: request.area,
          person: request.person,
          answer: request.answer,
          reason: request.reason?.trim() || null,
          at: Date.now(),
        });
      } finally {
        campaign.writing -= 1;
      }
      return receipt;
    },
    { validator: (request) => campaign.validateAnswer(request) },
  );
  wf.setHandler(
    cancelAttestation,
    async (request) => {
      campaign.cancel(request);
      // Answers once the ledger shows the campaign cancelled, so a read after it agrees.
      await wf.condition(() => campaign.closed !== null);
      return campaign.receipt();
    },
    { validator: (request) => campaign.validateCancel(request) },
  );

  if (!input.carried) {
    campaign.open(
      await acts.openAttestationCampaign({
        campaignId: campaign.campaignId,
        capability: input.capability,
        regions: input.regions,
        startedBy: input.startedBy,
        startedAt: campaign.startedAt,
        remindAt: campaign.remindAt,
        deadline: campaign.deadline,
      }),
    );
  }

  while (!campaign.settled() && Date.now() < campaign.deadline) {
    if (continueAsNewDue()) {
      // A cancel waits for the close, so it is not waited for here: it closes this run instead.
      await wf.condition(() => campaign.cancelled !== null || (campaign.writing === 0 && wf.allHandlersFinished()));
      if (campaign.cancelled === null) await wf.continueAsNew<typeof attestationWorkflow>({ ...input, campaignId: campaign.campaignId, carried: campaign.carryOver() });
      continue;
    }
    const woken = await wf.condition(() => campaign.settled() || continueAsNewDue(), Math.max(1, campaign.nextWake() - Date.now()));
    if (!woken && !campaign.reminded && Date.now() >= campaign.remindAt) {
      campaign.reminded = true;
      const pending = campaign.pending();
      if (pending.length) await acts.remindAttestation({ campaignId: campaign.campaignId, at: Date.now(), pending });
    }
  }

  campaign.closing = true;
  await wf.condition(() => campaign.writing === 0);
  const status = campaign.cancelled ? 'cancelled' : 'completed';
  campaign.version += 1;
  await acts.closeAttestationCampaign({
    campaignId: campaign.campaignId,
    status,
    at: Date.now(),
    actor: campaign.cancelled?.actor ?? 'system',
    reason: campaign.cancelled?.reason ?? (campaign.pending().length ? 'the deadline passed' : 'everyone answered'),
    version: campaign.version,
  });
  campaign.closed = status;
  await wf.condition(wf.allHandlersFinished);
  return campaign.progress();
}

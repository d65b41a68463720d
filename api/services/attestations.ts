import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { durationMs } from '../../domain/duration.js';
import { MAX_CAMPAIGN_REGIONS } from '../../domain/rules/attestation.js';
import { readCampaign, runningCampaignsOver } from '../../ledger/attestation.js';
import { listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { answerAttestation, attestationWorkflowId, awaitOpened, cancelAttestation, type AnswerRequest } from '../../workflows/attestation/messages.js';
import { attestationWorkflow } from '../../workflows/attestation/workflow.js';
import { AppError, fromTemporal } from '../errors.js';
import type { ScopeTarget } from '../scope.js';
import { requireCapability } from './catalog.js';
import type { TemporalDeps } from './temporal.js';

type Deps = TemporalDeps & { ledger: LedgerDb };

/** The regions a campaign would ask about: those named, or every region the capability is rolled out to. */
export async function campaignRegions(ledger: LedgerDb, capability: string, named: string[] | undefined): Promise<string[]> {
  return named?.length ? [...new Set(named)].sort() : (await listRollouts(ledger, capability)).map((r) => r.region).sort();
}

/** What a campaign route touches, for the token's scope: the campaign's regions, or (unknown campaign) every region of the capability. */
export async function campaignFootprint(ledger: LedgerDb, capability: string, campaignId: string): Promise<ScopeTarget[]> {
  const campaign = await readCampaign(ledger, campaignId);
  const regions = campaign && campaign.capability === capability ? campaign.regions : await campaignRegions(ledger, capability, undefined);
  return regions.map((region) => ({ capability, region, what: 'an attestation campaign' }));
}

export async function requireCampaign(ledger: LedgerDb, capability: string, campaignId: string) {
  const campaign = await readCampaign(ledger, campaignId);
  if (!campaign || campaign.capability !== capability) throw new AppError('NOT_FOUND', `No attestation campaign ${campaignId} for ${capability}.`);
  return campaign;
}

/**
 * Starts a campaign and answers once it has asked everyone (update-with-start waits for that), so the
 * ledger already shows every request. A region must be rolled out; one region is in one running
 * campaign at a time.
 */
export async function startCampaign(deps: Deps, input: { capability: string; regions?: string[]; within: string; remindBefore: string; actor: string }) {
  await requireCapability(deps.ledger, input.capability);
  const rolledOut = (await listRollouts(deps.ledger, input.capability)).map((r) => r.region);
  const regions = await campaignRegions(deps.ledger, input.capability, input.regions);
  const unknown = regions.filter((r) => !rolledOut.includes(r));
  if (unknown.length || regions.length === 0) {
    throw new AppError('UNPROCESSABLE', `${input.capability} is not rolled out to ${unknown.join(', ') || 'any region'}; rolled out: ${rolledOut.join(', ') || 'none'}.`, {
      errors: unknown.length ? unknown.map((r) => ({ path: `regions.${input.regions!.indexOf(r)}`, message: `not rolled out; known: ${rolledOut.join(', ')}` })) : [{ path: 'regions', message: 'no region to ask' }],
    });
  }
  if (regions.length > MAX_CAMPAIGN_REGIONS) throw new AppError('UNPROCESSABLE', `A campaign covers at most ${MAX_CAMPAIGN_REGIONS} regions.`, { errors: [{ path: 'regions', message: `at most ${MAX_CAMPAIGN_REGIONS}` }] });
  const withinMs = durationMs(input.within);
  const remindBeforeMs = durationMs(input.remindBefore);
  if (remindBeforeMs >= withinMs) {
    throw new AppError('UNPROCESSABLE', `The reminder (${input.remindBefore} before the end) must fall after the start: give it less than ${input.within}.`, {
      errors: [{ path: 'remindBefore', message: `must be shorter than within (${input.within})` }],
    });
  }
  const running = await runningCampaignsOver(deps.ledger, input.capability, regions);
  if (running.length) throw new AppError('CONFLICT', `A campaign is already running over these regions: ${running.join(', ')}; cancel it or wait for it to close.`, { running });
  const campaignId = attestationWorkflowId(input.capability, randomUUID().slice(0, 8));
  try {
    await deps.client.workflow.executeUpdateWithStart(awaitOpened, {
      args: [],
      startWorkflowOperation: new WithStartWorkflowOperation(attestationWorkflow, {
        workflowId: campaignId,
        taskQueue: deps.taskQueue,
        args: [{ campaignId, capability: input.capability, regions, startedBy: input.actor, withinMs, remindBeforeMs, continueAsNewAfter: deps.continueAsNewAfter }],
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
  } catch (err) {
    throw fromTemporal(err);
  }
  return requireCampaign(deps.ledger, input.capability, campaignId);
}

/** An owner's or backup's answer for one of their own cells; the workflow refuses anything else without writing history. */
export async function answerCampaign(deps: Deps, capability: string, campaignId: string, answer: AnswerRequest) {
  const campaign = await requireCampaign(deps.ledger, capability, campaignId);
  if (campaign.status !== 'running') throw new AppError('CONFLICT', `The campaign is ${campaign.status}: it no longer takes answers.`);
  try {
    await deps.client.workflow.getHandle(campaignId).executeUpdate(answerAttestation, { args: [answer] });
  } catch (err) {
    throw fromTemporal(err);
  }
  const after = await requireCampaign(deps.ledger, capability, campaignId);
  const request = after.requests.find((r) => r.region === answer.region && r.area === answer.area && r.person === answer.person)!;
  return { campaignId, capability, ...request, counts: after.counts };
}

export async function cancelCampaign(deps: Deps, capability: string, campaignId: string, actor: string, reason: string) {
  const campaign = await requireCampaign(deps.ledger, capability, campaignId);
  if (campaign.status !== 'running') throw new AppError('CONFLICT', `The campaign is ${campaign.status}: there is nothing to cancel.`);
  try {
    await deps.client.workflow.getHandle(campaignId).executeUpdate(cancelAttestation, { args: [{ actor, reason }] });
  } catch (err) {
    throw fromTemporal(err);
  }
  return requireCampaign(deps.ledger, capability, campaignId);
}

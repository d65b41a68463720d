import { randomUUID } from 'node:crypto';
import type { GapInputs } from '../../domain/gaps.js';
import { dayOf, rolloutPlanStatus, scorecard, stageChangeRefusal, type PlanRegion, type Scorecard, type ScorecardView, type StageChange } from '../../domain/readiness.js';
import { durationMs } from '../../domain/rules/duration.js';
import { appendAudit } from '../../ledger/audit.js';
import { getCapability, getEffectiveTemplate, listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { gapInputs } from '../../ledger/gaps.js';
import { readinessFacts } from '../../ledger/readiness.js';
import { getStage, putStage, type StoredStage } from '../../ledger/rollout-stages.js';
import { AppError } from '../errors.js';
import { iso } from '../views.js';

export interface ReadinessDeps {
  ledger: LedgerDb;
  gapThresholds: GapInputs['thresholds'];
}

/** A region's scorecard as the ledger has it now (or at `to`), with its stage. 404 when the region is not rolled out. */
export async function regionReadiness(deps: ReadinessDeps, capability: string, region: string, options: { to?: number; gapInputs?: GapInputs } = {}) {
  const template = await getEffectiveTemplate(deps.ledger, capability, region);
  if (!template) throw new AppError('NOT_FOUND', `${capability} is not rolled out to ${region}.`);
  const now = Date.now();
  const facts = await readinessFacts(deps.ledger, { capability, region, template, to: options.to ?? now, now, gapThresholds: deps.gapThresholds, gapInputs: options.gapInputs });
  const stage = await getStage(deps.ledger, capability, region);
  return { card: scorecard(facts, template.cutover), stage };
}

/** Every rolled-out region of a capability that `visible` keeps, reading the ownership matrix once. */
export async function capabilityReadiness(deps: ReadinessDeps, capability: string, visible: (region: string) => boolean) {
  const regions = (await listRollouts(deps.ledger, capability)).map((r) => r.region).filter(visible).sort();
  const inputs = await gapInputs(deps.ledger, deps.gapThresholds);
  return Promise.all(regions.map((region) => regionReadiness(deps, capability, region, { gapInputs: inputs })));
}

export function scorecardView(card: Scorecard, stage: StoredStage): ScorecardView {
  return {
    capability: card.capability,
    region: card.region,
    stage: stage.stage,
    window: { from: iso(card.window.from)!, to: iso(card.window.to)!, days: card.window.days },
    ready: card.ready,
    held: card.held,
    failing: card.failing,
    criteria: card.criteria,
    value: card.value.map((v) => ({ ...v, weeks: v.weeks.map((w) => ({ ...w, from: iso(w.from)! })) })),
    flaggedAt: iso(stage.flaggedAt),
  };
}

/**
 * Moves a region to another stage through the gate (domain/rules/readiness.ts). The change, the
 * scorecard it was judged on and the actor go into the audit log; an override says so.
 */
export async function changeStage(deps: ReadinessDeps, actor: string, capability: string, region: string, change: StageChange) {
  const { card, stage } = await regionReadiness(deps, capability, region);
  const refusal = stageChangeRefusal({ from: stage.stage, to: change.stage, override: change.override, reason: change.reason }, card);
  if (refusal?.type === 'Conflict') {
    throw new AppError('CONFLICT', refusal.message, {
      failing: refusal.failing!.map((c) => ({ id: c.id, label: c.label, measured: c.measured, threshold: c.threshold, why: c.why, evidence: c.evidence })),
    });
  }
  if (refusal) throw new AppError('UNPROCESSABLE', refusal.message, { errors: [{ path: refusal.path ?? '(root)', message: refusal.message }] });
  if (stage.stage === change.stage) return { card, stage, changed: false };

  const at = Date.now();
  const overridden = change.override && !card.ready;
  await deps.ledger.transaction().execute(async (tx) => {
    await putStage(tx, { capability, region, stage: change.stage, at, actor, reason: change.reason ?? null });
    await appendAudit(tx, [
      {
        idempotencyKey: `stage:${capability}:${region}:${randomUUID()}`,
        at: new Date(at).toISOString(),
        actor,
        action: overridden ? 'rollout-stage-overridden' : 'rollout-stage-changed',
        subjectType: 'rollout',
        subjectId: `${capability}:${region}`,
        reason: change.reason ?? null,
        detail: { from: stage.stage, to: change.stage, override: overridden, ready: card.ready, failing: card.failing, day: dayOf(at), scorecard: card },
      },
    ]);
  });
  return { card, stage: await getStage(deps.ledger, capability, region), changed: true };
}

/**
 * The template's rollout plan, each region with what it waits for (domain/rules/readiness.ts), as a
 * reader who sees only the regions `visible` keeps may see it; without a plan, the rolled-out regions
 * in alphabetical order, none waiting on another.
 */
export async function rolloutPlan(deps: ReadinessDeps, capability: string, visible: (region: string) => boolean = () => true) {
  const stored = await getCapability(deps.ledger, capability);
  if (!stored) throw new AppError('NOT_FOUND', `No capability ${capability}.`);
  const rolledOut = (await listRollouts(deps.ledger, capability)).map((r) => r.region);
  const plan = stored.template.rolloutPlan ?? rolledOut.sort().map((region) => ({ region, after: [] }));
  const inputs = await gapInputs(deps.ledger, deps.gapThresholds);
  const regions: Record<string, PlanRegion> = {};
  for (const region of rolledOut) {
    const { card, stage } = await regionReadiness(deps, capability, region, { gapInputs: inputs });
    regions[region] = { stage: stage.stage, since: stage.since, ready: card.ready, failing: card.failing };
  }
  const planned = new Set(plan.map((p) => p.region));
  // The steps and regions the reader may not see are left out; what they may see of them is the rule's.
  const steps = rolloutPlanStatus(plan, regions, Date.now(), durationMs, visible).filter((s) => visible(s.region));
  return { steps, unplanned: rolledOut.filter((r) => !planned.has(r) && visible(r)).sort() };
}

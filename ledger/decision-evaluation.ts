import type { CapabilityTemplate, DecisionTrigger } from '../domain/capability.js';
import { decisionId, decisionWorkflowId } from '../domain/rules/decision.js';
import { evaluateTriggers, quietAfterSettled, type TriggerSpec } from '../domain/rules/decision-triggers.js';
import { durationMs } from '../domain/rules/duration.js';
import { getEffectiveTemplate, listCapabilities, listRollouts } from './catalog.js';
import type { LedgerDb } from './db.js';
import { evidenceExceptionIds, factsForTriggers } from './decision-facts.js';
import type { DecisionEvidence, DecisionInput } from '../workflows/decision/messages.js';

/** A template's triggers as the pure rule reads them (durations in milliseconds). */
export function triggerSpecs(template: Pick<CapabilityTemplate, 'decisionTriggers'>): Array<TriggerSpec & { trigger: DecisionTrigger }> {
  return Object.entries(template.decisionTriggers ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, t]) => ({
      id,
      area: t.area,
      kind: t.kind,
      threshold: t.threshold,
      windowMs: durationMs(t.window),
      ...(t.exceptionType ? { exceptionType: t.exceptionType } : {}),
      trigger: t,
    }));
}

/** Every trigger of one region graded now: the decision inputs (evidence included) of those that fired. */
export async function firedInRegion(db: LedgerDb, capability: string, region: string, template: Pick<CapabilityTemplate, 'decisionTriggers'>, now: number): Promise<DecisionInput[]> {
  const closed = await db
    .selectFrom('decisions')
    .select(['trigger_id', (eb) => eb.fn.max<number>('closed_at').as('closed')])
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('closed_at', 'is not', null)
    .groupBy('trigger_id')
    .execute();
  const lastClosed = new Map(closed.map((r) => [r.trigger_id, Number(r.closed)]));
  const specs = triggerSpecs(template).filter((s) => !quietAfterSettled(lastClosed.get(s.id) ?? null, s.windowMs, now));
  if (specs.length === 0) return [];
  const facts = await factsForTriggers(db, capability, region, specs, now);
  const fired = evaluateTriggers(specs, facts.region, facts.window);
  const inputs: DecisionInput[] = [];
  for (const f of fired) {
    const spec = specs.find((s) => s.id === f.triggerId)!;
    const workflowId = decisionWorkflowId(capability, region, f.triggerId);
    const evidence: DecisionEvidence = { ...f, exceptionIds: await evidenceExceptionIds(db, capability, region, f.links) };
    inputs.push({
      id: decisionId(workflowId, now),
      workflowId,
      capability,
      region,
      area: f.area,
      triggerId: f.triggerId,
      kind: f.kind,
      summary: f.summary,
      raisedAt: now,
      dueInMs: durationMs(spec.trigger.dueIn),
      escalation: spec.trigger.escalation.map((s) => ({ afterMs: durationMs(s.after), notify: s.notify })),
      evidence,
    });
  }
  return inputs;
}

/** Every rolled-out region of every capability (or one capability), graded now. */
export async function firedEverywhere(db: LedgerDb, now: number, only?: { capability?: string; region?: string }): Promise<{ regions: number; triggers: number; fired: DecisionInput[] }> {
  const capabilities = only?.capability ? [only.capability] : (await listCapabilities(db)).map((c) => c.id);
  let regions = 0;
  let triggers = 0;
  const fired: DecisionInput[] = [];
  for (const capability of capabilities) {
    for (const rollout of await listRollouts(db, capability)) {
      if (only?.region && rollout.region !== only.region) continue;
      const template = await getEffectiveTemplate(db, capability, rollout.region);
      if (!template) continue;
      regions += 1;
      triggers += Object.keys(template.decisionTriggers ?? {}).length;
      fired.push(...(await firedInRegion(db, capability, rollout.region, template, now)));
    }
  }
  return { regions, triggers, fired };
}

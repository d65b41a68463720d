import type { CapabilityTemplate, Severity } from './capability.js';
import { ExceptionIntake } from './exception.js';
import { checkIntake } from './intake.js';
import { durationMs } from './rules/duration.js';
import { escalationTarget, type Route } from './rules/exception.js';
import type { Scenario } from './template-model.js';

/**
 * A rehearsal runs a template's scenarios against one region without raising anything: each intake
 * goes through the intake's rules (the envelope schema and checkIntake), an accepted one through the
 * routing rule's answer for its area (`routes`, from ledger/route.ts readRoute → domain/rules/route.ts)
 * and the workflow's escalation rule (domain/rules/exception.ts escalationTarget) step by step.
 */

export interface ScenarioResult {
  id: string;
  description: string;
  pass: boolean;
  /** Why it failed; empty when it passed. */
  reasons: string[];
  /** What happened, for the reader. */
  outcome: 'accepted' | 'quarantined';
  quarantinedFields: string[];
  route: { area: string; owner: string | null; to: Route['ownerSource'] } | null;
  escalation: Array<{ step: number; notify: string; after: string; target: string | null }>;
}

export interface Rehearsal {
  capability: string;
  region: string;
  templateVersion: number;
  at: string;
  total: number;
  failed: number;
  results: ScenarioResult[];
}

const PLACEHOLDER = /^\{\{now(?:([+-])(\w+))?\}\}$/;

/** `{{now}}`, `{{now-8d}}`, `{{now+1h}}` in payload strings: the time the rehearsal runs, moved by a duration. */
export function resolvePlaceholders(payload: Record<string, unknown>, now: number): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(payload).map(([key, value]) => {
      const match = typeof value === 'string' ? PLACEHOLDER.exec(value) : null;
      if (!match) return [key, value];
      const shift = match[2] ? durationMs(match[2]) * (match[1] === '-' ? -1 : 1) : 0;
      return [key, new Date(now + shift).toISOString()];
    }),
  );
}

/** The person a role of the route names: what an expectation `owner`, `backup`, `escalation[N]`… means in this region. */
function holder(role: string, route: Route): string | null {
  if (role === 'owner') return route.owner;
  if (role === 'backup') return route.backup;
  if (role === 'manager-of-owner') return route.managerOfOwner;
  if (role === 'nobody') return null;
  return route.escalation[Number(role.slice('escalation['.length, -1))] ?? null;
}

export function rehearseScenario(template: CapabilityTemplate, region: string, scenario: Scenario, routes: (area: string) => Route, now: number): ScenarioResult {
  const reasons: string[] = [];
  const result: ScenarioResult = { id: scenario.id, description: scenario.description, pass: false, reasons, outcome: 'accepted', quarantinedFields: [], route: null, escalation: [] };
  const { intake, expect } = scenario;
  const envelope = ExceptionIntake.safeParse({
    capability: template.id,
    region,
    type: intake.type,
    sourceKey: `rehearsal-${scenario.id}`,
    title: intake.title ?? scenario.description.slice(0, 300),
    ...(intake.severity !== undefined ? { severity: intake.severity } : {}),
    ...(intake.confidence !== undefined ? { confidence: intake.confidence } : {}),
    payload: resolvePlaceholders(intake.payload, now),
  });
  const checked = envelope.success
    ? checkIntake(template, envelope.data, new Date(now))
    : { ok: false as const, errors: envelope.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) };

  if (!checked.ok) {
    result.outcome = 'quarantined';
    result.quarantinedFields = [...new Set(checked.errors.map((e) => e.path))];
    if (expect.outcome === 'accepted') reasons.push(`quarantined, expected accepted: ${checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    const missing = (expect.quarantinedFields ?? []).filter((field) => !result.quarantinedFields.includes(field));
    if (missing.length) reasons.push(`quarantined for ${result.quarantinedFields.join(', ')}, not for ${missing.join(', ')}`);
  } else {
    const route = routes(checked.type.area);
    result.route = { area: checked.type.area, owner: route.owner, to: route.ownerSource };
    if (expect.outcome === 'quarantined') reasons.push(`accepted, expected quarantined${expect.quarantinedFields?.length ? ` for ${expect.quarantinedFields.join(', ')}` : ''}`);
    if (expect.route && expect.route.area !== checked.type.area) reasons.push(`routes to ${checked.type.area}, expected ${expect.route.area}`);
    if (expect.route && expect.route.to !== route.ownerSource) {
      reasons.push(`goes to the ${route.ownerSource === 'unowned' ? 'queue unowned' : `${route.ownerSource} (${route.owner})`} of ${region}/${checked.type.area}, expected its ${expect.route.to}`);
    }
    const policy = template.slaPolicies[checked.severity as Severity];
    result.escalation = policy.escalation.map((step, i) => ({ step: i + 1, notify: step.notify, after: step.after, target: escalationTarget(step, route) }));
    if (expect.escalation) {
      if (expect.escalation.length !== policy.escalation.length) {
        reasons.push(`the ${checked.severity} policy has ${policy.escalation.length} escalation steps, the scenario expects ${expect.escalation.length}`);
      }
      expect.escalation.forEach((role, i) => {
        const step = result.escalation[i];
        if (!step) return;
        const expected = holder(role, route);
        const reached = step.target;
        if (role !== 'nobody' && expected === null) {
          reasons.push(`step ${step.step} (${step.notify} after ${step.after}) expects the ${role} of ${region}/${checked.type.area}, but the cell has no active ${role}; it reaches ${reached ?? 'nobody'}`);
        } else if (reached !== expected) {
          reasons.push(`step ${step.step} (${step.notify} after ${step.after}) reaches ${reached ?? 'nobody'}, expected ${role === 'nobody' ? 'nobody' : `the ${role} (${expected})`}`);
        }
      });
    }
  }
  result.pass = reasons.length === 0;
  return result;
}

/** Runs every scenario of a region's effective template. */
export function rehearse(template: CapabilityTemplate, region: string, routes: (area: string) => Route, now: number): Rehearsal {
  const results = (template.scenarios ?? []).map((scenario) => rehearseScenario(template, region, scenario, routes, now));
  return {
    capability: template.id,
    region,
    templateVersion: template.version,
    at: new Date(now).toISOString(),
    total: results.length,
    failed: results.filter((r) => !r.pass).length,
    results,
  };
}

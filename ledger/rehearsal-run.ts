import type { CapabilityTemplate } from '../domain/capability.js';
import type { Route } from '../domain/exception.js';
import { rehearse, type Rehearsal } from '../domain/rehearsal.js';
import type { LedgerDb } from './db.js';
import { readRoute } from './route.js';

/**
 * Runs a template's scenarios against a region as its matrix and directory stand in the ledger now
 * (domain/rehearsal.ts): each area's route comes from the routing rule intake uses (readRoute).
 */
export async function dryRunRehearsal(db: LedgerDb, template: CapabilityTemplate, region: string, now = Date.now()): Promise<Rehearsal> {
  const areaOf = new Map(template.exceptionTypes.map((t) => [t.id, t.area]));
  const areas = [...new Set((template.scenarios ?? []).map((s) => areaOf.get(s.intake.type)).filter((a): a is NonNullable<typeof a> => a !== undefined))];
  const routes = new Map<string, Route>();
  for (const area of areas) routes.set(area, (await readRoute(db, template.id, region, area, null)).route);
  return rehearse(template, region, (area) => routes.get(area)!, now);
}

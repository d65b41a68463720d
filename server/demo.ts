import type { Logger } from 'pino';
import { putRollout } from '../api/services/catalog.js';
import { readDeparture, startDeparture } from '../api/services/departures.js';
import { raiseException } from '../api/services/exceptions.js';
import { assignOwnership } from '../api/services/ownership.js';
import { savePerson } from '../api/services/people.js';
import { rehearseNow } from '../api/services/template-versions.js';
import type { TemporalDeps } from '../api/services/temporal.js';
import type { ResponsibilityArea } from '../domain/capability.js';
import type { PersonInput } from '../domain/people.js';
import type { LedgerDb } from '../ledger/db.js';
import { seedDemoDecisions } from './demo-decisions.js';
import { demoIntakes } from './demo-exceptions.js';
import { HAND_OVER_PLAN, seedReadinessHistory } from './demo-readiness.js';

const DEMO_ACTOR = 'system:demo';

/** Managers first: the directory refuses a person whose manager it does not know. */
export const demoPeople: Array<[string, PersonInput]> = [
  ['grace', { name: 'Grace Kim', email: 'grace.kim@example.com', managerId: null, status: 'active', roles: ['manager', 'owner'] }],
  ['raj', { name: 'Raj Patel', email: 'raj.patel@example.com', managerId: 'grace', status: 'active', roles: ['manager', 'owner'] }],
  // The pilot team: they built PO Assist and own most cells today.
  ['priya', { name: 'Priya Raman', email: 'priya.raman@example.com', managerId: 'raj', status: 'active', roles: ['owner', 'operator'] }],
  ['marco', { name: 'Marco Bianchi', email: 'marco.bianchi@example.com', managerId: 'raj', status: 'active', roles: ['owner', 'operator'] }],
  ['jordan', { name: 'Jordan Lee', email: 'jordan.lee@example.com', managerId: 'raj', status: 'active', roles: ['owner', 'operator'] }],
  ['sofia', { name: 'Sofia Alvarez', email: 'sofia.alvarez@example.com', managerId: 'raj', status: 'active', roles: ['owner'] }],
  // The run team: order management in each region, the backups and escalation chain.
  ['dana', { name: 'Dana Whitfield', email: 'dana.whitfield@example.com', managerId: 'grace', status: 'active', roles: ['owner', 'operator'] }],
  ['li', { name: 'Li Wei', email: 'li.wei@example.com', managerId: 'dana', status: 'active', roles: ['operator'] }],
  ['hannah', { name: 'Hannah Schulz', email: 'hannah.schulz@example.com', managerId: 'grace', status: 'active', roles: ['owner', 'operator'] }],
  ['tomas', { name: 'Tomás Novak', email: 'tomas.novak@example.com', managerId: 'hannah', status: 'active', roles: ['operator'] }],
  ['amara', { name: 'Amara Okafor', email: 'amara.okafor@example.com', managerId: 'raj', status: 'active', roles: ['owner', 'operator'] }],
];

export const demoRollouts: Record<string, Record<string, unknown>> = {
  NA: { timeZone: 'America/Chicago' },
  EMEA: {
    timeZone: 'Europe/Berlin',
    businessCalendar: { workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { start: '08:00', end: '18:00' } },
    slaPolicies: { critical: { claimWithin: '20m' } },
  },
};

type Cell = { owner: string; backup: string | null; escalation: string[] };
export const demoCells: Record<string, Record<ResponsibilityArea, Cell>> = {
  NA: {
    'business-rules': { owner: 'jordan', backup: 'dana', escalation: ['dana', 'grace'] },
    'model-retraining': { owner: 'marco', backup: 'amara', escalation: ['amara', 'raj'] },
    'exception-queue': { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'] },
    'adoption-training': { owner: 'sofia', backup: 'dana', escalation: ['grace', 'raj'] },
  },
  EMEA: {
    'business-rules': { owner: 'jordan', backup: 'hannah', escalation: ['hannah', 'grace'] },
    'model-retraining': { owner: 'marco', backup: 'amara', escalation: ['amara', 'raj'] },
    'exception-queue': { owner: 'hannah', backup: 'tomas', escalation: ['hannah', 'grace'] },
    'adoption-training': { owner: 'sofia', backup: 'hannah', escalation: ['grace'] },
  },
};

/** Part of the pilot team has moved on: the sweep hands their cells to backups and leaves gaps for a manager to fill. */
export const demoLeavers = ['marco', 'sofia'];

/** NA's manager has already filled the gaps the leavers left there; EMEA's are still open. */
export const demoRefills: Record<string, Cell> = {
  // Not raj first in the chain: he is amara's backup and manager already, and a chain that reaches one person at every step is no chain (chain lint).
  'model-retraining': { owner: 'amara', backup: 'raj', escalation: ['grace', 'raj'] },
  'adoption-training': { owner: 'dana', backup: 'li', escalation: ['grace', 'raj'] },
};

/**
 * Loads po-assist in NA and EMEA with a pilot team, a run team and managers, raises open exceptions,
 * then lets part of the pilot team leave, through the same paths as the API; NA's gaps are filled
 * again, and 30 days of reported decisions and value events leave NA ready (and promoted) and EMEA not.
 */
export async function seedDemo(deps: TemporalDeps & { ledger: LedgerDb }, logger: Logger): Promise<void> {
  for (const [id, person] of demoPeople) await savePerson(deps, id, person, DEMO_ACTOR, 'demo data');
  for (const [region, overlay] of Object.entries(demoRollouts)) {
    await putRollout(deps.ledger, { capabilityId: 'po-assist', region, overlay, actor: DEMO_ACTOR });
  }
  for (const [region, cells] of Object.entries(demoCells)) {
    for (const [area, cell] of Object.entries(cells)) {
      await assignOwnership(deps, {
        capability: 'po-assist',
        region,
        area,
        assignment: { ...cell, reason: HAND_OVER_PLAN },
        actor: DEMO_ACTOR,
      });
    }
  }
  const intake = { sub: 'erp', roles: ['integration' as const] };
  for (const body of demoIntakes()) await raiseException(deps, intake, body);
  for (const person of demoLeavers) {
    await startDeparture(deps, { person, actor: DEMO_ACTOR, reason: 'moved on after the pilot (demo data)' });
  }
  // The refills follow the sweeps' hand-over of the leavers' cells (not the wait for their work to move).
  await Promise.all(demoLeavers.map((person) => matrixHandedOver(deps, person)));
  for (const [area, cell] of Object.entries(demoRefills)) {
    await assignOwnership(deps, { capability: 'po-assist', region: 'NA', area, assignment: { ...cell, reason: 'filled after the pilot team left (demo data)' }, actor: 'grace' });
  }
  // Each region was rehearsed when it was rolled out, before it had a matrix: rehearse it as it stands now.
  for (const region of Object.keys(demoRollouts)) await rehearseNow(deps.ledger, 'po-assist', region);
  await seedReadinessHistory(deps.ledger);
  // Last, so the readiness history above is unchanged: the work that raises one open decision per area.
  const decisions = await seedDemoDecisions(deps);
  logger.info(
    { people: demoPeople.length, regions: Object.keys(demoRollouts), exceptions: demoIntakes().length, departed: demoLeavers, decisions: decisions.length },
    'demo data loaded: po-assist in NA (in production) and EMEA (a pilot, held back), with 30 days of readiness history',
  );
}

async function matrixHandedOver(deps: TemporalDeps, person: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const { result } = await readDeparture(deps, person);
    if (result.stage !== 'marking' && result.stage !== 'matrix') return;
  }
  throw new Error(`the departure sweep of ${person} did not hand over their cells within a minute`);
}

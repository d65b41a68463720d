import { ResponsibilityArea } from './capability.js';

export const GapKind = [
  'unowned',
  'owner-inactive',
  'no-backup',
  'backup-inactive',
  'single-point-of-failure',
  'overloaded',
  'empty-escalation-step',
  'orphaned-exception',
] as const;
export type GapKind = (typeof GapKind)[number];

export interface GapFinding {
  capability: string | null;
  region: string | null;
  area: string | null;
  kind: GapKind;
  detail: string;
  /** When the gap opened, from the change log. */
  since: string | null;
  person?: string;
  exceptionId?: string;
}

export interface GapInputs {
  /** Rolled-out regions, with the highest escalation[i] any SLA policy of the region names. */
  rollouts: Array<{ capability: string; region: string; maxChainIndex: number; since: string }>;
  cells: Array<{ capability: string; region: string; area: string; owner: string | null; backup: string | null; escalation: string[]; since: string }>;
  people: Record<string, { status: string; since: string }>;
  openExceptions: Array<{ id: string; capability: string; region: string; area: string; owner: string | null; createdAt: string }>;
  thresholds: { maxCellsPerPerson: number; maxOpenPerOwner: number };
}

const later = (...times: Array<string | null | undefined>): string | null =>
  times.filter((t): t is string => Boolean(t)).sort().at(-1) ?? null;

/** Every ownership gap the data implies, as pure rules over the ledger's projections. */
export function findGaps(input: GapInputs): GapFinding[] {
  const findings: GapFinding[] = [];
  const status = (id: string) => input.people[id]?.status ?? 'unknown';
  const statusSince = (id: string) => input.people[id]?.since;
  const cellsByKey = new Map(input.cells.map((c) => [`${c.capability}/${c.region}/${c.area}`, c]));
  const ownedCells = new Map<string, typeof input.cells>();

  for (const rollout of input.rollouts) {
    for (const area of ResponsibilityArea.options) {
      const cell = cellsByKey.get(`${rollout.capability}/${rollout.region}/${area}`);
      const at = { capability: rollout.capability, region: rollout.region, area };
      if (!cell || cell.owner === null) {
        findings.push({ ...at, kind: 'unowned', detail: 'no named owner', since: cell?.since ?? rollout.since });
        continue;
      }
      ownedCells.set(cell.owner, [...(ownedCells.get(cell.owner) ?? []), cell]);
      if (status(cell.owner) !== 'active') {
        findings.push({ ...at, kind: 'owner-inactive', detail: `owner ${cell.owner} is ${status(cell.owner)}`, since: later(cell.since, statusSince(cell.owner)), person: cell.owner });
      }
      if (cell.backup === null) findings.push({ ...at, kind: 'no-backup', detail: `${cell.owner} has no backup`, since: cell.since });
      else if (status(cell.backup) !== 'active') {
        findings.push({ ...at, kind: 'backup-inactive', detail: `backup ${cell.backup} is ${status(cell.backup)}`, since: later(cell.since, statusSince(cell.backup)), person: cell.backup });
      }
      const reachable = cell.escalation.filter((id) => status(id) === 'active');
      for (let i = reachable.length; i <= rollout.maxChainIndex; i++) {
        findings.push({ ...at, kind: 'empty-escalation-step', detail: `escalation[${i}] is named by the SLA policy but nobody active fills it`, since: cell.since });
      }
      if (cell.escalation.includes(cell.owner) || (cell.backup !== null && cell.escalation.length > 0 && cell.escalation.every((id) => id === cell.backup || id === cell.owner))) {
        findings.push({ ...at, kind: 'single-point-of-failure', detail: `${cell.owner} escalates to themselves or to the same one person`, since: cell.since, person: cell.owner });
      }
    }
  }

  for (const [person, cells] of ownedCells) {
    if (cells.length > input.thresholds.maxCellsPerPerson) {
      findings.push({
        capability: null,
        region: null,
        area: null,
        kind: 'single-point-of-failure',
        detail: `${person} owns ${cells.length} cells (more than ${input.thresholds.maxCellsPerPerson})`,
        since: later(...cells.map((c) => c.since)),
        person,
      });
    }
  }

  const openByOwner = new Map<string, typeof input.openExceptions>();
  for (const e of input.openExceptions) {
    if (e.owner === null) continue;
    openByOwner.set(e.owner, [...(openByOwner.get(e.owner) ?? []), e]);
    if (status(e.owner) !== 'active') {
      findings.push({
        capability: e.capability,
        region: e.region,
        area: e.area,
        kind: 'orphaned-exception',
        detail: `${e.id} is owned by ${e.owner}, who is ${status(e.owner)}`,
        since: later(e.createdAt, statusSince(e.owner)),
        person: e.owner,
        exceptionId: e.id,
      });
    }
  }
  for (const [person, open] of openByOwner) {
    if (open.length > input.thresholds.maxOpenPerOwner) {
      const tipping = open.map((e) => e.createdAt).sort()[input.thresholds.maxOpenPerOwner] ?? null;
      findings.push({ capability: null, region: null, area: null, kind: 'overloaded', detail: `${person} owns ${open.length} open exceptions (more than ${input.thresholds.maxOpenPerOwner})`, since: tipping, person });
    }
  }
  return findings;
}

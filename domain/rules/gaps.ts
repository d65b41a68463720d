import { unattestedCells, type AttestationOutcome } from './attestation.js';
import { ChainLintKind } from './chain-lint.js';

export const GapKind = [
  'unowned',
  'owner-inactive',
  'no-backup',
  'backup-inactive',
  'single-point-of-failure',
  'overloaded',
  'empty-escalation-step',
  'orphaned-exception',
  // Escalation-chain lint (domain/rules/chain-lint.ts), stored by ledger/chain-lint.ts.
  ...ChainLintKind,
  // A cell its owner or backup did not confirm in the latest attestation campaign (domain/rules/attestation.ts).
  'unattested',
] as const;
export type GapKind = (typeof GapKind)[number];

/** A gap one cell of the matrix shows on its own. */
export interface CellGap {
  kind: GapKind;
  detail: string;
  person?: string;
}

export interface GapCell {
  owner: string | null;
  backup: string | null;
  escalation: string[];
}

/**
 * The gaps of one cell: no owner; an owner or backup who cannot act; no backup; a step of the chain the
 * SLA policy names (escalation[0..maxChainIndex]) that nobody active fills; an owner who escalates to
 * themselves or only to the same one person. `status` answers 'unknown' for a person it does not know.
 */
export function cellGaps(cell: GapCell | undefined, status: (id: string) => string, maxChainIndex: number): CellGap[] {
  if (!cell || cell.owner === null) return [{ kind: 'unowned', detail: 'no named owner' }];
  const gaps: CellGap[] = [];
  if (status(cell.owner) !== 'active') gaps.push({ kind: 'owner-inactive', detail: `owner ${cell.owner} is ${status(cell.owner)}`, person: cell.owner });
  if (cell.backup === null) gaps.push({ kind: 'no-backup', detail: `${cell.owner} has no backup` });
  else if (status(cell.backup) !== 'active') gaps.push({ kind: 'backup-inactive', detail: `backup ${cell.backup} is ${status(cell.backup)}`, person: cell.backup });
  const reachable = cell.escalation.filter((id) => status(id) === 'active');
  for (let i = reachable.length; i <= maxChainIndex; i++) {
    gaps.push({ kind: 'empty-escalation-step', detail: `escalation[${i}] is named by the SLA policy but nobody active fills it` });
  }
  if (cell.escalation.includes(cell.owner) || (cell.backup !== null && cell.escalation.length > 0 && cell.escalation.every((id) => id === cell.backup || id === cell.owner))) {
    gaps.push({ kind: 'single-point-of-failure', detail: `${cell.owner} escalates to themselves or to the same one person`, person: cell.owner });
  }
  return gaps;
}

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
  /** `unreachable`: the person's address was refused for good (SMTP 5xx) and no mail got through since. */
  people: Record<string, { status: string; since: string; unreachable?: { since: string; reason: string } | null }>;
  openExceptions: Array<{ id: string; capability: string; region: string; area: string; owner: string | null; createdAt: string }>;
  thresholds: { maxCellsPerPerson: number; maxOpenPerOwner: number };
  /** The chain lint's stored findings, with when each was first seen (ledger/chain-lint.ts). */
  chainLint?: Array<{ capability: string; region: string; area: string; kind: ChainLintKind; detail: string; person?: string; since: string }>;
  /** The latest attestation outcome per cell and person (ledger/attestation.ts). */
  attestations?: AttestationOutcome[];
}

const later = (...times: Array<string | null | undefined>): string | null =>
  times.filter((t): t is string => Boolean(t)).sort().at(-1) ?? null;

/**
 * Every ownership gap the data implies: each cell's own gaps (cellGaps) over every area of every
 * rolled-out region, then the person-level ones (too many cells, overload) and orphaned exceptions.
 */
export function findGapsIn(input: GapInputs, areas: readonly string[]): GapFinding[] {
  const findings: GapFinding[] = [];
  const status = (id: string) => input.people[id]?.status ?? 'unknown';
  const statusSince = (id: string) => input.people[id]?.since;
  const cellsByKey = new Map(input.cells.map((c) => [`${c.capability}/${c.region}/${c.area}`, c]));
  const ownedCells = new Map<string, typeof input.cells>();

  for (const rollout of input.rollouts) {
    for (const area of areas) {
      const cell = cellsByKey.get(`${rollout.capability}/${rollout.region}/${area}`);
      const at = { capability: rollout.capability, region: rollout.region, area };
      if (cell?.owner) ownedCells.set(cell.owner, [...(ownedCells.get(cell.owner) ?? []), cell]);
      for (const gap of cellGaps(cell, status, rollout.maxChainIndex)) {
        // A gap about someone's status opened when that status or the cell last changed, whichever is later.
        const since =
          gap.kind === 'unowned'
            ? (cell?.since ?? rollout.since)
            : gap.kind === 'owner-inactive' || gap.kind === 'backup-inactive'
              ? later(cell!.since, statusSince(gap.person!))
              : cell!.since;
        findings.push({ ...at, ...gap, since });
      }
      const unreachable = cell?.owner ? unreachableOwner(cell.owner, input.people[cell.owner]) : null;
      if (unreachable) findings.push({ ...at, ...unreachable, since: later(cell!.since, unreachable.since) });
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

  const rolledOut = new Set(input.rollouts.map((r) => `${r.capability}/${r.region}`));
  for (const lint of input.chainLint ?? []) {
    if (rolledOut.has(`${lint.capability}/${lint.region}`)) findings.push(lint);
  }
  const cellOf = (capability: string, region: string, area: string) => cellsByKey.get(`${capability}/${region}/${area}`);
  for (const gap of unattestedCells(input.attestations ?? [], cellOf)) {
    if (!rolledOut.has(`${gap.capability}/${gap.region}`)) continue;
    findings.push({ capability: gap.capability, region: gap.region, area: gap.area, kind: 'unattested', detail: gap.detail, since: gap.at, person: gap.person });
  }

  const openByOwner = new Map<string, typeof input.openExceptions>();
  for (const e of input.openExceptions) {
    if (e.owner === null) continue;
    // Appended in place: copying the list per exception is quadratic in one owner's open work.
    const owned = openByOwner.get(e.owner) ?? [];
    owned.push(e);
    openByOwner.set(e.owner, owned);
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

/**
 * An active owner whose mail server refused their address for good: escalations and assignments
 * reach only their inbox, which they may never open. (An inactive owner is already `owner-inactive`.)
 */
export function unreachableOwner(owner: string, person: GapInputs['people'][string] | undefined): (CellGap & { since: string }) | null {
  if (!person?.unreachable || person.status !== 'active') return null;
  return { kind: 'unreachable-owner', detail: `owner ${owner} cannot be reached by e-mail: ${person.unreachable.reason}`, person: owner, since: person.unreachable.since };
}


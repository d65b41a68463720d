import { escalationTarget } from './exception.js';
import { resolveRoute } from './route.js';

/**
 * Escalation-chain lint: would each rolled-out region's escalation chains reach the people they name,
 * before an exception needs them? For every owned cell it resolves the route and every step of every
 * SLA policy of the region's effective template with the router's own rules (resolveRoute,
 * escalationTarget: what the exception workflow would notify), and reports what would go wrong. Each
 * kind is a gap kind of the gap audit (domain/rules/gaps.ts).
 *
 * It does not repeat what the cell rule (cellGaps) already reports for the same cell, so a gap is
 * counted once: an unowned cell (`unowned`); an owner or backup who is missing or cannot act
 * (`owner-inactive`, `no-backup`, `backup-inactive`); and a chain shorter than the steps the policy
 * names, which is `empty-escalation-step` (escalation[N] beyond the active people of the chain).
 */
export const ChainLintKind = [
  /** A step that reaches nobody, or whose own target does not exist (the owner has no manager, or one the directory does not know), so it falls back. */
  'chain-step-unresolved',
  /** A manager-of-owner step whose manager is departed or on leave, so it falls back to someone else. */
  'chain-step-inactive',
  /** A step that reaches someone the ledger marks unreachable (mail to them was refused for good). */
  'unreachable-owner',
  /** Every step of a policy (two or more) reaches the same one person. */
  'chain-same-person',
  /** Following the owner's managers comes back round: manager-of-owner escalates into a loop. */
  'manager-cycle',
] as const;
export type ChainLintKind = (typeof ChainLintKind)[number];

export interface LintPerson {
  status: string;
  managerId: string | null;
  /** Set when the ledger records the person as unreachable. */
  unreachable?: boolean;
}

export interface LintCell {
  owner: string | null;
  backup: string | null;
  escalation: readonly string[];
}

/** One SLA policy's escalation steps, by their `notify` targets, in order. */
export interface LintPolicy {
  severity: string;
  steps: readonly string[];
}

export interface ChainLintInput {
  capability: string;
  regions: ReadonlyArray<{ region: string; policies: readonly LintPolicy[] }>;
  /** Keyed `region/area`. */
  cells: Readonly<Record<string, LintCell | undefined>>;
  people: Readonly<Record<string, LintPerson | undefined>>;
}

export interface ChainLintFinding {
  capability: string;
  region: string;
  area: string;
  kind: ChainLintKind;
  detail: string;
  person?: string;
  /** Stable across runs while the finding stands, so the ledger keeps when it was first seen. */
  key: string;
}

type Target = { kind: 'owner' | 'backup' | 'manager-of-owner' } | { kind: 'escalation'; index: number };

/** The same grammar as EscalationTarget (domain/capability.ts), without zod; null for anything else. */
export function parseStep(notify: string): Target | null {
  if (notify === 'owner' || notify === 'backup' || notify === 'manager-of-owner') return { kind: notify };
  const m = /^escalation\[(0|[1-9]\d*)\]$/.exec(notify);
  return m ? { kind: 'escalation', index: Number(m[1]) } : null;
}

/** The owner's managers, upwards, until the top or a loop; `loop` is the path that comes back round. */
export function managementLine(owner: string, people: ChainLintInput['people']): { loop: string[] | null } {
  const seen = [owner];
  for (let cursor = people[owner]?.managerId ?? null; cursor !== null; cursor = people[cursor]?.managerId ?? null) {
    const at = seen.indexOf(cursor);
    if (at >= 0) return { loop: [...seen.slice(at), cursor] };
    seen.push(cursor);
    if (seen.length > 1000) break;
  }
  return { loop: null };
}

const list = (items: Iterable<string>) => [...items].join(', ');

export function lintChains(input: ChainLintInput, areas: readonly string[]): ChainLintFinding[] {
  const findings: ChainLintFinding[] = [];
  for (const { region, policies } of input.regions) {
    for (const area of areas) {
      const cell = input.cells[`${region}/${area}`];
      if (!cell?.owner) continue;
      findings.push(...lintCell(input, region, area, cell, cell.owner, policies));
    }
  }
  return findings;
}

function lintCell(input: ChainLintInput, region: string, area: string, cell: LintCell, owner: string, policies: readonly LintPolicy[]): ChainLintFinding[] {
  const at = { capability: input.capability, region, area };
  const found = new Map<string, ChainLintFinding & { where: string[] }>();
  const add = (kind: ChainLintKind, subject: string, where: string, detail: (where: string) => string, person?: string) => {
    const key = `${region}/${area}/${kind}/${subject}`;
    const existing = found.get(key);
    if (existing) {
      existing.where.push(where);
      existing.detail = detail(list(existing.where));
    } else found.set(key, { ...at, kind, detail: detail(where), key, where: [where], ...(person ? { person } : {}) });
  };
  const people = input.people as Readonly<Record<string, { status: string; managerId: string | null } | undefined>>;
  const { route } = resolveRoute({ owner: cell.owner, backup: cell.backup, escalation: [...cell.escalation], version: 0 }, people, null);
  const manager = input.people[owner]?.managerId ?? null;
  let usesManager = false;

  for (const policy of policies) {
    const reached: Array<string | null> = [];
    policy.steps.forEach((notify, i) => {
      const where = `${policy.severity} step ${i + 1}`;
      if (!parseStep(notify)) {
        add('chain-step-unresolved', notify, where, (w) => `'${notify}' (${w}) is not a target the router knows`);
        reached.push(null);
        return;
      }
      const target = escalationTarget({ after: '1s', notify }, route);
      // Only a step that reaches its own target counts towards "the same person at every step": one that
      // falls back (no backup, a short chain) is the cell rule's finding, not a second one here.
      const parsed = parseStep(notify)!;
      const own =
        parsed.kind === 'escalation' ? (route.escalation[parsed.index] ?? null) : parsed.kind === 'owner' ? (route.ownerSource === 'owner' ? route.owner : null) : parsed.kind === 'backup' ? route.backup : route.managerOfOwner;
      reached.push(own !== null && own === target ? target : null);
      const fallsTo = target ? `it falls back to ${target}` : 'nobody is notified';
      if (target === null) add('chain-step-unresolved', 'nobody', where, (w) => `${w} reach${w.includes(',') ? '' : 'es'} nobody: the cell has no active owner, backup, chain or manager`);
      if (notify === 'manager-of-owner') {
        usesManager = true;
        const known = manager === null ? undefined : input.people[manager];
        if (manager === null) add('chain-step-unresolved', `manager-of:${owner}`, where, (w) => `${notify} (${w}): ${owner} has no manager in the directory; ${fallsTo}`);
        else if (!known) add('chain-step-unresolved', `manager-of:${owner}`, where, (w) => `${notify} (${w}) names ${manager}, whom the directory does not know; ${fallsTo}`, manager);
        else if (known.status !== 'active') add('chain-step-inactive', manager, where, (w) => `${notify} (${w}) reaches ${manager}, who is ${known.status}; ${fallsTo}`, manager);
      }
      // The cell's own owner, unreachable, is the cell rule's `unreachable-owner` (the e-mail work); here, everyone else a step reaches.
      if (target !== null && target !== owner && input.people[target]?.unreachable) add('unreachable-owner', target, where, (w) => `${notify} (${w}) reaches ${target}, who is marked unreachable`, target);
    });
    const first = reached[0];
    if (policy.steps.length >= 2 && first && reached.every((p) => p === first)) {
      add('chain-same-person', first, policy.severity, (w) => `every step of the ${w} polic${w.includes(',') ? 'ies' : 'y'} reaches ${first}`, first);
    }
  }

  if (usesManager) {
    const { loop } = managementLine(owner, input.people);
    if (loop) add('manager-cycle', owner, 'manager-of-owner', () => `manager-of-owner loops: ${loop.join(' → ')}`, owner);
  }
  return [...found.values()].map(({ where: _where, ...finding }) => finding);
}

/**
 * Escalation-chain lint: would each rolled-out region's escalation chains reach someone who can act,
 * before an exception needs them? It walks every step of every SLA policy of the region's effective
 * template over every owned cell of the matrix, as the router would resolve it (domain/rules/route.ts),
 * and reports what would fail. Each finding kind is a gap kind of the gap audit (domain/rules/gaps.ts).
 *
 * An unowned cell is not linted: the gap audit reports it as `unowned`, and every step of it would
 * only say the same again.
 */

export const ChainLintKind = [
  /** A step whose target is nobody: no backup, no manager of the owner, a person the directory does not know. */
  'chain-step-unresolved',
  /** A step whose target is departed or on leave. */
  'chain-step-inactive',
  /** A step whose target is marked unreachable in the ledger (mail to them was refused for good). */
  'unreachable-owner',
  /** Every step of a policy (two or more) reaches the same one person. */
  'chain-same-person',
  /** Following the owner's managers comes back round: manager-of-owner escalates into a loop. */
  'manager-cycle',
  /** The cell's chain has fewer people than the policy's escalation[N] steps need. */
  'chain-too-short',
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
  const managerOf = input.people[owner]?.managerId ?? null;
  const tooShort = { needed: 0, severities: new Set<string>() };
  let usesManager = false;

  for (const policy of policies) {
    const reached: Array<string | null> = [];
    policy.steps.forEach((notify, i) => {
      const target = parseStep(notify);
      const where = `${policy.severity} step ${i + 1}`;
      if (!target) {
        add('chain-step-unresolved', notify, where, (w) => `'${notify}' (${w}) is not a target the router knows`);
        reached.push(null);
        return;
      }
      if (target.kind === 'escalation' && target.index >= cell.escalation.length) {
        tooShort.needed = Math.max(tooShort.needed, target.index + 1);
        tooShort.severities.add(policy.severity);
        reached.push(null);
        return;
      }
      if (target.kind === 'manager-of-owner') usesManager = true;
      const person = target.kind === 'escalation' ? (cell.escalation[target.index] ?? null) : target.kind === 'owner' ? owner : target.kind === 'backup' ? cell.backup : managerOf;
      reached.push(person);
      if (person === null) {
        const why = target.kind === 'backup' ? 'the cell has no backup' : `${owner} has no manager in the directory`;
        add('chain-step-unresolved', notify, where, (w) => `${notify} (${w}) resolves to nobody: ${why}`);
        return;
      }
      const known = input.people[person];
      if (!known) add('chain-step-unresolved', notify, where, (w) => `${notify} (${w}) names ${person}, whom the directory does not know`, person);
      else if (known.status !== 'active') add('chain-step-inactive', person, where, (w) => `${notify} (${w}) reaches ${person}, who is ${known.status}`, person);
      else if (known.unreachable) add('unreachable-owner', person, where, (w) => `${notify} (${w}) reaches ${person}, who is marked unreachable`, person);
    });
    const distinct = new Set(reached);
    if (policy.steps.length >= 2 && distinct.size === 1 && reached[0] !== null && reached[0] !== undefined) {
      const person = reached[0];
      add('chain-same-person', person, policy.severity, (w) => `every step of the ${w} polic${w.includes(',') ? 'ies' : 'y'} reaches ${person}`, person);
    }
  }

  if (tooShort.needed > 0) {
    const { needed, severities } = tooShort;
    add('chain-too-short', 'chain', list(severities), () => `the chain names ${cell.escalation.length} ${cell.escalation.length === 1 ? 'person' : 'people'}, but the ${list(severities)} polic${severities.size > 1 ? 'ies' : 'y'} need ${needed}`);
  }
  if (usesManager) {
    const { loop } = managementLine(owner, input.people);
    if (loop) add('manager-cycle', owner, 'manager-of-owner', () => `manager-of-owner loops: ${loop.join(' → ')}`, owner);
  }
  return [...found.values()].map(({ where: _where, ...finding }) => finding);
}

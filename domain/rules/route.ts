import type { Route } from './exception.js';

/** One cell of the ownership matrix as the router sees it; `null` when the cell was never assigned. */
export interface RouteCell {
  owner: string | null;
  backup: string | null;
  escalation: string[];
  version: number;
}

/** What the router knows of a person: whether they can act, and who manages them. */
export interface RoutePerson {
  status: string;
  managerId: string | null;
}

export type RoutePeople = Readonly<Record<string, RoutePerson | undefined>>;

/** Whose manager the manager-of-owner step reaches: the cell's owner, else the exception's current owner. */
export const managedPerson = (cell: RouteCell | null, currentOwner: string | null): string | null => cell?.owner ?? currentOwner;

/** Everyone the rule looks up for this cell, besides the manager of `managedPerson`. */
export function peopleNamed(cell: RouteCell | null, currentOwner: string | null): string[] {
  return [...new Set([cell?.owner, cell?.backup, currentOwner, ...(cell?.escalation ?? [])].filter((x): x is string => Boolean(x)))];
}

/**
 * The routing rule: the active owner, else the active backup, else unowned. Chains keep only the
 * people who can act, and the manager of the owner counts only while active. Unknown people cannot act.
 */
export function resolveRoute(cell: RouteCell | null, people: RoutePeople, currentOwner: string | null): { route: Route; currentOwnerActive: boolean } {
  const active = (id: string | null | undefined): id is string => Boolean(id && people[id]?.status === 'active');
  const owner = active(cell?.owner) ? cell!.owner : active(cell?.backup) ? cell!.backup : null;
  const ownerSource: Route['ownerSource'] = owner === null ? 'unowned' : owner === cell?.owner ? 'owner' : 'backup';
  const managed = managedPerson(cell, currentOwner);
  const manager = (managed && people[managed]?.managerId) || null;
  return {
    route: {
      owner,
      ownerSource,
      backup: active(cell?.backup) && cell?.backup !== owner ? cell!.backup : null,
      escalation: (cell?.escalation ?? []).filter((id) => active(id)),
      managerOfOwner: active(manager) ? manager : null,
      matrixVersion: cell?.version ?? 0,
    },
    currentOwnerActive: active(currentOwner),
  };
}

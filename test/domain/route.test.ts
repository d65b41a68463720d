import { describe, expect, it } from 'vitest';
import { peopleNamed, resolveRoute, type RouteCell, type RoutePeople } from '../../domain/rules/route.js';

const cell = (over: Partial<RouteCell> = {}): RouteCell => ({ owner: 'olu', backup: 'bea', escalation: ['cho', 'dev'], version: 7, ...over });
const person = (status: string, managerId: string | null = null) => ({ status, managerId });
/** Everyone active; olu and bea report to max, the current owner cur to meg. */
const everyone = (over: RoutePeople = {}): RoutePeople => ({
  olu: person('active', 'max'),
  bea: person('active', 'max'),
  cho: person('active'),
  dev: person('active'),
  max: person('active'),
  cur: person('active', 'meg'),
  meg: person('active'),
  ...over,
});

const cases: Array<{
  name: string;
  cell: RouteCell | null;
  people: RoutePeople;
  currentOwner?: string | null;
  route: { owner: string | null; ownerSource: 'owner' | 'backup' | 'unowned'; backup: string | null; escalation: string[]; managerOfOwner: string | null };
  currentOwnerActive?: boolean;
}> = [
  {
    name: 'an active owner keeps the cell, with backup, chain and manager',
    cell: cell(),
    people: everyone(),
    route: { owner: 'olu', ownerSource: 'owner', backup: 'bea', escalation: ['cho', 'dev'], managerOfOwner: 'max' },
  },
  {
    name: 'an owner on leave passes to the active backup, who is then not also the backup',
    cell: cell(),
    people: everyone({ olu: person('on-leave', 'max') }),
    route: { owner: 'bea', ownerSource: 'backup', backup: null, escalation: ['cho', 'dev'], managerOfOwner: 'max' },
  },
  {
    name: 'a departed owner with a departed backup leaves the cell unowned',
    cell: cell(),
    people: everyone({ olu: person('departed', 'max'), bea: person('departed', 'max') }),
    route: { owner: null, ownerSource: 'unowned', backup: null, escalation: ['cho', 'dev'], managerOfOwner: 'max' },
  },
  {
    name: 'an inactive backup is dropped while the owner acts',
    cell: cell(),
    people: everyone({ bea: person('on-leave') }),
    route: { owner: 'olu', ownerSource: 'owner', backup: null, escalation: ['cho', 'dev'], managerOfOwner: 'max' },
  },
  {
    name: 'the chain keeps only people who can act, in order',
    cell: cell({ escalation: ['cho', 'gone', 'dev', 'away'] }),
    people: everyone({ gone: person('departed'), away: person('on-leave') }),
    route: { owner: 'olu', ownerSource: 'owner', backup: 'bea', escalation: ['cho', 'dev'], managerOfOwner: 'max' },
  },
  {
    name: 'people the directory does not know cannot act',
    cell: cell({ owner: 'ghost', backup: 'phantom', escalation: ['spook', 'cho'] }),
    people: everyone(),
    route: { owner: null, ownerSource: 'unowned', backup: null, escalation: ['cho'], managerOfOwner: null },
  },
  {
    name: 'an inactive manager of the owner is no one to escalate to',
    cell: cell(),
    people: everyone({ max: person('on-leave') }),
    route: { owner: 'olu', ownerSource: 'owner', backup: 'bea', escalation: ['cho', 'dev'], managerOfOwner: null },
  },
  {
    name: "the manager is the named owner's, even while the backup stands in",
    cell: cell({ backup: 'cur' }),
    people: everyone({ olu: person('on-leave', 'max') }),
    route: { owner: 'cur', ownerSource: 'backup', backup: null, escalation: ['cho', 'dev'], managerOfOwner: 'max' },
  },
  {
    name: "an ownerless cell takes the manager of the exception's current owner",
    cell: cell({ owner: null, backup: null, escalation: [] }),
    people: everyone(),
    currentOwner: 'cur',
    route: { owner: null, ownerSource: 'unowned', backup: null, escalation: [], managerOfOwner: 'meg' },
  },
  {
    name: 'a cell never assigned routes to no one, at matrix version 0',
    cell: null,
    people: everyone(),
    currentOwner: 'cur',
    route: { owner: null, ownerSource: 'unowned', backup: null, escalation: [], managerOfOwner: 'meg' },
  },
  {
    name: 'the current owner is reported inactive once they leave',
    cell: cell(),
    people: everyone({ cur: person('departed', 'meg') }),
    currentOwner: 'cur',
    route: { owner: 'olu', ownerSource: 'owner', backup: 'bea', escalation: ['cho', 'dev'], managerOfOwner: 'max' },
    currentOwnerActive: false,
  },
  {
    name: 'a person without a manager has no manager-of-owner',
    cell: cell({ owner: 'cho' }),
    people: everyone(),
    route: { owner: 'cho', ownerSource: 'owner', backup: 'bea', escalation: ['cho', 'dev'], managerOfOwner: null },
  },
];

describe('the routing rule', () => {
  it.each(cases)('$name', (c) => {
    const currentOwner = c.currentOwner ?? null;
    const { route, currentOwnerActive } = resolveRoute(c.cell, c.people, currentOwner);
    expect(route).toEqual({ ...c.route, matrixVersion: c.cell?.version ?? 0 });
    expect(currentOwnerActive).toBe(c.currentOwnerActive ?? (currentOwner !== null && c.people[currentOwner]?.status === 'active'));
  });

  it('names everyone it needs to look up, once each', () => {
    expect(peopleNamed(cell({ escalation: ['cho', 'olu'] }), 'cur')).toEqual(['olu', 'bea', 'cur', 'cho']);
    expect(peopleNamed(null, null)).toEqual([]);
  });
});

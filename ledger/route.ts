import type { Route } from '../domain/exception.js';
import { managedPerson, peopleNamed, resolveRoute, type RouteCell, type RoutePeople } from '../domain/rules/route.js';
import type { LedgerDb } from './db.js';

/**
 * Reads a cell and the people it names (with the manager of its owner) from the ledger's projections,
 * and applies the routing rule (domain/rules/route.ts) to them.
 */
export async function readRoute(db: LedgerDb, capability: string, region: string, area: string, currentOwner: string | null): Promise<{ route: Route; currentOwnerActive: boolean }> {
  const row = await db.selectFrom('ownership_cells').selectAll().where('capability', '=', capability).where('region', '=', region).where('area', '=', area).executeTakeFirst();
  const cell: RouteCell | null = row ? { owner: row.owner, backup: row.backup, escalation: JSON.parse(row.escalation) as string[], version: row.version } : null;
  const named = peopleNamed(cell, currentOwner);
  const managed = managedPerson(cell, currentOwner);
  const rows = named.length
    ? await db
        .selectFrom('people')
        .select(['id', 'status', 'manager_id'])
        .where((eb) =>
          eb.or([
            eb('id', 'in', named),
            // The manager of the managed person, in the same read.
            ...(managed ? [eb('id', '=', eb.selectFrom('people as managed').select('managed.manager_id').where('managed.id', '=', managed))] : []),
          ]),
        )
        .execute()
    : [];
  const people: RoutePeople = Object.fromEntries(rows.map((p) => [p.id, { status: p.status, managerId: p.manager_id }]));
  return resolveRoute(cell, people, currentOwner);
}

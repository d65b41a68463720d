import { inScope, type Principal } from '../domain/principal.js';
import type { LedgerDb } from '../ledger/db.js';
import { inboxOf } from '../ledger/exceptions.js';
import { AppError } from './errors.js';

/** A capability:region a request is about, and (for a person) what of theirs lies there. */
export interface ScopeTarget {
  capability: string;
  region: string;
  what?: string;
}

/**
 * How a route's token scope applies. Every route declares one (RouteSpec.scope is required), the
 * route builder enforces resource, capability and person before the handler runs, and
 * test/security/scope.test.ts drives every declared route with a token scoped elsewhere.
 */
export type RouteScope<I> =
  /** About one capability:region resource; `of` names it, or null when it does not exist (the handler answers 404/422). */
  | { kind: 'resource'; of: (input: I) => ScopeTarget | null | Promise<ScopeTarget | null> }
  /** A batch of resources: each item is checked as its own resource and refused (403) in its result. */
  | { kind: 'items'; note: string }
  /** About a capability as a whole (every region; `*` for every capability): a region-scoped token is refused. */
  | { kind: 'capability'; of: (input: I) => string }
  /** About a person: allowed only when every cell and open exception the action would touch is in scope. */
  | { kind: 'person'; touches: (input: I) => Promise<ScopeTarget[]> }
  /** A listing: the handler filters it to the token's scope. */
  | { kind: 'listing'; filters: string }
  /** Nothing capability- or region-specific (health, who am I, the shared directory). */
  | { kind: 'none'; why: string };

export type ScopeKind = RouteScope<never>['kind'];

/** 403 unless the token's scope covers the capability and region. */
export function assertScope(principal: Principal, capability: string, region: string): void {
  if (!inScope(principal, capability, region)) {
    throw new AppError('FORBIDDEN', `Your token's scope does not cover ${capability}:${region}.`);
  }
}

/** True when the scope reaches some region of the capability (enough to list what it can see there). */
export function capabilityInScope(principal: Principal, capability: string): boolean {
  return !principal.scope || principal.scope.some((entry) => {
    const [cap] = entry.split(':');
    return cap === '*' || cap === capability;
  });
}

/** True when the scope covers every region of the capability (`*` asks for every capability too). */
export function coversCapability(principal: Principal, capability: string): boolean {
  return !principal.scope || principal.scope.some((entry) => {
    const [cap, region] = entry.split(':');
    return (cap === '*' || cap === capability) && region === '*';
  });
}

const describeScope = (principal: Principal) => (principal.scope ?? []).join(', ');

/** Applies a route's declared scope before its handler runs; listings and batches filter or refuse themselves. */
export async function enforceScope<I>(scope: RouteScope<I>, input: I, principal: Principal): Promise<void> {
  if (!principal.scope) return;
  switch (scope.kind) {
    case 'resource': {
      const target = await scope.of(input);
      if (target) assertScope(principal, target.capability, target.region);
      return;
    }
    case 'capability': {
      const capability = scope.of(input);
      if (coversCapability(principal, capability)) return;
      const what = capability === '*' ? 'every capability and region' : `${capability} as a whole, in every region`;
      throw new AppError('FORBIDDEN', `This is about ${what}; your token's scope (${describeScope(principal)}) does not cover it.`);
    }
    case 'person': {
      const outside = (await scope.touches(input)).filter((t) => !inScope(principal, t.capability, t.region));
      if (outside.length === 0) return;
      const byPlace = new Map<string, Set<string>>();
      for (const t of outside) {
        const place = byPlace.get(`${t.capability}:${t.region}`) ?? new Set<string>();
        if (t.what) place.add(t.what);
        byPlace.set(`${t.capability}:${t.region}`, place);
      }
      const named = [...byPlace].map(([place, what]) => (what.size ? `${place} (${[...what].join(', ')})` : place));
      throw new AppError('FORBIDDEN', `This would touch ${named.join('; ')}, outside your token's scope (${describeScope(principal)}).`, {
        outOfScope: outside,
      });
    }
    default:
      return;
  }
}

/** Where an exception lives, or null when the ledger has no such exception. */
export async function exceptionTarget(ledger: LedgerDb, id: string): Promise<ScopeTarget | null> {
  const row = await ledger.selectFrom('exceptions').select(['capability', 'region']).where('id', '=', id).executeTakeFirst();
  return row ?? null;
}

/** An intake's capability and region as sent, or null when the envelope does not say (intake answers 400). */
export function intakeTarget(body: unknown): ScopeTarget | null {
  if (typeof body !== 'object' || body === null) return null;
  const { capability, region } = body as Record<string, unknown>;
  return typeof capability === 'string' && typeof region === 'string' ? { capability, region } : null;
}

/** Keeps what a listing may show: rows whose capability:region the token covers. */
export const visibleTo = (principal: Principal) => (row: { capability: string | null; region: string | null }) =>
  !principal.scope || (row.capability !== null && row.region !== null && inScope(principal, row.capability, row.region));

/** The caller's inbox, keeping only entries about exceptions or places the token's scope covers; pages stay full. */
export async function scopedInbox(ledger: LedgerDb, principal: Principal, beforeId: number | undefined, limit: number) {
  if (!principal.scope) return inboxOf(ledger, principal.sub, beforeId, limit);
  const kept: Awaited<ReturnType<typeof inboxOf>>['rows'] = [];
  const visible = visibleTo(principal);
  for (let cursor = beforeId; ; ) {
    const page = await inboxOf(ledger, principal.sub, cursor, limit);
    for (const row of page.rows) {
      if (!visible(row)) continue;
      if (kept.length === limit) return { rows: kept, more: true };
      kept.push(row);
    }
    if (!page.more) return { rows: kept, more: false };
    cursor = page.rows.at(-1)!.id;
  }
}

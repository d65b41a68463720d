import type { LedgerDb } from '../ledger/db.js';
import type { Principal, Role } from '../domain/principal.js';
import { AppError } from './errors.js';

/** How long a directory status is trusted: a departure or a leave takes effect within this. */
import { ACTOR_STATUS_TTL_MS } from '../domain/rules/people.js';

export { ACTOR_STATUS_TTL_MS };
const MAX_CACHED = 10_000;

interface Entry {
  expires: number;
  row: Promise<{ status: string; updated_at: string } | undefined>;
}

/** Roles a subject outside the directory may act with: a system (integration) or a bootstrap admin. */
const OUTSIDER_ROLES: readonly Role[] = ['integration', 'admin'];

/**
 * Who may act, from the ledger's people projection (the directory's copy, written before a directory
 * update returns). Departed: nothing, not even reads. On leave: reads only. A subject the directory
 * does not know (an integration such as `erp`) acts only with the integration role; an admin
 * outside the directory is allowed so the first admin can fill an empty directory.
 */
export class ActorDirectory {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly ledger: LedgerDb,
    private readonly ttlMs = ACTOR_STATUS_TTL_MS,
  ) {}

  private lookup(sub: string) {
    const now = Date.now();
    const hit = this.cache.get(sub);
    if (hit && hit.expires > now) return hit.row;
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    const row = this.ledger.selectFrom('people').select(['status', 'updated_at']).where('id', '=', sub).executeTakeFirst();
    // A failed read is not remembered: the next request asks again.
    row.catch(() => this.cache.delete(sub));
    this.cache.set(sub, { expires: now + this.ttlMs, row });
    return row;
  }

  /** Drops what is cached about a person, after this process changed them (PUT person, departure). */
  forget(sub: string): void {
    this.cache.delete(sub);
  }

  /**
   * 403 unless `principal` may use a route with these roles; `write` is any method but GET. A
   * subject outside the directory has its roles narrowed to the outsider roles for the request.
   */
  async check(principal: Principal, access: 'read' | 'write', routeRoles: readonly Role[]): Promise<void> {
    const row = await this.lookup(principal.sub);
    if (row?.status === 'departed') {
      throw new AppError('FORBIDDEN', `${principal.sub} departed on ${row.updated_at.slice(0, 10)}: a departed person's token no longer opens anything.`, {
        actorStatus: 'departed',
        since: row.updated_at,
      });
    }
    if (access === 'read') return;
    if (row?.status === 'on-leave') {
      throw new AppError('FORBIDDEN', `${principal.sub} is on leave (since ${row.updated_at.slice(0, 10)}): reads only until the directory shows them active again.`, {
        actorStatus: 'on-leave',
        since: row.updated_at,
      });
    }
    if (row) return;
    const allowed = principal.roles.filter((r) => OUTSIDER_ROLES.includes(r) && (r === 'admin' || routeRoles.includes(r)));
    if (allowed.length === 0) {
      throw new AppError(
        'FORBIDDEN',
        `${principal.sub} is not in the people directory: a subject outside it acts only with the integration role. Add them with PUT /api/v1/people/${principal.sub}.`,
        { actorStatus: 'unknown' },
      );
    }
    // A token for `erp` that also says operator still acts as the integration it is.
    principal.roles = principal.roles.filter((r) => OUTSIDER_ROLES.includes(r));
  }
}

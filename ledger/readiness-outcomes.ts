import { sql, type Kysely, type RawBuilder } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
import { DAY_MS } from '../domain/rules/readiness.js';
import { isPostgres } from './dialect.js';

/**
 * How an exception raised in a scorecard's window counts, as of a time `to`: the one rule, in SQL,
 * for the live count (ledger/readiness.ts) and for the per-day facts of closed exceptions that the
 * ledger keeps itself (0009_readiness_facts). Over a derived table `x` with the exception's columns
 * and its `first_claim`:
 *
 * - claimed within SLA: first claimed by its claim-by;
 * - claim missed: first claimed after it, or never claimed while the claim window ran out (not
 *   snoozed, not closed before it);
 * - breached: claim missed, or resolved after resolve-by, or still open past resolve-by and not snoozed
 *   (nor, live, waiting on others: resolve-by moves by the time paused when it resumes);
 * - a repeated-override exception: raised in the adoption-training area.
 *
 * A closed exception's outcome no longer depends on `to` once `to` is past its close (its clocks are
 * stopped and snooze cleared), which is what lets its facts be kept per day: they are this rule
 * evaluated at the end of time. A change to the rule needs a migration that reinstalls the triggers and
 * recomputes readiness_closed (installClosedFacts).
 */
export function outcomes(to: RawBuilder<unknown>, live = false) {
  const openAtTo = sql`(x.closed_at is null or x.closed_at >= ${to})`;
  const awake = sql`(x.snoozed_until is null or x.snoozed_until <= ${to})`;
  // Live rows only (they select waiting_since): one waiting on others since before `to` has its resolve clock paused.
  const resolveAwake = live ? sql`${awake} and (x.waiting_since is null or x.waiting_since > ${to})` : awake;
  const claimMissed = sql`((x.first_claim is not null and x.first_claim > x.claim_by)
    or (x.first_claim is null and x.claim_by < ${to} and (x.closed_at is null or x.closed_at > x.claim_by) and ${awake}))`;
  const resolveMissed = sql`((x.closed_at is not null and x.closed_at < ${to} and x.closed_at > x.resolve_by)
    or (${openAtTo} and x.resolve_by < ${to} and ${resolveAwake}))`;
  const flag = (condition: RawBuilder<unknown>) => sql<number>`case when ${condition} then 1 else 0 end`;
  return {
    /** The first claim before `to` of the exception row aliased `e`. */
    firstClaim: sql<number | null>`(select min(ev.at) from exception_events ev where ev.exception_id = e.id and ev.action = 'claimed' and ev.at < ${to})`,
    breached: flag(sql`${claimMissed} or ${resolveMissed}`),
    claimedInSla: flag(sql`x.first_claim is not null and x.first_claim <= x.claim_by`),
    claimMissed: flag(claimMissed),
    override: flag(sql`x.area = 'adoption-training'`),
  };
}

/** The largest JS Date: "the end of time" for a closed exception's outcome. */
const END_OF_TIME = sql.lit(8_640_000_000_000_000);
const dayStart = (column: string) => sql`(${sql.raw(column)} - (${sql.raw(column)} % ${sql.lit(DAY_MS)}))`;

/** The readiness_closed row of every closed exception `where` selects (over `e`), as this rule counts it. */
function closedRows(where: RawBuilder<unknown>) {
  const o = outcomes(END_OF_TIME);
  return sql`select x.id, x.capability, x.region, ${dayStart('x.created_at')}, ${dayStart('x.closed_at')}, coalesce(x.claimant, ''),
      ${o.breached}, ${o.claimedInSla}, ${o.claimMissed}, ${o.override}
    from (select e.id, e.capability, e.region, e.area, e.claimant, e.created_at, e.closed_at, e.claim_by, e.resolve_by, e.snoozed_until, ${o.firstClaim} as first_claim
      from exceptions e where ${where} and e.closed_at is not null) x
    where true`;
}

const CLOSED_COLUMNS = sql.raw('exception_id, capability, region, day, closed_day, claimant, breached, claimed_in_sla, claim_missed, override');
const DAILY_COLUMNS = sql.raw('capability, region, day, closed_day, claimant');

/** Adds (sign 1) or takes back (-1) the readiness_closed rows `where` selects to or from the per-day totals. */
function addToDaily(sign: 1 | -1, where: RawBuilder<unknown>) {
  const s = sql.lit(sign);
  return sql`insert into readiness_exception_daily (${DAILY_COLUMNS}, raised, breached, claimed_in_sla, claim_missed, overrides)
    select ${DAILY_COLUMNS}, ${s}, ${s} * breached, ${s} * claimed_in_sla, ${s} * claim_missed, ${s} * override from readiness_closed where ${where}
    on conflict (${DAILY_COLUMNS}) do update set
      raised = readiness_exception_daily.raised + excluded.raised,
      breached = readiness_exception_daily.breached + excluded.breached,
      claimed_in_sla = readiness_exception_daily.claimed_in_sla + excluded.claimed_in_sla,
      claim_missed = readiness_exception_daily.claim_missed + excluded.claim_missed,
      overrides = readiness_exception_daily.overrides + excluded.overrides`;
}

/**
 * Brings one exception's contribution up to date: takes back what it added, then adds it as it stands
 * (nothing while it is open). The stored row, not a recomputation, is what is taken back, so the totals
 * stay exact whatever changed in between (a superseded attempt's tail dropped, a repair).
 */
function refreshStatements(id: RawBuilder<unknown>) {
  const mine = sql`exception_id = ${id}`;
  return [
    addToDaily(-1, mine),
    sql`delete from readiness_closed where ${mine}`,
    sql`insert into readiness_closed (${CLOSED_COLUMNS}) ${closedRows(sql`e.id = ${id}`)}`,
    addToDaily(1, mine),
  ];
}

/** SQL text with no bound values, for a trigger body (which takes none). */
function text(db: Kysely<unknown>, fragment: RawBuilder<unknown>): string {
  const compiled = fragment.compile(db);
  if (compiled.parameters.length) throw new Error('a trigger statement may not bind values');
  return compiled.sql;
}

/**
 * Keeps readiness_closed and readiness_exception_daily in the same transaction as every change to a
 * closed exception's row or to its claims, whoever writes it (the projection, the confirmer, a repair):
 * triggers, because those writers must not know about readiness. SQLite triggers repeat the statements
 * per trigger; PostgreSQL's call one function. Then computes the facts of every exception already closed.
 */
export async function installClosedFacts(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    const body = refreshStatements(sql.raw('p_id'))
      .map((s) => `${text(db, s)};`)
      .join('\n');
    await sql.raw(`create or replace function readiness_refresh_closed(p_id text) returns void language plpgsql as $fn$ begin\n${body}\nend $fn$`).execute(db);
    await sql.raw(`create or replace function readiness_exception_changed() returns trigger language plpgsql as $fn$ begin
      if tg_op = 'DELETE' then perform readiness_refresh_closed(old.id); return old; end if;
      perform readiness_refresh_closed(new.id); return new; end $fn$`).execute(db);
    await sql.raw(`create or replace function readiness_claim_changed() returns trigger language plpgsql as $fn$ begin
      if tg_op <> 'INSERT' then perform readiness_refresh_closed(old.exception_id); end if;
      if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.exception_id <> old.exception_id) then perform readiness_refresh_closed(new.exception_id); end if;
      if tg_op = 'DELETE' then return old; end if; return new; end $fn$`).execute(db);
    for (const [name, event, when, fn] of triggers) {
      await sql.raw(`create trigger ${name} after ${event} for each row when (${when}) execute function ${fn}()`).execute(db);
    }
  } else {
    for (const [name, event, when, , id] of triggers) {
      const body = refreshStatements(sql.raw(id))
        .map((s) => `${text(db, s)};`)
        .join('\n');
      await sql.raw(`create trigger ${name} after ${event} for each row when ${when} begin\n${body}\nend`).execute(db);
    }
  }
  await recomputeClosedFacts(db);
}

/** Computes the facts of every closed exception from scratch (the migration; a check that the triggers kept them exact). */
export async function recomputeClosedFacts(db: AnyDb): Promise<void> {
  await sql`delete from readiness_exception_daily`.execute(db);
  await sql`delete from readiness_closed`.execute(db);
  await sql`insert into readiness_closed (${CLOSED_COLUMNS}) ${closedRows(sql`true`)}`.execute(db);
  await addToDaily(1, sql`true`).execute(db);
}

/** [name, event, when, PostgreSQL function, SQLite: the exception whose facts to refresh]. */
const triggers: Array<[string, string, string, string, string]> = [
  ['readiness_exception_inserted', 'insert on exceptions', 'new.closed_at is not null', 'readiness_exception_changed', 'new.id'],
  ['readiness_exception_updated', 'update on exceptions', 'old.closed_at is not null or new.closed_at is not null', 'readiness_exception_changed', 'new.id'],
  ['readiness_exception_deleted', 'delete on exceptions', 'old.closed_at is not null', 'readiness_exception_changed', 'old.id'],
  ['readiness_claim_inserted', 'insert on exception_events', "new.action = 'claimed'", 'readiness_claim_changed', 'new.exception_id'],
  ['readiness_claim_updated', 'update on exception_events', "old.action = 'claimed' or new.action = 'claimed'", 'readiness_claim_changed', 'new.exception_id'],
  ['readiness_claim_deleted', 'delete on exception_events', "old.action = 'claimed'", 'readiness_claim_changed', 'old.exception_id'],
];

import type { Kysely } from 'kysely';
import { intakeFacts } from '../domain/rules/decision-triggers.js';
import type { ExceptionEvent, ExceptionState, Notification } from '../domain/rules/exception-model.js';
import { overdueAt } from '../domain/rules/overdue.js';
import type { LedgerDb } from './db.js';
import { writeMail, type MailRouting } from './mail.js';
import { rowWriteTransaction } from './dialect.js';
import type { LedgerSchema } from './schema.js';

/**
 * How the exception workflow's transitions reach the ledger without ever disagreeing with history
 * (decision 0008). Each write carries a fence: the start time of the workflow task that made it.
 *
 * - A write whose fence is older than the stored one comes from an attempt that a later workflow task
 *   has already superseded (a local activity still running after its task failed or timed out): it is
 *   refused.
 * - A write with a newer fence supersedes every earlier attempt's tail: the rows it would rewrite and
 *   anything after them (events, inbox, undelivered outbox) are deleted first. A failed attempt's writes
 *   are therefore replaced by the retry's, however the retry orders the updates.
 * - A failed attempt that no later task overwrites is found by the confirmer (worker/confirmer.ts),
 *   which asks the workflow and repairs the tail. Until a transition is confirmed, nothing about it
 *   leaves the building: the outbox delivers confirmed transitions only.
 */
export interface TransitionWrite {
  fence: number;
  state: ExceptionState;
  /** Only with the first write (surfacing): the workflow does not carry the payload after that. */
  payload?: Record<string, unknown>;
  events: ExceptionEvent[];
  notifications: Notification[];
}

export interface ProjectionOptions {
  /** Test-only: turn the fence off to show what it prevents (test/ledger/fence.test.ts). */
  fenced?: boolean;
  now?: () => number;
  /** E-mail is on: mail rows join the outbox in the same transaction (ledger/mail.ts). */
  mail?: MailRouting;
}

export type WriteOutcome = 'written' | 'stale';

export async function recordTransition(db: LedgerDb, w: TransitionWrite, options: ProjectionOptions = {}): Promise<WriteOutcome> {
  const fenced = options.fenced ?? true;
  const now = (options.now ?? Date.now)();
  const { state } = w;
  return rowWriteTransaction(db, 'exceptions', state.id, async (tx) => {
    const current = await tx.selectFrom('exceptions').select(['fence', 'seq', 'confirmed_seq']).where('id', '=', state.id).executeTakeFirst();
    if (fenced && current && w.fence < current.fence) return 'stale';
    const first = w.events[0]?.seq ?? state.seq + 1;
    if (fenced && current && w.fence > current.fence) await dropTail(tx, state.id, first - 1, w.fence);
    if (current && first <= current.confirmed_seq) {
      // Never the case for history's own attempts (a confirmed seq is in history, later tasks write after
      // it); if it happens, the rows are checked again rather than trusted (ledger/confirmation.ts).
      await tx.updateTable('exceptions').set({ confirmed_seq: first - 1, confirmed_event_digest: null, confirmed_notice_digest: null }).where('id', '=', state.id).execute();
    }
    const row = stateRow(state, w.fence, now);
    if (!current) {
      // A new row leaves the columns it has no value for at their default (null), so a ledger written
      // before a migration (test/readiness/facts.test.ts) takes the same inserts.
      await tx.insertInto('exceptions').values(withoutNulls({ ...row, payload: JSON.stringify(w.payload ?? {}), ...intakeFacts(w.payload), confirmed_seq: 0 })).execute();
    } else if (fenced ? w.fence > current.fence || state.seq >= current.seq : state.seq >= current.seq) {
      await tx
        .updateTable('exceptions')
        .set({ ...row, ...(w.payload ? { payload: JSON.stringify(w.payload), ...intakeFacts(w.payload) } : {}) })
        .where('id', '=', state.id)
        .execute();
    }
    await writeEvents(tx, state.id, w.events, w.fence, fenced);
    await writeInbox(tx, state.id, w.notifications, w.fence, fenced);
    if (state.webhook) await writeOutbox(tx, state, w.notifications, w.fence, now);
    if (options.mail) await writeMail(tx, state, w.events, w.notifications, w.fence, now, options.mail);
    return 'written';
  });
}

export function stateRow(state: ExceptionState, fence: number, now: number) {
  return { ...projectedColumns(state), state: JSON.stringify(state), fence, written_at: now };
}

/**
 * The columns listings filter and sort on, as a state projects to them: the writer stores these, and
 * `ledger:verify` compares the stored ones with what the workflow's state projects to.
 */
export function projectedColumns(state: ExceptionState) {
  return {
    id: state.id,
    capability: state.capability,
    region: state.region,
    type: state.type,
    area: state.area,
    severity: state.severity,
    title: state.title,
    status: state.status,
    owner: state.owner,
    claimant: state.claimant,
    escalation_level: state.escalationLevel,
    confidence: state.confidence,
    claim_by: state.claimBy,
    resolve_by: state.resolveBy,
    overdue_at: overdueAt(state),
    lease_until: state.leaseUntil,
    snoozed_until: state.snoozedUntil,
    waiting_since: state.waiting?.since ?? null,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
    closed_at: state.resolution?.at ?? state.dismissal?.at ?? null,
    resolution_code: state.resolution?.code ?? null,
    value_event: state.resolution?.valueEvent ?? null,
    seq: state.seq,
    // Only exceptions raised since versions were recorded carry one (0014_template_versions).
    ...(state.templateVersion !== undefined ? { template_version: state.templateVersion } : {}),
  };
}

/** Removes rows after `keepThrough` that an attempt older than `fence` wrote (or, with no fence, any). */
export async function dropTail(tx: Kysely<LedgerSchema>, id: string, keepThrough: number, fence: number | null): Promise<void> {
  let events = tx.deleteFrom('exception_events').where('exception_id', '=', id).where('seq', '>', keepThrough);
  let inbox = tx.deleteFrom('inbox').where('exception_id', '=', id).where('seq', '>', keepThrough);
  let outbox = tx.deleteFrom('outbox').where('exception_id', '=', id).where('seq', '>', keepThrough).where('delivered_at', 'is', null);
  if (fence !== null) {
    events = events.where('fence', '<', fence);
    inbox = inbox.where('fence', '<', fence);
    outbox = outbox.where('fence', '<', fence);
  }
  await events.execute();
  await inbox.execute();
  await outbox.execute();
}

export async function writeEvents(tx: Kysely<LedgerSchema>, id: string, events: ExceptionEvent[], fence: number, fenced: boolean): Promise<void> {
  if (!events.length) return;
  const rows = events.map((e) => ({
    exception_id: id,
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    from_value: e.from,
    to_value: e.to,
    reason: e.reason,
    detail: JSON.stringify(e.detail ?? {}),
    fence,
  }));
  await tx
    .insertInto('exception_events')
    .values(rows)
    .onConflict((oc) => {
      const update = oc.columns(['exception_id', 'seq']).doUpdateSet((eb) => ({
        at: eb.ref('excluded.at'),
        actor: eb.ref('excluded.actor'),
        action: eb.ref('excluded.action'),
        from_value: eb.ref('excluded.from_value'),
        to_value: eb.ref('excluded.to_value'),
        reason: eb.ref('excluded.reason'),
        detail: eb.ref('excluded.detail'),
        fence: eb.ref('excluded.fence'),
      }));
      return fenced ? update.where('exception_events.fence', '<=', fence) : update;
    })
    .execute();
}

export async function writeInbox(tx: Kysely<LedgerSchema>, id: string, notifications: Notification[], fence: number, fenced: boolean): Promise<void> {
  if (!notifications.length) return;
  await tx
    .insertInto('inbox')
    .values(notifications.map((n) => ({ person: n.person, exception_id: id, seq: n.seq, kind: n.kind, level: n.level, reason: n.reason, at: n.at, fence })))
    .onConflict((oc) =>
      fenced
        ? oc.columns(['exception_id', 'seq', 'person', 'kind']).doUpdateSet((eb) => ({ level: eb.ref('excluded.level'), reason: eb.ref('excluded.reason'), at: eb.ref('excluded.at'), fence: eb.ref('excluded.fence') }))
        : oc.columns(['exception_id', 'seq', 'person', 'kind']).doNothing(),
    )
    .execute();
}

export async function writeOutbox(tx: Kysely<LedgerSchema>, state: ExceptionState, notifications: Notification[], fence: number, now: number): Promise<void> {
  if (!notifications.length || !state.webhook) return;
  await tx
    .insertInto('outbox')
    .values(
      notifications.map((n) => ({
        exception_id: state.id,
        seq: n.seq,
        person: n.person,
        kind: n.kind,
        channel: 'webhook',
        target: state.webhook!,
        body: JSON.stringify({ ...n, at: new Date(n.at).toISOString(), idempotencyKey: `${state.id}#${n.seq}#${n.person}` }),
        fence,
        created_at: now,
        next_attempt_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['exception_id', 'seq', 'person', 'kind']).doUpdateSet((eb) => ({ body: eb.ref('excluded.body'), target: eb.ref('excluded.target'), fence: eb.ref('excluded.fence') })).where('outbox.delivered_at', 'is', null),
    )
    .execute();
}

/** Only the columns with a value: null ones are left to their default. */
function withoutNulls<T extends Record<string, unknown>>(row: T): T {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as T;
}

import { sql } from 'kysely';
import { overdueAt, type DecisionEvent, type DecisionState } from '../domain/rules/decision.js';
import { appendAudit } from './audit.js';
import { storedObject } from './bounded-json.js';
import type { LedgerDb } from './db.js';
import { writeDecisionNotices } from './decision-notices.js';
import type { MailRouting } from './mail.js';
import { rowWriteTransaction } from './dialect.js';
import type { DecisionEvidence } from '../workflows/decision/messages.js';

/**
 * The decision log: the projection of decision workflows (written by a regular activity, so only what
 * history holds), searchable per capability × area × region.
 */

const num = (v: unknown) => Number(v);

export interface DecisionWrite {
  state: DecisionState;
  events: DecisionEvent[];
  evidence?: DecisionEvidence;
}

/** The row's columns as the workflow's state projects them (`ledger:verify` compares them too). */
export function decisionColumns(s: DecisionState) {
  const settled = s.status === 'decided' || s.status === 'declined';
  const o = s.outcome;
  return {
    status: s.status,
    owner: s.owner,
    escalated_to: s.recentEscalations.at(-1)?.to ?? null,
    escalation_level: s.escalationLevel,
    due_at: s.dueAt,
    overdue_at: overdueAt(s),
    updated_at: s.updatedAt,
    closed_at: settled ? (o?.at ?? s.updatedAt) : null,
    outcome: o?.outcome ?? null,
    action: o?.action ?? null,
    decided_by: o?.by ?? null,
    decided_at: o?.at ?? null,
    defer_until: s.deferUntil,
    target_model_version: o?.outcome === 'decided' && o.action === 'retrain' ? (o.targetModelVersion ?? null) : null,
    seq: s.seq,
    state: JSON.stringify(s),
  };
}

/**
 * Idempotent: a retried or late write of an older seq leaves the row as it is; events, evidence and the
 * notices of routed, rerouted and escalated events (inbox, and mail when `mail` is set) are keyed.
 */
export async function recordDecision(db: LedgerDb, w: DecisionWrite, options: { mail?: MailRouting; now?: number } = {}): Promise<void> {
  const s = w.state;
  await rowWriteTransaction(db, 'decisions', s.id, async (tx) => {
    const current = await tx.selectFrom('decisions').select('seq').where('id', '=', s.id).executeTakeFirst();
    if (!current) {
      await tx
        .insertInto('decisions')
        .values({ id: s.id, workflow_id: s.workflowId, capability: s.capability, region: s.region, area: s.area, trigger_id: s.triggerId, kind: s.kind, summary: s.summary, raised_at: s.raisedAt, ...decisionColumns(s) })
        .execute();
    } else if (num(current.seq) < s.seq) {
      await tx.updateTable('decisions').set(decisionColumns(s)).where('id', '=', s.id).execute();
    }
    if (w.events.length) {
      await tx
        .insertInto('decision_events')
        .values(w.events.map((e) => ({ decision_id: s.id, seq: e.seq, at: e.at, actor: e.actor, action: e.action, detail: JSON.stringify(e.detail) })))
        .onConflict((oc) => oc.columns(['decision_id', 'seq']).doNothing())
        .execute();
    }
    // Outcomes are state changes a person made: audited with the actor the token named.
    const outcomes = w.events.filter((e) => e.action === 'decided' || e.action === 'declined' || e.action === 'deferred');
    if (outcomes.length) {
      await appendAudit(
        tx,
        outcomes.map((e) => ({
          idempotencyKey: `${s.id}#${e.seq}`,
          at: new Date(e.at).toISOString(),
          actor: e.actor,
          action: `decision.${e.action}`,
          subjectType: 'decision',
          subjectId: s.id,
          reason: typeof e.detail.reason === 'string' ? e.detail.reason : null,
          detail: e.detail,
        })),
      );
    }
    await writeDecisionNotices(tx, s, w.events, options.now ?? Date.now(), options.mail);
    if (w.evidence) {
      const { measured, threshold, window, ...rest } = w.evidence;
      await tx
        .insertInto('decision_evidence')
        .values({ decision_id: s.id, measured, threshold, window_from: window.from, window_to: window.to, evidence: JSON.stringify({ window, ...rest }) })
        .onConflict((oc) => oc.column('decision_id').doNothing())
        .execute();
    }
  });
}

export interface DecisionFilter {
  capability?: string;
  region?: string;
  area?: string;
  status?: string[];
  owner?: string;
  /** Someone it was routed or escalated to. */
  involving?: string;
  overdueAt?: number;
  q?: string;
  trigger?: string;
  /** The token's scope (capability:region pairs, `*` a wildcard): only rows it covers; undefined keeps all. */
  scope?: string[];
  before?: { raisedAt: number; id: string };
  limit: number;
}

export type DecisionRow = Awaited<ReturnType<typeof listDecisions>>[number];

/** Newest first; a free-text query matches the summary, the trigger, the outcome's words and the decider. */
export async function listDecisions(db: LedgerDb, f: DecisionFilter) {
  let q = db.selectFrom('decisions').selectAll();
  if (f.capability) q = q.where('capability', '=', f.capability);
  if (f.region) q = q.where('region', '=', f.region);
  if (f.area) q = q.where('area', '=', f.area);
  if (f.trigger) q = q.where('trigger_id', '=', f.trigger);
  if (f.status?.length) q = q.where('status', 'in', f.status);
  if (f.owner) q = q.where('owner', '=', f.owner);
  if (f.involving) {
    const who = f.involving;
    q = q.where((eb) => eb.or([eb('owner', '=', who), eb('escalated_to', '=', who)]));
  }
  if (f.overdueAt !== undefined) q = q.where('overdue_at', '<=', f.overdueAt);
  if (f.q) {
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or(['summary', 'trigger_id', 'state', 'decided_by'].map((c) => eb(sql`lower(${sql.ref(c)})`, 'like', sql`${like} escape '\\'`))));
  }
  if (f.scope) {
    const pairs = f.scope.map((entry) => entry.split(':') as [string, string]);
    q = q.where((eb) =>
      eb.or(pairs.map(([cap, region]) => eb.and([...(cap === '*' ? [] : [eb('capability', '=', cap)]), ...(region === '*' ? [] : [eb('region', '=', region)])]))),
    );
  }
  if (f.before) {
    const b = f.before;
    q = q.where((eb) => eb.or([eb('raised_at', '<', b.raisedAt), eb.and([eb('raised_at', '=', b.raisedAt), eb('id', '<', b.id)])]));
  }
  const rows = await q.orderBy('raised_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map((r) => ({ ...r, state: storedObject(r.state) as unknown as DecisionState }));
}

export async function readDecision(db: LedgerDb, id: string) {
  const [row] = await listDecisionsById(db, [id]);
  if (!row) return undefined;
  const [events, evidence] = await Promise.all([
    db.selectFrom('decision_events').selectAll().where('decision_id', '=', id).orderBy('seq').execute(),
    db.selectFrom('decision_evidence').selectAll().where('decision_id', '=', id).executeTakeFirst(),
  ]);
  return {
    row,
    events: events.map((e) => ({ seq: num(e.seq), at: num(e.at), actor: e.actor, action: e.action, detail: storedObject(e.detail) })),
    evidence: evidence
      ? ({ ...(storedObject(evidence.evidence) as Record<string, unknown>), measured: num(evidence.measured), threshold: num(evidence.threshold), window: { from: num(evidence.window_from), to: num(evidence.window_to) } } as Record<string, unknown> & { measured: number; threshold: number; window: { from: number; to: number } })
      : null,
  };
}

async function listDecisionsById(db: LedgerDb, ids: string[]) {
  const rows = await db.selectFrom('decisions').selectAll().where('id', 'in', ids).execute();
  return rows.map((r) => ({ ...r, state: storedObject(r.state) as unknown as DecisionState }));
}

/** Open or deferred items the matrix routes: a reroute or a departure moves these too. */
export async function openDecisionIds(db: LedgerDb, where: { person?: string; cells?: Array<{ capability: string; region: string; area: string }> }): Promise<Array<{ id: string; workflowId: string; owner: string | null }>> {
  let q = db.selectFrom('decisions').select(['id', 'workflow_id', 'owner']).where('status', 'in', ['open', 'deferred']);
  const { person, cells } = where;
  if (person !== undefined) q = q.where('owner', '=', person);
  if (cells) {
    if (cells.length === 0) return [];
    q = q.where((eb) => eb.or(cells.map((c) => eb.and([eb('capability', '=', c.capability), eb('region', '=', c.region), eb('area', '=', c.area)]))));
  }
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, workflowId: r.workflow_id, owner: r.owner }));
}

/** Open items past their due date in a region (the readiness scorecard's criterion). */
export async function overdueDecisions(db: LedgerDb, capability: string, region: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('decisions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('capability', '=', capability)
    .where('region', '=', region)
    .where('overdue_at', '<=', now)
    .executeTakeFirst();
  return num(row?.n ?? 0);
}

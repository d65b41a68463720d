import type { Client } from '@temporalio/client';
import { evaluateAndRaise } from '../../activities/decisions.js';
import { isSettled, workflowIdOf, type DecisionDetailView, type DecisionOutcome, type DecisionOutcomeInput, type DecisionQuery, type DecisionView } from '../../domain/decisions.js';
import type { Principal } from '../../domain/principal.js';
import { beforeAfter, type EvidenceLinks } from '../../domain/rules/decision-triggers.js';
import { getEffectiveTemplate } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { evidenceSeries, modelVersionFirstSeen, rateWindow } from '../../ledger/decision-facts.js';
import { listDecisions, readDecision, type DecisionRow } from '../../ledger/decisions.js';
import { appendAudit } from '../../ledger/audit.js';
import { recordOutcome } from '../../workflows/decision/messages.js';
import { AppError, fromTemporal } from '../errors.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import type { ScopeTarget } from '../scope.js';
import { iso } from '../views.js';
import { z } from 'zod';

export interface DecisionDeps {
  ledger: LedgerDb;
  client: Client;
  taskQueue: string;
}

export function decisionView(row: DecisionRow, now = Date.now()): DecisionView {
  const o = row.state.outcome;
  return {
    id: row.id,
    capability: row.capability,
    region: row.region,
    area: row.area,
    triggerId: row.trigger_id,
    kind: row.kind,
    summary: row.summary,
    status: row.status as DecisionView['status'],
    owner: row.owner,
    escalatedTo: row.escalated_to,
    escalationLevel: Number(row.escalation_level),
    raisedAt: iso(Number(row.raised_at)),
    dueAt: iso(Number(row.due_at)),
    overdue: row.overdue_at !== null && Number(row.overdue_at) <= now,
    deferUntil: iso(row.defer_until === null ? null : Number(row.defer_until)),
    closedAt: iso(row.closed_at === null ? null : Number(row.closed_at)),
    outcome: o ? { ...o, ...(o.until !== undefined ? { until: iso(o.until) } : {}), at: iso(o.at) } : null,
  };
}

/** The capability:region an item is about, for the route's scope check; null when there is no such item (404 follows). */
export async function decisionTarget(ledger: LedgerDb, id: string): Promise<ScopeTarget | null> {
  const row = await ledger.selectFrom('decisions').select(['capability', 'region']).where('id', '=', id).executeTakeFirst();
  return row ? { capability: row.capability, region: row.region } : null;
}

const Cursor = z.object({ raisedAt: z.number(), id: z.string() });

export async function decisionLog(deps: DecisionDeps, principal: Principal, q: DecisionQuery) {
  const now = Date.now();
  const rows = await listDecisions(deps.ledger, {
    ...(q.capability ? { capability: q.capability } : {}),
    ...(q.region ? { region: q.region } : {}),
    ...(q.area ? { area: q.area } : {}),
    ...(q.trigger ? { trigger: q.trigger } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.owner ? { owner: q.owner } : {}),
    ...(q.mine ? { involving: principal.sub } : {}),
    ...(q.overdue ? { overdueAt: now } : {}),
    ...(q.q ? { q: q.q } : {}),
    ...(principal.scope ? { scope: principal.scope } : {}),
    ...(q.cursor ? { before: decodeCursor(q.cursor, Cursor) } : {}),
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map((r) => decisionView(r, now)), nextCursor: rows.length > q.limit && last ? encodeCursor({ raisedAt: Number(last.raised_at), id: last.id }) : null };
}

const CSV_COLUMNS = ['id', 'capability', 'region', 'area', 'triggerId', 'kind', 'summary', 'status', 'owner', 'raisedAt', 'dueAt', 'overdue', 'outcome', 'action', 'decidedBy', 'decidedAt', 'what', 'reason', 'deferUntil'] as const;
const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};
/** What was decided, in words: the columns a spreadsheet reader needs without the JSON. */
function what(o: DecisionView['outcome']): string {
  if (!o || o.outcome !== 'decided') return '';
  const f = o as Record<string, unknown>;
  const parts = { retrain: [`data: ${f.data}`, f.targetModelVersion ? `target ${f.targetModelVersion}` : ''], 'change-rule': [`${f.rule} → ${f.change}`], 'schedule-training': [`${f.training} for ${f.trainees}`], 'add-capacity': [String(f.capacity)] }[o.action!] ?? [];
  return parts.filter(Boolean).join('; ');
}
export function decisionsCsv(items: DecisionView[]): string {
  const rows = items.map((d) => {
    const o = d.outcome as (Record<string, unknown> & DecisionView['outcome']) | null;
    const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      ...d,
      outcome: o?.outcome,
      action: o?.action,
      decidedBy: o?.by,
      decidedAt: o?.at,
      what: what(d.outcome),
      reason: o?.reason,
    };
    return CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** One item with its evidence (figures, the exceptions behind them, a per-day series, value events), timeline and, for a retraining decision, before/after rates. */
export async function decisionDetail(deps: DecisionDeps, id: string): Promise<DecisionDetailView> {
  const found = await readDecision(deps.ledger, id);
  if (!found) throw new AppError('NOT_FOUND', `No decision ${id}.`);
  const { row, events, evidence } = found;
  const links = evidence?.links as EvidenceLinks | undefined;
  const series = links ? await evidenceSeries(deps.ledger, row.capability, row.region, links) : [];
  const route = row.state.route;
  return {
    ...decisionView(row),
    route: route ? { owner: route.owner, backup: route.backup, escalation: route.escalation, managerOfOwner: route.managerOfOwner } : null,
    evidence: evidence
      ? {
          measured: evidence.measured,
          threshold: evidence.threshold,
          window: { from: iso(evidence.window.from), to: iso(evidence.window.to) },
          ...(typeof evidence.summary === 'string' ? { summary: evidence.summary } : {}),
          ...(evidence.figures ? { figures: evidence.figures as Record<string, string | number> } : {}),
          ...(Array.isArray(evidence.values) ? { values: evidence.values as Array<{ id: string; events: number; total: number }> } : {}),
          ...(Array.isArray(evidence.exceptionIds) ? { exceptionIds: evidence.exceptionIds as string[] } : {}),
          series: series.map((p) => ({ day: iso(p.day)?.slice(0, 10) ?? null, count: p.count })),
        }
      : null,
    timeline: events.map((e) => ({ ...e, at: iso(e.at) })),
    beforeAfter: await retrainingEffect(deps, row, evidence ? evidence.window.to - evidence.window.from : 7 * 86_400_000),
  };
}

/**
 * A retraining decision that named a target model version: once intake payloads carry that version in
 * the region, the exception rate of the trigger's type (or its area) before it arrived and since.
 */
async function retrainingEffect(deps: DecisionDeps, row: DecisionRow, windowMs: number): Promise<DecisionDetailView['beforeAfter']> {
  const version = row.target_model_version;
  if (!version) return null;
  const firstSeen = await modelVersionFirstSeen(deps.ledger, row.capability, row.region, version);
  if (firstSeen === null) return { modelVersion: version, status: 'waiting', firstSeen: null };
  const template = await getEffectiveTemplate(deps.ledger, row.capability, row.region);
  const type = template?.decisionTriggers?.[row.trigger_id]?.exceptionType;
  const filter = type ? { type } : { area: row.area };
  const now = Date.now();
  const before = await rateWindow(deps.ledger, row.capability, row.region, filter, firstSeen - windowMs, firstSeen);
  const after = await rateWindow(deps.ledger, row.capability, row.region, filter, firstSeen, Math.max(firstSeen + 1, Math.min(now + 1, firstSeen + windowMs)));
  const ba = beforeAfter(version, firstSeen, before, after);
  const view = (w: typeof ba.before) => ({ ...w, from: iso(w.from), to: iso(w.to) });
  return { modelVersion: version, status: 'linked', firstSeen: iso(firstSeen), before: view(ba.before), after: view(ba.after), change: ba.change };
}

/** Records an outcome through the item's workflow (its validator refuses without writing history), then answers the ledger's row. */
export async function settleDecision(deps: DecisionDeps, principal: Principal, id: string, input: DecisionOutcomeInput): Promise<DecisionDetailView> {
  const row = await deps.ledger.selectFrom('decisions').select(['status', 'workflow_id']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', `No decision ${id}.`);
  if (isSettled(row.status as 'open')) throw new AppError('CONFLICT', `The decision is already ${row.status}.`);
  const outcome: DecisionOutcome = input.outcome === 'deferred' ? { ...input, until: Date.parse(input.until) } : input;
  try {
    await deps.client.workflow.getHandle(row.workflow_id ?? workflowIdOf(id)).executeUpdate(recordOutcome, { args: [{ actor: { id: principal.sub, roles: principal.roles }, outcome, at: Date.now() }] });
  } catch (err) {
    throw fromTemporal(err);
  }
  return decisionDetail(deps, id);
}

/** Grades triggers now (the Schedule's path), audited with the caller. */
export async function evaluateNow(deps: DecisionDeps, principal: Principal, only: { capability?: string; region?: string }) {
  const result = await evaluateAndRaise(deps, deps.taskQueue, only);
  await appendAudit(deps.ledger, [
    {
      idempotencyKey: `decision-triggers:${principal.sub}:${Date.now()}:${Math.random().toString(36).slice(2)}`,
      at: new Date().toISOString(),
      actor: principal.sub,
      action: 'decision-triggers.evaluated',
      subjectType: 'capability',
      subjectId: only.capability ?? '*',
      reason: null,
      detail: { ...only, fired: result.fired, raised: result.raised, kept: result.kept },
    },
  ]);
  return result;
}

import type { Actor, Refusal, Route } from './exception.js';
import type { TriggerKind } from './decision-triggers.js';

/**
 * A decision item: a question a fired trigger asks the owner of an area (retrain? change a rule? train
 * someone? add capacity?), and the answer. The rules the decision workflow's validators apply, and the
 * model its bounded state follows. Its evidence lives in the ledger, never in the workflow's state.
 */

export const DECISION_STATUSES = ['open', 'deferred', 'decided', 'declined'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];
export const isSettled = (status: DecisionStatus) => status === 'decided' || status === 'declined';

export const DECISION_ACTIONS = ['retrain', 'change-rule', 'schedule-training', 'add-capacity'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** One workflow per trigger × region at a time: a second firing while one is open is the same item. */
export const decisionWorkflowId = (capability: string, region: string, triggerId: string) => `decision:${capability}:${region}:${triggerId}`;
/** The ledger's id of one item: the workflow's id and when it was raised, so the log keeps every item the trigger ever raised. */
export const decisionId = (workflowId: string, raisedAt: number) => `${workflowId}@${raisedAt}`;
export const workflowIdOf = (id: string) => id.slice(0, id.lastIndexOf('@') === -1 ? id.length : id.lastIndexOf('@'));

/** Bounds on what a person may write into an outcome; every string is bounded before it reaches the workflow. */
export const OUTCOME_LIMITS = { text: 2000, short: 200, deferrals: 20, maxDeferMs: 366 * 86_400_000 } as const;

/** An escalation step of a decision item: `afterMs` past its due date, notify someone on the route. */
export interface DecisionStep {
  afterMs: number;
  notify: string;
}

export interface DecisionOutcome {
  outcome: 'decided' | 'declined' | 'deferred';
  /** decided: what. */
  action?: DecisionAction;
  /** retrain: with which data, and the model version it should produce (linked to before/after rates once intake carries it). */
  data?: string;
  targetModelVersion?: string;
  /** change-rule: which rule, to what. */
  rule?: string;
  change?: string;
  /** schedule-training: which training, for whom. */
  training?: string;
  trainees?: string;
  /** add-capacity: how much, where. */
  capacity?: string;
  /** declined: why; deferred and decided: an optional note. */
  reason?: string;
  /** deferred: until when (epoch ms); re-raised then. */
  until?: number;
}

export interface RecordedOutcome extends DecisionOutcome {
  by: string;
  at: number;
}

export interface DecisionEvent {
  seq: number;
  at: number;
  actor: string;
  action: 'raised' | 'routed' | 'rerouted' | 'escalated' | 'decided' | 'declined' | 'deferred' | 're-raised';
  detail: Record<string, unknown>;
}

/** The facts a decision item starts with (its input, less the evidence, which goes to the ledger once). */
export interface DecisionFacts {
  id: string;
  workflowId: string;
  capability: string;
  region: string;
  area: string;
  triggerId: string;
  kind: TriggerKind;
  summary: string;
  raisedAt: number;
  dueInMs: number;
  escalation: DecisionStep[];
}

/** The workflow's whole state: bounded (the last outcome, a count of deferrals, the last five escalations). */
export interface DecisionState extends DecisionFacts {
  status: DecisionStatus;
  seq: number;
  route: Route | null;
  owner: string | null;
  dueAt: number;
  /** Escalation steps taken since the item was last (re-)raised. */
  escalationLevel: number;
  recentEscalations: Array<{ at: number; to: string | null; step: number }>;
  deferrals: number;
  deferUntil: number | null;
  outcome: RecordedOutcome | null;
  updatedAt: number;
  /**
   * The chained digest (domain/rules/digest.ts decisionEventDigest) of every event after `digestFrom`,
   * so `ledger:verify` compares the ledger's timeline, content and all, without the state holding it.
   * Absent on items raised before `patched('decision-event-digest')`; they start one when they continue as new.
   */
  eventDigest?: string;
  digestFrom?: number;
}

export interface DecisionReceipt {
  id: string;
  seq: number;
  status: DecisionStatus;
}

const privileged = (actor: Actor) => actor.roles.includes('admin') || actor.roles.includes('manager');
const tooLong = (value: string | undefined, max: number) => value !== undefined && value.length > max;

/** Who may record an outcome, and whether it says enough. The API's schema checks shapes; this checks meaning against the state. */
export function outcomeRefusal(state: Pick<DecisionState, 'status' | 'owner' | 'route' | 'deferrals'>, actor: Actor, o: DecisionOutcome, now: number): Refusal | null {
  if (isSettled(state.status)) return { type: 'Conflict', message: `The decision is already ${state.status}.` };
  const onRoute = state.owner === actor.id || state.route?.backup === actor.id || (state.route?.escalation ?? []).includes(actor.id);
  if (!onRoute && !privileged(actor)) return { type: 'Forbidden', message: `Only its owner (${state.owner ?? 'unowned'}), the backup, the chain or a manager may decide it.` };
  for (const key of ['data', 'rule', 'change', 'training', 'trainees', 'capacity', 'reason'] as const) {
    if (tooLong(o[key], OUTCOME_LIMITS.text)) return { type: 'Invalid', message: `${key} is at most ${OUTCOME_LIMITS.text} characters.`, path: key };
  }
  if (tooLong(o.targetModelVersion, 64)) return { type: 'Invalid', message: 'targetModelVersion is at most 64 characters.', path: 'targetModelVersion' };
  if (o.outcome === 'declined' && !o.reason?.trim()) return { type: 'Invalid', message: 'Say why it is declined.', path: 'reason' };
  if (o.outcome === 'deferred') {
    if (o.until === undefined || !Number.isFinite(o.until) || o.until <= now) return { type: 'Invalid', message: 'A deferral needs a date in the future (until).', path: 'until' };
    if (o.until - now > OUTCOME_LIMITS.maxDeferMs) return { type: 'Invalid', message: 'Defer by at most a year.', path: 'until' };
    if (state.deferrals >= OUTCOME_LIMITS.deferrals) return { type: 'Conflict', message: `Deferred ${state.deferrals} times already: decide or decline it.` };
  }
  if (o.outcome === 'decided') {
    const need: Record<DecisionAction, Array<keyof DecisionOutcome>> = {
      retrain: ['data'],
      'change-rule': ['rule', 'change'],
      'schedule-training': ['training', 'trainees'],
      'add-capacity': ['capacity'],
    };
    if (!o.action || !(DECISION_ACTIONS as readonly string[]).includes(o.action)) return { type: 'Invalid', message: `Say what was decided: ${DECISION_ACTIONS.join(', ')}.`, path: 'action' };
    const missing = need[o.action].find((k) => typeof o[k] !== 'string' || !(o[k] as string).trim());
    if (missing) return { type: 'Invalid', message: `A ${o.action} decision says ${need[o.action].join(' and ')}.`, path: missing };
  }
  return null;
}

/** When the next escalation step falls due, or null when every step was taken (or nothing is due while settled or deferred). */
export function nextEscalationAt(state: Pick<DecisionState, 'status' | 'dueAt' | 'escalation' | 'escalationLevel'>): number | null {
  if (state.status !== 'open') return null;
  const step = state.escalation[state.escalationLevel];
  return step ? state.dueAt + step.afterMs : null;
}

/** The inbox kinds of a decision item's notices: which events reach a person, and who. */
export const DECISION_NOTICE_OF_ACTION = { routed: 'decision-routed', rerouted: 'decision-rerouted', escalated: 'decision-escalated' } as const;
export type DecisionNoticeKind = (typeof DECISION_NOTICE_OF_ACTION)[keyof typeof DECISION_NOTICE_OF_ACTION];

export interface DecisionNotice {
  seq: number;
  person: string;
  kind: DecisionNoticeKind;
  level: number;
  reason: string;
  at: number;
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);

/**
 * Who an event concerns, and why: routed to the area's owner, rerouted to the new owner, escalated to
 * the step's target. One rule for the ledger's writer (inbox and mail) and for `ledger:verify`, which
 * recomputes the inbox from the verified timeline. An event without a person (unowned) reaches no one.
 */
export function decisionNotices(item: Pick<DecisionFacts, 'summary' | 'area' | 'region'>, events: ReadonlyArray<Pick<DecisionEvent, 'seq' | 'at' | 'action' | 'detail'>>): DecisionNotice[] {
  const notices: DecisionNotice[] = [];
  for (const e of events) {
    const kind = (DECISION_NOTICE_OF_ACTION as Record<string, DecisionNoticeKind>)[e.action];
    if (!kind) continue;
    const person = e.action === 'routed' ? text(e.detail.owner) : text(e.detail.to);
    if (!person) continue;
    const level = e.action === 'escalated' && typeof e.detail.step === 'number' ? e.detail.step : 0;
    const where = `${item.area} in ${item.region}`;
    const reason =
      e.action === 'routed'
        ? `A decision for ${where}, which you own: ${item.summary}`
        : e.action === 'rerouted'
          ? `A decision for ${where} moved to you from ${text(e.detail.from) ?? 'no one'} (${text(e.detail.reason) ?? 'ownership changed'}): ${item.summary}`
          : `A decision for ${where} is past due and escalated to you (step ${level} of ${typeof e.detail.of === 'number' ? e.detail.of : level}): ${item.summary}`;
    notices.push({ seq: e.seq, person, kind, level, reason: reason.slice(0, 2000), at: e.at });
  }
  return notices;
}

/** Past due: open after its due date. The log's overdue filter and the readiness criterion read the stored answer of this. */
export const overdueAt = (state: Pick<DecisionState, 'status' | 'dueAt'>): number | null => (state.status === 'open' ? state.dueAt : null);

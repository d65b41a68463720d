import { escalationTarget, type Actor, type Route } from '../../domain/rules/exception.js';
import { nextEscalationAt, type DecisionEvent, type DecisionOutcome, type DecisionState } from '../../domain/rules/decision.js';
import { decisionEventDigest } from '../../domain/rules/digest.js';
import type { DecisionInput } from './messages.js';

const SYSTEM = 'system';
const RECENT_ESCALATIONS = 5;

/**
 * One decision item's state and rules, free of Temporal: the workflow feeds it messages and the clock,
 * and records what it drains. Times are epoch milliseconds.
 */
export class DecisionItem {
  readonly state: DecisionState;
  private events: DecisionEvent[] = [];

  constructor(input: DecisionInput) {
    const { evidence: _evidence, carried, ...facts } = input;
    this.state = carried ?? {
      ...facts,
      status: 'open',
      seq: 0,
      route: null,
      owner: null,
      dueAt: facts.raisedAt + facts.dueInMs,
      escalationLevel: 0,
      recentEscalations: [],
      deferrals: 0,
      deferUntil: null,
      outcome: null,
      updatedAt: facts.raisedAt,
    };
  }

  get surfaced(): boolean {
    return this.state.route !== null;
  }

  drain(): DecisionEvent[] {
    const drained = this.events;
    this.events = [];
    return drained;
  }

  /** From now on every event joins the state's digest (`ledger:verify` checks the ledger's timeline by it). */
  startDigest(): void {
    if (this.state.digestFrom !== undefined) return;
    this.state.digestFrom = this.state.seq;
    this.state.eventDigest = '';
  }

  private record(at: number, actor: string, action: DecisionEvent['action'], detail: Record<string, unknown>): void {
    this.state.seq += 1;
    this.state.updatedAt = at;
    const event = { seq: this.state.seq, at, actor, action, detail };
    this.events.push(event);
    if (this.state.eventDigest !== undefined) this.state.eventDigest = decisionEventDigest(this.state.eventDigest, event);
  }

  surface(route: Route, now: number): void {
    this.state.route = route;
    this.state.owner = route.owner;
    this.record(now, SYSTEM, 'raised', { summary: this.state.summary, dueAt: this.state.dueAt });
    this.record(now, SYSTEM, 'routed', { owner: route.owner, ownerSource: route.ownerSource, matrixVersion: route.matrixVersion });
  }

  /** A matrix change or a departure: the item follows the cell's owner (or its backup), as an exception does. */
  reroute(route: Route, actor: string, reason: string, now: number): void {
    const before = this.state.owner;
    this.state.route = route;
    this.state.owner = route.owner;
    if (before !== route.owner) this.record(now, actor, 'rerouted', { from: before, to: route.owner, ownerSource: route.ownerSource, reason });
  }

  decide(actor: Actor, o: DecisionOutcome, now: number): void {
    const s = this.state;
    s.outcome = { ...o, by: actor.id, at: now };
    if (o.outcome === 'deferred') {
      s.status = 'deferred';
      s.deferUntil = o.until!;
      s.deferrals += 1;
    } else {
      s.status = o.outcome;
      s.deferUntil = null;
    }
    this.record(now, actor.id, o.outcome, { ...o });
  }

  /** When the workflow must next wake: a deferral ends, or an escalation step falls due. */
  nextWakeAt(): number | null {
    if (this.state.status === 'deferred') return this.state.deferUntil;
    return nextEscalationAt(this.state);
  }

  tick(now: number): void {
    const s = this.state;
    if (s.status === 'deferred' && s.deferUntil !== null && now >= s.deferUntil) {
      // Re-raised: open again with a fresh due date and the escalation ladder from its start.
      s.status = 'open';
      s.deferUntil = null;
      s.dueAt = now + s.dueInMs;
      s.escalationLevel = 0;
      this.record(now, SYSTEM, 're-raised', { dueAt: s.dueAt, deferrals: s.deferrals });
      return;
    }
    for (let at = nextEscalationAt(s); at !== null && now >= at; at = nextEscalationAt(s)) {
      const step = s.escalation[s.escalationLevel]!;
      const to = s.route ? escalationTarget({ after: '1s', notify: step.notify }, s.route) : null;
      s.escalationLevel += 1;
      s.recentEscalations = [...s.recentEscalations, { at: now, to, step: s.escalationLevel }].slice(-RECENT_ESCALATIONS);
      this.record(now, SYSTEM, 'escalated', { to, step: s.escalationLevel, of: s.escalation.length, notify: step.notify, dueAt: s.dueAt });
    }
  }
}

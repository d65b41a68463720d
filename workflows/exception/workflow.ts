import type { SearchAttributeUpdatePair, UpdateDefinition } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { stateDigest } from '../../domain/rules/digest.js';
import { isClosed, rules } from '../../domain/rules/exception.js';
import { RecentTransitions } from '../../domain/rules/recent-transitions.js';
import { stampRefusal, transitionTime } from '../../domain/rules/stamp.js';
import { refuse, unavailable } from '../errors.js';
import {
  ExceptionCapability,
  ExceptionClaimant,
  ExceptionEscalationLevel,
  ExceptionOwner,
  ExceptionRegion,
  ExceptionSeverity,
  ExceptionStatus,
} from '../search-attributes.js';
import { ExceptionCase } from './case.js';
import * as msg from './messages.js';

const { resolveRoute, recordTransition } = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' },
});
const { deliverWebhook } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12 },
});

/**
 * Histories from before this patch upsert the fixed search attributes on their own, every search
 * attribute on every transition, and wait with one timer per loop turn (including a silent wake when
 * an SLA lapses). Since: fixed attributes ride with the first transition, unchanged ones are not
 * written again, and one timer stands for as long as its wake-up time does.
 */
const LEAN_HISTORY = 'lean-history';
/**
 * Asked only where a command changes, so the common path pays no marker: histories from before these
 * schedule `deliverWebhook` from the workflow (now the ledger's outbox delivers), and record nothing
 * when the claimant claims again (now the renewed lease is an event).
 */
const OUTBOX = 'outbox';
const RECORD_RENEWALS = 'record-renewals';
/** Histories from before this shift a clock set during a snooze by the whole pause (see ExceptionCase). */
const SNOOZE_CLOCKS = 'snooze-clocks';
/** Histories from before this take a matrix change that keeps the owner silently (see ExceptionCase.reroute). */
const ROUTE_REFRESH = 'route-refresh';
/**
 * Exceptions started with `shape: 2` (everything raised since the fenced ledger) take every path above
 * and the kept wake timer without asking: their input says which code started them, so no patch
 * marker (and no TemporalChangeVersion upsert) is written into their history. Older runs ask `patched()`.
 *
 * `shape: 3` (raised since decision 0009) also writes no search attributes: the API sets the fixed ones
 * (capability, region, severity) when it starts the workflow, which costs no history event, and listings
 * read the ledger, never visibility; the API passes the route it read from the same ledger, so surfacing
 * needs no route lookup. A lifecycle costs three upserts and a marker fewer (docs/benchmarks.md).
 */
const FENCED_SHAPE = 2;
const CURRENT_SHAPE = 3;
/**
 * A region's calendar change reaches open exceptions by signal. Runs that could have received one
 * before this code (every run raised before shape 4) ask `patched()` where they apply it, so a history
 * in which the signal was ignored replays ignoring it.
 */
const CALENDAR_CHANGES = 'calendar-changes';
const CALENDAR_SHAPE = 4;

export async function exceptionWorkflow(input: msg.ExceptionInput): Promise<msg.ExceptionState> {
  const shape = input.shape ?? 1;
  const current = shape >= FENCED_SHAPE;
  const has = (patch: string) => current || wf.patched(patch);
  const c = new ExceptionCase(
    input,
    Date.now(),
    () => has(SNOOZE_CLOCKS),
    () => has(ROUTE_REFRESH),
  );
  const deliveries: Promise<unknown>[] = [];
  let reroute: msg.OwnershipChangedSignal | null = input.pendingReroute ?? null;
  let calendarChange: msg.CalendarChangedSignal | null = input.pendingCalendarChange ?? null;
  let recorded = c.state.seq;
  let payload = input.payload;
  let transitionsThisRun = 0;
  const lean = has(LEAN_HISTORY);
  const indexed = new SearchAttributeIndex(lean, shape < CURRENT_SHAPE);
  const wake = new WakeTimer(current);
  // In memory only (never in history): what the confirmer rebuilds a ledger tail from (decision 0009).
  const recent = new RecentTransitions();
  const receipt = (): msg.Receipt => ({ id: c.state.id, seq: c.state.seq, status: c.state.status, digest: stateDigest(c.state) });
  const continueAsNewDue = () =>
    wf.workflowInfo().continueAsNewSuggested || (input.continueAsNewAfter !== undefined && transitionsThisRun >= input.continueAsNewAfter);

  /**
   * Writes what changed to the ledger before the caller hears back (read-your-writes for listings).
   * The fence is this workflow task's start time: a retried or later task normally starts later, so
   * the ledger can tell a superseded attempt's write from a current one (ledger/projection.ts). Where
   * that is not enough (a dropped speculative task; a local activity resolved from an earlier attempt),
   * the receipt's digest and the transitions remembered here let the ledger find and repair it (decision 0009).
   */
  async function flush(): Promise<void> {
    const { events, notifications } = c.drain();
    if (events.length === 0) return;
    const state = c.state;
    recent.add({ events, notifications });
    await recordTransition({ fence: Date.now(), state, events, notifications, ...(payload ? { payload } : {}) });
    payload = undefined;
    recorded = Math.max(recorded, state.seq);
    transitionsThisRun += 1;
    indexed.update(state);
    if (state.webhook && notifications.length && !has(OUTBOX)) {
      deliveries.push(deliverWebhook({ url: state.webhook, exceptionId: state.id, notifications }).catch(() => undefined));
    }
  }

  /** Each transition: the validator refuses without touching history; the handler applies, records and answers a receipt. */
  function on<A extends [msg.Stamped]>(def: UpdateDefinition<msg.Receipt, A>, apply: (now: number, ...args: A) => void, validate: (...args: A) => void) {
    wf.setHandler(
      def,
      async (...args: A) => {
        // The API's stamp, never before the last transition, so the timeline never runs backwards; both
        // are in history, so a replay computes the same time (decision 0010).
        apply(transitionTime(args[0].at, c.state.updatedAt, Date.now()), ...args);
        await flush();
        return receipt();
      },
      {
        // Validators run when the update arrives, never on replay, so they may read the task's clock.
        validator: (...args: A) => {
          const skewed = stampRefusal(args[0].at, Date.now());
          if (skewed) throw unavailable(skewed);
          validate(...args);
        },
      },
    );
  }

  wf.setHandler(msg.getException, () => c.state);
  wf.setHandler(msg.getRecentTransitions, (since) => ({ state: c.state, transitions: recent.since(since) }));
  wf.setHandler(msg.intake, async ({ intakeId, dataDigest, at }) => {
    await wf.condition(() => c.surfaced && recorded >= 1);
    // A duplicate with other data than the last: fresh data, which resumes a wait (records only then).
    if (dataDigest !== undefined && intakeId !== input.intakeId && !isClosed(c.state.status)) {
      // The API's stamp, as for every transition update (decision 0010).
      c.freshData(dataDigest, transitionTime(at, c.state.updatedAt, Date.now()));
      await flush();
    }
    return { ...receipt(), created: intakeId === input.intakeId };
  });
  on(msg.claimException, (now, a) => c.claim(a.actor, now, c.state.claimant === a.actor.id && has(RECORD_RENEWALS)), (a) => refuse(rules.claim(c.state, a.actor)));
  on(msg.releaseException, (now, a) => c.release(a.actor, a.reason ?? null, now), (a) => refuse(rules.release(c.state, a.actor)));
  on(msg.reassignException, (now, a) => c.reassign(a.actor, a.to, a.reason, now), (a) => refuse(rules.reassign(c.state, a.actor, a.to, a.toStatus)));
  on(
    msg.resolveException,
    (now, a) => c.resolve(a.actor, a.code, a.note ?? null, a.valueEvent ?? null, now, a.quantity ?? null),
    (a) => refuse(rules.resolve(c.state, a.actor, a.valueEvent, c.state.valueEvents, a.quantity)),
  );
  on(msg.dismissException, (now, a) => c.dismiss(a.actor, a.reason, now), (a) => refuse(rules.dismiss(c.state, a.actor)));
  on(msg.commentOnException, (now, a) => c.comment(a.actor, a.text, now), () => refuse(rules.comment(c.state)));
  on(msg.escalateException, (now, a) => c.escalateByHand(a.actor, a.reason, now), () => refuse(rules.escalateByHand(c.state)));
  on(msg.snoozeException, (now, a) => c.snooze(a.actor, a.until, a.reason ?? null, now), (a) => refuse(rules.snooze(c.state, a.actor, a.until, Date.now())));
  on(msg.waitOnOthers, (now, a) => c.wait(a.actor, a.reason, a.note ?? null, a.until ?? null, now), (a) => refuse(rules.wait(c.state, a.actor, a.until ?? null, Date.now())));
  on(msg.resumeException, (now, a) => c.resume(now, a.actor.id, a.note ?? 'resumed by hand'), (a) => refuse(rules.resume(c.state, a.actor)));
  wf.setHandler(msg.ownershipChanged, (signal) => {
    reroute = signal;
  });
  wf.setHandler(msg.calendarChanged, (signal) => {
    calendarChange = signal;
  });

  if (!c.surfaced) {
    indexed.surface(input);
    const route = input.route ?? (await resolveRoute({ capability: input.capability, region: input.region, area: input.area, currentOwner: null })).route;
    c.surface(route, Date.now());
    await flush();
  }

  while (!isClosed(c.state.status)) {
    const seen = c.state.seq;
    const moved = () => c.state.seq !== seen || reroute !== null || calendarChange !== null || continueAsNewDue();
    if (lean) {
      wake.set(c.nextWakeAt(true));
      await wf.condition(() => moved() || wake.due);
    } else {
      const at = c.nextWakeAt(false);
      await wf.condition(moved, at === null ? undefined : Math.max(at - Date.now(), 1));
    }
    if (reroute && !isClosed(c.state.status)) {
      const { actor, reason, releaseClaimsOf } = reroute;
      reroute = null;
      const { route, currentOwnerActive } = await resolveRoute({ capability: c.state.capability, region: c.state.region, area: c.state.area, currentOwner: c.state.owner });
      if (releaseClaimsOf) c.releaseClaimOf(releaseClaimsOf, actor, reason, Date.now());
      c.reroute(route, currentOwnerActive, actor, reason, Date.now());
    }
    if (calendarChange) {
      const { calendar, actor, reason } = calendarChange;
      calendarChange = null;
      if (shape >= CALENDAR_SHAPE || wf.patched(CALENDAR_CHANGES)) c.changeCalendar(calendar, actor, reason, Date.now());
    }
    c.tick(Date.now());
    await flush();
    if (continueAsNewDue() && !isClosed(c.state.status)) {
      await wf.condition(wf.allHandlersFinished);
      await flush();
      await Promise.all(deliveries);
      if (isClosed(c.state.status)) break;
      // The next run carries the bounded state and any reroute or calendar change that arrived meanwhile;
      // never the payload. A run keeps its shape (at least the fenced one): a shape-2 run goes on writing
      // its search attributes.
      const { payload: _payload, carried: _carried, pendingReroute: _pending, pendingCalendarChange: _calendar, route: _route, ...facts } = input;
      await wf.continueAsNew<typeof exceptionWorkflow>({
        ...facts,
        shape: Math.max(shape, FENCED_SHAPE),
        carried: c.state,
        pendingReroute: reroute,
        ...(calendarChange ? { pendingCalendarChange: calendarChange } : {}),
      });
    }
  }
  await wf.condition(wf.allHandlersFinished);
  await Promise.all(deliveries);
  return c.state;
}

/**
 * The search attributes listings in the Temporal UI filter on, for runs before shape 3 (those write
 * none). Lean histories write the fixed ones with the first transition and any other only when it changes.
 */
class SearchAttributeIndex {
  private written = new Map<string, unknown>();
  private fixed: SearchAttributeUpdatePair[] = [];

  constructor(
    private readonly lean: boolean,
    private readonly enabled: boolean,
  ) {}

  surface(input: msg.ExceptionInput): void {
    if (!this.enabled) return;
    const fixed = [
      { key: ExceptionCapability, value: input.capability },
      { key: ExceptionRegion, value: input.region },
      { key: ExceptionSeverity, value: input.severity },
    ];
    if (this.lean) this.fixed = fixed;
    else wf.upsertSearchAttributes(fixed);
  }

  update(state: msg.ExceptionState): void {
    if (!this.enabled) return;
    const pairs: SearchAttributeUpdatePair[] = [
      ...this.fixed,
      { key: ExceptionStatus, value: state.status },
      { key: ExceptionOwner, value: state.owner ?? 'unowned' },
      { key: ExceptionClaimant, value: state.claimant },
      { key: ExceptionEscalationLevel, value: state.escalationLevel },
    ];
    this.fixed = [];
    const changed = this.lean ? pairs.filter((p) => this.written.get(p.key.name) !== p.value) : pairs;
    for (const p of changed) this.written.set(p.key.name, p.value);
    if (changed.length) wf.upsertSearchAttributes(changed);
  }
}

/**
 * One timer for the next wake-up, kept while that time stands, so most transitions write no timer events.
 * With `keepEarlier` (shape 2), a timer that falls due before the new wake-up time is kept rather than
 * cancelled: it fires a little early, the loop finds nothing due and sets the next one. A claim then
 * writes no TimerCanceled, and a resolve none at all; an earlier wake-up starts a timer beside it.
 */
class WakeTimer {
  private at: number | null = null;
  private scope: wf.CancellationScope | null = null;
  due = false;

  constructor(private readonly keepEarlier = false) {}

  set(at: number | null): void {
    if (at === this.at && !this.due) return;
    if (this.keepEarlier && !this.due && this.at !== null && (at === null || this.at <= at)) return;
    if (!this.due && !this.keepEarlier) this.scope?.cancel();
    this.scope = null;
    this.at = at;
    this.due = false;
    if (at === null) return;
    const scope = new wf.CancellationScope();
    this.scope = scope;
    scope.run(() => wf.sleep(Math.max(at - Date.now(), 1))).then(
      () => {
        if (this.scope === scope) this.due = true;
      },
      () => undefined,
    );
  }
}

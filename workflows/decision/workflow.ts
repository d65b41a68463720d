import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { isSettled, outcomeRefusal } from '../../domain/rules/decision.js';
import { stampRefusal, transitionTime } from '../../domain/rules/stamp.js';
import { refuse, unavailable } from '../errors.js';
import { DecisionItem } from './item.js';
import * as msg from './messages.js';

const { resolveRoute } = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' },
});
/**
 * A regular activity, not a local one: it runs only once the workflow task that produced the state is
 * in history, so the ledger never holds a transition history does not (decision items are few; the
 * extra events per transition cost nothing that matters). The update awaits it: read-your-writes.
 */
const { recordDecision } = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/**
 * A decision item (domain/rules/decision.ts): raised by a fired trigger, routed to the area's owner
 * through the matrix, escalated along the chain when its due date passes, and settled by an outcome.
 * A deferral sleeps until its date and raises the item again.
 */
export async function decisionWorkflow(input: msg.DecisionInput): Promise<msg.DecisionState> {
  const item = new DecisionItem(input);
  // Items raised before the digest carry none; a run that has one (a fresh item, or one continued as new
  // since) keeps it without asking, so its history holds the marker once.
  if (item.state.digestFrom === undefined && wf.patched('decision-event-digest')) item.startDigest();
  let evidence = input.evidence;
  let reroute: msg.OwnershipChangedSignal | null = null;

  async function flush(): Promise<void> {
    const events = item.drain();
    if (events.length === 0) return;
    await recordDecision({ state: item.state, events, ...(evidence ? { evidence } : {}) });
    evidence = undefined;
  }
  const receipt = (): msg.DecisionReceipt => ({ id: item.state.id, seq: item.state.seq, status: item.state.status });

  wf.setHandler(msg.getDecision, () => item.state);
  wf.setHandler(msg.ownershipChanged, (signal) => {
    reroute = signal;
  });
  wf.setHandler(
    msg.recordOutcome,
    async ({ actor, outcome, at }) => {
      // The API's stamp, which history holds (decision 0010).
      item.decide(actor, outcome, transitionTime(at, item.state.updatedAt, Date.now()));
      await flush();
      return receipt();
    },
    {
      validator: ({ actor, outcome, at }) => {
        const skewed = stampRefusal(at, Date.now());
        if (skewed) throw unavailable(skewed);
        refuse(outcomeRefusal(item.state, actor, outcome, Date.now()));
      },
    },
  );

  const s = item.state;
  if (!item.surfaced) {
    const { route } = await resolveRoute({ capability: s.capability, region: s.region, area: s.area, currentOwner: null });
    item.surface(route, Date.now());
    await flush();
  }

  while (!isSettled(item.state.status)) {
    const seen = item.state.seq;
    const at = item.nextWakeAt();
    await wf.condition(() => item.state.seq !== seen || reroute !== null, at === null ? undefined : Math.max(at - Date.now(), 1));
    if (reroute && !isSettled(item.state.status)) {
      const { actor, reason } = reroute;
      reroute = null;
      const { route } = await resolveRoute({ capability: s.capability, region: s.region, area: s.area, currentOwner: item.state.owner });
      item.reroute(route, actor, reason, Date.now());
    }
    item.tick(Date.now());
    await flush();
    if (wf.workflowInfo().continueAsNewSuggested && !isSettled(item.state.status)) {
      await wf.condition(wf.allHandlersFinished);
      await flush();
      if (isSettled(item.state.status)) break;
      const { evidence: _evidence, carried: _carried, ...facts } = input;
      await wf.continueAsNew<typeof decisionWorkflow>({ ...facts, carried: item.state });
    }
  }
  await wf.condition(wf.allHandlersFinished);
  return item.state;
}

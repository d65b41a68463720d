import { randomUUID } from 'node:crypto';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually } from '../world.js';

/**
 * A departure sweep waits for the work it moved. A stuck exception, or a person who comes back, used to
 * keep it polling every 500 ms in one run (about 11 events a poll) until the history limit ended it.
 * Temporal fires timers to about a second, so here the sweep does not wait at all (DEPARTURE_WAIT_MAX_MS=0)
 * and checks back to back. `npm test` runs it through three continue-as-new cycles (650 checks, seconds);
 * with SOAK=1 (`SOAK=1 npx vitest run test/ownership/departure-wait.test.ts`) it passes the number of checks
 * that filled the old sweep's history (4 705, about a minute and a half).
 */
let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  stack = await startStack({ env: { DEPARTURE_WAIT_MAX_MS: '0' } });
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

/** Temporal's default history limit, and the events one check of the old sweep took. */
const OLD_HISTORY_LIMIT = 51_200;
const OLD_EVENTS_PER_CHECK = 11;
/** What one run of the new sweep may hold: CHECKS_PER_RUN (200) checks of at most about 6 events, and the start. */
const CHECKS_PER_RUN = 200;
const MAX_EVENTS_PER_RUN = 1_400;
const CHECKS = process.env.SOAK ? Math.ceil(OLD_HISTORY_LIMIT / OLD_EVENTS_PER_CHECK) + 50 : 3 * CHECKS_PER_RUN + 50;

const now = Date.now();
/**
 * The ledger row of an open exception owned by `owner`, as recordTransition writes it and the confirmer
 * has confirmed it: left unconfirmed, the confirmer would keep asking the stuck workflow, which no
 * worker serves, and the stack's close would wait out that query.
 */
const ledgerRow = (id: string, owner: string) => ({
  id,
  capability: 'po-test',
  region: 'NA',
  type: 'price-variance',
  area: 'exception-queue',
  severity: 'medium',
  title: id,
  status: 'open',
  owner,
  claimant: null,
  escalation_level: 0,
  confidence: 0.5,
  claim_by: now + 3_600_000,
  resolve_by: now + 7_200_000,
  lease_until: null,
  snoozed_until: null,
  created_at: now,
  updated_at: now,
  closed_at: null,
  resolution_code: null,
  value_event: null,
  seq: 1,
  confirmed_seq: 1,
  state: '{}',
});

/** Every run of a workflow, newest first, by following each run back to the one it continued. */
async function allRuns(workflowId: string): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await stack.api.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push(history);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) return runs;
  }
}

describe('departure sweep waiting on work that does not move', () => {
  it('waits on a stuck exception in bounded runs (past the old history limit with SOAK=1), drops one whose workflow is gone, and stops when the person returns', async () => {
    const admin = w.admin;
    expect((await http(`${stack.url}/api/v1/people/sam`, { method: 'PUT', token: admin, body: { name: 'Sam', email: 'sam@example.com', managerId: 'grace', roles: ['owner'] } })).status).toBe(201);
    // Stuck: its workflow runs, on a task queue no worker polls, so it never takes the move.
    const stuck = `exception:po-test:STUCK-${randomUUID()}`;
    const stuckHandle = await stack.api.client.workflow.start('exceptionWorkflow', { workflowId: stuck, taskQueue: `nobody-polls-${randomUUID()}`, args: [{}] });
    // Gone: the ledger names sam, but there is no workflow at all.
    const gone = `exception:po-test:GONE-${randomUUID()}`;
    await stack.ledger.insertInto('exceptions').values([ledgerRow(stuck, 'sam'), ledgerRow(gone, 'sam')]).execute();

    const departure = () => http(`${stack.url}/api/v1/people/sam/departure`, { token: admin });
    void http(`${stack.url}/api/v1/people/sam/departure`, { token: admin, body: { reason: 'left the company' } });
    const early = await eventually(departure, (r) => r.status === 200 && (r.body.result.checks ?? 0) > 10, 60_000);
    expect(early.body.done).toBe(false);
    expect(early.body.result).toMatchObject({ stage: 'moving', pending: [stuck], stranded: [gone] });

    const late = await eventually(departure, (r) => (r.body.result.checks ?? 0) >= CHECKS, 480_000);
    expect(late.body.result.checks).toBeGreaterThanOrEqual(CHECKS);
    expect(late.body.result.pending).toEqual([stuck]);

    // Sam comes back: the sweep ends, saying so, and records that the stuck exception stayed with them.
    const back = await http(`${stack.url}/api/v1/people/sam`, { method: 'PUT', token: admin, body: { name: 'Sam', email: 'sam@example.com', managerId: 'grace', roles: ['owner'], reason: 'came back' } });
    expect(back.status).toBe(200);
    const ended = await eventually(departure, (r) => r.body.done === true, 60_000);
    expect(ended.body.result).toMatchObject({ stage: 'returned', completedAt: expect.any(String) });
    expect(ended.body.result.moves).toEqual(
      expect.arrayContaining([expect.objectContaining({ exceptionId: stuck, fromOwner: 'sam', toOwner: 'sam', claimReleased: false })]),
    );

    const runs = await allRuns('departure:sam');
    const lengths = runs.map((h) => h.events?.length ?? 0);
    const total = lengths.reduce((a, b) => a + b, 0);
    console.info(`departure sweep: ${ended.body.result.checks} checks in ${runs.length} runs, ${total} events, longest run ${Math.max(...lengths)}`);
    expect(runs.length).toBeGreaterThan(CHECKS / CHECKS_PER_RUN);
    for (const length of lengths) expect(length).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);
    await stuckHandle.terminate('test over');
  }, 600_000);
});

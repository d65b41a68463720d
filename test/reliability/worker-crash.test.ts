import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, enrolOperators, eventually, path, priceVariance } from '../world.js';
import { ledgerAnomalies, ledgerDisagreements, statusCounts } from './ledger-checks.js';
import { startWorkerProcess, tempDir, type Deployment, type Proc } from './processes.js';
import { startReceiver } from './receiver.js';
import { inParallel, report, scaled } from './soak.js';

/** Claim SLA of 3 s and escalation a second later: escalations are firing while the worker dies. */
const crashPolicy = {
  claimWithin: '3s',
  resolveWithin: '10m',
  claimLease: '10m',
  escalation: [
    { after: '1s', notify: 'backup' },
    { after: '3s', notify: 'escalation[0]' },
    { after: '5s', notify: 'manager-of-owner' },
  ],
  repeat: { every: '5s', times: 1 },
};

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let deployment: Deployment;
const workers: Proc[] = [];
let w: Awaited<ReturnType<typeof buildWorld>>;

beforeAll(async () => {
  receiver = await startReceiver();
  const webhookSecret = 'webhook-secret-for-the-crash-test-0123456789';
  // The API runs here; the worker is a separate OS process on the same namespace, queue and ledger file.
  stack = await startStack({ worker: false, env: { WEBHOOK_SECRET: webhookSecret, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  deployment = {
    temporalAddress: inject('temporalAddress'),
    namespace: stack.config.TEMPORAL_NAMESPACE,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    dataDir: stack.config.DATA_DIR,
    logDir: tempDir('worker-crash-logs'),
    workflowBundle: inject('workflowBundlePath'),
    webhookSecret,
  };
  workers.push(await startWorkerProcess(deployment, 'worker-1'));
  w = await buildWorld(stack, { id: 'po-crash', policy: crashPolicy });
  const rollout = await http(`${stack.url}/api/v1/capabilities/po-crash/regions/NA`, { method: 'PUT', token: w.admin, body: { notifications: { channel: { webhook: receiver.url } } } });
  expect(rollout.status, JSON.stringify(rollout.body)).toBe(200);
}, 180_000);

afterAll(async () => {
  for (const worker of workers) await worker.kill();
  await stack?.close();
  await receiver?.close();
});

/** What an operator does: claim, then resolve; a 5xx or a timeout during the outage is retried. */
async function settle(id: string, token: string): Promise<void> {
  const act = (action: string, body: object) => http(`${stack.url}/api/v1/exceptions/${path(id)}/${action}`, { token, body }).catch(() => ({ status: 599, body: null }));
  for (const [action, body] of [['claim', {}], ['resolve', { code: 'supplier-price-corrected' }]] as const) {
    for (;;) {
      const res = await act(action, body);
      if (res.status === 200) break;
      // A retried resolve whose first attempt landed answers 409 "already resolved".
      if (res.status === 409 && action === 'resolve' && /already resolved/.test(res.body?.detail)) break;
      if (res.status < 500) throw new Error(`${action} ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe('a worker killed with kill -9 mid-lifecycle', () => {
  it('loses no exception, writes no duplicate row and delivers every notification at least once', async () => {
    const count = scaled(50, 500);
    const started = Date.now();
    const raised = await inParallel(Array.from({ length: count }), 25, async () => {
      const res = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-crash') });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    });
    const operators = await enrolOperators(stack, w.admin, 'crash-op', 10);

    // Operators work through the queue at their own pace; some claims wait out escalations first.
    let done = 0;
    const working = inParallel(raised, 20, async (id, i) => {
      await new Promise((r) => setTimeout(r, Math.random() * 4000));
      await settle(id, operators[i % operators.length]!);
      done++;
    });
    await eventually(async () => done, (n) => n >= count * 0.3, 120_000);
    const escalatedBeforeKill = (await stack.ledger.selectFrom('exception_events').select('seq').where('action', '=', 'escalated').execute()).length;
    const inFlight = count - done;
    await workers[0]!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    workers.push(await startWorkerProcess(deployment, 'worker-2'));
    await working;

    const counts = await eventually(() => statusCounts(stack.ledger), (c) => c.resolved === count, 120_000);
    expect(counts).toEqual({ resolved: count });
    expect(await ledgerAnomalies(stack.ledger)).toEqual([]);
    expect(await ledgerDisagreements(stack.ledger, stack.api.client)).toEqual([]);
    const claims = await stack.ledger.selectFrom('exception_events').select('exception_id').where('action', '=', 'claimed').execute();
    expect(claims).toHaveLength(count);
    const escalations = (await stack.ledger.selectFrom('exception_events').select('seq').where('action', '=', 'escalated').execute()).length;
    expect(escalations).toBeGreaterThan(0);

    // Every inbox entry reached the webhook at least once, under the key a receiver dedupes on.
    const inbox = await stack.ledger.selectFrom('inbox').select(['exception_id', 'seq', 'person']).execute();
    const keys = inbox.map((n) => `${n.exception_id}#${n.seq}#${n.person}`);
    const undelivered = await eventually(async () => keys.filter((k) => !receiver.deliveries.has(k)), (missing) => missing.length === 0, 90_000);
    expect(undelivered).toEqual([]);
    const repeats = [...receiver.deliveries.values()].filter((n) => n > 1).length;
    report('worker-crash', {
      exceptions: count,
      inFlightAtKill: inFlight,
      escalatedBeforeKill,
      escalations,
      notifications: keys.length,
      deliveredKeys: receiver.deliveries.size,
      redelivered: repeats,
      webhookPosts: receiver.posts(),
      lost: count - (counts.resolved ?? 0),
      seconds: (Date.now() - started) / 1000,
    });
  }, scaled(600_000, 1_800_000));
});

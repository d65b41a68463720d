import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, enrolOperators, eventually, path, priceVariance } from '../world.js';
import { ledgerAnomalies, ledgerDisagreements, statusCounts } from './ledger-checks.js';
import { startApiProcess, startWorkerProcess, tempDir, type Deployment, type Proc } from './processes.js';
import { inParallel, report, retried, retryBusy, scaled } from './soak.js';

let stack: Stack;
let deployment: Deployment;
const apis: Array<Proc & { url: string }> = [];
const workers: Proc[] = [];
let w: Awaited<ReturnType<typeof buildWorld>>;
let raced = 0;

beforeAll(async () => {
  // The stack lends a namespace, a task queue and a ledger file; its in-process API only builds the world.
  stack = await startStack({ worker: false });
  deployment = {
    temporalAddress: inject('temporalAddress'),
    namespace: stack.config.TEMPORAL_NAMESPACE,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    dataDir: stack.config.DATA_DIR,
    logDir: tempDir('scale-out-logs'),
    workflowBundle: inject('workflowBundlePath'),
  };
  const [api1, api2, worker1, worker2] = await Promise.all([
    startApiProcess(deployment, 'api-1'),
    startApiProcess(deployment, 'api-2'),
    startWorkerProcess(deployment, 'worker-1'),
    startWorkerProcess(deployment, 'worker-2'),
  ]);
  apis.push(api1, api2);
  workers.push(worker1, worker2);
  w = await buildWorld(stack, { id: 'po-scale' });
}, 240_000);

afterAll(async () => {
  for (const proc of [...apis, ...workers]) await proc.kill();
  await stack?.close();
});

const apiFor = (i: number) => apis[i % apis.length]!.url;
const raise = async (i: number) => {
  const body = priceVariance('po-scale');
  const res = await retryBusy(() => http(`${apiFor(i)}/api/v1/exceptions`, { token: w.integration, body }));
  // 200 when a retry finds the exception its first, refused attempt already raised.
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.id as string;
};

describe('two API processes and two worker processes on one Temporal server and one ledger file', () => {
  it('gives a claim race spread across both APIs one winner', async () => {
    const races = scaled(3, 20);
    const tokens = await enrolOperators(stack, w.admin, 'scale-op', 50);
    for (let race = 0; race < races; race++) {
      const id = await raise(race);
      const claims = await Promise.all(tokens.map((token, i) => retryBusy(() => http(`${apiFor(i)}/api/v1/exceptions/${path(id)}/claim`, { token, body: {} }))));
      expect(claims.filter((c) => c.status !== 200 && c.status !== 409).map((c) => c.body)).toEqual([]);
      expect(claims.filter((c) => c.status === 200)).toHaveLength(1);
      const timeline = await http(`${apiFor(race + 1)}/api/v1/exceptions/${path(id)}/timeline`, { token: w.admin });
      expect(timeline.body.items.filter((e: { action: string }) => e.action === 'claimed')).toHaveLength(1);
      raced++;
    }
    report('scale-out.claim-race', { races, claimsPerRace: tokens.length, apis: apis.length, retriedBusy: retried.count });
  }, scaled(300_000, 1_800_000));

  it('carries on with one worker after the other is killed with kill -9', async () => {
    const count = scaled(25, 200);
    const before = await inParallel(Array.from({ length: count }), 10, (_, i) => raise(i));
    await workers[0]!.kill('SIGKILL');
    const killedAt = Date.now();
    const after = await inParallel(Array.from({ length: count }), 10, (_, i) => raise(i));
    const all = [...before, ...after];
    await inParallel(all, 10, async (id, i) => {
      for (const [action, body] of [['claim', {}], ['resolve', { code: 'supplier-price-corrected' }]] as const) {
        const res = await retryBusy(() => http(`${apiFor(i)}/api/v1/exceptions/${path(id)}/${action}`, { token: w.olivia, body }));
        expect(res.status, `${action} ${id}: ${JSON.stringify(res.body)}`).toBe(200);
      }
    });
    const counts = await eventually(() => statusCounts(stack.ledger), (c) => c.resolved === all.length, 60_000);
    // The claim-race exceptions of the first test stay claimed.
    expect(counts).toEqual({ resolved: all.length, claimed: raced });
    expect(await ledgerAnomalies(stack.ledger)).toEqual([]);
    // Each worker process's confirmer rebuilds a row another attempt wrote (decision 0009): nothing may differ.
    const differences = await ledgerDisagreements(stack.ledger, stack.api.client);
    report('scale-out.ledger-verify', { differences: differences.length, sample: differences.slice(0, 2) });
    expect(differences).toEqual([]);
    report('scale-out.worker-killed', { exceptions: all.length, raisedAfterKill: after.length, lost: all.length - (counts.resolved ?? 0), secondsAfterKill: (Date.now() - killedAt) / 1000, retriedBusy: retried.count });
  }, scaled(300_000, 1_800_000));
});

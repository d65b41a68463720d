import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

/**
 * Issue 13, Why §6: a webhook receiver that never answers, then a batch of intakes. Deliveries leave
 * from the outbox with their own concurrency limit (worker/outbox.ts), so they hold no activity slot:
 * a departure sweep is not slowed, and the worker stops at once, aborting the hanging deliveries.
 */
describe('a webhook receiver that never answers', () => {
  let stack: Stack;
  let receiver: Server;
  const hanging: IncomingMessage[] = [];
  let world: Awaited<ReturnType<typeof buildWorld>>;

  beforeAll(async () => {
    receiver = createServer((req) => {
      hanging.push(req); // never answered
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    stack = await startStack({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    world = await buildWorld(stack, { id: 'po-slow' });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/never`;
    const rollout = await http(`${stack.url}/api/v1/capabilities/po-slow/regions/NA`, { method: 'PUT', token: world.admin, body: { notifications: { channel: { webhook: url } } } });
    expect(rollout.status, JSON.stringify(rollout.body)).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('holds at most the outbox limit of connections, does not slow a departure sweep, and does not hold up shutdown', async () => {
    const items = Array.from({ length: 150 }, () => priceVariance('po-slow'));
    const batch = await http(`${stack.url}/api/v1/exceptions:batch`, { token: world.integration, body: { items } });
    expect(batch.status).toBe(200);
    expect(batch.body.created).toBe(150);
    await eventually(async () => hanging.length, (n) => n >= 8, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    // Eight deliveries in flight at most (the outbox's concurrency), however many are due.
    expect(hanging.length).toBe(8);

    // priya owns business-rules for NA: her departure moves all 150 to her backup.
    const started = Date.now();
    const sweep = await http(`${stack.url}/api/v1/people/priya/departure`, { token: world.admin, body: { reason: 'leaves the team' } });
    expect(sweep.status, JSON.stringify(sweep.body)).toBeLessThan(300);
    const done = sweep.body.done
      ? sweep.body
      : (await eventually(() => http(`${stack.url}/api/v1/people/priya/departure`, { token: world.admin }), (r) => r.body.done === true, 60_000)).body;
    const sweepSeconds = (Date.now() - started) / 1000;
    expect(done.done).toBe(true);
    expect(done.result.moves).toHaveLength(150);
    const one = await http(`${stack.url}/api/v1/exceptions/${path(batch.body.results[0].id)}`, { token: world.admin });
    expect(one.body.owner).toBe('li');
    // The sweep waits 2.5 s for late claims (issue 13 §2); the rest is the moves themselves.
    expect(sweepSeconds).toBeLessThan(20);

    const stopping = Date.now();
    await stack.worker!.shutdown();
    const shutdownSeconds = (Date.now() - stopping) / 1000;
    expect(shutdownSeconds).toBeLessThan(5);
    console.error(`[reliability] slow-receiver ${JSON.stringify({ intakes: 150, connectionsHeld: hanging.length, sweepSeconds, shutdownSeconds })}`);
  }, 120_000);
});

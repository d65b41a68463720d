import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, priceVariance } from '../world.js';

const SECRET = 'webhook-secret-for-tests-0123456789abcdef';
let stack: Stack;
let receiver: Server;
const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
let failFirst = true;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      // The first delivery fails, to prove the activity retries it.
      res.statusCode = failFirst ? 503 : 204;
      failFirst = false;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // The receiver is on loopback, which webhooks may reach only when the allowlist says so.
  stack = await startStack({ env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  const w = await buildWorld(stack, { id: 'po-hook' });
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/exceptions`;
  const rollout = await http(`${stack.url}/api/v1/capabilities/po-hook/regions/NA`, { method: 'PUT', token: w.admin, body: { notifications: { channel: { webhook: url } } } });
  expect(rollout.status, JSON.stringify(rollout.body)).toBe(200);
  const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-hook') });
  expect(raised.status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
  receiver?.close();
});

describe('webhook notifications', () => {
  it('delivers the assignment signed with HMAC-SHA256, with an idempotency key, retrying a failed attempt', async () => {
    await eventually(async () => received.length, (n) => n >= 2, 20_000);
    expect(received.length).toBeGreaterThanOrEqual(2);
    const [first, second] = received;
    expect(second!.body).toBe(first!.body);
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    const timestamp = String(second!.headers['x-exception-desk-timestamp']);
    const expected = createHmac('sha256', SECRET).update(`${timestamp}.${second!.body}`).digest('hex');
    expect(second!.headers['x-exception-desk-signature']).toBe(`sha256=${expected}`);
    const payload = JSON.parse(second!.body);
    expect(payload.notifications[0]).toMatchObject({ person: 'priya', kind: 'assigned', idempotencyKey: expect.stringMatching(/^exception:po-hook:.+#1#priya$/) });
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook receiver that keeps every delivery's notifications by idempotency key. */
export async function startReceiver() {
  const deliveries = new Map<string, number>();
  let posts = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts++;
      const { notifications } = JSON.parse(body) as { notifications: Array<{ idempotencyKey: string }> };
      for (const n of notifications) deliveries.set(n.idempotencyKey, (deliveries.get(n.idempotencyKey) ?? 0) + 1);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/exceptions`,
    deliveries,
    posts: () => posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { http, type HttpResult } from '../http.js';
import { path } from '../world.js';

/** What a client does with a refused connection or a "retry shortly": the next API, after a pause. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/**
 * The clients of the cluster test: each has an API it prefers (a load balancer's choice) and moves to
 * the next one when its API is gone (kill -9) or answers "retry shortly" (Temporal's history service
 * down), backing off, as any upstream system would.
 */
export class Clients {
  retried = 0;
  failedOver = 0;

  constructor(private readonly urls: () => string[]) {}

  async send(client: number, route: string, init: { method?: string; token: string; body?: unknown }, attempts = 60): Promise<HttpResult> {
    const urls = this.urls();
    for (let attempt = 0; ; attempt++) {
      const url = urls[(client + attempt) % urls.length]!;
      const res = await http(`${url}${route}`, init).catch((err: Error) => {
        if (attempt + 1 >= attempts) throw new Error(`${init.method ?? 'POST'} ${route} failed ${attempts} times; last: ${err.message}`);
        return undefined;
      });
      if (res && (!RETRY_STATUSES.has(res.status) || attempt + 1 >= attempts)) return res;
      if (!res) this.failedOver++;
      this.retried++;
      await new Promise((r) => setTimeout(r, Math.min(3000, 100 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random())));
    }
  }

  get(client: number, id: string, token: string): Promise<HttpResult> {
    return this.send(client, `/api/v1/exceptions/${path(id)}`, { method: 'GET', token });
  }

  /**
   * A transition; a 409 after a retry is accepted when the exception shows the transition was made (the
   * first attempt went through but its answer was lost with the API that was killed).
   */
  async act(client: number, id: string, action: string, token: string, body: object, made: (exception: any) => boolean): Promise<void> {
    const res = await this.send(client, `/api/v1/exceptions/${path(id)}/${action}`, { token, body });
    if (res.status === 200) return;
    if (res.status === 409 && made((await this.get(client, id, token)).body)) return;
    throw new Error(`${action} ${id}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  }
}

/** Runs `run` over `items` with `clients` of them at once; client i takes every item it can. */
export async function withClients<T>(items: T[], clients: number, run: (item: T, client: number, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, items.length) }, async (_, client) => {
      for (let i = next++; i < items.length; i = next++) await run(items[i]!, client, i);
    }),
  );
}

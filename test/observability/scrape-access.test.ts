import type { Connection } from '@temporalio/client';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createTokenVerifier } from '../../api/auth.js';
import { ConfigError, loadConfig } from '../../config/index.js';
import { parseScrapeAccess } from '../../platform/scrape-access.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';

let stack: Stack;
const servers: Server[] = [];
beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  for (const s of servers) s.close();
  await stack?.close();
});

const TOKEN = 'scrape-token-that-is-long-enough-0123456789';

/** An API on a free port with these METRICS_* settings, beside the stack's (same ledger and Temporal). */
async function apiWith(env: Record<string, string>): Promise<string> {
  const app = createApp({
    config: { ...stack.config, METRICS_SCRAPE: parseScrapeAccess(env.METRICS_SCRAPE ?? 'loopback'), METRICS_TOKEN: env.METRICS_TOKEN },
    logger: pino({ level: 'silent' }),
    verifier: createTokenVerifier(stack.config),
    version: 'test',
    connection: stack.api.client.connection as Connection,
    client: stack.api.client,
    namespace: stack.target.namespace,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    ledger: stack.ledger,
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

/** A scrape as it reaches the API through a proxy on this machine (trusted to say who the client is). */
const from = (address: string, headers: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': address, ...headers } });

describe('who may scrape /metrics (METRICS_SCRAPE, METRICS_TOKEN)', () => {
  it('answers this machine by default and refuses another address with 403 naming the setting', async () => {
    expect((await http(`${stack.url}/metrics`)).status).toBe(200);
    const refused = await http(`${stack.url}/metrics`, from('203.0.113.9'));
    expectProblem(refused, 403);
    expect(refused.body.detail).toContain('METRICS_SCRAPE');
    expect(refused.body.detail).toContain('203.0.113.9');
  });

  it('lets the listed addresses and ranges in, and no others', async () => {
    const url = await apiWith({ METRICS_SCRAPE: '203.0.113.0/24, 2001:db8::7' });
    expect((await http(url, from('203.0.113.9'))).status).toBe(200);
    expect((await http(url, from('2001:db8::7'))).status).toBe(200);
    expect((await http(url)).status).toBe(200);
    expectProblem(await http(url, from('198.51.100.1')), 403);
  });

  it('answers anyone with any, and nobody (404) with none', async () => {
    expect((await http(await apiWith({ METRICS_SCRAPE: 'any' }), from('198.51.100.1'))).status).toBe(200);
    expectProblem(await http(await apiWith({ METRICS_SCRAPE: 'none' })), 404);
  });

  it('wants the bearer token as well when METRICS_TOKEN is set', async () => {
    const url = await apiWith({ METRICS_TOKEN: TOKEN });
    expectProblem(await http(url), 401);
    expectProblem(await http(url, { headers: { authorization: 'Bearer wrong' } }), 401);
    expect((await http(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The token does not replace the address rule.
    expectProblem(await http(url, from('198.51.100.1', { authorization: `Bearer ${TOKEN}` })), 403);
  });

  it('refuses values it could not honour at start-up, naming the variable', () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(problem({ METRICS_SCRAPE: 'intranet' })).toContain('METRICS_SCRAPE="intranet": "intranet" is not an address or CIDR range');
    expect(problem({ METRICS_SCRAPE: '10.0.0.0/33' })).toContain('prefix length outside 0-32');
    expect(problem({ METRICS_TOKEN: 'short' })).toContain('METRICS_TOKEN');
    expect(problem({ METRICS_SCRAPE: 'none', METRICS_TOKEN: TOKEN })).toContain('METRICS_SCRAPE="none": turns /metrics off, yet METRICS_TOKEN is set');
    expect(problem({ WORKER_METRICS_PORT: 'ninety' })).toContain('WORKER_METRICS_PORT');
    expect(problem({ METRICS_SCRAPE: '10.0.0.0/8,fd00::/8' })).toBe('');
  });
});

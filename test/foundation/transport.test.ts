import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostName } from '../../api/routes/demo.js';
import { expectProblem, type HttpResult } from '../http.js';
import { startStack, type Stack } from '../stack.js';

/** node:http rather than fetch, which will not send a Host header of our choosing. */
function send(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpResult & { headers: Record<string, unknown> }> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: init.method ?? 'GET', headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...init.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const contentType = res.headers['content-type'] ?? '';
        resolve({ status: res.statusCode!, contentType, headers: res.headers, body: contentType.includes('json') && text ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

let demo: Stack;
let https: Stack;
beforeAll(async () => {
  [demo, https] = await Promise.all([startStack({ demoUsers: true, worker: false }), startStack({ worker: false, env: { PUBLIC_URL: 'https://desk.example.com' } })]);
});
afterAll(async () => Promise.all([demo?.close(), https?.close()]));

describe('HTTPS-only headers', () => {
  it('serves the console over plain HTTP on a LAN hostname without HSTS or upgrade-insecure-requests', async () => {
    const res = await send(demo.url, '/', { headers: { host: 'desk.test:3000' } });
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(res.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests');
  });

  it('sends them when a proxy on this machine says the request came over TLS', async () => {
    const res = await send(demo.url, '/', { headers: { host: 'desk.test', 'x-forwarded-proto': 'https' } });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
  });

  it('sends them on every response when PUBLIC_URL is https', async () => {
    const res = await send(https.url, '/healthz');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
  });
});

describe('demo users answer only on this machine', () => {
  it('lists demo users and mints tokens for a loopback Host', async () => {
    for (const host of ['localhost:3000', '127.0.0.1', '[::1]:3000']) {
      expect((await send(demo.url, '/api/v1/demo/users', { headers: { host } })).status, host).toBe(200);
    }
    // Answered (no such person), not refused.
    const minted = await send(demo.url, '/api/v1/demo/tokens', { method: 'POST', headers: { host: 'localhost' }, body: { person: 'nobody' } });
    expectProblem(minted, 404);
  });

  it('refuses a foreign Host, or a foreign X-Forwarded-Host, with 403 problem+json', async () => {
    expectProblem(await send(demo.url, '/api/v1/demo/users', { headers: { host: 'desk.test:3000' } }), 403);
    expectProblem(await send(demo.url, '/api/v1/demo/tokens', { method: 'POST', headers: { host: 'desk.test:3000' }, body: { person: 'grace' } }), 403);
    expectProblem(await send(demo.url, '/api/v1/demo/tokens', { method: 'POST', headers: { host: '127.0.0.1', 'x-forwarded-host': 'evil.example' }, body: { person: 'grace' } }), 403);
    expectProblem(await send(demo.url, '/api/v1/demo/users', { headers: { host: 'localhost.evil.example' } }), 403);
  });

  it('declares the 403 in the OpenAPI document', async () => {
    const doc = (await send(demo.url, '/openapi.json')).body;
    for (const [path, method] of [['/api/v1/demo/users', 'get'], ['/api/v1/demo/tokens', 'post']] as const) {
      expect(doc.paths[path][method].responses['403'].content['application/problem+json'], path).toBeDefined();
    }
  });

  it('reads the name from a Host header', () => {
    expect(['[::1]:3000', 'LOCALHOST:80', '127.0.0.1', 'desk.test:3000', ''].map(hostName)).toEqual(['[::1]', 'localhost', '127.0.0.1', 'desk.test', '']);
  });
});

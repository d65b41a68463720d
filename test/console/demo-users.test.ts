import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld } from '../world.js';

let demo: Stack;
let plain: Stack;
beforeAll(async () => {
  [demo, plain] = await Promise.all([startStack({ demoUsers: true }), startStack({ worker: false })]);
  await buildWorld(demo);
});
afterAll(async () => Promise.all([demo?.close(), plain?.close()]));

describe('the console and its demo users', () => {
  it('serves the console at / under a CSP that admits only its own import map', async () => {
    const response = await fetch(`${plain.url}/`);
    const page = await response.text();
    const csp = response.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).not.toContain('unsafe-inline');
    const importMap = /<script type="importmap">([^<]*)<\/script>/.exec(page)?.[1] ?? '';
    const { createHash } = await import('node:crypto');
    expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(importMap).digest('base64')}'`);
    for (const file of Object.values(JSON.parse(importMap).imports as Record<string, string>)) {
      expect((await fetch(`${plain.url}${file}`)).status, file).toBe(200);
    }
  });

  it('mints a token for an active person with their directory roles, and refuses bad input with field paths', async () => {
    const users = await http(`${demo.url}/api/v1/demo/users`);
    expect(users.body.items.map((u: { id: string }) => u.id)).toEqual(['dana', 'grace', 'li', 'olivia', 'omar', 'priya']);
    const minted = await http(`${demo.url}/api/v1/demo/tokens`, { body: { person: 'grace' } });
    expect(minted.status).toBe(201);
    const me = await http(`${demo.url}/api/v1/me`, { token: minted.body.token });
    expect(me.body).toMatchObject({ sub: 'grace', roles: ['manager'] });

    const bad = await http(`${demo.url}/api/v1/demo/tokens`, { body: { person: 'Not An Id', sub: 'root' } });
    expectProblem(bad, 400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['person']));
    expectProblem(await http(`${demo.url}/api/v1/demo/tokens`, { body: { person: 'nobody' } }), 404);
  });

  it('has no demo routes unless enabled, and never with an OIDC issuer', async () => {
    expectProblem(await http(`${plain.url}/api/v1/demo/users`), 404);
    expectProblem(await http(`${plain.url}/api/v1/demo/tokens`, { body: { person: 'grace' } }), 404);
    const documented = await http(`${demo.url}/openapi.json`);
    expect(Object.keys(documented.body.paths)).toContain('/api/v1/demo/tokens');

    const oidc = await startStack({ worker: false, demoUsers: true, env: { AUTH_JWKS_URL: 'https://login.example.com/jwks.json' } });
    try {
      expectProblem(await http(`${oidc.url}/api/v1/demo/tokens`, { body: { person: 'grace' } }), 404);
    } finally {
      await oidc.close();
    }
  });
});

import { createHmac } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, TEST_SECRET, type Stack } from '../stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
/** A standard HS256 JWT made by hand, without our minting code. */
function handMadeJwt(payload: object, secret = TEST_SECRET, header: object = { alg: 'HS256', typ: 'JWT' }) {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('health and readiness', () => {
  it('reports liveness without a token', async () => {
    const res = await http(`${stack.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('is ready once Temporal answers, a worker polls and the ledger opens', async () => {
    const res = await http(`${stack.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.body.checks.worker).toMatchObject({ ok: true });
    expect(res.body.checks.temporal).toMatchObject({ ok: true });
    expect(res.body.checks.ledger).toMatchObject({ ok: true });
  });

  it('runs a workflow through the real worker to the ledger and back on a deep check', async () => {
    const res = await http(`${stack.url}/readyz?deep=true`);
    expect(res.status).toBe(200);
    expect(res.body.selfCheck.ledgerMigrations).toContain('0001_audit_log');
    expect(res.body.selfCheck.workerIdentity).toMatch(/^\d+@/);
  });

  it('is not ready, and says why, when no worker polls its task queue', async () => {
    const lonely = await startStack({ worker: false });
    try {
      const res = await http(`${lonely.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.body.checks.worker.ok).toBe(false);
      expect(res.body.checks.worker.detail).toContain('no worker is polling');
    } finally {
      await lonely.close();
    }
  });
});

describe('authentication and roles', () => {
  const me = () => `${stack.url}/api/v1/me`;

  it('answers 401 problem+json without a token', async () => {
    const res = await http(me());
    expectProblem(res, 401);
  });

  it('answers 401 for a malformed token', async () => {
    expectProblem(await http(me(), { token: 'not-a-jwt' }), 401);
    expectProblem(await http(me(), { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } }), 401);
  });

  it('answers 401 for a token signed with another secret', async () => {
    const res = await http(me(), { token: handMadeJwt({ sub: 'alice', roles: ['operator'], exp: now() + 60 }, 'another-secret-another-secret-another') });
    expectProblem(res, 401);
    expect(res.body.detail).toMatch(/signature/i);
  });

  it('answers 401 for an expired token', async () => {
    const res = await http(me(), { token: handMadeJwt({ sub: 'alice', roles: ['operator'], exp: now() - 120 }) });
    expectProblem(res, 401);
    expect(res.body.detail).toMatch(/expired/i);
  });

  it('answers 401 for alg: none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['admin'], exp: now() + 60 })}.`;
    expectProblem(await http(me(), { token }), 401);
  });

  it('accepts any standard HS256 token with sub and roles, and reports the caller', async () => {
    const token = handMadeJwt({ sub: 'alice', roles: ['operator', 'not-a-role'], scope: ['po-assist:NA'], exp: now() + 60 });
    const res = await http(me(), { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'alice', roles: ['operator'], scope: ['po-assist:NA'] });
  });

  it('answers 403 problem+json for a role that may not call the route', async () => {
    const res = await http(`${stack.url}/api/v1/audit-log`, { token: await stack.token('olivia', 'operator') });
    expectProblem(res, 403);
    expect(res.body.requiredRoles).toEqual(['manager', 'admin']);
  });

  it('lets a manager read the audit log', async () => {
    const res = await http(`${stack.url}/api/v1/audit-log`, { token: await stack.token('maria', 'manager') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('API conventions', () => {
  it('answers an unknown route with problem+json 404', async () => {
    const res = await http(`${stack.url}/api/v1/no-such-thing`, { token: await stack.token('alice', 'admin') });
    expectProblem(res, 404);
    expect(res.body.detail).toContain('/api/v1/no-such-thing');
  });

  it('rejects an unknown or malformed query parameter with 400 and its field path', async () => {
    const token = await stack.token('maria', 'manager');
    const res = await http(`${stack.url}/api/v1/audit-log?limit=0&colour=blue`, { token });
    expectProblem(res, 400);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('query.limit');
    expect(paths.some((p: string) => p.startsWith('query'))).toBe(true);
    expect(JSON.stringify(res.body.errors)).toContain('colour');
  });

  it('rejects a cursor it never issued with 400', async () => {
    const res = await http(`${stack.url}/api/v1/audit-log?cursor=bm9wZQ`, { token: await stack.token('maria', 'manager') });
    expectProblem(res, 400);
    expect(res.body.errors[0].path).toBe('query.cursor');
  });

  it('serves an OpenAPI document that passes a validator, and a docs page', async () => {
    const res = await http(`${stack.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = await SwaggerParser.validate(structuredClone(res.body));
    expect(document.paths?.['/api/v1/audit-log']).toBeDefined();
    const docs = await http(`${stack.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('swagger-ui-bundle.js');
    expect(await (await fetch(`${stack.url}/docs/init.js`)).text()).toContain('/openapi.json');
    expect((await fetch(`${stack.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from '@temporalio/client';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createTokenVerifier, ISSUER } from '../../api/auth.js';
import type { DeclaredRoute } from '../../api/route.js';
import { Role } from '../../domain/principal.js';
import { expectProblem, http } from '../http.js';
import { startStack, TEST_SECRET, type Stack } from '../stack.js';
import { buildWorld, eventually, priceVariance, shippedVersion } from '../world.js';
import { raiseDecisions } from '../../activities/decisions.js';
import { report } from './soak.js';
import { verifyLedgerAfterwards } from './ledger-checks.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
let exceptionId: string;
let decisionId: string;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
  exceptionId = (await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() })).body.id;
  // A decision item in po-test:NA, started as a fired trigger starts one, for the decision routes.
  const workflowId = `decision:${w.capability}:NA:token-matrix`;
  const raisedAt = Date.now();
  const { raised } = await raiseDecisions(stack.api.client, stack.config.TEMPORAL_TASK_QUEUE, [
    { id: `${workflowId}@${raisedAt}`, workflowId, capability: w.capability, region: 'NA', area: 'business-rules', triggerId: 'token-matrix', kind: 'repeated-resolution', summary: 'token matrix', raisedAt, dueInMs: 3_600_000, escalation: [{ afterMs: 3_600_000, notify: 'backup' }] },
  ]);
  decisionId = raised[0]!;
  await eventually(() => stack.ledger.selectFrom('decisions').select('id').where('id', '=', decisionId).executeTakeFirst(), (row) => row !== undefined);
});
afterAll(async () => stack?.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (claims: Record<string, unknown>, secret = TEST_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('mallory').setIssuer(ISSUER).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret));

/** Tokens every protected route must refuse with 401. */
const badTokens = async (): Promise<Record<string, string | undefined>> => {
  const now = Math.floor(Date.now() / 1000);
  return {
    missing: undefined,
    malformed: 'not.a.jwt',
    'wrong signature': await sign({ roles: ['admin'] }, 'another-secret-that-is-long-enough-0123456789'),
    expired: await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(TEST_SECRET)),
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['admin'], exp: now + 3600 })}.`,
    // Fail closed: a token that would work forever, or a scope that does not parse (which would read as unrestricted).
    'no exp': await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setIssuedAt().sign(new TextEncoder().encode(TEST_SECRET)),
    'lifetime past AUTH_MAX_TOKEN_LIFETIME': await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuedAt(now)
      .setExpirationTime(now + 30 * 86_400)
      .sign(new TextEncoder().encode(TEST_SECRET)),
    'issued in the future': await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuedAt(now + 3600)
      .setExpirationTime(now + 7200)
      .sign(new TextEncoder().encode(TEST_SECRET)),
    'malformed scope entry (string)': await sign({ roles: ['admin'], scope: 'PO-Assist:EMEA' }),
    'malformed scope entry (list)': await sign({ roles: ['admin'], scope: ['po-test:NA', 'PO-Assist:EMEA'] }),
    'scope neither list nor string': await sign({ roles: ['admin'], scope: { 'po-test': 'NA' } }),
  };
};

/** A request the route would accept from an unrestricted admin, so only the token decides the answer. */
const sampleBody: Record<string, unknown> = {
  'put /api/v1/capabilities/{capabilityId}': {},
  'put /api/v1/capabilities/{capabilityId}/regions/{region}': {},
  'put /api/v1/capabilities/{capabilityId}/ownership/{region}/{area}': { owner: 'priya', backup: 'li', escalation: ['dana'], reason: 'scope test' },
  'put /api/v1/people/{personId}': { name: 'Priya', email: 'priya@example.com', managerId: 'grace', roles: ['owner', 'operator'] },
  'post /api/v1/people/{personId}/departure': { reason: 'scope test' },
  'post /api/v1/exceptions': priceVariance(),
  'post /api/v1/exceptions:batch': { items: [priceVariance()] },
  'put /api/v1/capabilities/{capabilityId}/regions/{region}/stage': { stage: 'production', override: true, reason: 'scope test' },
  'post /api/v1/capabilities/{capabilityId}/regions/{region}/adoption': { version: shippedVersion },
  'post /api/v1/reports': { events: [{ kind: 'decision', key: `MATRIX-${Date.now()}`, capability: 'po-test', region: 'NA', occurredAt: new Date().toISOString() }] },
  'post /api/v1/exceptions/{id}/reassign': { to: 'dana', reason: 'scope test' },
  'post /api/v1/exceptions/{id}/resolve': { code: 'supplier-price-corrected' },
  'post /api/v1/exceptions/{id}/dismiss': { reason: 'scope test' },
  'post /api/v1/exceptions/{id}/comments': { text: 'scope test' },
  'post /api/v1/exceptions/{id}/escalate': { reason: 'scope test' },
  'post /api/v1/exceptions/{id}/snooze': { until: new Date(Date.now() + 3_600_000).toISOString() },
  'post /api/v1/decisions/{id}/outcome': { outcome: 'declined', reason: 'scope test' },
  'post /api/v1/exceptions/{id}/waiting': { reason: 'supplier' },
  'post /api/v1/capabilities/{capabilityId}/attestations/{campaignId}/answers': { region: 'NA', area: 'business-rules', answer: 'confirm' },
  'post /api/v1/capabilities/{capabilityId}/attestations/{campaignId}/cancel': { reason: 'token matrix' },
};
const keyOf = (r: DeclaredRoute) => `${r.method} ${r.path}`;
const urlOf = (r: DeclaredRoute) =>
  stack.url + r.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(({ id: r.path.startsWith('/api/v1/decisions/') ? decisionId : exceptionId, capabilityId: w.capability, region: 'NA', area: 'business-rules', personId: 'priya', version: String(shippedVersion) } as Record<string, string>)[name]!));
const call = (r: DeclaredRoute, token: string | undefined) =>
  http(urlOf(r), { method: r.method.toUpperCase(), token, ...(r.method === 'get' ? {} : { body: sampleBody[keyOf(r)] ?? {} }) });

/** Routes whose declared scope refuses a token scoped elsewhere (api/scope.ts); listings filter instead, a batch refuses per item. */
const refusing = new Set(['resource', 'capability', 'person']);

describe('the token matrix, generated from the route table', () => {
  it('declares routes, most of them protected', () => {
    expect(stack.api.routes.filter((r) => r.roles).length).toBeGreaterThan(20);
  });

  it('refuses a missing, malformed, wrongly signed, expired, unsigned, unexpiring, too long-lived or badly scoped token with 401 on every protected route', async () => {
    const tokens = await badTokens();
    let checks = 0;
    for (const route of stack.api.routes.filter((r) => r.roles)) {
      for (const [name, token] of Object.entries(tokens)) {
        const res = await call(route, token);
        expect(res.status, `${keyOf(route)} with a ${name} token`).toBe(401);
        expectProblem(res, 401);
        checks++;
      }
    }
    report('token-matrix.401', { checks });
  });

  it('refuses a valid token without a listed role with 403 on every protected route', async () => {
    let checks = 0;
    const open: string[] = [];
    for (const route of stack.api.routes.filter((r) => r.roles)) {
      const outsiders = Role.options.filter((role) => role !== 'admin' && !route.roles!.includes(role));
      if (outsiders.length === 0) open.push(keyOf(route));
      for (const role of outsiders) {
        const res = await call(route, await stack.token(`no-${role}`, role));
        expect(res.status, `${keyOf(route)} as ${role}`).toBe(403);
        expectProblem(res, 403);
        checks++;
      }
    }
    report('token-matrix.403-role', { checks, routesOpenToEveryRole: open.length });
  });

  it('refuses a token scoped to another capability or region with 403 on every route about po-test:NA, by its declared scope', async () => {
    let checks = 0;
    let filtered = 0;
    let refused = 0;
    const scopes = { 'other capability': ['po-elsewhere:NA'], 'other region': [`${w.capability}:EU`] };
    for (const route of stack.api.routes.filter((r) => r.roles && r.scope !== 'none')) {
      for (const [name, scope] of Object.entries(scopes)) {
        const token = await stack.mint({ sub: 'grace', roles: ['admin'], scope });
        const res = await call(route, token);
        const label = `${keyOf(route)} (${route.scope}) with ${name}: ${JSON.stringify(res.body).slice(0, 300)}`;
        checks++;
        if (refusing.has(route.scope)) {
          expect(res.status, label).toBe(403);
          expectProblem(res, 403);
          refused++;
        } else if (route.scope === 'items') {
          expect(res.body.results.map((r: { status: number }) => r.status), label).toEqual([403]);
        } else if (res.status === 403) {
          refused++;
        } else {
          // A listing: 200 with nothing of po-test:NA (403 when the scope reaches none of the capability).
          filtered++;
          expect(res.status, label).toBe(200);
          expect(JSON.stringify(res.body), label).not.toMatch(/"region":"NA"|"NA":|\["NA"\]/);
          expect(JSON.stringify(res.body), label).not.toContain(exceptionId);
        }
      }
    }
    report('token-matrix.403-scope', { checks, refused, filtered, perItem: checks - refused - filtered });
  });
});

describe('AUTH_REQUIRE_SCOPE: every token scoped', () => {
  let url: string;
  let server: Server;
  beforeAll(async () => {
    const config = { ...stack.config, AUTH_REQUIRE_SCOPE: true };
    const app = createApp({
      config,
      logger: pino({ level: 'silent' }),
      verifier: createTokenVerifier(config),
      version: 'test',
      connection: stack.api.client.connection as Connection,
      client: stack.api.client,
      namespace: stack.target.namespace,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      ledger: stack.ledger,
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server?.close());

  it('refuses a token with no usable scope pair with 401 on every protected route, and takes a scoped one', async () => {
    const unscoped = {
      'no scope claim': await stack.token('grace', 'admin'),
      'OAuth scopes only': await sign({ roles: ['admin'], scope: 'openid profile' }),
      'an empty list': await stack.mint({ sub: 'grace', roles: ['admin'], scope: [] }),
    };
    const scoped = await stack.mint({ sub: 'grace', roles: ['admin'], scope: [`${w.capability}:NA`] });
    let checks = 0;
    for (const route of stack.api.routes.filter((r) => r.roles)) {
      const at = (token: string) => http(url + urlOf(route).slice(stack.url.length), { method: route.method.toUpperCase(), token, ...(route.method === 'get' ? {} : { body: sampleBody[keyOf(route)] ?? {} }) });
      for (const [name, token] of Object.entries(unscoped)) {
        const res = await at(token);
        expect(res.status, `${keyOf(route)} with ${name}`).toBe(401);
        expect(res.body.detail).toContain('AUTH_REQUIRE_SCOPE');
        checks++;
      }
      expect((await at(scoped)).status, `${keyOf(route)} scoped`).not.toBe(401);
    }
    report('token-matrix.require-scope', { checks });
  });
});

verifyLedgerAfterwards('token-matrix', () => stack);

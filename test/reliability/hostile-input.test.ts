import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeclaredRoute } from '../../api/route.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, priceVariance } from '../world.js';
import { http } from '../http.js';
import { checkProperty, report, scaled } from './soak.js';
import { verifyLedgerAfterwards } from './ledger-checks.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
let exceptionId: string;
beforeAll(async () => {
  stack = await startStack();
  w = await buildWorld(stack);
  exceptionId = (await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance() })).body.id;
});
afterAll(async () => stack?.close());

const nasty = fc.oneof(
  fc.constantFrom(
    '', ' ', '__proto__', 'constructor', 'prototype', 'toString', '\u0000', '\ud800', '\udfff', '\ufeff', '\u202e', 'e\u0301', '👩‍👩‍👧‍👦',
    '%', '%E0%A4%A', '..', '../..', '%2e%2e%2f', '\\', 'null', 'true', '-1', '1e999', 'NaN', '<script>', "' or 1=1 --", '${x}', '{{x}}',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);
/** Mostly short: a long URL is refused whole (431) before any route could look at it. */
const nastyShort = fc.oneof({ arbitrary: nasty, weight: 1 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 6 });
const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', ''), fc.string({ maxLength: 12 }));
const hostileValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nasty,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** JSON text that no parser should choke on: deep nesting, proto keys, broken syntax, odd encodings. */
const rawBody = fc.oneof(
  fc.integer({ min: 100, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 100, max: 100_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.constantFrom('{"__proto__":{"roles":["admin"]}}', '{"constructor":{"prototype":{"x":1}}}', '{', '{"a":1,}', "{'a':1}", 'undefined', 'NaN', '\ufeff{}', '"\\ud800"', '1'.repeat(400), '[1,2,3', 'null'),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constant('"' + 'y'.repeat(1_100_000) + '"'),
  // A well-formed intake whose payload nests deeper than any recursive walker can follow.
  fc.integer({ min: 1_000, max: 100_000 }).map((depth) => JSON.stringify(priceVariance()).replace('"payload":{', `"payload":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`)),
);
const contentType = fc.constantFrom(
  'application/json', 'application/json', 'application/json', 'application/json', 'application/json; charset=utf-16', 'application/merge-patch+json', 'text/plain', 'application/yaml',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', undefined,
);

/** A price-variance intake with one field swapped for something hostile: it reaches the contract checks. */
const mutatedIntake = fc.tuple(fc.constantFrom('capability', 'region', 'type', 'sourceKey', 'title', 'severity', 'confidence', 'sourceRefs', 'qualityChecks', 'payload', '__proto__', 'payload.unitPrice', 'payload.__proto__'), hostileValue).map(([field, value]) => {
  const intake: Record<string, any> = priceVariance();
  const [head, tail] = field.split('.') as [string, string | undefined];
  if (tail) Object.defineProperty(intake[head], tail, { value, enumerable: true, configurable: true, writable: true });
  else Object.defineProperty(intake, head, { value, enumerable: true, configurable: true, writable: true });
  return intake;
});

const knownParam: Record<string, () => string> = {
  id: () => exceptionId,
  capabilityId: () => w.capability,
  region: () => 'NA',
  area: () => 'business-rules',
  personId: () => 'nobody-here',
};

interface Case {
  route: number;
  params: Record<string, string | null>;
  query: Array<[string, string]>;
  body: { json: unknown } | { raw: string } | { intake: Record<string, unknown> } | null;
  contentType: string | undefined;
}

const caseOf = (routes: DeclaredRoute[]): fc.Arbitrary<Case> =>
  fc.record({
    // A third of the cases go to intake, where a refusal must also land in the quarantine.
    route: fc.oneof({ arbitrary: fc.nat({ max: routes.length - 1 }), weight: 2 }, { arbitrary: fc.constant(routes.findIndex((r) => r.method === 'post' && r.path === '/api/v1/exceptions')), weight: 1 }),
    params: fc.dictionary(fc.constantFrom('id', 'capabilityId', 'region', 'area', 'personId'), fc.option(nastyShort, { nil: null, freq: 3 }), { maxKeys: 5 }),
    query: fc.oneof(fc.constant<Array<[string, string]>>([]), fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', 'status', 'sort', 'region', 'capability', 'escalated', '__proto__'), hostileKey), nastyShort), { maxLength: 3 })),
    body: fc.oneof(fc.constant(null), hostileValue.map((json) => ({ json })), rawBody.map((raw) => ({ raw })), { arbitrary: mutatedIntake.map((intake) => ({ intake })), weight: 3 }),
    contentType,
  });

function urlOf(route: DeclaredRoute, c: Case): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = c.params[name] ?? knownParam[name]?.() ?? 'x';
    // Half the nasty values go out percent-encoded, the rest raw (a bare % must not become a 500).
    try {
      return value.length % 2 ? encodeURIComponent(value) : encodeURI(value).replace(/[?#/]/g, encodeURIComponent);
    } catch {
      // A lone surrogate has no UTF-8 form: send the bytes a broken client would (invalid UTF-8).
      return '%ED%A0%80';
    }
  });
  const query = new URLSearchParams(c.query).toString();
  return `${stack.url}${path}${query ? `?${query}` : ''}`;
}

describe('hostile input on every route', () => {
  it('refuses an intake nested 100 000 levels deep with a 400, and quarantines it', async () => {
    const depth = 100_000;
    const deepPayload = JSON.stringify(priceVariance()).replace('"payload":{', `"payload":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`);
    for (const rawBody of [deepPayload, '['.repeat(depth) + ']'.repeat(depth)]) {
      const res = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, rawBody, headers: { 'content-type': 'application/json' } });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      const row = await stack.ledger.selectFrom('quarantine').select('body').where('id', '=', res.body.quarantineId).executeTakeFirstOrThrow();
      expect(row.body).toContain('nested deeper than 64 levels');
    }
  });

  it('never answers 5xx; every 4xx is problem+json with a message; every refused intake is quarantined', async () => {
    const routes = stack.api.routes;
    const numRuns = scaled(1500, 10_000);
    const statuses: Record<number, number> = {};
    let quarantined = 0;
    await checkProperty(
      fc.asyncProperty(caseOf(routes), async (c) => {
        const route = routes[c.route]!;
        const raw = c.body === null ? undefined : 'raw' in c.body ? c.body.raw : JSON.stringify('json' in c.body ? c.body.json : c.body.intake);
        const headers: Record<string, string> = { authorization: `Bearer ${w.admin}` };
        if (c.contentType && raw !== undefined) headers['content-type'] = c.contentType;
        const method = route.method.toUpperCase();
        const res = await fetch(urlOf(route, c), { method, headers, body: method === 'GET' ? undefined : raw });
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        expect(res.status, `${method} ${route.path} → ${text.slice(0, 500)}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          const problem = JSON.parse(text) as { status: number; title: string; detail: string; quarantineId?: number };
          expect(problem.status).toBe(res.status);
          expect(problem.detail.length).toBeGreaterThan(5);
          if (route.method === 'post' && route.path === '/api/v1/exceptions' && (res.status === 400 || res.status === 422) && problem.quarantineId === undefined) {
            // Refused before it is an intake: a body that never parsed (bad JSON, wrong content type) or a bad query.
            expect(problem.detail).toMatch(/not valid JSON|Send the body as|request query is invalid/);
          }
          if (problem.quarantineId !== undefined) {
            quarantined++;
            const row = await stack.ledger.selectFrom('quarantine').select('id').where('id', '=', problem.quarantineId).executeTakeFirst();
            expect(row, 'the refused intake is in the quarantine').toBeDefined();
          }
        }
      }),
      { numRuns },
    );
    report('hostile-input', { cases: numRuns, routes: routes.length, statuses, quarantined });
  }, scaled(600_000, 1_800_000));
});

verifyLedgerAfterwards('hostile-input', () => stack);

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../server/demo.js';
import { loadTemplates } from '../../server/templates.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';

let demo: Stack;
let plain: Stack;
beforeAll(async () => {
  [demo, plain] = await Promise.all([startStack({ demoUsers: true }), startStack({ worker: false })]);
  // What `npm start` loads on an empty data folder.
  const logger = pino({ level: 'silent' });
  await loadTemplates(demo.ledger, logger);
  await seedDemo({ client: demo.api.client, taskQueue: demo.config.TEMPORAL_TASK_QUEUE, ledger: demo.ledger }, logger);
});
afterAll(async () => Promise.all([demo?.close(), plain?.close()]));

describe('the console, its demo data and its demo users', () => {
  it('gives a newcomer open exceptions to work and the gaps the departed pilot team left', async () => {
    const manager = await demo.token('grace', 'manager');
    const open = await http(`${demo.url}/api/v1/exceptions?status=open&capability=po-assist`, { token: manager });
    // Six to work, and four more behind the demo's decision items (server/demo-decisions.ts): three overrides by one buyer, one from po-rec-2.4.0.
    expect(open.body.items).toHaveLength(10);
    expect(new Set(open.body.items.map((e: { region: string }) => e.region))).toEqual(new Set(['NA', 'EMEA']));
    expect(open.body.items.every((e: { owner: string | null }) => e.owner && !['marco', 'sofia'].includes(e.owner))).toBe(true);
    const gaps = await http(`${demo.url}/api/v1/audit/ownership-gaps?capability=po-assist&kind=no-backup`, { token: manager });
    // NA's were filled after the sweeps; EMEA's wait for a manager.
    expect(gaps.body.items.map((g: { region: string; area: string }) => `${g.region}/${g.area}`).sort()).toEqual(['EMEA/adoption-training', 'EMEA/model-retraining']);
  });

  it('asks each area owner one open decision, raised from the demo data', async () => {
    const manager = await demo.token('grace', 'manager');
    const log = await http(`${demo.url}/api/v1/decisions?capability=po-assist&status=open`, { token: manager });
    expect(log.body.items.map((d: { area: string; region: string; triggerId: string; owner: string }) => `${d.area} ${d.region} ${d.triggerId} ${d.owner}`).sort()).toEqual([
      'adoption-training NA overrides-by-buyer dana',
      'business-rules NA price-variance-overrides jordan',
      'exception-queue EMEA stale-input-repeats hannah',
      'model-retraining EMEA new-model-version amara',
    ]);
  });

  it('shows a real scorecard: NA ready and in production after a month of history, EMEA held back by its gaps and its input', async () => {
    const manager = await demo.token('grace', 'manager');
    const card = await http(`${demo.url}/api/v1/capabilities/po-assist/readiness`, { token: manager });
    const [emea, na] = card.body.regions;
    expect(na).toMatchObject({ region: 'NA', stage: 'production', ready: true, failing: [] });
    expect(na.criteria.find((c: { id: string }) => c.id === 'days-stable').measured).toBeGreaterThanOrEqual(14);
    expect(na.value.find((v: { id: string }) => v.id === 'rework-avoided').perWeek).toBeGreaterThan(2000);
    expect(emea).toMatchObject({ region: 'EMEA', stage: 'pilot', ready: false, failing: ['input-reliability', 'ownership', 'rehearsal', 'days-stable'] });
    // The gaps the leavers left break the template's scenarios too: a step expects a backup EMEA no longer has.
    expect(emea.criteria.find((c: { id: string }) => c.id === 'rehearsal').why).toMatch(/expects the backup of EMEA\/(model-retraining|adoption-training), but the cell has no active backup/);
    expect(emea.criteria.find((c: { id: string }) => c.id === 'input-reliability').why).toMatch(/most failed: payload\.(sku|supplierId)/);
    const history = await http(`${demo.url}/api/v1/capabilities/po-assist/regions/NA/readiness/history?days=30`, { token: manager });
    expect(history.body.items).toHaveLength(30);
    expect(history.body.items.every((d: { held: boolean }) => d.held)).toBe(true);
    const refused = await http(`${demo.url}/api/v1/capabilities/po-assist/regions/EMEA/stage`, { method: 'PUT', token: manager, body: { stage: 'production' } });
    expectProblem(refused, 409);
  });

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
    // The departed pilot members cannot sign in any more.
    expect(users.body.items.map((u: { id: string }) => u.id)).toEqual(['amara', 'dana', 'grace', 'hannah', 'jordan', 'li', 'priya', 'raj', 'tomas']);
    const minted = await http(`${demo.url}/api/v1/demo/tokens`, { body: { person: 'grace' } });
    expect(minted.status).toBe(201);
    const me = await http(`${demo.url}/api/v1/me`, { token: minted.body.token });
    expect(me.body).toMatchObject({ sub: 'grace', name: 'Grace Kim', roles: ['manager', 'owner'] });
    expectProblem(await http(`${demo.url}/api/v1/demo/tokens`, { body: { person: 'marco' } }), 422);

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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, path, priceVariance } from '../world.js';

let stack: Stack;
let w: Awaited<ReturnType<typeof buildWorld>>;
beforeAll(async () => {
  // Sweeps check on their moves at least every second, not after a back-off that doubles to a minute.
  stack = await startStack({ env: { GAP_MAX_OPEN_PER_OWNER: '1000', DEPARTURE_WAIT_MAX_MS: '1000' } });
  w = await buildWorld(stack);
});
afterAll(async () => stack?.close());

const admin = () => w.admin;
const raiseMany = async (n: number) => {
  const items = Array.from({ length: n }, () => priceVariance());
  const res = await http(`${stack.url}/api/v1/exceptions:batch`, { token: w.integration, body: { items } });
  expect(res.body.created).toBe(n);
  return res.body.results.map((r: { id: string }) => r.id) as string[];
};
const person = (id: string, extra: object = {}) =>
  http(`${stack.url}/api/v1/people/${id}`, { method: 'PUT', token: admin(), body: { name: id, email: `${id}@example.com`, managerId: 'grace', ...extra } });
const assign = (area: string, body: object) =>
  http(`${stack.url}/api/v1/capabilities/po-test/ownership/NA/${area}`, { method: 'PUT', token: admin(), body: { reason: 'test', ...body } });
const timeline = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}/timeline`, { token: admin() }).then((r) => r.body.items as any[]);
const get = (id: string) => http(`${stack.url}/api/v1/exceptions/${path(id)}`, { token: admin() }).then((r) => r.body);

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted || (ch !== ',' && ch !== '\n' && ch !== '\r')) {
      cell += ch;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    }
  }
  return rows;
}

describe('departure sweep', () => {
  it('runs one sweep for two departure calls, and returns the same outcome', async () => {
    await person('kim', { roles: ['owner'] });
    expect((await assign('adoption-training', { owner: 'kim', backup: 'li', escalation: ['dana'] })).status).toBe(200);
    const [a, b] = await Promise.all([
      http(`${stack.url}/api/v1/people/kim/departure`, { token: admin(), body: { reason: 'moved to another team' } }),
      http(`${stack.url}/api/v1/people/kim/departure`, { token: w.grace, body: { reason: 'a second click' } }),
    ]);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.sweepId).toBe('departure:kim');
    expect(b.body.result).toEqual(a.body.result);
    expect(a.body.result.matrixChanges).toHaveLength(1);
    expect(a.body.result.matrixChanges[0]).toMatchObject({ area: 'adoption-training', after: { owner: 'li', backup: null } });
    expect(a.body.result.gaps).toEqual([expect.objectContaining({ kind: 'no-backup', area: 'adoption-training' })]);
    const again = await http(`${stack.url}/api/v1/people/kim/departure`, { token: admin(), body: { reason: 'third time' } });
    expect(again.body.result).toEqual(a.body.result);
    const history = await http(`${stack.url}/api/v1/capabilities/po-test/ownership/history?area=adoption-training`, { token: admin() });
    expect(history.body.items.filter((c: { reason: string }) => c.reason === a.body.result.reason)).toHaveLength(1);
    expect((await http(`${stack.url}/api/v1/people/kim`, { token: admin() })).body.status).toBe('departed');
    expectProblem(await http(`${stack.url}/api/v1/people/nobody/departure`, { token: admin(), body: { reason: 'x' } }), 404);
    expectProblem(await http(`${stack.url}/api/v1/people/kim/departure`, { token: w.olivia, body: { reason: 'x' } }), 403);
    await assign('adoption-training', { owner: 'priya', backup: 'li', escalation: ['dana'] });
  });

  it('survives a worker restart mid-sweep: every exception moves once, nothing twice', async () => {
    await person('ravi', { roles: ['owner', 'operator'] });
    expect((await assign('business-rules', { owner: 'ravi', backup: 'dana', escalation: ['grace'] })).status).toBe(200);
    const ids = await raiseMany(60);
    const ravi = await stack.token('ravi', 'operator');
    for (const id of ids.slice(0, 5)) expect((await http(`${stack.url}/api/v1/exceptions/${path(id)}/claim`, { token: ravi, body: {} })).status).toBe(200);
    const started = http(`${stack.url}/api/v1/people/ravi/departure`, { token: admin(), body: { reason: 'departure of ravi' } });
    await new Promise((r) => setTimeout(r, 300));
    await stack.restartWorker();
    const first = await started;
    const done = first.body.done
      ? first.body
      : (await eventually(() => http(`${stack.url}/api/v1/people/ravi/departure`, { token: admin() }), (r) => r.body.done === true, 150_000)).body;
    expect(done.done).toBe(true);
    expect(done.result.moves).toHaveLength(60);
    expect(new Set(done.result.moves.map((m: { exceptionId: string }) => m.exceptionId)).size).toBe(60);
    expect(done.result.moves.filter((m: { claimReleased: boolean }) => m.claimReleased)).toHaveLength(5);
    for (const id of ids.slice(0, 10)) {
      const events = await timeline(id);
      expect(events.filter((e) => e.action === 'owner-changed')).toHaveLength(1);
      expect(events.find((e) => e.action === 'owner-changed')).toMatchObject({ from: 'ravi', to: 'dana', actor: 'root', reason: 'departure of ravi' });
      expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
    }
    const left = await http(`${stack.url}/api/v1/exceptions?owner=ravi&status=open,claimed`, { token: admin() });
    expect(left.body.items).toEqual([]);
    const orphans = await http(`${stack.url}/api/v1/audit/ownership-gaps?kind=orphaned-exception`, { token: admin() });
    expect(orphans.body.items).toEqual([]);
    await assign('business-rules', { owner: 'priya', backup: 'li', escalation: ['dana'] });
  }, 240_000);

  it('moves open work to the backup while the owner is on leave, and back when they return', async () => {
    await person('noor', { roles: ['owner'] });
    expect((await assign('model-retraining', { owner: 'noor', backup: 'dana', escalation: ['grace'] })).status).toBe(200);
    const raised = await http(`${stack.url}/api/v1/exceptions`, {
      token: w.integration,
      body: {
        ...priceVariance(),
        type: 'low-confidence-recommendation',
        payload: { poNumber: 'PO-00123456', supplierId: 'SUP-0042', sku: 'BRK-2210', quantity: 5, unitPrice: 2, currency: 'USD', needByDate: '2026-12-01', recommendedAction: 'defer', modelVersion: 'm1', confidence: 0.3, recommendedAt: new Date().toISOString() },
      },
    });
    expect(raised.body.owner).toBe('noor');
    await person('noor', { roles: ['owner'], status: 'on-leave', reason: 'parental leave' });
    const away = await eventually(() => get(raised.body.id), (e) => e.owner === 'dana');
    expect(away).toMatchObject({ owner: 'dana', ownerSource: 'backup' });
    const raisedWhileAway = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: { ...priceVariance(), type: raised.body.type, payload: raised.body.payload } });
    expect(raisedWhileAway.body.owner).toBe('dana');
    await person('noor', { roles: ['owner'], status: 'active', reason: 'back from leave' });
    const back = await eventually(() => get(raised.body.id), (e) => e.owner === 'noor');
    expect(back).toMatchObject({ owner: 'noor', ownerSource: 'owner' });
    expect((await eventually(() => get(raisedWhileAway.body.id), (e) => e.owner === 'noor')).owner).toBe('noor');
    const matrix = await http(`${stack.url}/api/v1/capabilities/po-test/ownership`, { token: admin() });
    expect(matrix.body.regions.NA['model-retraining'].owner).toBe('noor');
    await assign('model-retraining', { owner: 'priya', backup: 'li', escalation: ['dana'] });
  });

  it('serves the gap audit as CSV that parses, matching the JSON', async () => {
    await assign('exception-queue', { owner: 'priya', escalation: ['dana'] });
    const json = await http(`${stack.url}/api/v1/audit/ownership-gaps?capability=po-test`, { token: w.grace });
    expect(json.body.items.length).toBeGreaterThan(0);
    const csv = await fetch(`${stack.url}/api/v1/audit/ownership-gaps?capability=po-test`, { headers: { authorization: `Bearer ${w.grace}`, accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = parseCsv(await csv.text());
    expect(rows[0]).toEqual(['capability', 'region', 'area', 'kind', 'detail', 'since', 'person', 'exceptionId']);
    expect(rows.slice(1).map((r) => r[3])).toEqual(json.body.items.map((f: { kind: string }) => f.kind));
    expect(rows.slice(1).every((r) => r.length === 8)).toBe(true);
    expectProblem(await http(`${stack.url}/api/v1/audit/ownership-gaps`, { token: w.olivia }), 403);
    await assign('exception-queue', { owner: 'priya', backup: 'li', escalation: ['dana'] });
  });

  it('stops its worker within seconds while the confirmer is still checking moved exceptions', async () => {
    const ids = await raiseMany(100);
    // Moved by a signal, not an update: each moved row waits for the worker's confirmer to ask its workflow.
    expect((await assign('business-rules', { owner: 'dana', backup: 'li', escalation: ['grace'] })).status).toBe(200);
    const progress = async () => {
      const rows = await stack.ledger.selectFrom('exceptions').select(['owner', 'seq', 'confirmed_seq', 'written_at']).where('id', 'in', ids).execute();
      const settled = Date.now() - 1_500;
      const moved = rows.filter((r) => r.owner === 'dana');
      return { confirmed: moved.filter((r) => r.confirmed_seq >= r.seq).length, due: moved.filter((r) => r.confirmed_seq < r.seq && r.written_at <= settled).length };
    };
    // Part-way: the confirmer has begun on the moves and has more of them, due, to ask about.
    const deadline = Date.now() + 60_000;
    let midway = await progress();
    while (!(midway.confirmed > 0 && midway.due >= 10) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      midway = await progress();
    }
    expect(midway.due).toBeGreaterThanOrEqual(10);
    const stopping = Date.now();
    await stack.worker!.shutdown();
    expect(Date.now() - stopping).toBeLessThan(10_000);
  }, 120_000);
});

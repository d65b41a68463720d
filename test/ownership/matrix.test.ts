import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';

let stack: Stack;
let admin: string;
let manager: string;
const base = () => `${stack.url}/api/v1/capabilities/po-assist`;
const cell = (region: string, area: string) => `${base()}/ownership/${region}/${area}`;

beforeAll(async () => {
  stack = await startStack({ env: { CONTINUE_AS_NEW_AFTER: '3' } });
  admin = await stack.token('root', 'admin');
  manager = await stack.token('grace', 'manager');
  const yaml = readFileSync('templates/po-assist.yaml', 'utf8');
  const put = await http(base(), { method: 'PUT', token: admin, rawBody: yaml, headers: { 'content-type': 'application/yaml' } });
  expect(put.status, JSON.stringify(put.body)).toBe(201);
  for (const region of ['NA', 'EMEA']) {
    expect((await http(`${base()}/regions/${region}`, { method: 'PUT', token: admin, body: {} })).status).toBe(201);
  }
  const people: Array<[string, string | null, string]> = [
    ['grace', null, 'active'],
    ['priya', 'grace', 'active'],
    ['dana', 'grace', 'active'],
    ['li', 'dana', 'active'],
    ['olga', 'grace', 'departed'],
  ];
  for (const [id, managerId, status] of people) {
    const res = await http(`${stack.url}/api/v1/people/${id}`, { method: 'PUT', token: admin, body: { name: id, email: `${id}@example.com`, managerId, status } });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => stack?.close());

describe('ownership matrix', () => {
  it('assigns a cell and serves it in the matrix, with the version as ETag', async () => {
    const res = await http(cell('NA', 'exception-queue'), {
      method: 'PUT',
      token: manager,
      body: { owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], reason: 'pilot hand-over' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.cell).toMatchObject({ owner: 'priya', backup: 'li', escalation: ['dana', 'grace'], updatedBy: 'grace' });
    const matrix = await http(`${base()}/ownership`, { token: await stack.token('olivia', 'operator') });
    expect(matrix.body.version).toBe(res.body.version);
    expect(matrix.body.regions.NA['exception-queue']).toMatchObject({ owner: 'priya', backup: 'li' });
    expect(matrix.body.regions.EMEA['business-rules']).toMatchObject({ owner: null });
    expect(Object.keys(matrix.body.regions.NA)).toEqual(['business-rules', 'model-retraining', 'exception-queue', 'adoption-training']);
  });

  it.each([
    ['an unknown owner', { owner: 'ghost', reason: 'r' }, 'owner', 'unknown person ghost'],
    ['a departed owner', { owner: 'olga', reason: 'r' }, 'owner', 'olga is departed'],
    ['a backup equal to the owner', { owner: 'priya', backup: 'priya', reason: 'r' }, 'backup', 'someone other than the owner'],
    ['an unknown escalation entry', { owner: 'priya', escalation: ['dana', 'nobody'], reason: 'r' }, 'escalation.1', 'unknown person nobody'],
  ])('refuses %s with 422 naming the field', async (_what, body, path, message) => {
    const res = await http(cell('NA', 'business-rules'), { method: 'PUT', token: manager, body });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });

  it('refuses a region that is not rolled out with 422 listing the known ones', async () => {
    const res = await http(cell('APAC', 'business-rules'), { method: 'PUT', token: manager, body: { owner: 'priya', reason: 'r' } });
    expectProblem(res, 422);
    expect(res.body.knownRegions).toEqual(['EMEA', 'NA']);
  });

  it('refuses a missing reason with 400, and an operator with 403', async () => {
    expectProblem(await http(cell('NA', 'business-rules'), { method: 'PUT', token: manager, body: { owner: 'priya' } }), 400);
    expectProblem(await http(cell('NA', 'business-rules'), { method: 'PUT', token: await stack.token('olivia', 'operator'), body: { owner: 'priya', reason: 'r' } }), 403);
  });

  it('refuses a write outside the token scope with 403', async () => {
    const scoped = await stack.mint({ sub: 'hannah', roles: ['manager'], scope: ['po-assist:EMEA'] });
    expectProblem(await http(cell('NA', 'business-rules'), { method: 'PUT', token: scoped, body: { owner: 'priya', reason: 'r' } }), 403);
    const matrix = await http(`${base()}/ownership`, { token: scoped });
    expect(Object.keys(matrix.body.regions)).toEqual(['EMEA']);
  });

  it('refuses a stale If-Match or expectedVersion with 409', async () => {
    const current = await http(`${base()}/ownership`, { token: manager });
    const version = current.body.version as number;
    const stale = await http(cell('EMEA', 'business-rules'), {
      method: 'PUT',
      token: manager,
      headers: { 'if-match': `"${version - 1}"` },
      body: { owner: 'dana', reason: 'r' },
    });
    expectProblem(stale, 409);
    const fresh = await http(cell('EMEA', 'business-rules'), { method: 'PUT', token: manager, body: { owner: 'dana', reason: 'regional lead', expectedVersion: version } });
    expect(fresh.status).toBe(200);
    expect(fresh.body.version).toBe(version + 1);
  });

  it('keeps the whole history with actor from the token and the reason, across continue-as-new', async () => {
    // The stack continues the matrix as new after every 3 changes; make several.
    for (const owner of ['dana', 'priya', 'dana', 'priya']) {
      const res = await http(cell('EMEA', 'model-retraining'), { method: 'PUT', token: manager, body: { owner, backup: 'li', reason: `rotate to ${owner}` } });
      expect(res.status).toBe(200);
    }
    const matrix = await http(`${base()}/ownership`, { token: admin });
    expect(matrix.body.regions.EMEA['model-retraining']).toMatchObject({ owner: 'priya', backup: 'li' });
    const history = await http(`${base()}/ownership/history?region=EMEA&area=model-retraining`, { token: admin });
    expect(history.body.items.map((c: { reason: string }) => c.reason)).toEqual(['rotate to priya', 'rotate to dana', 'rotate to priya', 'rotate to dana']);
    expect(history.body.items[0]).toMatchObject({ actor: 'grace', before: { owner: 'dana' }, after: { owner: 'priya' } });
    const versions = (await http(`${base()}/ownership/history?limit=500`, { token: admin })).body.items.map((c: { version: number }) => c.version);
    expect(versions[0]).toBe(matrix.body.version);
    expect(versions).toEqual([...versions].sort((a: number, b: number) => b - a));
    expect(await stack.continuedAsNew('ownership:po-assist')).toBe(true);
  });

  it('keeps the matrix across a worker restart', async () => {
    const before = await http(`${base()}/ownership`, { token: admin });
    await stack.restartWorker();
    const write = await http(cell('NA', 'adoption-training'), { method: 'PUT', token: manager, body: { owner: 'dana', reason: 'after restart' } });
    expect(write.status).toBe(200);
    const after = await http(`${base()}/ownership`, { token: admin });
    expect(after.body.version).toBe(before.body.version + 1);
    expect(after.body.regions.NA['exception-queue']).toEqual(before.body.regions.NA['exception-queue']);
  });
});

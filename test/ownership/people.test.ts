import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';

let stack: Stack;
let admin: string;
beforeAll(async () => {
  stack = await startStack();
  admin = await stack.token('root', 'admin');
});
afterAll(async () => stack?.close());

const put = (id: string, body: unknown, token = admin) => http(`${stack.url}/api/v1/people/${id}`, { method: 'PUT', token, body });
const person = (name: string, managerId: string | null = null, extra: object = {}) => ({
  name,
  email: `${name.split(' ')[0]!.toLowerCase()}@example.com`,
  managerId,
  ...extra,
});

describe('people directory', () => {
  it('creates (201) then updates (200) a person, and reads them back', async () => {
    const created = await put('grace', person('Grace Kim', null, { roles: ['manager'] }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'grace', status: 'active', updatedBy: 'root', roles: ['manager'] });
    const updated = await put('grace', person('Grace H. Kim', null, { roles: ['manager'] }));
    expect(updated.status).toBe(200);
    const read = await http(`${stack.url}/api/v1/people/grace`, { token: await stack.token('olivia', 'operator') });
    expect(read.body).toMatchObject({ name: 'Grace H. Kim' });
  });

  it('refuses an unknown manager with 422 naming managerId', async () => {
    const res = await put('li', person('Li Wei', 'nobody'));
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ path: 'managerId', message: 'unknown person nobody' }]);
  });

  it('refuses a management cycle with 422', async () => {
    expect((await put('dana', person('Dana W', 'grace'))).status).toBe(201);
    expect((await put('li', person('Li Wei', 'dana'))).status).toBe(201);
    const res = await put('grace', person('Grace Kim', 'li'));
    expectProblem(res, 422);
    expect(res.body.errors[0].message).toContain('grace → li → dana → grace');
    // Nothing changed: grace still has no manager.
    const read = await http(`${stack.url}/api/v1/people/grace`, { token: admin });
    expect(read.body.managerId).toBeNull();
  });

  it('answers 400 with field paths for a malformed person, 400 for bad JSON, 415 for a wrong type, 413 for a huge body', async () => {
    const bad = await put('x1', { name: '', email: 'not-mail', status: 'retired', shoeSize: 44 });
    expectProblem(bad, 400);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'email', 'status']));
    expect(JSON.stringify(bad.body.errors)).toContain('shoeSize');

    const json = await http(`${stack.url}/api/v1/people/x1`, { method: 'PUT', token: admin, rawBody: '{"name": "x",', headers: { 'content-type': 'application/json' } });
    expectProblem(json, 400);

    const text = await http(`${stack.url}/api/v1/people/x1`, { method: 'PUT', token: admin, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expectProblem(text, 415);

    const huge = await put('x1', person('x'.repeat(2_000_000)));
    expectProblem(huge, 413);
  });

  it('refuses a bad person id in the path with 400', async () => {
    const res = await put('Not An Id', person('X'));
    expectProblem(res, 400);
    expect(res.body.errors[0].path).toBe('params.personId');
  });

  it('lets only managers and admins write', async () => {
    const res = await put('zed', person('Zed'), await stack.token('olivia', 'operator'));
    expectProblem(res, 403);
  });

  it('records each change in the audit log with the actor from the token, not the body', async () => {
    // grace is a manager in the directory; a subject outside it acts only as an integration.
    const manager = await stack.token('grace', 'manager');
    await put('amara', { ...person('Amara O', 'grace'), reason: 'joined the run team' }, manager);
    const log = await http(`${stack.url}/api/v1/audit-log?subjectType=person&subjectId=amara`, { token: manager });
    expect(log.body.items[0]).toMatchObject({ actor: 'grace', action: 'person.created', reason: 'joined the run team' });
  });

  it('lists people with filters and cursor pagination', async () => {
    const page1 = await http(`${stack.url}/api/v1/people?limit=2`, { token: admin });
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await http(`${stack.url}/api/v1/people?limit=50&cursor=${page1.body.nextCursor}`, { token: admin });
    const ids = [...page1.body.items, ...page2.body.items].map((p: { id: string }) => p.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    const reports = await http(`${stack.url}/api/v1/people?managerId=grace`, { token: admin });
    expect(reports.body.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['amara', 'dana']));
  });
});

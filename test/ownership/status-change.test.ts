import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleDirectoryWorkflowId, setPersonStatus } from '../../workflows/people/messages.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { eventually } from '../world.js';

/** A sweep changes a person's status alone: whatever else the directory holds for them stands. */
let stack: Stack;
let admin: string;
beforeAll(async () => {
  stack = await startStack();
  admin = await stack.token('root', 'admin');
  for (const [id, managerId] of [['grace', null], ['dana', 'grace']] as const) {
    expect((await put(id, { name: id, managerId })).status).toBe(201);
  }
});
afterAll(async () => stack?.close());

const put = (id: string, body: { name: string; managerId: string | null; status?: string; reason?: string }) =>
  http(`${stack.url}/api/v1/people/${id}`, { method: 'PUT', token: admin, body: { email: `${id}@example.com`, roles: ['operator'], ...body } });
const read = (id: string) => http(`${stack.url}/api/v1/people/${id}`, { token: admin }).then((r) => r.body);
const depart = (id: string) => http(`${stack.url}/api/v1/people/${id}/departure`, { token: admin, body: { reason: `${id} leaves` } });
const sweepDone = (id: string) => eventually(() => http(`${stack.url}/api/v1/people/${id}/departure`, { token: admin }), (r) => r.body.done === true, 60_000);
const auditOf = (id: string) =>
  http(`${stack.url}/api/v1/audit-log?subjectType=person&subjectId=${id}&limit=200`, { token: admin }).then((r) => r.body.items as Array<{ action: string; reason: string | null; detail: any }>);

describe("a person's status change", () => {
  it('keeps a name and manager the ledger has not caught up with', async () => {
    expect((await put('kai', { name: 'Kai', managerId: 'grace' })).status).toBe(201);
    expect((await put('kai', { name: 'Kai Moreno', managerId: 'dana' })).status).toBe(200);
    // The ledger copy lags behind the directory (its projection of the change above is not written yet).
    await stack.ledger.updateTable('people').set({ name: 'Kai', manager_id: 'grace' }).where('id', '=', 'kai').execute();
    expect((await depart('kai')).status).toBe(200);
    expect(await read('kai')).toMatchObject({ name: 'Kai Moreno', managerId: 'dana', status: 'departed' });
  });

  it('does not undo a name or manager change that races it', async () => {
    const people = ['ana', 'ben', 'cy', 'dot', 'eli', 'fay'];
    for (const id of people) expect((await put(id, { name: `${id} 0`, managerId: 'grace' })).status).toBe(201);
    await Promise.all(
      people.map(async (id) => {
        const sweep = depart(id);
        // Edits while the sweep runs, from a form loaded before it: each also says active.
        for (let k = 1; k <= 6; k++) expect((await put(id, { name: `${id} ${k}`, managerId: k % 2 ? 'dana' : 'grace' })).status).toBe(200);
        await sweep;
        await sweepDone(id);
      }),
    );
    for (const id of people) {
      expect(await read(id)).toMatchObject({ name: `${id} 6`, managerId: 'grace' });
      // Whatever the sweep wrote changed the status and nothing else.
      for (const entry of (await auditOf(id)).filter((e) => e.reason === `${id} leaves`)) {
        const { before, after } = entry.detail;
        expect({ name: after.name, managerId: after.managerId }).toEqual({ name: before.name, managerId: before.managerId });
      }
    }
  });

  it('is refused for someone the directory does not know', async () => {
    const update = stack.api.client.workflow
      .getHandle(peopleDirectoryWorkflowId)
      .executeUpdate(setPersonStatus, { args: [{ id: 'nobody', status: 'departed', actor: 'root', reason: 'test' }] });
    await expect(update).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(update).rejects.toMatchObject({ cause: { type: 'Invalid', message: 'unknown person nobody' } });
  });
});

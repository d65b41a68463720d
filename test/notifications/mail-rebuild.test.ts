import { describe, expect, it } from 'vitest';
import type { SlaPolicy } from '../../domain/capability.js';
import { stateDigest } from '../../domain/rules/digest.js';
import { confirmReceipt, readProjectionHead, rebuildTail } from '../../ledger/confirmation.js';
import { migrateLedger, openLedger } from '../../ledger/db.js';
import { projectPerson } from '../../ledger/people.js';
import { recordTransition } from '../../ledger/projection.js';
import { ExceptionCase } from '../../workflows/exception/case.js';
import { exceptionInput, testRoute } from '../exception-input.js';

const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const policy: SlaPolicy = { claimWithin: '1h', resolveWithin: '1d', claimLease: '2h', escalation: [{ after: '1h', notify: 'backup' }] };
const input = exceptionInput(policy);
const mail = { digestHour: 7 };

/**
 * Decision 0009 with e-mail on: a failed attempt's mail row never leaves, and the confirmer's rebuild
 * files history's instead (the outbox sends confirmed rows only, so what it sends is history's).
 */
describe('mail rows in a rebuilt tail', () => {
  it("drops the other attempt's mail and files history's", async () => {
    const db = openLedger({ file: ':memory:' });
    await migrateLedger(db);
    for (const id of ['olivia', 'omar', 'priya']) {
      await projectPerson(db, { id, name: id, email: `${id}@example.com`, managerId: null, status: 'active', roles: ['operator'], updatedAt: new Date(T0).toISOString(), updatedBy: 't' }, 1);
    }
    const attempt = () => {
      const c = new ExceptionCase(input, T0);
      c.surface(testRoute, T0);
      return c;
    };
    const history = attempt();
    const surfacing = history.drain();
    await recordTransition(db, { fence: T0, state: history.state, ...surfacing }, { mail });
    expect(await confirmReceipt(db, { id: history.state.id, seq: history.state.seq, status: history.state.status, digest: stateDigest(history.state) })).toBe('confirmed');
    // Attempt A reassigns to olivia and writes; history's attempt reassigns to omar and never writes.
    const a = attempt();
    a.drain();
    a.reassign({ id: 'root', roles: ['admin'] }, 'olivia', 'attempt A', T0 + 1000);
    await recordTransition(db, { fence: T0 + 1000, state: a.state, ...a.drain() }, { mail });
    history.reassign({ id: 'root', roles: ['admin'] }, 'omar', 'history', T0 + 1034);
    const mailTo = async () => (await db.selectFrom('outbox').select(['person', 'kind']).where('channel', '=', 'email').orderBy('seq').execute()).map((r) => `${r.person} ${r.kind}`);
    expect(await mailTo()).toEqual([`${testRoute.owner} email:assignment`, 'olivia email:reassignment']);

    const head = (await readProjectionHead(db, input.id))!;
    expect(await rebuildTail(db, input.id, head, history.state, [surfacing, history.drain()], T0 + 5000, mail)).toBe('rebuilt');
    expect(await mailTo()).toEqual([`${testRoute.owner} email:assignment`, 'omar email:reassignment']);
    await db.destroy();
  });
});

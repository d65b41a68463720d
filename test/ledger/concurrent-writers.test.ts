import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LedgerDb } from '../../ledger/db.js';
import { recordTransition, type WriteOutcome } from '../../ledger/projection.js';
import { startOutbox } from '../../worker/outbox.js';
import { eachLedger, openTestLedger } from '../ledgers.js';
import { exceptionState, NOW } from './states.js';

/**
 * Several processes write one ledger at once. SQLite has a single writer; PostgreSQL runs each on its
 * own connection under READ COMMITTED, so the fence check and the outbox lease must hold there too.
 */
eachLedger('writers racing on one ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
  });
  afterAll(async () => close?.());

  it('twenty attempts writing one new exception at once leave the newest fence standing, and none fails', async () => {
    const id = 'exception:po-race:1';
    const order = Array.from({ length: 20 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const outcomes = await Promise.all(
      order.map((fence) => recordTransition(db, { fence, state: exceptionState(1, { title: `attempt ${fence}` }, 'po-race'), payload: {}, events: [], notifications: [] })),
    );
    expect(outcomes.every((o: WriteOutcome) => o === 'written' || o === 'stale')).toBe(true);
    const row = await db.selectFrom('exceptions').select(['fence', 'title']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ fence: 20, title: 'attempt 20' });
  });

  it('two workers sharing the outbox deliver each confirmed notification once', async () => {
    const rows = 24;
    const ids: string[] = [];
    for (let n = 1; n <= rows; n++) {
      const state = exceptionState(n, { webhook: 'https://hooks.example.com/desk', seq: 1 }, 'po-hook');
      const notifications = [{ seq: 1, person: 'priya', kind: 'assigned' as const, level: 0, reason: 'assigned', at: NOW }];
      await recordTransition(db, { fence: 1, state, payload: {}, events: [], notifications });
      await db.updateTable('exceptions').set({ confirmed_seq: 1 }).where('id', '=', state.id).execute(); // as a receipt would
      ids.push(state.id);
    }
    // Six waves falling due 150 ms apart: each is a fresh race between the two workers' claims.
    const start = Date.now() + 200;
    for (const [i, id] of ids.entries()) await db.updateTable('outbox').set({ next_attempt_at: start + (i % 6) * 150 }).where('exception_id', '=', id).execute();
    const sent: string[] = [];
    const post = async (_url: string, init: { headers: Record<string, string> }) => {
      sent.push(init.headers['idempotency-key']!);
      await new Promise((r) => setTimeout(r, 150));
      return 204;
    };
    const options = { ledger: db, logger: pino({ level: 'silent' }), webhookSecret: 'x', post, pollEveryMs: 20, concurrency: 4 };
    const outboxes = [startOutbox(options), startOutbox(options)];
    try {
      const deadline = Date.now() + 20_000;
      const pending = () => db.selectFrom('outbox').select('id').where('delivered_at', 'is', null).execute();
      while ((await pending()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await Promise.all(outboxes.map((o) => o.stop()));
    }
    expect(sent.length).toBe(rows);
    expect(new Set(sent).size).toBe(rows);
  });
});

import { Migrator } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Scorecard } from '../../domain/rules/readiness.js';
import { openLedger, type LedgerDb } from '../../ledger/db.js';
import { inboxOf } from '../../ledger/exceptions.js';
import { migrations } from '../../ledger/migrations.js';
import { clearFlag, raiseFlag, type Flag } from '../../ledger/readiness-notices.js';
import { putStage } from '../../ledger/rollout-stages.js';
import { startOutbox } from '../../worker/outbox.js';
import { inboxEntryView } from '../../api/views.js';
import { eachLedger, freshPostgresDatabase, openTestLedger } from '../ledgers.js';
import { NOW } from '../ledger/states.js';

const card = {
  capability: 'po-note',
  region: 'NA',
  ready: false,
  held: false,
  failing: ['ownership', 'days-stable'],
  criteria: [
    { id: 'ownership', label: 'Ownership readiness (gaps in the audit)', measured: 1, threshold: 0, comparison: '<=', pass: false, why: '1 ownership gaps: 1 no-backup; first: priya has no backup', evidence: '/api/v1/audit/ownership-gaps?capability=po-note&region=NA' },
    { id: 'days-stable', label: 'Days stable', measured: 0, threshold: 4, comparison: '>=', pass: false, why: 'not stable', evidence: '/x' },
  ],
} as unknown as Scorecard;
const flag = (over: Partial<Flag> = {}): Flag => ({ capability: 'po-note', region: 'NA', at: NOW, day: '2026-11-26', scorecard: card, notify: ['li', 'priya'], webhook: 'https://hooks.example.com/desk', ...over });

/**
 * Notices about a rollout, on both ledgers: the inbox and outbox rows with no exception id that
 * 0008_readiness_notices allows, raised once per flag, shown beside exception entries, and delivered by
 * the outbox without waiting for a confirmation that will never come.
 */
eachLedger('readiness notices in the ledger', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestLedger(kind));
  });
  afterAll(async () => close?.());

  it('the migration keeps every inbox and outbox row with its id, and refuses a row about nothing', async () => {
    const fresh = await freshBefore(kind);
    try {
      // Rows an older version wrote; the first ones deleted, so the next id is not simply the row count + 1.
      const inboxRow = { person: 'li', exception_id: 'exception:po-note:1', seq: 1, kind: 'assigned', level: 0, reason: 'old', at: NOW, fence: 3 };
      const outboxRow = { exception_id: 'exception:po-note:1', seq: 1, person: 'li', kind: 'assigned', channel: 'webhook', target: 'https://x.example', body: '{}', fence: 3, created_at: NOW, next_attempt_at: NOW };
      for (let seq = 1; seq <= 3; seq++) {
        await fresh.db.insertInto('inbox').values({ ...inboxRow, seq } as never).execute();
        await fresh.db.insertInto('outbox').values({ ...outboxRow, seq } as never).execute();
      }
      await fresh.db.deleteFrom('inbox').where('seq', '<', 3).execute();
      await fresh.db.deleteFrom('outbox').where('seq', '<', 3).execute();
      await fresh.migrate();
      expect(await fresh.db.selectFrom('inbox').select(['id', 'exception_id', 'fence', 'capability']).execute()).toEqual([{ id: 3, exception_id: 'exception:po-note:1', fence: 3, capability: null }]);
      expect(await fresh.db.selectFrom('outbox').select(['id', 'exception_id', 'attempts', 'locked_until']).execute()).toEqual([{ id: 3, exception_id: 'exception:po-note:1', attempts: 0, locked_until: 0 }]);
      // An exception's retried write is still a no-op on its key; ids go on rising.
      const again = await fresh.db
        .insertInto('inbox')
        .values({ ...inboxRow, seq: 3, reason: 'again' })
        .onConflict((oc) => oc.columns(['exception_id', 'seq', 'person', 'kind']).doNothing())
        .execute();
      expect(Number(again[0]?.numInsertedOrUpdatedRows ?? 0)).toBe(0);
      const { id } = await fresh.db.insertInto('inbox').values({ person: 'li', exception_id: 'exception:po-note:2', seq: 1, kind: 'assigned', level: 0, reason: 'new', at: NOW, fence: 3 }).returning('id').executeTakeFirstOrThrow();
      expect(id).toBeGreaterThan(3);
      await expect(fresh.db.insertInto('inbox').values({ person: 'li', exception_id: null, seq: 1, kind: 'readiness-flagged', level: 0, reason: 'about nothing', at: NOW, fence: 0 }).execute()).rejects.toThrow(/check|constraint/i);
    } finally {
      await fresh.close();
    }
  });

  it('raises a flag once, however many runs race to it: one inbox entry and one webhook notice per person; a new fall is a new flag', async () => {
    await putStage(db, { capability: 'po-note', region: 'NA', stage: 'production', at: NOW - 1000, actor: 'grace', reason: null });
    const raced = await Promise.all([raiseFlag(db, flag()), raiseFlag(db, flag()), raiseFlag(db, flag({ at: NOW + 5 }))]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const notices = await db.selectFrom('inbox').select(['person', 'exception_id', 'capability', 'region', 'kind']).where('kind', '=', 'readiness-flagged').orderBy('person').execute();
    expect(notices).toEqual([
      { person: 'li', exception_id: null, capability: 'po-note', region: 'NA', kind: 'readiness-flagged' },
      { person: 'priya', exception_id: null, capability: 'po-note', region: 'NA', kind: 'readiness-flagged' },
    ]);
    expect(await db.selectFrom('outbox').select(['person', 'target']).where('capability', '=', 'po-note').orderBy('person').execute()).toEqual([
      { person: 'li', target: 'https://hooks.example.com/desk' },
      { person: 'priya', target: 'https://hooks.example.com/desk' },
    ]);
    const audit = await db.selectFrom('audit_log').select(['action', 'detail']).where('subject_id', '=', 'po-note:NA').execute();
    expect(audit.map((a) => a.action)).toEqual(['rollout-flagged']);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ notify: ['li', 'priya'], webhook: true });

    // While flagged, later runs tell nobody again.
    expect(await raiseFlag(db, flag({ at: NOW + 86_400_000 }))).toBe(false);
    expect(await clearFlag(db, { capability: 'po-note', region: 'NA', at: NOW + 2 * 86_400_000, day: '2026-11-28' })).toBe(true);
    expect(await clearFlag(db, { capability: 'po-note', region: 'NA', at: NOW + 2 * 86_400_000, day: '2026-11-28' })).toBe(false);
    expect(await raiseFlag(db, flag({ at: NOW + 3 * 86_400_000, webhook: null, notify: ['priya'] }))).toBe(true);
    expect(await db.selectFrom('inbox').select('person').where('kind', '=', 'readiness-flagged').execute()).toHaveLength(3);
    expect(await db.selectFrom('outbox').select('person').where('capability', '=', 'po-note').execute()).toHaveLength(2);
    // A pilot is never flagged.
    await putStage(db, { capability: 'po-note', region: 'EMEA', stage: 'pilot', at: NOW, actor: 'grace', reason: null });
    expect(await raiseFlag(db, flag({ region: 'EMEA' }))).toBe(false);
  });

  it('shows a notice in the inbox beside exception entries, titled and linked by its place; an entry whose exception is gone stays hidden', async () => {
    await db.insertInto('inbox').values({ person: 'priya', exception_id: 'exception:po-note:gone', seq: 1, kind: 'assigned', level: 0, reason: 'orphan', at: NOW, fence: 1 }).execute();
    const { rows } = await inboxOf(db, 'priya', undefined, 10);
    expect(rows.map((r) => inboxEntryView(r))).toEqual([
      expect.objectContaining({ exceptionId: null, capability: 'po-note', region: 'NA', kind: 'readiness-flagged', status: null, link: '/api/v1/capabilities/po-note/regions/NA/readiness', title: 'po-note in NA: below its cutover thresholds in production' }),
      expect.objectContaining({ exceptionId: null, kind: 'readiness-flagged', reason: expect.stringMatching(/^po-note in NA is in production and fell below its cutover thresholds on 2026-11-26: Ownership readiness/) }),
    ]);
  });

  it('the outbox delivers a notice at once, signed, keyed by its place, flag and person; an exception\'s unconfirmed notification waits', async () => {
    await db.insertInto('outbox').values({ exception_id: 'exception:po-note:unconfirmed', seq: 1, person: 'li', kind: 'assigned', channel: 'webhook', target: 'https://hooks.example.com/desk', body: '{}', fence: 1, created_at: NOW, next_attempt_at: 0 }).execute();
    const posts: Array<{ headers: Record<string, string>; body: any }> = [];
    const outbox = startOutbox({ ledger: db, logger: pino({ level: 'silent' }), webhookSecret: 's', pollEveryMs: 20, post: async (_url, init) => (posts.push({ headers: init.headers, body: JSON.parse(init.body) }), 204) });
    const deadline = Date.now() + 10_000;
    while (posts.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await outbox.stop();
    expect(posts.map((p) => p.headers['idempotency-key']).sort()).toEqual([`rollout:po-note:NA#${NOW}#li`, `rollout:po-note:NA#${NOW}#priya`]);
    expect(posts[0]!.body).toMatchObject({ rollout: { capability: 'po-note', region: 'NA' }, notifications: [{ kind: 'readiness-flagged', capability: 'po-note', region: 'NA', failing: [{ id: 'ownership' }], scorecard: '/api/v1/capabilities/po-note/regions/NA/readiness' }] });
    expect(posts[0]!.headers['x-exception-desk-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const left = await db.selectFrom('outbox').select(['exception_id', 'delivered_at']).where('delivered_at', 'is', null).execute();
    expect(left).toEqual([{ exception_id: 'exception:po-note:unconfirmed', delivered_at: null }]);
  });
});

/** A ledger of this kind migrated up to 0007 only (before the notices); `migrate` takes it to the latest. */
async function freshBefore(kind: 'sqlite' | 'postgres') {
  const { db, close } = await openTestLedgerUnmigrated(kind);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const to = await migrator.migrateTo('0007_readiness');
  if (to.error) throw to.error;
  return {
    db,
    close,
    async migrate() {
      const up = await migrator.migrateToLatest();
      if (up.error) throw up.error;
    },
  };
}

async function openTestLedgerUnmigrated(kind: 'sqlite' | 'postgres') {
  if (kind === 'sqlite') {
    const db = openLedger({ file: ':memory:' });
    return { db, close: () => db.destroy() };
  }
  const database = await freshPostgresDatabase();
  const db = openLedger({ url: database.url });
  return {
    db,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}

import { Migrator } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CapabilityTemplate } from '../../domain/capability.js';
import type { ExceptionState } from '../../domain/rules/exception-model.js';
import { DAY_MS } from '../../domain/rules/readiness.js';
import { openLedger, type LedgerDb } from '../../ledger/db.js';
import { migrations } from '../../ledger/migrations.js';
import { recordTransition } from '../../ledger/projection.js';
import { readinessFacts } from '../../ledger/readiness.js';
import { recomputeClosedFacts } from '../../ledger/readiness-outcomes.js';
import { eachLedger, freshPostgresDatabase, type LedgerKind } from '../ledgers.js';
import { exceptionState, MIN, NOW } from '../ledger/states.js';

const template = {
  valueEvents: [],
  cutover: { minAutomationRate: 0.85, maxOpenExceptions: 25, maxSlaBreachRate: 0.05, minDaysStable: 2, maxQuarantineRate: 0.1 },
} as unknown as Pick<CapabilityTemplate, 'valueEvents' | 'cutover'>;
const gapThresholds = { maxCellsPerPerson: 6, maxOpenPerOwner: 25 };
const H = 60 * MIN;
const created = (n: number) => NOW - 3 * DAY_MS + n * MIN;
const ev = (seq: number, at: number, action: string, actor = 'li') => ({ seq, at, action, actor, from: null, to: null, reason: null });
const resolved = (at: number) => ({ status: 'resolved' as const, resolution: { code: 'fixed', note: null, valueEvent: null, by: 'li', at } as ExceptionState['resolution'] });

/**
 * The per-day facts of closed exceptions (0009_readiness_facts) on both ledgers: computed for what was
 * closed before the migration, kept by the ledger itself whoever rewrites a closed exception or its
 * claims, and never different from counting every exception afresh.
 */
eachLedger('readiness per-day facts', (kind) => {
  let db: LedgerDb;
  let close: () => Promise<void>;
  let migrator: Migrator;
  beforeAll(async () => {
    ({ db, close } = await unmigrated(kind));
    migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const before = await migrator.migrateTo('0008_readiness_notices');
    if (before.error) throw before.error;
  });
  afterAll(async () => close?.());

  const write = (n: number, fence: number, over: Partial<ExceptionState>, events: ReturnType<typeof ev>[]) =>
    recordTransition(db, {
      fence,
      state: exceptionState(n, { region: 'NA', createdAt: created(n), claimBy: created(n) + 15 * MIN, resolveBy: created(n) + 4 * H, ...over }, 'po-facts'),
      payload: {},
      events,
      notifications: [],
    });
  const facts = (to = NOW) => readinessFacts(db, { capability: 'po-facts', region: 'NA', template, to, now: NOW + 1, gapThresholds });
  const daily = async () =>
    (await db.selectFrom('readiness_exception_daily').selectAll().where('raised', '<>', 0).orderBy('day').orderBy('closed_day').orderBy('claimant').execute()).map((r) => ({ ...r, day: Number(r.day), closed_day: Number(r.closed_day) }));

  it('the migration counts the exceptions closed and the intakes refused before it', async () => {
    // 1: claimed in time, resolved in time. 2: never claimed, resolved late. 3: still open.
    await write(1, 1, { ...resolved(created(1) + H), claimant: 'li', seq: 3 }, [ev(1, created(1), 'surfaced', 'erp'), ev(2, created(1) + 5 * MIN, 'claimed'), ev(3, created(1) + H, 'resolved')]);
    await write(2, 1, { ...resolved(created(2) + 5 * H), seq: 2 }, [ev(1, created(2), 'surfaced', 'erp'), ev(2, created(2) + 5 * H, 'resolved', 'omar')]);
    await write(3, 1, { status: 'open', seq: 1 }, [ev(1, created(3), 'surfaced', 'erp')]);
    // An older version kept refusals without counting them.
    await db.insertInto('quarantine').values({ received_at: NOW - DAY_MS, actor: 'erp', capability: 'po-facts', region: 'NA', type: 'price-variance', source_key: 'q0', reasons: JSON.stringify([{ path: 'payload.sku', message: 'required' }]), body: '{}' }).execute();
    await db.insertInto('quarantine').values({ received_at: NOW - DAY_MS, actor: 'erp', capability: 'po-facts', region: 'NA', type: 'price-variance', source_key: 'q1', reasons: 'not json', body: '{}' }).execute();
    const up = await migrator.migrateToLatest();
    if (up.error) throw up.error;

    expect(await daily()).toEqual([
      { capability: 'po-facts', region: 'NA', day: NOW - 3 * DAY_MS - ((NOW - 3 * DAY_MS) % DAY_MS), closed_day: NOW - 3 * DAY_MS - ((NOW - 3 * DAY_MS) % DAY_MS), claimant: '', raised: 1, breached: 1, claimed_in_sla: 0, claim_missed: 1, overrides: 0 },
      { capability: 'po-facts', region: 'NA', day: NOW - 3 * DAY_MS - ((NOW - 3 * DAY_MS) % DAY_MS), closed_day: NOW - 3 * DAY_MS - ((NOW - 3 * DAY_MS) % DAY_MS), claimant: 'li', raised: 1, breached: 0, claimed_in_sla: 1, claim_missed: 0, overrides: 0 },
    ]);
    expect(await facts()).toMatchObject({ raised: 3, breached: 2, claimedWithinSla: 1, claimMissed: 2, open: 1, operators: 1, quarantined: 2 });
    expect((await facts()).failingFields.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '(unreadable reasons)', count: 1 },
      { path: 'payload.sku', count: 1 },
    ]);
  });

  it('keeps them exact when a later attempt rewrites a closed exception\'s claims, undoes a close, or closes it again', async () => {
    // 4: resolved after a claim in time; then a later workflow task's attempt supersedes that tail with a late claim.
    await write(4, 1, { ...resolved(created(4) + H), claimant: 'li', seq: 3 }, [ev(1, created(4), 'surfaced', 'erp'), ev(2, created(4) + MIN, 'claimed'), ev(3, created(4) + H, 'resolved')]);
    expect(await facts()).toMatchObject({ raised: 4, claimedWithinSla: 2, breached: 2 });
    await write(4, 2, { ...resolved(created(4) + H), claimant: 'omar', seq: 3 }, [ev(2, created(4) + 40 * MIN, 'claimed', 'omar'), ev(3, created(4) + H, 'resolved', 'omar')]);
    expect(await facts()).toMatchObject({ raised: 4, claimedWithinSla: 1, claimMissed: 3, breached: 3, operators: 2 });
    // 1's close is superseded: it is open again, claimed (a row that no longer counts as closed).
    await write(1, 2, { status: 'claimed', claimant: 'li', seq: 2 }, [ev(2, created(1) + 5 * MIN, 'claimed')]);
    expect(await facts()).toMatchObject({ raised: 4, open: 2, claimedWithinSla: 1 });
    const kept = await daily();
    await recomputeClosedFacts(db);
    expect(await daily()).toEqual(kept);
    // And closed again, a day later than before: it counts once, on the day it was raised.
    await write(1, 3, { ...resolved(created(1) + DAY_MS), claimant: 'li', seq: 3 }, [ev(3, created(1) + DAY_MS, 'resolved')]);
    const after = await facts();
    expect(after).toMatchObject({ raised: 4, open: 1, claimedWithinSla: 1, breached: 4 });
    const keptAgain = await daily();
    await recomputeClosedFacts(db);
    expect(await daily()).toEqual(keptAgain);
    expect(await facts()).toEqual(after);
  });

  it('as of a past day, counts live what had not closed by then', async () => {
    // The window's last day is the day all four were raised: they count live, as of its end, when 1 was still open.
    const day = NOW - 3 * DAY_MS - ((NOW - 3 * DAY_MS) % DAY_MS);
    expect(await facts(day + DAY_MS)).toMatchObject({ raised: 4, open: 2, breached: 4, claimedWithinSla: 1 });
    // Half an hour after they were raised: none closed yet; 1 claimed in time, 4 not yet claimed, nothing past resolve-by.
    expect(await facts(created(4) + 30 * MIN)).toMatchObject({ raised: 4, open: 4, claimedWithinSla: 1, claimMissed: 3, breached: 3 });
  });
});

async function unmigrated(kind: LedgerKind) {
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

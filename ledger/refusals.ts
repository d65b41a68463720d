import type { Kysely } from 'kysely';
import { dayOf, failedContractPaths, UNREADABLE_REASONS } from '../domain/rules/readiness.js';
import type { LedgerDb } from './db.js';

/**
 * Refused intakes per capability × region × day, and per contract path they broke, kept in
 * readiness_daily (metrics `refused` and `refused-field`) in the transaction that quarantines them, so
 * the input-reliability criterion sums days instead of reading and parsing every refusal.
 */
export interface Refusal {
  capability: string | null;
  region: string | null;
  at: number;
  /** The reasons as stored, or the text stored (parsed here). */
  reasons: unknown;
}

const CHUNK = 400;

function pathsOf(reasons: unknown): string[] {
  if (typeof reasons !== 'string') return failedContractPaths(reasons);
  try {
    return failedContractPaths(JSON.parse(reasons));
  } catch {
    return [UNREADABLE_REASONS];
  }
}

/** Adds refusals to the daily counts; one refused before its capability and region were read belongs to no region. */
export async function countRefusals(db: LedgerDb, refusals: Refusal[]): Promise<void> {
  const totals = new Map<string, { capability: string; region: string; metric: string; key: string; day: number; events: number; quantity: number }>();
  const add = (capability: string, region: string, metric: string, key: string, day: number) => {
    const id = [capability, region, metric, key, day].join('\u0000');
    const total = totals.get(id) ?? { capability, region, metric, key, day, events: 0, quantity: 0 };
    total.events += 1;
    totals.set(id, total);
  };
  for (const r of refusals) {
    if (r.capability === null || r.region === null) continue;
    const day = dayOf(r.at);
    add(r.capability, r.region, 'refused', '', day);
    for (const path of pathsOf(r.reasons)) add(r.capability, r.region, 'refused-field', path, day);
  }
  const rows = [...totals.values()];
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('readiness_daily')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) => oc.columns(['capability', 'region', 'metric', 'day', 'key']).doUpdateSet((eb) => ({ events: eb('readiness_daily.events', '+', eb.ref('excluded.events')) })))
      .execute();
  }
}

/** 0009_readiness_facts: counts the intakes refused before it, in chunks. */
export async function countRefusalsOf(migrating: Kysely<unknown>): Promise<void> {
  const db = migrating as unknown as LedgerDb;
  for (let after = 0; ; ) {
    const rows = await db
      .selectFrom('quarantine')
      .select(['id', 'capability', 'region', 'received_at', 'reasons'])
      .where('source', '=', 'intake')
      .where('id', '>', after)
      .orderBy('id')
      .limit(5000)
      .execute();
    if (rows.length === 0) return;
    await countRefusals(db, rows.map((r) => ({ capability: r.capability, region: r.region, at: Number(r.received_at), reasons: r.reasons })));
    after = rows.at(-1)!.id;
  }
}

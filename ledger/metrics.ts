import { sql } from 'kysely';
import type { CapabilityTemplate } from '../domain/capability.js';
import { durationMs } from '../domain/duration.js';
import type { LedgerDb } from './db.js';

/**
 * The ledger reads behind the gauges on /metrics. Each is one grouped query over an index or a small
 * table, so a refresh stays cheap as the ledger grows; platform/metrics.ts caches each for a few
 * seconds and measures what it cost.
 */

export interface OpenGroup {
  capability: string;
  region: string;
  status: string;
  severity: string;
  count: number;
  oldestCreatedAt: number;
  overdue: number;
}

/** Open and claimed exceptions by capability, region, status and severity, with the oldest's creation time. */
export async function openExceptionGroups(db: LedgerDb, now: number): Promise<OpenGroup[]> {
  const rows = await db
    .selectFrom('exceptions')
    .select((eb) => [
      'capability',
      'region',
      'status',
      'severity',
      eb.fn.countAll<number>().as('count'),
      eb.fn.min<number>('created_at').as('oldest'),
      sql<number>`sum(case when overdue_at is not null and overdue_at <= ${now} then 1 else 0 end)`.as('overdue'),
    ])
    .where('status', 'in', ['open', 'claimed'])
    .groupBy(['capability', 'region', 'status', 'severity'])
    .execute();
  return rows.map((r) => ({ capability: r.capability, region: r.region, status: r.status, severity: r.severity, count: Number(r.count), oldestCreatedAt: Number(r.oldest), overdue: Number(r.overdue) }));
}

export interface OutboxBacklog {
  pending: number;
  failed: number;
  oldestPendingAt: number | null;
}

/**
 * Notifications not yet delivered (pending) and those given up (failed). A digest row (0013_mail) is
 * pending only once its digest hour came, and waits from then: a digest filed in the morning is not
 * a day-old backlog.
 */
export async function outboxBacklog(db: LedgerDb, now = Date.now()): Promise<OutboxBacklog> {
  const pending = await db
    .selectFrom('outbox')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min<number>(sql`case when channel = 'digest' then next_attempt_at else created_at end`).as('oldest')])
    .where(sql<boolean>`delivered_at is null and failed_at is null and (channel <> 'digest' or next_attempt_at <= ${now})`)
    .executeTakeFirst();
  const failed = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('count')).where('failed_at', 'is not', null).executeTakeFirst();
  return { pending: Number(pending?.count ?? 0), failed: Number(failed?.count ?? 0), oldestPendingAt: pending?.oldest == null ? null : Number(pending.oldest) };
}

export interface SlaWindow {
  capability: string;
  region: string;
  severity: string;
  claimSeconds: number;
  resolveSeconds: number;
}

/** The claim and resolve windows each rolled-out region's effective template sets per severity. */
export async function slaWindows(db: LedgerDb): Promise<SlaWindow[]> {
  const rows = await db.selectFrom('capability_regions').select(['capability_id', 'region', 'effective']).execute();
  return rows.flatMap((r) => {
    let template: CapabilityTemplate;
    try {
      template = JSON.parse(r.effective) as CapabilityTemplate;
    } catch {
      return [];
    }
    return Object.entries(template.slaPolicies ?? {}).map(([severity, policy]) => ({
      capability: r.capability_id,
      region: r.region,
      severity,
      claimSeconds: durationMs(policy.claimWithin) / 1000,
      resolveSeconds: durationMs(policy.resolveWithin) / 1000,
    }));
  });
}

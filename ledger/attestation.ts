import { MAX_CAMPAIGN_REGIONS, type AttestationOutcome, type AttestationRequest, type AttestationRole, type AttestationState } from '../domain/rules/attestation.js';
import type { CapabilityTemplate } from '../domain/capability.js';
import { appendAudit } from './audit.js';
import { storedStrings } from './bounded-json.js';
import type { LedgerDb } from './db.js';
import { writeTransaction } from './dialect.js';
import { DECISION_NOTICE_PREDICATE } from './decision-notices-migration.js';

/**
 * The attestation campaigns' projection. Every write comes from a regular activity of the campaign's
 * workflow, which runs only once the workflow task that asked for it is in history (the ownership
 * matrix's pattern), and carries the workflow's version: a retried or late write changes nothing.
 */

export const ATTESTATION_NOTICE = { requested: 'attestation-requested', reminder: 'attestation-reminder', declined: 'attestation-declined' } as const;

/** A notice's seq: unique per campaign (its start time) and per answer within it (the campaign version). */
const noticeSeq = (startedAt: number, version = 0) => startedAt * 1000 + version;

export interface OpenCampaign {
  campaignId: string;
  capability: string;
  regions: string[];
  startedBy: string;
  startedAt: number;
  remindAt: number;
  deadline: number;
}

interface Notice {
  person: string;
  capability: string;
  region: string;
  kind: string;
  seq: number;
  at: number;
  reason: string;
  body: Record<string, unknown>;
}

/** Inbox entries, and outbox rows where the region's template has a webhook channel; a retry writes none twice. */
async function notify(tx: LedgerDb, notices: Notice[]): Promise<void> {
  if (notices.length === 0) return;
  await tx
    .insertInto('inbox')
    .values(notices.map((n) => ({ person: n.person, capability: n.capability, region: n.region, kind: n.kind, seq: n.seq, exception_id: null, level: 0, reason: n.reason.slice(0, 2000), at: n.at, fence: 0 })))
    .onConflict((oc) => oc.columns(['capability', 'region', 'kind', 'seq', 'person']).where(DECISION_NOTICE_PREDICATE).doNothing())
    .execute();
  const regions = [...new Set(notices.map((n) => `${n.capability}\u0000${n.region}`))];
  const webhooks = new Map<string, string>();
  for (const key of regions) {
    const [capability, region] = key.split('\u0000') as [string, string];
    const row = await tx.selectFrom('capability_regions').select('effective').where('capability_id', '=', capability).where('region', '=', region).executeTakeFirst();
    const channel = row ? (JSON.parse(row.effective) as CapabilityTemplate).notifications.channel : 'none';
    if (channel !== 'none') webhooks.set(key, channel.webhook);
  }
  const outbound = notices.filter((n) => webhooks.has(`${n.capability}\u0000${n.region}`));
  if (outbound.length === 0) return;
  await tx
    .insertInto('outbox')
    .values(
      outbound.map((n) => ({
        exception_id: null,
        capability: n.capability,
        region: n.region,
        seq: n.seq,
        person: n.person,
        kind: n.kind,
        channel: 'webhook',
        target: webhooks.get(`${n.capability}\u0000${n.region}`)!,
        body: JSON.stringify({ kind: n.kind, person: n.person, capability: n.capability, region: n.region, at: new Date(n.at).toISOString(), reason: n.reason, ...n.body, idempotencyKey: `rollout:${n.capability}:${n.region}#${n.seq}#${n.person}` }),
        fence: 0,
        created_at: n.at,
        next_attempt_at: n.at,
      })),
    )
    .onConflict((oc) => oc.columns(['capability', 'region', 'kind', 'seq', 'person']).where(DECISION_NOTICE_PREDICATE).doNothing())
    .execute();
}

/**
 * Opens a campaign: asks the owner and backup of each cell of its regions, if they are active, and
 * tells each one in their inbox. Answers the requests; a retry finds the campaign and answers the same.
 */
export async function openCampaign(db: LedgerDb, c: OpenCampaign): Promise<AttestationRequest[]> {
  return writeTransaction(db, async (tx) => {
    const existing = await tx.selectFrom('attestation_campaigns').select('id').where('id', '=', c.campaignId).executeTakeFirst();
    if (existing) {
      const rows = await tx.selectFrom('attestation_requests').select(['region', 'area', 'person', 'role']).where('campaign_id', '=', c.campaignId).orderBy('region').orderBy('area').orderBy('role').execute();
      return rows.map((r) => ({ ...r, role: r.role as AttestationRole }));
    }
    // No regions named (the quarterly schedule): every rolled-out region that no running campaign covers.
    if (c.regions.length === 0) {
      const busy = new Set((await tx.selectFrom('attestation_campaigns').select('regions').where('capability', '=', c.capability).where('status', '=', 'running').execute()).flatMap((r) => storedStrings(r.regions)));
      const rolledOut = await tx.selectFrom('capability_regions').select('region').where('capability_id', '=', c.capability).orderBy('region').execute();
      c = { ...c, regions: rolledOut.map((r) => r.region).filter((r) => !busy.has(r)).slice(0, MAX_CAMPAIGN_REGIONS) };
    }
    const cells = c.regions.length
      ? await tx.selectFrom('ownership_cells').select(['region', 'area', 'owner', 'backup']).where('capability', '=', c.capability).where('region', 'in', c.regions).orderBy('region').orderBy('area').execute()
      : [];
    const active = new Set((await tx.selectFrom('people').select('id').where('status', '=', 'active').execute()).map((p) => p.id));
    const requests: AttestationRequest[] = cells.flatMap((cell) =>
      (['owner', 'backup'] as const).flatMap((role) => {
        const person = cell[role];
        return person && active.has(person) ? [{ region: cell.region, area: cell.area, person, role }] : [];
      }),
    );
    await tx
      .insertInto('attestation_campaigns')
      .values({ id: c.campaignId, capability: c.capability, regions: JSON.stringify(c.regions), status: 'running', started_by: c.startedBy, started_at: c.startedAt, remind_at: c.remindAt, deadline: c.deadline, closed_at: null, closed_by: null, close_reason: null, reminded_at: null, version: 0 })
      .execute();
    for (let i = 0; i < requests.length; i += 100) {
      await tx
        .insertInto('attestation_requests')
        .values(requests.slice(i, i + 100).map((r) => ({ campaign_id: c.campaignId, capability: c.capability, ...r, state: 'pending', reason: null, answered_at: null, version: 0 })))
        .execute();
    }
    const due = new Date(c.deadline).toISOString();
    await notify(tx, perPersonAndRegion(requests).map(({ person, region, areas }) => ({
      person,
      capability: c.capability,
      region,
      kind: ATTESTATION_NOTICE.requested,
      seq: noticeSeq(c.startedAt),
      at: c.startedAt,
      reason: `${c.startedBy} asks you to confirm that you still own or back up ${c.capability} in ${region} (${areas.join(', ')}) by ${due}`,
      body: { campaignId: c.campaignId, areas, deadline: due },
    })));
    await appendAudit(tx, [
      {
        idempotencyKey: `${c.campaignId}#started`,
        at: new Date(c.startedAt).toISOString(),
        actor: c.startedBy,
        action: 'attestation.started',
        subjectType: 'attestation-campaign',
        subjectId: c.campaignId,
        detail: { capability: c.capability, regions: c.regions, deadline: due, requests: requests.length },
      },
    ]);
    return requests;
  });
}

function perPersonAndRegion(requests: ReadonlyArray<{ region: string; area: string; person: string }>) {
  const grouped = new Map<string, { person: string; region: string; areas: string[] }>();
  for (const r of requests) {
    const key = `${r.person}\u0000${r.region}`;
    const entry = grouped.get(key) ?? { person: r.person, region: r.region, areas: [] };
    entry.areas.push(r.area);
    grouped.set(key, entry);
  }
  return [...grouped.values()];
}

export interface RecordedAnswer {
  campaignId: string;
  version: number;
  region: string;
  area: string;
  person: string;
  answer: 'confirm' | 'decline';
  reason: string | null;
  at: number;
}

/** One answer, its audit entry and, for a decline, a notice asking the manager who started the campaign to reassign. */
export async function recordAnswer(db: LedgerDb, a: RecordedAnswer): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const campaign = await tx.selectFrom('attestation_campaigns').select(['capability', 'started_by', 'started_at']).where('id', '=', a.campaignId).executeTakeFirstOrThrow();
    const state: AttestationState = a.answer === 'confirm' ? 'confirmed' : 'declined';
    await tx
      .updateTable('attestation_requests')
      .set({ state, reason: a.reason, answered_at: a.at, version: a.version })
      .where('campaign_id', '=', a.campaignId)
      .where('region', '=', a.region)
      .where('area', '=', a.area)
      .where('person', '=', a.person)
      .where('version', '<', a.version)
      .execute();
    await tx.updateTable('attestation_campaigns').set({ version: a.version }).where('id', '=', a.campaignId).where('version', '<', a.version).execute();
    await appendAudit(tx, [
      {
        idempotencyKey: `${a.campaignId}#${a.version}`,
        at: new Date(a.at).toISOString(),
        actor: a.person,
        action: a.answer === 'confirm' ? 'attestation.confirmed' : 'attestation.declined',
        subjectType: 'ownership-cell',
        subjectId: `${campaign.capability}/${a.region}/${a.area}`,
        reason: a.reason,
        detail: { campaignId: a.campaignId, version: a.version },
      },
    ]);
    if (a.answer === 'decline') {
      await notify(tx, [
        {
          person: campaign.started_by,
          capability: campaign.capability,
          region: a.region,
          kind: ATTESTATION_NOTICE.declined,
          seq: noticeSeq(campaign.started_at, a.version),
          at: a.at,
          reason: `${a.person} declined ${campaign.capability} ${a.region}/${a.area}: ${a.reason ?? 'no reason given'}. Please reassign the cell.`,
          body: { campaignId: a.campaignId, area: a.area, declinedBy: a.person },
        },
      ]);
    }
  });
}

/** Reminds everyone still pending, once per campaign. */
export async function remindPending(db: LedgerDb, r: { campaignId: string; at: number; pending: Array<{ region: string; area: string; person: string }> }): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const campaign = await tx.selectFrom('attestation_campaigns').select(['capability', 'started_at', 'deadline']).where('id', '=', r.campaignId).executeTakeFirstOrThrow();
    await tx.updateTable('attestation_campaigns').set({ reminded_at: r.at }).where('id', '=', r.campaignId).where('reminded_at', 'is', null).execute();
    const due = new Date(campaign.deadline).toISOString();
    await notify(tx, perPersonAndRegion(r.pending).map(({ person, region, areas }) => ({
      person,
      capability: campaign.capability,
      region,
      kind: ATTESTATION_NOTICE.reminder,
      seq: noticeSeq(campaign.started_at),
      at: r.at,
      reason: `Reminder: confirm ${campaign.capability} in ${region} (${areas.join(', ')}) by ${due}`,
      body: { campaignId: r.campaignId, areas, deadline: due },
    })));
  });
}

/** Closes a campaign: what is still pending expires (deadline) or is cancelled. */
export async function closeCampaign(db: LedgerDb, c: { campaignId: string; status: 'completed' | 'cancelled'; at: number; actor: string; reason: string | null; version: number }): Promise<void> {
  await writeTransaction(db, async (tx) => {
    const closed = await tx
      .updateTable('attestation_campaigns')
      .set({ status: c.status, closed_at: c.at, closed_by: c.actor, close_reason: c.reason, version: c.version })
      .where('id', '=', c.campaignId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(closed.numUpdatedRows) === 0) return;
    await tx
      .updateTable('attestation_requests')
      .set({ state: c.status === 'completed' ? 'expired' : 'cancelled', answered_at: c.at, version: c.version })
      .where('campaign_id', '=', c.campaignId)
      .where('state', '=', 'pending')
      .execute();
    await appendAudit(tx, [
      { idempotencyKey: `${c.campaignId}#closed`, at: new Date(c.at).toISOString(), actor: c.actor, action: c.status === 'completed' ? 'attestation.completed' : 'attestation.cancelled', subjectType: 'attestation-campaign', subjectId: c.campaignId, reason: c.reason },
    ]);
  });
}

export interface CampaignView {
  campaignId: string;
  capability: string;
  regions: string[];
  status: string;
  startedBy: string;
  startedAt: string;
  remindAt: string;
  deadline: string;
  remindedAt: string | null;
  closedAt: string | null;
  closedBy: string | null;
  closeReason: string | null;
  counts: Record<AttestationState | 'asked', number>;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export async function readCampaign(db: LedgerDb, campaignId: string): Promise<(CampaignView & { requests: Array<AttestationRequest & { state: AttestationState; reason: string | null; answeredAt: string | null }> }) | undefined> {
  const row = await db.selectFrom('attestation_campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  if (!row) return undefined;
  const requests = await db.selectFrom('attestation_requests').selectAll().where('campaign_id', '=', campaignId).orderBy('region').orderBy('area').orderBy('role').execute();
  return {
    ...campaignView(row, requests),
    requests: requests.map((r) => ({ region: r.region, area: r.area, person: r.person, role: r.role as AttestationRole, state: r.state as AttestationState, reason: r.reason, answeredAt: isoOrNull(r.answered_at) })),
  };
}

function campaignView(row: { id: string; capability: string; regions: string; status: string; started_by: string; started_at: number; remind_at: number; deadline: number; reminded_at: number | null; closed_at: number | null; closed_by: string | null; close_reason: string | null }, requests: Array<{ state: string }>): CampaignView {
  const counts = { asked: requests.length, pending: 0, confirmed: 0, declined: 0, expired: 0, cancelled: 0 };
  for (const r of requests) counts[r.state as AttestationState] += 1;
  return {
    campaignId: row.id,
    capability: row.capability,
    regions: storedStrings(row.regions),
    status: row.status,
    startedBy: row.started_by,
    startedAt: new Date(Number(row.started_at)).toISOString(),
    remindAt: new Date(Number(row.remind_at)).toISOString(),
    deadline: new Date(Number(row.deadline)).toISOString(),
    remindedAt: isoOrNull(row.reminded_at),
    closedAt: isoOrNull(row.closed_at),
    closedBy: row.closed_by,
    closeReason: row.close_reason,
    counts,
  };
}

/** A capability's campaigns, newest first, with their counts. */
/**
 * A capability's campaigns, newest first. `visible` keeps only those a caller may see (the API's scope
 * filter); it is applied before the limit, over at most the newest 1000 campaigns.
 */
export async function listCampaigns(db: LedgerDb, capability: string, limit: number, visible?: (c: { capability: string; regions: string[] }) => boolean): Promise<CampaignView[]> {
  const newest = await db
    .selectFrom('attestation_campaigns')
    .selectAll()
    .where('capability', '=', capability)
    .orderBy('started_at', 'desc')
    .limit(visible ? 1000 : limit)
    .execute();
  const rows = visible ? newest.filter((r) => visible({ capability: r.capability, regions: storedStrings(r.regions) })).slice(0, limit) : newest;
  if (rows.length === 0) return [];
  const requests = await db.selectFrom('attestation_requests').select(['campaign_id', 'state']).where('campaign_id', 'in', rows.map((r) => r.id)).execute();
  return rows.map((row) => campaignView(row, requests.filter((r) => r.campaign_id === row.id)));
}

/** Running campaigns of a capability that cover any of these regions. */
export async function runningCampaignsOver(db: LedgerDb, capability: string, regions: string[]): Promise<string[]> {
  const rows = await db.selectFrom('attestation_campaigns').select(['id', 'regions']).where('capability', '=', capability).where('status', '=', 'running').execute();
  return rows.filter((r) => storedStrings(r.regions).some((region) => regions.includes(region))).map((r) => r.id);
}

/** A person's requests still waiting for their answer, in running campaigns. */
export async function pendingRequestsOf(db: LedgerDb, person: string) {
  return db
    .selectFrom('attestation_requests')
    .innerJoin('attestation_campaigns', 'attestation_campaigns.id', 'attestation_requests.campaign_id')
    .select(['attestation_requests.campaign_id', 'attestation_requests.capability', 'region', 'area', 'role', 'deadline', 'started_by'])
    .where('person', '=', person)
    .where('state', '=', 'pending')
    .where('attestation_campaigns.status', '=', 'running')
    .orderBy('deadline')
    .orderBy('region')
    .orderBy('area')
    .limit(500)
    .execute();
}

/**
 * The latest outcome per cell and person that ended unconfirmed-or-confirmed (pending ones are still
 * within their deadline), for the gap audit's `unattested` rule.
 */
export async function latestOutcomes(db: LedgerDb): Promise<AttestationOutcome[]> {
  const rows = await db
    .selectFrom('attestation_requests')
    .innerJoin('attestation_campaigns', 'attestation_campaigns.id', 'attestation_requests.campaign_id')
    .select(['attestation_requests.capability', 'region', 'area', 'person', 'role', 'state', 'reason', 'answered_at', 'campaign_id', 'started_at'])
    .where('state', 'in', ['confirmed', 'declined', 'expired'])
    .orderBy('started_at')
    .execute();
  const latest = new Map<string, AttestationOutcome>();
  for (const r of rows) {
    latest.set(`${r.capability}/${r.region}/${r.area}/${r.person}`, {
      capability: r.capability,
      region: r.region,
      area: r.area,
      person: r.person,
      role: r.role as AttestationRole,
      state: r.state as AttestationState,
      reason: r.reason,
      at: new Date(Number(r.answered_at ?? r.started_at)).toISOString(),
      campaignId: r.campaign_id,
    });
  }
  return [...latest.values()];
}

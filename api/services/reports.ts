import { randomUUID } from 'node:crypto';
import { inScope, type Principal } from '../../domain/principal.js';
import { REPORT_MAX_AGE_DAYS, REPORT_SKEW_MS, ReportedEvent, DAY_MS } from '../../domain/readiness.js';
import type { ExceptionState } from '../../domain/rules/exception-model.js';
import { appendAudit } from '../../ledger/audit.js';
import { getEffectiveTemplate, listCapabilities, listRollouts } from '../../ledger/catalog.js';
import type { LedgerDb } from '../../ledger/db.js';
import { quarantineReports, storeReportedEvents, type NewReportedEvent } from '../../ledger/reports.js';
import { fieldErrors, type FieldError } from '../errors.js';

export interface ReportProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  quarantineId?: number;
}

export interface ReportResult {
  index: number;
  /** 201 stored, 200 the same event again, 403 outside the token's scope, 409 the key names another event, 422 refused. */
  status: number;
  key?: string;
  problem?: ReportProblem;
}

const problem = (status: 403 | 409 | 422, detail: string, errors?: FieldError[]): ReportProblem => ({
  type: `https://exception-desk.dev/problems/${{ 403: 'forbidden', 409: 'conflict', 422: 'unprocessable' }[status]}`,
  title: { 403: 'Forbidden', 409: 'Conflict', 422: 'Unprocessable content' }[status],
  status,
  detail,
  ...(errors ? { errors } : {}),
});

type Checked = { ok: true; event: NewReportedEvent } | { ok: false; problem: ReportProblem };

/** Checks one event against the region's effective template: capability, rollout, value event id, time. */
class EventChecker {
  private readonly templates = new Map<string, Promise<Readonly<{ valueEvents: Array<{ id: string }> }> | undefined>>();
  private known?: Promise<{ capabilities: string[]; rollouts: Array<{ capabilityId: string; region: string }> }>;

  constructor(
    private readonly ledger: LedgerDb,
    private readonly principal: Principal,
    private readonly now: number,
  ) {}

  async check(item: unknown): Promise<Checked> {
    const parsed = ReportedEvent.safeParse(item);
    if (!parsed.success) return { ok: false, problem: problem(422, 'The event is invalid.', fieldErrors(parsed.error)) };
    const e = parsed.data;
    if (!inScope(this.principal, e.capability, e.region)) return { ok: false, problem: problem(403, `Your token's scope does not cover ${e.capability}:${e.region}.`) };
    const occurredAt = Date.parse(e.occurredAt);
    if (occurredAt > this.now + REPORT_SKEW_MS) {
      return { ok: false, problem: problem(422, 'The event happens in the future.', [{ path: 'occurredAt', message: `later than the server's clock (${new Date(this.now).toISOString()}) by more than 5 minutes` }]) };
    }
    if (occurredAt < this.now - REPORT_MAX_AGE_DAYS * DAY_MS) {
      return { ok: false, problem: problem(422, `The event is older than ${REPORT_MAX_AGE_DAYS} days.`, [{ path: 'occurredAt', message: `older than ${REPORT_MAX_AGE_DAYS} days` }]) };
    }
    const template = await this.template(e.capability, e.region);
    if (!template) return { ok: false, problem: await this.unknownPlace(e.capability, e.region) };
    if (e.kind === 'value' && !template.valueEvents.some((v) => v.id === e.valueEvent)) {
      const known = template.valueEvents.map((v) => v.id).join(', ') || 'none';
      return { ok: false, problem: problem(422, `Unknown value event ${e.valueEvent}; ${e.capability} in ${e.region} counts: ${known}.`, [{ path: 'valueEvent', message: `unknown; known: ${known}` }]) };
    }
    return {
      ok: true,
      event: {
        capability: e.capability,
        key: e.key,
        region: e.region,
        kind: e.kind,
        valueEvent: e.kind === 'value' ? e.valueEvent : null,
        outcome: e.kind === 'decision' ? (e.outcome ?? null) : null,
        quantity: e.quantity,
        occurredAt,
        origin: 'report',
        reportedBy: this.principal.sub,
      },
    };
  }

  private template(capability: string, region: string) {
    const at = `${capability}:${region}`;
    let found = this.templates.get(at);
    if (!found) {
      found = getEffectiveTemplate(this.ledger, capability, region);
      this.templates.set(at, found);
    }
    return found;
  }

  private async unknownPlace(capability: string, region: string): Promise<ReportProblem> {
    this.known ??= Promise.all([listCapabilities(this.ledger), listRollouts(this.ledger)]).then(([caps, rollouts]) => ({ capabilities: caps.map((c) => c.id), rollouts }));
    const known = await this.known;
    if (!known.capabilities.includes(capability)) {
      const list = known.capabilities.join(', ') || 'none';
      return problem(422, `Unknown capability ${capability}; known: ${list}.`, [{ path: 'capability', message: `unknown; known: ${list}` }]);
    }
    const regions = known.rollouts.filter((r) => r.capabilityId === capability).map((r) => r.region).join(', ') || 'none';
    return problem(422, `${capability} is not rolled out to ${region}; rolled out: ${regions}.`, [{ path: 'region', message: `not rolled out; known: ${regions}` }]);
  }
}

const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : undefined);

/**
 * Stores a batch of reported events: each is checked on its own, stored idempotently by its key, and
 * answered in order. Refused events (422, and 409 for a key that names another event) are kept in
 * the quarantine before the caller hears of them; one audit entry names what the caller reported.
 */
export async function reportEvents(ledger: LedgerDb, principal: Principal, items: unknown[], now = Date.now()): Promise<ReportResult[]> {
  const checker = new EventChecker(ledger, principal, now);
  const checked = await Promise.all(items.map((item) => checker.check(item)));
  const results: ReportResult[] = new Array(items.length);
  const firstOf = new Map<string, number>();
  const toStore: Array<{ index: number; event: NewReportedEvent }> = [];
  const repeats: Array<{ index: number; event: NewReportedEvent; first: number }> = [];
  checked.forEach((c, index) => {
    if (!c.ok) {
      results[index] = { index, status: c.problem.status, key: text((items[index] as { key?: unknown } | null)?.key), problem: c.problem };
      return;
    }
    const place = `${c.event.capability}\u0000${c.event.key}`;
    const first = firstOf.get(place);
    if (first === undefined) {
      firstOf.set(place, index);
      toStore.push({ index, event: c.event });
    } else repeats.push({ index, event: c.event, first });
  });

  const outcomes = await storeReportedEvents(ledger, toStore.map((s) => s.event), now);
  toStore.forEach(({ index, event }, i) => {
    const outcome = outcomes[i];
    results[index] =
      outcome === 'stored'
        ? { index, status: 201, key: event.key }
        : outcome === 'duplicate'
          ? { index, status: 200, key: event.key }
          : { index, status: 409, key: event.key, problem: problem(409, `The key ${event.key} already names another event of ${event.capability}; the stored one stands.`, [{ path: 'key', message: 'already used for a different event' }]) };
  });
  for (const { index, event, first } of repeats) {
    const same = JSON.stringify(checked[first]) === JSON.stringify(checked[index]) && (results[first]!.status < 300);
    results[index] = same
      ? { index, status: 200, key: event.key }
      : { index, status: 409, key: event.key, problem: problem(409, `The key ${event.key} names another event earlier in this report (item ${first}).`, [{ path: 'key', message: `also item ${first}, with other content` }]) };
  }

  const refused = results.filter((r) => r.status === 409 || r.status === 422);
  const ids = await quarantineReports(
    ledger,
    refused.map((r) => {
      const body = items[r.index];
      const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      return { actor: principal.sub, capability: text(b.capability), region: text(b.region), type: text(b.valueEvent) ?? text(b.kind), key: text(b.key), reasons: r.problem!.errors ?? [{ path: '(root)', message: r.problem!.detail }], body };
    }),
    now,
  );
  refused.forEach((r, i) => (r.problem!.quarantineId = ids[i]));

  const places: Record<string, number> = {};
  for (const s of toStore) places[`${s.event.capability}:${s.event.region}`] = (places[`${s.event.capability}:${s.event.region}`] ?? 0) + 1;
  await appendAudit(ledger, [
    {
      idempotencyKey: `report:${randomUUID()}`,
      at: new Date(now).toISOString(),
      actor: principal.sub,
      action: 'events-reported',
      subjectType: 'report',
      subjectId: Object.keys(places).sort().join(' ') || '(none)',
      detail: {
        stored: results.filter((r) => r.status === 201).length,
        duplicates: results.filter((r) => r.status === 200).length,
        refused: refused.length,
        forbidden: results.filter((r) => r.status === 403).length,
        places,
        quarantineIds: ids,
      },
    },
  ]);
  return results;
}

/**
 * A resolution that names a value event counts beside the reported ones, keyed by the exception so a
 * retried resolve or a backfill never counts it twice. Written once the resolve's receipt confirmed it.
 */
export async function recordResolutionValue(ledger: LedgerDb, state: ExceptionState): Promise<void> {
  const r = state.resolution;
  if (state.status !== 'resolved' || !r?.valueEvent) return;
  await storeReportedEvents(
    ledger,
    [
      {
        capability: state.capability,
        key: `resolution:${state.id}`,
        region: state.region,
        kind: 'value',
        valueEvent: r.valueEvent,
        outcome: null,
        quantity: typeof r.quantity === 'number' ? r.quantity : null,
        occurredAt: r.at,
        origin: 'resolution',
        reportedBy: r.by,
      },
    ],
    Date.now(),
  );
}

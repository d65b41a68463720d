import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionState } from '../../domain/rules/exception-model.js';
import { http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { path } from '../world.js';

/**
 * Issue 13, "A view never 500s on stored data": rows planted straight into the ledger, as a bug, a
 * hand edit or an older version might have left them. Listings, the detail and the timeline read only
 * the ledger, so no worker is needed.
 */
const NOW = Date.now();
const MIN = 60_000;
/** Past the largest JS Date (8.64e15 ms): what a 999999999d SLA produced in issue 13, Why 4. */
const FAR = 1e20;

const ids = {
  good: 'exception:po-bad:good',
  farFuture: 'exception:po-bad:far-future',
  oddShapes: 'exception:po-bad:odd-shapes',
  unreadable: 'exception:po-bad:unreadable',
};

function state(id: string, over: Partial<ExceptionState> = {}): ExceptionState {
  return {
    id, capability: 'po-bad', region: 'NA', type: 'price-variance', area: 'exception-queue', severity: 'medium', title: id,
    confidence: 0.5, sourceRefs: [], qualityChecks: [], policy: { claimWithin: '15m', resolveWithin: '4h', claimLease: '30m', escalation: [] },
    valueEvents: [], webhook: null, raisedBy: 'erp', status: 'open', route: null, owner: 'priya', ownerSource: 'owner', claimant: null,
    claimedAt: null, escalationLevel: 0, escalations: [], escalationCount: 0, handEscalations: 0, commentCount: 0, breaches: [],
    claimBy: NOW + 10 * MIN, resolveBy: NOW + 60 * MIN, leaseUntil: null, snoozedUntil: null, snoozedAt: null, resolution: null,
    dismissal: null, createdAt: NOW - MIN, updatedAt: NOW - MIN, seq: 1, eventDigest: '', noticeDigest: '', digestFrom: 0, ...over,
  } as ExceptionState;
}

/** A row of the exceptions table (ledger/schema.ts) as ledger/projection.ts stateRow writes it, with `state` as given. */
function row(s: ExceptionState, stateText = JSON.stringify(s)) {
  return {
    id: s.id, capability: s.capability, region: s.region, type: s.type, area: s.area, severity: s.severity, title: s.title, status: s.status,
    owner: s.owner, claimant: s.claimant, escalation_level: s.escalationLevel, confidence: s.confidence, claim_by: s.claimBy,
    resolve_by: s.resolveBy, overdue_at: s.status === 'open' ? Math.min(s.claimBy, s.resolveBy) : null, lease_until: s.leaseUntil,
    snoozed_until: s.snoozedUntil, created_at: s.createdAt, updated_at: s.updatedAt, closed_at: null, resolution_code: null, value_event: null,
    seq: s.seq, state: stateText, payload: '{}', fence: 1, confirmed_seq: s.seq, written_at: NOW,
  };
}

let stack: Stack;
let admin: string;
let operator: string;
beforeAll(async () => {
  stack = await startStack({ worker: false });
  admin = await stack.token('root', 'admin');
  operator = await stack.mint({ sub: 'li', roles: ['operator'], scope: ['po-bad:NA'] });
  const farFuture = state(ids.farFuture, {
    claimBy: FAR, resolveBy: FAR, leaseUntil: FAR, createdAt: FAR, updatedAt: FAR, escalationLevel: 1, escalationCount: 1,
    escalations: [{ level: 1, at: FAR, target: 'dana', reason: 'claim SLA lapsed', kind: 'claim', dueAt: FAR }],
  });
  const oddShapes = state(ids.oddShapes, {
    status: 'resolved', claimBy: -FAR, resolveBy: Number.NaN, createdAt: -FAR,
    resolution: { code: 'fixed', note: null, valueEvent: null, by: 'li', at: FAR } as ExceptionState['resolution'],
    // A hole in the list, and an entry whose time is not a number.
    escalations: [null, { level: 2, at: 'soon', target: null, reason: 'by hand', kind: 'hand' }] as unknown as ExceptionState['escalations'],
    sourceRefs: null as unknown as ExceptionState['sourceRefs'],
  });
  await stack.ledger.insertInto('exceptions').values([
    row(state(ids.good)),
    row(farFuture),
    // JSON turns NaN into null; the column keeps a number, as a real write would have.
    { ...row(oddShapes), resolve_by: 0 },
    row(state(ids.unreadable), '{"id": "exception:po-bad:unreadable", "status": '),
  ]).execute();
  const event = (seq: number, over: Record<string, unknown> = {}) => ({
    exception_id: ids.farFuture, seq, at: NOW, actor: 'li', action: 'commented', from_value: null, to_value: null, reason: 'a note', detail: '{}', fence: 1, ...over,
  });
  await stack.ledger.insertInto('exception_events').values([
    event(1, { action: 'raised', detail: 'not json {' }),
    event(2, { at: FAR, detail: '[1, 2]' }),
    event(3, { at: FAR, detail: 'null' }),
    { ...event(1, { exception_id: ids.unreadable, action: 'raised' }) },
  ]).execute();
});
afterAll(async () => stack?.close());

const list = (query: string, token = admin) => http(`${stack.url}/api/v1/exceptions${query}`, { token });

describe('a listing with bad rows in the ledger', () => {
  it.each([
    '',
    '?status=open',
    '?status=open,claimed,resolved,dismissed',
    '?sort=deadline',
    '?overdue=true',
    '?overdue=false',
    '?escalated=true',
    '?capability=po-bad&region=NA&area=exception-queue',
    '?severity=medium&type=price-variance',
  ])('answers 200 for %s, leaving out only the unreadable row', async (query) => {
    for (const token of [admin, operator]) {
      const res = await list(query, token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const listed = (res.body.items as Array<{ id: string }>).map((e) => e.id);
      expect(listed).not.toContain(ids.unreadable);
    }
  });

  it('renders an out-of-range time as null and keeps the rest of the row', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    const far = res.body.items.find((e: { id: string }) => e.id === ids.farFuture);
    expect(far).toMatchObject({ deadlines: { claimBy: null, resolveBy: null, leaseUntil: null }, createdAt: null, escalations: [{ level: 1, at: null, target: 'dana' }] });
    const odd = res.body.items.find((e: { id: string }) => e.id === ids.oddShapes);
    expect(odd).toMatchObject({ status: 'resolved', deadlines: { claimBy: null, resolveBy: null }, escalations: [{ level: 2, at: null, reason: 'by hand' }], trust: { sourceRefs: [] }, resolution: { code: 'fixed', at: null } });
    expect(res.body.items.map((e: { id: string }) => e.id)).toContain(ids.good);
  });

  it('pages through every row one at a time, sorted by deadline, past the far-future one', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`?sort=deadline&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen.sort()).toEqual([ids.farFuture, ids.good, ids.oddShapes].sort());
  });
});

describe('one exception with bad stored data', () => {
  it('answers its detail with nulls for the times it cannot show', async () => {
    const res = await http(`${stack.url}/api/v1/exceptions/${path(ids.farFuture)}`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: ids.farFuture, deadlines: { claimBy: null }, comments: [{ at: null, text: 'a note' }, { at: null }] });
  });

  it('answers its timeline, an unreadable detail shown as empty', async () => {
    const res = await http(`${stack.url}/api/v1/exceptions/${path(ids.farFuture)}/timeline`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items).toMatchObject([
      { seq: 1, action: 'raised', detail: {} },
      { seq: 2, at: null, detail: {} },
      { seq: 3, at: null, detail: {} },
    ]);
  });

  it('answers 404, not 500, for a row whose state cannot be read, and for its timeline', async () => {
    for (const suffix of ['', '/timeline']) {
      const res = await http(`${stack.url}/api/v1/exceptions/${path(ids.unreadable)}${suffix}`, { token: admin });
      expect(res.status, JSON.stringify(res.body)).toBe(404);
    }
  });

  it('answers the other odd row too', async () => {
    const res = await http(`${stack.url}/api/v1/exceptions/${path(ids.oddShapes)}`, { token: operator });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

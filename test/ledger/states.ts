import type { ExceptionState } from '../../domain/rules/exception-model.js';

export const NOW = Date.UTC(2026, 10, 26, 12);
export const MIN = 60_000;

/** An exception's state as its workflow would hold it, for ledger tests that need no Temporal. */
export function exceptionState(n: number, over: Partial<ExceptionState> = {}, capability = 'po-list'): ExceptionState {
  return {
    id: `exception:${capability}:${n}`, capability, region: n % 2 ? 'NA' : 'EU', type: 'price-variance', area: 'exception-queue',
    severity: 'high', title: `case ${n}`, confidence: 0.5, sourceRefs: [], qualityChecks: [],
    policy: { claimWithin: '15m', resolveWithin: '4h', claimLease: '30m', escalation: [{ after: '5m', notify: 'backup' }] },
    valueEvents: [], webhook: null, raisedBy: 'upstream', status: 'open', route: null, owner: 'priya', ownerSource: 'owner',
    claimant: null, claimedAt: null, escalationLevel: 0, escalations: [], breaches: [], claimBy: NOW + 10 * MIN, resolveBy: NOW + 60 * MIN,
    leaseUntil: null, snoozedUntil: null, snoozedAt: null, resolution: null, dismissal: null, createdAt: NOW - n * 1000,
    updatedAt: NOW, seq: 1, escalationCount: 0, handEscalations: 0, commentCount: 0, eventDigest: '', noticeDigest: '', digestFrom: 0, ...over,
  } as ExceptionState;
}

import type { ExceptionEvent, ExceptionState, Notification } from './exception-model.js';

/**
 * Chained FNV-1a digests of what an exception recorded. The workflow keeps two short strings instead of
 * its timeline; `ledger:verify` recomputes them from the ledger's rows, so a missing, extra or altered
 * event or inbox entry shows up without the workflow holding the list.
 */
function fnv1a(seed: string, text: string): string {
  let h = 0x811c9dc5;
  const input = `${seed}\u0000${text}`;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export const EMPTY_DIGEST = '';

export function eventDigest(previous: string, e: Pick<ExceptionEvent, 'seq' | 'at' | 'actor' | 'action' | 'from' | 'to' | 'reason'>): string {
  return fnv1a(previous, [e.seq, e.at, e.actor, e.action, e.from ?? '', e.to ?? '', e.reason ?? ''].join('\u0001'));
}

export function noticeDigest(previous: string, n: Pick<Notification, 'seq' | 'person' | 'kind' | 'level'>): string {
  return fnv1a(previous, [n.seq, n.person, n.kind, n.level].join('\u0001'));
}

/**
 * A decision item's event (domain/rules/decision.ts), content and all: its detail is canonical JSON, so
 * the workflow's digest and one recomputed from the ledger's stored detail agree however keys are ordered.
 */
export function decisionEventDigest(previous: string, e: { seq: number; at: number; actor: string; action: string; detail: unknown }): string {
  return fnv1a(previous, [e.seq, e.at, e.actor, e.action, canonicalJson(e.detail)].join('\u0001'));
}

export function chainEvents(previous: string, events: Parameters<typeof eventDigest>[1][]): string {
  return events.reduce(eventDigest, previous);
}

export function chainNotices(previous: string, notices: Parameters<typeof noticeDigest>[1][]): string {
  return notices.reduce(noticeDigest, previous);
}

/** JSON with sorted keys, so two copies of one state compare equal however they were built. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1))) : v,
  );
}

/**
 * The digest of a whole state (its event and notification digests included). An update's receipt
 * carries the one its workflow task computed; history keeps that receipt, so the ledger can check that
 * the row it holds at that seq is the one history's attempt made, not another attempt's (decision 0009).
 */
export function stateDigest(state: ExceptionState): string {
  return fnv1a('state', canonicalJson(state));
}

/** A short digest of an intake's payload: a later intake with another one carries fresh data. */
export function dataDigest(payload: unknown): string {
  return fnv1a('data', JSON.stringify(payload ?? null));
}

import type { ExceptionEvent, Notification } from './exception-model.js';

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

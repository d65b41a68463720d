import { canonicalJson, chainEvents, chainNotices, stateDigest } from '../domain/rules/digest.js';
import type { ExceptionState, Receipt, RecordedTransition } from '../domain/rules/exception-model.js';
import type { LedgerDb } from './db.js';
import { rowWriteTransaction } from './dialect.js';
import { writeMail, type MailRouting } from './mail.js';
import { dropTail, stateRow, writeEvents, writeInbox, writeOutbox } from './projection.js';

/**
 * Confirmation: when the ledger may say "history holds this" about its rows (decision 0009). A seq is
 * not enough: two attempts of one workflow task can both reach seq N with different content (another
 * claimant, another time), and the local activity of the attempt history kept may have been resolved
 * from the other attempt's write. So a row is confirmed only when its content is history's:
 *
 * - by a receipt (an update returned, so history holds it): the receipt's state digest must be the
 *   row's, and the rows written since the last confirmation must chain to the row's event and
 *   notification digests;
 * - by the confirmer, which asks the workflow: the same checks against the workflow's state.
 *
 * Where they differ, the confirmer rebuilds every row after the last confirmation from the transitions
 * the workflow remembers (`rebuildTail`). Nothing leaves through the outbox before confirmation.
 */

/** The connection a rowWriteTransaction holds. */
type Tx = LedgerDb;

interface Head {
  fence: number;
  seq: number;
  confirmed_seq: number;
  confirmed_event_digest: string | null;
  confirmed_notice_digest: string | null;
  state: string;
  written_at: number;
}

export interface Observed {
  fence: number;
  seq: number;
}

export async function readProjectionHead(db: LedgerDb, id: string): Promise<Head | undefined> {
  return db
    .selectFrom('exceptions')
    .select(['fence', 'seq', 'confirmed_seq', 'confirmed_event_digest', 'confirmed_notice_digest', 'state', 'written_at'])
    .where('id', '=', id)
    .executeTakeFirst();
}

function parseState(text: string): ExceptionState | null {
  try {
    return JSON.parse(text) as ExceptionState;
  } catch {
    return null;
  }
}

/** The digests history's attempt had at confirmed_seq: stored, or (first time) chained from the rows. */
async function anchorOf(tx: Tx, id: string, head: Head, digestFrom: number): Promise<{ seq: number; events: string; notices: string }> {
  if (head.confirmed_event_digest !== null && head.confirmed_notice_digest !== null && head.confirmed_seq >= digestFrom) {
    return { seq: head.confirmed_seq, events: head.confirmed_event_digest, notices: head.confirmed_notice_digest };
  }
  const through = Math.max(head.confirmed_seq, digestFrom);
  const rows = await rowsAfter(tx, id, digestFrom, through);
  return { seq: through, events: chainEvents('', rows.events), notices: chainNotices('', rows.notices) };
}

async function rowsAfter(tx: Tx, id: string, after: number, through?: number) {
  let events = tx.selectFrom('exception_events').select(['seq', 'at', 'actor', 'action', 'from_value', 'to_value', 'reason']).where('exception_id', '=', id).where('seq', '>', after);
  let inbox = tx.selectFrom('inbox').select(['seq', 'person', 'kind', 'level']).where('exception_id', '=', id).where('seq', '>', after);
  if (through !== undefined) {
    events = events.where('seq', '<=', through);
    inbox = inbox.where('seq', '<=', through);
  }
  const eventRows = await events.orderBy('seq').execute();
  const inboxRows = await inbox.orderBy('seq').orderBy('id').execute();
  return {
    events: eventRows.map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, from: e.from_value, to: e.to_value, reason: e.reason })),
    notices: inboxRows.map((n) => ({ seq: n.seq, person: n.person, kind: n.kind as 'assigned', level: n.level })),
  };
}

/** Confirms the head if its rows chain to `state`'s digests (the head's own state, already checked). */
async function confirmRows(tx: Tx, id: string, head: Head, state: ExceptionState): Promise<boolean> {
  const confirm = (digests: { confirmed_event_digest: string; confirmed_notice_digest: string } | Record<string, never>) =>
    tx.updateTable('exceptions').set({ confirmed_seq: head.seq, ...digests }).where('id', '=', id).where('seq', '=', head.seq).where('fence', '=', head.fence).execute();
  if (typeof state.digestFrom !== 'number') {
    // A state from before digests: its seq is all there is to check.
    await confirm({});
    return true;
  }
  const anchor = await anchorOf(tx, id, head, state.digestFrom);
  const rows = await rowsAfter(tx, id, anchor.seq);
  if (chainEvents(anchor.events, rows.events) !== state.eventDigest || chainNotices(anchor.notices, rows.notices) !== state.noticeDigest) return false;
  await confirm({ confirmed_event_digest: state.eventDigest, confirmed_notice_digest: state.noticeDigest });
  return true;
}

export type ReceiptCheck = 'confirmed' | 'unchecked' | 'differs' | 'behind';

/**
 * An update returned `receipt`, so history holds that transition. Confirms the ledger's row if it is the
 * one history's attempt wrote. 'unchecked': the row moved on since (a later write; the confirmer looks);
 * 'behind': the ledger lacks the transition; 'differs': the row came from another attempt. For the last
 * two the row is handed to the confirmer at once (its confirmation is withdrawn to the last checked point).
 */
export async function confirmReceipt(db: LedgerDb, receipt: Receipt): Promise<ReceiptCheck> {
  return rowWriteTransaction(db, 'exceptions', receipt.id, async (tx) => {
    const head = await readProjectionHead(tx, receipt.id);
    if (!head) return 'unchecked';
    if (head.confirmed_seq >= receipt.seq && head.seq >= receipt.seq) return 'confirmed';
    if (head.seq > receipt.seq || receipt.digest === undefined) return 'unchecked';
    const state = parseState(head.state);
    if (head.seq === receipt.seq && state && stateDigest(state) === receipt.digest && (await confirmRows(tx, receipt.id, head, state))) return 'confirmed';
    await handToConfirmer(tx, receipt.id, head);
    return head.seq < receipt.seq ? 'behind' : 'differs';
  });
}

/** Makes the confirmer look at this row on its next sweep, whatever its seq says. */
async function handToConfirmer(tx: Tx, id: string, head: Head): Promise<void> {
  if (head.confirmed_seq < head.seq) return;
  await tx.updateTable('exceptions').set({ confirmed_seq: Math.max(0, head.seq - 1), confirmed_event_digest: null, confirmed_notice_digest: null }).where('id', '=', id).execute();
}

/** The confirmer asked the workflow: confirms if the ledger holds exactly its state, and rows that chain to it. */
export async function confirmFromWorkflow(db: LedgerDb, id: string, observed: Observed, truth: ExceptionState): Promise<boolean> {
  return rowWriteTransaction(db, 'exceptions', id, async (tx) => {
    const head = await readProjectionHead(tx, id);
    if (!head || head.fence !== observed.fence || head.seq !== observed.seq || truth.seq !== head.seq) return false;
    const state = parseState(head.state);
    if (!state || canonicalJson(state) !== canonicalJson(truth)) return false;
    return confirmRows(tx, id, head, truth);
  });
}

export type RebuildOutcome = 'rebuilt' | 'moved' | 'uncovered';

/**
 * The ledger's rows after the last confirmation are not history's (another attempt wrote them, or a
 * write never came): replaces all of them, and the state row, with the transitions the workflow
 * remembers. Only if nothing was written since `observed`, and only if the remembered transitions cover
 * every seq after the confirmation and chain to the workflow's digests ('uncovered' otherwise: the
 * workflow continued as new since, or remembers too little). The fence moves just past the one observed,
 * so a late write of the attempt that wrote the replaced rows is refused. Not confirmed here: the next
 * check confirms what history then shows.
 */
export async function rebuildTail(db: LedgerDb, id: string, observed: Observed, truth: ExceptionState, transitions: RecordedTransition[], now = Date.now(), mail?: MailRouting): Promise<RebuildOutcome> {
  return rowWriteTransaction(db, 'exceptions', id, async (tx) => {
    const head = await readProjectionHead(tx, id);
    if (!head || head.fence !== observed.fence || head.seq !== observed.seq) return 'moved';
    if (typeof truth.digestFrom !== 'number') return 'uncovered';
    const anchor = await anchorOf(tx, id, head, truth.digestFrom);
    const events = transitions.flatMap((t) => t.events).filter((e) => e.seq > anchor.seq);
    const notices = transitions.flatMap((t) => t.notifications).filter((n) => n.seq > anchor.seq);
    const contiguous = events.length === truth.seq - anchor.seq && events.every((e, i) => e.seq === anchor.seq + 1 + i);
    if (!contiguous || chainEvents(anchor.events, events) !== truth.eventDigest || chainNotices(anchor.notices, notices) !== truth.noticeDigest) return 'uncovered';
    const fence = head.fence + 1;
    await dropTail(tx, id, anchor.seq, null);
    await tx.updateTable('exceptions').set({ ...stateRow(truth, fence, now), confirmed_seq: anchor.seq, confirmed_event_digest: anchor.events, confirmed_notice_digest: anchor.notices }).where('id', '=', id).execute();
    await writeEvents(tx, id, events, fence, true);
    await writeInbox(tx, id, notices, fence, true);
    await writeOutbox(tx, truth, notices, fence, now);
    if (mail) await writeMail(tx, truth, events, notices, fence, now, mail);
    return 'rebuilt';
  });
}

/**
 * The workflow is behind the ledger and remembers too little to rebuild: drops the tail after the
 * workflow's seq and restores the row from its state (the rows up to that seq are left as they are).
 */
export async function trimToWorkflow(db: LedgerDb, id: string, observed: Observed, truth: ExceptionState, now = Date.now()): Promise<boolean> {
  return rowWriteTransaction(db, 'exceptions', id, async (tx) => {
    const head = await readProjectionHead(tx, id);
    if (!head || head.fence !== observed.fence || head.seq !== observed.seq || truth.seq >= head.seq) return false;
    await dropTail(tx, id, truth.seq, null);
    const withdrawn = head.confirmed_seq > truth.seq ? { confirmed_seq: truth.seq, confirmed_event_digest: null, confirmed_notice_digest: null } : {};
    await tx.updateTable('exceptions').set({ ...stateRow(truth, observed.fence + 1, now), ...withdrawn }).where('id', '=', id).execute();
    return true;
  });
}

import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { AllowedHosts } from '../platform/webhook-target.js';
import type { GapInputs } from '../domain/gaps.js';
import { sql } from 'kysely';
import type { OwnershipChange } from '../domain/ownership.js';
import type { Person } from '../domain/people.js';
import { appendAudit } from '../ledger/audit.js';
import { createDecisionActivities } from './decisions.js';
import { createAttestationActivities } from './attestation.js';
import { createCalendarActivities } from './calendars.js';
import { createExceptionActivities } from './exceptions.js';
import { createReadinessActivities } from './readiness.js';
import { createRoutingActivities } from './routing.js';
import type { LedgerDb } from '../ledger/db.js';
import type { MailRouting } from '../ledger/mail.js';
import { relintAll, relintCapability } from '../ledger/chain-lint.js';
import { recordChange } from '../ledger/ownership.js';
import { projectPerson } from '../ledger/people.js';
import type { SelfCheckResult } from '../workflows/system/messages.js';

export interface ActivityDeps {
  ledger: LedgerDb;
  client: Client;
  webhookSecret: string;
  now?: () => Date;
  webhookAllowedHosts?: AllowedHosts;
  /** The gap audit's thresholds, for the readiness scorecard's ownership criterion. */
  gapThresholds?: GapInputs['thresholds'];
  /** Test-only: the ledger fence off (test/ledger/fence.test.ts). */
  unfencedLedger?: boolean;
  /** E-mail is on (SMTP_URL): transitions file mail rows in the outbox. */
  mail?: MailRouting;
}

/** Built by a factory so tests can hand in typed fakes. Every write is keyed on the workflow ID, so retries are no-ops. */
export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const { ledger } = deps;
  return {
    ...createExceptionActivities(deps),
    ...createRoutingActivities(deps),
    ...createReadinessActivities(deps),
    ...createDecisionActivities(deps),
    ...createAttestationActivities(deps),
    ...createCalendarActivities(deps),

    async describeLedger(): Promise<SelfCheckResult> {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(ledger);
      return { ledgerMigrations: rows.map((r) => r.name), workerIdentity: `${process.pid}@${os.hostname()}`, checkedAt: now().toISOString() };
    },

    async recordPersonChange(input: { person: Person; before: Person | null; version: number; actor: string; reason: string | null; workflowId: string }) {
      await ledger.transaction().execute(async (tx) => {
        await projectPerson(tx, input.person, input.version);
        await appendAudit(tx, [
          {
            idempotencyKey: `${input.workflowId}#${input.version}`,
            at: input.person.updatedAt,
            actor: input.actor,
            action: input.before ? 'person.updated' : 'person.created',
            subjectType: 'person',
            subjectId: input.person.id,
            reason: input.reason,
            detail: { before: input.before, after: input.person },
          },
        ]);
      });
      // A status or a manager is what a chain's steps resolve through: every capability's chains are linted again.
      // A new address clears an earlier refusal (unreachable), so it counts too.
      const { before, person } = input;
      if (!before || before.status !== person.status || before.managerId !== person.managerId || before.email !== person.email) await relintAll(ledger);
    },

    async recordOwnershipChange(input: { capability: string; change: OwnershipChange; workflowId: string }) {
      const { change } = input;
      await ledger.transaction().execute(async (tx) => {
        await recordChange(tx, input.capability, change);
        await appendAudit(tx, [
          {
            idempotencyKey: `${input.workflowId}#${change.version}`,
            at: change.at,
            actor: change.actor,
            action: 'ownership.assigned',
            subjectType: 'ownership-cell',
            subjectId: `${input.capability}/${change.region}/${change.area}`,
            reason: change.reason,
            detail: { version: change.version, before: change.before, after: change.after },
          },
        ]);
      });
      await relintCapability(ledger, input.capability);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

import { sql, type Kysely, type Migration } from 'kysely';

/**
 * 0013_mail: e-mail notifications. Each person's delivery choice per kind (`notify_prefs`, JSON of
 * domain/rules/mail.ts MailPreferences; a ledger-only setting, so the directory workflow's state stays
 * as small as it was) and the last permanent refusal of their address (`unreachable_at`, ISO time, and
 * its reason), which the gap audit reports as an unreachable owner until a later mail gets through.
 *
 * Mail rows share the outbox: channel `email` (sent at once) or `digest` (sent with the person's daily
 * digest), kind = `email:` and the mail kind (`email:assignment`, …), which never equals a webhook row's
 * notification kind (`assigned`, `escalated`, …), so the existing unique key `(exception_id, seq, person,
 * kind)` keeps both rows of one notification and makes a retried write a no-op. The index finds a
 * person's pending digest rows.
 */
export const mailMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('people').addColumn('notify_prefs', 'text', (c) => c.notNull().defaultTo('{}')).execute();
    await db.schema.alterTable('people').addColumn('unreachable_at', 'text').execute();
    await db.schema.alterTable('people').addColumn('unreachable_reason', 'text').execute();
    await db.schema
      .createIndex('outbox_digest')
      .on('outbox')
      .columns(['person', 'id'])
      .where(sql<boolean>`channel = 'digest' and delivered_at is null and failed_at is null`)
      .execute();
  },
};

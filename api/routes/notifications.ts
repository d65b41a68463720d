import { z } from 'zod';
import { Delivery, MailKind, NotificationPreferences } from '../../domain/mail.js';
import { PersonId } from '../../domain/people.js';
import type { Principal } from '../../domain/principal.js';
import type { LedgerDb } from '../../ledger/db.js';
import { readPreferences, savePreferences } from '../../ledger/mail-preferences.js';
import { AppError } from '../errors.js';
import type { ApiRoutes } from '../route.js';

const Preferences = z
  .object({
    personId: z.string(),
    preferences: z.record(z.enum(MailKind), z.enum(Delivery)),
    emailEnabled: z.boolean().meta({ description: 'SMTP_URL is set on this desk: without it every notification stays in the inbox' }),
    alwaysNow: z.array(z.string()).meta({ description: 'What goes out at once whatever the choice' }),
    unreachable: z.object({ since: z.string(), reason: z.string() }).nullable().meta({ description: "The last permanent refusal of the person's address (until a mail gets through)" }),
  })
  .meta({ id: 'NotificationPreferences' });

const PreferencesBody = NotificationPreferences.meta({
  id: 'NotificationPreferencesInput',
  description:
    'Per kind: `now` (one e-mail each), `digest` (one e-mail a day, at SMTP_DIGEST_HOUR in the region\'s time zone) or `inbox` (the console only). ' +
    'A kind left out goes out at once. `moved`: work that came to you when its owner departed, went on leave, or the matrix changed.',
});

const ALWAYS_NOW = ['Escalations of critical exceptions go out at once, whatever the choice for escalations'];
const anyRole = ['operator', 'owner', 'manager', 'admin', 'integration'] as const;
const mayRead = (principal: Principal, personId: string) => principal.sub === personId || principal.roles.includes('manager') || principal.roles.includes('admin');

/** Each person's e-mail choices: read and set by the person, read by managers and admins. */
export function notificationRoutes(routes: ApiRoutes, deps: { ledger: LedgerDb; emailEnabled: boolean }) {
  const answer = (stored: NonNullable<Awaited<ReturnType<typeof readPreferences>>>) => ({ ...stored, emailEnabled: deps.emailEnabled, alwaysNow: ALWAYS_NOW });

  routes.route({
    method: 'get',
    path: '/api/v1/people/{personId}/notification-preferences',
    summary: "A person's e-mail choices per notification kind, and whether their address is refused",
    description: 'Your own, or anyone\'s with the manager or admin role (403 otherwise).',
    tags: ['people'],
    roles: [...anyRole],
    scope: { kind: 'none', why: "a person's own settings, about no capability or region" },
    params: z.strictObject({ personId: PersonId }),
    responses: { 200: { description: 'The choices', schema: Preferences }, 404: { description: 'No such person in the directory' } },
    handler: async ({ params, principal }) => {
      if (!mayRead(principal, params.personId)) throw new AppError('FORBIDDEN', "Only the person, a manager or an admin reads someone's notification preferences.");
      const stored = await readPreferences(deps.ledger, params.personId);
      if (!stored) throw new AppError('NOT_FOUND', `No person ${params.personId}.`);
      return answer(stored);
    },
  });

  routes.route({
    method: 'put',
    path: '/api/v1/people/{personId}/notification-preferences',
    summary: 'Set your own e-mail choices per notification kind',
    description:
      'Replaces every choice (a kind left out goes back to `now`). Only the person sets their own (403 otherwise). ' +
      'Refused with 409 while e-mail is off (SMTP_URL unset): the choice would change nothing. Audited with the caller as actor.',
    tags: ['people'],
    roles: [...anyRole],
    scope: { kind: 'none', why: "a person's own settings, about no capability or region" },
    params: z.strictObject({ personId: PersonId }),
    body: PreferencesBody,
    responses: {
      200: { description: 'The choices now', schema: Preferences },
      409: { description: 'E-mail is off on this desk (SMTP_URL unset)' },
    },
    handler: async ({ params, body, principal }) => {
      if (principal.sub !== params.personId) throw new AppError('FORBIDDEN', 'Only the person sets their own notification preferences.');
      if (!deps.emailEnabled) throw new AppError('CONFLICT', 'E-mail is off on this desk (SMTP_URL is unset): every notification stays in the inbox, so a choice would change nothing.');
      const stored = await savePreferences(deps.ledger, params.personId, body, principal.sub);
      // The caller passed the directory check, so their row is there; never the case in practice.
      if (!stored) throw new AppError('FORBIDDEN', `${params.personId} is not in the directory.`);
      return answer(stored);
    },
  });
}

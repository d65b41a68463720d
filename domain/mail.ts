import { z } from 'zod';
import { Delivery, MailKind } from './rules/mail.js';

export { Delivery, deliveryOf, MailKind, effectivePreferences, type MailPreferences } from './rules/mail.js';

/** A person's choice per kind; a kind left out goes out at once (the default). */
export const NotificationPreferences = z.strictObject(
  Object.fromEntries(MailKind.map((k) => [k, z.enum(Delivery).optional()])) as Record<MailKind, z.ZodOptional<z.ZodEnum<{ [D in Delivery]: D }>>>,
);
export type NotificationPreferences = z.infer<typeof NotificationPreferences>;

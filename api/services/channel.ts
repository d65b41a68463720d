import type { CapabilityTemplate, Notifications } from '../../domain/capability.js';
import type { Principal } from '../../domain/principal.js';
import { checkWebhookUrl, maskUrl, type AllowedHosts } from '../../platform/webhook-target.js';
import { AppError } from '../errors.js';

/**
 * A notification channel sends every exception of a region, signed, to a URL: it is capability-wide
 * configuration, so only an admin or a manager whose scope covers the whole capability sets it, its
 * target is checked (platform/webhook-target.ts), and only admins see the URL in full.
 */
export type Channel = Notifications['channel'];

/** Called with the channel in force before a save and the one the save would put in force. */
export type ChannelGuard = (before: Channel, after: Channel) => void;

const PATH = 'notifications.channel.webhook';

export function coversWholeCapability(principal: Principal, capability: string): boolean {
  if (principal.roles.includes('admin')) return true;
  if (!principal.roles.includes('manager')) return false;
  return !principal.scope || principal.scope.some((entry) => {
    const [cap, region] = entry.split(':');
    return (cap === '*' || cap === capability) && region === '*';
  });
}

const webhookOf = (channel: Channel | undefined) => (channel && channel !== 'none' ? channel.webhook : null);

export function channelGuard(principal: Principal, capability: string, allowedHosts: AllowedHosts): ChannelGuard {
  return (before, after) => {
    const was = webhookOf(before);
    const next = webhookOf(after);
    if (was === next) return;
    if (!coversWholeCapability(principal, capability)) {
      throw new AppError('FORBIDDEN', `Only an admin or a manager of all of ${capability} sets notifications.channel; your token's scope is ${principal.scope?.join(', ') ?? 'unrestricted'}.`, {
        errors: [{ path: 'notifications.channel', message: 'needs a manager of the whole capability, or an admin' }],
      });
    }
    if (next === null) return;
    if (was !== null && next === maskUrl(was)) {
      throw new AppError('UNPROCESSABLE', 'The webhook is the masked form of the stored URL; send the full URL, or leave the channel out of an overlay to keep it.', {
        errors: [{ path: PATH, message: 'the masked URL cannot be saved' }],
      });
    }
    const checked = checkWebhookUrl(next, allowedHosts);
    if (!checked.ok) throw new AppError('UNPROCESSABLE', `The webhook URL is refused: ${checked.message}.`, { errors: [{ path: PATH, message: checked.message }] });
  };
}

function maskChannel<T extends { notifications?: { channel?: unknown } }>(tree: T): T {
  const channel = tree.notifications?.channel;
  if (!channel || typeof channel !== 'object' || typeof (channel as { webhook?: unknown }).webhook !== 'string') return tree;
  const webhook = maskUrl((channel as { webhook: string }).webhook);
  return { ...tree, notifications: { ...tree.notifications, channel: { ...channel, webhook } } };
}

/** A template as this caller may see it: the webhook URL masked for all but admins. */
export function templateFor(principal: Principal, template: CapabilityTemplate): CapabilityTemplate {
  return principal.roles.includes('admin') ? template : maskChannel(template);
}

/** An overlay as this caller may see it. */
export function overlayFor(principal: Principal, overlay: Record<string, unknown>): Record<string, unknown> {
  return principal.roles.includes('admin') ? overlay : maskChannel(overlay as { notifications?: { channel?: unknown } });
}

/**
 * Non-admins only ever see a masked URL; an overlay sent back with it unchanged keeps the stored URL,
 * so editing another key of a fetched overlay does not overwrite the webhook with its mask.
 */
export function keepMaskedWebhook(overlay: unknown, stored: Record<string, unknown> | undefined): unknown {
  const sent = (overlay as { notifications?: { channel?: { webhook?: unknown } } } | null)?.notifications?.channel?.webhook;
  const kept = (stored as { notifications?: { channel?: { webhook?: unknown } } } | undefined)?.notifications?.channel?.webhook;
  if (typeof sent !== 'string' || typeof kept !== 'string' || sent === kept || sent !== maskUrl(kept)) return overlay;
  const tree = overlay as { notifications: { channel: object } };
  return { ...tree, notifications: { ...tree.notifications, channel: { ...tree.notifications.channel, webhook: kept } } };
}

import dns, { type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { internalKind } from './ip-ranges.js';
import { isAllowedHost, type AllowedHosts } from './webhook-allowlist.js';

export { parseAllowedHosts, type AllowedHost, type AllowedHosts } from './webhook-allowlist.js';

/**
 * Where a webhook may go. Two checks, both needed: at save time the URL itself (scheme, credentials,
 * a literal internal address or an internal-only name), and at delivery time every address its name
 * resolves to, on the very connection that is made, so a name that resolves (or re-resolves) inside
 * is refused too. Hosts on the allowlist (WEBHOOK_ALLOWED_HOSTS) skip the address checks.
 */
export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; message: string };

// Names that only mean something on a local network or machine.
const INTERNAL_NAME = /(?:^|\.)(?:localhost|internal|local|lan|intranet|home\.arpa|localdomain)$/;

function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return net.isIP(bare) ? bare : null;
}

/**
 * Save-time check of a webhook URL; no DNS. Besides literal internal addresses it refuses names that
 * only resolve on a local network (localhost, *.internal, single-label names, …) unless allowed.
 */
export function checkWebhookUrl(text: string, allowedHosts: AllowedHosts): WebhookUrlCheck {
  return checkUrl(text, allowedHosts, true);
}

function checkUrl(text: string, allowedHosts: AllowedHosts, judgeNames: boolean): WebhookUrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: 'expected an http or https URL' };
  if (url.username || url.password) {
    return { ok: false, message: 'must not carry credentials (user:password@); receivers check the signature header instead' };
  }
  if (isAllowedHost(url, allowedHosts)) return { ok: true, url };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const ip = ipLiteral(host);
  const kind = ip ? internalKind(ip) : null;
  if (kind) return { ok: false, message: `${url.hostname} is an internal address (${kind}); webhooks go to public addresses only, unless WEBHOOK_ALLOWED_HOSTS lists the host` };
  if (judgeNames && !ip && (!host.includes('.') || INTERNAL_NAME.test(host))) {
    return { ok: false, message: `${url.hostname} is a local name; webhooks go to public hosts only, unless WEBHOOK_ALLOWED_HOSTS lists the host` };
  }
  return { ok: true, url };
}

/** The URL as non-admins see it: scheme and host, with credentials, path and query hidden. */
export function maskUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '…';
  }
}

export interface SignedPost {
  url: string;
  /** Signature, timestamp, idempotency key, content-type: sent as given. Content-Length is set here. */
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Stops the delivery at once: an activity's or a dispatcher's cancellation. */
  signal?: AbortSignal;
  allowedHosts: AllowedHosts;
  /** The whole attempt: DNS, connect, TLS, request and the response's status line. */
  timeoutMs: number;
}

export interface DeliveryReceipt {
  /** Any final status but 3xx; see deliveryVerdict for what to do with it. */
  status: number;
}

/**
 * - refused-target: the URL or an address it resolves to is not allowed (not retryable);
 * - redirect: the receiver answered 3xx; redirects are never followed (not retryable);
 * - timeout: timeoutMs passed (retryable);
 * - aborted: the caller's signal fired (not retried here: the caller stopped it);
 * - network: DNS, connection or TLS failure (retryable).
 */
export type DeliveryFailureKind = 'refused-target' | 'redirect' | 'timeout' | 'aborted' | 'network';

export class WebhookDeliveryError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly kind: DeliveryFailureKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebhookDeliveryError';
    this.retryable = kind === 'timeout' || kind === 'network';
  }
}

/** What a receiver's status means: 2xx delivered; 408, 429 and 5xx worth retrying; any other 4xx is final. */
export function deliveryVerdict(status: number): 'delivered' | 'retry' | 'refused' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'refused';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, refusing every answer that holds an internal address; the socket connects to what passed. */
function guardedLookup(url: URL, allowInternal: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const internal = allowInternal ? undefined : addresses.find((a) => internalKind(a.address) !== null);
      if (internal || addresses.length === 0) {
        const why = internal ? `resolves to ${internal.address}, an internal address (${internalKind(internal.address)})` : 'resolves to no address';
        return callback(Object.assign(new WebhookDeliveryError('refused-target', `webhook ${maskUrl(url.href)}: ${url.hostname} ${why}`), { code: 'EWEBHOOKTARGET' }), []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * POSTs a signed body to a webhook, once: no redirects, no retries (the caller owns both), no
 * connection reuse. Resolves with the status of any answer but a 3xx; rejects with a WebhookDeliveryError.
 */
export function deliverSignedPost(post: SignedPost): Promise<DeliveryReceipt> {
  // Names are judged by what they resolve to, on the connection itself (guardedLookup).
  const checked = checkUrl(post.url, post.allowedHosts, false);
  if (!checked.ok) return Promise.reject(new WebhookDeliveryError('refused-target', `webhook ${maskUrl(post.url)}: ${checked.message}`));
  if (post.signal?.aborted) return Promise.reject(new WebhookDeliveryError('aborted', 'webhook delivery cancelled before it started'));
  const url = checked.url;
  const body = typeof post.body === 'string' ? Buffer.from(post.body) : post.body;

  return new Promise<DeliveryReceipt>((resolve, reject) => {
    const stop = new AbortController();
    let stopped: 'timeout' | 'aborted' | null = null;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    const halt = (why: 'timeout' | 'aborted') => {
      stopped ??= why;
      settle(() =>
        reject(new WebhookDeliveryError(why, why === 'timeout' ? `webhook ${maskUrl(post.url)} did not answer within ${post.timeoutMs} ms` : 'webhook delivery cancelled')),
      );
      stop.abort();
    };
    const timer = setTimeout(() => halt('timeout'), post.timeoutMs);
    const onAbort = () => halt('aborted');
    post.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      post.signal?.removeEventListener('abort', onAbort);
    };

    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(body.byteLength) },
      agent: false,
      lookup: guardedLookup(url, isAllowedHost(url, post.allowedHosts)) as unknown as typeof dns.lookup,
      signal: stop.signal,
    });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      // Drain and close; the timer (still armed) ends a body that never finishes.
      response.on('error', () => undefined);
      response.resume();
      if (status >= 300 && status < 400) {
        settle(() => reject(new WebhookDeliveryError('redirect', `webhook ${maskUrl(post.url)} answered ${status}; redirects are not followed`, status)));
      } else {
        settle(() => resolve({ status }));
      }
    });
    request.on('error', (err) => {
      if (err instanceof WebhookDeliveryError) return settle(() => reject(err));
      if (stopped) return; // already rejected by halt()
      settle(() => reject(new WebhookDeliveryError('network', `webhook ${maskUrl(post.url)}: ${err.message}`, undefined, { cause: err })));
    });
    request.on('close', cleanup);
    request.end(body);
  });
}

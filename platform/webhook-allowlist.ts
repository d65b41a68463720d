/**
 * WEBHOOK_ALLOWED_HOSTS: hosts a webhook may reach although they resolve to an internal address
 * (a receiver on the same machine or network). An entry is `host` (any port) or `host:port`;
 * an IPv6 literal goes in brackets, `[fd00::5]:8443`. Matching is on the URL's host, case-insensitive.
 */
export interface AllowedHost {
  host: string;
  /** Undefined: any port. */
  port?: number;
}

export type AllowedHosts = readonly AllowedHost[];

const NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Parses one entry; throws a RangeError saying what is wrong with it. */
export function parseAllowedHost(entry: string): AllowedHost {
  const text = entry.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const url = match ? safeUrl(`http://${match[1]}`) : null;
  if (!match || !url || (!match[1]!.startsWith('[') && !NAME.test(match[1]!))) {
    throw new RangeError(`'${entry.trim()}' is not a host or host:port (an IPv6 address goes in brackets: [fd00::5]:8443)`);
  }
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new RangeError(`'${entry.trim()}': the port must be 1 to 65535`);
  // The URL parser normalizes the host as it will for a webhook URL (IPv4 forms, IPv6 zero runs).
  return port === undefined ? { host: url.hostname } : { host: url.hostname, port };
}

/** A comma-separated list; blanks are ignored. */
export function parseAllowedHosts(text: string | undefined): AllowedHost[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(parseAllowedHost);
}

/** The port a URL connects to, explicit or its scheme's default. */
export function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export function isAllowedHost(url: URL, allowed: AllowedHosts): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = effectivePort(url);
  return allowed.some((entry) => entry.host.replace(/\.$/, '') === host && (entry.port === undefined || entry.port === port));
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

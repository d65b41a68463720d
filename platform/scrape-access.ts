import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';

/**
 * Who may scrape /metrics (METRICS_SCRAPE): `loopback` (the default: Prometheus or an agent on this
 * machine), `any`, `none` (no /metrics at all: 404), or a comma-separated list of addresses and CIDR
 * ranges (`10.0.0.0/8, fd00::/8, 192.0.2.7`). Loopback addresses are always in an address list, so a
 * local check keeps working.
 */
export type ScrapeAccess = { kind: 'loopback' } | { kind: 'any' } | { kind: 'none' } | { kind: 'list'; entries: string[]; blocks: net.BlockList };

export function parseScrapeAccess(text: string): ScrapeAccess {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'loopback') return { kind: 'loopback' };
  if (value === 'any') return { kind: 'any' };
  if (value === 'none') return { kind: 'none' };
  const blocks = new net.BlockList();
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = net.isIP(address ?? '');
    if (!family || extra !== undefined) {
      throw new Error(`"${entry}" is not an address or CIDR range; expected loopback, any, none, or a list such as 10.0.0.0/8, 192.0.2.7`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      blocks.addAddress(address!, type);
      continue;
    }
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}" has a prefix length outside 0-${family === 4 ? 32 : 128}`);
    blocks.addSubnet(address!, prefix, type);
  }
  return { kind: 'list', entries, blocks };
}

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True when `ip` (as the socket or a trusted proxy reports it) may scrape. */
export function mayScrape(access: ScrapeAccess, ip: string | undefined): boolean {
  if (access.kind === 'any') return true;
  if (access.kind === 'none' || !ip) return false;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  const type = net.isIPv4(address) ? 'ipv4' : 'ipv6';
  if (loopback.check(address, type)) return true;
  return access.kind === 'list' && access.blocks.check(address, type);
}

/** Compares a sent credential with the expected one in constant time. */
export function sameSecret(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

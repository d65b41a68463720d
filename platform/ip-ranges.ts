import net from 'node:net';

/**
 * Why an address is no place to send a webhook. Anything not public is refused unless its host is on
 * the allowlist: a webhook must not become a way to reach the machine, its network or a cloud's
 * metadata service (SSRF).
 */
export type InternalKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'metadata'
  | 'unique-local'
  | 'ipv4-mapped'
  | 'multicast'
  | 'reserved';

type Range = { base: bigint; bits: number; width: 32 | 128; kind: InternalKind };

function v4(text: string): bigint | null {
  if (net.isIPv4(text) === false) return null;
  return text.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

function v6(text: string): bigint | null {
  if (!net.isIPv6(text)) return null;
  let address = text.toLowerCase().split('%')[0]!;
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (quad) {
    const n = v4(quad)!;
    address = `${address.slice(0, -quad.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function range(cidr: string, kind: InternalKind): Range {
  const [address = '', bits = ''] = cidr.split('/');
  const width = net.isIPv4(address) ? 32 : 128;
  const base = (width === 32 ? v4(address) : v6(address))!;
  return { base, bits: Number(bits), width, kind };
}

// Most specific first: the first match names the kind.
const RANGES: Range[] = [
  range('169.254.169.254/32', 'metadata'), // AWS, GCP, Azure, OpenStack, …
  range('168.63.129.16/32', 'metadata'), // Azure wire server
  range('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared'), // carrier-grade NAT
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'),
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'), // and 255.255.255.255
  range('fd00:ec2::254/128', 'metadata'), // AWS over IPv6
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::ffff:0:0/96', 'ipv4-mapped'),
  range('::/96', 'ipv4-mapped'), // the deprecated IPv4-compatible form
  range('64:ff9b::/96', 'ipv4-mapped'), // NAT64 reaches any IPv4 address, internal ones included
  range('64:ff9b:1::/48', 'ipv4-mapped'),
  range('100::/64', 'reserved'),
  range('2001::/23', 'reserved'), // Teredo, benchmarking and other IETF assignments
  range('2001:db8::/32', 'reserved'),
  range('2002::/16', 'ipv4-mapped'), // 6to4 carries an IPv4 address
  range('fc00::/7', 'unique-local'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'link-local'), // the deprecated site-local range
  range('ff00::/8', 'multicast'),
];

function inRange(value: bigint, width: 32 | 128, r: Range): boolean {
  if (r.width !== width) return false;
  const shift = BigInt(width - r.bits);
  return value >> shift === r.base >> shift;
}

/**
 * The kind of internal address `ip` is, or null for a public one. `ip` is an IP literal (IPv6
 * without brackets); anything else throws, since a name must be resolved before it can be judged.
 */
export function internalKind(ip: string): InternalKind | null {
  const four = v4(ip);
  const six = four === null ? v6(ip) : null;
  if (four === null && six === null) throw new TypeError(`'${ip}' is not an IP address`);
  const value = (four ?? six)!;
  const width = four === null ? 128 : 32;
  return RANGES.find((r) => inRange(value, width, r))?.kind ?? null;
}

import { BlockList, isIP } from 'node:net';
import { ConfigError } from './errors.js';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses `ADDRESS/PREFIX` (IPv4 or IPv6) or a bare address, which stands for that one host
 * (APISIX's `allow_admin` accepts both). Host bits below the prefix are allowed and ignored.
 * Returns null when the text is not one of these.
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  // A zone id (fe80::1%eth0) names an interface, which a subnet cannot.
  if (version === 0 || address.includes('%')) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: max, family };
  const bits = text.slice(slash + 1);
  // Digits only, no leading zeros: "/08" or "/+8" is more likely a typo than a prefix.
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return null;
  const prefix = Number(bits);
  return prefix <= max ? { address, prefix, family } : null;
}

/**
 * A predicate that is true when `remoteAddress` (as in `socket.remoteAddress`) lies in one of
 * the CIDRs. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, what a dual-stack listener reports
 * for IPv4 clients) match IPv4 ranges: node:net's BlockList compares them as IPv4.
 * An address that does not parse (undefined after the socket closed) never matches.
 * @throws {ConfigError} when a CIDR is invalid (field `admin_allow`).
 */
export function makeAddressFilter(cidrs: readonly string[]): (remoteAddress: string | undefined) => boolean {
  const list = new BlockList();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr === null) throw new ConfigError('admin_allow', `admin_allow: ${JSON.stringify(text)} is not a CIDR`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return (remoteAddress) => {
    if (typeof remoteAddress !== 'string') return false;
    const zone = remoteAddress.indexOf('%');
    const address = zone === -1 ? remoteAddress : remoteAddress.slice(0, zone);
    const version = isIP(address);
    if (version === 0) return false;
    return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}

import { formatIpv4, type Ipv4, parseIpv4Address } from "../wire/addr.js";

/** Bad configuration handed to the ip/ API (an unparsable address, a route to an unknown device, …). */
export class IpConfigError extends Error {
  override readonly name = "IpConfigError";
}

/** An address with a prefix length, as `ip addr` shows it: host bits are kept (10.0.2.15/24). */
export interface Cidr {
  readonly address: Ipv4;
  readonly prefixLength: number;
}

/** The netmask of a prefix length as a number (0 for /0). */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffff_ffff << (32 - len)) >>> 0;
}

/** The network address of `c` (host bits cleared). */
export function networkOf(c: Cidr): Ipv4 {
  return ((c.address & prefixMask(c.prefixLength)) >>> 0) as Ipv4;
}

/** The subnet-directed broadcast address of `c` (all host bits set). */
export function broadcastOf(c: Cidr): Ipv4 {
  return ((c.address | ~prefixMask(c.prefixLength)) >>> 0) as Ipv4;
}

/** True when `a` lies in the network `net` (host bits of `net.address` are ignored). */
export function cidrContains(net: Cidr, a: Ipv4): boolean {
  const m = prefixMask(net.prefixLength);
  return (a & m) >>> 0 === (net.address & m) >>> 0;
}

/** Parses a dotted quad ("10.0.2.2") or passes a number through; throws IpConfigError with the text. */
export function toIpv4(a: Ipv4 | string, what = "address"): Ipv4 {
  if (typeof a === "number") return a;
  try {
    return parseIpv4Address(a.trim());
  } catch {
    throw new IpConfigError(`invalid ${what}: ${JSON.stringify(a)}`);
  }
}

/**
 * Parses "a.b.c.d/len" (a bare "a.b.c.d" is a /32, as `ip route add 10.0.0.5 via …` reads it).
 * Throws IpConfigError naming the text.
 */
export function parseCidr(s: string): Cidr {
  const t = s.trim();
  const slash = t.indexOf("/");
  const addrText = slash < 0 ? t : t.slice(0, slash);
  let prefixLength = 32;
  if (slash >= 0) {
    const lenText = t.slice(slash + 1);
    if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
      throw new IpConfigError(`invalid prefix length in ${JSON.stringify(s)}`);
    }
    prefixLength = Number(lenText);
  }
  let address: Ipv4;
  try {
    address = parseIpv4Address(addrText);
  } catch {
    throw new IpConfigError(`invalid IPv4 prefix: ${JSON.stringify(s)}`);
  }
  return { address, prefixLength };
}

/** Accepts a Cidr or its text. */
export function toCidr(c: Cidr | string): Cidr {
  return typeof c === "string" ? parseCidr(c) : c;
}

/** "10.0.2.15/24". */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.address)}/${c.prefixLength}`;
}

/** The limited broadcast address 255.255.255.255. */
export const IPV4_BROADCAST = 0xffff_ffff as Ipv4;
/** 0.0.0.0. */
export const IPV4_ANY = 0 as Ipv4;

export function isMulticastIpv4(a: Ipv4): boolean {
  return a >>> 28 === 0xe;
}

export function isLoopbackIpv4(a: Ipv4): boolean {
  return a >>> 24 === 127;
}

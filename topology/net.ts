/**
 * Small address arithmetic for presets and checks (subnets, pools, the nth host). Addresses are
 * wire/addr's `Ipv4` numbers; the spec's strings are parsed once here.
 */
import { prefixMask as maskOf } from "../ip/index.js";
import { formatIpv4, type Ipv4, parseIpv4Address } from "../wire/addr.js";

export interface Subnet {
  readonly network: Ipv4;
  readonly prefixLength: number;
}

/** `a.b.c.d/len` (already validated by the schema) → its subnet (host bits cleared). */
export function subnetOf(cidr: string): Subnet {
  const [a, l] = cidr.split("/");
  const len = Number(l);
  return { network: ((parseIpv4Address(a) & maskOf(len)) >>> 0) as Ipv4, prefixLength: len };
}

/** The address part of `a.b.c.d/len`. */
export function addressOf(cidr: string): Ipv4 {
  return parseIpv4Address(cidr.split("/")[0]);
}

export function ip(s: string): Ipv4 {
  return parseIpv4Address(s);
}

export function contains(net: Subnet, a: Ipv4): boolean {
  return (a & maskOf(net.prefixLength)) >>> 0 === net.network;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const len = Math.min(a.prefixLength, b.prefixLength);
  const m = maskOf(len);
  return (a.network & m) >>> 0 === (b.network & m) >>> 0;
}

export function broadcastOf(net: Subnet): Ipv4 {
  return ((net.network | ~maskOf(net.prefixLength)) >>> 0) as Ipv4;
}

/** The `n`th address of the subnet (n = 1: the first host). */
export function nth(net: Subnet, n: number): Ipv4 {
  return ((net.network + n) >>> 0) as Ipv4;
}

/** `10.0.2.15` for the nth host, as text. */
export function nthText(net: Subnet, n: number): string {
  return formatIpv4(nth(net, n));
}

export function formatSubnet(net: Subnet): string {
  return `${formatIpv4(net.network)}/${net.prefixLength}`;
}

/** Usable host addresses (excluding network and broadcast for prefixes below /31). */
export function isHostAddress(net: Subnet, a: Ipv4): boolean {
  if (!contains(net, a)) return false;
  if (net.prefixLength >= 31) return true;
  return a !== net.network && a !== broadcastOf(net);
}

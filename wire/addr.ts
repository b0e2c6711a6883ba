import { createRequire } from "node:module";
import type * as IpAddress from "ip-address";
import { WireError } from "./errors.js";

/**
 * `ip-address`, loaded on the first parse (shared with captures/filter.ts): most users of this module only read and format addresses,
 * and loading that CommonJS package costs ~15 ms of a command's start-up (`vnet inspect`'s).
 */
let ipAddressLib: typeof IpAddress | undefined;
export function ipAddress(): typeof IpAddress {
  ipAddressLib ??= createRequire(import.meta.url)("ip-address") as typeof IpAddress;
  return ipAddressLib;
}

/**
 * Addresses as values. MACs and IPv4 addresses are branded numbers (exact in a double, fast Map keys,
 * deterministic order); IPv6 addresses are branded bigints. Formatting to strings happens only at the
 * edges (printer, CLI, errors). Parsing user strings goes through `ip-address`; the hot-path
 * formatters are hand-written and checked against `ip-address` in tests.
 */
export type Mac = number & { readonly __brand: "Mac" };
export type Ipv4 = number & { readonly __brand: "Ipv4" };
export type Ipv6 = bigint & { readonly __brand: "Ipv6" };

export const MAC_BROADCAST = 0xffff_ffff_ffff as Mac;

/** Reads a MAC from 6 bytes at `off` (bounds are the caller's: views check length first). */
export function readMac(b: Uint8Array, off: number): Mac {
  return (((b[off] << 8) | b[off + 1]) * 0x1_0000_0000 +
    ((b[off + 2] << 24) >>> 0) +
    ((b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5])) as Mac;
}

export function writeMac(b: Uint8Array, off: number, mac: Mac): void {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  b[off] = hi >>> 8;
  b[off + 1] = hi & 0xff;
  b[off + 2] = lo >>> 24;
  b[off + 3] = (lo >>> 16) & 0xff;
  b[off + 4] = (lo >>> 8) & 0xff;
  b[off + 5] = lo & 0xff;
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function formatMac(mac: Mac): string {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  return `${HEX2[hi >>> 8]}:${HEX2[hi & 0xff]}:${HEX2[lo >>> 24]}:${HEX2[(lo >>> 16) & 0xff]}:${HEX2[(lo >>> 8) & 0xff]}:${HEX2[lo & 0xff]}`;
}

/** Formats 6 bytes at `off` as aa:bb:cc:dd:ee:ff without building a Mac first. */
export function formatMacBytes(b: Uint8Array, off: number): string {
  return `${HEX2[b[off]]}:${HEX2[b[off + 1]]}:${HEX2[b[off + 2]]}:${HEX2[b[off + 3]]}:${HEX2[b[off + 4]]}:${HEX2[b[off + 5]]}`;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with `-`); throws WireError("mac", "malformed") otherwise. */
export function parseMac(s: string): Mac {
  const m =
    /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(
      s.trim(),
    );
  if (!m) throw new WireError("mac", "malformed", 0, `not a MAC address: ${JSON.stringify(s)}`);
  let v = 0;
  for (let i = 1; i <= 6; i++) v = v * 256 + Number.parseInt(m[i], 16);
  return v as Mac;
}

export function isMulticastMac(mac: Mac): boolean {
  return (Math.floor(mac / 0x100_0000_0000) & 1) === 1;
}

export function readIpv4(b: Uint8Array, off: number): Ipv4 {
  return (((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0) as Ipv4;
}

export function writeIpv4(b: Uint8Array, off: number, a: Ipv4): void {
  b[off] = a >>> 24;
  b[off + 1] = (a >>> 16) & 0xff;
  b[off + 2] = (a >>> 8) & 0xff;
  b[off + 3] = a & 0xff;
}

export function formatIpv4(a: Ipv4): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export function formatIpv4Bytes(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Parses dotted-quad IPv4 through `ip-address`; throws WireError("ipv4", "malformed") otherwise. */
export function parseIpv4Address(s: string): Ipv4 {
  const { Address4 } = ipAddress();
  if (!Address4.isValid(s) || s.includes("/")) {
    throw new WireError("ipv4", "malformed", 0, `not an IPv4 address: ${JSON.stringify(s)}`);
  }
  const a = new Address4(s);
  return Number(a.bigInt()) as Ipv4;
}

export function readIpv6(b: Uint8Array, off: number): Ipv6 {
  let v = 0n;
  for (let i = 0; i < 16; i += 4) {
    v =
      (v << 32n) |
      BigInt(((b[off + i] << 24) | (b[off + i + 1] << 16) | (b[off + i + 2] << 8) | b[off + i + 3]) >>> 0);
  }
  return v as Ipv6;
}

export function writeIpv6(b: Uint8Array, off: number, a: Ipv6): void {
  let v: bigint = a;
  for (let i = 15; i >= 0; i--) {
    b[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Parses an IPv6 address (any RFC 4291 text form) through `ip-address`. */
export function parseIpv6Address(s: string): Ipv6 {
  const { Address6 } = ipAddress();
  if (!Address6.isValid(s) || s.includes("/")) {
    throw new WireError("ipv6", "malformed", 0, `not an IPv6 address: ${JSON.stringify(s)}`);
  }
  return new Address6(s).bigInt() as Ipv6;
}

/**
 * Formats 16 bytes at `off` the way inet_ntop(3) does (RFC 5952: lower case, the longest run of two or
 * more zero groups as `::`, first run on ties; `::ffff:a.b.c.d` and `::a.b.c.d` embedded IPv4 forms),
 * which is what tcpdump prints.
 */
export function formatIpv6Bytes(b: Uint8Array, off: number): string {
  const g: number[] = new Array(8);
  for (let i = 0; i < 8; i++) g[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // Embedded IPv4, as glibc's inet_ntop: ::a.b.c.d (not ::1/::) and ::ffff:a.b.c.d.
  const v4 = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff));
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    if (v4 && i === 6) {
      out += `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
      break;
    }
    out += g[i].toString(16);
    if (i < 7) out += ":";
  }
  return out;
}

export function formatIpv6(a: Ipv6): string {
  const b = new Uint8Array(16);
  writeIpv6(b, 0, a);
  return formatIpv6Bytes(b, 0);
}

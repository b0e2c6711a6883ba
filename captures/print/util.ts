/**
 * Small helpers shared by the printers: fixed-width hex, address strings from bounds-checked bytes,
 * and the -x / -X / -A dumps laid out as tcpdump's print-ascii.c lays them out.
 */
import { formatIpv6Bytes } from "../../wire/addr.js";
import { need } from "./context.js";

export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `%04x` */
export function hex4(v: number): string {
  return HEX2[(v >>> 8) & 0xff] + HEX2[v & 0xff];
}
/** `%08x` */
export function hex8(v: number): string {
  return HEX2[(v >>> 24) & 0xff] + HEX2[(v >>> 16) & 0xff] + HEX2[(v >>> 8) & 0xff] + HEX2[v & 0xff];
}
/** `%x` */
export function hex(v: number): string {
  return (v >>> 0).toString(16);
}

/** Dotted quad of 4 captured bytes at `off` (throws Truncated when they are not there). */
export function ip4At(b: Uint8Array, off: number): string {
  need(b, off, 4);
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}
/** RFC 5952 text of 16 captured bytes at `off`. */
export function ip6At(b: Uint8Array, off: number): string {
  need(b, off, 16);
  return formatIpv6Bytes(b, off);
}
/** aa:bb:cc:dd:ee:ff of 6 captured bytes at `off`. */
export function macAt(b: Uint8Array, off: number): string {
  need(b, off, 6);
  return `${HEX2[b[off]]}:${HEX2[b[off + 1]]}:${HEX2[b[off + 2]]}:${HEX2[b[off + 3]]}:${HEX2[b[off + 4]]}:${HEX2[b[off + 5]]}`;
}
/** Colon-separated hex of `n` bytes (tcpdump's GET_LINKADDR_STRING for non-6-byte addresses). */
export function linkAddrAt(b: Uint8Array, off: number, n: number): string {
  need(b, off, n);
  if (n === 0) return "<empty>";
  let s = HEX2[b[off]];
  for (let i = 1; i < n; i++) s += ":" + HEX2[b[off + i]];
  return s;
}

/** tcpdump's bittok2str: names of set bits joined by `sep`, or `none` when nothing matches. */
export function bitNames(
  table: readonly (readonly [number, string])[],
  none: string,
  v: number,
  sep = ", ",
): string {
  let s = "";
  let first = true;
  for (const [bit, name] of table) {
    if ((v & bit) === bit && bit !== 0) {
      if (!first) s += sep;
      s += name;
      first = false;
    }
  }
  return first ? none : s;
}

const isGraph = (c: number): boolean => c > 0x20 && c < 0x7f;

function dumpAvailable(b: Uint8Array, off: number, length: number): number {
  const cap = Math.max(0, b.byteLength - off);
  return Math.min(length, cap);
}

/** tcpdump's hex_print (-x): `\n\t0x0000:  4500 003c ...`, 16 bytes a line. */
export function hexDump(b: Uint8Array, off: number, length: number, oset = 0, ident = "\n\t"): string {
  const n = dumpAvailable(b, off, length);
  let s = "";
  let i = 0;
  let o = oset;
  let k = off;
  for (let pairs = n >> 1; pairs > 0; pairs--) {
    if (i++ % 8 === 0) {
      s += `${ident}0x${hex4(o)}: `;
      o += 16;
    }
    s += " " + HEX2[b[k]] + HEX2[b[k + 1]];
    k += 2;
  }
  if (n & 1) {
    if (i % 8 === 0) s += `${ident}0x${hex4(o)}: `;
    s += " " + HEX2[b[k]];
  }
  return s;
}

/** tcpdump's hex_and_ascii_print (-X and the default dump of unknown payloads). */
export function hexAsciiDump(b: Uint8Array, off: number, length: number, oset = 0, ident = "\n\t"): string {
  const n = dumpAvailable(b, off, length);
  let s = "";
  let hx = "";
  let as = "";
  let i = 0;
  let o = oset;
  let k = off;
  for (let pairs = n >> 1; pairs > 0; pairs--) {
    const c1 = b[k];
    const c2 = b[k + 1];
    k += 2;
    hx += " " + HEX2[c1] + HEX2[c2];
    as += (isGraph(c1) ? String.fromCharCode(c1) : ".") + (isGraph(c2) ? String.fromCharCode(c2) : ".");
    if (++i >= 8) {
      s += `${ident}0x${hex4(o)}: ${hx}  ${as}`;
      i = 0;
      hx = "";
      as = "";
      o += 16;
    }
  }
  if (n & 1) {
    const c1 = b[k];
    hx += " " + HEX2[c1];
    as += isGraph(c1) ? String.fromCharCode(c1) : ".";
    i++;
  }
  if (i > 0) s += `${ident}0x${hex4(o)}: ${hx.padEnd(40)}  ${as}`;
  return s;
}

/** tcpdump's ascii_print (-A). */
export function asciiDump(b: Uint8Array, off: number, length: number): string {
  let n = dumpAvailable(b, off, length);
  let s = "\n";
  let k = off;
  while (n > 0) {
    const c = b[k++];
    n--;
    if (c === 0x0d) {
      if (n > 1 && b[k] !== 0x0a) s += ".";
    } else if (!isGraph(c) && c !== 0x09 && c !== 0x20 && c !== 0x0a) s += ".";
    else s += String.fromCharCode(c);
  }
  return s;
}

/** Whether a dump was cut short by the capture (the caller then reports truncation). */
export function dumpTruncated(b: Uint8Array, off: number, length: number): boolean {
  return length > Math.max(0, b.byteLength - off);
}

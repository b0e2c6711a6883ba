/**
 * BOOTP/DHCP printer, in the format of tcpdump 4.99.3's print-bootp.c (`-n` always on): the line
 * after `IP a.b > c.d: ` for ports 67/68, and at `-v` the tab-indented field and option listing.
 *
 * `b.byteLength` plays tcpdump's `snapend`. Unchecked reads throw `Truncated` (tcpdump's longjmp);
 * tcpdump's explicit checks (`goto trunc`) print ` [|bootp]` and stop.
 */

import { need, type PrintContext, u8, u16, u32 } from "./context.js";
import { HEX2, PRINTABLE, printEscaped } from "./domain.js";

export const BootpOp = { REQUEST: 1, REPLY: 2 } as const;

export const DhcpMessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
  LEASEQUERY: 10,
  LEASEUNASSIGNED: 11,
  LEASEUNKNOWN: 12,
  LEASEACTIVE: 13,
} as const;

const MESSAGE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [1, "Discover"],
  [2, "Offer"],
  [3, "Request"],
  [4, "Decline"],
  [5, "ACK"],
  [6, "NACK"],
  [7, "Release"],
  [8, "Inform"],
  [10, "LeaseQuery"],
  [11, "LeaseUnassigned"],
  [12, "LeaseUnknown"],
  [13, "LeaseActive"],
]);

/**
 * Option names and how tcpdump prints their data: i = IPv4 addresses, p = address pairs,
 * l = u32, L = s32, s = u16, b = dotted bytes, a = string, B = booleans, $ = special, " " = none.
 */
const OPTIONS: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [0, [" ", "PAD"]],
  [1, ["i", "Subnet-Mask"]],
  [2, ["L", "Time-Zone"]],
  [3, ["i", "Default-Gateway"]],
  [4, ["i", "Time-Server"]],
  [5, ["i", "IEN-Name-Server"]],
  [6, ["i", "Domain-Name-Server"]],
  [7, ["i", "LOG"]],
  [8, ["i", "CS"]],
  [9, ["i", "LPR-Server"]],
  [10, ["i", "IM"]],
  [11, ["i", "RL"]],
  [12, ["a", "Hostname"]],
  [13, ["s", "BS"]],
  [255, [" ", "END"]],
  [14, ["a", "DP"]],
  [15, ["a", "Domain-Name"]],
  [16, ["i", "SS"]],
  [17, ["a", "RP"]],
  [18, ["a", "EP"]],
  [19, ["B", "IPF"]],
  [20, ["B", "SRT"]],
  [21, ["p", "PF"]],
  [22, ["s", "RSZ"]],
  [23, ["b", "TTL"]],
  [24, ["l", "MTU-Timeout"]],
  [25, ["s", "MTU-Table"]],
  [26, ["s", "MTU"]],
  [27, ["B", "LSN"]],
  [28, ["i", "BR"]],
  [29, ["B", "MD"]],
  [30, ["B", "MS"]],
  [31, ["B", "Router-Discovery"]],
  [32, ["i", "RSA"]],
  [33, ["p", "Static-Route"]],
  [34, ["B", "UT"]],
  [35, ["l", "AT"]],
  [36, ["B", "IE"]],
  [37, ["b", "TT"]],
  [38, ["l", "KI"]],
  [39, ["B", "KG"]],
  [40, ["a", "YD"]],
  [41, ["i", "YS"]],
  [42, ["i", "NTP"]],
  [43, ["b", "Vendor-Option"]],
  [44, ["i", "Netbios-Name-Server"]],
  [45, ["i", "WDD"]],
  [46, ["$", "Netbios-Node"]],
  [47, ["a", "Netbios-Scope"]],
  [48, ["i", "XFS"]],
  [49, ["i", "XDM"]],
  [64, ["s", "N+D"]],
  [65, ["i", "N+S"]],
  [68, ["i", "MH"]],
  [69, ["i", "SMTP"]],
  [70, ["i", "POP3"]],
  [71, ["i", "NNTP"]],
  [72, ["i", "WWW"]],
  [73, ["i", "FG"]],
  [74, ["i", "IRC"]],
  [75, ["i", "STS"]],
  [76, ["i", "STDA"]],
  [50, ["i", "Requested-IP"]],
  [51, ["l", "Lease-Time"]],
  [52, ["$", "OO"]],
  [66, ["a", "TFTP"]],
  [67, ["a", "BF"]],
  [53, [" ", "DHCP-Message"]],
  [54, ["i", "Server-ID"]],
  [55, ["b", "Parameter-Request"]],
  [56, ["a", "MSG"]],
  [57, ["s", "MSZ"]],
  [58, ["l", "RN"]],
  [59, ["l", "RB"]],
  [60, ["a", "Vendor-Class"]],
  [61, ["$", "Client-ID"]],
  [98, ["a", "UAP"]],
  [116, ["B", "NOAUTO"]],
  [78, ["b", "SLP-DA"]],
  [79, ["b", "SLP-SCOPE"]],
  [117, ["s", "NSSEARCH"]],
  [77, ["$", "User-Class"]],
  [118, ["i", "SUBNET"]],
  [121, ["$", "Classless-Static-Route"]],
  [249, ["$", "Classless-Static-Route-Microsoft"]],
  [150, ["i", "TFTP-Server-Address"]],
  [80, ["a", "SLP-NA"]],
  [81, ["$", "FQDN"]],
  [82, ["$", "Agent-Information"]],
  [83, ["b", "ARMT"]],
  [88, ["a", "TZSTR"]],
  [89, ["b", "FQDNS"]],
  [90, ["b", "AUTH"]],
  [91, ["L", "Last-Transaction-Time"]],
  [92, ["i", "Associated-IP"]],
  [93, ["s", "ARCH"]],
  [94, ["b", "NDI"]],
  [97, ["b", "GUID"]],
  [95, ["a", "LDAP"]],
  [100, ["a", "POSIX-TZ"]],
  [101, ["a", "TZ-Name"]],
  [112, ["i", "NI"]],
  [113, ["a", "NITAG"]],
  [114, ["a", "URL"]],
  [161, ["a", "MUD-URL"]],
]);
const UNKNOWN_OPTION: readonly [string, string] = ["?", "Unknown"];

const NETBIOS_NODE: ReadonlyMap<number, string> = new Map([
  [1, "b-node"],
  [2, "p-node"],
  [4, "m-node"],
  [8, "h-node"],
]);
const OVERLOAD: ReadonlyMap<number, string> = new Map([
  [1, "file"],
  [2, "sname"],
  [3, "file+sname"],
]);
const HW_TYPES: ReadonlyMap<number, string> = new Map([
  [1, "ether"],
  [6, "ieee802"],
  [7, "arcnet"],
  [15, "frelay"],
  [23, "strip"],
  [24, "ieee1394"],
]);
const AGENT_SUBOPTIONS: ReadonlyMap<number, string> = new Map([
  [1, "Circuit-ID"],
  [2, "Remote-ID"],
  [6, "Subscriber-ID"],
]);

/** Thrown to stop after an explicit truncation check (tcpdump's `goto trunc`). */
class Stop extends Error {}

function ipv4(b: Uint8Array, off: number): string {
  need(b, off, 4);
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function mac(b: Uint8Array, off: number): string {
  need(b, off, 6);
  return `${HEX2[b[off]]}:${HEX2[b[off + 1]]}:${HEX2[b[off + 2]]}:${HEX2[b[off + 3]]}:${HEX2[b[off + 4]]}:${HEX2[b[off + 5]]}`;
}

/** nd_printztn: a NUL-terminated string in a fixed field; false when no NUL before its end. */
function printFixedString(p: PrintContext, b: Uint8Array, off: number, n: number): boolean {
  let s = "";
  let ok = false;
  for (;;) {
    if (n === 0 || off >= b.byteLength) break;
    const c = b[off++];
    n--;
    if (c === 0) {
      ok = true;
      break;
    }
    s += PRINTABLE[c];
  }
  if (s.length > 0) p.out(s);
  return ok;
}

/** hex_print with an indent, as print_unknown_data does (the caller has checked the bytes). */
function printHex(p: PrintContext, b: Uint8Array, off: number, len: number, indent: string): void {
  let s = "";
  let i = 0;
  let oset = 0;
  for (let k = 0; k + 1 < len; k += 2) {
    if (i++ % 8 === 0) {
      s += `${indent}0x${oset.toString(16).padStart(4, "0")}: `;
      oset += 16;
    }
    s += ` ${HEX2[b[off + k]]}${HEX2[b[off + k + 1]]}`;
  }
  if (len & 1) {
    if (i % 8 === 0) s += `${indent}0x${oset.toString(16).padStart(4, "0")}: `;
    s += ` ${HEX2[b[off + len - 1]]}`;
  }
  p.out(s);
}

function printSpecial(p: PrintContext, b: Uint8Array, tag: number, bp: number, len: number): void {
  switch (tag) {
    case 46: // Netbios-Node
    case 52: // OO
      if (len < 1) {
        p.out("[ERROR: length < 1 bytes]");
        return;
      }
      p.out((tag === 46 ? NETBIOS_NODE : OVERLOAD).get(b[bp]) ?? `#${b[bp]}`);
      if (len > 1) p.out(`\n\t  trailing data length ${len - 1}`);
      return;
    case 81: {
      // Client FQDN (RFC 4702)
      if (len < 3) {
        p.out("[ERROR: length < 3 bytes]");
        return;
      }
      const flags = b[bp];
      if (flags & 0xf0) p.out(`[ERROR: MBZ nibble 0x${((flags & 0xf0) >> 4).toString(16)} != 0] `);
      if (flags & 0x0f)
        p.out(
          `[${flags & 1 ? "S" : ""}${flags & 2 ? "O" : ""}${flags & 4 ? "E" : ""}${flags & 8 ? "N" : ""}] `,
        );
      if (b[bp + 1] || b[bp + 2]) p.out(`${b[bp + 1]}/${b[bp + 2]} `);
      p.out('"');
      printEscaped(p, b, bp + 3, len - 3);
      p.out('"');
      return;
    }
    case 61: {
      // Client-ID
      if (len < 1) {
        p.out("[ERROR: length < 1 bytes]");
        return;
      }
      const type = b[bp];
      if (type === 0) {
        p.out('"');
        printEscaped(p, b, bp + 1, len - 1);
        p.out('"');
        return;
      }
      let s = `${HW_TYPES.get(type) ?? `hardware-type ${type},`} `;
      for (let i = 1; i < len; i++) s += i === 1 ? HEX2[b[bp + i]] : `:${HEX2[b[bp + i]]}`;
      p.out(s);
      return;
    }
    case 82: {
      // Agent-Information (RFC 3046)
      while (len >= 2) {
        const sub = b[bp];
        const subLen = b[bp + 1];
        bp += 2;
        len -= 2;
        const name = AGENT_SUBOPTIONS.get(sub) ?? "Unknown";
        if (subLen > len) {
          p.out(`\n\t      ${name} SubOption ${sub}, length ${subLen}: length goes past end of option`);
          return;
        }
        p.out(`\n\t      ${name} SubOption ${sub}, length ${subLen}: `);
        if (sub === 1 || sub === 2 || sub === 6) printEscaped(p, b, bp, subLen);
        else printHex(p, b, bp, subLen, "\n\t\t");
        len -= subLen;
        bp += subLen;
      }
      if (len) p.out(`\n\t  trailing data length ${len}`);
      return;
    }
    case 121:
    case 249: {
      // Classless static routes (RFC 3442)
      if (len < 5) {
        p.out("[ERROR: length < 5 bytes]");
        return;
      }
      let first = true;
      while (len > 0) {
        if (!first) p.out(",");
        const width = b[bp++];
        len--;
        if (width > 32) {
          p.out(`[ERROR: Mask width (${width}) > 32]`);
          return;
        }
        const sig = (width + 7) >> 3;
        if (len < sig + 4) {
          p.out(`[ERROR: Remaining length (${len}) < ${sig + 4} bytes]`);
          return;
        }
        let s = "(";
        if (width === 0) s += "default";
        else {
          for (let i = 0; i < sig; i++) s += i > 0 ? `.${b[bp + i]}` : `${b[bp + i]}`;
          for (let i = sig; i < 4; i++) s += ".0";
          s += `/${width}`;
        }
        bp += sig;
        p.out(`${s}:${ipv4(b, bp)})`);
        bp += 4;
        len -= sig + 4;
        first = false;
      }
      return;
    }
    case 77: {
      // User-Class (RFC 3004)
      if (len < 2) {
        p.out("[ERROR: length < 2 bytes]");
        return;
      }
      let n = 1;
      while (len > 0) {
        const subLen = b[bp++];
        len--;
        p.out(`\n\t      instance#${n}: `);
        if (subLen === 0) {
          p.out("[ERROR: suboption length must be non-zero]");
          return;
        }
        if (len < subLen) {
          p.out("[ERROR: invalid option]");
          return;
        }
        p.out('"');
        printEscaped(p, b, bp, subLen);
        p.out(`", length ${subLen}`);
        n++;
        len -= subLen;
        bp += subLen;
      }
      return;
    }
  }
}

/** The RFC 1048 vendor area: magic cookie, then options until END. */
function printOptions(p: PrintContext, b: Uint8Array, bp: number): void {
  const verbose = p.opts.verbose;
  p.out(`\n\t  Vendor-rfc1048 Extensions\n\t    Magic Cookie 0x${u32(b, bp).toString(16).padStart(8, "0")}`);
  bp += 4;
  const end = b.byteLength;
  while (bp < end) {
    const tag = b[bp++];
    if (tag === 0 && verbose < 3) continue;
    if (tag === 255 && verbose < 3) return;
    const [fmt, name] = OPTIONS.get(tag) ?? UNKNOWN_OPTION;
    let len = 0;
    if (tag !== 0 && tag !== 255) len = u8(b, bp++);
    p.out(`\n\t    ${name} (${tag}), length ${len}${len > 0 ? ": " : ""}`);
    if (tag === 0 && verbose > 2) {
      let n = 1;
      while (bp < end && b[bp] === 0) {
        bp++;
        n++;
      }
      if (n > 1) p.out(`, occurs ${n}`);
    }
    if (bp + len > end) throw new Stop();

    if (tag === 53 && len === 1) {
      p.out(MESSAGE_NAMES.get(b[bp]) ?? `Unknown (${b[bp]})`);
      bp++;
      continue;
    }
    if (tag === 55) {
      let s = "";
      for (let i = 0; i < len; i++) {
        const inner = b[bp + i];
        s += i % 4 === 0 ? "\n\t      " : ", ";
        s += `${(OPTIONS.get(inner) ?? UNKNOWN_OPTION)[1]} (${inner})`;
      }
      p.out(s);
      bp += len;
      continue;
    }

    let c = fmt;
    if (c === "?") c = len & 1 ? "b" : len & 2 ? "s" : "l";
    let s = "";
    let rest = len;
    switch (c) {
      case "a":
        p.out('"');
        printEscaped(p, b, bp, len);
        p.out('"');
        rest = 0;
        break;
      case "i":
      case "l":
      case "L":
        for (let k = bp; rest >= 4; k += 4, rest -= 4) {
          if (k !== bp) s += ",";
          if (c === "i") s += `${b[k]}.${b[k + 1]}.${b[k + 2]}.${b[k + 3]}`;
          else {
            const v = ((b[k] << 24) | (b[k + 1] << 16) | (b[k + 2] << 8) | b[k + 3]) >>> 0;
            s += c === "L" ? String(v | 0) : String(v);
          }
        }
        break;
      case "p":
        for (let k = bp; rest >= 8; k += 8, rest -= 8) {
          if (k !== bp) s += ",";
          s += `(${b[k]}.${b[k + 1]}.${b[k + 2]}.${b[k + 3]}:${b[k + 4]}.${b[k + 5]}.${b[k + 6]}.${b[k + 7]})`;
        }
        break;
      case "s":
        for (let k = bp; rest >= 2; k += 2, rest -= 2) {
          if (k !== bp) s += ",";
          s += String((b[k] << 8) | b[k + 1]);
        }
        break;
      case "B":
        for (let k = bp; rest > 0; k++, rest--) {
          if (k !== bp) s += ",";
          const v = b[k];
          s += v === 0 ? "N" : v === 1 ? "Y" : `${v}?`;
        }
        break;
      case "$":
        printSpecial(p, b, tag, bp, len);
        rest = 0;
        break;
      default:
        for (let k = bp; rest > 0; k++, rest--) {
          if (k !== bp) s += c === "x" ? ":" : ".";
          s += c === "x" ? HEX2[b[k]] : String(b[k]);
        }
    }
    if (s.length > 0) p.out(s);
    bp += len;
    if (rest) p.out(`\n\t  trailing data length ${rest}`);
  }
}

/** The CMU vendor area. */
function printCmu(p: PrintContext, b: Uint8Array, bp: number): void {
  p.out(" vend-cmu");
  if (bp + 8 > b.byteLength) throw new Stop();
  const flags = b[bp + 4];
  if (flags & ~1) p.out(` F:0x${flags.toString(16)}`);
  const fields: readonly (readonly [number, string])[] = [
    [12, "DG"],
    [8, flags & 1 ? "SM" : "SM*"],
    [16, "NS1"],
    [20, "NS2"],
    [24, "IEN1"],
    [28, "IEN2"],
    [32, "TS1"],
    [36, "TS2"],
  ];
  for (const [off, name] of fields) {
    if (bp + off + 4 > b.byteLength) throw new Stop();
    if (u32(b, bp + off) !== 0) p.out(` ${name}:${ipv4(b, bp + off)}`);
  }
}

function printMessage(p: PrintContext, b: Uint8Array, length: number): void {
  const op = u8(b, 0);
  p.out(`BOOTP/DHCP, ${op === 1 ? "Request" : op === 2 ? "Reply" : `unknown (0x${HEX2[op]})`}`);
  const htype = u8(b, 1);
  const hlen = u8(b, 2);
  const ether = htype === 1 && hlen === 6;
  if (ether && op === BootpOp.REQUEST) p.out(` from ${mac(b, 28)}`);
  p.out(`, length ${length}`);
  const verbose = p.opts.verbose;
  if (verbose === 0) return;

  if (b.byteLength < 10) throw new Stop();
  let s = "";
  if (htype !== 1) s += `, htype ${htype}`;
  if (!ether) s += `, hlen ${hlen}`;
  const hops = b[3];
  if (hops) s += `, hops ${hops}`;
  const xid = u32(b, 4);
  if (xid) s += `, xid 0x${xid.toString(16)}`;
  const secs = u16(b, 8);
  if (secs) s += `, secs ${secs}`;
  p.out(s);
  const flags = u16(b, 10);
  p.out(`, Flags [${flags & 0x8000 ? "Broadcast" : "none"}]`);
  if (verbose > 1) p.out(` (0x${flags.toString(16).padStart(4, "0")})`);
  if (u32(b, 12)) p.out(`\n\t  Client-IP ${ipv4(b, 12)}`);
  if (u32(b, 16)) p.out(`\n\t  Your-IP ${ipv4(b, 16)}`);
  if (u32(b, 20)) p.out(`\n\t  Server-IP ${ipv4(b, 20)}`);
  if (u32(b, 24)) p.out(`\n\t  Gateway-IP ${ipv4(b, 24)}`);
  if (ether) p.out(`\n\t  Client-Ethernet-Address ${mac(b, 28)}`);
  if (u8(b, 44)) {
    p.out('\n\t  sname "');
    const ok = printFixedString(p, b, 44, 64);
    p.out('"');
    if (!ok) throw new Stop();
  }
  if (u8(b, 108)) {
    p.out('\n\t  file "');
    const ok = printFixedString(p, b, 108, 128);
    p.out('"');
    if (!ok) throw new Stop();
  }
  if (b.byteLength < 240) throw new Stop();
  if (b[236] === 99 && b[237] === 130 && b[238] === 83 && b[239] === 99) printOptions(p, b, 236);
  else if (b[236] === 0x43 && b[237] === 0x4d && b[238] === 0x55 && b[239] === 0) printCmu(p, b, 236);
  else {
    const v = u32(b, 236);
    if (v) p.out(`\n\t  Vendor-#0x${v.toString(16)}`);
  }
}

/**
 * Prints a BOOTP/DHCP message as tcpdump 4.99.3 does after the UDP addresses: `b` is the captured
 * UDP payload, `length` the payload length the UDP header claims. Sets `p.proto = "bootp"`; tcpdump's
 * checked truncations print ` [|bootp]` here and return, unchecked reads throw `Truncated` (tcpdump's
 * longjmp) for the packet's top level to print ` [|bootp]`.
 */
export function printBootp(p: PrintContext, b: Uint8Array, length: number): void {
  p.proto = "bootp";
  try {
    printMessage(p, b, length);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    p.trunc();
  }
}

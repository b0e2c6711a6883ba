/**
 * ICMPv6 as tcpdump 4.99.3 prints it (print-icmp6.c): errors, echo, NDP with options (at -v), MLD and
 * MLDv2. Router renumbering, node information, RPL and mobility messages are not decoded.
 */
import { localCatch, need, type PrintContext, Truncated, tcheck, u8, u16, u32 } from "./context.js";
import { cksumShouldBe, transportCksum } from "./ip.js";
import { bitNames, HEX2, hex4, hexDump, ip6At } from "./util.js";

const TYPES = new Map<number, string>([
  [1, "destination unreachable"],
  [2, "packet too big"],
  [3, "time exceeded in-transit"],
  [4, "parameter problem"],
  [128, "echo request"],
  [129, "echo reply"],
  [130, "multicast listener query"],
  [131, "multicast listener report"],
  [132, "multicast listener done"],
  [133, "router solicitation"],
  [134, "router advertisement"],
  [135, "neighbor solicitation"],
  [136, "neighbor advertisement"],
  [137, "redirect"],
  [138, "router renumbering"],
  [141, "inverse neighbor solicitation"],
  [142, "inverse neighbor advertisement"],
  [143, "multicast listener report v2"],
  [144, "ha discovery request"],
  [145, "ha discovery reply"],
  [146, "mobile router solicitation"],
  [147, "mobile router advertisement"],
  [139, "node information query"],
  [140, "node information reply"],
  [200, "mtrace response"],
  [201, "mtrace message"],
  [155, "RPL"],
]);
const UNREACH = new Map<number, string>([
  [0, "unreachable route"],
  [1, " unreachable prohibited"],
  [2, "beyond scope"],
  [3, "unreachable address"],
  [4, "unreachable port"],
]);
const RA_FLAGS: readonly (readonly [number, string])[] = [
  [0x80, "managed"],
  [0x40, "other stateful"],
  [0x20, "home agent"],
  [0x02, "ipv6 only"],
];
const NA_FLAGS: readonly (readonly [number, string])[] = [
  [0x80000000, "router"],
  [0x40000000, "solicited"],
  [0x20000000, "override"],
];
const PI_FLAGS: readonly (readonly [number, string])[] = [
  [0x80, "onlink"],
  [0x40, "auto"],
  [0x20, "router"],
];
const OPT_NAMES = new Map<number, string>([
  [1, "source link-address"],
  [2, "destination link-address"],
  [3, "prefix info"],
  [4, "redirected header"],
  [5, "mtu"],
  [25, "rdnss"],
  [31, "dnssl"],
  [7, "advertisement interval"],
  [8, "homeagent information"],
  [24, "route info"],
]);
const MLDV2_REC = ["", "is_in", "is_ex", "to_in", "to_ex", "allow", "block"];
const RTPREF = ["medium", "high", "rsv", "low"];

const lifetime = (v: number): string => (v === 0xffffffff ? "infinity" : `${v}s`);

/** print_unknown_data: a hex dump of what was captured of `len` bytes. */
function unknownData(b: Uint8Array, off: number, ident: string, len: number): string {
  if (len < 0) return `${ident}Dissector error: print_unknown_data called with negative length`;
  return hexDump(b, off, Math.min(len, Math.max(0, b.byteLength - off)), 0, ident);
}

/** A DNS name in RFC 1035 label form (uncompressed), as tcpdump's fqdn_print shows it. */
function fqdn(b: Uint8Array, off: number): [string, number] {
  let s = "";
  for (;;) {
    const l = u8(b, off);
    off++;
    if (l === 0) break;
    if (l >= 0xc0) throw new Truncated(off);
    need(b, off, l);
    for (let i = 0; i < l; i++) s += String.fromCharCode(b[off + i]);
    s += ".";
    off += l;
  }
  return [s === "" ? "." : s, off];
}

/** icmp6_opt_print: false when cut short. */
function optPrint(p: PrintContext, b: Uint8Array, cp: number, resid: number): boolean {
  const ep = b.byteLength;
  const v = p.opts.verbose;
  try {
    while (cp < ep) {
      need(b, cp + 1, 1);
      if (resid <= 0) return true;
      const type = b[cp];
      const olen = b[cp + 1];
      if (olen === 0) return false;
      if (cp + (olen << 3) > ep) return false;
      p.out(`\n\t  ${OPT_NAMES.get(type) ?? "unknown"} option (${type}), length ${olen << 3} (${olen}): `);
      switch (type) {
        case 1:
        case 2: {
          const l = (olen << 3) - 2;
          let s = "";
          for (let i = 0; i < l; i++) s += (i ? ":" : "") + HEX2[u8(b, cp + 2 + i)];
          p.out(s);
          break;
        }
        case 3:
          p.out(
            `${ip6At(b, cp + 16)}/${u8(b, cp + 2)}${olen !== 4 ? "badlen" : ""}, Flags [${bitNames(PI_FLAGS, "none", u8(b, cp + 3))}], valid time ${lifetime(u32(b, cp + 4))}`,
          );
          p.out(`, pref. time ${lifetime(u32(b, cp + 8))}`);
          break;
        case 4:
          p.out(unknownData(b, cp, "\n\t    ", olen << 3));
          break;
        case 5:
          p.out(` ${u32(b, cp + 4)}${olen !== 1 ? "bad option length" : ""}`);
          break;
        case 25: {
          const l = (olen - 1) >> 1;
          p.out(` lifetime ${u32(b, cp + 4)}s,`);
          for (let i = 0; i < l; i++) p.out(` addr: ${ip6At(b, cp + 8 + 16 * i)}`);
          break;
        }
        case 31: {
          p.out(` lifetime ${u32(b, cp + 4)}s, domain(s):`);
          let d = cp + 8;
          while (d < cp + (olen << 3) && u8(b, d) !== 0) {
            p.out(" ");
            const [name, next] = fqdn(b, d);
            p.out(name);
            d = next;
          }
          break;
        }
        case 7:
          p.out(` ${u32(b, cp + 4)}ms`);
          break;
        case 8:
          p.out(` preference ${u16(b, cp + 4)}, lifetime ${u16(b, cp + 6)}`);
          break;
        case 24: {
          need(b, cp + 4, 4);
          const a = new Uint8Array(16);
          if (olen === 2) {
            need(b, cp + 8, 8);
            a.set(b.subarray(cp + 8, cp + 16));
          } else if (olen === 3) {
            need(b, cp + 8, 16);
            a.set(b.subarray(cp + 8, cp + 24));
          } else if (olen !== 1) return false;
          p.out(` ${ip6At(a, 0)}/${u8(b, cp + 2)}`);
          p.out(`, pref=${RTPREF[(u8(b, cp + 3) & 0x18) >> 3]}`);
          p.out(`, lifetime=${lifetime(u32(b, cp + 4))}`);
          break;
        }
        default:
          if (v <= 1) {
            p.out(unknownData(b, cp + 2, "\n\t  ", (olen << 3) - 2));
            return true;
          }
      }
      if (v > 1) p.out(unknownData(b, cp + 2, "\n\t    ", (olen << 3) - 2));
      cp += olen << 3;
      resid -= olen << 3;
    }
  } catch (e) {
    if (e instanceof Truncated) return false;
    throw e;
  }
  return true;
}

function mld6(p: PrintContext, b: Uint8Array): void {
  if (24 > b.byteLength) return;
  p.out(`max resp delay: ${u16(b, 4)} `);
  p.out(`addr: ${ip6At(b, 8)}`);
}

function mldv2Report(p: PrintContext, b: Uint8Array, len: number): void {
  if (len < 8) {
    p.out(` [invalid len ${len}]`);
    return;
  }
  const ngroups = u16(b, 6);
  p.out(`, ${ngroups} group record(s)`);
  if (!p.opts.verbose) return;
  let group = 8;
  for (let i = 0; i < ngroups; i++) {
    if (len < group + 20) {
      p.out(" [invalid number of groups]");
      return;
    }
    p.out(` [gaddr ${ip6At(b, group + 4)}`);
    const rt = u8(b, group);
    p.out(` ${MLDV2_REC[rt] && rt > 0 ? MLDV2_REC[rt] : ` [v2-report-#${rt}]`}`);
    const nsrcs = u16(b, group + 2);
    if (len < group + 20 + nsrcs * 16) {
      p.out(` [invalid number of sources ${nsrcs}]`);
      return;
    }
    if (p.opts.verbose === 1) p.out(`, ${nsrcs} source(s)`);
    else {
      p.out(" {");
      for (let j = 0; j < nsrcs; j++) p.out(` ${ip6At(b, group + 20 + j * 16)}`);
      p.out(" }");
    }
    group += 20 + nsrcs * 16;
    p.out("]");
  }
}

function mldv2Query(p: PrintContext, b: Uint8Array, len: number): void {
  if (len < 28) {
    p.out(` [invalid len ${len}]`);
    return;
  }
  const mrc = u16(b, 4);
  const mrt = mrc < 32768 ? mrc : ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3);
  if (p.opts.verbose) p.out(` [max resp delay=${mrt}]`);
  p.out(` [gaddr ${ip6At(b, 8)}`);
  if (p.opts.verbose) {
    const f = u8(b, 24);
    if (f & 0x08) p.out(" sflag");
    if (f & 0x07) p.out(` robustness=${f & 0x07}`);
    const q = u8(b, 25);
    const qqi = q < 128 ? q : ((q & 0x0f) | 0x10) << (((q & 0x70) >> 4) + 3);
    p.out(` qqi=${qqi}`);
  }
  const nsrcs = u16(b, 26);
  if (nsrcs > 0) {
    if (len < 28 + nsrcs * 16) p.out(" [invalid number of sources]");
    else if (p.opts.verbose > 1) {
      p.out(" {");
      for (let i = 0; i < nsrcs; i++) p.out(` ${ip6At(b, 28 + i * 16)}`);
      p.out(" }");
    } else p.out(`, ${nsrcs} source(s)`);
  }
  p.out("]");
}

/** The upper-layer header inside a quoted IPv6 packet (tcpdump's get_upperlayer, simplified: no extension headers). */
function upperLayer(b: Uint8Array, off: number): [number, number] | null {
  if (off + 40 > b.byteLength) return null;
  const nh = b[off + 6];
  if (off + 44 > b.byteLength) return null;
  return [nh, off + 40];
}

export function icmp6Print(
  p: PrintContext,
  b: Uint8Array,
  length: number,
  iph: Uint8Array,
  fragmented: boolean,
): void {
  p.proto = "icmp6";
  try {
    icmp6Body(p, b, length, iph, fragmented);
  } catch (e) {
    localCatch(p, "icmp6", e);
  }
}

function icmp6Body(
  p: PrintContext,
  b: Uint8Array,
  length: number,
  iph: Uint8Array,
  fragmented: boolean,
): void {
  const v = p.opts.verbose;
  if (length === 0) {
    p.out("ICMP6, length 0");
    p.invalid();
    return;
  }
  if (v && !fragmented && length <= b.byteLength) {
    const field = u16(b, 2);
    const sum = transportCksum(iph, 58, b.subarray(0, length));
    if (sum !== 0) p.out(`[bad icmp6 cksum 0x${hex4(field)} -> 0x${hex4(cksumShouldBe(field, sum))}!] `);
    else p.out("[icmp6 sum ok] ");
  }
  const type = u8(b, 0);
  p.out(`ICMP6, ${TYPES.get(type) ?? `unknown icmp6 type (${type})`}`);
  if (
    v &&
    (type === 133 ||
      type === 134 ||
      type === 136 ||
      type === 135 ||
      type === 137 ||
      type === 145 ||
      type === 147)
  )
    p.out(`, length ${length}`);
  const code = u8(b, 1);
  const trunc = (): void => p.trunc();
  switch (type) {
    case 1:
      p.out(`, ${UNREACH.get(code) ?? `unknown unreach code (${code})`}`);
      switch (code) {
        case 0:
        case 1:
        case 3:
          p.out(` ${ip6At(b, 8 + 24)}`);
          break;
        case 2:
          p.out(` ${ip6At(b, 8 + 24)}, source address ${ip6At(b, 8 + 8)}`);
          break;
        case 4: {
          const ul = upperLayer(b, 8);
          if (ul === null) {
            trunc();
            return;
          }
          const dport = u16(b, ul[1] + 2);
          if (ul[0] === 6) p.out(`, ${ip6At(b, 32)} tcp port ${dport}`);
          else if (ul[0] === 17) p.out(`, ${ip6At(b, 32)} udp port ${dport}`);
          else p.out(`, ${ip6At(b, 32)} protocol ${ul[0]} port ${dport} unreachable`);
          break;
        }
        default:
          if (v <= 1) {
            p.out(unknownData(b, 0, "\n\t", length));
            return;
          }
      }
      break;
    case 2:
      p.out(`, mtu ${u32(b, 4)}`);
      break;
    case 3:
      if (code === 0) p.out(` for ${ip6At(b, 32)}`);
      else if (code === 1) p.out(" (reassembly)");
      else p.out(`, unknown code (${code})`);
      break;
    case 4: {
      tcheck(b, 32, 16);
      const names = ["erroneous", "next header", "option", "incomplete header chain"];
      if (code < 4) p.out(`, ${names[code]} - octet ${u32(b, 4)}`);
      else p.out(`, code-#${code}`);
      break;
    }
    case 128:
    case 129:
      p.out(`, id ${u16(b, 4)}, seq ${u16(b, 6)}`);
      break;
    case 130:
      if (length === 24) mld6(p, b);
      else if (length >= 28) {
        p.out(" v2");
        mldv2Query(p, b, length);
      } else p.out(` unknown-version (len ${length}) `);
      break;
    case 131:
    case 132:
      mld6(p, b);
      break;
    case 133:
      if (v && !optPrint(p, b, 8, length - 8)) {
        trunc();
        return;
      }
      break;
    case 134:
      if (v) {
        const f = u8(b, 5);
        p.out(
          `\n\thop limit ${u8(b, 4)}, Flags [${bitNames(RA_FLAGS, "none", f)}], pref ${RTPREF[(f & 0x18) >> 3]}, router lifetime ${u16(b, 6)}s, reachable time ${u32(b, 8)}ms, retrans timer ${u32(b, 12)}ms`,
        );
        if (!optPrint(p, b, 16, length - 16)) {
          trunc();
          return;
        }
      }
      break;
    case 135:
      p.out(`, who has ${ip6At(b, 8)}`);
      if (v && !optPrint(p, b, 24, length - 24)) {
        trunc();
        return;
      }
      break;
    case 136:
      p.out(`, tgt is ${ip6At(b, 8)}`);
      if (v) {
        p.out(`, Flags [${bitNames(NA_FLAGS, "none", u32(b, 4))}]`);
        if (!optPrint(p, b, 24, length - 24)) {
          trunc();
          return;
        }
      }
      break;
    case 137:
      p.out(`, ${ip6At(b, 24)}`);
      p.out(` to ${ip6At(b, 8)}`);
      if (v && !optPrint(p, b, 40, length - 40)) {
        trunc();
        return;
      }
      break;
    case 141:
    case 142:
      break;
    case 143:
      mldv2Report(p, b, length);
      break;
    case 144:
    case 146:
      p.out(`, id 0x${hex4(u16(b, 4))}`);
      break;
    default:
      p.out(`, length ${length}`);
      if (v <= 1) p.out(unknownData(b, 0, "\n\t", length));
      return;
  }
  if (!v) p.out(`, length ${length}`);
}

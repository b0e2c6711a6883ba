/**
 * IPv6 and its extension headers (hop-by-hop, destination options, routing, fragment) as tcpdump
 * 4.99.3 prints them (print-ip6.c, print-ip6opts.c, print-rt6.c, print-frag6.c).
 */
import { localCatch, type PrintContext, Truncated, tcheck, u8, u16, u32 } from "./context.js";
import { IPPROTO_NAMES, ipDemux } from "./ip.js";
import { HEX2, hex, hex8, ip6At } from "./util.js";

/** ip6_opt_process: false on a malformed or cut option list. */
function optProcess(
  p: PrintContext,
  b: Uint8Array,
  off: number,
  len: number,
  jumbo: { found: boolean; plen: number } | null,
): boolean {
  const v = p.opts.verbose > 0;
  let found = false;
  if (len === 0) return true;
  let optlen = 0;
  for (let i = 0; i < len; i += optlen) {
    const t = u8(b, off + i);
    if (t === 0) optlen = 1;
    else if (i + 1 < len) optlen = u8(b, off + i + 1) + 2;
    else return false;
    if (i + optlen > len) return false;
    switch (t) {
      case 0:
        if (v) p.out("(pad1)");
        break;
      case 1:
        if (len - i < 2) {
          p.out("(padn: trunc)");
          return false;
        }
        if (v) p.out("(padn)");
        break;
      case 5:
        if (len - i < 4) {
          p.out("(rtalert: trunc)");
          return false;
        }
        if (u8(b, off + i + 1) !== 2) {
          p.out(`(rtalert: invalid len ${u8(b, off + i + 1)})`);
          return false;
        }
        if (v) p.out(`(rtalert: 0x${HEX2[u8(b, off + i + 2)]}${HEX2[u8(b, off + i + 3)]}) `);
        break;
      case 0xc2: {
        if (len - i < 6) {
          p.out("(jumbo: trunc)");
          return false;
        }
        if (u8(b, off + i + 1) !== 4) {
          p.out(`(jumbo: invalid len ${u8(b, off + i + 1)})`);
          return false;
        }
        const jl = u32(b, off + i + 2);
        if (found) {
          if (v) p.out(`(jumbo: ${jl} - already seen) `);
        } else {
          found = true;
          if (jumbo === null) {
            if (v) p.out(`(jumbo: ${jl} - not a hop-by-hop option) `);
          } else if (jumbo.plen !== 0) {
            if (v) p.out(`(jumbo: ${jl} - payload len != 0) `);
          } else if (jl < 65536) {
            if (v) p.out(`(jumbo: ${jl} - < 65536) `);
          } else {
            jumbo.found = true;
            jumbo.plen = jl;
            if (v) p.out(`(jumbo: ${jl}) `);
          }
        }
        break;
      }
      case 0xc9:
        if (len - i < 18) {
          p.out("(homeaddr: trunc)");
          return false;
        }
        if (u8(b, off + i + 1) < 16) {
          p.out(`(homeaddr: invalid len ${u8(b, off + i + 1)})`);
          return false;
        }
        if (v) p.out(`(homeaddr: ${ip6At(b, off + i + 2)})`);
        break;
      default:
        if (len - i < 2) {
          p.out(`(type ${t}: trunc)`);
          return false;
        }
        if (v) p.out(`(opt_type 0x${HEX2[t]}: len=${u8(b, off + i + 1)})`);
        break;
    }
  }
  if (v) p.out(" ");
  return true;
}

/** Returns the header length, or -1 after printing a truncation. */
function optionsHeader(
  p: PrintContext,
  b: Uint8Array,
  off: number,
  name: "HBH" | "DSTOPT",
  jumbo: { found: boolean; plen: number } | null,
): number {
  p.proto = name === "HBH" ? "hbhopt" : "dstopt";
  const hlen = (u8(b, off + 1) + 1) << 3;
  if (off + hlen > b.byteLength) {
    p.trunc();
    return -1;
  }
  p.out(`${name} `);
  if (name === "HBH" || p.opts.verbose) {
    let ok: boolean;
    try {
      ok = optProcess(p, b, off + 2, hlen - 2, jumbo);
    } catch (e) {
      if (!(e instanceof Truncated)) throw e;
      ok = false;
    }
    if (!ok) {
      p.trunc();
      return -1;
    }
  }
  return hlen;
}

function rt6Print(p: PrintContext, b: Uint8Array, off: number): number {
  p.proto = "rt6";
  p.out("RT6");
  let len = u8(b, off + 1);
  p.out(` (len=${len}`);
  const type = u8(b, off + 2);
  p.out(`, type=${type}`);
  if (type === 0) p.out(" [Deprecated]");
  p.out(`, segleft=${u8(b, off + 3)}`);
  if (type === 0 || type === 2) {
    const rsv = u32(b, off + 4);
    if (rsv || p.opts.verbose) p.out(`, rsv=0x${hex(rsv)}`);
  } else if (type === 4) {
    p.out(`, last-entry=${u8(b, off + 4)}`);
    const flags = u8(b, off + 5);
    if (flags || p.opts.verbose) p.out(`, flags=0x${hex(flags)}`);
    p.out(`, tag=${hex(u16(b, off + 6))}`);
  } else {
    p.out(" (unknown type)");
    p.invalid();
    return -1;
  }
  if (len % 2 === 1) {
    p.out(` (invalid length ${len})`);
    p.invalid();
    return -1;
  }
  len >>= 1;
  for (let i = 0; i < len; i++) p.out(`, [${i}]${ip6At(b, off + 8 + 16 * i)}`);
  p.out(") ");
  return (u8(b, off + 1) + 1) << 3;
}

function frag6Print(p: PrintContext, b: Uint8Array, off: number): number {
  p.proto = "frag6";
  const offlg = u16(b, off + 2) & 0xfff8;
  const rest = 40 + u16(b, 4) - off - 8;
  if (p.opts.verbose) p.out(`frag (0x${hex8(u32(b, off + 4))}:${offlg}|${sizeT(rest)})`);
  else p.out(`frag (${offlg}|${sizeT(rest)})`);
  if (offlg !== 0) return -1;
  p.out(" ");
  return 8;
}

/** A C size_t (64-bit) printed with %zu. */
function sizeT(v: number): string {
  return v >= 0 ? String(v) : String(2n ** 64n + BigInt(v));
}

/** An IPv6 packet: `b` its captured bytes, `length` what the layer below claims. */
export function ip6Print(p: PrintContext, b: Uint8Array, length: number): void {
  p.proto = "ip6";
  try {
    ip6Body(p, b, length);
  } catch (e) {
    localCatch(p, "ip6", e);
  }
}

function ip6Body(p: PrintContext, b: Uint8Array, length: number): void {
  tcheck(b, 0, 40);
  if (length < 40) {
    p.out(`truncated-ip6 ${length}`);
    return;
  }
  if (!p.opts.linkHeader) p.out("IP6 ");
  const ver = b[0] >> 4;
  if (ver !== 6) {
    p.out(`version error: ${ver} != 6`);
    return;
  }
  const jumbo = { found: false, plen: u16(b, 4) };
  let len: number;
  if (jumbo.plen !== 0) {
    len = jumbo.plen + 40;
    if (length < len) p.out(`truncated-ip6 - ${len - length} bytes missing!`);
  } else len = length + 40;
  let nh = b[6];
  if (p.opts.verbose) {
    const flow = u32(b, 0);
    p.out("(");
    if (flow & 0x0ff00000) p.out(`class 0x${HEX2[(flow & 0x0ff00000) >>> 20]}, `);
    if (flow & 0x000fffff) p.out(`flowlabel 0x${(flow & 0xfffff).toString(16).padStart(5, "0")}, `);
    p.out(
      `hlim ${b[7]}, next-header ${IPPROTO_NAMES.get(nh) ?? "unknown"} (${nh}) payload length: ${jumbo.plen}) `,
    );
  }
  if (b.byteLength > len) b = b.subarray(0, len);
  let ph = 255;
  let cp = 0;
  let advance = 40;
  let total = 0;
  let foundExt = false;
  let foundHbh = false;
  let fragmented = false;
  while (cp < b.byteLength && advance > 0) {
    if (len < advance) {
      p.trunc();
      return;
    }
    cp += advance;
    len -= advance;
    total += advance;
    if (cp === 40 && nh !== 6 && nh !== 17 && nh !== 33 && nh !== 132)
      p.out(`${ip6At(b, 8)} > ${ip6At(b, 24)}: `);
    switch (nh) {
      case 0:
        if (foundHbh) {
          p.out("[The Hop-by-Hop Options header was already found]");
          p.invalid();
          return;
        }
        if (ph !== 255) {
          p.out("[The Hop-by-Hop Options header don't follow the IPv6 header]");
          p.invalid();
          return;
        }
        advance = optionsHeader(p, b, cp, "HBH", jumbo);
        if (jumbo.plen === 0 && !jumbo.found) {
          p.out("[No valid Jumbo Payload Hop-by-Hop option found]");
          p.invalid();
          return;
        }
        if (advance < 0) return;
        foundExt = true;
        foundHbh = true;
        nh = u8(b, cp);
        break;
      case 60:
        advance = optionsHeader(p, b, cp, "DSTOPT", null);
        if (advance < 0) return;
        foundExt = true;
        nh = u8(b, cp);
        break;
      case 44:
        advance = frag6Print(p, b, cp);
        if (advance < 0 || b.byteLength <= cp + advance) return;
        foundExt = true;
        nh = u8(b, cp);
        fragmented = true;
        break;
      case 43:
        u8(b, cp);
        advance = rt6Print(p, b, cp);
        if (advance < 0) return;
        foundExt = true;
        nh = u8(b, cp);
        break;
      default: {
        if (jumbo.found) {
          len = jumbo.plen + 40;
          if (len < total) {
            p.trunc();
            return;
          }
          if (length < len) p.out(`truncated-ip6 - ${len - length} bytes missing!`);
          len -= total;
        } else if (jumbo.plen === 0) {
          if (foundExt) {
            p.trunc();
            return;
          }
          len = 40 - total;
          b = b.subarray(0, Math.min(b.byteLength, 40));
        }
        ipDemux(p, b.subarray(Math.min(cp, b.byteLength)), len, 6, fragmented, nh, b);
        return;
      }
    }
    ph = nh;
    p.proto = "ip6";
  }
}

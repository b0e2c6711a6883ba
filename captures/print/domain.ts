/**
 * DNS printer, in the format of tcpdump 4.99.3's print-domain.c (`-n` always on): what follows
 * `IP a.b > c.d: ` for port 53 (UDP or TCP) and 5353 (mDNS).
 *
 * Reads are offsets into the captured bytes `b`; `b.byteLength` plays tcpdump's `snapend`. Where
 * tcpdump tests for room first and gives up quietly (a NULL return), the helpers here return -1 and
 * the message printer prints ` [|domain]` (`p.trunc()`) and returns; where it reads unchecked
 * (GET_*), the bounds-checked getters throw `Truncated`, as tcpdump longjmps.
 *
 * Compression pointers must point strictly backwards (each jump lowers the limit), as tcpdump
 * requires, so a pointer loop ends in `<BAD PTR>`: every name walk terminates.
 */
import { formatIpv6Bytes } from "../../wire/addr.js";
import { DnsType as WireDnsType } from "../../wire/dns.js";
import { need, type PrintContext, u8, u16, u32 } from "./context.js";

/** tcpdump's MAXCDNAME: longest printed name; longer ones end in `<DOMAIN NAME TOO LONG>`. */
const MAX_NAME = 255;
/** tcpdump's NULL pointer return. */
const NIL = -1;

/** fn_print_char: bytes ≥ 0x80 as `M-x`, control characters as `^X`, DEL as `^?`. */
export const PRINTABLE: readonly string[] = Array.from({ length: 256 }, (_, c) => {
  let s = "";
  let x = c;
  if (x >= 0x80) {
    s = "M-";
    x &= 0x7f;
  }
  if (x < 0x20 || x === 0x7f) {
    s += "^";
    x ^= 0x40;
  }
  return s + String.fromCharCode(x);
});

export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * nd_printn: prints up to `n` bytes from `off` as escaped characters, stopping at the end of the
 * capture. Returns true when it stopped early (tcpdump's "truncated" return).
 */
export function printEscaped(p: PrintContext, b: Uint8Array, off: number, n: number): boolean {
  const end = b.byteLength;
  let s = "";
  while (n > 0 && off < end) {
    n--;
    s += PRINTABLE[b[off++]];
  }
  if (s.length > 0) p.out(s);
  return n !== 0;
}

/** `%u` seconds as tcpdump's unsigned_relts_print: `1y2w3d4h5m6s`, `0s`. */
export function relTime(secs: number): string {
  if (secs === 0) return "0s";
  let s = "";
  for (const [unit, name] of REL_UNITS) {
    if (secs >= unit) {
      const q = Math.floor(secs / unit);
      s += `${q}${name}`;
      secs -= q * unit;
    }
  }
  return s;
}
const REL_UNITS: readonly (readonly [number, string])[] = [
  [31536000, "y"],
  [604800, "w"],
  [86400, "d"],
  [3600, "h"],
  [60, "m"],
  [1, "s"],
];

/** The RR types this printer decodes: the codec's (wire/dns.ts) plus those only tcpdump prints. */
export const DnsType = {
  ...WireDnsType,
  A6: 38,
  DNAME: 39,
  UNSPECA: 104,
  TSIG: 250,
  URI: 256,
} as const;

const TYPE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [1, "A"],
  [2, "NS"],
  [3, "MD"],
  [4, "MF"],
  [5, "CNAME"],
  [6, "SOA"],
  [7, "MB"],
  [8, "MG"],
  [9, "MR"],
  [10, "NULL"],
  [11, "WKS"],
  [12, "PTR"],
  [13, "HINFO"],
  [14, "MINFO"],
  [15, "MX"],
  [16, "TXT"],
  [17, "RP"],
  [18, "AFSDB"],
  [19, "X25"],
  [20, "ISDN"],
  [21, "RT"],
  [22, "NSAP"],
  [23, "NSAP_PTR"],
  [24, "SIG"],
  [25, "KEY"],
  [26, "PX"],
  [27, "GPOS"],
  [28, "AAAA"],
  [29, "LOC"],
  [30, "NXT"],
  [31, "EID"],
  [32, "NIMLOC"],
  [33, "SRV"],
  [34, "ATMA"],
  [35, "NAPTR"],
  [36, "KX"],
  [37, "CERT"],
  [38, "A6"],
  [39, "DNAME"],
  [40, "SINK"],
  [41, "OPT"],
  [42, "APL"],
  [43, "DS"],
  [44, "SSHFP"],
  [45, "IPSECKEY"],
  [46, "RRSIG"],
  [47, "NSEC"],
  [48, "DNSKEY"],
  [99, "SPF"],
  [100, "UINFO"],
  [101, "UID"],
  [102, "GID"],
  [103, "UNSPEC"],
  [104, "UNSPECA"],
  [249, "TKEY"],
  [250, "TSIG"],
  [251, "IXFR"],
  [252, "AXFR"],
  [253, "MAILB"],
  [254, "MAILA"],
  [255, "ANY"],
  [256, "URI"],
]);

function typeName(t: number): string {
  return TYPE_NAMES.get(t) ?? `Type${t}`;
}

function className(c: number): string {
  switch (c) {
    case 1:
      return "IN";
    case 3:
      return "CHAOS";
    case 4:
      return "HS";
    case 255:
      return "ANY";
    default:
      return `(Class ${c})`;
  }
}

/** Opcode suffixes after the id. */
const OPCODES: readonly string[] = [
  "",
  " inv_q",
  " stat",
  " op3",
  " notify",
  " update",
  " op6",
  " op7",
  " op8",
  " updateA",
  " updateD",
  " updateDA",
  " updateM",
  " updateMA",
  " zoneInit",
  " zoneRef",
];

/** Response codes 0..23; tcpdump 4.99.3 really prints 17 and 21 without the leading space. */
const RCODES: readonly string[] = [
  "",
  " FormErr",
  " ServFail",
  " NXDomain",
  " NotImp",
  " Refused",
  " YXDomain",
  " YXRRSet",
  " NXRRSet",
  " NotAuth",
  " NotZone",
  " Resp11",
  " Resp12",
  " Resp13",
  " Resp14",
  " NoChange",
  " BadVers",
  "Resp17",
  " Resp18",
  " Resp19",
  " Resp20",
  "Resp21",
  " Resp22",
  " BadCookie",
];

function rcodeText(rcode: number): string {
  return rcode < RCODES.length ? RCODES[rcode] : ` Resp${rcode & 0xfff}`;
}

export const EdnsOption = {
  LLQ: 1,
  UL: 2,
  NSID: 3,
  DAU: 5,
  DHU: 6,
  N3U: 7,
  ECS: 8,
  EXPIRE: 9,
  COOKIE: 10,
  KEEPALIVE: 11,
  PADDING: 12,
  CHAIN: 13,
  KEYTAG: 14,
  CLIENTTAG: 16,
  SERVERTAG: 17,
} as const;

const EDNS_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [1, "LLQ"],
  [2, "UL"],
  [3, "NSID"],
  [5, "DAU"],
  [6, "DHU"],
  [7, "N3U"],
  [8, "ECS"],
  [9, "EXPIRE"],
  [10, "COOKIE"],
  [11, "KEEPALIVE"],
  [12, "PADDING"],
  [13, "CHAIN"],
  [14, "KEY-TAG"],
  [16, "CLIENT-TAG"],
  [17, "SERVER-TAG"],
]);

const DNSSEC_ALGS: ReadonlyMap<number, string> = new Map<number, string>([
  [0, "DELETE"],
  [1, "RSAMD5"],
  [2, "DH"],
  [3, "DS"],
  [5, "RSASHA1"],
  [6, "DSA-NSEC3-SHA1"],
  [7, "RSASHA1-NSEC3-SHA1"],
  [8, "RSASHA256"],
  [10, "RSASHA512"],
  [12, "ECC-GOST"],
  [13, "ECDSAP256SHA256"],
  [14, "ECDSAP384SHA384"],
  [15, "ED25519"],
  [16, "ED448"],
  [252, "INDIRECT"],
  [253, "PRIVATEDNS"],
  [254, "PRIVATEOID"],
]);
const DS_DIGESTS: ReadonlyMap<number, string> = new Map<number, string>([
  [1, "SHA-1"],
  [2, "SHA-256"],
  [3, "GOST_R_34.11-94"],
  [4, "SHA-384"],
]);
const NSEC3_HASHES: ReadonlyMap<number, string> = new Map<number, string>([[1, "SHA-1"]]);

// ---- names ------------------------------------------------------------------------------------

/** Skips a name (ns_nskip); returns the offset after it, or -1 when it cannot. */
export function skipName(b: Uint8Array, cp: number): number {
  const end = b.byteLength;
  if (cp >= end) return NIL;
  let i = b[cp++];
  while (i !== 0) {
    switch (i & 0xc0) {
      case 0xc0:
        return cp + 1;
      case 0x40: {
        if ((i & 0x3f) !== 1) return NIL;
        if (cp >= end) return NIL;
        const bitlen = b[cp] === 0 ? 256 : b[cp];
        cp += 1 + ((bitlen + 7) >> 3);
        break;
      }
      case 0x80:
        return NIL;
      default:
        cp += i;
    }
    if (cp >= end) return NIL;
    i = b[cp++];
  }
  return cp;
}

/** labellen: the length the label at `cp` occupies after its type byte, or -1 (maybe printing why). */
function labelLen(p: PrintContext, b: Uint8Array, cp: number): number {
  if (cp >= b.byteLength) return NIL;
  const i = b[cp];
  switch (i & 0xc0) {
    case 0x40: {
      const elt = i & 0x3f;
      if (elt !== 1) {
        p.out(`<ELT ${elt}>`);
        return NIL;
      }
      if (cp + 1 >= b.byteLength) return NIL;
      const bitlen = b[cp + 1] === 0 ? 256 : b[cp + 1];
      return ((bitlen + 7) >> 3) + 1;
    }
    case 0x80:
      p.out("<BAD LABEL TYPE>");
      return NIL;
    default:
      return i;
  }
}

/** An RFC 2673 bit-string label, `\[x<hex>/<bits>]`. */
function printBitLabel(p: PrintContext, b: Uint8Array, cp: number): number {
  if (cp >= b.byteLength) return NIL;
  const bitlen = b[cp] === 0 ? 256 : b[cp];
  const lim = cp + 1 + ((bitlen + 3) >> 2);
  p.out("\\[x");
  let bitp = cp + 1;
  let rest = bitlen;
  for (; bitp < lim && rest > 7; rest -= 8, bitp++) p.out(HEX2[u8(b, bitp)]);
  if (rest > 4) {
    const tc = u8(b, bitp);
    p.out(HEX2[tc & (0xff << (8 - rest)) & 0xff]);
  } else if (rest > 0) {
    const tc = u8(b, bitp);
    p.out(((tc >> 4) & (0x0f << (4 - rest)) & 0x0f).toString(16));
  }
  p.out(`/${bitlen}]`);
  return lim;
}

/**
 * fqdn_print: prints the (possibly compressed) name at `cp`, where compression offsets count from
 * `base`. Returns the offset just after the name in place, or -1 when it could not be printed
 * (the caller then reports truncation). Exported for the DHCPv6 printer's domain lists.
 */
export function printName(p: PrintContext, b: Uint8Array, cp: number, base: number): number {
  const end = b.byteLength;
  let l = labelLen(p, b, cp);
  if (l < 0) return NIL;
  if (cp >= end) return NIL;
  // Unsigned as in C: a base beyond cp (DHCPv6, EDNS CHAIN) allows any offset.
  let maxOffset = (cp - base) >>> 0;
  let i = b[cp++];
  let rp = NIL;
  let compressed = false;
  if ((i & 0xc0) !== 0xc0) rp = cp + l;
  if (i === 0) {
    p.out(".");
    return rp;
  }
  let nameChars = 0;
  while (i !== 0 && cp < end) {
    switch (i & 0xc0) {
      case 0xc0: {
        if (!compressed) {
          rp = cp + 1;
          compressed = true;
        }
        const offset = ((i << 8) | b[cp]) & 0x3fff;
        if (offset >= maxOffset) {
          p.out("<BAD PTR>");
          return NIL;
        }
        maxOffset = offset;
        cp = base + offset;
        if (cp >= end) return NIL;
        i = b[cp];
        l = labelLen(p, b, cp);
        if (l < 0) return NIL;
        cp++;
        continue;
      }
      case 0x40: {
        const elt = i & 0x3f;
        if (elt !== 1) {
          p.out(`<ELT ${elt}>`);
          return NIL;
        }
        if (printBitLabel(p, b, cp) < 0) return NIL;
        break;
      }
      case 0x80:
        p.out("<BAD LABEL TYPE>");
        return NIL;
      default:
        if (nameChars + l <= MAX_NAME) {
          if (printEscaped(p, b, cp, l)) return NIL;
        } else if (nameChars < MAX_NAME) {
          if (printEscaped(p, b, cp, MAX_NAME - nameChars)) return NIL;
        }
        nameChars += l;
    }
    cp += l;
    if (nameChars <= MAX_NAME) p.out(".");
    nameChars++;
    if (cp >= end) return NIL;
    i = b[cp];
    l = labelLen(p, b, cp);
    if (l < 0) return NIL;
    cp++;
    if (!compressed) rp += l + 1;
  }
  if (nameChars > MAX_NAME) p.out("<DOMAIN NAME TOO LONG>");
  return rp;
}

/** ns_cprint: a <character-string>. */
function printCharString(p: PrintContext, b: Uint8Array, cp: number): number {
  if (cp >= b.byteLength) return NIL;
  const n = b[cp];
  if (printEscaped(p, b, cp + 1, n)) return NIL;
  return cp + 1 + n;
}

// ---- EDNS options -----------------------------------------------------------------------------

function printEcs(p: PrintContext, b: Uint8Array, cp: number, dataLen: number): void {
  if (dataLen < 4) {
    p.out(" (invalid)");
    return;
  }
  const family = u16(b, cp);
  const srcLen = u8(b, cp + 2);
  const scopeLen = u8(b, cp + 3);
  let addrBits: number;
  if (family === 1) addrBits = 32;
  else if (family === 2) addrBits = 128;
  else {
    p.out(" (invalid)");
    return;
  }
  const addrLen = dataLen - 4;
  if (addrLen > addrBits / 8 || srcLen > addrBits || scopeLen > addrBits || (srcLen + 7) >> 3 !== addrLen) {
    p.out(" (invalid)");
    return;
  }
  const padded = new Uint8Array(16);
  padded.set(b.subarray(cp + 4, cp + 4 + addrLen));
  const addr =
    family === 1 ? `${padded[0]}.${padded[1]}.${padded[2]}.${padded[3]}` : formatIpv6Bytes(padded, 0);
  p.out(`${addr}/${srcLen}/${scopeLen}`);
}

function printAlgList(
  p: PrintContext,
  b: Uint8Array,
  cp: number,
  n: number,
  names: ReadonlyMap<number, string>,
): void {
  for (let i = 0; i < n; i++) {
    if (i > 0) p.out(" ");
    const v = u8(b, cp + i);
    p.out(names.get(v) ?? `Alg_${v}`);
  }
}

/** eopt_print: one EDNS option; returns the offset after it or -1. */
function printEdnsOption(p: PrintContext, b: Uint8Array, cp: number): number {
  const end = b.byteLength;
  if (cp + 2 > end) return NIL;
  const opt = u16(b, cp);
  cp += 2;
  p.out(EDNS_NAMES.get(opt) ?? `Opt${opt}`);
  if (cp + 2 > end) return NIL;
  const len = u16(b, cp);
  cp += 2;
  if (cp + len > end) return NIL;
  if (len > 0) {
    p.out(" ");
    switch (opt) {
      case EdnsOption.ECS:
        printEcs(p, b, cp, len);
        break;
      case EdnsOption.COOKIE:
        if (len < 8 || (len > 8 && len < 16) || len > 40) p.out(" (invalid)");
        else {
          let s = "";
          for (let i = 0; i < len; i++) {
            if (i === 8) s += " ";
            s += HEX2[b[cp + i]];
          }
          p.out(s);
        }
        break;
      case EdnsOption.KEEPALIVE:
        if (len !== 2) p.out(" (invalid)");
        else p.out(`${(u16(b, cp) / 10).toFixed(1)} sec`);
        break;
      case EdnsOption.EXPIRE:
        if (len !== 4) p.out(" (invalid)");
        else p.out(`${u32(b, cp)} sec`);
        break;
      case EdnsOption.PADDING:
        p.out(`(${len})`);
        break;
      case EdnsOption.KEYTAG:
        if (len % 2 !== 0) p.out(" (invalid)");
        else
          for (let i = 0; i < len; i += 2) {
            if (i > 0) p.out(" ");
            p.out(String(u16(b, cp + i)));
          }
        break;
      case EdnsOption.DAU:
        printAlgList(p, b, cp, len, DNSSEC_ALGS);
        break;
      case EdnsOption.DHU:
        printAlgList(p, b, cp, len, DS_DIGESTS);
        break;
      case EdnsOption.N3U:
        printAlgList(p, b, cp, len, NSEC3_HASHES);
        break;
      case EdnsOption.CHAIN:
        // tcpdump passes the option's end as the compression base and ignores the result.
        printName(p, b, cp, cp + len);
        break;
      default: {
        let s = "";
        for (let i = 0; i < len; i++) s += HEX2[b[cp + i]];
        p.out(s);
      }
    }
  }
  return cp + len;
}

// ---- questions and resource records ------------------------------------------------------------

/** ns_qprint: ` A? name.` (mDNS adds ` (QU)`/` (QM)`); returns the offset after it or -1. */
function printQuestion(p: PrintContext, b: Uint8Array, cp: number, base: number, mdns: boolean): number {
  const np = cp;
  cp = skipName(b, cp);
  if (cp < 0 || cp + 4 > b.byteLength) return NIL;
  const type = u16(b, cp);
  const rawClass = u16(b, cp + 2);
  p.out(` ${typeName(type)}`);
  const cls = mdns ? rawClass & 0x7fff : rawClass;
  if (cls !== 1) p.out(` ${className(cls)}`);
  if (mdns) p.out(rawClass & 0x8000 ? " (QU)" : " (QM)");
  p.out("? ");
  const after = printName(p, b, np, base);
  return after < 0 ? NIL : after + 4;
}

/** ns_rprint: one resource record; returns the offset after it (its rdata end) or -1. */
function printRecord(p: PrintContext, b: Uint8Array, cp: number, base: number, mdns: boolean): number {
  const end = b.byteLength;
  const verbose = p.opts.verbose;
  if (verbose > 0) {
    p.out(" ");
    cp = printName(p, b, cp, base);
    if (cp < 0) return NIL;
  } else cp = skipName(b, cp);
  if (cp < 0 || cp + 10 > end) return end;

  const type = u16(b, cp);
  const rawClass = u16(b, cp + 2);
  const cls = mdns ? rawClass & 0x7fff : rawClass;
  if (cls !== 1 && type !== DnsType.OPT) p.out(` ${className(cls)}`);
  if (mdns && rawClass & 0x8000) p.out(" (Cache flush)");
  let optFlags = 0;
  if (type === DnsType.OPT) optFlags = u16(b, cp + 6);
  else if (verbose > 2) p.out(` [${relTime(u32(b, cp + 4))}]`);
  const len = u16(b, cp + 8);
  cp += 10;
  const rp = cp + len;
  p.out(` ${typeName(type)}`);
  if (rp > end) return NIL;

  switch (type) {
    case DnsType.A:
      if (cp + 4 > end) return NIL;
      p.out(` ${b[cp]}.${b[cp + 1]}.${b[cp + 2]}.${b[cp + 3]}`);
      break;
    case DnsType.NS:
    case DnsType.CNAME:
    case DnsType.PTR:
    case DnsType.DNAME:
      p.out(" ");
      if (printName(p, b, cp, base) < 0) return NIL;
      break;
    case DnsType.SOA: {
      if (verbose === 0) break;
      p.out(" ");
      cp = printName(p, b, cp, base);
      if (cp < 0) return NIL;
      p.out(" ");
      cp = printName(p, b, cp, base);
      if (cp < 0) return NIL;
      if (cp + 20 > end) return NIL;
      p.out(` ${u32(b, cp)} ${u32(b, cp + 4)} ${u32(b, cp + 8)} ${u32(b, cp + 12)} ${u32(b, cp + 16)}`);
      break;
    }
    case DnsType.MX:
      p.out(" ");
      if (cp + 2 > end) return NIL;
      if (printName(p, b, cp + 2, base) < 0) return NIL;
      p.out(` ${u16(b, cp)}`);
      break;
    case DnsType.TXT:
      while (cp < rp) {
        p.out(' "');
        cp = printCharString(p, b, cp);
        if (cp < 0) return NIL;
        p.out('"');
      }
      break;
    case DnsType.SRV:
      p.out(" ");
      if (cp + 6 > end) return NIL;
      if (printName(p, b, cp + 6, base) < 0) return NIL;
      p.out(`:${u16(b, cp + 4)} ${u16(b, cp)} ${u16(b, cp + 2)}`);
      break;
    case DnsType.AAAA:
      if (cp + 16 > end) return NIL;
      p.out(` ${formatIpv6Bytes(b, cp)}`);
      break;
    case DnsType.A6: {
      if (cp >= end) return NIL;
      const pbit = b[cp];
      const pbyte = pbit >> 3;
      if (pbit > 128) {
        p.out(` ${pbit}(bad plen)`);
        break;
      }
      if (pbit < 128) {
        need(b, cp + 1, 16 - pbyte);
        const a = new Uint8Array(16);
        a.set(b.subarray(cp + 1, cp + 1 + 16 - pbyte), pbyte);
        p.out(` ${pbit} ${formatIpv6Bytes(a, 0)}`);
      }
      if (pbit > 0) {
        p.out(" ");
        if (printName(p, b, cp + 1 + 16 - pbyte, base) < 0) return NIL;
      }
      break;
    }
    case DnsType.URI:
      if (cp + len > end) return NIL;
      p.out(` ${u16(b, cp)} ${u16(b, cp + 2)} `);
      if (printEscaped(p, b, cp + 4, (len - 4) >>> 0)) return NIL;
      break;
    case DnsType.OPT:
      p.out(` UDPsize=${cls}`);
      if (optFlags & 0x8000) p.out(" DO");
      if (cp < rp) {
        p.out(" [");
        while (cp < rp) {
          cp = printEdnsOption(p, b, cp);
          if (cp < 0) return NIL;
          if (cp < rp) p.out(",");
        }
        p.out("]");
      }
      break;
    case DnsType.UNSPECA:
      if (cp + len > end) return NIL;
      if (printEscaped(p, b, cp, len)) return NIL;
      break;
    case DnsType.TSIG: {
      if (verbose === 0) break;
      p.out(" ");
      cp = printName(p, b, cp, base);
      if (cp < 0) return NIL;
      cp += 6;
      if (cp + 2 > end) return NIL;
      p.out(` fudge=${u16(b, cp)}`);
      cp += 2;
      if (cp + 2 > end) return NIL;
      const macLen = u16(b, cp);
      p.out(` maclen=${macLen}`);
      cp += 2 + macLen;
      if (cp + 2 > end) return NIL;
      p.out(` origid=${u16(b, cp)}`);
      cp += 2;
      if (cp + 2 > end) return NIL;
      p.out(` error=${u16(b, cp)}`);
      cp += 2;
      if (cp + 2 > end) return NIL;
      p.out(` otherlen=${u16(b, cp)}`);
      break;
    }
  }
  return rp;
}

/** A run of `count` records: `first`, then `,`-separated while bytes remain. Returns -1 on trouble. */
function printRecords(
  p: PrintContext,
  b: Uint8Array,
  cp: number,
  base: number,
  mdns: boolean,
  count: number,
  label: string,
): number {
  if (count === 0) return cp;
  if (label !== "") {
    if (cp >= b.byteLength) return NIL;
    p.out(label);
  }
  cp = printRecord(p, b, cp, base, mdns);
  if (cp < 0) return NIL;
  count--;
  while (cp < b.byteLength && count > 0) {
    p.out(",");
    cp = printRecord(p, b, cp, base, mdns);
    if (cp < 0) return NIL;
    count--;
  }
  return count > 0 ? NIL : cp;
}

/** Finds the OPT record's extended RCODE bits (tcpdump's pre-scan; gives up quietly). */
function extendedRcode(b: Uint8Array, base: number, qd: number, an: number, ns: number, ar: number): number {
  const end = b.byteLength;
  let cp = base + 12;
  for (let i = 0; i < qd; i++) {
    cp = skipName(b, cp);
    if (cp < 0) return 0;
    cp += 4;
    if (cp >= end) return 0;
  }
  for (let i = 0; i < an + ns; i++) {
    cp = skipName(b, cp);
    if (cp < 0) return 0;
    cp += 8;
    if (cp + 2 > end) return 0;
    cp += 2 + ((b[cp] << 8) | b[cp + 1]);
    if (cp >= end) return 0;
  }
  for (let i = 0; i < ar; i++) {
    cp = skipName(b, cp);
    if (cp < 0) return 0;
    if (cp + 2 > end) return 0;
    const type = (b[cp] << 8) | b[cp + 1];
    cp += 4;
    if (cp + 1 > end) return 0;
    if (type === DnsType.OPT) return b[cp] << 4;
    cp += 4;
    if (cp + 2 > end) return 0;
    cp += 2 + ((b[cp] << 8) | b[cp + 1]);
    if (cp >= end) return 0;
  }
  return 0;
}

function printMessage(p: PrintContext, b: Uint8Array, length: number, overTcp: boolean, mdns: boolean): void {
  let base = 0;
  if (overTcp) {
    if (length < 2) {
      p.out(` [DNS over TCP: length ${length} < 2] (invalid)`);
      return;
    }
    length -= 2;
    const prefix = u16(b, 0);
    if (prefix !== length) {
      p.out(` [prefix length(${prefix}) != length(${length})] (invalid)`);
      return;
    }
    base = 2;
    p.out(" ");
  }
  if (length < 12) {
    p.out(`domain [length ${length} < 12] (invalid)`);
    return;
  }
  if (base + 12 > b.byteLength) {
    p.trunc();
    return;
  }
  const id = u16(b, base);
  const flags = u16(b, base + 2);
  const qd = u16(b, base + 4);
  const an = u16(b, base + 6);
  const ns = u16(b, base + 8);
  const ar = u16(b, base + 10);
  const opcode = (flags >> 11) & 0xf;
  const verbose = p.opts.verbose;
  let cp = base + 12;

  if (flags & 0x8000) {
    const rcode = (flags & 0xf) | extendedRcode(b, base, qd, an, ns, ar);
    p.out(
      `${id}${OPCODES[opcode]}${rcodeText(rcode)}${flags & 0x0400 ? "*" : ""}${flags & 0x0080 ? "" : "-"}${
        flags & 0x0200 ? "|" : ""
      }${flags & 0x0020 ? "$" : ""}`,
    );
    if (qd !== 1) p.out(` [${qd}q]`);
    for (let i = 0; i < qd; i++) {
      if (i !== 0) p.out(",");
      if (verbose > 1) {
        p.out(" q:");
        cp = printQuestion(p, b, cp, base, mdns);
        if (cp < 0) {
          p.trunc();
          return;
        }
      } else {
        cp = skipName(b, cp);
        if (cp < 0) {
          p.trunc();
          return;
        }
        cp += 4;
      }
    }
    p.out(` ${an}/${ns}/${ar}`);
    cp = printRecords(p, b, cp, base, mdns, an, "");
    if (cp < 0) {
      p.trunc();
      return;
    }
    if (verbose > 1) {
      cp = printRecords(p, b, cp, base, mdns, ns, " ns:");
      if (cp < 0) {
        p.trunc();
        return;
      }
      cp = printRecords(p, b, cp, base, mdns, ar, " ar:");
      if (cp < 0) {
        p.trunc();
        return;
      }
    }
  } else {
    p.out(`${id}${OPCODES[opcode]}${flags & 0x0100 ? "+" : ""}${flags & 0x0010 ? "%" : ""}`);
    if (flags & 0x6cf) p.out(` [b2&3=0x${flags.toString(16)}]`);
    if (opcode === 1) {
      if (qd) p.out(` [${qd}q]`);
      if (an !== 1) p.out(` [${an}a]`);
    } else {
      if (an) p.out(` [${an}a]`);
      if (qd !== 1) p.out(` [${qd}q]`);
    }
    if (ns) p.out(` [${ns}n]`);
    if (ar) p.out(` [${ar}au]`);
    let q = qd;
    if (q > 0) {
      cp = printQuestion(p, b, cp, base, mdns);
      if (cp < 0) {
        p.trunc();
        return;
      }
      q--;
      while (cp < b.byteLength && q > 0) {
        cp = printQuestion(p, b, cp, base, mdns);
        if (cp < 0) {
          p.trunc();
          return;
        }
        q--;
      }
    }
    if (q > 0) {
      p.trunc();
      return;
    }
    if (verbose > 1) {
      cp = printRecords(p, b, cp, base, mdns, an, "");
      if (cp < 0) {
        p.trunc();
        return;
      }
      cp = printRecords(p, b, cp, base, mdns, ns, " ns:");
      if (cp < 0) {
        p.trunc();
        return;
      }
      cp = printRecords(p, b, cp, base, mdns, ar, " ar:");
      if (cp < 0) {
        p.trunc();
        return;
      }
    }
  }
  p.out(` (${length})`);
}

/**
 * Prints a DNS message as tcpdump 4.99.3 does after the UDP/TCP addresses. `b` is the captured
 * payload (the UDP payload or the TCP segment's data), `length` the payload length the transport
 * header claims; `overTcp` means a 2-byte length prefix comes first (and a leading space is printed,
 * as tcpdump does after `length N`); `mdns` selects the mDNS class-bit handling (port 5353).
 *
 * Sets `p.proto = "domain"`. Where tcpdump checks and gives up (`goto trunc`) this prints ` [|domain]`
 * and returns; where it reads unchecked it throws `Truncated` (tcpdump's longjmp), for the packet's
 * top level to print ` [|domain]`.
 */
export function printDomain(
  p: PrintContext,
  b: Uint8Array,
  length: number,
  overTcp: boolean,
  mdns = false,
): void {
  p.proto = "domain";
  printMessage(p, b, length, overTcp, mdns);
}

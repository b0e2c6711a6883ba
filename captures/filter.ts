import { ipAddress } from "../wire/addr.js";

/**
 * A pcap-filter(7) (tcpdump expression) compiler for the common subset, compiled to closures (no eval,
 * no per-packet allocation). Semantics follow libpcap 1.10.3's gencode.c, which is what the local
 * tcpdump runs and what the tests compare against:
 *
 * - `and`/`or` have the same precedence and associate to the left (`a or b and c` = `(a or b) and c`).
 * - An address without qualifiers inherits the qualifiers of the previous one
 *   (`host 1.2.3.4 or 5.6.7.8`, `port 53 and not 80`).
 * - `vlan` moves the link-layer type and payload offsets of every primitive *parsed after it* by 4 bytes
 *   (so `vlan and ip` looks for 0x0800 behind the tag, and `ip` before any `vlan` never matches a tagged frame).
 * - `port`/`portrange` match TCP, UDP and SCTP over IPv4 (except non-first fragments) and over IPv6 when the
 *   transport header directly follows the fixed IPv6 header; `tcp`/`udp` also match behind one IPv6 Fragment
 *   header; `host`/`net` with an IPv4 address match IPv4, ARP and RARP; with an IPv6 address, IPv6.
 * - A packet access out of the captured bytes (or a run-time division by zero) rejects the packet, whatever
 *   the rest of the expression says, as the BPF interpreter does.
 */

export class FilterSyntaxError extends Error {
  override readonly name = "FilterSyntaxError";
  constructor(
    /** 1-based column of the offending token in the expression (0: the expression as a whole). */
    readonly column: number,
    /** What is wrong, without the position (e.g. `unexpected "and"`, `illegal port number 70000 > 65535`). */
    readonly detail: string,
    syntax = true,
  ) {
    super(
      syntax
        ? `syntax error in filter expression at column ${column}: ${detail}`
        : `invalid filter expression at column ${column}: ${detail}`,
    );
  }
}

export type PacketFilter = (data: Uint8Array, origLen: number) => boolean;

// ---------------------------------------------------------------------------------------------- lexer

type TokKind = "num" | "hid" | "hid6" | "eid" | "id" | "kw" | "op" | "eof";
interface Tok {
  readonly k: TokKind;
  readonly text: string;
  readonly col: number;
  /** For `num`: the value; for `kw`/`op`: unused. */
  readonly n: number;
}

const KEYWORDS: Record<string, string> = {
  dst: "dst",
  src: "src",
  link: "link",
  ether: "link",
  ppp: "link",
  slip: "link",
  fddi: "link",
  tr: "link",
  wlan: "link",
  arp: "arp",
  rarp: "rarp",
  ip: "ip",
  sctp: "sctp",
  tcp: "tcp",
  udp: "udp",
  icmp: "icmp",
  igmp: "igmp",
  igrp: "igrp",
  pim: "pim",
  vrrp: "vrrp",
  carp: "carp",
  ip6: "ip6",
  icmp6: "icmp6",
  ah: "ah",
  esp: "esp",
  host: "host",
  net: "net",
  mask: "mask",
  port: "port",
  portrange: "portrange",
  proto: "proto",
  protochain: "protochain",
  gateway: "gateway",
  less: "less",
  greater: "greater",
  byte: "byte",
  broadcast: "broadcast",
  multicast: "multicast",
  and: "and",
  or: "or",
  not: "not",
  len: "len",
  length: "len",
  vlan: "vlan",
  mpls: "mpls",
  pppoed: "pppoed",
  pppoes: "pppoes",
  geneve: "geneve",
  inbound: "inbound",
  outbound: "outbound",
  ifindex: "ifindex",
  radio: "radio",
  atalk: "atalk",
  aarp: "aarp",
  decnet: "decnet",
  lat: "lat",
  sca: "sca",
  moprc: "moprc",
  mopdl: "mopdl",
  iso: "iso",
  esis: "esis",
  "es-is": "esis",
  isis: "isis",
  "is-is": "isis",
  clnp: "clnp",
  stp: "stp",
  ipx: "ipx",
  netbeui: "netbeui",
};

/** Named constants of the scanner (pcap-filter(7) "named fields"). */
const NAMED_NUMS: Record<string, number> = {
  icmptype: 0,
  icmpcode: 1,
  "icmp-echoreply": 0,
  "icmp-unreach": 3,
  "icmp-sourcequench": 4,
  "icmp-redirect": 5,
  "icmp-echo": 8,
  "icmp-routeradvert": 9,
  "icmp-routersolicit": 10,
  "icmp-timxceed": 11,
  "icmp-paramprob": 12,
  "icmp-tstamp": 13,
  "icmp-tstampreply": 14,
  "icmp-ireq": 15,
  "icmp-ireqreply": 16,
  "icmp-maskreq": 17,
  "icmp-maskreply": 18,
  icmp6type: 0,
  icmp6code: 1,
  "icmp6-destinationunreach": 1,
  "icmp6-packettoobig": 2,
  "icmp6-timeexceeded": 3,
  "icmp6-parameterproblem": 4,
  "icmp6-echo": 128,
  "icmp6-echoreply": 129,
  "icmp6-multicastlistenerquery": 130,
  "icmp6-multicastlistenerreportv1": 131,
  "icmp6-multicastlistenerdone": 132,
  "icmp6-routersolicit": 133,
  "icmp6-routeradvert": 134,
  "icmp6-neighborsolicit": 135,
  "icmp6-neighboradvert": 136,
  "icmp6-redirect": 137,
  "icmp6-routerrenum": 138,
  "icmp6-nodeinformationquery": 139,
  "icmp6-nodeinformationresponse": 140,
  "icmp6-ineighbordiscoverysolicit": 141,
  "icmp6-ineighbordiscoveryadvert": 142,
  "icmp6-multicastlistenerreportv2": 143,
  "icmp6-homeagentdiscoveryrequest": 144,
  "icmp6-homeagentdiscoveryreply": 145,
  "icmp6-mobileprefixsolicit": 146,
  "icmp6-mobileprefixadvert": 147,
  "icmp6-certpathsolicit": 148,
  "icmp6-certpathadvert": 149,
  "icmp6-multicastrouteradvert": 151,
  "icmp6-multicastroutersolicit": 152,
  "icmp6-multicastrouterterm": 153,
  tcpflags: 13,
  "tcp-fin": 0x01,
  "tcp-syn": 0x02,
  "tcp-rst": 0x04,
  "tcp-push": 0x08,
  "tcp-ack": 0x10,
  "tcp-urg": 0x20,
  "tcp-ece": 0x40,
  "tcp-cwr": 0x80,
};

const ARITH_OR_REL = new Set([
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
  "^",
  "<<",
  ">>",
  "=",
  "<=",
  ">=",
  "!=",
  "<",
  ">",
]);
const TWO_CHAR_OPS = new Set([">=", "<=", "!=", "==", "<<", ">>", "&&", "||"]);
const ONE_CHAR_OPS = "+-*/%:[]!<>()&|^=";
const RE_WORD = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
const RE_ADDRISH = /[0-9A-Fa-f:.]+/y;
const RE_NUM = /^(?:[0-9]+|0[xX][0-9A-Fa-f]+)$/;
const RE_HID = /^(?:[0-9]+|0[xX][0-9A-Fa-f]+)(?:\.(?:[0-9]+|0[xX][0-9A-Fa-f]+)){1,3}$/;
const RE_MAC =
  /^(?:[0-9A-Fa-f]{1,2}([:.-])[0-9A-Fa-f]{1,2}\1[0-9A-Fa-f]{1,2}\1[0-9A-Fa-f]{1,2}\1[0-9A-Fa-f]{1,2}\1[0-9A-Fa-f]{1,2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})$/;
const RE_MAC_FLEX =
  /^[0-9A-Fa-f]{1,2}(?:[:.-][0-9A-Fa-f]{1,2}){5}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/;

/** The scanner's `stou`: decimal, 0x hex, leading-0 octal; errors like libpcap's. */
function parseNumber(text: string, col: number): number {
  let n = 0;
  if (/^0[xX]/.test(text)) {
    for (const c of text.slice(2)) {
      n = n * 16 + Number.parseInt(c, 16);
      if (n > 0xffffffff) throw new FilterSyntaxError(col, `number ${text} overflows 32 bits`, false);
    }
    return n;
  }
  const base = text.length > 1 && text[0] === "0" ? 8 : 10;
  for (const c of text) {
    const d = c.charCodeAt(0) - 48;
    if (d >= base) throw new FilterSyntaxError(col, `number ${text} contains non-octal digit`, false);
    n = n * base + d;
    if (n > 0xffffffff) throw new FilterSyntaxError(col, `number ${text} overflows 32 bits`, false);
  }
  return n;
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const tok = (k: TokKind, text: string, at: number, n = 0): void => {
    out.push({ k, text, col: at + 1, n });
  };
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      if (two === "&&" || two === "||") tok("kw", two === "&&" ? "and" : "or", i);
      else tok("op", two === "==" ? "=" : two, i);
      i += 2;
      continue;
    }
    if (c === "\\") {
      let j = i + 1;
      while (j < src.length && !" !()\n\t".includes(src[j])) j++;
      if (j === i + 1) throw new FilterSyntaxError(i + 1, `unexpected "\\"`);
      tok("id", src.slice(i + 1, j), i);
      i = j;
      continue;
    }
    // IPv6 addresses and colon-separated MACs (at least "::" or two colons, as the scanner's patterns need).
    RE_ADDRISH.lastIndex = i;
    const am = RE_ADDRISH.exec(src);
    if (am && (am[0].includes("::") || am[0].split(":").length >= 3)) {
      const text = am[0];
      if (RE_MAC_FLEX.test(text)) tok("eid", text, i);
      else if (ipAddress().Address6.isValid(text)) tok("hid6", text, i);
      else
        throw new FilterSyntaxError(
          i + 1,
          `bogus ${text.includes(".") || text.includes("::") ? "IPv6" : "ethernet"} address ${text}`,
          false,
        );
      i += text.length;
      continue;
    }
    RE_WORD.lastIndex = i;
    const wm = RE_WORD.exec(src);
    if (wm) {
      const text = wm[0];
      const kw = KEYWORDS[text];
      if (kw !== undefined) {
        tok(kw === "not" ? "op" : "kw", kw === "not" ? "!" : kw, i);
      } else if (NAMED_NUMS[text] !== undefined) {
        tok("num", text, i, NAMED_NUMS[text]);
      } else if (RE_NUM.test(text)) {
        tok("num", text, i, parseNumber(text, i + 1));
      } else if (RE_HID.test(text)) {
        tok("hid", text, i);
      } else if (RE_MAC.test(text) && /[.:-]/.test(text)) {
        tok("eid", text, i);
      } else {
        tok("id", text, i);
      }
      i += text.length;
      continue;
    }
    if (ONE_CHAR_OPS.includes(c)) {
      tok("op", c, i);
      i++;
      continue;
    }
    throw new FilterSyntaxError(i + 1, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ k: "eof", text: "", col: src.length + 1, n: 0 });
  return out;
}

// ---------------------------------------------------------------------------------------- evaluation

type Pred = (p: Uint8Array, len: number) => boolean;
type Val = (p: Uint8Array, len: number) => number;

/** Shared per-filter state: set when a load falls outside the captured bytes (BPF "return 0"). */
interface State {
  oob: boolean;
}

function ld(st: State, size: 1 | 2 | 4): (p: Uint8Array, off: number) => number {
  if (size === 1)
    return (p, off) => {
      if (off + 1 > p.length) {
        st.oob = true;
        return 0;
      }
      return p[off];
    };
  if (size === 2)
    return (p, off) => {
      if (off + 2 > p.length) {
        st.oob = true;
        return 0;
      }
      return (p[off] << 8) | p[off + 1];
    };
  return (p, off) => {
    if (off + 4 > p.length) {
      st.oob = true;
      return 0;
    }
    return ((p[off] << 24) | (p[off + 1] << 16) | (p[off + 2] << 8) | p[off + 3]) >>> 0;
  };
}

const TRUE: Pred = () => true;
const FALSE: Pred = () => false;
const and2 =
  (a: Pred, b: Pred): Pred =>
  (p, l) =>
    a(p, l) && b(p, l);
const or2 =
  (a: Pred, b: Pred): Pred =>
  (p, l) =>
    a(p, l) || b(p, l);
const not1 =
  (a: Pred): Pred =>
  (p, l) =>
    !a(p, l);

// ------------------------------------------------------------------------------------------- parser

type Dir = "default" | "src" | "dst" | "or" | "and";
type Addr = "default" | "host" | "net" | "port" | "portrange" | "proto" | "protochain" | "gateway" | "undef";
interface Qual {
  readonly proto: string; // "default" or a pname keyword
  readonly dir: Dir;
  readonly addr: Addr;
}
const QERR: Qual = { proto: "undef", dir: "default", addr: "undef" };

interface Arth {
  readonly v: Val;
  readonly conds: Pred | null;
  /** Set when the operand is a plain number (libpcap's BPF_LD|BPF_IMM check for `/ 0`, `% 0`, `<< 32`). */
  readonly imm: number | null;
}

interface Term {
  readonly pred: Pred;
  readonly q: Qual;
}

const PNAMES = new Set([
  "link",
  "ip",
  "arp",
  "rarp",
  "sctp",
  "tcp",
  "udp",
  "icmp",
  "igmp",
  "igrp",
  "pim",
  "vrrp",
  "carp",
  "ip6",
  "icmp6",
  "ah",
  "esp",
  "radio",
  "atalk",
  "aarp",
  "decnet",
  "lat",
  "sca",
  "moprc",
  "mopdl",
  "iso",
  "esis",
  "isis",
  "clnp",
  "stp",
  "ipx",
  "netbeui",
]);

const ETHERTYPE = {
  IP: 0x0800,
  ARP: 0x0806,
  REVARP: 0x8035,
  IPV6: 0x86dd,
  VLAN: 0x8100,
  QINQ_AD: 0x88a8,
  QINQ: 0x9100,
};
const IPPROTO: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  egp: 8,
  igrp: 9,
  udp: 17,
  ipv6: 41,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  "ipv6-icmp": 58,
  icmp6: 58,
  pim: 103,
  vrrp: 112,
  carp: 112,
  sctp: 132,
};
const ETHER_PROTO_NAMES: Record<string, number> = {
  ip: 0x0800,
  ip6: 0x86dd,
  arp: 0x0806,
  rarp: 0x8035,
  atalk: 0x809b,
  aarp: 0x80f3,
  decnet: 0x6003,
  lat: 0x6004,
  sca: 0x6007,
  moprc: 0x6002,
  mopdl: 0x6001,
  loopback: 0x9000,
};
/** A few /etc/services names (tcpdump resolves `port NAME` through getservbyname). */
const SERVICES: Record<string, number> = {
  ftp: 21,
  "ftp-data": 20,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  www: 80,
  pop3: 110,
  sunrpc: 111,
  ntp: 123,
  "netbios-ns": 137,
  imap: 143,
  snmp: 161,
  bgp: 179,
  ldap: 389,
  https: 443,
  syslog: 514,
  "dhcpv6-client": 546,
  "dhcpv6-server": 547,
  rtsp: 554,
  nfs: 2049,
  openvpn: 1194,
  pptp: 1723,
  mdns: 5353,
  vxlan: 4789,
  geneve: 6081,
};

/** Link-layer description used for code generation (libpcap's off_linktype / off_linkpl). */
interface Offsets {
  linkType: number;
  linkPl: number;
}

class Compiler {
  #toks: Tok[];
  #pos = 0;
  #off: Offsets;
  readonly st: State = { oob: false };
  readonly #dlt: number;
  readonly #ld1: (p: Uint8Array, off: number) => number;
  readonly #ld2: (p: Uint8Array, off: number) => number;
  readonly #ld4: (p: Uint8Array, off: number) => number;

  constructor(src: string, dlt: number) {
    this.#toks = lex(src);
    this.#dlt = dlt;
    this.#ld1 = ld(this.st, 1);
    this.#ld2 = ld(this.st, 2);
    this.#ld4 = ld(this.st, 4);
    switch (dlt) {
      case 1:
        this.#off = { linkType: 12, linkPl: 14 };
        break;
      case 113:
        this.#off = { linkType: 14, linkPl: 16 };
        break;
      case 0:
      case 108:
        this.#off = { linkType: 0, linkPl: 4 };
        break;
      case 12:
      case 14:
      case 101:
      case 228:
      case 229:
        this.#off = { linkType: -1, linkPl: 0 };
        break;
      default:
        throw new FilterSyntaxError(0, `unsupported link type ${dlt}`, false);
    }
  }

  // ---- token helpers
  get #t(): Tok {
    return this.#toks[this.#pos];
  }
  #peek(n = 1): Tok {
    return this.#toks[Math.min(this.#pos + n, this.#toks.length - 1)];
  }
  #is(k: TokKind, text?: string): boolean {
    const t = this.#t;
    return t.k === k && (text === undefined || t.text === text);
  }
  #isOp(text: string): boolean {
    return this.#is("op", text);
  }
  #isKw(text: string): boolean {
    return this.#is("kw", text);
  }
  #unexpected(t: Tok = this.#t): FilterSyntaxError {
    return new FilterSyntaxError(
      t.col,
      t.k === "eof" ? "unexpected end of expression" : `unexpected "${t.text}"`,
    );
  }
  #sem(t: Tok, msg: string): FilterSyntaxError {
    return new FilterSyntaxError(t.col, msg, false);
  }
  #expectOp(text: string): Tok {
    if (!this.#isOp(text)) throw this.#unexpected();
    return this.#toks[this.#pos++];
  }

  compile(): Pred {
    if (this.#is("eof")) return TRUE;
    const e = this.#expr(QERR);
    if (!this.#is("eof")) throw this.#unexpected();
    return e.pred;
  }

  // ---- expr: term | expr and term | expr and id | expr or term | expr or id
  #expr(q0: Qual): Term {
    let left = this.#term(q0);
    while (this.#isKw("and") || this.#isKw("or")) {
      const isAnd = this.#t.text === "and";
      this.#pos++;
      const right = this.#startsId() ? this.#id(left.q) : this.#term(left.q);
      left = { pred: isAnd ? and2(left.pred, right.pred) : or2(left.pred, right.pred), q: right.q };
    }
    return left;
  }

  /** After and/or: does an `id` (an address with inherited qualifiers) follow rather than a term? */
  #startsId(): boolean {
    let i = this.#pos;
    while (this.#toks[i].k === "op" && (this.#toks[i].text === "!" || this.#toks[i].text === "(")) i++;
    const t = this.#toks[i];
    if (t.k === "hid" || t.k === "hid6" || t.k === "eid" || t.k === "id") return true;
    if (t.k === "num") {
      const n = this.#toks[i + 1];
      return !(n.k === "op" && ARITH_OR_REL.has(n.text));
    }
    return false;
  }

  // ---- term: rterm | not term
  #term(q0: Qual): Term {
    if (this.#isOp("!")) {
      this.#pos++;
      const t = this.#term(q0);
      return { pred: not1(t.pred), q: t.q };
    }
    return this.#rterm(q0);
  }

  #rterm(q0: Qual): Term {
    const t = this.#t;
    // '(' : an arithmetic relation `(narth) relop arth`, or a parenthesised expression.
    if (t.k === "op" && t.text === "(") {
      const save = this.#pos;
      const saveOff = { ...this.#off };
      try {
        return { pred: this.#relation(), q: QERR };
      } catch (e) {
        if (!(e instanceof FilterSyntaxError)) throw e;
        this.#pos = save;
        this.#off = saveOff;
      }
      this.#pos++;
      const e = this.#expr(q0);
      this.#expectOp(")");
      return { pred: e.pred, q: q0 };
    }
    if (t.k === "num" || (t.k === "op" && t.text === "-") || (t.k === "kw" && t.text === "len")) {
      return { pred: this.#relation(), q: QERR };
    }
    if (t.k === "kw") {
      switch (t.text) {
        case "less":
        case "greater": {
          this.#pos++;
          const n = this.#pnum();
          return {
            pred: t.text === "less" ? (_p, l) => l <= n : (_p, l) => l >= n,
            q: QERR,
          };
        }
        case "vlan":
          return { pred: this.#vlan(), q: QERR };
        case "broadcast":
        case "multicast":
          this.#pos++;
          return { pred: this.#bcastMcast("default", t), q: QERR };
        case "byte":
          return { pred: this.#byteop(), q: QERR };
        case "src":
        case "dst":
        case "host":
        case "net":
        case "port":
        case "portrange":
        case "proto":
        case "protochain":
        case "gateway": {
          const q = this.#head("default");
          return this.#id(q);
        }
        case "mpls":
        case "pppoed":
        case "pppoes":
        case "geneve":
        case "inbound":
        case "outbound":
        case "ifindex":
          throw this.#sem(t, `"${t.text}" is not supported by this filter compiler`);
      }
      if (PNAMES.has(t.text)) {
        const n = this.#peek();
        if (n.k === "op" && n.text === "[") return { pred: this.#relation(), q: QERR };
        if (n.k === "kw" && (n.text === "broadcast" || n.text === "multicast")) {
          this.#pos += 2;
          return { pred: this.#bcastMcast(t.text, n), q: QERR };
        }
        if (
          n.k === "kw" &&
          ["src", "dst", "host", "net", "port", "portrange", "proto", "protochain", "gateway"].includes(
            n.text,
          )
        ) {
          this.#pos++;
          const q = this.#head(t.text);
          return this.#id(q);
        }
        this.#pos++;
        return { pred: this.#protoAbbrev(t.text, t), q: QERR };
      }
    }
    throw this.#unexpected();
  }

  /** head: pqual dqual aqual | pqual dqual | pqual aqual | pqual PROTO | pqual PROTOCHAIN */
  #head(proto: string): Qual {
    let dir: Dir = "default";
    let addr: Addr = "default";
    if (this.#isKw("src") || this.#isKw("dst")) {
      const first = this.#t.text as "src" | "dst";
      this.#pos++;
      dir = first;
      if ((this.#isKw("or") || this.#isKw("and")) && this.#peek().k === "kw") {
        const other = this.#peek().text;
        if ((first === "src" && other === "dst") || (first === "dst" && other === "src")) {
          dir = this.#t.text as "or" | "and";
          this.#pos += 2;
        }
      }
    }
    const t = this.#t;
    if (t.k === "kw" && ["host", "net", "port", "portrange", "gateway"].includes(t.text)) {
      addr = t.text as Addr;
      this.#pos++;
    } else if (dir === "default") {
      if (t.k === "kw" && (t.text === "proto" || t.text === "protochain")) {
        addr = t.text;
        this.#pos++;
      } else throw this.#unexpected();
    }
    return { proto, dir, addr };
  }

  // ---- id: nid | pnum | paren pid ')' ; nid: ... | not id
  #id(q: Qual): Term {
    const t = this.#t;
    if (t.k === "op" && t.text === "!") {
      this.#pos++;
      const r = this.#id(q);
      return { pred: not1(r.pred), q: r.q };
    }
    if (t.k === "op" && t.text === "(") {
      this.#pos++;
      // pid: nid | qid and id | qid or id
      let left = this.#id(q);
      while (this.#isKw("and") || this.#isKw("or")) {
        const isAnd = this.#t.text === "and";
        this.#pos++;
        const right = this.#id(left.q);
        left = { pred: isAnd ? and2(left.pred, right.pred) : or2(left.pred, right.pred), q: right.q };
      }
      this.#expectOp(")");
      return left;
    }
    this.#pos++;
    switch (t.k) {
      case "num":
        return { pred: this.#ncode(null, t.n, q, t), q };
      case "hid": {
        if (this.#isOp("/")) {
          this.#pos++;
          const nt = this.#t;
          if (nt.k !== "num") throw this.#unexpected();
          this.#pos++;
          return { pred: this.#mcode(t, null, nt.n, q), q };
        }
        if (this.#isKw("mask")) {
          this.#pos++;
          const mt = this.#t;
          if (mt.k !== "hid") throw this.#unexpected();
          this.#pos++;
          return { pred: this.#mcode(t, mt, 0, q), q };
        }
        if (q.addr === "port" || q.addr === "portrange" || q.addr === "proto" || q.addr === "protochain")
          throw this.#sem(t, `'${q.addr}' modifier applied to ip host`);
        return { pred: this.#ncode(t.text, 0, q, t), q };
      }
      case "hid6": {
        let len = 128;
        if (this.#isOp("/")) {
          this.#pos++;
          const nt = this.#t;
          if (nt.k !== "num") throw this.#unexpected();
          this.#pos++;
          len = nt.n;
          if (len > 128) throw this.#sem(nt, "mask length must be <= 128");
        }
        return { pred: this.#mcode6(t, len, q), q };
      }
      case "eid":
        return { pred: this.#ecode(t, q), q };
      case "id":
        return { pred: this.#scode(t, q), q };
      default:
        this.#pos--;
        throw this.#unexpected();
    }
  }

  #pnum(): number {
    if (this.#isOp("(")) {
      this.#pos++;
      const n = this.#pnum();
      this.#expectOp(")");
      return n;
    }
    const t = this.#t;
    if (t.k !== "num") throw this.#unexpected();
    this.#pos++;
    return t.n;
  }

  // ---- link-layer type tests (gen_linktype)
  #linktype(etype: number): Pred {
    const ld1 = this.#ld1;
    const ld2 = this.#ld2;
    const ld4 = this.#ld4;
    const o = this.#off.linkType;
    switch (this.#dlt) {
      case 1:
        if (etype <= 1500) return (p) => ld2(p, o) <= 1500 && ld1(p, o + 2) === etype;
        return (p) => ld2(p, o) === etype;
      case 113:
        if (etype <= 1500) return (p) => ld2(p, o) === 4 && ld1(p, o + 2) === etype;
        return (p) => ld2(p, o) === etype;
      case 12:
      case 14:
      case 101:
        if (etype === ETHERTYPE.IP) return (p) => (ld1(p, 0) & 0xf0) === 0x40;
        if (etype === ETHERTYPE.IPV6) return (p) => (ld1(p, 0) & 0xf0) === 0x60;
        return FALSE;
      case 228:
        return etype === ETHERTYPE.IP ? TRUE : FALSE;
      case 229:
        return etype === ETHERTYPE.IPV6 ? TRUE : FALSE;
      default: {
        // NULL (AF in the writer's byte order: accept both) and LOOP (network order).
        const afs = etype === ETHERTYPE.IP ? [2] : etype === ETHERTYPE.IPV6 ? [24, 28, 30] : [];
        if (afs.length === 0) return FALSE;
        const vals = this.#dlt === 0 ? afs.flatMap((a) => [a, ((a << 24) >>> 0) as number]) : afs;
        return (p) => {
          const w = ld4(p, 0);
          for (let i = 0; i < vals.length; i++) if (vals[i] === w) return true;
          return false;
        };
      }
    }
  }

  #notFrag(): Pred {
    const ld2 = this.#ld2;
    const o = this.#off.linkPl + 6;
    return (p) => (ld2(p, o) & 0x1fff) === 0;
  }

  /** gen_proto(v, Q_IP / Q_IPV6 / Q_DEFAULT). */
  #genProto(v: number, which: "ip" | "ip6" | "default"): Pred {
    const ld1 = this.#ld1;
    const pl = this.#off.linkPl;
    const ip = (): Pred => {
      const lt = this.#linktype(ETHERTYPE.IP);
      return (p) => lt(p, 0) && ld1(p, pl + 9) === v;
    };
    const ip6 = (): Pred => {
      const lt = this.#linktype(ETHERTYPE.IPV6);
      return (p) => {
        if (!lt(p, 0)) return false;
        const nh = ld1(p, pl + 6);
        if (nh === v) return true;
        return nh === 44 && ld1(p, pl + 40) === v;
      };
    };
    if (which === "ip") return ip();
    if (which === "ip6") return ip6();
    return or2(ip(), ip6());
  }

  #protoAbbrev(name: string, t: Tok): Pred {
    switch (name) {
      case "ip":
        return this.#linktype(ETHERTYPE.IP);
      case "ip6":
        return this.#linktype(ETHERTYPE.IPV6);
      case "arp":
        return this.#linktype(ETHERTYPE.ARP);
      case "rarp":
        return this.#linktype(ETHERTYPE.REVARP);
      case "tcp":
        return this.#genProto(6, "default");
      case "udp":
        return this.#genProto(17, "default");
      case "sctp":
        return this.#genProto(132, "default");
      case "icmp":
        return this.#genProto(1, "ip");
      case "igmp":
        return this.#genProto(2, "ip");
      case "igrp":
        return this.#genProto(9, "ip");
      case "pim":
        return this.#genProto(103, "default");
      case "vrrp":
      case "carp":
        return this.#genProto(112, "ip");
      case "icmp6":
        return this.#genProto(58, "ip6");
      case "ah":
        return this.#genProto(51, "default");
      case "esp":
        return this.#genProto(50, "default");
      case "atalk":
        return this.#linktype(0x809b);
      case "aarp":
        return this.#linktype(0x80f3);
      case "decnet":
        return this.#linktype(0x6003);
      case "lat":
        return this.#linktype(0x6004);
      case "sca":
        return this.#linktype(0x6007);
      case "moprc":
        return this.#linktype(0x6002);
      case "mopdl":
        return this.#linktype(0x6001);
      case "link":
        throw this.#sem(t, "link layer applied in wrong context");
      default:
        throw this.#sem(t, `"${name}" is not supported by this filter compiler`);
    }
  }

  // ---- hosts and nets
  #hostop(addr: number, mask: number, dir: Dir, etype: number, srcOff: number, dstOff: number): Pred {
    const lt = this.#linktype(etype);
    const ld4 = this.#ld4;
    const pl = this.#off.linkPl;
    const a = addr >>> 0;
    const m = mask >>> 0;
    const s = pl + srcOff;
    const d = pl + dstOff;
    const src: Pred = (p) => (ld4(p, s) & m) >>> 0 === a;
    const dst: Pred = (p) => (ld4(p, d) & m) >>> 0 === a;
    const body = dir === "src" ? src : dir === "dst" ? dst : dir === "and" ? and2(src, dst) : or2(src, dst);
    return and2(lt, body);
  }

  #host(addr: number, mask: number, q: Qual, t: Tok): Pred {
    const typ = q.addr === "net" ? "net" : "host";
    switch (q.proto) {
      case "default": {
        const ip = this.#hostop(addr, mask, q.dir, ETHERTYPE.IP, 12, 16);
        const arp = this.#hostop(addr, mask, q.dir, ETHERTYPE.ARP, 14, 24);
        const rarp = this.#hostop(addr, mask, q.dir, ETHERTYPE.REVARP, 14, 24);
        return or2(or2(ip, arp), rarp);
      }
      case "ip":
        return this.#hostop(addr, mask, q.dir, ETHERTYPE.IP, 12, 16);
      case "arp":
        return this.#hostop(addr, mask, q.dir, ETHERTYPE.ARP, 14, 24);
      case "rarp":
        return this.#hostop(addr, mask, q.dir, ETHERTYPE.REVARP, 14, 24);
      case "link":
        throw this.#sem(t, `link-layer modifier applied to ${typ}`);
      case "ip6":
        throw this.#sem(t, "'ip6' modifier applied to ip host");
      default:
        throw this.#sem(t, `'${q.proto}' modifier applied to ${typ}`);
    }
  }

  /** __pcap_atoin: 1..4 dotted parts; returns [value, bit length]. IPv4 text validated by ip-address. */
  #atoin(t: Tok): [number, number] {
    const parts = t.text.split(".");
    const nums = parts.map((s) => (/^0[xX]/.test(s) ? Number.parseInt(s, 16) : Number.parseInt(s, 10)));
    const full = parts.length === 4 ? ipAddress().Address4.isValid(t.text) : true;
    if (!full || nums.some((n) => !(n >= 0 && n <= 255)))
      throw this.#sem(t, `invalid IPv4 address '${t.text}'`);
    let v = 0;
    for (const n of nums) v = v * 256 + n;
    return [v >>> 0, parts.length * 8];
  }

  #ncode(s: string | null, v0: number, q: Qual, t: Tok): Pred {
    let v = v0 >>> 0;
    let vlen = 32;
    if (s !== null) [v, vlen] = this.#atoin(t);
    switch (q.addr) {
      case "default":
      case "host":
      case "net": {
        if (q.proto === "link") throw this.#sem(t, "illegal link layer address");
        let mask = 0xffffffff;
        if (s === null && q.addr === "net") {
          while (v && (v & 0xff000000) === 0) {
            v = (v << 8) >>> 0;
            mask = (mask << 8) >>> 0;
          }
        } else if (vlen < 32) {
          v = (v << (32 - vlen)) >>> 0;
          mask = (mask << (32 - vlen)) >>> 0;
        }
        return this.#host(v, mask, q, t);
      }
      case "port":
      case "portrange": {
        const proto = this.#portProto(q, t);
        if (v > 65535) throw this.#sem(t, `illegal port number ${v} > 65535`);
        return this.#port(v, v, proto, q.dir);
      }
      case "proto":
        return this.#proto(v, q, t);
      case "gateway":
        throw this.#sem(t, "'gateway' requires a name");
      case "protochain":
        throw this.#sem(t, "'protochain' is not supported by this filter compiler");
      default:
        throw this.#unexpected(t);
    }
  }

  #portProto(q: Qual, t: Tok): number {
    if (q.proto === "udp") return 17;
    if (q.proto === "tcp") return 6;
    if (q.proto === "sctp") return 132;
    if (q.proto === "default") return -1;
    throw this.#sem(t, `illegal qualifier of '${q.addr}'`);
  }

  #port(lo0: number, hi0: number, proto: number, dir: Dir): Pred {
    const lo = Math.min(lo0, hi0);
    const hi = Math.max(lo0, hi0);
    const ld1 = this.#ld1;
    const ld2 = this.#ld2;
    const pl = this.#off.linkPl;
    const inRange = (x: number): boolean => x >= lo && x <= hi;
    const check = (p: Uint8Array, base: number): boolean => {
      switch (dir) {
        case "src":
          return inRange(ld2(p, base));
        case "dst":
          return inRange(ld2(p, base + 2));
        case "and":
          return inRange(ld2(p, base)) && inRange(ld2(p, base + 2));
        default:
          return inRange(ld2(p, base)) || inRange(ld2(p, base + 2));
      }
    };
    const protos = proto === -1 ? [6, 17, 132] : [proto];
    const ip4 = this.#linktype(ETHERTYPE.IP);
    const ip6 = this.#linktype(ETHERTYPE.IPV6);
    const port4: Pred = (p) => {
      if (!ip4(p, 0)) return false;
      for (let i = 0; i < protos.length; i++) {
        if (ld1(p, pl + 9) === protos[i] && (ld2(p, pl + 6) & 0x1fff) === 0) {
          if (check(p, pl + 4 * (ld1(p, pl) & 0xf))) return true;
        }
      }
      return false;
    };
    const port6: Pred = (p) => {
      if (!ip6(p, 0)) return false;
      for (let i = 0; i < protos.length; i++) {
        if (ld1(p, pl + 6) === protos[i] && check(p, pl + 40)) return true;
      }
      return false;
    };
    return or2(port6, port4);
  }

  #proto(v: number, q: Qual, t: Tok): Pred {
    switch (q.proto) {
      case "default":
        return this.#genProto(v, "default");
      case "ip":
        return this.#genProto(v, "ip");
      case "ip6":
        return this.#genProto(v, "ip6");
      case "link":
        return this.#linktype(v);
      case "arp":
      case "rarp":
        throw this.#sem(t, `${q.proto} does not encapsulate another protocol`);
      default:
        throw this.#sem(t, `'${q.proto} proto' is bogus`);
    }
  }

  #mcode(t: Tok, maskTok: Tok | null, masklen: number, q: Qual): Pred {
    const [n0, nlen] = this.#atoin(t);
    const n = nlen < 32 ? (n0 << (32 - nlen)) >>> 0 : n0;
    let m: number;
    if (maskTok) {
      const [m0, mlen] = this.#atoin(maskTok);
      m = mlen < 32 ? (m0 << (32 - mlen)) >>> 0 : m0;
      if ((n & ~m) >>> 0 !== 0)
        throw this.#sem(t, `non-network bits set in "${t.text} mask ${maskTok.text}"`);
    } else {
      if (masklen > 32) throw this.#sem(t, "mask length must be <= 32");
      m = masklen === 0 ? 0 : (0xffffffff << (32 - masklen)) >>> 0;
      if ((n & ~m) >>> 0 !== 0) throw this.#sem(t, `non-network bits set in "${t.text}/${masklen}"`);
    }
    if (q.addr !== "net") throw this.#sem(t, "Mask syntax for networks only");
    return this.#host(n, m, q, t);
  }

  #mcode6(t: Tok, len: number, q: Qual): Pred {
    if (q.addr === "undef") throw this.#unexpected(t);
    const addr = new (ipAddress().Address6)(t.text).bigInt();
    const mask = len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n);
    if ((addr & ~mask & ((1n << 128n) - 1n)) !== 0n)
      throw this.#sem(t, `non-network bits set in "${t.text}/${len}"`);
    if ((q.addr === "default" || q.addr === "host") && len !== 128)
      throw this.#sem(t, "Mask syntax for networks only");
    if (q.addr !== "default" && q.addr !== "host" && q.addr !== "net")
      throw this.#sem(t, "invalid qualifier against IPv6 address");
    if (q.proto !== "default" && q.proto !== "ip6") {
      if (q.proto === "undef") throw this.#unexpected(t);
      throw this.#sem(t, `'${q.proto}' modifier applied to ${q.addr === "net" ? "net" : "host"}`);
    }
    const words: number[] = [];
    const masks: number[] = [];
    for (let i = 0; i < 4; i++) {
      const sh = BigInt(96 - 32 * i);
      words.push(Number((addr >> sh) & 0xffffffffn));
      masks.push(Number((mask >> sh) & 0xffffffffn));
    }
    const lt = this.#linktype(ETHERTYPE.IPV6);
    const ld4 = this.#ld4;
    const pl = this.#off.linkPl;
    const at =
      (o: number): Pred =>
      (p) => {
        for (let i = 3; i >= 0; i--) if ((ld4(p, o + 4 * i) & masks[i]) >>> 0 !== words[i]) return false;
        return true;
      };
    const src = at(pl + 8);
    const dst = at(pl + 24);
    const d = q.dir;
    const body = d === "src" ? src : d === "dst" ? dst : d === "and" ? and2(src, dst) : or2(src, dst);
    return and2(lt, body);
  }

  #ecode(t: Tok, q: Qual): Pred {
    if (!((q.addr === "host" || q.addr === "default") && q.proto === "link")) {
      if (q.addr === "undef") throw this.#unexpected(t);
      throw this.#sem(t, "ethernet address used in non-ether expression");
    }
    if (this.#dlt !== 1)
      throw this.#sem(
        t,
        "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel",
      );
    const parts = /^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(t.text)
      ? (t.text.replace(/\./g, "").match(/../g) ?? [])
      : t.text.split(/[:.-]/);
    return this.#ehostop(
      parts.map((x) => Number.parseInt(x, 16)),
      q.dir,
    );
  }

  #ehostop(mac: number[], dir: Dir): Pred {
    const hi = (mac[2] * 0x1000000 + ((mac[3] << 16) | (mac[4] << 8) | mac[5])) >>> 0;
    const lo = (mac[0] << 8) | mac[1];
    const ld2 = this.#ld2;
    const ld4 = this.#ld4;
    const at =
      (o: number): Pred =>
      (p) =>
        ld4(p, o + 2) === hi && ld2(p, o) === lo;
    const src = at(6);
    const dst = at(0);
    return dir === "src" ? src : dir === "dst" ? dst : dir === "and" ? and2(src, dst) : or2(src, dst);
  }

  #scode(t: Tok, q: Qual): Pred {
    const name = t.text;
    switch (q.addr) {
      case "port":
      case "portrange": {
        const proto = this.#portProto(q, t);
        const range = q.addr === "portrange" ? /^(.+)-(.+)$/.exec(name) : null;
        const look = (s: string): number => {
          const v = SERVICES[s] ?? (RE_NUM.test(s) ? parseNumber(s, t.col) : undefined);
          if (v === undefined) throw this.#sem(t, `unknown port '${s}'`);
          if (v > 65535) throw this.#sem(t, `illegal port number ${v} > 65535`);
          return v;
        };
        if (range) return this.#port(look(range[1]), look(range[2]), proto, q.dir);
        if (q.addr === "portrange") throw this.#sem(t, `unknown port in range '${name}'`);
        return this.#port(look(name), look(name), proto, q.dir);
      }
      case "proto": {
        if (q.proto === "link") {
          const v = ETHER_PROTO_NAMES[name];
          if (v === undefined) throw this.#sem(t, `unknown ether proto '${name}'`);
          return this.#linktype(v);
        }
        const v = IPPROTO[name];
        if (v === undefined) throw this.#sem(t, `unknown ip proto '${name}'`);
        return this.#proto(v, q, t);
      }
      case "undef":
        throw this.#unexpected(t);
      case "gateway":
        throw this.#sem(t, `unknown host '${name}' (vnet does not resolve names)`);
      default:
        throw this.#sem(t, `unknown host '${name}' (vnet does not resolve names)`);
    }
  }

  // ---- other primitives
  #vlan(): Pred {
    const t = this.#t;
    this.#pos++;
    if (this.#dlt !== 1) throw this.#sem(t, `no VLAN support for data link type ${this.#dlt}`);
    let id: number | null = null;
    if (this.#is("num") || (this.#isOp("(") && this.#peek().k === "num")) {
      const nt = this.#t;
      id = this.#pnum();
      if (id > 0x0fff) throw this.#sem(nt, `VLAN tag ${id} greater than maximum 4095`);
    }
    const ld2 = this.#ld2;
    const o = this.#off.linkType;
    const pl = this.#off.linkPl;
    const tpid: Pred = (p) => {
      const e = ld2(p, o);
      return e === ETHERTYPE.VLAN || e === ETHERTYPE.QINQ_AD || e === ETHERTYPE.QINQ;
    };
    this.#off = { linkType: o + 4, linkPl: pl + 4 };
    if (id === null) return tpid;
    const vid = id;
    return (p) => tpid(p, 0) && (ld2(p, pl) & 0x0fff) === vid;
  }

  #bcastMcast(proto: string, t: Tok): Pred {
    const ld1 = this.#ld1;
    const ld2 = this.#ld2;
    const ld4 = this.#ld4;
    const pl = this.#off.linkPl;
    if (t.text === "broadcast") {
      if (proto === "default" || proto === "link") {
        if (this.#dlt !== 1) throw this.#sem(t, "not a broadcast link");
        return (p) => ld4(p, 2) === 0xffffffff && ld2(p, 0) === 0xffff;
      }
      if (proto === "ip") throw this.#sem(t, "netmask not known, so 'ip broadcast' not supported");
      throw this.#sem(t, "only link-layer/IP broadcast filters supported");
    }
    if (proto === "default" || proto === "link") {
      if (this.#dlt !== 1) throw this.#sem(t, "not a broadcast link");
      return (p) => (ld1(p, 0) & 1) !== 0;
    }
    if (proto === "ip") {
      const lt = this.#linktype(ETHERTYPE.IP);
      return (p) => lt(p, 0) && ld1(p, pl + 16) >= 224;
    }
    if (proto === "ip6") {
      const lt = this.#linktype(ETHERTYPE.IPV6);
      return (p) => lt(p, 0) && ld1(p, pl + 24) === 255;
    }
    throw this.#sem(
      t,
      "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel",
    );
  }

  #byteop(): Pred {
    this.#pos++;
    const idx = this.#expectNum();
    const opTok = this.#t;
    if (opTok.k !== "op" || !["&", "|", "<", ">", "="].includes(opTok.text)) throw this.#unexpected();
    this.#pos++;
    const val = this.#expectNum();
    const ld1 = this.#ld1;
    switch (opTok.text) {
      case "=":
        return (p) => ld1(p, idx) === val;
      case "<":
        return (p) => ld1(p, idx) < val;
      case ">":
        return (p) => ld1(p, idx) > val;
      case "&":
        return (p) => (ld1(p, idx) & val) !== 0;
      default:
        return (p) => (ld1(p, idx) | val) !== 0;
    }
  }

  #expectNum(): number {
    const t = this.#t;
    if (t.k !== "num") throw this.#unexpected();
    this.#pos++;
    return t.n;
  }

  // ---- arithmetic: arth relop arth
  #relation(): Pred {
    const a = this.#arth(0);
    const t = this.#t;
    if (t.k !== "op" || ![">", ">=", "=", "<=", "<", "!="].includes(t.text)) throw this.#unexpected();
    this.#pos++;
    const b = this.#arth(0);
    const av = a.v;
    const bv = b.v;
    let cmp: Pred;
    switch (t.text) {
      case ">":
        cmp = (p, l) => av(p, l) > bv(p, l);
        break;
      case ">=":
        cmp = (p, l) => av(p, l) >= bv(p, l);
        break;
      case "=":
        cmp = (p, l) => av(p, l) === bv(p, l);
        break;
      case "<=":
        cmp = (p, l) => av(p, l) <= bv(p, l);
        break;
      case "<":
        cmp = (p, l) => av(p, l) < bv(p, l);
        break;
      default:
        cmp = (p, l) => av(p, l) !== bv(p, l);
    }
    const conds = a.conds && b.conds ? and2(a.conds, b.conds) : (a.conds ?? b.conds);
    return conds ? and2(conds, cmp) : cmp;
  }

  static readonly #PREC: Record<string, number> = {
    "|": 1,
    "&": 2,
    "<<": 3,
    ">>": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
  };

  /** Precedence climbing over libpcap's %left table; `%` and `^` have no precedence there (see #operand). */
  #arth(minPrec: number): Arth {
    let left = this.#operand();
    for (;;) {
      const t = this.#t;
      const prec = t.k === "op" ? Compiler.#PREC[t.text] : undefined;
      if (prec === undefined || prec <= minPrec) break;
      this.#pos++;
      const right = this.#arth(prec);
      left = this.#binop(t, left, right);
    }
    return left;
  }

  /**
   * A unary operand. In libpcap's grammar `%` and `^` carry no precedence, so bison shifts them: their
   * left operand is the operand just read and their right operand extends over the rest of the arithmetic.
   */
  #operand(): Arth {
    const left = this.#unary();
    const t = this.#t;
    if (t.k === "op" && (t.text === "%" || t.text === "^")) {
      this.#pos++;
      const right = this.#arth(0);
      return this.#binop(t, left, right);
    }
    return left;
  }

  #unary(): Arth {
    const t = this.#t;
    if (t.k === "op" && t.text === "-") {
      this.#pos++;
      const a = this.#operand();
      const av = a.v;
      return { v: (p, l) => (0 - av(p, l)) >>> 0, conds: a.conds, imm: null };
    }
    if (t.k === "num") {
      this.#pos++;
      const n = t.n >>> 0;
      return { v: () => n, conds: null, imm: n };
    }
    if (t.k === "kw" && t.text === "len") {
      this.#pos++;
      return { v: (_p, l) => l >>> 0, conds: null, imm: null };
    }
    if (t.k === "op" && t.text === "(") {
      this.#pos++;
      const a = this.#arth(0);
      this.#expectOp(")");
      return { v: a.v, conds: a.conds, imm: a.imm };
    }
    if (t.k === "kw" && PNAMES.has(t.text) && this.#peek().k === "op" && this.#peek().text === "[") {
      return this.#load();
    }
    throw this.#unexpected();
  }

  #binop(t: Tok, a: Arth, b: Arth): Arth {
    const av = a.v;
    const bv = b.v;
    const st = this.st;
    const conds = a.conds && b.conds ? and2(a.conds, b.conds) : (a.conds ?? b.conds);
    let v: Val;
    switch (t.text) {
      case "+":
        v = (p, l) => (av(p, l) + bv(p, l)) >>> 0;
        break;
      case "-":
        v = (p, l) => (av(p, l) - bv(p, l)) >>> 0;
        break;
      case "*":
        v = (p, l) => Math.imul(av(p, l), bv(p, l)) >>> 0;
        break;
      case "/":
        if (b.imm === 0) throw this.#sem(t, "division by zero");
        v = (p, l) => {
          const x = av(p, l);
          const y = bv(p, l);
          if (y === 0) {
            st.oob = true;
            return 0;
          }
          return Math.floor(x / y);
        };
        break;
      case "%":
        if (b.imm === 0) throw this.#sem(t, "modulus by zero");
        v = (p, l) => {
          const x = av(p, l);
          const y = bv(p, l);
          if (y === 0) {
            st.oob = true;
            return 0;
          }
          return x % y;
        };
        break;
      case "&":
        v = (p, l) => (av(p, l) & bv(p, l)) >>> 0;
        break;
      case "|":
        v = (p, l) => (av(p, l) | bv(p, l)) >>> 0;
        break;
      case "^":
        v = (p, l) => (av(p, l) ^ bv(p, l)) >>> 0;
        break;
      case "<<":
        if (b.imm !== null && b.imm > 31) throw this.#sem(t, "shift by more than 31 bits");
        v = (p, l) => {
          const x = av(p, l);
          const y = bv(p, l);
          return y < 32 ? (x << y) >>> 0 : 0;
        };
        break;
      default:
        if (b.imm !== null && b.imm > 31) throw this.#sem(t, "shift by more than 31 bits");
        v = (p, l) => {
          const x = av(p, l);
          const y = bv(p, l);
          return y < 32 ? x >>> y : 0;
        };
    }
    return { v, conds, imm: null };
  }

  /** pname '[' arth [':' size] ']' (gen_load). */
  #load(): Arth {
    const pt = this.#t;
    const proto = pt.text;
    this.#pos += 2;
    const idx = this.#arth(0);
    let size = 1;
    if (this.#isOp(":")) {
      this.#pos++;
      const st = this.#t;
      size = this.#expectNum();
      if (size !== 1 && size !== 2 && size !== 4) throw this.#sem(st, "data size must be 1, 2, or 4");
    }
    this.#expectOp("]");
    const ldx = size === 1 ? this.#ld1 : size === 2 ? this.#ld2 : this.#ld4;
    const ld1 = this.#ld1;
    const iv = idx.v;
    const pl = this.#off.linkPl;
    let v: Val;
    let cond: Pred | null;
    switch (proto) {
      case "link":
        v = (p, l) => ldx(p, iv(p, l));
        cond = null;
        break;
      case "ip":
      case "arp":
      case "rarp":
      case "ip6":
      case "atalk":
      case "decnet":
      case "sca":
      case "lat":
      case "moprc":
      case "mopdl":
        v = (p, l) => ldx(p, pl + iv(p, l));
        cond = this.#protoAbbrev(proto, pt);
        break;
      case "tcp":
      case "udp":
      case "icmp":
      case "igmp":
      case "igrp":
      case "sctp":
      case "pim":
      case "vrrp":
      case "carp": {
        v = (p, l) => {
          const x = 4 * (ld1(p, pl) & 0xf);
          return ldx(p, pl + x + iv(p, l));
        };
        const ip = this.#linktype(ETHERTYPE.IP);
        const ab = this.#protoAbbrev(proto, pt);
        cond = and2(ip, and2(ab, this.#notFrag()));
        break;
      }
      case "icmp6": {
        const ip6 = this.#linktype(ETHERTYPE.IPV6);
        const ld1b = this.#ld1;
        cond = (p) => ip6(p, 0) && ld1b(p, pl + 6) === 58;
        v = (p, l) => ldx(p, pl + 40 + iv(p, l));
        break;
      }
      default:
        throw this.#sem(pt, "unsupported index operation");
    }
    const conds = idx.conds && cond ? and2(idx.conds, cond) : (idx.conds ?? cond);
    return { v, conds, imm: null };
  }
}

/**
 * Compiles a tcpdump filter expression for captures of link type `linkType` (LINKTYPE_*; EN10MB,
 * LINUX_SLL, RAW, IPV4, IPV6, NULL and LOOP). An empty expression accepts every packet.
 * Throws FilterSyntaxError (with the column) for syntax errors, unknown keywords, bad addresses and numbers.
 */
export function compileFilter(expr: string, linkType: number): PacketFilter {
  const c = new Compiler(expr, linkType & 0xffff);
  const root = c.compile();
  const st = c.st;
  return (data, origLen) => {
    st.oob = false;
    const r = root(data, origLen);
    return r && !st.oob;
  };
}

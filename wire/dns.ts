import { type Ipv4, type Ipv6, readIpv4, readIpv6, writeIpv4, writeIpv6 } from "./addr.js";
import { needBytes, viewOf, WireError } from "./errors.js";

/**
 * DNS messages (RFC 1035), EDNS(0) (RFC 6891) and DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766).
 *
 * Names at the repr level are strings in master-file presentation form: labels joined by ".", no
 * trailing dot, the root is ".". Label bytes that are not printable ASCII (outside 0x21..0x7e) are
 * written `\DDD` (three decimal digits, RFC 1035 §5.1), and a literal "." or "\" inside a label is
 * written `\.` / `\\`. Case is preserved. When encoding, `\X` (any X) and `\DDD` are accepted, one
 * trailing "." is ignored, and characters above U+007E are encoded as UTF-8 (they come back as `\DDD`).
 *
 * Compression (RFC 1035 §4.1.4) is decoded everywhere a name may appear. Decoding is loop-proof: a
 * pointer must point strictly before the start of the label run that contains it (so every jump goes
 * to a smaller offset than all bytes already visited), at most DNS_MAX_POINTER_JUMPS jumps are
 * followed, labels are at most 63 bytes and the name at most 255 bytes in wire form; anything else is
 * a WireError. Encoding compresses (when asked) question and owner names and the names inside
 * NS/CNAME/PTR/MX/SOA rdata only, as RFC 3597 §4 requires; SRV targets are never compressed (RFC 2782).
 */

export const DNS_HEADER_LEN = 12;
export const DNS_MAX_NAME_LEN = 255;
export const DNS_MAX_LABEL_LEN = 63;
export const DNS_MAX_POINTER_JUMPS = 127;
/** A compression pointer holds a 14-bit offset. */
const MAX_POINTER_TARGET = 0x3fff;

export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const DnsClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const DnsOpcode = { Query: 0, IQuery: 1, Status: 2, Notify: 4, Update: 5 } as const;

export const DnsRcode = {
  NoError: 0,
  FormErr: 1,
  ServFail: 2,
  NXDomain: 3,
  NotImp: 4,
  Refused: 5,
} as const;

/** EDNS(0) option codes (IANA "DNS EDNS0 Option Codes"). */
export const EdnsOptionCode = { NSID: 3, ClientSubnet: 8, Expire: 9, Cookie: 10, Padding: 12 } as const;

// ---------------------------------------------------------------------------------------------
// The packet view (header only: the sections are variable-length and read by parseDns).

const F_QR = 0x8000;
const F_AA = 0x0400;
const F_TC = 0x0200;
const F_RD = 0x0100;
const F_RA = 0x0080;
const F_Z = 0x0040;
const F_AD = 0x0020;
const F_CD = 0x0010;

/** A zero-copy view of a DNS message (UDP payload, or a TCP message without its length prefix). */
export class DnsPacket {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /** For untrusted bytes: throws WireError("dns", "truncated") if the 12-byte header does not fit. */
  static checked(bytes: Uint8Array): DnsPacket {
    needBytes("dns", bytes, DNS_HEADER_LEN);
    return new DnsPacket(bytes);
  }
  /** For a buffer the caller sized itself (emission, with dnsBufferLen). */
  static unchecked(bytes: Uint8Array): DnsPacket {
    return new DnsPacket(bytes);
  }
  get id(): number {
    return this.#dv.getUint16(0);
  }
  set id(v: number) {
    this.#dv.setUint16(0, v);
  }
  /** The whole flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  get flags(): number {
    return this.#dv.getUint16(2);
  }
  set flags(v: number) {
    this.#dv.setUint16(2, v);
  }
  get qr(): boolean {
    return (this.flags & F_QR) !== 0;
  }
  get opcode(): number {
    return (this.flags >>> 11) & 0xf;
  }
  get aa(): boolean {
    return (this.flags & F_AA) !== 0;
  }
  get tc(): boolean {
    return (this.flags & F_TC) !== 0;
  }
  get rd(): boolean {
    return (this.flags & F_RD) !== 0;
  }
  get ra(): boolean {
    return (this.flags & F_RA) !== 0;
  }
  get z(): boolean {
    return (this.flags & F_Z) !== 0;
  }
  get ad(): boolean {
    return (this.flags & F_AD) !== 0;
  }
  get cd(): boolean {
    return (this.flags & F_CD) !== 0;
  }
  get rcode(): number {
    return this.flags & 0xf;
  }
  get qdcount(): number {
    return this.#dv.getUint16(4);
  }
  set qdcount(v: number) {
    this.#dv.setUint16(4, v);
  }
  get ancount(): number {
    return this.#dv.getUint16(6);
  }
  set ancount(v: number) {
    this.#dv.setUint16(6, v);
  }
  get nscount(): number {
    return this.#dv.getUint16(8);
  }
  set nscount(v: number) {
    this.#dv.setUint16(8, v);
  }
  get arcount(): number {
    return this.#dv.getUint16(10);
  }
  set arcount(v: number) {
    this.#dv.setUint16(10, v);
  }
  /** Everything after the header: a view, not a copy. */
  get body(): Uint8Array {
    return this.bytes.subarray(DNS_HEADER_LEN);
  }
}

// ---------------------------------------------------------------------------------------------
// Representation.

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** Record data, by kind. `kind` must match the record's type; `raw` is allowed for any type. */
export type DnsRData =
  | { readonly kind: "A"; readonly address: Ipv4 }
  | { readonly kind: "AAAA"; readonly address: Ipv6 }
  | { readonly kind: "NS"; readonly name: string }
  | { readonly kind: "CNAME"; readonly name: string }
  | { readonly kind: "PTR"; readonly name: string }
  | { readonly kind: "MX"; readonly preference: number; readonly exchange: string }
  | { readonly kind: "TXT"; readonly strings: readonly Uint8Array[] }
  | {
      readonly kind: "SOA";
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | {
      readonly kind: "SRV";
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | { readonly kind: "OPT"; readonly options: readonly EdnsOption[] }
  | { readonly kind: "raw"; readonly bytes: Uint8Array };

/**
 * A resource record. For OPT (EDNS0) `class` is the requestor's UDP payload size and `ttl` packs
 * extended rcode, version and the DO bit (see ednsInfo / optRecord).
 */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: DnsRData;
}

export interface DnsRepr {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The reserved bit (0x0040); must be zero on the wire but kept so odd packets round-trip. */
  readonly z: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  /** The header's 4-bit rcode (EDNS extends it with the OPT record's upper 8 bits). */
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

const KIND_TYPE: Record<Exclude<DnsRData["kind"], "raw">, number> = {
  A: DnsType.A,
  AAAA: DnsType.AAAA,
  NS: DnsType.NS,
  CNAME: DnsType.CNAME,
  PTR: DnsType.PTR,
  MX: DnsType.MX,
  TXT: DnsType.TXT,
  SOA: DnsType.SOA,
  SRV: DnsType.SRV,
  OPT: DnsType.OPT,
};

// ---------------------------------------------------------------------------------------------
// Names.

export interface DecodedName {
  /** Presentation form, "." for the root. */
  readonly name: string;
  /** Offset just after the name where it was read (after its first pointer, or its zero byte). */
  readonly end: number;
}

function formatLabelBytes(b: Uint8Array, off: number, len: number): string {
  let s = "";
  for (let i = off; i < off + len; i++) {
    const c = b[i];
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c < 0x21 || c > 0x7e) s += `\\${c.toString().padStart(3, "0")}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Reads a possibly compressed name at `start` in `msg` (the whole message: pointers are offsets
 * from its first byte). Throws WireError(layer, …) on truncation, forward or looping pointers, too
 * many jumps, reserved label types, or a name longer than 255 bytes.
 */
export function readName(msg: Uint8Array, start: number, layer = "dns"): DecodedName {
  let pos = start;
  let runStart = start;
  let end = -1;
  let jumps = 0;
  let wireLen = 1;
  let out = "";
  for (;;) {
    if (pos >= msg.byteLength) throw new WireError(layer, "truncated", pos, "name runs past the end");
    const len = msg[pos];
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.byteLength) throw new WireError(layer, "truncated", pos, "compression pointer cut");
      const target = ((len & 0x3f) << 8) | msg[pos + 1];
      if (target >= runStart) {
        throw new WireError(
          layer,
          "malformed",
          pos,
          `compression pointer to ${target} does not point before ${runStart}`,
        );
      }
      if (++jumps > DNS_MAX_POINTER_JUMPS) {
        throw new WireError(layer, "malformed", pos, `more than ${DNS_MAX_POINTER_JUMPS} compression jumps`);
      }
      if (end < 0) end = pos + 2;
      pos = target;
      runStart = target;
      continue;
    }
    if (kind !== 0) {
      throw new WireError(layer, "unsupported", pos, `label type 0x${kind.toString(16)}`);
    }
    wireLen += len + 1;
    if (wireLen > DNS_MAX_NAME_LEN) {
      throw new WireError(layer, "bad-length", pos, `name longer than ${DNS_MAX_NAME_LEN} bytes`);
    }
    if (pos + 1 + len > msg.byteLength)
      throw new WireError(layer, "truncated", pos, "label runs past the end");
    if (out !== "") out += ".";
    out += formatLabelBytes(msg, pos + 1, len);
    pos += 1 + len;
  }
  return { name: out === "" ? "." : out, end };
}

const TEXT_ENCODER = new TextEncoder();

/**
 * Splits a presentation-form name into label bytes (see the module comment for escapes). The root
 * ("." or "") is the empty list. Throws WireError("dns", "malformed" | "bad-length") for an empty
 * label, a bad escape, a label over 63 bytes or a name over 255 bytes.
 */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === "." || name === "") return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let wireLen = 1;
  const finish = (): void => {
    if (cur.length === 0)
      throw new WireError("dns", "malformed", 0, `empty label in ${JSON.stringify(name)}`);
    if (cur.length > DNS_MAX_LABEL_LEN) {
      throw new WireError("dns", "bad-length", 0, `label longer than 63 bytes in ${JSON.stringify(name)}`);
    }
    wireLen += cur.length + 1;
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  let i = 0;
  let endsWithSeparator = false;
  while (i < name.length) {
    const ch = name.charCodeAt(i);
    endsWithSeparator = false;
    if (ch === 0x2e) {
      finish();
      i++;
      // One trailing dot ends the name (absolute form).
      endsWithSeparator = true;
      continue;
    }
    if (ch === 0x5c) {
      const d = /^[0-9]{3}/.exec(name.slice(i + 1, i + 4));
      if (d) {
        const v = Number(d[0]);
        if (v > 255)
          throw new WireError("dns", "malformed", 0, `bad escape \\${d[0]} in ${JSON.stringify(name)}`);
        cur.push(v);
        i += 4;
        continue;
      }
      if (i + 1 >= name.length) {
        throw new WireError("dns", "malformed", 0, `dangling backslash in ${JSON.stringify(name)}`);
      }
      i++;
    }
    const cp = name.codePointAt(i)!;
    const chLen = cp > 0xffff ? 2 : 1;
    if (cp < 0x80) cur.push(cp);
    else for (const byte of TEXT_ENCODER.encode(String.fromCodePoint(cp))) cur.push(byte);
    i += chLen;
  }
  if (!endsWithSeparator) finish();
  if (wireLen > DNS_MAX_NAME_LEN) {
    throw new WireError("dns", "bad-length", 0, `name longer than ${DNS_MAX_NAME_LEN} bytes: ${name}`);
  }
  return labels;
}

/** The presentation form of a list of labels ("." for none). */
export function labelsToName(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return ".";
  return labels.map((l) => formatLabelBytes(l, 0, l.byteLength)).join(".");
}

/** A growable byte buffer with a name-compression table (offsets relative to its own start). */
class Writer {
  buf = new Uint8Array(512);
  len = 0;
  readonly #names = new Map<string, number>();
  constructor(readonly compress: boolean) {}
  #room(n: number): void {
    if (this.len + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): void {
    this.#room(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.#room(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  u32(v: number): void {
    this.#room(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.byteLength);
    this.buf.set(b, this.len);
    this.len += b.byteLength;
  }
  setU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  /** Writes a name; points to an earlier copy of a suffix when `mayPoint` and compression is on. */
  name(name: string, mayPoint: boolean): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      // Suffix keys are exact (case-sensitive) so a decoded name always equals the encoded one.
      const key = labelsToName(labels.slice(i));
      const at = this.#names.get(key);
      if (this.compress && mayPoint && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (at === undefined && this.len <= MAX_POINTER_TARGET) this.#names.set(key, this.len);
      this.u8(labels[i].byteLength);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** The uncompressed wire form of one name. */
export function encodeName(name: string): Uint8Array {
  const w = new Writer(false);
  w.name(name, false);
  return w.result().slice();
}

/**
 * Encodes a list of names back to back, compressing against earlier names in the list when
 * `compress` (pointers are relative to the list's first byte). Used by DHCP option 119 (RFC 3397).
 */
export function encodeNameList(names: readonly string[], compress = true): Uint8Array {
  const w = new Writer(compress);
  for (const n of names) w.name(n, true);
  return w.result().slice();
}

/** Decodes back-to-back names filling `data` exactly (pointers relative to `data`'s first byte). */
export function decodeNameList(data: Uint8Array, layer = "dns"): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < data.byteLength) {
    const d = readName(data, pos, layer);
    out.push(d.name);
    pos = d.end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parse.

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function nameIn(msg: Uint8Array, pos: number, rdEnd: number): DecodedName {
  const d = readName(msg, pos);
  if (d.end > rdEnd) throw new WireError("dns", "malformed", pos, "name runs past its rdata");
  return d;
}

function parseRData(msg: Uint8Array, type: number, start: number, rdLen: number): DnsRData {
  const rdEnd = start + rdLen;
  const exact = (at: number): void => {
    if (at !== rdEnd) {
      throw new WireError(
        "dns",
        "malformed",
        start,
        `rdata of type ${type} is ${rdLen} bytes, expected ${at - start}`,
      );
    }
  };
  const fixed = (n: number): void => {
    if (rdLen !== n)
      throw new WireError(
        "dns",
        "bad-length",
        start,
        `rdata of type ${type} must be ${n} bytes, is ${rdLen}`,
      );
  };
  switch (type) {
    case DnsType.A:
      fixed(4);
      return { kind: "A", address: readIpv4(msg, start) };
    case DnsType.AAAA:
      fixed(16);
      return { kind: "AAAA", address: readIpv6(msg, start) };
    case DnsType.NS:
    case DnsType.CNAME:
    case DnsType.PTR: {
      const d = nameIn(msg, start, rdEnd);
      exact(d.end);
      const kind = type === DnsType.NS ? "NS" : type === DnsType.CNAME ? "CNAME" : "PTR";
      return { kind, name: d.name };
    }
    case DnsType.MX: {
      if (rdLen < 3) throw new WireError("dns", "bad-length", start, "MX rdata too short");
      const d = nameIn(msg, start + 2, rdEnd);
      exact(d.end);
      return { kind: "MX", preference: u16(msg, start), exchange: d.name };
    }
    case DnsType.SRV: {
      if (rdLen < 7) throw new WireError("dns", "bad-length", start, "SRV rdata too short");
      const d = nameIn(msg, start + 6, rdEnd);
      exact(d.end);
      return {
        kind: "SRV",
        priority: u16(msg, start),
        weight: u16(msg, start + 2),
        port: u16(msg, start + 4),
        target: d.name,
      };
    }
    case DnsType.SOA: {
      const m = nameIn(msg, start, rdEnd);
      const r = nameIn(msg, m.end, rdEnd);
      if (r.end + 20 > rdEnd) throw new WireError("dns", "bad-length", start, "SOA rdata too short");
      exact(r.end + 20);
      const p = r.end;
      return {
        kind: "SOA",
        mname: m.name,
        rname: r.name,
        serial: u32(msg, p),
        refresh: u32(msg, p + 4),
        retry: u32(msg, p + 8),
        expire: u32(msg, p + 12),
        minimum: u32(msg, p + 16),
      };
    }
    case DnsType.TXT: {
      const strings: Uint8Array[] = [];
      let p = start;
      while (p < rdEnd) {
        const n = msg[p];
        if (p + 1 + n > rdEnd) throw new WireError("dns", "malformed", p, "TXT string runs past its rdata");
        strings.push(msg.subarray(p + 1, p + 1 + n));
        p += 1 + n;
      }
      return { kind: "TXT", strings };
    }
    case DnsType.OPT: {
      const options: EdnsOption[] = [];
      let p = start;
      while (p < rdEnd) {
        if (p + 4 > rdEnd)
          throw new WireError("dns", "malformed", p, "EDNS option header runs past its rdata");
        const code = u16(msg, p);
        const n = u16(msg, p + 2);
        if (p + 4 + n > rdEnd) throw new WireError("dns", "malformed", p, "EDNS option runs past its rdata");
        options.push({ code, data: msg.subarray(p + 4, p + 4 + n) });
        p += 4 + n;
      }
      return { kind: "OPT", options };
    }
    default:
      return { kind: "raw", bytes: msg.subarray(start, rdEnd) };
  }
}

/**
 * Parses the whole message. Byte fields in the result (TXT strings, EDNS option data, raw rdata) are
 * views into the packet's bytes. Bytes after the last counted record are ignored.
 */
export function parseDns(p: DnsPacket): DnsRepr {
  const msg = p.bytes;
  let pos = DNS_HEADER_LEN;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < p.qdcount; i++) {
    const d = readName(msg, pos);
    pos = d.end;
    if (pos + 4 > msg.byteLength) throw new WireError("dns", "truncated", msg.byteLength, "question cut");
    questions.push({ name: d.name, type: u16(msg, pos), class: u16(msg, pos + 2) });
    pos += 4;
  }
  const section = (count: number): DnsRecord[] => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < count; i++) {
      const d = readName(msg, pos);
      pos = d.end;
      if (pos + 10 > msg.byteLength)
        throw new WireError("dns", "truncated", msg.byteLength, "record header cut");
      const type = u16(msg, pos);
      const cls = u16(msg, pos + 2);
      const ttl = u32(msg, pos + 4);
      const rdLen = u16(msg, pos + 8);
      pos += 10;
      if (pos + rdLen > msg.byteLength) throw new WireError("dns", "truncated", msg.byteLength, "rdata cut");
      out.push({ name: d.name, type, class: cls, ttl, data: parseRData(msg, type, pos, rdLen) });
      pos += rdLen;
    }
    return out;
  };
  const answers = section(p.ancount);
  const authorities = section(p.nscount);
  const additionals = section(p.arcount);
  return {
    id: p.id,
    qr: p.qr,
    opcode: p.opcode,
    aa: p.aa,
    tc: p.tc,
    rd: p.rd,
    ra: p.ra,
    z: p.z,
    ad: p.ad,
    cd: p.cd,
    rcode: p.rcode,
    questions,
    answers,
    authorities,
    additionals,
  };
}

/** Checked view + parse in one step, for untrusted bytes. */
export function decodeDns(bytes: Uint8Array): DnsRepr {
  return parseDns(DnsPacket.checked(bytes));
}

// ---------------------------------------------------------------------------------------------
// Emit.

export interface DnsEmitOptions {
  /** Compress names (default true). */
  readonly compress?: boolean;
}

function writeRData(w: Writer, r: DnsRecord): void {
  const d = r.data;
  if (d.kind !== "raw" && KIND_TYPE[d.kind] !== r.type) {
    throw new WireError("dns", "malformed", w.len, `rdata kind ${d.kind} in a record of type ${r.type}`);
  }
  switch (d.kind) {
    case "A": {
      const b = new Uint8Array(4);
      writeIpv4(b, 0, d.address);
      w.bytes(b);
      return;
    }
    case "AAAA": {
      const b = new Uint8Array(16);
      writeIpv6(b, 0, d.address);
      w.bytes(b);
      return;
    }
    case "NS":
    case "CNAME":
    case "PTR":
      w.name(d.name, true);
      return;
    case "MX":
      w.u16(d.preference);
      w.name(d.exchange, true);
      return;
    case "SRV":
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      w.name(d.target, false);
      return;
    case "SOA":
      w.name(d.mname, true);
      w.name(d.rname, true);
      w.u32(d.serial);
      w.u32(d.refresh);
      w.u32(d.retry);
      w.u32(d.expire);
      w.u32(d.minimum);
      return;
    case "TXT":
      for (const s of d.strings) {
        if (s.byteLength > 255)
          throw new WireError("dns", "bad-length", w.len, "TXT string longer than 255 bytes");
        w.u8(s.byteLength);
        w.bytes(s);
      }
      return;
    case "OPT":
      for (const o of d.options) {
        if (o.data.byteLength > 0xffff)
          throw new WireError("dns", "bad-length", w.len, "EDNS option too long");
        w.u16(o.code);
        w.u16(o.data.byteLength);
        w.bytes(o.data);
      }
      return;
    case "raw":
      w.bytes(d.bytes);
      return;
  }
}

function encodeWith(r: DnsRepr, compress: boolean): Uint8Array {
  const w = new Writer(compress);
  for (const n of [r.questions.length, r.answers.length, r.authorities.length, r.additionals.length]) {
    if (n > 0xffff) throw new WireError("dns", "bad-length", 0, "more than 65535 entries in a section");
  }
  w.u16(r.id);
  w.u16(
    (r.qr ? F_QR : 0) |
      ((r.opcode & 0xf) << 11) |
      (r.aa ? F_AA : 0) |
      (r.tc ? F_TC : 0) |
      (r.rd ? F_RD : 0) |
      (r.ra ? F_RA : 0) |
      (r.z ? F_Z : 0) |
      (r.ad ? F_AD : 0) |
      (r.cd ? F_CD : 0) |
      (r.rcode & 0xf),
  );
  w.u16(r.questions.length);
  w.u16(r.answers.length);
  w.u16(r.authorities.length);
  w.u16(r.additionals.length);
  for (const q of r.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const sec of [r.answers, r.authorities, r.additionals]) {
    for (const rec of sec) {
      w.name(rec.name, true);
      w.u16(rec.type);
      w.u16(rec.class);
      w.u32(rec.ttl);
      const lenAt = w.len;
      w.u16(0);
      writeRData(w, rec);
      const rdLen = w.len - lenAt - 2;
      if (rdLen > 0xffff) throw new WireError("dns", "bad-length", lenAt, "rdata longer than 65535 bytes");
      w.setU16(lenAt, rdLen);
    }
  }
  return w.result();
}

/** The encoded message, freshly allocated (the usual way to build one). */
export function encodeDns(r: DnsRepr, opts: DnsEmitOptions = {}): Uint8Array {
  return encodeWith(r, opts.compress ?? true).slice();
}

/** The number of bytes emitDns writes for `r` with the same options. */
export function dnsBufferLen(r: DnsRepr, opts: DnsEmitOptions = {}): number {
  return encodeWith(r, opts.compress ?? true).byteLength;
}

/** Writes `r` into `p` (sized with dnsBufferLen; throws bad-length if it is too small). */
export function emitDns(r: DnsRepr, p: DnsPacket, opts: DnsEmitOptions = {}): void {
  const b = encodeWith(r, opts.compress ?? true);
  if (b.byteLength > p.bytes.byteLength) {
    throw new WireError("dns", "bad-length", p.bytes.byteLength, `need ${b.byteLength} bytes`);
  }
  p.bytes.set(b);
}

// ---------------------------------------------------------------------------------------------
// EDNS(0) (RFC 6891 §6.1.3).

export interface EdnsInfo {
  readonly udpPayloadSize: number;
  /** The upper 8 bits of the 12-bit rcode. */
  readonly extendedRcode: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  /** The 15 remaining flag bits. */
  readonly z: number;
  readonly options: readonly EdnsOption[];
}

/** An OPT pseudo-record (owner "."), for the additional section. */
export function optRecord(e: {
  udpPayloadSize: number;
  extendedRcode?: number;
  version?: number;
  dnssecOk?: boolean;
  z?: number;
  options?: readonly EdnsOption[];
}): DnsRecord {
  const ttl =
    ((e.extendedRcode ?? 0) & 0xff) * 0x1000000 +
    (((e.version ?? 0) & 0xff) << 16) +
    (e.dnssecOk ? 0x8000 : 0) +
    ((e.z ?? 0) & 0x7fff);
  return {
    name: ".",
    type: DnsType.OPT,
    class: e.udpPayloadSize,
    ttl,
    data: { kind: "OPT", options: e.options ?? [] },
  };
}

/** The EDNS information of the message's OPT record, or undefined if it has none. */
export function ednsInfo(r: DnsRepr): EdnsInfo | undefined {
  const opt = r.additionals.find((x) => x.type === DnsType.OPT);
  if (!opt) return undefined;
  return {
    udpPayloadSize: opt.class,
    extendedRcode: opt.ttl >>> 24,
    version: (opt.ttl >>> 16) & 0xff,
    dnssecOk: (opt.ttl & 0x8000) !== 0,
    z: opt.ttl & 0x7fff,
    options: opt.data.kind === "OPT" ? opt.data.options : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Builders.

/** A standard query for one name (RD set unless told otherwise). */
export function dnsQuery(q: {
  id: number;
  name: string;
  type: number;
  class?: number;
  rd?: boolean;
  additionals?: readonly DnsRecord[];
}): DnsRepr {
  return {
    id: q.id,
    qr: false,
    opcode: DnsOpcode.Query,
    aa: false,
    tc: false,
    rd: q.rd ?? true,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: DnsRcode.NoError,
    questions: [{ name: q.name, type: q.type, class: q.class ?? DnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: q.additionals ?? [],
  };
}

/** A response to `query`: same id, opcode, questions and RD; QR set. */
export function dnsResponse(
  query: DnsRepr,
  r: {
    rcode?: number;
    aa?: boolean;
    ra?: boolean;
    answers?: readonly DnsRecord[];
    authorities?: readonly DnsRecord[];
    additionals?: readonly DnsRecord[];
  } = {},
): DnsRepr {
  return {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: r.aa ?? false,
    tc: false,
    rd: query.rd,
    ra: r.ra ?? true,
    z: false,
    ad: false,
    cd: query.cd,
    rcode: r.rcode ?? DnsRcode.NoError,
    questions: query.questions,
    answers: r.answers ?? [],
    authorities: r.authorities ?? [],
    additionals: r.additionals ?? [],
  };
}

/** A record whose type follows from its data (class IN unless given). Not for OPT: use optRecord. */
export function dnsRecord(
  name: string,
  ttl: number,
  data: Exclude<DnsRData, { kind: "raw" | "OPT" }>,
  cls: number = DnsClass.IN,
): DnsRecord {
  return { name, type: KIND_TYPE[data.kind], class: cls, ttl, data };
}

// ---------------------------------------------------------------------------------------------
// DNS over TCP: each message is preceded by its length as two bytes (RFC 1035 §4.2.2).

/** The message with its 2-byte length prefix. */
export function frameDnsTcp(msg: Uint8Array): Uint8Array {
  if (msg.byteLength > 0xffff) {
    throw new WireError(
      "dns",
      "bad-length",
      0,
      `message of ${msg.byteLength} bytes does not fit a TCP length prefix`,
    );
  }
  const out = new Uint8Array(2 + msg.byteLength);
  out[0] = msg.byteLength >>> 8;
  out[1] = msg.byteLength & 0xff;
  out.set(msg, 2);
  return out;
}

/**
 * Splits a TCP byte stream into whole DNS messages (views into `stream`) and the unconsumed rest
 * (an incomplete prefix or message: keep it and append what arrives next).
 */
export function splitDnsTcp(stream: Uint8Array): { messages: Uint8Array[]; rest: Uint8Array } {
  const messages: Uint8Array[] = [];
  let pos = 0;
  while (pos + 2 <= stream.byteLength) {
    const n = u16(stream, pos);
    if (pos + 2 + n > stream.byteLength) break;
    messages.push(stream.subarray(pos + 2, pos + 2 + n));
    pos += 2 + n;
  }
  return { messages, rest: stream.subarray(pos) };
}

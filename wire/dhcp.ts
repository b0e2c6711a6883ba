import { type Ipv4, type Mac, readIpv4, readMac, writeIpv4, writeMac } from "./addr.js";
import { decodeNameList, encodeNameList } from "./dns.js";
import { needBytes, viewOf, WireError } from "./errors.js";

/**
 * DHCPv4 / BOOTP messages (RFC 2131, options RFC 2132 and the RFCs named at each option).
 *
 * The repr keeps the message exactly: every fixed field, the raw 16-byte chaddr and the raw sname
 * and file fields, and the options area as an ordered list of (code, data) items, Pad (0) and End
 * (255) included where they stood, plus the bytes after End. So `emit(parse(b))` gives `b` back byte
 * for byte for every message `parse` accepts. When option 52 (overload) says the file and/or sname
 * fields carry options, they are checked to be well-formed options at parse time and read through
 * `dhcpOptions(repr)`, which also joins repeated instances of one option (RFC 3396).
 *
 * Accepted: at least 240 bytes, the magic cookie 99.130.83.99, an options area ending in End.
 * A BOOTP message without the cookie is `unsupported`; a missing End is `truncated`.
 */

export const DHCP_FIXED_LEN = 236;
export const DHCP_OPTIONS_OFFSET = 240;
/** The smallest message parseDhcp accepts: fixed fields + magic cookie (+ at least End). */
export const DHCP_HEADER_LEN = DHCP_OPTIONS_OFFSET;
export const DHCP_MAGIC_COOKIE = 0x63825363;
/** BOOTP's minimum message length (RFC 1542 §2.1); the builder pads to it. */
export const BOOTP_MIN_LEN = 300;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
/** The broadcast bit of `flags` (RFC 2131 §2, figure 2). */
export const DHCP_FLAG_BROADCAST = 0x8000;

const CHADDR_OFF = 28;
const CHADDR_LEN = 16;
const SNAME_OFF = 44;
const SNAME_LEN = 64;
const FILE_OFF = 108;
const FILE_LEN = 128;

export const BootpOp = { Request: 1, Reply: 2 } as const;

/** ARP hardware types used in htype. */
export const DhcpHtype = { Ethernet: 1 } as const;

/** Option 53 values (RFC 2132 §9.6, RFC 3203, RFC 4388). */
export const DhcpMessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
  ForceRenew: 9,
  LeaseQuery: 10,
  LeaseUnassigned: 11,
  LeaseUnknown: 12,
  LeaseActive: 13,
} as const;

export const DhcpOptionCode = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DnsServers: 6,
  Hostname: 12,
  DomainName: 15,
  InterfaceMtu: 26,
  BroadcastAddress: 28,
  NtpServers: 42,
  VendorSpecific: 43,
  RequestedIp: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClassId: 60,
  ClientId: 61,
  UserClass: 77,
  RelayAgentInfo: 82,
  DomainSearch: 119,
  ClasslessStaticRoute: 121,
  End: 255,
} as const;

/** Values of option 52 (RFC 2132 §9.3): which of file / sname carry options. */
export const DhcpOverload = { File: 1, Sname: 2, Both: 3 } as const;

// ---------------------------------------------------------------------------------------------
// The packet view.

/** A zero-copy view of a DHCP/BOOTP message (the UDP payload). */
export class DhcpPacket {
  readonly #dv: DataView;
  private constructor(readonly bytes: Uint8Array) {
    this.#dv = viewOf(bytes);
  }
  /** For untrusted bytes: throws WireError("dhcp", "truncated") unless the 240 fixed bytes fit. */
  static checked(bytes: Uint8Array): DhcpPacket {
    needBytes("dhcp", bytes, DHCP_OPTIONS_OFFSET, "fixed fields and magic cookie");
    return new DhcpPacket(bytes);
  }
  /** For a buffer the caller sized itself (emission, with dhcpBufferLen). */
  static unchecked(bytes: Uint8Array): DhcpPacket {
    return new DhcpPacket(bytes);
  }
  get op(): number {
    return this.bytes[0];
  }
  set op(v: number) {
    this.bytes[0] = v;
  }
  get htype(): number {
    return this.bytes[1];
  }
  set htype(v: number) {
    this.bytes[1] = v;
  }
  get hlen(): number {
    return this.bytes[2];
  }
  set hlen(v: number) {
    this.bytes[2] = v;
  }
  get hops(): number {
    return this.bytes[3];
  }
  set hops(v: number) {
    this.bytes[3] = v;
  }
  get xid(): number {
    return this.#dv.getUint32(4);
  }
  set xid(v: number) {
    this.#dv.setUint32(4, v);
  }
  get secs(): number {
    return this.#dv.getUint16(8);
  }
  set secs(v: number) {
    this.#dv.setUint16(8, v);
  }
  get flags(): number {
    return this.#dv.getUint16(10);
  }
  set flags(v: number) {
    this.#dv.setUint16(10, v);
  }
  get broadcast(): boolean {
    return (this.flags & DHCP_FLAG_BROADCAST) !== 0;
  }
  get ciaddr(): Ipv4 {
    return readIpv4(this.bytes, 12);
  }
  set ciaddr(v: Ipv4) {
    writeIpv4(this.bytes, 12, v);
  }
  get yiaddr(): Ipv4 {
    return readIpv4(this.bytes, 16);
  }
  set yiaddr(v: Ipv4) {
    writeIpv4(this.bytes, 16, v);
  }
  get siaddr(): Ipv4 {
    return readIpv4(this.bytes, 20);
  }
  set siaddr(v: Ipv4) {
    writeIpv4(this.bytes, 20, v);
  }
  get giaddr(): Ipv4 {
    return readIpv4(this.bytes, 24);
  }
  set giaddr(v: Ipv4) {
    writeIpv4(this.bytes, 24, v);
  }
  /** The 16-byte client hardware address field: a view. */
  get chaddr(): Uint8Array {
    return this.bytes.subarray(CHADDR_OFF, CHADDR_OFF + CHADDR_LEN);
  }
  /** The client MAC when htype is Ethernet and hlen 6, else undefined. */
  get clientMac(): Mac | undefined {
    return this.htype === DhcpHtype.Ethernet && this.hlen === 6 ? readMac(this.bytes, CHADDR_OFF) : undefined;
  }
  /** The 64-byte server host name field: a view. */
  get sname(): Uint8Array {
    return this.bytes.subarray(SNAME_OFF, SNAME_OFF + SNAME_LEN);
  }
  /** The 128-byte boot file name field: a view. */
  get file(): Uint8Array {
    return this.bytes.subarray(FILE_OFF, FILE_OFF + FILE_LEN);
  }
  get magicCookie(): number {
    return this.#dv.getUint32(DHCP_FIXED_LEN);
  }
  set magicCookie(v: number) {
    this.#dv.setUint32(DHCP_FIXED_LEN, v);
  }
  /** The options area (after the cookie, through the end): a view. */
  get optionsArea(): Uint8Array {
    return this.bytes.subarray(DHCP_OPTIONS_OFFSET);
  }
}

// ---------------------------------------------------------------------------------------------
// Representation.

/** One item of an options area. Pad and End are items with empty data. */
export interface DhcpOptionItem {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface DhcpRepr {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  /** Bit 15 is broadcast (DHCP_FLAG_BROADCAST); the rest must be zero but are kept. */
  readonly flags: number;
  readonly ciaddr: Ipv4;
  readonly yiaddr: Ipv4;
  readonly siaddr: Ipv4;
  readonly giaddr: Ipv4;
  /** Up to 16 bytes (zero-padded on emit); the MAC is the first 6 when htype=1, hlen=6. */
  readonly chaddr: Uint8Array;
  /** Up to 64 bytes (zero-padded on emit): a NUL-terminated name, or options when overloaded. */
  readonly sname: Uint8Array;
  /** Up to 128 bytes (zero-padded on emit): a NUL-terminated name, or options when overloaded. */
  readonly file: Uint8Array;
  /** The options area in order, Pad and End items included; normally ends with End. */
  readonly options: readonly DhcpOptionItem[];
  /** Bytes after the End option (padding), kept so the message re-emits byte for byte. */
  readonly trailing: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Walks an options area `b[from, to)`. With `requireEnd`, stops at End (returning its end offset)
 * and throws `truncated` if none is found; without, a field ending without End is accepted.
 * Offsets in errors are relative to `b`.
 */
function walkOptions(
  b: Uint8Array,
  from: number,
  to: number,
  requireEnd: boolean,
): { items: DhcpOptionItem[]; end: number } {
  const items: DhcpOptionItem[] = [];
  let p = from;
  while (p < to) {
    const code = b[p];
    if (code === DhcpOptionCode.Pad) {
      items.push({ code, data: EMPTY });
      p++;
      continue;
    }
    if (code === DhcpOptionCode.End) {
      items.push({ code, data: EMPTY });
      return { items, end: p + 1 };
    }
    if (p + 1 >= to) throw new WireError("dhcp", "truncated", p, `option ${code} has no length byte`);
    const n = b[p + 1];
    if (p + 2 + n > to)
      throw new WireError("dhcp", "truncated", p, `option ${code} (length ${n}) runs past the end`);
    items.push({ code, data: b.subarray(p + 2, p + 2 + n) });
    p += 2 + n;
  }
  if (requireEnd) throw new WireError("dhcp", "truncated", to, "options area has no End option");
  return { items, end: to };
}

function overloadOf(items: readonly DhcpOptionItem[]): number {
  const o = items.find((x) => x.code === DhcpOptionCode.Overload);
  if (!o) return 0;
  if (o.data.byteLength !== 1 || o.data[0] < 1 || o.data[0] > 3) {
    throw new WireError("dhcp", "malformed", 0, "option 52 (overload) must be one byte, 1..3");
  }
  return o.data[0];
}

/** Parses the message; byte fields in the result are views into the packet's bytes. */
export function parseDhcp(p: DhcpPacket): DhcpRepr {
  const b = p.bytes;
  if (p.magicCookie !== DHCP_MAGIC_COOKIE) {
    throw new WireError(
      "dhcp",
      "unsupported",
      DHCP_FIXED_LEN,
      `magic cookie 0x${p.magicCookie.toString(16).padStart(8, "0")}, not a DHCP message`,
    );
  }
  const { items, end } = walkOptions(b, DHCP_OPTIONS_OFFSET, b.byteLength, true);
  const ov = overloadOf(items);
  if (ov & DhcpOverload.File) walkOptions(b, FILE_OFF, FILE_OFF + FILE_LEN, false);
  if (ov & DhcpOverload.Sname) walkOptions(b, SNAME_OFF, SNAME_OFF + SNAME_LEN, false);
  return {
    op: p.op,
    htype: p.htype,
    hlen: p.hlen,
    hops: p.hops,
    xid: p.xid,
    secs: p.secs,
    flags: p.flags,
    ciaddr: p.ciaddr,
    yiaddr: p.yiaddr,
    siaddr: p.siaddr,
    giaddr: p.giaddr,
    chaddr: p.chaddr,
    sname: p.sname,
    file: p.file,
    options: items,
    trailing: b.subarray(end),
  };
}

/** Checked view + parse in one step, for untrusted bytes. */
export function decodeDhcp(bytes: Uint8Array): DhcpRepr {
  return parseDhcp(DhcpPacket.checked(bytes));
}

function itemLen(o: DhcpOptionItem): number {
  return o.code === DhcpOptionCode.Pad || o.code === DhcpOptionCode.End ? 1 : 2 + o.data.byteLength;
}

/** Bytes an options list takes on the wire. */
export function dhcpOptionsLen(options: readonly DhcpOptionItem[]): number {
  let n = 0;
  for (const o of options) n += itemLen(o);
  return n;
}

export function dhcpBufferLen(r: DhcpRepr): number {
  return DHCP_OPTIONS_OFFSET + dhcpOptionsLen(r.options) + r.trailing.byteLength;
}

/**
 * Writes options back to back into `b` at `off`; returns the offset after them. Throws for Pad/End
 * with data, codes outside 0..255 and data over 255 bytes (split long values: see dhcpOption).
 */
export function writeDhcpOptions(options: readonly DhcpOptionItem[], b: Uint8Array, off: number): number {
  let p = off;
  for (const o of options) {
    if (!Number.isInteger(o.code) || o.code < 0 || o.code > 255) {
      throw new WireError("dhcp", "malformed", p, `option code ${o.code}`);
    }
    if (o.code === DhcpOptionCode.Pad || o.code === DhcpOptionCode.End) {
      if (o.data.byteLength !== 0)
        throw new WireError("dhcp", "malformed", p, `option ${o.code} carries data`);
      b[p++] = o.code;
      continue;
    }
    if (o.data.byteLength > 255) {
      throw new WireError(
        "dhcp",
        "bad-length",
        p,
        `option ${o.code} data is ${o.data.byteLength} bytes (max 255)`,
      );
    }
    b[p] = o.code;
    b[p + 1] = o.data.byteLength;
    b.set(o.data, p + 2);
    p += 2 + o.data.byteLength;
  }
  return p;
}

function putField(b: Uint8Array, off: number, max: number, v: Uint8Array, what: string): void {
  if (v.byteLength > max)
    throw new WireError("dhcp", "bad-length", off, `${what} is ${v.byteLength} bytes (max ${max})`);
  b.fill(0, off, off + max);
  b.set(v, off);
}

/** Writes `r` into `p` (sized with dhcpBufferLen). */
export function emitDhcp(r: DhcpRepr, p: DhcpPacket): void {
  const b = p.bytes;
  const need = dhcpBufferLen(r);
  if (b.byteLength < need) throw new WireError("dhcp", "bad-length", b.byteLength, `need ${need} bytes`);
  p.op = r.op;
  p.htype = r.htype;
  p.hlen = r.hlen;
  p.hops = r.hops;
  p.xid = r.xid;
  p.secs = r.secs;
  p.flags = r.flags;
  p.ciaddr = r.ciaddr;
  p.yiaddr = r.yiaddr;
  p.siaddr = r.siaddr;
  p.giaddr = r.giaddr;
  putField(b, CHADDR_OFF, CHADDR_LEN, r.chaddr, "chaddr");
  putField(b, SNAME_OFF, SNAME_LEN, r.sname, "sname");
  putField(b, FILE_OFF, FILE_LEN, r.file, "file");
  p.magicCookie = DHCP_MAGIC_COOKIE;
  const end = writeDhcpOptions(r.options, b, DHCP_OPTIONS_OFFSET);
  b.set(r.trailing, end);
}

/** The encoded message, freshly allocated. */
export function encodeDhcp(r: DhcpRepr): Uint8Array {
  const b = new Uint8Array(dhcpBufferLen(r));
  emitDhcp(r, DhcpPacket.unchecked(b));
  return b;
}

// ---------------------------------------------------------------------------------------------
// Reading options.

export interface DhcpClientId {
  /** Hardware type (1 = Ethernet) or 0 / 255 for other identifiers (RFC 2132 §9.14, RFC 4361). */
  readonly type: number;
  readonly id: Uint8Array;
}

export interface ClasslessRoute {
  readonly destination: Ipv4;
  readonly prefixLen: number;
  readonly router: Ipv4;
}

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: false });
const TEXT_ENCODER = new TextEncoder();

function bad(code: number, why: string): WireError {
  return new WireError("dhcp", "malformed", 0, `option ${code}: ${why}`);
}

/**
 * The logical options of a message: the options area, then the file field, then the sname field
 * when option 52 says they are overloaded (RFC 2131 §4.1), Pad and End left out. Accessors join
 * repeated instances of one code (RFC 3396) and decode them; a wrongly sized value is a
 * WireError("dhcp", "malformed"). Absent options are undefined.
 */
export class DhcpOptions {
  constructor(readonly items: readonly DhcpOptionItem[]) {}

  /** The data of `code`, all instances concatenated in order, or undefined if absent. */
  get(code: number): Uint8Array | undefined {
    let out: Uint8Array | undefined;
    for (const o of this.items) {
      if (o.code !== code) continue;
      if (out === undefined) out = o.data;
      else {
        const j = new Uint8Array(out.byteLength + o.data.byteLength);
        j.set(out);
        j.set(o.data, out.byteLength);
        out = j;
      }
    }
    return out;
  }
  has(code: number): boolean {
    return this.items.some((o) => o.code === code);
  }
  #u8(code: number): number | undefined {
    const d = this.get(code);
    if (d === undefined) return undefined;
    if (d.byteLength !== 1) throw bad(code, `length ${d.byteLength}, expected 1`);
    return d[0];
  }
  #u16(code: number): number | undefined {
    const d = this.get(code);
    if (d === undefined) return undefined;
    if (d.byteLength !== 2) throw bad(code, `length ${d.byteLength}, expected 2`);
    return (d[0] << 8) | d[1];
  }
  #u32(code: number): number | undefined {
    const d = this.get(code);
    if (d === undefined) return undefined;
    if (d.byteLength !== 4) throw bad(code, `length ${d.byteLength}, expected 4`);
    return readIpv4(d, 0) as number;
  }
  #ip(code: number): Ipv4 | undefined {
    return this.#u32(code) as Ipv4 | undefined;
  }
  #ips(code: number): Ipv4[] | undefined {
    const d = this.get(code);
    if (d === undefined) return undefined;
    if (d.byteLength === 0 || d.byteLength % 4 !== 0) throw bad(code, `length ${d.byteLength}, not n*4`);
    const out: Ipv4[] = [];
    for (let i = 0; i < d.byteLength; i += 4) out.push(readIpv4(d, i));
    return out;
  }
  #text(code: number): string | undefined {
    const d = this.get(code);
    return d === undefined ? undefined : TEXT_DECODER.decode(d);
  }
  /** 53 (DhcpMessageType). */
  get messageType(): number | undefined {
    return this.#u8(DhcpOptionCode.MessageType);
  }
  /** 1 */
  get subnetMask(): Ipv4 | undefined {
    return this.#ip(DhcpOptionCode.SubnetMask);
  }
  /** 3 */
  get routers(): Ipv4[] | undefined {
    return this.#ips(DhcpOptionCode.Router);
  }
  /** 6 */
  get dnsServers(): Ipv4[] | undefined {
    return this.#ips(DhcpOptionCode.DnsServers);
  }
  /** 12, decoded as UTF-8. */
  get hostname(): string | undefined {
    return this.#text(DhcpOptionCode.Hostname);
  }
  /** 15, decoded as UTF-8. */
  get domainName(): string | undefined {
    return this.#text(DhcpOptionCode.DomainName);
  }
  /** 28 */
  get broadcastAddress(): Ipv4 | undefined {
    return this.#ip(DhcpOptionCode.BroadcastAddress);
  }
  /** 50 */
  get requestedIp(): Ipv4 | undefined {
    return this.#ip(DhcpOptionCode.RequestedIp);
  }
  /** 51, seconds (0xffffffff = infinite). */
  get leaseTime(): number | undefined {
    return this.#u32(DhcpOptionCode.LeaseTime);
  }
  /** 52 (DhcpOverload), 0 when absent. */
  get overload(): number {
    return overloadOf(this.items);
  }
  /** 54 */
  get serverId(): Ipv4 | undefined {
    return this.#ip(DhcpOptionCode.ServerId);
  }
  /** 55, the requested option codes in order. */
  get parameterRequestList(): number[] | undefined {
    const d = this.get(DhcpOptionCode.ParameterRequestList);
    return d === undefined ? undefined : Array.from(d);
  }
  /** 56, decoded as UTF-8. */
  get message(): string | undefined {
    return this.#text(DhcpOptionCode.Message);
  }
  /** 57 */
  get maxMessageSize(): number | undefined {
    return this.#u16(DhcpOptionCode.MaxMessageSize);
  }
  /** 58, T1 in seconds. */
  get renewalTime(): number | undefined {
    return this.#u32(DhcpOptionCode.RenewalTime);
  }
  /** 59, T2 in seconds. */
  get rebindingTime(): number | undefined {
    return this.#u32(DhcpOptionCode.RebindingTime);
  }
  /** 61 */
  get clientId(): DhcpClientId | undefined {
    const d = this.get(DhcpOptionCode.ClientId);
    if (d === undefined) return undefined;
    if (d.byteLength < 2) throw bad(DhcpOptionCode.ClientId, "shorter than 2 bytes");
    return { type: d[0], id: d.subarray(1) };
  }
  /** 77, RFC 3004: the user class instances. */
  get userClass(): Uint8Array[] | undefined {
    const d = this.get(DhcpOptionCode.UserClass);
    if (d === undefined) return undefined;
    const out: Uint8Array[] = [];
    let p = 0;
    while (p < d.byteLength) {
      const n = d[p];
      if (n === 0 || p + 1 + n > d.byteLength) throw bad(DhcpOptionCode.UserClass, "bad instance length");
      out.push(d.subarray(p + 1, p + 1 + n));
      p += 1 + n;
    }
    return out;
  }
  /** 119, RFC 3397: search domains (DNS names, possibly compressed within the option). */
  get domainSearch(): string[] | undefined {
    const d = this.get(DhcpOptionCode.DomainSearch);
    return d === undefined ? undefined : decodeNameList(d, "dhcp");
  }
  /** 121, RFC 3442. */
  get classlessStaticRoutes(): ClasslessRoute[] | undefined {
    const d = this.get(DhcpOptionCode.ClasslessStaticRoute);
    if (d === undefined) return undefined;
    const out: ClasslessRoute[] = [];
    let p = 0;
    while (p < d.byteLength) {
      const w = d[p];
      if (w > 32) throw bad(DhcpOptionCode.ClasslessStaticRoute, `prefix length ${w}`);
      const sig = Math.ceil(w / 8);
      if (p + 1 + sig + 4 > d.byteLength) throw bad(DhcpOptionCode.ClasslessStaticRoute, "route cut short");
      const dst = new Uint8Array(4);
      dst.set(d.subarray(p + 1, p + 1 + sig));
      out.push({ destination: readIpv4(dst, 0), prefixLen: w, router: readIpv4(d, p + 1 + sig) });
      p += 1 + sig + 4;
    }
    return out;
  }
}

/** The logical options of `r` (options area, then file and sname when overloaded). */
export function dhcpOptions(r: DhcpRepr): DhcpOptions {
  const items = r.options.filter((o) => o.code !== DhcpOptionCode.Pad && o.code !== DhcpOptionCode.End);
  const ov = overloadOf(r.options);
  const more = (field: Uint8Array): void => {
    for (const o of walkOptions(field, 0, field.byteLength, false).items) {
      if (o.code === DhcpOptionCode.End) break;
      if (o.code !== DhcpOptionCode.Pad) items.push(o);
    }
  };
  if (ov & DhcpOverload.File) more(r.file);
  if (ov & DhcpOverload.Sname) more(r.sname);
  return new DhcpOptions(items);
}

/** The client MAC of `r` when htype is Ethernet and hlen 6. */
export function dhcpClientMac(r: DhcpRepr): Mac | undefined {
  return r.htype === DhcpHtype.Ethernet && r.hlen === 6 && r.chaddr.byteLength >= 6
    ? readMac(r.chaddr, 0)
    : undefined;
}

/** A NUL-terminated text field (sname, file) as a string (bytes up to the first NUL, UTF-8). */
export function dhcpFieldText(field: Uint8Array): string {
  const z = field.indexOf(0);
  return TEXT_DECODER.decode(z < 0 ? field : field.subarray(0, z));
}

// ---------------------------------------------------------------------------------------------
// Building options.

function ipBytes(...ips: Ipv4[]): Uint8Array {
  const b = new Uint8Array(4 * ips.length);
  for (let i = 0; i < ips.length; i++) writeIpv4(b, 4 * i, ips[i]);
  return b;
}
function u32Bytes(v: number): Uint8Array {
  return ipBytes(v as Ipv4);
}
function item(code: number, data: Uint8Array): DhcpOptionItem {
  return { code, data };
}

/**
 * Constructors for option items. Values longer than 255 bytes are fine here: the builder
 * (buildDhcp) splits them into several instances (RFC 3396); writeDhcpOptions alone refuses them.
 */
export const dhcpOption = {
  raw: (code: number, data: Uint8Array): DhcpOptionItem => item(code, data),
  pad: (): DhcpOptionItem => item(DhcpOptionCode.Pad, EMPTY),
  end: (): DhcpOptionItem => item(DhcpOptionCode.End, EMPTY),
  messageType: (t: number): DhcpOptionItem => item(DhcpOptionCode.MessageType, Uint8Array.of(t)),
  subnetMask: (m: Ipv4): DhcpOptionItem => item(DhcpOptionCode.SubnetMask, ipBytes(m)),
  routers: (...r: Ipv4[]): DhcpOptionItem => item(DhcpOptionCode.Router, ipBytes(...r)),
  dnsServers: (...s: Ipv4[]): DhcpOptionItem => item(DhcpOptionCode.DnsServers, ipBytes(...s)),
  hostname: (h: string): DhcpOptionItem => item(DhcpOptionCode.Hostname, TEXT_ENCODER.encode(h)),
  domainName: (d: string): DhcpOptionItem => item(DhcpOptionCode.DomainName, TEXT_ENCODER.encode(d)),
  broadcastAddress: (a: Ipv4): DhcpOptionItem => item(DhcpOptionCode.BroadcastAddress, ipBytes(a)),
  requestedIp: (a: Ipv4): DhcpOptionItem => item(DhcpOptionCode.RequestedIp, ipBytes(a)),
  leaseTime: (s: number): DhcpOptionItem => item(DhcpOptionCode.LeaseTime, u32Bytes(s)),
  overload: (v: number): DhcpOptionItem => item(DhcpOptionCode.Overload, Uint8Array.of(v)),
  serverId: (a: Ipv4): DhcpOptionItem => item(DhcpOptionCode.ServerId, ipBytes(a)),
  parameterRequestList: (codes: readonly number[]): DhcpOptionItem =>
    item(DhcpOptionCode.ParameterRequestList, Uint8Array.from(codes)),
  message: (m: string): DhcpOptionItem => item(DhcpOptionCode.Message, TEXT_ENCODER.encode(m)),
  maxMessageSize: (n: number): DhcpOptionItem =>
    item(DhcpOptionCode.MaxMessageSize, Uint8Array.of(n >>> 8, n & 0xff)),
  renewalTime: (s: number): DhcpOptionItem => item(DhcpOptionCode.RenewalTime, u32Bytes(s)),
  rebindingTime: (s: number): DhcpOptionItem => item(DhcpOptionCode.RebindingTime, u32Bytes(s)),
  clientId: (type: number, id: Uint8Array): DhcpOptionItem => {
    const d = new Uint8Array(1 + id.byteLength);
    d[0] = type;
    d.set(id, 1);
    return item(DhcpOptionCode.ClientId, d);
  },
  /** Client identifier type 1 + MAC, as most clients send it. */
  clientIdMac: (mac: Mac): DhcpOptionItem => {
    const d = new Uint8Array(7);
    d[0] = DhcpHtype.Ethernet;
    writeMac(d, 1, mac);
    return item(DhcpOptionCode.ClientId, d);
  },
  userClass: (instances: readonly Uint8Array[]): DhcpOptionItem => {
    const d = new Uint8Array(instances.reduce((n, x) => n + 1 + x.byteLength, 0));
    let p = 0;
    for (const x of instances) {
      if (x.byteLength === 0 || x.byteLength > 255) {
        throw new WireError("dhcp", "bad-length", 0, "user class instance must be 1..255 bytes");
      }
      d[p] = x.byteLength;
      d.set(x, p + 1);
      p += 1 + x.byteLength;
    }
    return item(DhcpOptionCode.UserClass, d);
  },
  domainSearch: (names: readonly string[], compress = true): DhcpOptionItem =>
    item(DhcpOptionCode.DomainSearch, encodeNameList(names, compress)),
  classlessStaticRoutes: (routes: readonly ClasslessRoute[]): DhcpOptionItem => {
    const parts: number[] = [];
    for (const r of routes) {
      if (!Number.isInteger(r.prefixLen) || r.prefixLen < 0 || r.prefixLen > 32) {
        throw new WireError("dhcp", "malformed", 0, `prefix length ${r.prefixLen}`);
      }
      const dst = ipBytes(r.destination);
      parts.push(r.prefixLen, ...dst.subarray(0, Math.ceil(r.prefixLen / 8)), ...ipBytes(r.router));
    }
    return item(DhcpOptionCode.ClasslessStaticRoute, Uint8Array.from(parts));
  },
} as const;

/** Splits items longer than 255 bytes into consecutive instances of the same code (RFC 3396). */
export function splitLongOptions(items: readonly DhcpOptionItem[]): DhcpOptionItem[] {
  const out: DhcpOptionItem[] = [];
  for (const o of items) {
    if (o.data.byteLength <= 255 || o.code === DhcpOptionCode.Pad || o.code === DhcpOptionCode.End) {
      out.push(o);
      continue;
    }
    for (let i = 0; i < o.data.byteLength; i += 255)
      out.push({ code: o.code, data: o.data.subarray(i, i + 255) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building messages.

export interface DhcpMessageInit {
  /** Option 53; it goes first in the options area. */
  readonly messageType: number;
  readonly xid: number;
  readonly chaddr: Mac;
  /** Default: BootRequest for messages clients send (Discover, Request, Decline, Release, Inform, LeaseQuery), else BootReply. */
  readonly op?: number;
  readonly hops?: number;
  readonly secs?: number;
  /** Sets DHCP_FLAG_BROADCAST. */
  readonly broadcast?: boolean;
  readonly ciaddr?: Ipv4;
  readonly yiaddr?: Ipv4;
  readonly siaddr?: Ipv4;
  readonly giaddr?: Ipv4;
  readonly sname?: string;
  readonly file?: string;
  /** Further options, in order, after the message type (long ones are split, RFC 3396). */
  readonly options?: readonly DhcpOptionItem[];
  /** Pad with zeros after End up to this many bytes (default BOOTP_MIN_LEN = 300). */
  readonly minLength?: number;
}

const CLIENT_SENT: ReadonlySet<number> = new Set([
  DhcpMessageType.Discover,
  DhcpMessageType.Request,
  DhcpMessageType.Decline,
  DhcpMessageType.Release,
  DhcpMessageType.Inform,
  DhcpMessageType.LeaseQuery,
]);

const ZERO_IP = 0 as Ipv4;

function fieldText(s: string | undefined, max: number, what: string): Uint8Array {
  const b = new Uint8Array(max);
  if (s === undefined) return b;
  const t = TEXT_ENCODER.encode(s);
  if (t.byteLength >= max)
    throw new WireError("dhcp", "bad-length", 0, `${what} longer than ${max - 1} bytes`);
  b.set(t);
  return b;
}

/** A complete DHCP message (Ethernet chaddr, options + End, zero padding) ready for encodeDhcp. */
export function buildDhcp(m: DhcpMessageInit): DhcpRepr {
  const chaddr = new Uint8Array(CHADDR_LEN);
  writeMac(chaddr, 0, m.chaddr);
  const options = splitLongOptions([
    dhcpOption.messageType(m.messageType),
    ...(m.options ?? []).filter((o) => o.code !== DhcpOptionCode.End),
    dhcpOption.end(),
  ]);
  const used = DHCP_OPTIONS_OFFSET + dhcpOptionsLen(options);
  const minLength = m.minLength ?? BOOTP_MIN_LEN;
  return {
    op: m.op ?? (CLIENT_SENT.has(m.messageType) ? BootpOp.Request : BootpOp.Reply),
    htype: DhcpHtype.Ethernet,
    hlen: 6,
    hops: m.hops ?? 0,
    xid: m.xid >>> 0,
    secs: m.secs ?? 0,
    flags: m.broadcast ? DHCP_FLAG_BROADCAST : 0,
    ciaddr: m.ciaddr ?? ZERO_IP,
    yiaddr: m.yiaddr ?? ZERO_IP,
    siaddr: m.siaddr ?? ZERO_IP,
    giaddr: m.giaddr ?? ZERO_IP,
    chaddr,
    sname: fieldText(m.sname, SNAME_LEN, "sname"),
    file: fieldText(m.file, FILE_LEN, "file"),
    options,
    trailing: new Uint8Array(Math.max(0, minLength - used)),
  };
}

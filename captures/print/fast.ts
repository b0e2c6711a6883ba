/**
 * The fast path of the printer: the packet shapes that make up nearly all of a typical capture
 * (Ethernet + IPv4/IPv6 + TCP/UDP, ICMP echo, ARP request/reply), printed at the default options
 * straight into a byte buffer, with no intermediate strings.
 *
 * Why: the general printers build each line from template strings (many small allocations, then a
 * UTF-8 encode of the joined text), which costs several times more than the decoding itself. Here a
 * line is written straight into the output buffer, several bytes per store (see below): numbers from
 * digit tables, addresses from their bytes, constant words pre-encoded.
 *
 * The contract: `fastEther` (and `fastEtherAt`) either writes exactly the bytes the general printer
 * (ether.ts, ip.ts, ip6.ts, tcp.ts, udp.ts, icmp.ts, arp.ts) would produce for that packet and
 * returns the new end, or returns -1 *before changing any state* (the TCP sequence table), and the
 * caller prints the packet with the general printer. Anything unusual (truncation, bad lengths, fragments, IP options that
 * matter, TCP options other than the common ones, payloads another printer decodes such as DNS or
 * DHCP) takes the general path. `fast.test.ts` checks the two paths agree on generated packets.
 */
import type { PrintContext, TcpSeqTable } from "./context.js";
import { httpShown } from "./tcp.js";

/**
 * Room the fast path needs after `pos`: the longest line it writes (packet number, -tttt timestamp,
 * two IPv6 addresses, 40 bytes of TCP options: under 600 bytes), rounded up. Writers may store up to
 * 3 bytes past the end of what they write (see `putWord`), always inside this room.
 */
export const FAST_LINE_MAX = 1024;

// How bytes are written. A loop copying a constant word byte by byte costs ~2 ns a byte in V8 (a
// bounds check and a load per byte): more than the decoding. So constant words are stored 4 bytes
// at a time through a DataView over the output buffer (`putWord`), numbers 4 digits per store
// (`putUintDv`), and an IPv4 address part with its dot as one 32-bit store from a table. A store may
// run up to 3 bytes past the end of the text it writes; the next store (or the final newline)
// overwrites them, and bytes past the returned end are not output.

/** A constant word for `putWord`: its byte length, then its bytes 4 at a time (little-endian). */
type Word = Int32Array;

/** The ASCII word `s` for `putWord`. */
export function word(s: string): Word {
  const w = new Int32Array(1 + ((s.length + 3) >> 2));
  w[0] = s.length;
  for (let i = 0; i < s.length; i++) w[1 + (i >> 2)] |= s.charCodeAt(i) << (8 * (i & 3));
  return w;
}

/** Writes word `w` at `pos` (and up to 3 bytes of junk after it); returns its end. */
export function putWord(dv: DataView, pos: number, w: Word): number {
  for (let i = 1; i < w.length; i++) dv.setInt32(pos + 4 * i - 4, w[i], true);
  return pos + w[0];
}

/** Up to 4 ASCII bytes as one little-endian 32-bit value, for a single `setInt32`. */
function le4(s: string): number {
  let v = 0;
  for (let i = 0; i < s.length; i++) v |= s.charCodeAt(i) << (8 * i);
  return v;
}

const W_IP = le4("IP ");
const W_IP6 = le4("IP6 ");
const W_ARROW = le4(" > ");
const W_SEQ = word(", seq ");
const W_ACK = word(", ack ");
const W_WIN = word(", win ");
const W_URG = word(", urg ");
const W_OPTIONS = word(", options [");
const W_OPTIONS_NOP_NOP_TS = word(", options [nop,nop,TS val ");
const W_LENGTH = word(", length ");
const W_UDP_LENGTH = word(": UDP, length ");
const W_UDP_BAD = word(": UDP, bad length ");
const W_ICMP_REQUEST = word(": ICMP echo request, id ");
const W_ICMP_REPLY = word(": ICMP echo reply, id ");
const W_ARP_REQUEST = word("ARP, Request who-has ");
const W_ARP_REPLY = word("ARP, Reply ");
const W_TELL = word(" tell ");
const W_IS_AT = word(" is-at ");
const W_NOP = le4("nop");
const W_EOL = le4("eol");
const W_MSS = le4("mss ");
const W_WSCALE = word("wscale ");
const W_SACKOK = word("sackOK");
const W_SACK = word("sack ");
const W_TS = word("TS val ");
const W_ECR = word(" ecr ");
const W_HTTP = word(": HTTP");

// The tables below are made with arithmetic only (no strings): this runs at start-up, before the
// first line, in V8's interpreter.

/** `: Flags [<letters>]` of a flag byte (`none` when no bit is set), made on first use. */
const FLAG_WORDS: (Word | undefined)[] = new Array(256).fill(undefined);
function flagWord(flags: number): Word {
  let s = "";
  for (let i = 0; i < 8; i++) if (flags & (1 << i)) s += "FSRP.UEW"[i];
  const w = word(`: Flags [${s === "" ? "none" : s}]`);
  FLAG_WORDS[flags] = w;
  return w;
}

/** The ASCII code of hex digit `x` (lower case). */
const hexDigit = (x: number): number => (x < 10 ? 48 + x : 87 + x);

/** `%u.` of every byte value as one little-endian 32-bit store, and the length of the digits. */
const DEC_DOT = new Int32Array(256);
const DEC_LEN = new Uint8Array(256);
/** `%02x` of every byte value (2 bytes, little-endian); `%02x:` (3 bytes used). */
const HEX2 = new Uint16Array(256);
const HEX_COLON = new Int32Array(256);
/** `%x` of every byte value (1 or 2 bytes used), and its length. */
const HEX_BARE = new Int32Array(256);
const HEX_BARE_LEN = new Uint8Array(256);
for (let v = 0; v < 256; v++) {
  const h = 48 + ((v / 100) | 0);
  const t = 48 + (((v / 10) | 0) % 10);
  const u = 48 + (v % 10);
  DEC_DOT[v] =
    v < 10
      ? u | (0x2e << 8)
      : v < 100
        ? t | (u << 8) | (0x2e << 16)
        : h | (t << 8) | (u << 16) | (0x2e << 24);
  DEC_LEN[v] = v < 10 ? 1 : v < 100 ? 2 : 3;
  HEX2[v] = hexDigit(v >> 4) | (hexDigit(v & 15) << 8);
  HEX_COLON[v] = HEX2[v] | (0x3a << 16);
  HEX_BARE[v] = v < 16 ? hexDigit(v) : HEX2[v];
  HEX_BARE_LEN[v] = v < 16 ? 1 : 2;
}

/**
 * Decimal digits from tables, up to 4 per store: `QUADS[v]` is `%04u` of v (< 10000) as one
 * little-endian 32-bit value, `SHORT[v]` is `%u` of v (its `SHORT_LEN[v]` bytes used).
 */
const QUADS = new Int32Array(10000);
const SHORT = new Int32Array(10000);
const SHORT_LEN = new Uint8Array(10000).fill(4);
(function digitTables(): void {
  // In a function, not at the top level: V8 compiles a hot loop in a function sooner.
  const pairs = new Int32Array(100);
  for (let i = 0; i < 100; i++) pairs[i] = (48 + ((i / 10) | 0)) | ((48 + (i % 10)) << 8);
  for (let hi = 0; hi < 100; hi++) {
    const h = pairs[hi];
    for (let lo = 0; lo < 100; lo++) QUADS[hi * 100 + lo] = h | (pairs[lo] << 16);
  }
  SHORT.set(QUADS);
  // Below 1000, the last `len` digits are the high bytes of the little-endian QUADS value.
  for (let v = 0; v < 1000; v++) {
    const len = v < 10 ? 1 : v < 100 ? 2 : 3;
    SHORT[v] = QUADS[v] >>> (32 - 8 * len);
    SHORT_LEN[v] = len;
  }
})();

/** A DataView over `buf` (the same one as long as `buf` is). */
let viewOf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));
export function dataViewOf(buf: Uint8Array): DataView {
  if (buf !== viewOf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
  }
  return view;
}

/** Decimal digits of a non-negative integer below 2^53 (`%u`). */
export function putUint(buf: Uint8Array, pos: number, v: number): number {
  return putUintDv(dataViewOf(buf), buf, pos, v);
}

/**
 * `putUint` with the DataView over `buf` given: one store for the leading 1–4 digits, then one per
 * 4 more (a 32-bit value has at most 10 digits).
 *
 * `(v * 0.0001) >>> 0` is floor(v / 10000), and `(v * 1e-8) >>> 0` floor(v / 10^8), for every v
 * below 2^32, with a multiplication instead of a slower division: the doubles 0.0001 and 1e-8 are
 * a little above the true values, so at v = 10^4·k (10^8·k) the product is not below k, and at one
 * less it stays below k (the excess is under 10^-10 there); both sides are monotonic in v, so they
 * agree everywhere between. fast.test.ts checks around every such boundary it can reach.
 */
function putUintDv(dv: DataView, buf: Uint8Array, pos: number, v: number): number {
  if (v < 10000) {
    dv.setInt32(pos, SHORT[v], true);
    return pos + SHORT_LEN[v];
  }
  if (v < 100000000) {
    const hi = (v * 0.0001) >>> 0;
    dv.setInt32(pos, SHORT[hi], true);
    pos += SHORT_LEN[hi];
    dv.setInt32(pos, QUADS[v - hi * 10000], true);
    return pos + 4;
  }
  if (v > 0xffffffff) {
    // Beyond 32 bits (only a packet number could be): not worth a fast path.
    const s = String(v);
    for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + s.length;
  }
  const top = (v * 1e-8) >>> 0;
  const rest = v - top * 100000000;
  const mid = (rest * 0.0001) >>> 0;
  dv.setInt32(pos, SHORT[top], true);
  pos += SHORT_LEN[top];
  dv.setInt32(pos, QUADS[mid], true);
  dv.setInt32(pos + 4, QUADS[rest - mid * 10000], true);
  return pos + 8;
}

/** `%0*u`: `v` with leading zeros to at least `width` digits (a timestamp fraction: 6 or 9). */
export function putUintZero(buf: Uint8Array, pos: number, v: number, width: number): number {
  const dv = dataViewOf(buf);
  if (width === 6 && v < 1000000) {
    const hi = (v * 0.0001) >>> 0;
    dv.setInt32(pos, QUADS[hi] >>> 16, true);
    dv.setInt32(pos + 2, QUADS[v - hi * 10000], true);
    return pos + 6;
  }
  if (width === 9 && v < 1000000000) {
    const top = (v * 1e-8) >>> 0;
    const rest = v - top * 100000000;
    const mid = (rest * 0.0001) >>> 0;
    buf[pos] = 48 + top;
    dv.setInt32(pos + 1, QUADS[mid], true);
    dv.setInt32(pos + 5, QUADS[rest - mid * 10000], true);
    return pos + 9;
  }
  // Another width, or a fraction as wide as the field or wider (a corrupt record): by the string.
  const s = String(v).padStart(width, "0");
  for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

/** Dotted quad of the 4 bytes at `off` (one store per part, with its dot). */
function putIp4(dv: DataView, pos: number, b: Uint8Array, off: number): number {
  let v = b[off];
  dv.setInt32(pos, DEC_DOT[v], true);
  pos += DEC_LEN[v] + 1;
  v = b[off + 1];
  dv.setInt32(pos, DEC_DOT[v], true);
  pos += DEC_LEN[v] + 1;
  v = b[off + 2];
  dv.setInt32(pos, DEC_DOT[v], true);
  pos += DEC_LEN[v] + 1;
  v = b[off + 3];
  dv.setInt32(pos, DEC_DOT[v], true);
  return pos + DEC_LEN[v];
}

/** `%x` of the 16-bit group `hi`:`lo`. */
function putHex16(dv: DataView, pos: number, hi: number, lo: number): number {
  if (hi === 0) {
    dv.setInt32(pos, HEX_BARE[lo], true);
    return pos + HEX_BARE_LEN[lo];
  }
  dv.setInt32(pos, HEX_BARE[hi], true);
  pos += HEX_BARE_LEN[hi];
  dv.setUint16(pos, HEX2[lo], true);
  return pos + 2;
}

/** RFC 5952 text of the 16 bytes at `off`, byte for byte what wire/addr.ts formatIpv6Bytes returns. */
export function putIp6(buf: Uint8Array, pos: number, b: Uint8Array, off: number): number {
  return putIp6Dv(dataViewOf(buf), buf, pos, b, off);
}

function putIp6Dv(dv: DataView, buf: Uint8Array, pos: number, b: Uint8Array, off: number): number {
  // The longest run of zero groups (the first one on a tie), if at least two long, becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if ((b[off + 2 * i] | b[off + 2 * i + 1]) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && (b[off + 2 * j] | b[off + 2 * j + 1]) === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // Embedded IPv4, as glibc's inet_ntop: ::a.b.c.d (not ::1/::) and ::ffff:a.b.c.d.
  const v4 =
    bestStart === 0 && (bestLen === 6 || (bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff));
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      buf[pos++] = 0x3a;
      if (i === 0) buf[pos++] = 0x3a;
      i += bestLen - 1;
      continue;
    }
    if (v4 && i === 6) return putIp4(dv, pos, b, off + 12);
    pos = putHex16(dv, pos, b[off + 2 * i], b[off + 2 * i + 1]);
    if (i < 7) buf[pos++] = 0x3a;
  }
  return pos;
}

/** aa:bb:cc:dd:ee:ff of the 6 bytes at `off`. */
function putMac(dv: DataView, pos: number, b: Uint8Array, off: number): number {
  for (let i = 0; i < 6; i++) dv.setInt32(pos + 3 * i, HEX_COLON[b[off + i]], true);
  return pos + 17;
}

/** `src.sport > dst.dport` of the IP header at `ip` (IPv4 when `v6` is false). */
function putEnds(
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  ip: number,
  v6: boolean,
  sport: number,
  dport: number,
): number {
  pos = v6 ? putIp6Dv(dv, buf, pos, f, ip + 8) : putIp4(dv, pos, f, ip + 12);
  buf[pos++] = 0x2e;
  pos = putUintDv(dv, buf, pos, sport);
  dv.setInt32(pos, W_ARROW, true);
  pos += 3;
  pos = v6 ? putIp6Dv(dv, buf, pos, f, ip + 24) : putIp4(dv, pos, f, ip + 16);
  buf[pos++] = 0x2e;
  return putUintDv(dv, buf, pos, dport);
}

// The functions below work on the whole frame `f` with offsets instead of sub-views (one fewer
// allocation per layer): a layer starts at its offset, and `end` is where its captured bytes end,
// the same limit as the `byteLength` of the view the general printer hands that layer. They write
// into `buf` at `pos`, `dv` being the DataView over `buf`.

/**
 * Ethernet frame `f` (captured bytes) of on-wire length `length` at the default options (no -v, -e,
 * -q, -x, -X, -A). Writes the decoded packet (no timestamp, no newline) at `pos` and returns the new
 * end, or -1, with nothing changed, when the general printer must print it. `buf` must have
 * FAST_LINE_MAX bytes of room from `pos`.
 */
export function fastEther(
  p: PrintContext,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  length: number,
): number {
  return fastEtherAt(p, buf, pos, f, 0, f.byteLength, length);
}

/**
 * `fastEther` for the frame `f[start, start + caplen)` (a record's bytes inside the reader's chunk,
 * with no view made for them).
 */
export function fastEtherAt(
  p: PrintContext,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  start: number,
  caplen: number,
  length: number,
): number {
  if (caplen < 14 || length < caplen) return -1;
  const type = (f[start + 12] << 8) | f[start + 13];
  const end = start + caplen;
  const dv = dataViewOf(buf);
  if (type === 0x0800) return fastIp4(p.tcpSeq, dv, buf, pos, f, start + 14, end, length - 14);
  if (type === 0x86dd) return fastIp6(p.tcpSeq, dv, buf, pos, f, start + 14, end, length - 14);
  if (type === 0x0806) return fastArp(dv, buf, pos, f, start + 14, end, length - 14);
  return -1;
}

/** ip.ts ipBody for an unfragmented datagram carrying TCP, UDP or ICMP echo. */
function fastIp4(
  seqs: TcpSeqTable,
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  ip: number,
  end: number,
  length: number,
): number {
  if (end - ip < 20 || length < 20 || f[ip] >> 4 !== 4) return -1;
  const hlen = (f[ip] & 0x0f) * 4;
  const len = (f[ip + 2] << 8) | f[ip + 3];
  // Shorter than the header or than claimed, header cut by the capture, or a fragment: general path.
  if (
    hlen < 20 ||
    length < len ||
    len < hlen ||
    end - ip < hlen ||
    (f[ip + 6] & 0x1f) !== 0 ||
    f[ip + 7] !== 0
  )
    return -1;
  // The datagram ends at its total length (tcpdump's nd_push_snaplen).
  if (end - ip > len) end = ip + len;
  const fragmented = (f[ip + 6] & 0x20) !== 0;
  const proto = f[ip + 9];
  dv.setInt32(pos, W_IP, true);
  pos += 3;
  if (proto === 6) return fastTcp(seqs, dv, buf, pos, f, ip + hlen, end, len - hlen, ip, false);
  if (proto === 17) return fastUdp(dv, buf, pos, f, ip + hlen, end, len - hlen, ip, false, fragmented);
  if (proto === 1) return fastIcmpEcho(dv, buf, pos, f, ip + hlen, end, len - hlen, ip);
  return -1;
}

/** ip6.ts ip6Body for a 40-byte header followed directly by TCP or UDP (no extension headers, no jumbogram). */
function fastIp6(
  seqs: TcpSeqTable,
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  ip: number,
  end: number,
  length: number,
): number {
  if (end - ip < 40 || length < 40 || f[ip] >> 4 !== 6) return -1;
  const plen = (f[ip + 4] << 8) | f[ip + 5];
  const nh = f[ip + 6];
  if (plen === 0 || length < plen + 40 || (nh !== 6 && nh !== 17)) return -1;
  if (end - ip > plen + 40) end = ip + plen + 40;
  dv.setInt32(pos, W_IP6, true);
  pos += 4;
  return nh === 6
    ? fastTcp(seqs, dv, buf, pos, f, ip + 40, end, plen, ip, true)
    : fastUdp(dv, buf, pos, f, ip + 40, end, plen, ip, true, false);
}

/** UDP ports whose payload another printer decodes (udp.ts): those datagrams take the general path. */
function udpPortDecoded(port: number): boolean {
  return (
    port === 53 ||
    port === 5353 ||
    port === 67 ||
    port === 68 ||
    port === 546 ||
    port === 547 ||
    port === 4789
  );
}

/** udp.ts udpPrint for a datagram at `u` whose 8-byte header was captured and whose payload prints as `UDP, length N`. */
function fastUdp(
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  u: number,
  end: number,
  length: number,
  ip: number,
  v6: boolean,
  fragmented: boolean,
): number {
  if (end - u < 8 || length < 8) return -1;
  const sport = (f[u] << 8) | f[u + 1];
  const dport = (f[u + 2] << 8) | f[u + 3];
  let ulen = (f[u + 4] << 8) | f[u + 5];
  if (ulen < 8 || udpPortDecoded(sport) || udpPortDecoded(dport)) return -1;
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  pos = putEnds(dv, buf, pos, f, ip, v6, sport, dport);
  if (ulen > length && !fragmented) {
    pos = putWord(dv, pos, W_UDP_BAD);
    pos = putUintDv(dv, buf, pos, ulen);
    dv.setInt32(pos, W_ARROW, true);
    pos += 3;
    return putUintDv(dv, buf, pos, length);
  }
  pos = putWord(dv, pos, W_UDP_LENGTH);
  return putUintDv(dv, buf, pos, ulen);
}

/** icmp.ts for an echo request or reply at `c` whose first 8 bytes were captured. */
function fastIcmpEcho(
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  c: number,
  end: number,
  plen: number,
  ip: number,
): number {
  const type = f[c];
  if (end - c < 8 || (type !== 0 && type !== 8)) return -1;
  pos = putIp4(dv, pos, f, ip + 12);
  dv.setInt32(pos, W_ARROW, true);
  pos += 3;
  pos = putIp4(dv, pos, f, ip + 16);
  pos = putWord(dv, pos, type === 8 ? W_ICMP_REQUEST : W_ICMP_REPLY);
  pos = putUintDv(dv, buf, pos, (f[c + 4] << 8) | f[c + 5]);
  pos = putWord(dv, pos, W_SEQ);
  pos = putUintDv(dv, buf, pos, (f[c + 6] << 8) | f[c + 7]);
  pos = putWord(dv, pos, W_LENGTH);
  return putUintDv(dv, buf, pos, plen);
}

/**
 * Whether the options in `f[t + 20, t + hlen)` are all ones this path prints (eol, nop, mss, wscale,
 * sackOK, sack, TS) with their standard lengths, all inside the header (the caller checked they
 * were captured).
 */
function simpleTcpOptions(f: Uint8Array, t: number, hlen: number): boolean {
  const optEnd = t + hlen;
  let cp = t + 20;
  while (cp < optEnd) {
    const opt = f[cp];
    if (opt === 0) return true;
    if (opt === 1) {
      cp++;
      continue;
    }
    if (cp + 1 >= optEnd) return false;
    const len = f[cp + 1];
    if (cp + len > optEnd) return false;
    const standard =
      opt === 2 ? len === 4 : opt === 3 ? len === 3 : opt === 4 ? len === 2 : opt === 8 ? len === 10 : false;
    if (!standard && (opt !== 5 || len < 2 || (len - 2) % 8 !== 0)) return false;
    cp += len;
  }
  return true;
}

/** A 32-bit big-endian value at `i`. */
function be32(f: Uint8Array, i: number): number {
  return ((f[i] << 24) | (f[i + 1] << 16) | (f[i + 2] << 8) | f[i + 3]) >>> 0;
}

/**
 * tcp.ts tcpBody for a segment at `t` whose whole header (options included) was captured, with
 * common options only, and a payload that prints nothing (or only `: HTTP`).
 */
function fastTcp(
  seqs: TcpSeqTable,
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  t: number,
  end: number,
  length: number,
  ip: number,
  v6: boolean,
): number {
  if (end - t < 20) return -1;
  const hlen = (f[t + 12] >> 4) * 4;
  if (hlen < 20 || hlen > length || end - t < hlen) return -1;
  const sport = (f[t] << 8) | f[t + 1];
  const dport = (f[t + 2] << 8) | f[t + 3];
  const dataLen = length - hlen;
  let http = false;
  if (dataLen > 0) {
    if (sport === 80 || dport === 80 || sport === 8080 || dport === 8080) {
      // HTTP that is not a request or response line prints just `: HTTP`; the rest takes the general path.
      if (sport === 22 || dport === 22 || httpShown(f, dataLen, t + hlen, end)) return -1;
      http = true;
    } else if (sport === 22 || dport === 22 || sport === 53 || dport === 53) return -1;
  }
  if (hlen > 20 && !simpleTcpOptions(f, t, hlen)) return -1;
  // From here on the packet is printed on this path: the sequence table may be updated.
  let seq = be32(f, t + 4);
  let ack = be32(f, t + 8);
  const flags = f[t + 13];
  pos = putEnds(dv, buf, pos, f, ip, v6, sport, dport);
  pos = putWord(dv, pos, FLAG_WORDS[flags] ?? flagWord(flags));
  let rev = false;
  let thseq = 0;
  let thack = 0;
  if (flags & 0x10) {
    if (sport > dport) rev = true;
    else if (sport === dport) {
      const so = ip + (v6 ? 8 : 12);
      const n = v6 ? 16 : 4;
      for (let i = 0; i < n; i++) {
        if (f[so + i] !== f[so + n + i]) {
          rev = f[so + i] > f[so + n + i];
          break;
        }
      }
    }
    // The conversation's bases: IPv4 ones by entry index (no object), IPv6 ones from the table's Map.
    let found = false;
    if (!v6) {
      const i = seqs.find4(f, ip, rev, sport, dport);
      if (i >= 0) {
        found = true;
        thseq = seqs.seqAt(i);
        thack = seqs.ackAt(i);
      }
    } else {
      const th = seqs.get(f, rev, sport, dport, ip);
      if (th !== undefined) {
        found = true;
        thseq = th.seq;
        thack = th.ack;
      }
    }
    if (!found || flags & 0x02) {
      thseq = rev ? (ack - 1) >>> 0 : seq;
      thack = rev ? seq : (ack - 1) >>> 0;
      if (!v6) seqs.store4(f, ip, rev, sport, dport, thseq, thack);
      else seqs.set(f, rev, sport, dport, { seq: thseq, ack: thack }, ip);
    } else if (rev) {
      seq = (seq - thack) >>> 0;
      ack = (ack - thseq) >>> 0;
    } else {
      seq = (seq - thseq) >>> 0;
      ack = (ack - thack) >>> 0;
    }
  }
  if (dataLen > 0 || flags & 0x07) {
    pos = putWord(dv, pos, W_SEQ);
    pos = putUintDv(dv, buf, pos, seq);
    if (dataLen > 0) {
      buf[pos++] = 0x3a;
      pos = putUintDv(dv, buf, pos, (seq + dataLen) >>> 0);
    }
  }
  if (flags & 0x10) {
    pos = putWord(dv, pos, W_ACK);
    pos = putUintDv(dv, buf, pos, ack);
  }
  pos = putWord(dv, pos, W_WIN);
  pos = putUintDv(dv, buf, pos, (f[t + 14] << 8) | f[t + 15]);
  if (flags & 0x20) {
    pos = putWord(dv, pos, W_URG);
    pos = putUintDv(dv, buf, pos, (f[t + 18] << 8) | f[t + 19]);
  }
  if (hlen === 32 && f[t + 20] === 1 && f[t + 21] === 1 && f[t + 22] === 8 && f[t + 23] === 10) {
    // The usual options of an established connection, `nop,nop,TS`, in one go.
    pos = putWord(dv, pos, W_OPTIONS_NOP_NOP_TS);
    pos = putUintDv(dv, buf, pos, be32(f, t + 24));
    pos = putWord(dv, pos, W_ECR);
    pos = putUintDv(dv, buf, pos, be32(f, t + 28));
    buf[pos++] = 0x5d;
  } else if (hlen > 20) {
    pos = putWord(dv, pos, W_OPTIONS);
    const optEnd = t + hlen;
    let cp = t + 20;
    while (cp < optEnd) {
      if (cp > t + 20) buf[pos++] = 0x2c;
      const opt = f[cp];
      if (opt === 0) {
        dv.setInt32(pos, W_EOL, true);
        pos += 3;
        break;
      }
      if (opt === 1) {
        dv.setInt32(pos, W_NOP, true);
        pos += 3;
        cp++;
        continue;
      }
      const len = f[cp + 1];
      const d = cp + 2;
      if (opt === 2) {
        dv.setInt32(pos, W_MSS, true);
        pos += 4;
        pos = putUintDv(dv, buf, pos, (f[d] << 8) | f[d + 1]);
      } else if (opt === 3) {
        pos = putWord(dv, pos, W_WSCALE);
        pos = putUintDv(dv, buf, pos, f[d]);
      } else if (opt === 4) {
        pos = putWord(dv, pos, W_SACKOK);
      } else if (opt === 8) {
        pos = putWord(dv, pos, W_TS);
        pos = putUintDv(dv, buf, pos, be32(f, d));
        pos = putWord(dv, pos, W_ECR);
        pos = putUintDv(dv, buf, pos, be32(f, d + 4));
      } else {
        // sack: `sack N {s:e}...`, edges relative to the base of the side being acknowledged.
        pos = putWord(dv, pos, W_SACK);
        pos = putUintDv(dv, buf, pos, (len - 2) / 8);
        buf[pos++] = 0x20;
        const base = rev ? thseq : thack;
        for (let i = d; i < cp + len; i += 8) {
          buf[pos++] = 0x7b;
          pos = putUintDv(dv, buf, pos, (be32(f, i) - base) >>> 0);
          buf[pos++] = 0x3a;
          pos = putUintDv(dv, buf, pos, (be32(f, i + 4) - base) >>> 0);
          buf[pos++] = 0x7d;
        }
      }
      cp += len;
    }
    buf[pos++] = 0x5d;
  }
  pos = putWord(dv, pos, W_LENGTH);
  pos = putUintDv(dv, buf, pos, dataLen);
  return http ? putWord(dv, pos, W_HTTP) : pos;
}

/** arp.ts for an Ethernet/IPv4 request or reply (hardware length 6, protocol length 4) at `a`. */
function fastArp(
  dv: DataView,
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  a: number,
  end: number,
  length: number,
): number {
  if (end - a < 28) return -1;
  const pro = (f[a + 2] << 8) | f[a + 3];
  const op = (f[a + 6] << 8) | f[a + 7];
  if ((pro !== 0x0800 && pro !== 0x1000) || f[a + 4] !== 6 || f[a + 5] !== 4 || (op !== 1 && op !== 2))
    return -1;
  // sha a+8, spa a+14, tha a+18, tpa a+24.
  if (op === 1) {
    pos = putWord(dv, pos, W_ARP_REQUEST);
    pos = putIp4(dv, pos, f, a + 24);
    if ((f[a + 18] | f[a + 19] | f[a + 20] | f[a + 21] | f[a + 22] | f[a + 23]) !== 0) {
      buf[pos++] = 0x20;
      buf[pos++] = 0x28;
      pos = putMac(dv, pos, f, a + 18);
      buf[pos++] = 0x29;
    }
    pos = putWord(dv, pos, W_TELL);
    pos = putIp4(dv, pos, f, a + 14);
  } else {
    pos = putWord(dv, pos, W_ARP_REPLY);
    pos = putIp4(dv, pos, f, a + 14);
    pos = putWord(dv, pos, W_IS_AT);
    pos = putMac(dv, pos, f, a + 8);
  }
  pos = putWord(dv, pos, W_LENGTH);
  return putUintDv(dv, buf, pos, length);
}

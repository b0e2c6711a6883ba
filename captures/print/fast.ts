/**
 * The fast path of the printer: the packet shapes that make up nearly all of a typical capture
 * (Ethernet + IPv4/IPv6 + TCP/UDP, ICMP echo, ARP request/reply), printed at the default options
 * straight into a byte buffer, with no intermediate strings.
 *
 * Why: the general printers build each line from template strings (many small allocations, then a
 * UTF-8 encode of the joined text), which costs several times more than the decoding itself. Here a
 * line is written byte by byte into the output buffer: numbers digit by digit, addresses from their
 * bytes, constant words from pre-encoded arrays.
 *
 * The contract: `fastPacket` either writes exactly the bytes the general printer (ether.ts, ip.ts,
 * ip6.ts, tcp.ts, udp.ts, icmp.ts, arp.ts) would produce for that packet and returns the new end, or
 * returns -1 *before changing any state* (the TCP sequence table), and the caller prints the packet
 * with the general printer. Anything unusual (truncation, bad lengths, fragments, IP options that
 * matter, TCP options other than the common ones, payloads another printer decodes such as DNS or
 * DHCP) takes the general path. `fast.test.ts` checks the two paths agree on generated packets.
 */
import type { PrintContext, TcpSeqTable } from "./context.js";
import { httpShown } from "./tcp.js";

/** The longest line `fastPacket` can write (packet number, timestamp, two IPv6 addresses, 40 bytes of TCP options), rounded up. */
export const FAST_LINE_MAX = 1024;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const W_IP = ascii("IP ");
const W_IP6 = ascii("IP6 ");
const W_SEQ = ascii(", seq ");
const W_ACK = ascii(", ack ");
const W_WIN = ascii(", win ");
const W_URG = ascii(", urg ");
const W_OPTIONS = ascii(", options [");
const W_OPTIONS_NOP_NOP_TS = ascii(", options [nop,nop,TS val ");
const W_LENGTH = ascii(", length ");
const W_UDP_LENGTH = ascii("UDP, length ");
const W_UDP_BAD = ascii("UDP, bad length ");
const W_ICMP_REQUEST = ascii("ICMP echo request, id ");
const W_ICMP_REPLY = ascii("ICMP echo reply, id ");
const W_SEQ_ICMP = ascii(", seq ");
const W_ARP_REQUEST = ascii("ARP, Request who-has ");
const W_ARP_REPLY = ascii("ARP, Reply ");
const W_TELL = ascii(" tell ");
const W_IS_AT = ascii(" is-at ");
const W_NOP = ascii("nop");
const W_EOL = ascii("eol");
const W_MSS = ascii("mss ");
const W_WSCALE = ascii("wscale ");
const W_SACKOK = ascii("sackOK");
const W_SACK = ascii("sack ");
const W_TS = ascii("TS val ");
const W_ECR = ascii(" ecr ");
const W_HTTP = ascii(": HTTP");

/** `Flags [<letters>]` for every flag byte (`none` when no bit is set), pre-encoded. */
const FLAG_WORDS: readonly Uint8Array[] = Array.from({ length: 256 }, (_, f) => {
  let s = "";
  for (let i = 0; i < 8; i++) if (f & (1 << i)) s += "FSRP.UEW"[i];
  return ascii(`Flags [${s === "" ? "none" : s}]`);
});

const HEX_DIGITS = ascii("0123456789abcdef");

function put(buf: Uint8Array, pos: number, w: Uint8Array): number {
  for (let i = 0; i < w.length; i++) buf[pos + i] = w[i];
  return pos + w.length;
}

/** Decimal digits of a non-negative integer below 2^53 (`%u`). */
export function putUint(buf: Uint8Array, pos: number, v: number): number {
  if (v > 0xffffffff) {
    // Beyond 32 bits (only a packet number could be): not worth a fast path.
    const s = String(v);
    for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + s.length;
  }
  const digits =
    v < 100000
      ? v < 100
        ? v < 10
          ? 1
          : 2
        : v < 1000
          ? 3
          : v < 10000
            ? 4
            : 5
      : v < 10000000
        ? v < 1000000
          ? 6
          : 7
        : v < 100000000
          ? 8
          : v < 1000000000
            ? 9
            : 10;
  putDigits(buf, pos, v, digits);
  return pos + digits;
}

/** "00" … "99": two digits per division in `putDigits`. */
const DIGIT_PAIRS = ascii(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""));

/**
 * `v` (below 2^32) as exactly `digits` decimal digits (leading zeros if it is shorter) at `pos`,
 * written from the last digit back, two at a time.
 *
 * `(q * 0.01) >>> 0` is floor(q / 100) for every q below 2^32, with a multiplication instead of a
 * slower division: both sides are monotonic in q, and they agree at every q = 100k - 1 and 100k
 * (checked for all k once, and by fast.test.ts for random ones), so they agree everywhere between.
 */
function putDigits(buf: Uint8Array, pos: number, v: number, digits: number): void {
  let q = v;
  let i = pos + digits;
  while (i - pos >= 2) {
    const next = (q * 0.01) >>> 0;
    const r = (q - next * 100) * 2;
    buf[i - 1] = DIGIT_PAIRS[r + 1];
    buf[i - 2] = DIGIT_PAIRS[r];
    i -= 2;
    q = next;
  }
  if (i > pos) buf[pos] = 48 + (q % 10);
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Decimal with leading zeros to at least `width` (at most 9) digits (`%0*u`: a timestamp fraction). */
export function putUintZero(buf: Uint8Array, pos: number, v: number, width: number): number {
  if (v >= POW10[width]) return putUint(buf, pos, v);
  putDigits(buf, pos, v, width);
  return pos + width;
}

/** One byte as `%u` (an IPv4 address part). */
function putByte(buf: Uint8Array, pos: number, v: number): number {
  if (v >= 100) {
    const h = (v / 100) | 0;
    const t = ((v - h * 100) / 10) | 0;
    buf[pos] = 48 + h;
    buf[pos + 1] = 48 + t;
    buf[pos + 2] = 48 + v - h * 100 - t * 10;
    return pos + 3;
  }
  if (v >= 10) {
    const t = (v / 10) | 0;
    buf[pos] = 48 + t;
    buf[pos + 1] = 48 + v - t * 10;
    return pos + 2;
  }
  buf[pos] = 48 + v;
  return pos + 1;
}

/** Dotted quad of the 4 bytes at `off`. */
function putIp4(buf: Uint8Array, pos: number, b: Uint8Array, off: number): number {
  pos = putByte(buf, pos, b[off]);
  buf[pos++] = 0x2e;
  pos = putByte(buf, pos, b[off + 1]);
  buf[pos++] = 0x2e;
  pos = putByte(buf, pos, b[off + 2]);
  buf[pos++] = 0x2e;
  return putByte(buf, pos, b[off + 3]);
}

/** `%x` of a 16-bit group. */
function putHex16(buf: Uint8Array, pos: number, v: number): number {
  if (v >= 0x1000) buf[pos++] = HEX_DIGITS[v >> 12];
  if (v >= 0x100) buf[pos++] = HEX_DIGITS[(v >> 8) & 15];
  if (v >= 0x10) buf[pos++] = HEX_DIGITS[(v >> 4) & 15];
  buf[pos++] = HEX_DIGITS[v & 15];
  return pos;
}

/** RFC 5952 text of the 16 bytes at `off`, byte for byte what wire/addr.ts formatIpv6Bytes returns. */
export function putIp6(buf: Uint8Array, pos: number, b: Uint8Array, off: number): number {
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
    if (v4 && i === 6) return putIp4(buf, pos, b, off + 12);
    pos = putHex16(buf, pos, (b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
    if (i < 7) buf[pos++] = 0x3a;
  }
  return pos;
}

/** aa:bb:cc:dd:ee:ff of the 6 bytes at `off`. */
function putMac(buf: Uint8Array, pos: number, b: Uint8Array, off: number): number {
  for (let i = 0; i < 6; i++) {
    if (i > 0) buf[pos++] = 0x3a;
    const v = b[off + i];
    buf[pos] = HEX_DIGITS[v >> 4];
    buf[pos + 1] = HEX_DIGITS[v & 15];
    pos += 2;
  }
  return pos;
}

/** `src.sport > dst.dport: ` of the IP header at `ip` (IPv4 when `v6` is false). */
function putEnds(
  buf: Uint8Array,
  pos: number,
  f: Uint8Array,
  ip: number,
  v6: boolean,
  sport: number,
  dport: number,
): number {
  pos = v6 ? putIp6(buf, pos, f, ip + 8) : putIp4(buf, pos, f, ip + 12);
  buf[pos++] = 0x2e;
  pos = putUint(buf, pos, sport);
  buf[pos++] = 0x20;
  buf[pos++] = 0x3e;
  buf[pos++] = 0x20;
  pos = v6 ? putIp6(buf, pos, f, ip + 24) : putIp4(buf, pos, f, ip + 16);
  buf[pos++] = 0x2e;
  pos = putUint(buf, pos, dport);
  buf[pos++] = 0x3a;
  buf[pos++] = 0x20;
  return pos;
}

// The functions below work on the whole frame `f` with offsets instead of sub-views (one fewer
// allocation per layer): a layer starts at its offset, and `end` is where its captured bytes end,
// the same limit as the `byteLength` of the view the general printer hands that layer.

/**
 * Ethernet frame `f` (captured bytes) of on-wire length `length` at the default options (no -v, -e,
 * -q, -x, -X, -A). Writes the decoded packet (no timestamp, no newline) at `pos` and returns the new
 * end, or -1, with nothing changed, when the general printer must print it.
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
  if (type === 0x0800) return fastIp4(p.tcpSeq, buf, pos, f, start + 14, end, length - 14);
  if (type === 0x86dd) return fastIp6(p.tcpSeq, buf, pos, f, start + 14, end, length - 14);
  if (type === 0x0806) return fastArp(buf, pos, f, start + 14, end, length - 14);
  return -1;
}

/** ip.ts ipBody for an unfragmented datagram carrying TCP, UDP or ICMP echo. */
function fastIp4(
  seqs: TcpSeqTable,
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
  pos = put(buf, pos, W_IP);
  if (proto === 6) return fastTcp(seqs, buf, pos, f, ip + hlen, end, len - hlen, ip, false);
  if (proto === 17) return fastUdp(buf, pos, f, ip + hlen, end, len - hlen, ip, false, fragmented);
  if (proto === 1) return fastIcmpEcho(buf, pos, f, ip + hlen, end, len - hlen, ip);
  return -1;
}

/** ip6.ts ip6Body for a 40-byte header followed directly by TCP or UDP (no extension headers, no jumbogram). */
function fastIp6(
  seqs: TcpSeqTable,
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
  pos = put(buf, pos, W_IP6);
  return nh === 6
    ? fastTcp(seqs, buf, pos, f, ip + 40, end, plen, ip, true)
    : fastUdp(buf, pos, f, ip + 40, end, plen, ip, true, false);
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
  pos = putEnds(buf, pos, f, ip, v6, sport, dport);
  if (ulen > length && !fragmented) {
    pos = put(buf, pos, W_UDP_BAD);
    pos = putUint(buf, pos, ulen);
    buf[pos++] = 0x20;
    buf[pos++] = 0x3e;
    buf[pos++] = 0x20;
    return putUint(buf, pos, length);
  }
  pos = put(buf, pos, W_UDP_LENGTH);
  return putUint(buf, pos, ulen);
}

/** icmp.ts for an echo request or reply at `c` whose first 8 bytes were captured. */
function fastIcmpEcho(
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
  pos = putIp4(buf, pos, f, ip + 12);
  buf[pos++] = 0x20;
  buf[pos++] = 0x3e;
  buf[pos++] = 0x20;
  pos = putIp4(buf, pos, f, ip + 16);
  buf[pos++] = 0x3a;
  buf[pos++] = 0x20;
  pos = put(buf, pos, type === 8 ? W_ICMP_REQUEST : W_ICMP_REPLY);
  pos = putUint(buf, pos, (f[c + 4] << 8) | f[c + 5]);
  pos = put(buf, pos, W_SEQ_ICMP);
  pos = putUint(buf, pos, (f[c + 6] << 8) | f[c + 7]);
  pos = put(buf, pos, W_LENGTH);
  return putUint(buf, pos, plen);
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
      if (sport === 22 || dport === 22 || httpShown(f.subarray(t + hlen, end), dataLen)) return -1;
      http = true;
    } else if (sport === 22 || dport === 22 || sport === 53 || dport === 53) return -1;
  }
  if (hlen > 20 && !simpleTcpOptions(f, t, hlen)) return -1;
  // From here on the packet is printed on this path: the sequence table may be updated.
  let seq = be32(f, t + 4);
  let ack = be32(f, t + 8);
  const flags = f[t + 13];
  pos = putEnds(buf, pos, f, ip, v6, sport, dport);
  pos = put(buf, pos, FLAG_WORDS[flags]);
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
    const th = seqs.get(f, rev, sport, dport, ip);
    if (th === undefined || flags & 0x02) {
      const e = rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 };
      seqs.set(f, rev, sport, dport, e, ip);
      thseq = e.seq;
      thack = e.ack;
    } else {
      if (rev) {
        seq = (seq - th.ack) >>> 0;
        ack = (ack - th.seq) >>> 0;
      } else {
        seq = (seq - th.seq) >>> 0;
        ack = (ack - th.ack) >>> 0;
      }
      thseq = th.seq;
      thack = th.ack;
    }
  }
  if (dataLen > 0 || flags & 0x07) {
    pos = put(buf, pos, W_SEQ);
    pos = putUint(buf, pos, seq);
    if (dataLen > 0) {
      buf[pos++] = 0x3a;
      pos = putUint(buf, pos, (seq + dataLen) >>> 0);
    }
  }
  if (flags & 0x10) {
    pos = put(buf, pos, W_ACK);
    pos = putUint(buf, pos, ack);
  }
  pos = put(buf, pos, W_WIN);
  pos = putUint(buf, pos, (f[t + 14] << 8) | f[t + 15]);
  if (flags & 0x20) {
    pos = put(buf, pos, W_URG);
    pos = putUint(buf, pos, (f[t + 18] << 8) | f[t + 19]);
  }
  if (hlen === 32 && f[t + 20] === 1 && f[t + 21] === 1 && f[t + 22] === 8 && f[t + 23] === 10) {
    // The usual options of an established connection, `nop,nop,TS`, in one go.
    pos = put(buf, pos, W_OPTIONS_NOP_NOP_TS);
    pos = putUint(buf, pos, be32(f, t + 24));
    pos = put(buf, pos, W_ECR);
    pos = putUint(buf, pos, be32(f, t + 28));
    buf[pos++] = 0x5d;
  } else if (hlen > 20) {
    pos = put(buf, pos, W_OPTIONS);
    const optEnd = t + hlen;
    let cp = t + 20;
    while (cp < optEnd) {
      if (cp > t + 20) buf[pos++] = 0x2c;
      const opt = f[cp];
      if (opt === 0) {
        pos = put(buf, pos, W_EOL);
        break;
      }
      if (opt === 1) {
        pos = put(buf, pos, W_NOP);
        cp++;
        continue;
      }
      const len = f[cp + 1];
      const d = cp + 2;
      if (opt === 2) {
        pos = put(buf, pos, W_MSS);
        pos = putUint(buf, pos, (f[d] << 8) | f[d + 1]);
      } else if (opt === 3) {
        pos = put(buf, pos, W_WSCALE);
        pos = putUint(buf, pos, f[d]);
      } else if (opt === 4) {
        pos = put(buf, pos, W_SACKOK);
      } else if (opt === 8) {
        pos = put(buf, pos, W_TS);
        pos = putUint(buf, pos, be32(f, d));
        pos = put(buf, pos, W_ECR);
        pos = putUint(buf, pos, be32(f, d + 4));
      } else {
        // sack: `sack N {s:e}...`, edges relative to the base of the side being acknowledged.
        pos = put(buf, pos, W_SACK);
        pos = putUint(buf, pos, (len - 2) / 8);
        buf[pos++] = 0x20;
        const base = rev ? thseq : thack;
        for (let i = d; i < cp + len; i += 8) {
          buf[pos++] = 0x7b;
          pos = putUint(buf, pos, (be32(f, i) - base) >>> 0);
          buf[pos++] = 0x3a;
          pos = putUint(buf, pos, (be32(f, i + 4) - base) >>> 0);
          buf[pos++] = 0x7d;
        }
      }
      cp += len;
    }
    buf[pos++] = 0x5d;
  }
  pos = put(buf, pos, W_LENGTH);
  pos = putUint(buf, pos, dataLen);
  return http ? put(buf, pos, W_HTTP) : pos;
}

/** arp.ts for an Ethernet/IPv4 request or reply (hardware length 6, protocol length 4) at `a`. */
function fastArp(
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
    pos = put(buf, pos, W_ARP_REQUEST);
    pos = putIp4(buf, pos, f, a + 24);
    if ((f[a + 18] | f[a + 19] | f[a + 20] | f[a + 21] | f[a + 22] | f[a + 23]) !== 0) {
      buf[pos++] = 0x20;
      buf[pos++] = 0x28;
      pos = putMac(buf, pos, f, a + 18);
      buf[pos++] = 0x29;
    }
    pos = put(buf, pos, W_TELL);
    pos = putIp4(buf, pos, f, a + 14);
  } else {
    pos = put(buf, pos, W_ARP_REPLY);
    pos = putIp4(buf, pos, f, a + 14);
    pos = put(buf, pos, W_IS_AT);
    pos = putMac(buf, pos, f, a + 8);
  }
  pos = put(buf, pos, W_LENGTH);
  return putUint(buf, pos, length);
}

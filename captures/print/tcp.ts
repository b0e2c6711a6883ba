/**
 * TCP as tcpdump 4.99.3 prints it (print-tcp.c): flags, relative sequence numbers per conversation,
 * options, checksum at -v, `-q` form, and the payload printers vnet has: DNS over TCP (53), HTTP
 * first line (80, 8080; util-print.c txtproto_print) and the SSH version line (22).
 */
import { localCatch, type PrintContext, Truncated, tcheck, u8, u16, u32 } from "./context.js";
import { printDomain } from "./domain.js";
import { cksumShouldBe, transportCksum } from "./ip.js";
import { HEX2, hex, hex4, ip4At, ip6At } from "./util.js";

const FLAG_CHARS = "FSRP.UEW";
const OPT_NAMES = new Map<number, string>([
  [0, "eol"],
  [1, "nop"],
  [2, "mss"],
  [3, "wscale"],
  [4, "sackOK"],
  [5, "sack"],
  [6, "echo"],
  [7, "echoreply"],
  [8, "TS"],
  [11, "cc"],
  [12, "ccnew"],
  [13, ""],
  [19, "md5"],
  [20, "scps"],
  [28, "uto"],
  [29, "tcp-ao"],
  [30, "mptcp"],
  [34, "tfo"],
  [254, "exp"],
]);

class BadOpt extends Error {}
/** An option's data not captured (tcpdump's LENCHECK → local `trunc:` label). */
class OptTrunc extends Error {}

/** tcpdump's LENCHECK: option data must fit the header (else [bad opt]) and the capture (else truncated). */
function lencheck(b: Uint8Array, cp: number, l: number, left: number): void {
  if (l > left) throw new BadOpt();
  if (cp + l > b.byteLength) throw new OptTrunc();
}

function flagString(f: number): string {
  let s = "";
  for (let i = 0; i < 8; i++) if (f & (1 << i)) s += FLAG_CHARS[i];
  return s === "" ? "none" : s;
}

function fastOpen(p: PrintContext, b: Uint8Array, cp: number, datalen: number, exp: boolean): void {
  if (exp) p.out("tfo");
  if (datalen === 0) p.out(" cookiereq");
  else if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) p.invalid();
  else {
    p.out(" cookie ");
    for (let i = 0; i < datalen; i++) p.out(HEX2[u8(b, cp + i)]);
  }
}

/** tcpdump's httpcmds (print-http.c): the request methods that make txtproto_print show lines. */
export const HTTP_CMDS: readonly string[] = [
  "GET",
  "PUT",
  "COPY",
  "HEAD",
  "LOCK",
  "MOVE",
  "POLL",
  "POST",
  "BCOPY",
  "BMOVE",
  "MKCOL",
  "TRACE",
  "LABEL",
  "MERGE",
  "DELETE",
  "SEARCH",
  "UNLOCK",
  "REPORT",
  "UPDATE",
  "NOTIFY",
  "BDELETE",
  "CONNECT",
  "OPTIONS",
  "CHECKIN",
  "PROPFIND",
  "CHECKOUT",
  "CCM_POST",
  "SUBSCRIBE",
  "PROPPATCH",
  "BPROPFIND",
  "BPROPPATCH",
  "UNCHECKOUT",
  "MKACTIVITY",
  "MKWORKSPACE",
  "UNSUBSCRIBE",
  "RPC_CONNECT",
  "VERSION-CONTROL",
  "BASELINE-CONTROL",
];

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;

/**
 * tcpdump's fetch_token without building the token's text (this runs for every HTTP segment): the
 * token starts at `idx`; returns the index after it and the blanks that follow it (where the next
 * token starts), or -1 where fetch_token returns NULL. The payload ends at `len`, its captured bytes
 * at `cap` (indices into `b`).
 */
function skipToken(b: Uint8Array, idx: number, len: number, cap: number): number {
  const start = idx;
  for (; idx < len; idx++) {
    if (idx >= cap) return -1;
    const c = b[idx];
    if (c >= 0x80) return -1;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return -1;
    if (idx - start + 2 > 128) return -1;
  }
  if (idx === start) return -1;
  for (; idx < len; idx++) {
    if (idx >= cap) break;
    const c = b[idx];
    if (c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return idx;
}

/** Where the token that starts at `start` ends, given `skipToken`'s result (tokens hold no blanks). */
function tokenEnd(b: Uint8Array, start: number, next: number): number {
  let e = next;
  while (e > start && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  return e;
}

/** Whether `b[s, e)`, upper-cased, is one of HTTP_CMDS. */
function isHttpCommand(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  for (const cmd of HTTP_CMDS) {
    if (cmd.length !== n) continue;
    let i = 0;
    for (; i < n; i++) {
      let c = b[s + i];
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== cmd.charCodeAt(i)) break;
    }
    if (i === n) return true;
  }
  return false;
}

/** print_txt_line: returns the index after the line, or 0. */
function txtLine(p: PrintContext, prefix: string, b: Uint8Array, idx: number, len: number): number {
  const start = idx;
  while (idx < len) {
    const c = u8(b, idx);
    if (c === 0x0a) {
      p.out(prefix + latin1(b, start, idx));
      return idx + 1;
    }
    if (c === 0x0d) {
      if (idx + 1 >= len) return 0;
      if (u8(b, idx + 1) === 0x0a) {
        p.out(prefix + latin1(b, start, idx));
        return idx + 2;
      }
      return 0;
    }
    if (!isPrint(c) && c !== 0x09) return 0;
    idx++;
  }
  p.out(prefix + latin1(b, start, idx));
  p.trunc();
  return 0;
}

function latin1(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * Whether txtproto_print shows lines of this HTTP payload (`len` bytes on the wire; the captured ones
 * are `b[off, end)`, by default all of `b`): its first token is a request method or its second a
 * 3-digit response code. Otherwise it prints only `HTTP`. Reads only captured bytes.
 */
export function httpShown(b: Uint8Array, len: number, off = 0, end = b.byteLength): boolean {
  const next = skipToken(b, off, off + len, end);
  if (next < 0) return false;
  if (isHttpCommand(b, off, tokenEnd(b, off, next))) return true;
  const after = skipToken(b, next, off + len, end);
  return (
    after >= 0 &&
    tokenEnd(b, next, after) - next === 3 &&
    isDigit(b[next]) &&
    isDigit(b[next + 1]) &&
    isDigit(b[next + 2])
  );
}

/** txtproto_print for HTTP (response code in the second token). */
function httpPrint(p: PrintContext, b: Uint8Array, len: number): void {
  p.proto = "http";
  const show = httpShown(b, len);
  p.out("HTTP");
  if (!show) return;
  if (p.opts.verbose) {
    p.out(`, length: ${len}`);
    for (let idx = 0; idx < len; ) {
      const eol = txtLine(p, "\n\t", b, idx, len);
      if (eol === 0) break;
      idx = eol;
    }
  } else txtLine(p, ": ", b, 0, len);
}

function sshPrint(p: PrintContext, b: Uint8Array, len: number): void {
  p.proto = "ssh";
  if (u8(b, 0) !== 0x53 || u8(b, 1) !== 0x53 || u8(b, 2) !== 0x48 || u8(b, 3) !== 0x2d) return;
  let idx = 4;
  while (idx < len) {
    const c = u8(b, idx);
    if (c === 0x0a) break;
    if (c === 0x0d) {
      if (idx + 1 >= len) return;
      if (u8(b, idx + 1) === 0x0a) break;
      return;
    }
    if (!isPrint(c)) return;
    idx++;
  }
  if (idx >= len) return;
  p.out(`: SSH: ${latin1(b, 0, idx)}`);
}

/** A TCP segment: `b` captured bytes from the TCP header on, `length` the IP payload length. */
export function tcpPrint(
  p: PrintContext,
  b: Uint8Array,
  length: number,
  iph: Uint8Array,
  fragmented: boolean,
): void {
  p.proto = "tcp";
  try {
    tcpBody(p, b, length, iph, fragmented);
  } catch (e) {
    localCatch(p, "tcp", e);
  }
}

function tcpBody(p: PrintContext, b: Uint8Array, length: number, iph: Uint8Array, fragmented: boolean): void {
  const v6 = iph[0] >> 4 === 6;
  const src = v6 ? ip6At(iph, 8) : ip4At(iph, 12);
  const dst = v6 ? ip6At(iph, 24) : ip4At(iph, 16);
  if (b.byteLength < 4) {
    p.out(`${src} > ${dst}:`);
    p.trunc();
    return;
  }
  const sport = u16(b, 0);
  const dport = u16(b, 2);
  if ((v6 ? iph[6] : iph[9]) === 6) p.out(`${src}.${sport} > ${dst}.${dport}: `);
  else p.out(`${sport} > ${dport}: `);
  tcheck(b, 0, 20);
  let hlen = (b[12] >> 4) * 4;
  if (hlen < 20) {
    p.out(` tcp ${length - hlen} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  let seq = u32(b, 4);
  let ack = u32(b, 8);
  const win = u16(b, 14);
  const urp = u16(b, 18);
  if (p.opts.quick) {
    p.out(`tcp ${length - hlen}`);
    if (hlen > length) p.out(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  const flags = b[13];
  p.out(`Flags [${flagString(flags)}]`);
  let rev = false;
  let thseq = 0;
  let thack = 0;
  if (flags & 0x10) {
    if (sport > dport) rev = true;
    else if (sport === dport) {
      const so = v6 ? 8 : 12;
      const n = v6 ? 16 : 4;
      const dO = so + n;
      for (let i = 0; i < n; i++) {
        if (iph[so + i] !== iph[dO + i]) {
          rev = iph[so + i] > iph[dO + i];
          break;
        }
      }
    }
    const th = p.tcpSeq.get(iph, rev, sport, dport);
    if (th === undefined || flags & 0x02) {
      const e = rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 };
      p.tcpSeq.set(iph, rev, sport, dport, e);
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
  if (hlen > length) {
    p.out(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  if (p.opts.verbose && !fragmented && length <= b.byteLength) {
    const sum = transportCksum(iph, 6, b.subarray(0, length));
    const field = u16(b, 16);
    p.out(`, cksum 0x${hex4(field)}`);
    if (sum !== 0) p.out(` (incorrect -> 0x${hex4(cksumShouldBe(field, sum))})`);
    else p.out(" (correct)");
  }
  length -= hlen;
  if (p.opts.verbose > 1 || length > 0 || flags & 0x07) {
    p.out(`, seq ${seq}`);
    if (length > 0) p.out(`:${(seq + length) >>> 0}`);
  }
  if (flags & 0x10) p.out(`, ack ${ack}`);
  p.out(`, win ${win}`);
  if (flags & 0x20) p.out(`, urg ${urp}`);
  if (hlen > 20) {
    let ch = "";
    let left = hlen - 20;
    let cp = 20;
    p.out(", options [");
    try {
      while (left > 0) {
        p.out(ch);
        const opt = u8(b, cp);
        cp++;
        let len: number;
        if (opt === 0 || opt === 1) len = 1;
        else {
          len = u8(b, cp);
          cp++;
          if (len < 2 || len > left) throw new BadOpt();
          left--;
        }
        left--;
        let datalen = 0;
        p.out(OPT_NAMES.get(opt) ?? `unknown-${opt}`);
        switch (opt) {
          case 2:
            datalen = 2;
            lencheck(b, cp, 2, left);
            p.out(` ${u16(b, cp)}`);
            break;
          case 3:
            datalen = 1;
            lencheck(b, cp, 1, left);
            p.out(` ${u8(b, cp)}`);
            break;
          case 5:
            datalen = len - 2;
            if (datalen % 8 !== 0) p.out(" invalid sack");
            else {
              p.out(` ${datalen / 8} `);
              for (let i = 0; i < datalen; i += 8) {
                lencheck(b, cp, i + 4, left);
                let s = u32(b, cp + i);
                lencheck(b, cp, i + 8, left);
                let e = u32(b, cp + i + 4);
                const base = rev ? thseq : thack;
                s = (s - base) >>> 0;
                e = (e - base) >>> 0;
                p.out(`{${s}:${e}}`);
              }
            }
            break;
          case 11:
          case 12:
          case 13:
          case 6:
          case 7:
            datalen = 4;
            lencheck(b, cp, 4, left);
            p.out(` ${u32(b, cp)}`);
            break;
          case 8:
            datalen = 8;
            lencheck(b, cp, 8, left);
            p.out(` val ${u32(b, cp)} ecr ${u32(b, cp + 4)}`);
            break;
          case 19:
            datalen = 16;
            lencheck(b, cp, 16, left);
            p.out(" ");
            // tcp_verify_signature without a -M secret.
            p.out(
              (b[12] >> 4) * 4 + length > b.byteLength
                ? "snaplen too short, can't check - "
                : "shared secret not supplied with -M, can't check - ",
            );
            for (let i = 0; i < 16; i++) p.out(HEX2[u8(b, cp + i)]);
            break;
          case 20:
            datalen = 2;
            lencheck(b, cp, 2, left);
            p.out(` cap ${HEX2[u8(b, cp)]} id ${u8(b, cp + 1)}`);
            break;
          case 29:
            datalen = len - 2;
            if (datalen < 2) p.invalid();
            else {
              lencheck(b, cp, 1, left);
              p.out(` keyid ${u8(b, cp)}`);
              lencheck(b, cp, 2, left);
              p.out(` rnextkeyid ${u8(b, cp + 1)}`);
              if (datalen > 2) {
                p.out(" mac 0x");
                for (let i = 2; i < datalen; i++) {
                  lencheck(b, cp, i + 1, left);
                  p.out(HEX2[u8(b, cp + i)]);
                }
              }
            }
            break;
          case 0:
          case 1:
          case 4:
            break;
          case 28: {
            datalen = 2;
            lencheck(b, cp, 2, left);
            let uto = u16(b, cp);
            p.out(` 0x${hex(uto)}`);
            uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
            p.out(` ${uto}`);
            break;
          }
          case 34:
            datalen = len - 2;
            lencheck(b, cp, datalen, left);
            p.out(" ");
            fastOpen(p, b, cp, datalen, false);
            break;
          case 254: {
            datalen = len - 2;
            lencheck(b, cp, datalen, left);
            if (datalen < 2) throw new BadOpt();
            const magic = u16(b, cp);
            p.out("-");
            if (magic === 0xf989) fastOpen(p, b, cp + 2, datalen - 2, true);
            else p.out(hex4(magic));
            break;
          }
          default:
            // MPTCP (30) is not decoded: shown as raw bytes like an unknown option.
            datalen = len - 2;
            if (datalen) p.out(" 0x");
            for (let i = 0; i < datalen; i++) {
              lencheck(b, cp, i + 1, left);
              p.out(HEX2[u8(b, cp + i)]);
            }
        }
        cp += datalen;
        left -= datalen;
        datalen++;
        if (opt !== 0 && opt !== 1) datalen++;
        if (datalen !== len) p.out(`[len ${len}]`);
        ch = ",";
        if (opt === 0) break;
      }
    } catch (e) {
      if (e instanceof BadOpt) {
        p.out("[bad opt]");
        if (ch !== "") p.out("]");
        return;
      }
      if (e instanceof OptTrunc) {
        p.trunc();
        if (ch !== "") p.out(">");
        return;
      }
      throw e;
    }
    p.out("]");
  }
  p.out(`, length ${length}`);
  if (length === 0) return;
  hlen = (b[12] >> 4) * 4;
  if (b.byteLength < hlen) {
    p.out(` [remaining caplen(${b.byteLength}) < header length(${hlen})]`);
    throw new Truncated(b.byteLength);
  }
  const data = b.subarray(hlen);
  const port = (n: number): boolean => sport === n || dport === n;
  if (flags & 0x04 && p.opts.verbose) {
    rstData(p, data, length);
    return;
  }
  if (port(22)) sshPrint(p, data, length);
  else if (port(80) || port(8080)) {
    p.out(": ");
    httpPrint(p, data, length);
  } else if (port(53)) printDomain(p, data, length, true);
}

function rstData(p: PrintContext, b: Uint8Array, length: number): void {
  p.out(length <= b.byteLength ? " [RST" : " [!RST");
  if (length > 30) {
    length = 30;
    p.out("+");
  }
  p.out(" ");
  for (let i = 0; i < length && i < b.byteLength; i++) {
    const c = b[i];
    let s = "";
    let x = c;
    if (x & 0x80) {
      s += "M-";
      x &= 0x7f;
    }
    if (x < 0x20 || x === 0x7f) s += `^${String.fromCharCode(x ^ 0x40)}`;
    else s += String.fromCharCode(x);
    p.out(s);
  }
  p.out("]");
}

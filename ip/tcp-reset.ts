/**
 * The reset a host without TCP sends back to a TCP segment for one of its addresses where nothing
 * listens — Linux tcp_v4_send_reset (RFC 793 "reset generation"): never about a RST; to a segment with
 * ACK, RST with seq = its ack; otherwise RST+ACK with seq 0 and ack = seq + data length (+1 for SYN,
 * +1 for FIN). No options, window 0. vnet's IP stack has no TCP, so every port is closed.
 */
import type { Ipv4 } from "../wire/addr.js";
import { l4ChecksumAt } from "./packet.js";

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** TCP header length of the reset. */
export const TCP_RESET_LEN = 20;

/**
 * Checks the TCP segment at `p[hl .. p.length)` (an IPv4 packet from `src` to `dst`, header length
 * `hl`) and, when it deserves a reset, writes the 20-byte reset segment (from `dst` back to `src`,
 * checksum filled) at `out[at ..]` and returns true. False for a RST, a truncated or malformed header,
 * or a bad checksum (Linux drops those: tcp_v4_rcv's bad_packet / csum_error).
 */
export function writeTcpReset(
  p: Uint8Array,
  hl: number,
  src: Ipv4,
  dst: Ipv4,
  out: Uint8Array,
  at: number,
): boolean {
  const len = p.length - hl;
  if (len < 20) return false;
  const doff = (p[hl + 12] >>> 4) * 4;
  if (doff < 20 || doff > len) return false;
  if (l4ChecksumAt(p, hl, len, src, dst, 6) !== 0) return false;
  const flags = p[hl + 13];
  if ((flags & RST) !== 0) return false;
  out.fill(0, at, at + TCP_RESET_LEN);
  out[at] = p[hl + 2];
  out[at + 1] = p[hl + 3];
  out[at + 2] = p[hl];
  out[at + 3] = p[hl + 1];
  if ((flags & ACK) !== 0) {
    out.set(p.subarray(hl + 8, hl + 12), at + 4);
    out[at + 13] = RST;
  } else {
    const seq = ((p[hl + 4] << 24) | (p[hl + 5] << 16) | (p[hl + 6] << 8) | p[hl + 7]) >>> 0;
    const ack = (seq + (len - doff) + ((flags & SYN) !== 0 ? 1 : 0) + ((flags & FIN) !== 0 ? 1 : 0)) >>> 0;
    out[at + 8] = ack >>> 24;
    out[at + 9] = (ack >>> 16) & 0xff;
    out[at + 10] = (ack >>> 8) & 0xff;
    out[at + 11] = ack & 0xff;
    out[at + 13] = RST | ACK;
  }
  out[at + 12] = 0x50;
  const c = l4ChecksumAt(out, at, TCP_RESET_LEN, dst, src, 6);
  out[at + 16] = c >>> 8;
  out[at + 17] = c & 0xff;
  return true;
}

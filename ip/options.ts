/**
 * IPv4 options on received datagrams (Linux ip_rcv_options → ip_options_compile, ip_forward_options).
 * `checkOptions` validates them as Linux does on input: a malformed option is answered with ICMP
 * parameter problem pointing at the offending byte, a source route (LSRR/SSRR) is dropped without a
 * word (accept_source_route=0, Linux's default). `forwardOptions` fills in Record Route (RFC 791 type 7)
 * on a forwarded datagram: the outgoing address goes into its next free slot and the pointer advances by
 * 4; a full Record Route is left as it is. Timestamp options are passed through unchanged and not
 * validated (filling them in would need the wall clock).
 */
import { type Ipv4, writeIpv4 } from "../wire/addr.js";
import { fillIpv4Checksum } from "./packet.js";

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_RR = 7;
const OPT_LSRR = 131;
const OPT_SSRR = 137;
const OPT_RA = 148;

/** `checkOptions`: the options are acceptable. */
export const OPTIONS_OK = -1;
/** `checkOptions`: a source route option; Linux (accept_source_route=0) drops the datagram silently. */
export const OPTIONS_SOURCE_ROUTE = -2;

/**
 * Validates the options of the header at `p[at..]` as ip_options_compile does for a received datagram.
 * Returns OPTIONS_OK, OPTIONS_SOURCE_ROUTE, or the offset (from the start of the IP header) of the
 * offending byte: the datagram is then dropped with ICMP parameter problem carrying that pointer.
 */
export function checkOptions(p: Uint8Array, at: number): number {
  const end = at + (p[at] & 0x0f) * 4;
  let i = at + 20;
  let rr = false;
  let srr = false;
  while (i < end) {
    const type = p[i];
    if (type === OPT_EOL) break;
    if (type === OPT_NOP) {
      i++;
      continue;
    }
    if (end - i < 2) return i - at;
    const len = p[i + 1];
    if (len < 2 || len > end - i) return i - at;
    if (type === OPT_LSRR || type === OPT_SSRR) {
      if (len < 3) return i + 1 - at;
      if (p[i + 2] < 4) return i + 2 - at;
      if (srr) return i - at;
      srr = true;
    } else if (type === OPT_RR) {
      if (rr) return i - at;
      if (len < 3) return i + 1 - at;
      if (p[i + 2] < 4) return i + 2 - at;
      if (p[i + 2] <= len && p[i + 2] + 3 > len) return i + 2 - at;
      rr = true;
    } else if (type === OPT_RA) {
      if (len < 4) return i + 1 - at;
    }
    i += len;
  }
  return srr ? OPTIONS_SOURCE_ROUTE : OPTIONS_OK;
}

/**
 * Fills in Record Route in the header at `p[at..]` for a datagram forwarded out of an interface whose
 * address is `addr`, and recomputes the header checksum when it changed anything. Returns whether it
 * did. A malformed option list stops the walk (the datagram is forwarded as it is).
 */
export function forwardOptions(p: Uint8Array, at: number, addr: Ipv4): boolean {
  const end = at + (p[at] & 0x0f) * 4;
  let i = at + 20;
  let changed = false;
  while (i < end) {
    const type = p[i];
    if (type === OPT_EOL) break;
    if (type === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) break;
    const len = p[i + 1];
    if (len < 2 || i + len > end) break;
    if (type === OPT_RR && len >= 3) {
      const ptr = p[i + 2];
      if (ptr >= 4 && ptr + 3 <= len) {
        writeIpv4(p, i + ptr - 1, addr);
        p[i + 2] = ptr + 4;
        changed = true;
      }
    }
    i += len;
  }
  if (changed) fillIpv4Checksum(p, at);
  return changed;
}

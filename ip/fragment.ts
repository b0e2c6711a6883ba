import { internetChecksum } from "../wire/checksum.js";

/**
 * IPv4 fragmentation as Linux's ip_do_fragment (slow path; the fast path yields the same layout):
 * every fragment carries the original header, at most `mtu` bytes in all, a payload that is a
 * multiple of 8 except in the last one; the first fragment keeps every option, later ones keep the
 * options whose "copied" bit is set and the others are overwritten with NOPs (ip_options_fragment),
 * so all fragments have the same header length. The fragment offsets add to the packet's own (a
 * fragment can be fragmented again); MF is set on all but the last, which keeps the original MF.
 * DF is cleared (Linux rewrites frag_off). Header checksums are recomputed.
 *
 * Each fragment is returned in a new buffer with `headroom` spare bytes in front (room for an
 * Ethernet header); the IPv4 packet is `buf.subarray(headroom)`. Returns null when the MTU cannot hold
 * the header plus 8 bytes of payload.
 */
export function fragmentPacket(packet: Uint8Array, mtu: number, headroom: number): Uint8Array[] | null {
  const hl = (packet[0] & 0x0f) * 4;
  const total = (packet[2] << 8) | packet[3];
  const word = (packet[6] << 8) | packet[7];
  const baseOffset = (word & 0x1fff) * 8;
  const notLastFrag = (word & 0x2000) !== 0;
  let room = mtu - hl;
  if (room < 8) return null;
  const out: Uint8Array[] = [];
  let left = total - hl;
  let ptr = hl;
  let offset = 0;
  let header = packet.subarray(0, hl);
  while (left > 0) {
    let len = Math.min(left, room);
    if (len < left) len &= ~7;
    const buf = new Uint8Array(headroom + hl + len);
    buf.set(header, headroom);
    buf.set(packet.subarray(ptr, ptr + len), headroom + hl);
    const h = headroom;
    const fragOff = (baseOffset + offset) / 8;
    const mf = left - len > 0 || notLastFrag;
    const w = (fragOff & 0x1fff) | (mf ? 0x2000 : 0);
    buf[h + 6] = w >>> 8;
    buf[h + 7] = w & 0xff;
    const tl = hl + len;
    buf[h + 2] = tl >>> 8;
    buf[h + 3] = tl & 0xff;
    buf[h + 10] = 0;
    buf[h + 11] = 0;
    const c = internetChecksum(buf.subarray(h, h + hl));
    buf[h + 10] = c >>> 8;
    buf[h + 11] = c & 0xff;
    out.push(buf);
    if (offset === 0 && hl > 20) header = fragmentOptions(header);
    left -= len;
    ptr += len;
    offset += len;
    room = mtu - hl;
  }
  return out;
}

/** ip_options_fragment: a copy of the header whose non-copied options are replaced by NOPs. */
export function fragmentOptions(header: Uint8Array): Uint8Array {
  const h = header.slice();
  let i = 20;
  while (i < h.length) {
    const t = h[i];
    if (t === 0) break; // EOL
    if (t === 1) {
      i++;
      continue;
    }
    if (i + 1 >= h.length) break;
    const l = h[i + 1];
    if (l < 2 || i + l > h.length) break;
    if ((t & 0x80) === 0) h.fill(1, i, i + l);
    i += l;
  }
  return h;
}

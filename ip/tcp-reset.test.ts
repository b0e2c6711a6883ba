import { describe, expect, it } from "vitest";
import { parseIpv4Address } from "../wire/addr.js";
import { l4ChecksumAt } from "./packet.js";
import { TCP_RESET_LEN, writeTcpReset } from "./tcp-reset.js";

const A = parseIpv4Address("10.0.2.15");
const R = parseIpv4Address("10.0.2.2");

/** An IPv4 header (20 bytes, only what writeTcpReset reads) + a TCP segment with checksum. */
function segment(o: {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  data?: number;
}): Uint8Array {
  const n = o.data ?? 0;
  const p = new Uint8Array(20 + 20 + n);
  p[0] = 0x45;
  const t = 20;
  p[t] = o.sport >> 8;
  p[t + 1] = o.sport & 0xff;
  p[t + 2] = o.dport >> 8;
  p[t + 3] = o.dport & 0xff;
  new DataView(p.buffer).setUint32(t + 4, o.seq);
  new DataView(p.buffer).setUint32(t + 8, o.ack);
  p[t + 12] = 0x50;
  p[t + 13] = o.flags;
  p[t + 14] = 0xfa;
  for (let i = 0; i < n; i++) p[40 + i] = i;
  const c = l4ChecksumAt(p, 20, p.length - 20, A, R, 6);
  p[t + 16] = c >> 8;
  p[t + 17] = c & 0xff;
  return p;
}

function reset(p: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(TCP_RESET_LEN + 4).fill(0xa5);
  return writeTcpReset(p, 20, A, R, out, 2) ? out.subarray(2, 2 + TCP_RESET_LEN) : null;
}

describe("writeTcpReset (Linux tcp_v4_send_reset)", () => {
  it("answers a SYN with RST+ACK, seq 0, ack = seq + 1, ports swapped, window 0, checksum valid", () => {
    const r = reset(segment({ sport: 45001, dport: 22, seq: 1000, ack: 0, flags: 0x02 }));
    expect(r).not.toBeNull();
    const v = new DataView(r!.buffer, r!.byteOffset);
    expect([
      v.getUint16(0),
      v.getUint16(2),
      v.getUint32(4),
      v.getUint32(8),
      r![12],
      r![13],
      v.getUint16(14),
    ]).toEqual([22, 45001, 0, 1001, 0x50, 0x14, 0]);
    expect(l4ChecksumAt(r!, 0, TCP_RESET_LEN, R, A, 6)).toBe(0);
  });

  it("answers a segment with ACK with a plain RST whose seq is that ack", () => {
    const r = reset(segment({ sport: 1, dport: 80, seq: 5, ack: 77, flags: 0x10 }));
    const v = new DataView(r!.buffer, r!.byteOffset);
    expect([v.getUint32(4), v.getUint32(8), r![13]]).toEqual([77, 0, 0x04]);
  });

  it("counts data and FIN in the ack, wrapping at 2^32", () => {
    const r = reset(segment({ sport: 1, dport: 443, seq: 0xfffffff0, ack: 0, flags: 0x09, data: 10 }));
    expect(new DataView(r!.buffer, r!.byteOffset).getUint32(8)).toBe(0xfffffffb);
  });

  it("never answers a RST, a truncated or malformed header, or a bad checksum", () => {
    expect(reset(segment({ sport: 1, dport: 2, seq: 3, ack: 0, flags: 0x04 }))).toBeNull();
    expect(reset(segment({ sport: 1, dport: 2, seq: 3, ack: 0, flags: 0x02 }).subarray(0, 39))).toBeNull();
    const bad = segment({ sport: 1, dport: 2, seq: 3, ack: 0, flags: 0x02 });
    bad[20 + 12] = 0x40; // data offset 16 bytes
    expect(reset(bad)).toBeNull();
    const csum = segment({ sport: 1, dport: 2, seq: 3, ack: 0, flags: 0x02 });
    csum[20 + 16] ^= 1;
    expect(reset(csum)).toBeNull();
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { ms, s } from "../sim/time.js";
import { Ipv4Packet, parseIpv4 } from "../wire/ipv4.js";
import { fragmentPacket } from "./fragment.js";
import { Reassembler } from "./reassembly.js";
import { IpMib } from "./stats.js";
import { hostOn, ip, ipPackets, ipv4Packet, newBridge, record, routedSetup } from "./testing.js";
import type { UdpMessage } from "./udp.js";

// Reference: Linux ip_do_fragment (net/ipv4/ip_output.c), ip_options_fragment (ip_options.c), and
// ip_frag_queue / ip_frag_reasm / ip_expire (net/ipv4/ip_fragment.c, inet_fragment.c).

function payload(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const base = { src: ip("10.0.0.1"), dst: ip("10.0.0.2"), protocol: 17, id: 0xbeef };

function parse(f: Uint8Array, headroom = 0) {
  const p = Ipv4Packet.checked(f.subarray(headroom));
  return { ...parseIpv4(p), total: p.totalLen, csum: p.verifyChecksum() };
}

function reassembler(sim = new Simulator()) {
  const mib = new IpMib();
  const timedOut: Uint8Array[] = [];
  const r = new Reassembler(sim, { mib, timedOut: (f) => timedOut.push(f) });
  return { sim, mib, r, timedOut };
}

describe("fragmentPacket (Linux ip_do_fragment)", () => {
  it("splits a 4028-byte datagram for MTU 1500 into 1500 + 1500 + 1068, payloads multiples of 8", () => {
    const pkt = ipv4Packet({ ...base, payload: payload(4008) });
    const frags = fragmentPacket(pkt, 1500, 14) as Uint8Array[];
    const ps = frags.map((f) => parse(f, 14));
    expect(ps.map((p) => [p.total, p.fragOffset, p.moreFrags, p.ident, p.dontFrag, p.csum])).toEqual([
      [1500, 0, true, 0xbeef, false, true],
      [1500, 1480, true, 0xbeef, false, true],
      [1068, 2960, false, 0xbeef, false, true],
    ]);
    expect(frags.every((f) => f.byteLength === 14 + parse(f, 14).total)).toBe(true);
  });

  it("keeps the header length; later fragments keep only copied options (others become NOPs)", () => {
    // Router Alert (0x94, copied) + Record Route (7, not copied, 3 bytes) + EOL.
    const options = new Uint8Array([0x94, 4, 0, 0, 7, 3, 4, 0]);
    const pkt = ipv4Packet({ ...base, payload: payload(1000), options });
    const frags = fragmentPacket(pkt, 600, 0) as Uint8Array[];
    expect(frags).toHaveLength(2);
    expect([...Ipv4Packet.checked(frags[0]).options]).toEqual([0x94, 4, 0, 0, 7, 3, 4, 0]);
    expect([...Ipv4Packet.checked(frags[1]).options]).toEqual([0x94, 4, 0, 0, 1, 1, 1, 0]);
    expect(frags.map((f) => parse(f).total)).toEqual([28 + 568, 28 + 432]);
  });

  it("refragmenting a middle fragment adds offsets and keeps MF on its last piece", () => {
    const pkt = ipv4Packet({ ...base, payload: payload(1480), fragOffset: 1480, mf: true });
    const frags = fragmentPacket(pkt, 576, 0) as Uint8Array[];
    expect(frags.map((f) => [parse(f).fragOffset, parse(f).moreFrags])).toEqual([
      [1480, true],
      [2032, true],
      [2584, true],
    ]);
  });

  it("refuses an MTU that cannot hold the header plus 8 bytes", () => {
    expect(fragmentPacket(ipv4Packet({ ...base, payload: payload(100) }), 27, 0)).toBeNull();
  });

  it("property: any size through any MTU, reassembled in any order, gives back the original bytes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9000 }),
        fc.integer({ min: 68, max: 9000 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.func(fc.integer()),
        (n, mtu, id, order) => {
          const pkt = ipv4Packet({ ...base, id, payload: payload(n, id) });
          if (pkt.byteLength <= mtu) return;
          const frags = fragmentPacket(pkt, mtu, 0) as Uint8Array[];
          for (const f of frags) {
            expect(f.byteLength).toBeLessThanOrEqual(mtu);
            const p = parse(f);
            expect(p.csum).toBe(true);
            if (p.moreFrags) expect(p.payloadLen % 8).toBe(0);
          }
          const shuffled = frags
            .map((f, i) => ({ f, k: order(i) }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.f);
          const { r, mib } = reassembler();
          let out: Uint8Array | null = null;
          for (const f of shuffled) {
            const x = r.add(f);
            if (x !== null) out = x;
          }
          expect(out).toEqual(pkt);
          expect(mib.ReasmOKs).toBe(1);
          expect(r.memory).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("Reassembler (Linux ip_fragment.c)", () => {
  const pkt = ipv4Packet({ ...base, payload: payload(3000) });
  const frags = fragmentPacket(pkt, 1000, 0) as Uint8Array[];

  it("reassembles in reverse order and counts ReasmReqds per fragment", () => {
    const { r, mib } = reassembler();
    const outs = [...frags].reverse().map((f) => r.add(f));
    expect(outs.slice(0, -1).every((o) => o === null)).toBe(true);
    expect(outs.at(-1)).toEqual(pkt);
    expect(mib).toMatchObject({ ReasmReqds: frags.length, ReasmOKs: 1, ReasmFails: 0 });
  });

  it("an exact duplicate is dropped and the queue kept", () => {
    const { r, mib } = reassembler();
    expect(r.add(frags[0])).toBeNull();
    expect(r.add(frags[0])).toBeNull();
    let out: Uint8Array | null = null;
    for (const f of frags.slice(1)) out = r.add(f);
    expect(out).toEqual(pkt);
    expect(mib.ReasmFails).toBe(0);
  });

  it("an overlapping fragment discards the whole datagram (RFC 5722 as Linux applies it)", () => {
    const { r, mib } = reassembler();
    r.add(frags[0]);
    const overlap = ipv4Packet({ ...base, payload: payload(200), fragOffset: 960, mf: true });
    expect(r.add(overlap)).toBeNull();
    expect(mib.ReasmOverlaps).toBe(1);
    expect(mib.ReasmFails).toBe(1);
    expect(r.queueCount).toBe(0);
    // The rest no longer completes anything (fragment 0 is gone).
    for (const f of frags.slice(1)) expect(r.add(f)).toBeNull();
  });

  it("a last fragment contradicting the known end discards the queue", () => {
    const { r, mib } = reassembler();
    r.add(frags[frags.length - 1]);
    const badLast = ipv4Packet({ ...base, payload: payload(16), fragOffset: 8000 });
    expect(r.add(badLast)).toBeNull();
    expect(mib.ReasmFails).toBe(1);
  });

  it("a datagram over 65535 bytes is refused", () => {
    const { r, mib } = reassembler();
    expect(r.add(ipv4Packet({ ...base, payload: payload(65000), mf: true }))).toBeNull();
    expect(r.add(ipv4Packet({ ...base, payload: payload(1000), fragOffset: 65000 }))).toBeNull();
    expect(mib.ReasmFails).toBe(1);
  });

  it("expires after ipfrag_time (30 s): ReasmTimeout + ReasmFails; the host is told only if fragment 0 came", () => {
    const { sim, r, mib, timedOut } = reassembler();
    r.add(frags[0]);
    r.add(ipv4Packet({ ...base, id: 7, payload: payload(16), fragOffset: 800, mf: true }));
    sim.run({ until: s(30) - 1 });
    expect(mib.ReasmTimeout).toBe(0);
    sim.run({ until: s(31) });
    expect(mib).toMatchObject({ ReasmTimeout: 2, ReasmFails: 2 });
    expect(timedOut).toEqual([frags[0]]);
    expect(r.memory).toBe(0);
  });

  it("above ipfrag_high_thresh every fragment is refused until memory frees", () => {
    const sim = new Simulator();
    const mib = new IpMib();
    const r = new Reassembler(sim, { mib, timedOut: () => {} }, { highThresh: 3000 });
    r.add(ipv4Packet({ ...base, id: 1, payload: payload(1000), mf: true }));
    r.add(ipv4Packet({ ...base, id: 2, payload: payload(1000), mf: true }));
    expect(r.memory).toBeGreaterThan(3000);
    expect(r.add(ipv4Packet({ ...base, id: 3, payload: payload(8), mf: true }))).toBeNull();
    expect(mib.ReasmFails).toBe(1);
    sim.run({ until: s(31) });
    expect(r.memory).toBe(0);
    expect(r.add(ipv4Packet({ ...base, id: 4, payload: payload(8), mf: true }))).toBeNull();
    expect(r.queueCount).toBe(1);
  });
});

describe("fragmentation and reassembly in the stack", () => {
  it("a 4000-byte UDP datagram leaves in 3 fragments without DF (PMTUDISC_WANT) and arrives whole", () => {
    const sim = new Simulator();
    const br = newBridge(sim);
    const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
    const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
    sim.run();
    const rec = record(h1.port);
    const got: UdpMessage[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m));
    const data = payload(4000);
    expect(h1.stack.udpBind({ port: 5 }).sendTo(data, ip("10.0.0.2"), 9)).toBe(true);
    sim.run({ until: ms(10) });
    expect(got.map((m) => m.data)).toEqual([data]);
    const sizes = ipPackets(rec.out).map((p) => [p.byteLength, parse(p).dontFrag]);
    expect(sizes).toEqual([
      [1500, false],
      [1500, false],
      [1068, false],
    ]);
    expect(h1.stack.stats.ip).toMatchObject({ FragOKs: 1, FragCreates: 3 });
    expect(h2.stack.stats.ip).toMatchObject({ ReasmReqds: 3, ReasmOKs: 1 });
  });

  it("with DF forced (IP_PMTUDISC_DO) a datagram above the MTU is refused (EMSGSIZE)", () => {
    const sim = new Simulator();
    const br = newBridge(sim);
    const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
    expect(h1.stack.udpBind({ port: 5 }).sendTo(payload(1473), ip("10.0.0.2"), 9, { df: true })).toBe(false);
    expect(h1.stack.udpBind({ port: 6 }).sendTo(payload(1472), ip("10.0.0.2"), 9, { df: true })).toBe(true);
  });

  it("a missing fragment: the destination sends Time Exceeded code 1 (reassembly) after 30 s", () => {
    const sim = new Simulator();
    const br = newBridge(sim);
    const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
    const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
    sim.run();
    const rec = record(h2.port);
    const pkt = ipv4Packet({
      src: ip("10.0.0.1"),
      dst: ip("10.0.0.2"),
      protocol: 17,
      payload: payload(3000),
    });
    const frags = fragmentPacket(pkt, 1500, 0) as Uint8Array[];
    h1.stack.sendIp(frags[0]);
    h1.stack.sendIp(frags[2]);
    sim.run({ until: s(31) });
    const icmp = ipPackets(rec.out).filter((p) => p[9] === 1);
    expect(icmp).toHaveLength(1);
    const q = Ipv4Packet.checked(icmp[0]);
    expect([q.payload[0], q.payload[1]]).toEqual([11, 1]);
    expect(h2.stack.stats.ip).toMatchObject({ ReasmTimeout: 1, ReasmFails: 1 });
  });
});

describe("fragmentation at a router", () => {
  it("DF clear: fragments to the outgoing MTU; DF set: frag needed with the next-hop MTU (FragFails)", () => {
    const { sim, h1, h2, r } = routedSetup({ mtu1: 1000 });
    const rec2 = record(h2.port);
    const got: number[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m.data.byteLength));
    const sock = h1.stack.udpBind({ port: 5 });
    const errs: Array<[number, number, number | undefined]> = [];
    sock.onError((e) => errs.push([e.type, e.code, e.mtu]));
    sock.sendTo(payload(1400), ip("10.0.2.2"), 9, { df: false });
    sim.run({ until: ms(10) });
    expect(got).toEqual([1400]);
    expect(ipPackets(rec2.in).map((p) => p.byteLength)).toEqual([996, 452]);
    expect(r.stack.stats.ip).toMatchObject({ FragOKs: 1, FragCreates: 2, ForwDatagrams: 1 });
    // Default socket (PMTUDISC_WANT): DF set since 1428 fits h1's 1500; the router refuses it.
    sock.sendTo(payload(1400), ip("10.0.2.2"), 9);
    sim.run({ until: ms(20) });
    expect(errs).toEqual([[3, 4, 1000]]);
    expect(r.stack.stats.ip.FragFails).toBe(1);
    // The refused datagram still counts as forwarded (Linux 6.x InForwDatagrams, before the MTU check).
    expect(r.stack.stats.ip.ForwDatagrams).toBe(2);
    expect(got).toEqual([1400]);
    // h1 learned the path MTU: the next datagram is fragmented at the source to 1000 bytes.
    expect(h1.stack.pathMtu(ip("10.0.2.2"))).toBe(1000);
    sock.sendTo(payload(1400), ip("10.0.2.2"), 9);
    sim.run({ until: ms(30) });
    expect(got).toEqual([1400, 1400]);
  });
});

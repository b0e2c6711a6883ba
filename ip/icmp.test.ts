import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { ms, s } from "../sim/time.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { Icmpv4Packet } from "../wire/icmpv4.js";
import { Ipv4Packet, parseIpv4 } from "../wire/ipv4.js";
import { IcmpRateLimiter } from "./icmp.js";
import {
  ethFrame,
  hostOn,
  ip,
  ipPackets,
  ipv4Packet,
  macN,
  newBridge,
  record,
  routedSetup,
  udpSegment,
} from "./testing.js";
import type { IcmpErrorInfo } from "./udp.js";

// Reference: Linux net/ipv4/icmp.c (__icmp_send, icmp_reply, icmpv4_xrlim_allow, icmp_global_allow)
// and net/ipv4/ip_forward.c, with default sysctls.

function lan(seed = 1) {
  const sim = new Simulator({ seed });
  const br = newBridge(sim);
  const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
  const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
  sim.run();
  return { sim, h1, h2 };
}

function icmpOf(p: Uint8Array) {
  const ipv = Ipv4Packet.checked(p);
  return { ip: parseIpv4(ipv), icmp: Icmpv4Packet.checked(ipv.payload), raw: ipv };
}

function icmpsOut(frames: Uint8Array[]) {
  return ipPackets(frames)
    .filter((p) => p[9] === 1)
    .map(icmpOf);
}

describe("ICMP destination unreachable from a host", () => {
  it("port unreachable: from the address hit, TOS 0xc0, DF clear, quoting the whole small datagram", () => {
    const { sim, h1, h2 } = lan();
    const rec = record(h2.port);
    const sock = h1.stack.udpBind({ port: 4000 });
    const errs: IcmpErrorInfo[] = [];
    sock.onError((e) => errs.push(e));
    sock.sendTo(new Uint8Array([1, 2, 3, 4]), ip("10.0.0.2"), 9);
    sim.run({ until: ms(10) });
    const [e] = icmpsOut(rec.out);
    expect(e.raw.verifyChecksum()).toBe(true);
    expect(e.icmp.verifyChecksum()).toBe(true);
    expect(e.ip).toMatchObject({
      src: ip("10.0.0.2"),
      dst: ip("10.0.0.1"),
      ttl: 64,
      dontFrag: false,
      dscp: 0x30,
    });
    expect([e.icmp.type, e.icmp.code]).toEqual([3, 3]);
    // The quoted datagram is the original IP packet, all 32 bytes (Linux quotes up to 576 - 28).
    const quoted = e.icmp.quoted;
    expect(quoted.byteLength).toBe(32);
    const q = Ipv4Packet.checked(quoted);
    expect([q.src, q.dst, q.protocol, q.totalLen]).toEqual([ip("10.0.0.1"), ip("10.0.0.2"), 17, 32]);
    expect(h2.stack.stats.udp.NoPorts).toBe(1);
    expect(h2.stack.stats.icmp.OutDestUnreachs).toBe(1);
    expect(errs).toEqual([{ from: ip("10.0.0.2"), type: 3, code: 3, dst: ip("10.0.0.2"), dstPort: 9 }]);
  });

  it("quotes at most 548 bytes of a large datagram (the error is 576 bytes)", () => {
    const { sim, h1, h2 } = lan();
    const rec = record(h2.port);
    h1.stack.udpBind({ port: 4000 }).sendTo(new Uint8Array(1000), ip("10.0.0.2"), 9);
    sim.run({ until: ms(10) });
    const [e] = icmpsOut(rec.out);
    expect(e.raw.totalLen).toBe(576);
    expect(e.icmp.quoted.byteLength).toBe(548);
    expect(e.icmp.verifyChecksum()).toBe(true);
  });

  it("protocol unreachable for an unknown protocol (InUnknownProtos), nothing when a raw handler takes it", () => {
    const { sim, h1, h2 } = lan();
    const rec = record(h2.port);
    const pkt = ipv4Packet({
      src: ip("10.0.0.1"),
      dst: ip("10.0.0.2"),
      protocol: 253,
      payload: new Uint8Array(12),
    });
    expect(h1.stack.sendIp(pkt)).toBe(true);
    sim.run({ until: ms(10) });
    expect(icmpsOut(rec.out).map((e) => [e.icmp.type, e.icmp.code])).toEqual([[3, 2]]);
    expect(h2.stack.stats.ip.InUnknownProtos).toBe(1);
    const got: number[] = [];
    h2.stack.onIpProtocol(253, (p) => got.push(p.byteLength));
    h1.stack.sendIp(pkt);
    sim.run({ until: ms(20) });
    expect(got).toEqual([32]);
    expect(icmpsOut(rec.out)).toHaveLength(1);
  });

  it("never about a broadcast (IP or link layer), a non-first fragment or an ICMP error", () => {
    const { sim, h1, h2 } = lan();
    const rec = record(h2.port);
    const udp = (dst: string) => udpSegment(ip("10.0.0.1"), ip(dst), 1, 9, new Uint8Array(4));
    const send = (frameDst: number, p: Uint8Array) =>
      h2.port.deliver(ethFrame(frameDst as never, macN(1), 0x0800, p));
    // IP broadcast to a closed port: IgnoredMulti, no error.
    send(
      MAC_BROADCAST,
      ipv4Packet({
        src: ip("10.0.0.1"),
        dst: ip("255.255.255.255"),
        protocol: 17,
        payload: udp("255.255.255.255"),
      }),
    );
    send(
      MAC_BROADCAST,
      ipv4Packet({ src: ip("10.0.0.1"), dst: ip("10.0.0.255"), protocol: 17, payload: udp("10.0.0.255") }),
    );
    // Unicast IP in a link-layer broadcast frame.
    send(
      MAC_BROADCAST,
      ipv4Packet({ src: ip("10.0.0.1"), dst: ip("10.0.0.2"), protocol: 253, payload: new Uint8Array(8) }),
    );
    // An ICMP error (dest unreachable) addressed to an unknown protocol would be answered… but it is ICMP:
    // deliver an ICMP "time exceeded" to h2 — errors are consumed, never answered.
    const te = new Uint8Array(8 + 28);
    te[0] = 11;
    const c = ~sumOf(te) & 0xffff;
    te[2] = c >>> 8;
    te[3] = c & 0xff;
    send(macN(2), ipv4Packet({ src: ip("10.0.0.1"), dst: ip("10.0.0.2"), protocol: 1, payload: te }));
    sim.run({ until: ms(10) });
    expect(icmpsOut(rec.out)).toEqual([]);
    expect(h2.stack.stats.udp.IgnoredMulti).toBe(2);
    expect(h2.stack.stats.ip.InUnknownProtos).toBe(1);
    expect(h1.stack.stats.ip.InReceives).toBe(0);
  });
});

function sumOf(b: Uint8Array): number {
  let x = 0;
  for (let i = 0; i < b.length; i += 2) x += (b[i] << 8) | (b[i + 1] ?? 0);
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return x;
}

describe("ICMP echo", () => {
  it("replies keep id, seq, data and TOS; the source is the address pinged; DF clear", () => {
    const { sim, h1, h2 } = lan();
    h2.eth0.addAddress("10.0.0.22/24");
    sim.run();
    const rec = record(h2.port);
    const sock = h1.stack.icmpEchoSocket({ id: 77 });
    const replies: Array<[number, number, number]> = [];
    sock.onReply((r) => replies.push([r.from, r.seq, r.size]));
    sock.send(ip("10.0.0.22"), 3, { size: 100 });
    sim.run({ until: ms(10) });
    expect(replies).toEqual([[ip("10.0.0.22"), 3, 100]]);
    const [e] = icmpsOut(rec.out);
    expect(e.ip).toMatchObject({ src: ip("10.0.0.22"), dst: ip("10.0.0.1"), dontFrag: false });
    expect([e.icmp.type, e.icmp.ident, e.icmp.seq]).toEqual([0, 77, 3]);
  });

  it("echo to a broadcast address is ignored (icmp_echo_ignore_broadcasts 1), counted InErrors", () => {
    const { sim, h1, h2 } = lan();
    const rec = record(h2.port);
    const echo = new Uint8Array(16);
    echo[0] = 8;
    const c = ~sumOf(echo) & 0xffff;
    echo[2] = c >>> 8;
    echo[3] = c & 0xff;
    h2.port.deliver(
      ethFrame(
        MAC_BROADCAST,
        macN(1),
        0x0800,
        ipv4Packet({ src: ip("10.0.0.1"), dst: ip("10.0.0.255"), protocol: 1, payload: echo }),
      ),
    );
    sim.run({ until: ms(10) });
    expect(icmpsOut(rec.out)).toEqual([]);
    expect(h2.stack.stats.icmp.InErrors).toBe(1);
    expect(h1.stack.stats.icmp.InMsgs).toBe(0);
  });

  it("pinging one's own address loops back", () => {
    const { sim, h1 } = lan();
    const got: number[] = [];
    const sock = h1.stack.icmpEchoSocket();
    sock.onReply((r) => got.push(r.seq));
    sock.send(ip("10.0.0.1"), 9);
    sock.send(ip("127.0.0.1"), 10);
    sim.run({ until: ms(1) });
    expect(got).toEqual([9, 10]);
  });

  it("checksum errors are counted (InCsumErrors, InErrors) and dropped", () => {
    const { sim, h2 } = lan();
    const echo = new Uint8Array(16);
    echo[0] = 8;
    echo[2] = 0x12; // wrong checksum
    h2.port.deliver(
      ethFrame(
        macN(2),
        macN(1),
        0x0800,
        ipv4Packet({ src: ip("10.0.0.1"), dst: ip("10.0.0.2"), protocol: 1, payload: echo }),
      ),
    );
    sim.run({ until: ms(10) });
    expect(h2.stack.stats.icmp).toMatchObject({ InMsgs: 1, InErrors: 1, InCsumErrors: 1, OutEchoReps: 0 });
  });
});

describe("ICMP rate limiting (icmp_ratelimit 1 s burst 6, icmp_msgs_per_sec 1000 burst 50, icmp_ratemask 0x1818)", () => {
  it("per destination: 6 port unreachables at once, then one per second", () => {
    const { sim, h1, h2 } = lan();
    const sock = h1.stack.udpBind({ port: 4000 });
    for (let i = 0; i < 20; i++) sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    sim.run({ until: ms(100) });
    expect(h2.stack.stats.icmp.OutDestUnreachs).toBe(6);
    expect(h2.stack.stats.icmp.OutRateLimitHost).toBe(14);
    sim.run({ until: ms(1100) });
    for (let i = 0; i < 5; i++) sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    sim.run({ until: ms(1200) });
    expect(h2.stack.stats.icmp.OutDestUnreachs).toBe(7);
    expect(h2.stack.stats.udp.NoPorts).toBe(25);
  });

  it("echo replies are not limited (type 0 is outside icmp_ratemask)", () => {
    const { sim, h1, h2 } = lan();
    const sock = h1.stack.icmpEchoSocket();
    let n = 0;
    sock.onReply(() => n++);
    for (let i = 0; i < 100; i++) sock.send(ip("10.0.0.2"), i);
    sim.run({ until: ms(100) });
    expect(n).toBe(100);
    expect(h2.stack.stats.icmp.OutRateLimitGlobal + h2.stack.stats.icmp.OutRateLimitHost).toBe(0);
  });

  it("global bucket: about 50 at once (random cost 0..2 each), deterministic for a seed", () => {
    const run = (seed: number) => {
      const sim = new Simulator({ seed });
      const br = newBridge(sim);
      const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
      // icmp_ratelimit 0 disables the per-destination limit, leaving the global one.
      const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2, { icmpRateLimit: { ratelimit: 0 } });
      sim.run();
      const sock = h1.stack.udpBind({ port: 4000 });
      for (let i = 0; i < 200; i++) sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
      sim.run({ until: ms(5) });
      return { ...h2.stack.stats.icmp };
    };
    const a = run(5);
    expect(a.OutDestUnreachs + a.OutRateLimitGlobal).toBe(200);
    expect(a.OutRateLimitHost).toBe(0);
    expect(a.OutDestUnreachs).toBeGreaterThanOrEqual(30);
    expect(a.OutDestUnreachs).toBeLessThanOrEqual(80);
    expect(run(5)).toEqual(a);
  });

  it("IcmpRateLimiter: global credit refills at msgs_per_sec only after 20 ms; frag-needed is never limited", () => {
    const sim = new Simulator({ seed: 3 });
    const lim = new IcmpRateLimiter(sim.rng("t"), { msgsBurst: 50, msgsPerSec: 1000 });
    let ok = 0;
    for (let i = 0; i < 1000; i++) if (lim.globalAllow(0)) ok++;
    expect(ok).toBeGreaterThanOrEqual(25);
    expect(ok).toBeLessThanOrEqual(50);
    expect(lim.globalAllow(ms(10))).toBe(false); // < HZ/50 since the last refill
    let later = 0;
    for (let i = 0; i < 1000; i++) if (lim.globalAllow(ms(30))) later++;
    expect(later).toBeGreaterThan(0);
    expect(later).toBeLessThanOrEqual(50);
    expect(lim.limited(3, 4)).toBe(false);
    expect(lim.limited(3, 1)).toBe(true);
    expect(lim.limited(11, 0)).toBe(true);
    expect(lim.limited(0, 0)).toBe(false);
    expect(lim.limited(8, 0)).toBe(false);
  });

  it("IcmpRateLimiter per peer: burst 6 then 1 per ratelimit", () => {
    const sim = new Simulator();
    const lim = new IcmpRateLimiter(sim.rng("t"));
    const a = ip("10.0.0.1");
    const got = Array.from({ length: 8 }, () => lim.peerAllow(a, s(100)));
    expect(got.filter(Boolean)).toHaveLength(6);
    expect(lim.peerAllow(a, s(100) + ms(999))).toBe(false);
    expect(lim.peerAllow(a, s(101))).toBe(true);
    expect(lim.peerAllow(ip("10.0.0.2"), s(101))).toBe(true);
  });
});

describe("ICMP from a router (ip_forward)", () => {
  it("time exceeded when TTL would reach 0, from the router's address toward the sender", () => {
    const { sim, h1, r } = routedSetup();
    const rec = record(h1.port);
    const sock = h1.stack.icmpEchoSocket();
    const errs: IcmpErrorInfo[] = [];
    sock.onError((e) => errs.push(e));
    sock.send(ip("10.0.2.2"), 1, { ttl: 1 });
    sim.run({ until: ms(10) });
    const e = icmpsOut(rec.in).find((x) => x.icmp.type === 11);
    expect(e?.ip).toMatchObject({ src: ip("10.0.1.1"), dst: ip("10.0.1.2"), ttl: 64 });
    expect(e?.icmp.code).toBe(0);
    expect(errs).toEqual([{ from: ip("10.0.1.1"), type: 11, code: 0, dst: ip("10.0.2.2"), seq: 1 }]);
    expect(r.stack.stats.ip.InHdrErrors).toBe(1);
    expect(r.stack.stats.ip.ForwDatagrams).toBe(0);
  });

  it("net unreachable when the router has no route (InNoRoutes)", () => {
    const { sim, h1, r } = routedSetup();
    const sock = h1.stack.udpBind({ port: 1 });
    const errs: IcmpErrorInfo[] = [];
    sock.onError((e) => errs.push(e));
    sock.sendTo(new Uint8Array(1), ip("192.0.2.1"), 53);
    sim.run({ until: ms(10) });
    expect(errs).toEqual([{ from: ip("10.0.1.1"), type: 3, code: 0, dst: ip("192.0.2.1"), dstPort: 53 }]);
    expect(r.stack.stats.ip.InNoRoutes).toBe(1);
  });

  it("host unreachable after ARP fails for the next hop (3 s)", () => {
    const { sim, h1 } = routedSetup();
    const sock = h1.stack.icmpEchoSocket();
    const errs: Array<[number, number, number]> = [];
    sock.onError((e) => errs.push([e.type, e.code, sim.now]));
    sock.send(ip("10.0.2.99"), 1);
    sim.run({ until: s(5) });
    expect(errs).toEqual([[3, 1, s(3)]]);
  });

  it("no ICMP error about an ICMP error (an expiring time-exceeded is dropped silently)", () => {
    const { sim, h1, r } = routedSetup();
    const te = new Uint8Array(36);
    te[0] = 3;
    te[1] = 1;
    const c = ~sumOf(te) & 0xffff;
    te[2] = c >>> 8;
    te[3] = c & 0xff;
    h1.stack.sendIp(
      ipv4Packet({ src: ip("10.0.1.2"), dst: ip("10.0.2.2"), protocol: 1, ttl: 1, payload: te }),
    );
    sim.run({ until: ms(10) });
    expect(r.stack.stats.ip.InHdrErrors).toBe(1);
    expect(r.stack.stats.icmp.OutMsgs).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { ms } from "../sim/time.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { Ipv4Packet } from "../wire/ipv4.js";
import { IpConfigError } from "./cidr.js";
import { IpStack } from "./stack.js";
import {
  ethFrame,
  hostOn,
  ip,
  ipPackets,
  ipv4Packet,
  macN,
  newBridge,
  record,
  udpSegment,
} from "./testing.js";
import type { UdpMessage } from "./udp.js";

// Reference: Linux net/ipv4/udp.c (__udp4_lib_rcv, __udp4_lib_mcast_deliver, udp_sendmsg) with the
// default ip_local_port_range 32768..60999.

function lan3() {
  const sim = new Simulator({ seed: 11 });
  const br = newBridge(sim);
  const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
  const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
  const h3 = hostOn(sim, br, "h3", "10.0.0.3/24", 3);
  sim.run();
  return { sim, br, h1, h2, h3 };
}

const bytes = (...b: number[]) => new Uint8Array(b);

describe("UDP broadcast", () => {
  it("255.255.255.255 and the subnet broadcast reach every wildcard socket on the port, not one bound to a unicast address", () => {
    const { sim, h1, h2, h3 } = lan3();
    const got: string[] = [];
    h2.stack.udpBind({ port: 5000 }).onMessage((m) => got.push(`h2 ${m.to}`));
    h3.stack.udpBind({ port: 5000, address: ip("10.0.0.3") }).onMessage((m) => got.push(`h3 ${m.to}`));
    const s = h1.stack.udpBind({ port: 6000, broadcast: true });
    // Linux: 255.255.255.255 without a device or bound source needs a route (no default: ENETUNREACH).
    expect(s.sendTo(bytes(1), ip("255.255.255.255"), 5000)).toBe(false);
    expect(s.sendTo(bytes(1), ip("255.255.255.255"), 5000, { iface: h1.eth0 })).toBe(true);
    expect(s.sendTo(bytes(2), ip("10.0.0.255"), 5000)).toBe(true);
    sim.run({ until: ms(10) });
    expect(got).toEqual([`h2 ${ip("255.255.255.255")}`, `h2 ${ip("10.0.0.255")}`]);
    expect(h3.stack.stats.udp.IgnoredMulti).toBe(2);
    expect(h3.stack.stats.udp.NoPorts).toBe(0);
  });

  it("sending to a broadcast needs SO_BROADCAST (EACCES otherwise)", () => {
    const { h1 } = lan3();
    const s = h1.stack.udpBind({ port: 6000 });
    expect(s.sendTo(bytes(1), ip("255.255.255.255"), 5000)).toBe(false);
    expect(s.sendTo(bytes(1), ip("10.0.0.255"), 5000)).toBe(false);
  });

  it("link broadcast frames: destination MAC ff:ff:ff:ff:ff:ff, no ARP", () => {
    const { sim, h1 } = lan3();
    const rec = record(h1.port);
    h1.stack.setDefaultGateway("10.0.0.3");
    h1.stack.udpBind({ port: 6000, broadcast: true }).sendTo(bytes(1), ip("255.255.255.255"), 5000);
    sim.run({ until: ms(1) });
    expect(rec.out).toHaveLength(1);
    expect(rec.out[0].subarray(0, 6)).toEqual(new Uint8Array(6).fill(0xff));
  });
});

describe("DHCP-style exchanges (what guest/ and services/ need)", () => {
  it("a client without an address: DISCOVER from 0.0.0.0 on an interface; OFFER unicast to yiaddr + chaddr", () => {
    const sim = new Simulator({ seed: 2 });
    const br = newBridge(sim);
    const server = hostOn(sim, br, "srv", "10.0.2.2/24", 2);
    const cst = new IpStack(sim, "vm");
    const cport = new Port(sim, "vm-eth0");
    connect(sim, cport, br.addPort("vm"));
    const eth0 = cst.addInterface("eth0", cport, { mac: macN(15) });
    sim.run();
    const seen: UdpMessage[] = [];
    const srv = server.stack.udpBind({ port: 67, broadcast: true });
    srv.onMessage((m) => {
      seen.push(m);
      // Offer 10.0.2.15 to the client's MAC, without ARP (it cannot answer ARP yet).
      srv.sendTo(bytes(2, 2), ip("10.0.2.15"), 68, { dstMac: m.srcMac ?? undefined });
    });
    const cli = cst.udpBind({ port: 68, iface: eth0, anyDestination: true, broadcast: true });
    const offers: UdpMessage[] = [];
    cli.onMessage((m) => offers.push(m));
    const rec = record(cport);
    expect(cli.sendTo(bytes(1), ip("255.255.255.255"), 67, { src: ip("0.0.0.0"), iface: eth0 })).toBe(true);
    sim.run({ until: ms(10) });
    expect(seen.map((m) => [m.from, m.fromPort, m.to, m.srcMac])).toEqual([
      [0, 68, ip("255.255.255.255"), macN(15)],
    ]);
    expect(offers.map((m) => [m.from, m.to, m.toPort, [...m.data]])).toEqual([
      [ip("10.0.2.2"), ip("10.0.2.15"), 68, [2, 2]],
    ]);
    // The DISCOVER was a link broadcast from 0.0.0.0; no ARP was needed in either direction.
    const ipOut = ipPackets(rec.out);
    expect(Ipv4Packet.checked(ipOut[0]).src).toBe(0);
    expect(rec.frames.filter((f) => f[12] === 0x08 && f[13] === 0x06)).toEqual([]);
    expect(server.stack.neighbours()).toEqual([]);
  });

  it("without anyDestination the unicast OFFER is not for this host (InAddrErrors, forwarding off)", () => {
    const sim = new Simulator();
    const cst = new IpStack(sim, "vm");
    const p = new Port(sim, "p");
    connect(sim, p, new Port(sim, "peer"));
    cst.addInterface("eth0", p, { mac: macN(15) });
    const got: number[] = [];
    cst.udpBind({ port: 68 }).onMessage((m) => got.push(m.toPort));
    const offer = ipv4Packet({
      src: ip("10.0.2.2"),
      dst: ip("10.0.2.15"),
      protocol: 17,
      payload: udpSegment(ip("10.0.2.2"), ip("10.0.2.15"), 67, 68, bytes(1)),
    });
    p.deliver(ethFrame(macN(15), macN(2), 0x0800, offer));
    expect(got).toEqual([]);
    expect(cst.stats.ip.InAddrErrors).toBe(1);
  });
});

describe("UDP sockets", () => {
  it("ephemeral ports come from 32768..60999, drawn from the seed; conflicts throw EADDRINUSE", () => {
    const ports = (seed: number) => {
      const sim = new Simulator({ seed });
      const st = new IpStack(sim, "h");
      return [st.udpBind().localPort, st.udpBind().localPort];
    };
    expect(ports(1)).toEqual(ports(1));
    for (const p of ports(9)) {
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThanOrEqual(60999);
    }
    const { h1 } = lan3();
    const a = h1.stack.udpBind({ port: 53 });
    expect(() => h1.stack.udpBind({ port: 53 })).toThrow(/Address already in use/);
    expect(() => h1.stack.udpBind({ port: 53, address: ip("10.0.0.1") })).toThrow(IpConfigError);
    expect(() => h1.stack.udpBind({ port: 54, address: ip("10.9.9.9") })).toThrow(/Cannot assign/);
    a.close();
    expect(h1.stack.udpBind({ port: 53, address: ip("10.0.0.1") }).localAddress).toBe(ip("10.0.0.1"));
  });

  it("a socket bound to an interface (SO_BINDTODEVICE) only hears that interface", () => {
    const sim = new Simulator();
    const st = new IpStack(sim, "h");
    const pa = new Port(sim, "a");
    const pb = new Port(sim, "b");
    connect(sim, pa, new Port(sim, "pa"));
    connect(sim, pb, new Port(sim, "pb"));
    const a = st.addInterface("a", pa, { mac: macN(1) });
    const b = st.addInterface("b", pb, { mac: macN(2) });
    a.addAddress("10.0.0.1/24");
    b.addAddress("10.0.1.1/24");
    const got: string[] = [];
    st.udpBind({ port: 9, iface: b }).onMessage((m) => got.push(m.iface.name));
    const dgram = (mac: number) =>
      ethFrame(
        macN(mac),
        macN(7),
        0x0800,
        ipv4Packet({
          src: ip("10.0.0.7"),
          dst: ip("10.0.0.1"),
          protocol: 17,
          payload: udpSegment(ip("10.0.0.7"), ip("10.0.0.1"), 1, 9, bytes(1)),
        }),
      );
    pa.deliver(dgram(1));
    pb.deliver(dgram(2));
    expect(got).toEqual(["b"]);
    expect(st.stats.udp.NoPorts).toBe(1);
  });

  it("checksum: zero means none (accepted), a wrong one is counted (InCsumErrors, InErrors); short datagrams are InErrors", () => {
    const { h2 } = lan3();
    const got: number[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m.data[0]));
    const seg = udpSegment(ip("10.0.0.1"), ip("10.0.0.2"), 1, 9, bytes(5));
    const send = (u: Uint8Array) =>
      h2.port.deliver(
        ethFrame(
          macN(2),
          macN(1),
          0x0800,
          ipv4Packet({ src: ip("10.0.0.1"), dst: ip("10.0.0.2"), protocol: 17, payload: u }),
        ),
      );
    send(seg);
    const noSum = seg.slice();
    noSum[6] = 0;
    noSum[7] = 0;
    send(noSum);
    const bad = seg.slice();
    bad[8] ^= 1;
    send(bad);
    const short = seg.slice();
    short[5] = 20;
    send(short);
    expect(got).toEqual([5, 5]);
    expect(h2.stack.stats.udp).toMatchObject({ InDatagrams: 2, InCsumErrors: 1, InErrors: 2 });
  });

  it("sendFilled: a writer that returns its payload's RFC 1071 sum gives the same bytes as sendTo (checksum from the fields)", () => {
    const { sim, h1, h2 } = lan3();
    const got: number[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m.length));
    const s = h1.stack.udpBind({ port: 7000 });
    const rec = record(h1.port);
    // Payloads with carries in the sum, zero words, and odd lengths (the last byte padded with zero).
    const payloads = [
      bytes(0xff, 0xff, 0xff, 0xff, 0x00, 0x01),
      bytes(0x12, 0x34, 0x56),
      bytes(0xfe, 0xdc, 0, 0, 0, 0, 0xba, 0x98, 0x76),
      new Uint8Array(64).fill(0xff),
      bytes(),
    ];
    const sumOf = (p: Uint8Array) => {
      let sum = 0;
      for (let i = 0; i < p.length; i += 2) sum += (p[i] << 8) | (i + 1 < p.length ? p[i + 1] : 0);
      return sum;
    };
    for (const p of payloads) {
      expect(s.sendTo(p, ip("10.0.0.2"), 9)).toBe(true);
      expect(s.sendFilled(p.length, (buf, off) => buf.set(p, off), ip("10.0.0.2"), 9)).toBe(true);
      expect(
        s.sendFilled(
          p.length,
          (buf, off) => {
            buf.set(p, off);
            return sumOf(p);
          },
          ip("10.0.0.2"),
          9,
        ),
      ).toBe(true);
    }
    sim.run({ until: ms(10) });
    const udp = rec.out.filter((f) => f[23] === 17);
    expect(udp).toHaveLength(3 * payloads.length);
    for (let i = 0; i < udp.length; i += 3) {
      expect([...udp[i + 1]]).toEqual([...udp[i]]);
      expect([...udp[i + 2]]).toEqual([...udp[i]]);
    }
    // Every one verified at the receiver (a wrong checksum would be InCsumErrors and not delivered).
    expect(got).toEqual(payloads.flatMap((p) => [p.length, p.length, p.length]));
    expect(h2.stack.stats.udp.InCsumErrors).toBe(0);
  });

  it("no route: sendTo returns false and counts OutNoRoutes; a down interface counts OutDiscards", () => {
    const { sim, h1 } = lan3();
    const s = h1.stack.udpBind({ port: 1 });
    expect(s.sendTo(bytes(1), ip("192.0.2.1"), 9)).toBe(false);
    expect(h1.stack.stats.ip.OutNoRoutes).toBe(1);
    h1.port.up = false;
    expect(s.sendTo(bytes(1), ip("10.0.0.2"), 9)).toBe(false);
    expect(h1.stack.stats.ip.OutDiscards).toBe(1);
    sim.run();
  });

  it("sending to one's own address loops back through the simulator (not re-entrantly)", () => {
    const { sim, h1 } = lan3();
    const got: UdpMessage[] = [];
    h1.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m));
    h1.stack.udpBind({ port: 10 }).sendTo(bytes(3), ip("10.0.0.1"), 9);
    expect(got).toEqual([]);
    sim.run({ until: ms(1) });
    expect(got.map((m) => [m.from, m.to, m.srcMac, m.iface.name])).toEqual([
      [ip("10.0.0.1"), ip("10.0.0.1"), null, "eth0"],
    ]);
  });

  it("a host (forwarding off) never forwards: packets for other addresses count InAddrErrors", () => {
    const { sim, h1, h2, h3 } = lan3();
    const rec = record(h2.port);
    h2.port.deliver(
      ethFrame(
        macN(2),
        macN(1),
        0x0800,
        ipv4Packet({
          src: ip("10.0.0.1"),
          dst: ip("10.0.0.3"),
          protocol: 17,
          payload: udpSegment(ip("10.0.0.1"), ip("10.0.0.3"), 1, 9, bytes(1)),
        }),
      ),
    );
    sim.run({ until: ms(10) });
    expect(h2.stack.stats.ip.InAddrErrors).toBe(1);
    expect(rec.out).toEqual([]);
    expect(h3.stack.stats.ip.InReceives).toBe(0);
    expect(h1.stack.stats.icmp.InMsgs).toBe(0);
  });

  it("frames for another MAC (flooded unknown unicast) are dropped as otherhost", () => {
    const { h2 } = lan3();
    h2.port.deliver(ethFrame(macN(9), macN(1), 0x0800, new Uint8Array(20)));
    h2.port.deliver(ethFrame(MAC_BROADCAST, macN(1), 0x86dd, new Uint8Array(40)));
    expect(h2.stack.stats.drops.get("otherhost")).toBe(1);
    expect(h2.stack.stats.drops.get("unknown-ethertype")).toBe(1);
    expect(h2.stack.stats.ip.InReceives).toBe(0);
  });

  it("bad IPv4 headers are counted (InHdrErrors, InCsumErrors, InTruncatedPkts) and dropped", () => {
    const { h2 } = lan3();
    const good = ipv4Packet({
      src: ip("10.0.0.1"),
      dst: ip("10.0.0.2"),
      protocol: 17,
      payload: udpSegment(ip("10.0.0.1"), ip("10.0.0.2"), 1, 9, bytes(1)),
    });
    const d = (p: Uint8Array) => h2.port.deliver(ethFrame(macN(2), macN(1), 0x0800, p));
    const badSum = good.slice();
    badSum[10] ^= 0xff;
    d(badSum);
    const v6 = good.slice();
    v6[0] = 0x65;
    d(v6);
    d(good.subarray(0, 25));
    d(good.subarray(0, 12));
    expect(h2.stack.stats.ip).toMatchObject({
      InReceives: 4,
      InHdrErrors: 3,
      InCsumErrors: 1,
      InTruncatedPkts: 1,
    });
    // The stack still works afterwards.
    d(good);
    expect(h2.stack.stats.udp.NoPorts).toBe(1);
  });
});

describe("per-socket route cache and received messages", () => {
  function twoLans() {
    const sim = new Simulator({ seed: 3 });
    const brA = newBridge(sim, "brA");
    const brB = newBridge(sim, "brB");
    const h = hostOn(sim, brA, "h", "10.0.1.2/24", 1);
    hostOn(sim, brA, "gA", "10.0.1.1/24", 2, { forwarding: true });
    const p1 = new Port(sim, "h-eth1");
    connect(sim, p1, brB.addPort("h1"));
    const eth1 = h.stack.addInterface("eth1", p1, { mac: macN(3) });
    eth1.addAddress("10.0.2.2/24");
    hostOn(sim, brB, "gB", "10.0.2.1/24", 4, { forwarding: true });
    sim.run();
    return { sim, h, eth1, p1 };
  }

  const toFar = (frames: Uint8Array[]) =>
    ipPackets(frames)
      .filter((p) => p[9] === 17)
      .map((p) => Ipv4Packet.checked(p))
      .map((v) => [v.src, v.dst, v.payload[8]]);

  it("a socket's next datagram follows a route replaced, and an interface going down, after it sent", () => {
    const { sim, h, eth1, p1 } = twoLans();
    h.stack.addRoute({ dst: "10.9.0.0/16", via: "10.0.1.1" });
    const s = h.stack.udpBind({ port: 4000 });
    const recA = record(h.port);
    const recB = record(p1);
    expect(s.sendTo(bytes(1), ip("10.9.0.5"), 9)).toBe(true);
    sim.run({ until: ms(10) });
    h.stack.removeRoute("10.9.0.0/16");
    h.stack.addRoute({ dst: "10.9.0.0/16", via: "10.0.2.1" });
    expect(s.sendTo(bytes(2), ip("10.9.0.5"), 9)).toBe(true);
    sim.run({ until: ms(20) });
    // Out of eth1 now, from eth1's address (inet_select_addr on the new route).
    expect(toFar(recA.out)).toEqual([[ip("10.0.1.2"), ip("10.9.0.5"), 1]]);
    expect(toFar(recB.out)).toEqual([[ip("10.0.2.2"), ip("10.9.0.5"), 2]]);
    eth1.up = false; // the route through eth1 is skipped: no route (ENETUNREACH)
    const before = h.stack.stats.ip.OutNoRoutes;
    expect(s.sendTo(bytes(3), ip("10.9.0.5"), 9)).toBe(false);
    expect(h.stack.stats.ip.OutNoRoutes).toBe(before + 1);
    eth1.up = true;
    expect(s.sendTo(bytes(4), ip("10.9.0.5"), 9)).toBe(true);
    sim.run({ until: ms(30) });
    expect(toFar(recB.out).map((r) => r[2])).toEqual([2, 4]);
  });

  it("an address replaced after the first datagram: the next one leaves from the new address", () => {
    const { sim, h } = twoLans();
    const rec = record(h.port);
    const s = h.stack.udpBind({ port: 4000 });
    s.sendTo(bytes(1), ip("10.0.1.1"), 9);
    expect(h.eth0.removeAddress("10.0.1.2/24")).toBe(true);
    h.eth0.addAddress("10.0.1.7/24");
    s.sendTo(bytes(2), ip("10.0.1.1"), 9);
    sim.run({ until: ms(10) });
    expect(toFar(rec.out).map((r) => r[0])).toEqual([ip("10.0.1.2"), ip("10.0.1.7")]);
  });

  it("a message kept after its handler returned still has its payload, length and source MAC", () => {
    const { sim, h1, h2 } = lan3();
    const kept: UdpMessage[] = [];
    h2.stack.udpBind({ port: 5000 }).onMessage((m) => kept.push(m));
    const s = h1.stack.udpBind({ port: 6000 });
    for (let i = 0; i < 3; i++) s.sendTo(bytes(i, i + 1, i + 2), ip("10.0.0.2"), 5000);
    sim.run({ until: ms(10) });
    // More traffic afterwards does not touch the kept messages (frames are never written after send).
    for (let i = 0; i < 50; i++) s.sendTo(new Uint8Array(80).fill(0xee), ip("10.0.0.2"), 5000);
    sim.run({ until: ms(20) });
    expect(
      kept.slice(0, 3).map((m) => [[...m.data], m.length, m.from, m.fromPort, m.to, m.toPort, m.ttl]),
    ).toEqual([0, 1, 2].map((i) => [[i, i + 1, i + 2], 3, ip("10.0.0.1"), 6000, ip("10.0.0.2"), 5000, 64]));
    expect(kept[0].srcMac).toBe(macN(1));
    expect(kept[0].iface).toBe(h2.eth0);
    expect(kept).toHaveLength(53);
    expect(kept[52].data).toEqual(new Uint8Array(80).fill(0xee));
  });
});

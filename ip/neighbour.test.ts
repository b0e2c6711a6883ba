import { describe, expect, it } from "vitest";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { ms, s } from "../sim/time.js";
import { formatIpv4, formatMac, MAC_BROADCAST, type Mac } from "../wire/addr.js";
import { ArpOperation, ArpPacket, parseArp } from "../wire/arp.js";
import { EthernetFrame } from "../wire/ethernet.js";
import { Icmpv4Packet } from "../wire/icmpv4.js";
import { Ipv4Packet } from "../wire/ipv4.js";
import { ethFrame, hostOn, ip, macN, newBridge, record } from "./testing.js";
import type { IcmpErrorInfo } from "./udp.js";

// Reference: Linux net/core/neighbour.c + net/ipv4/arp.c with the default ARP parameters
// (base_reachable_time 30 s, delay_first_probe_time 5 s, retrans_time 1 s, ucast_solicit 3,
// mcast_solicit 3, app_solicit 0, locktime 1 s, unres_qlen_bytes 212992).

function arps(frames: Uint8Array[]) {
  return frames
    .filter((f) => EthernetFrame.checked(f).etherType === 0x0806)
    .map((f) => {
      const e = EthernetFrame.checked(f);
      return { len: f.byteLength, dst: e.dst, ...parseArp(ArpPacket.checked(e.payload)) };
    });
}

function twoHosts(seed = 1) {
  const sim = new Simulator({ seed });
  const br = newBridge(sim);
  const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
  const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
  sim.run(); // deliver the gratuitous ARPs of the address setup
  return { sim, br, h1, h2 };
}

describe("ARP requests, replies and gratuitous ARP (Linux arp.c)", () => {
  it("addAddress sends one gratuitous ARP request: sender = target = the address, tha 0, broadcast, 42 bytes", () => {
    const sim = new Simulator();
    const br = newBridge(sim);
    const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
    const rec = record(h2.port);
    h2.eth0.addAddress("10.0.0.3/24");
    expect(arps(rec.out)).toEqual([
      {
        len: 42,
        dst: MAC_BROADCAST,
        operation: ArpOperation.Request,
        sha: macN(2),
        spa: ip("10.0.0.3"),
        tha: 0,
        tpa: ip("10.0.0.3"),
      },
    ]);
  });

  it("resolves with one broadcast request; the reply is unicast from the owner (arp_ignore 0) and learned REACHABLE", () => {
    const { sim, h1, h2 } = twoHosts();
    const rec1 = record(h1.port);
    h2.stack.udpBind({ port: 9 }); // no port unreachable back
    h1.stack.udpBind({ port: 1000 }).sendTo(new Uint8Array(4), ip("10.0.0.2"), 9);
    sim.run({ until: ms(10) });
    expect(arps(rec1.frames)).toEqual([
      {
        len: 42,
        dst: MAC_BROADCAST,
        operation: 1,
        sha: macN(1),
        spa: ip("10.0.0.1"),
        tha: 0,
        tpa: ip("10.0.0.2"),
      },
      {
        len: 42,
        dst: macN(1),
        operation: 2,
        sha: macN(2),
        spa: ip("10.0.0.2"),
        tha: macN(1),
        tpa: ip("10.0.0.1"),
      },
    ]);
    expect(h1.stack.neighbours()).toEqual([
      { iface: "eth0", address: ip("10.0.0.2"), mac: macN(2), state: "REACHABLE" },
    ]);
    // The requester is learned from a request addressed to us (neigh_event_ns): STALE.
    expect(h2.stack.neighbours()).toEqual([
      { iface: "eth0", address: ip("10.0.0.1"), mac: macN(1), state: "STALE" },
    ]);
  });

  it("answers for any local address on any interface (arp_ignore 0), and DAD probes (sender 0.0.0.0)", () => {
    const { sim, h2 } = twoHosts();
    const other = h2.stack.addInterface("dummy0", new Port(sim, "d0"), { mac: macN(99) });
    other.addAddress("192.168.50.1/24");
    const rec = record(h2.port);
    const req = (spa: string, tpa: string) => {
      const a = new Uint8Array(28);
      const v = ArpPacket.unchecked(a);
      v.hardwareType = 1;
      v.protocolType = 0x0800;
      v.hardwareLen = 6;
      v.protocolLen = 4;
      v.operation = 1;
      v.sha = macN(7);
      v.spa = ip(spa);
      v.tha = 0 as Mac;
      v.tpa = ip(tpa);
      return ethFrame(MAC_BROADCAST, macN(7), 0x0806, a);
    };
    h2.port.deliver(req("10.0.0.7", "192.168.50.1"));
    h2.port.deliver(req("0.0.0.0", "10.0.0.2"));
    h2.port.deliver(req("10.0.0.7", "10.0.0.99"));
    sim.run({ until: ms(1) });
    expect(
      arps(rec.out).map((a) => [a.operation, formatIpv4(a.spa), formatIpv4(a.tpa), formatMac(a.dst)]),
    ).toEqual([
      [2, "192.168.50.1", "10.0.0.7", "52:54:00:00:00:07"],
      [2, "10.0.0.2", "0.0.0.0", "52:54:00:00:00:07"],
    ]);
    // Only the request addressed to us created an entry (arp_accept 0 for the others).
    expect(h2.stack.neighbours().map((n) => [formatIpv4(n.address), n.state])).toEqual([
      ["10.0.0.7", "STALE"],
    ]);
  });

  it("an ARP request not for us only updates an existing entry; a different MAC within locktime is ignored", () => {
    const { sim, h1, h2 } = twoHosts();
    h1.stack.udpBind({ port: 1000 }).sendTo(new Uint8Array(4), ip("10.0.0.2"), 9);
    sim.run({ until: ms(10) });
    const fake = new Uint8Array(28);
    const v = ArpPacket.unchecked(fake);
    v.hardwareType = 1;
    v.protocolType = 0x0800;
    v.hardwareLen = 6;
    v.protocolLen = 4;
    v.operation = 1;
    v.sha = macN(66);
    v.spa = ip("10.0.0.2");
    v.tpa = ip("10.0.0.50");
    // Within 1 s of the reply: ignored (the first answer wins).
    h1.port.deliver(ethFrame(MAC_BROADCAST, macN(66), 0x0806, fake));
    expect(h1.stack.neighbours()[0]).toMatchObject({ mac: macN(2), state: "REACHABLE" });
    sim.run({ until: s(2) });
    // After locktime: the new address is taken, as STALE (a request does not prove reachability).
    h1.port.deliver(ethFrame(MAC_BROADCAST, macN(66), 0x0806, fake));
    expect(h1.stack.neighbours()[0]).toMatchObject({ mac: macN(66), state: "STALE" });
    expect(h2.stack.neighbours()).toHaveLength(1);
  });
});

describe("neighbour states over simulated time (Linux neigh_timer_handler)", () => {
  it("INCOMPLETE: 3 broadcast requests 1 s apart, FAILED at 3 s, queued packets get ICMP host unreachable", () => {
    const { sim, h1 } = twoHosts();
    const rec = record(h1.port);
    const ping = h1.stack.icmpEchoSocket();
    const errors: IcmpErrorInfo[] = [];
    ping.onError((e) => errors.push(e));
    ping.send(ip("10.0.0.99"), 1);
    ping.send(ip("10.0.0.99"), 2);
    const times: number[] = [];
    h1.port.observe((f, dir) => {
      if (dir === "out" && EthernetFrame.checked(f).etherType === 0x0806) times.push(sim.now);
    });
    sim.run({ until: ms(2500) });
    expect(h1.stack.neighbours()[0]).toMatchObject({
      address: ip("10.0.0.99"),
      state: "INCOMPLETE",
      mac: null,
    });
    sim.run({ until: s(10) });
    const reqs = arps(rec.out);
    expect(reqs).toHaveLength(3);
    expect(reqs.every((a) => a.dst === MAC_BROADCAST && a.tpa === ip("10.0.0.99") && a.tha === 0)).toBe(true);
    expect(times).toEqual([s(1), s(2)]); // the first went out at t=0, before the observer existed
    expect(h1.stack.formatNeighbours()).toBe("10.0.0.99 dev eth0 FAILED");
    expect(errors).toEqual([
      { from: ip("10.0.0.1"), type: 3, code: 1, dst: ip("10.0.0.99"), seq: 1 },
      { from: ip("10.0.0.1"), type: 3, code: 1, dst: ip("10.0.0.99"), seq: 2 },
    ]);
    // Nothing but ARP left the host: the echo requests died in the queue.
    expect(rec.out.every((f) => EthernetFrame.checked(f).etherType === 0x0806)).toBe(true);
  });

  it("a FAILED entry starts over on the next packet", () => {
    const { sim, h1 } = twoHosts();
    const ping = h1.stack.icmpEchoSocket();
    ping.send(ip("10.0.0.99"), 1);
    sim.run({ until: s(4) });
    expect(h1.stack.neighbours()[0].state).toBe("FAILED");
    ping.send(ip("10.0.0.99"), 2);
    expect(h1.stack.neighbours()[0].state).toBe("INCOMPLETE");
  });

  it("the INCOMPLETE queue keeps the newest packets within unres_qlen_bytes", () => {
    const sim = new Simulator();
    const br = newBridge(sim);
    const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1, {
      neighbour: { unresQlenBytes: 3 * (768 + 14 + 28 + 100) },
    });
    const errors: number[] = [];
    const ping = h1.stack.icmpEchoSocket();
    ping.onError((e) => errors.push(e.seq ?? -1));
    for (let i = 1; i <= 5; i++) ping.send(ip("10.0.0.99"), i, { size: 100 });
    sim.run({ until: s(5) });
    expect(errors).toEqual([3, 4, 5]);
    expect(h1.stack.stats.drops.get("neigh-queue-full")).toBe(2);
  });

  it("REACHABLE → STALE after the random reachable time (15..45 s); use → DELAY → 5 s → PROBE (unicast) → REACHABLE", () => {
    const { sim, h1 } = twoHosts();
    const sock = h1.stack.udpBind({ port: 1000 });
    sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    sim.run({ until: s(1) });
    expect(h1.stack.neighbours()[0].state).toBe("REACHABLE");
    sim.run({ until: s(14) });
    expect(h1.stack.neighbours()[0].state).toBe("REACHABLE");
    sim.run({ until: s(46) });
    expect(h1.stack.neighbours()[0].state).toBe("STALE");
    const rec = record(h1.port);
    sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    expect(h1.stack.neighbours()[0].state).toBe("DELAY");
    // The packet left at once with the cached address.
    expect(rec.out).toHaveLength(1);
    sim.run({ until: s(46) + s(5) - 1 });
    expect(h1.stack.neighbours()[0].state).toBe("DELAY");
    sim.run({ until: s(46) + s(5) + ms(1) });
    const probes = arps(rec.out);
    // PROBE sent one unicast request to the cached MAC, answered at once → REACHABLE.
    expect(probes[0]).toMatchObject({ operation: 1, dst: macN(2), tpa: ip("10.0.0.2"), tha: 0 });
    expect(h1.stack.neighbours()[0].state).toBe("REACHABLE");
  });

  it("PROBE: 3 unicast probes 1 s apart, then FAILED", () => {
    const { sim, h1, h2 } = twoHosts();
    const sock = h1.stack.udpBind({ port: 1000 });
    sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    sim.run({ until: s(50) });
    expect(h1.stack.neighbours()[0].state).toBe("STALE");
    h2.port.up = false; // h2 disappears
    const rec = record(h1.port);
    sock.sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    sim.run({ until: s(55) + ms(1) });
    expect(h1.stack.neighbours()[0].state).toBe("PROBE");
    sim.run({ until: s(58) + ms(1) });
    const probes = arps(rec.out);
    expect(probes.map((p) => p.dst)).toEqual([macN(2), macN(2), macN(2)]);
    expect(h1.stack.neighbours()[0].state).toBe("FAILED");
  });

  it("addStaticNeighbour makes a PERMANENT entry: no ARP, never ages", () => {
    const { sim, h1 } = twoHosts();
    h1.stack.addStaticNeighbour("eth0", "10.0.0.2", macN(2));
    const rec = record(h1.port);
    h1.stack.udpBind({ port: 1 }).sendTo(new Uint8Array(1), ip("10.0.0.2"), 9);
    sim.run({ until: s(100) });
    expect(arps(rec.out).filter((a) => a.operation === 1)).toEqual([]);
    expect(h1.stack.formatNeighbours()).toBe("10.0.0.2 dev eth0 lladdr 52:54:00:00:00:02 PERMANENT");
  });
});

describe("ICMP echo through ARP", () => {
  it("echo request frames are Ethernet II + IPv4 with DF, ID 0 (Linux, unconnected socket), ping's payload", () => {
    const { sim, h1 } = twoHosts();
    const rec = record(h1.port);
    h1.stack.icmpEchoSocket({ id: 0x4242 }).send(ip("10.0.0.2"), 7);
    sim.run({ until: ms(1) });
    const f = rec.out.find((x) => EthernetFrame.checked(x).etherType === 0x0800) as Uint8Array;
    expect(f.byteLength).toBe(14 + 84);
    const p = Ipv4Packet.checked(EthernetFrame.checked(f).payload);
    expect(p.verifyChecksum()).toBe(true);
    expect([p.dontFrag, p.ident, p.ttl, p.protocol]).toEqual([true, 0, 64, 1]);
    const icmp = Icmpv4Packet.checked(p.payload);
    expect(icmp.verifyChecksum()).toBe(true);
    expect([icmp.type, icmp.code, icmp.ident, icmp.seq]).toEqual([8, 0, 0x4242, 7]);
    expect([...icmp.payload.subarray(16, 20)]).toEqual([16, 17, 18, 19]);
  });
});

describe("the neighbour table's last-used entry", () => {
  it("is forgotten on flush: after the interface went down and up, the next datagram resolves again", () => {
    const { sim, h1, h2 } = twoHosts();
    h2.stack.udpBind({ port: 9 });
    const s1 = h1.stack.udpBind({ port: 1000 });
    const rec1 = record(h1.port);
    s1.sendTo(new Uint8Array(4), ip("10.0.0.2"), 9);
    sim.run({ until: ms(10) });
    expect(h1.stack.neighbours().map((n) => n.state)).toEqual(["REACHABLE"]);
    h1.eth0.up = false;
    expect(h1.stack.neighbours()).toEqual([]);
    h1.eth0.up = true;
    sim.run({ until: ms(20) });
    const before = arps(rec1.out).filter((a) => a.tpa === ip("10.0.0.2")).length;
    s1.sendTo(new Uint8Array(4), ip("10.0.0.2"), 9);
    // Queued while INCOMPLETE: one new broadcast request, not a send through the old entry.
    expect(h1.stack.neighbours().map((n) => n.state)).toEqual(["INCOMPLETE"]);
    sim.run({ until: ms(30) });
    expect(arps(rec1.out).filter((a) => a.tpa === ip("10.0.0.2")).length).toBe(before + 1);
    expect(h1.stack.neighbours().map((n) => n.state)).toEqual(["REACHABLE"]);
    expect(h2.stack.stats.udp.InDatagrams).toBe(2);
  });
});

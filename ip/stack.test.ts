import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { s } from "../sim/time.js";
import { formatMac } from "../wire/addr.js";
import { EthernetFrame } from "../wire/ethernet.js";
import { Ipv4Packet, parseIpv4 } from "../wire/ipv4.js";
import { UdpPacket } from "../wire/udp.js";
import { hostOn, ip, macN, newBridge, record, vmOn } from "./testing.js";
import type { UdpMessage } from "./udp.js";

function lan() {
  const sim = new Simulator({ seed: 7 });
  const br = newBridge(sim);
  const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
  const h2 = vmOn(sim, br, "h2", "10.0.0.2/24");
  return { sim, br, h1, h2 };
}

describe("IpStack smoke: two hosts on a bridge (Linux host behaviour)", () => {
  it("pings both ways: ARP resolves, echo replies come back with TTL 64 and the same payload", () => {
    const { sim, h1, h2 } = lan();
    const replies: string[] = [];
    const p1 = h1.stack.icmpEchoSocket();
    p1.onReply((r) => replies.push(`h1<-${r.from}:${r.seq}:${r.ttl}:${r.size}`));
    const p2 = h2.stack.icmpEchoSocket();
    p2.onReply((r) => replies.push(`h2<-${r.from}:${r.seq}:${r.ttl}:${r.size}`));
    expect(p1.send(ip("10.0.0.2"), 1)).toBe(true);
    sim.run({ until: s(1) });
    expect(p2.send(ip("10.0.0.1"), 1)).toBe(true);
    sim.run({ until: s(2) });
    expect(replies).toEqual([`h1<-${ip("10.0.0.2")}:1:64:56`, `h2<-${ip("10.0.0.1")}:1:64:56`]);
    expect(h1.stack.stats.icmp.OutEchos).toBe(1);
    expect(h1.stack.stats.icmp.InEchoReps).toBe(1);
    expect(h2.stack.stats.icmp.OutEchoReps).toBe(1);
    // h2 learned h1 (STALE) from its ARP request; using the entry turned it DELAY (Linux neigh_event_send).
    expect(h2.stack.formatNeighbours()).toBe(`10.0.0.1 dev eth0 lladdr 52:54:00:00:00:01 DELAY`);
    expect(h1.stack.formatNeighbours()).toBe(`10.0.0.2 dev eth0 lladdr ${formatMac(h2.nic.mac)} REACHABLE`);
  });

  it("UDP both ways: the server answers to the sender's address and port, checksums verify", () => {
    const { sim, h1, h2 } = lan();
    const rec = record(h1.port);
    const server = h2.stack.udpBind({ port: 7 });
    server.onMessage((m) => server.sendTo(m.data, m.from, m.fromPort));
    const client = h1.stack.udpBind();
    expect(client.localPort).toBeGreaterThanOrEqual(32768);
    expect(client.localPort).toBeLessThanOrEqual(60999);
    const got: UdpMessage[] = [];
    client.onMessage((m) => got.push(m));
    expect(client.sendTo(new TextEncoder().encode("hello"), ip("10.0.0.2"), 7)).toBe(true);
    sim.run({ until: s(1) });
    expect(got).toHaveLength(1);
    expect(new TextDecoder().decode(got[0].data)).toBe("hello");
    expect(got[0].from).toBe(ip("10.0.0.2"));
    expect(got[0].fromPort).toBe(7);
    expect(got[0].srcMac).toBe(h2.nic.mac);
    // The datagram on h1's wire: IPv4 with DF (PMTUDISC_WANT), TTL 64, valid checksums.
    const udpOut = rec.out.filter((f) => EthernetFrame.checked(f).etherType === 0x0800);
    expect(udpOut).toHaveLength(1);
    const ipv4 = Ipv4Packet.checked(EthernetFrame.checked(udpOut[0]).payload);
    const r = parseIpv4(ipv4);
    expect(r).toMatchObject({
      ttl: 64,
      protocol: 17,
      dontFrag: true,
      src: ip("10.0.0.1"),
      dst: ip("10.0.0.2"),
    });
    const u = UdpPacket.checked(ipv4.payload);
    expect(u.verifyChecksum({ version: 4, src: r.src, dst: r.dst })).toBe(true);
    expect(u.dstPort).toBe(7);
    expect(h2.stack.stats.udp.InDatagrams).toBe(1);
    expect(h1.stack.stats.udp.InDatagrams).toBe(1);
  });
});

describe("IpStack smoke: a router between two bridges (Linux ip_forward=1)", () => {
  function routed() {
    const sim = new Simulator({ seed: 3 });
    const brA = newBridge(sim, "brA");
    const brB = newBridge(sim, "brB");
    const h1 = hostOn(sim, brA, "h1", "10.0.1.2/24", 1);
    const h2 = hostOn(sim, brB, "h2", "10.0.2.2/24", 2);
    const r = hostOn(sim, brA, "r", "10.0.1.1/24", 10, { forwarding: true });
    const p = new Port(sim, "r-eth1");
    connect(sim, p, brB.addPort("r1"));
    const eth1 = r.stack.addInterface("eth1", p, { mac: macN(11) });
    eth1.addAddress("10.0.2.1/24");
    h1.stack.setDefaultGateway("10.0.1.1");
    h2.stack.setDefaultGateway("10.0.2.1");
    return { sim, h1, h2, r };
  }

  it("forwards ping and UDP both ways, decrementing TTL once", () => {
    const { sim, h1, h2, r } = routed();
    const replies: number[] = [];
    const ping = h1.stack.icmpEchoSocket();
    ping.onReply((x) => replies.push(x.ttl));
    ping.send(ip("10.0.2.2"), 1);
    sim.run({ until: s(1) });
    expect(replies).toEqual([63]);
    const srv = h1.stack.udpBind({ port: 5000 });
    const seen: UdpMessage[] = [];
    srv.onMessage((m) => {
      seen.push(m);
      srv.sendTo(m.data, m.from, m.fromPort);
    });
    const cli = h2.stack.udpBind({ port: 6000 });
    const back: UdpMessage[] = [];
    cli.onMessage((m) => back.push(m));
    cli.sendTo(new Uint8Array([1, 2, 3]), ip("10.0.1.2"), 5000);
    sim.run({ until: s(2) });
    expect(seen.map((m) => [m.from, m.ttl])).toEqual([[ip("10.0.2.2"), 63]]);
    expect(back.map((m) => [m.from, m.fromPort, m.ttl, [...m.data]])).toEqual([
      [ip("10.0.1.2"), 5000, 63, [1, 2, 3]],
    ]);
    expect(r.stack.stats.ip.ForwDatagrams).toBe(4);
    expect(r.stack.formatRoutes()).toBe(
      "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1\n10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.1",
    );
  });
});

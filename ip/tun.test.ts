import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Tun } from "../netdev/tun.js";
import { ms } from "../sim/time.js";
import { Ipv4Packet } from "../wire/ipv4.js";
import { ip, ipv4Packet, routedSetup } from "./testing.js";

// Reference: a Linux router with a tun device in IFF_TUN mode configured `ip addr add 10.8.0.1 peer
// 10.8.0.2 dev tun0` (as OpenVPN's net30/p2p topology does): a point-to-point interface, no ARP.

function withTun() {
  const setup = routedSetup();
  const { sim, r } = setup;
  const tun = new Tun(sim, "tun0");
  const rp = new Port(sim, "r-tun0", "ip");
  connect(sim, tun.port, rp);
  const tun0 = r.stack.addInterface("tun0", rp);
  tun0.addAddress("10.8.0.1/32");
  tun0.peer = ip("10.8.0.2");
  const read: Uint8Array[] = [];
  tun.onRead((p) => read.push(p));
  return { ...setup, tun, tun0, read };
}

function echo(src: string, dst: string, seq: number): Uint8Array {
  const icmp = new Uint8Array(16);
  icmp[0] = 8;
  icmp[7] = seq;
  let sum = 0;
  for (let i = 0; i < icmp.length; i += 2) sum += (icmp[i] << 8) | icmp[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  icmp[2] = c >>> 8;
  icmp[3] = c & 0xff;
  return ipv4Packet({ src: ip(src), dst: ip(dst), protocol: 1, payload: icmp });
}

describe("TUN as a point-to-point routed interface", () => {
  it("has no MAC and no ARP; the peer route is `10.8.0.2 dev tun0 proto kernel scope link src 10.8.0.1`", () => {
    const { r, tun0 } = withTun();
    expect(tun0.pointToPoint).toBe(true);
    expect(tun0.mac).toBeNull();
    expect(r.stack.formatRoutes().split("\n")).toContain(
      "10.8.0.2 dev tun0 proto kernel scope link src 10.8.0.1",
    );
  });

  it("packets written into the TUN are routed to the LAN, and replies come back out of the TUN as bare IP", () => {
    const { sim, tun, read, r } = withTun();
    expect(tun.write(echo("10.8.0.2", "10.0.1.2", 1))).toBe(true);
    sim.run({ until: ms(10) });
    expect(read).toHaveLength(1);
    const p = Ipv4Packet.checked(read[0]);
    expect([p.src, p.dst, p.ttl, p.payload[0]]).toEqual([ip("10.0.1.2"), ip("10.8.0.2"), 63, 0]);
    expect(p.verifyChecksum()).toBe(true);
    expect(r.stack.neighbours().some((n) => n.iface === "tun0")).toBe(false);
  });

  it("the router itself answers pings over the TUN, and a LAN host can reach the peer", () => {
    const { sim, tun, read, h1 } = withTun();
    tun.write(echo("10.8.0.2", "10.8.0.1", 2));
    sim.run({ until: ms(10) });
    expect(read.map((x) => [Ipv4Packet.checked(x).src, Ipv4Packet.checked(x).ttl])).toEqual([
      [ip("10.8.0.1"), 64],
    ]);
    h1.stack.udpBind({ port: 5 }).sendTo(new Uint8Array(3), ip("10.8.0.2"), 9);
    sim.run({ until: ms(20) });
    const last = Ipv4Packet.checked(read[read.length - 1]);
    expect([last.src, last.dst, last.ttl, last.protocol]).toEqual([ip("10.0.1.2"), ip("10.8.0.2"), 63, 17]);
  });

  it("a TUN with a larger packet than its MTU: fragments when DF is clear", () => {
    const { sim, tun, read, h1, tun0 } = withTun();
    tun0.mtu = 576;
    h1.stack.udpBind({ port: 5 }).sendTo(new Uint8Array(1000), ip("10.8.0.2"), 9, { df: false });
    sim.run({ until: ms(10) });
    expect(read.map((x) => x.byteLength)).toEqual([572, 476]);
    expect(tun.counters.txPackets).toBe(2);
  });
});

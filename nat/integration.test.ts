/**
 * NAT on a real ip/ router: a LAN bridge with two guests (10.0.2.15, 10.0.2.16, gateway 10.0.2.2),
 * a router stack (forwarding on, Linux ip_forward=1) with `nat.install(stack)`, MASQUERADE on its
 * uplink, and a WAN bridge with a server (203.0.113.10) that has no route back to 10.0.2.0/24, so every
 * answer it sends can only arrive through translation. Reference: Linux 6.18 with
 * `iptables -t nat -A POSTROUTING -o wan -j MASQUERADE` and a DNAT rule.
 */
import { describe, expect, it } from "vitest";
import { Bridge } from "../bridge/index.js";
import { IpStack, type UdpMessage } from "../ip/index.js";
import { connect, Port } from "../netdev/index.js";
import { Simulator, s } from "../sim/index.js";
import { EthernetFrame, type Mac, parseIpv4Address, readIpv4 } from "../wire/index.js";
import { Nat } from "./nat.js";

const ip = parseIpv4Address;
const mac = (n: number) => (0x5254_0000_0000 + n) as Mac;

function attach(sim: Simulator, stack: IpStack, br: Bridge, ifName: string, n: number, cidr: string) {
  const port = new Port(sim, `${stack.name}-${ifName}`);
  connect(sim, port, br.addPort(`${stack.name}-${ifName}`));
  const i = stack.addInterface(ifName, port, { mac: mac(n) });
  i.addAddress(cidr);
  return { iface: i, port };
}

function network() {
  const sim = new Simulator({ seed: 11 });
  const lan = new Bridge(sim, "lan");
  const wan = new Bridge(sim, "wan");
  const router = new IpStack(sim, "r1", { forwarding: true });
  attach(sim, router, lan, "lan", 2, "10.0.2.2/24");
  attach(sim, router, wan, "wan", 3, "203.0.113.2/24");
  const a = new IpStack(sim, "a");
  attach(sim, a, lan, "eth0", 15, "10.0.2.15/24");
  a.setDefaultGateway("10.0.2.2");
  const b = new IpStack(sim, "b");
  attach(sim, b, lan, "eth0", 16, "10.0.2.16/24");
  b.setDefaultGateway("10.0.2.2");
  const server = new IpStack(sim, "srv");
  const srvPort = attach(sim, server, wan, "eth0", 10, "203.0.113.10/24").port;
  // What the server's wire carries (source addresses seen outside).
  const outsideSources: string[] = [];
  srvPort.observe((f, dir) => {
    if (dir !== "in") return;
    const eth = EthernetFrame.checked(f);
    if (eth.etherType === 0x0800) outsideSources.push(fmt(readIpv4(eth.payload, 12)));
  });
  const nat = new Nat(sim, "r1");
  nat.masquerade({ outIf: "wan" });
  const uninstall = nat.install(router);
  return { sim, router, a, b, server, nat, outsideSources, uninstall };
}

const fmt = (x: number) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;

describe("NAT on an ip/ router (masquerade + port forward)", () => {
  it("pings the outside through masquerade; the server only ever sees the router's address", () => {
    const { sim, a, nat, outsideSources } = network();
    const got: string[] = [];
    const ping = a.icmpEchoSocket({ id: 0x4242 });
    ping.onReply((r) => got.push(`${fmt(r.from)} seq=${r.seq} ttl=${r.ttl}`));
    ping.send(ip("203.0.113.10"), 1);
    ping.send(ip("203.0.113.10"), 2);
    sim.run({ until: s(1) });
    expect(got).toEqual(["203.0.113.10 seq=1 ttl=63", "203.0.113.10 seq=2 ttl=63"]);
    expect(new Set(outsideSources)).toEqual(new Set(["203.0.113.2"]));
    expect(nat.format()).toBe(
      "icmp     1 29 src=10.0.2.15 dst=203.0.113.10 type=8 code=0 id=16962 " +
        "src=203.0.113.10 dst=203.0.113.2 type=0 code=0 id=16962 mark=0 use=1\n",
    );
  });

  it("a datagram the router refuses to forward leaves no entry (Linux: its conntrack is never confirmed)", () => {
    const { sim, a, nat } = network();
    const cli = a.udpBind({ port: 40000 });
    // TTL 1: time exceeded at the router; no route (192.0.2.0/24 is nowhere): net unreachable.
    cli.sendTo(new Uint8Array([1]), ip("203.0.113.10"), 7, { ttl: 1 });
    cli.sendTo(new Uint8Array([2]), ip("192.0.2.9"), 7);
    sim.run({ until: s(1) });
    expect(nat.count()).toBe(0);
    expect(nat.format()).toBe("");
    // A datagram that does leave is tracked as before.
    cli.sendTo(new Uint8Array([3]), ip("203.0.113.10"), 7);
    sim.run({ until: s(2) });
    expect(nat.entries().map((e) => e.original.dport)).toEqual([7]);
  });

  it("UDP echo through masquerade: source port kept, the answer comes back from the server's port", () => {
    const { sim, a, server, nat } = network();
    const echo = server.udpBind({ port: 7 });
    const atServer: string[] = [];
    echo.onMessage((m) => {
      atServer.push(`${fmt(m.from)}:${m.fromPort}`);
      echo.sendTo(m.data, m.from, m.fromPort);
    });
    const cli = a.udpBind({ port: 40000 });
    const back: UdpMessage[] = [];
    cli.onMessage((m) => back.push(m));
    cli.sendTo(new Uint8Array([1, 2, 3]), ip("203.0.113.10"), 7);
    sim.run({ until: s(1) });
    expect(atServer).toEqual(["203.0.113.2:40000"]);
    expect(back.map((m) => [fmt(m.from), m.fromPort, [...m.data]])).toEqual([["203.0.113.10", 7, [1, 2, 3]]]);
    expect(nat.entries()).toMatchObject([
      { protoName: "udp", seenReply: true, srcNat: true, reply: { dst: ip("203.0.113.2"), dport: 40000 } },
    ]);
  });

  it("a second guest with the same source port gets another port; both answers find their guest", () => {
    const { sim, a, b, server } = network();
    const echo = server.udpBind({ port: 7 });
    const ports: number[] = [];
    echo.onMessage((m) => {
      ports.push(m.fromPort);
      echo.sendTo(m.data, m.from, m.fromPort);
    });
    const ca = a.udpBind({ port: 40000 });
    const cb = b.udpBind({ port: 40000 });
    const got: string[] = [];
    ca.onMessage((m) => got.push(`a:${m.data[0]}`));
    cb.onMessage((m) => got.push(`b:${m.data[0]}`));
    ca.sendTo(new Uint8Array([1]), ip("203.0.113.10"), 7);
    sim.run({ until: s(1) });
    cb.sendTo(new Uint8Array([2]), ip("203.0.113.10"), 7);
    sim.run({ until: s(2) });
    expect(ports[0]).toBe(40000);
    expect(ports[1]).not.toBe(40000);
    expect(ports[1]).toBeGreaterThanOrEqual(1024);
    expect(got).toEqual(["a:1", "b:2"]);
  });

  it("a port unreachable from the server reaches the guest's socket as an error about its datagram", () => {
    const { sim, a } = network();
    const cli = a.udpBind({ port: 40000 });
    const errs: string[] = [];
    cli.onError((e) => errs.push(`${fmt(e.from)} type=${e.type} code=${e.code} ${fmt(e.dst)}:${e.dstPort}`));
    cli.sendTo(new Uint8Array([9]), ip("203.0.113.10"), 9);
    sim.run({ until: s(1) });
    expect(errs).toEqual(["203.0.113.10 type=3 code=3 203.0.113.10:9"]);
  });

  it("forwards host port 5353/udp to a guest's 53 and answers from the public port", () => {
    const { sim, a, server, nat } = network();
    nat.portForward({ proto: "udp", port: 5353, iface: "wan", to: "10.0.2.15", toPort: 53 });
    const dns = a.udpBind({ port: 53 });
    const atGuest: string[] = [];
    dns.onMessage((m) => {
      atGuest.push(`${fmt(m.from)}:${m.fromPort}`);
      dns.sendTo(m.data, m.from, m.fromPort);
    });
    const cli = server.udpBind({ port: 6000 });
    const back: string[] = [];
    cli.onMessage((m) => back.push(`${fmt(m.from)}:${m.fromPort}`));
    cli.sendTo(new Uint8Array([7]), ip("203.0.113.2"), 5353);
    sim.run({ until: s(1) });
    expect(atGuest).toEqual(["203.0.113.10:6000"]);
    expect(back).toEqual(["203.0.113.2:5353"]);
  });

  it("hairpin: a guest reaches another guest through the public forward and gets the answer", () => {
    const { sim, a, b, nat } = network();
    nat.portForward({ proto: "udp", port: 8080, iface: "wan", to: "10.0.2.15", toPort: 80 });
    const web = a.udpBind({ port: 80 });
    const atA: string[] = [];
    web.onMessage((m) => {
      atA.push(fmt(m.from));
      web.sendTo(m.data, m.from, m.fromPort);
    });
    const cli = b.udpBind({ port: 33000 });
    const back: string[] = [];
    cli.onMessage((m) => back.push(`${fmt(m.from)}:${m.fromPort}`));
    cli.sendTo(new Uint8Array([1]), ip("203.0.113.2"), 8080);
    sim.run({ until: s(1) });
    expect(atA).toEqual(["10.0.2.2"]);
    expect(back).toEqual(["203.0.113.2:8080"]);
  });

  it("without the NAT the server's answers have nowhere to go (the control experiment)", () => {
    const { sim, a, server, uninstall } = network();
    uninstall();
    const echo = server.udpBind({ port: 7 });
    const seenAt: string[] = [];
    echo.onMessage((m) => {
      seenAt.push(fmt(m.from));
      echo.sendTo(m.data, m.from, m.fromPort);
    });
    const cli = a.udpBind({ port: 40000 });
    const back: UdpMessage[] = [];
    cli.onMessage((m) => back.push(m));
    cli.sendTo(new Uint8Array([1]), ip("203.0.113.10"), 7);
    sim.run({ until: s(1) });
    expect(seenAt).toEqual(["10.0.2.15"]);
    expect(back).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { IpStack } from "../ip/index.js";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { DnsServer } from "../services/index.js";
import { s } from "../sim/time.js";
import type { Ipv4, Mac } from "../wire/addr.js";
import { DnsRcode } from "../wire/dns.js";
import type { Guest } from "./guest.js";
import { RESOLVE_NO_SERVERS, RESOLVE_TIMEOUT, type ResolveResult } from "./resolver.js";
import { ip, type Lan, lan } from "./testing.js";

// Reference: glibc resolv (res_search: ndots and search order; res_send: servers in order, timeout
// (5 << i) / nservers, attempts 2, SERVFAIL/REFUSED → next server, NXDOMAIN → next name) and dnsmasq
// as the network's DNS (lease names, NXDOMAIN for the local domain).

/** Another stack on the LAN at `addr`, e.g. an upstream DNS server or a silent one. */
function extraStack(net: Lan, name: string, addr: string, n: number): IpStack {
  const st = new IpStack(net.sim, name);
  const p = new Port(net.sim, `${name}.eth0`);
  connect(net.sim, p, net.br.addPort(name));
  st.addInterface("eth0", p, { mac: (0x5254_00bb_0000 + n) as Mac }).addAddress(addr);
  return st;
}

function lookup(g: Guest, name: string): { r: ResolveResult | null; at: number } {
  const out: { r: ResolveResult | null; at: number } = { r: null, at: -1 };
  g.resolver.lookup(name, (r) => {
    out.r = r;
    out.at = g.sim.now;
  });
  return out;
}

function dhcpLan() {
  const net = lan();
  const a = net.vm("alpha");
  const b = net.vm("beta");
  a.dhcp("eth0");
  b.dhcp("eth0");
  net.sim.run({ until: s(5) });
  return { net, a, b, bIp: b.dhcpClient("eth0")!.lease()!.ip };
}

describe("stub resolver", () => {
  it("resolves VM names from DHCP leases, plain and inside the search domain", () => {
    const { net, a, bIp } = dhcpLan();
    expect(a.stack.searchDomain).toBe("vnet.internal");
    const plain = lookup(a, "beta");
    const fq = lookup(a, "beta.vnet.internal");
    const viaApi: (Ipv4 | number | null)[] = [];
    a.resolve("BETA", (addr, rcode) => viaApi.push(addr, rcode));
    net.sim.run({ until: s(6) });
    // "beta" has no dot: the search domain goes first (ndots 1), and answers.
    expect(plain.r).toMatchObject({
      addresses: [bIp],
      rcode: 0,
      answeredName: "beta.vnet.internal",
      queries: 1,
    });
    expect(fq.r).toMatchObject({ addresses: [bIp], answeredName: "beta.vnet.internal", queries: 1 });
    expect(viaApi).toEqual([bIp, 0]);
  });

  it("a dotted quad needs no query", () => {
    const { net, a } = dhcpLan();
    const r = lookup(a, "198.51.100.7");
    net.sim.run({ until: s(6) });
    expect(r.r).toMatchObject({ addresses: [ip("198.51.100.7")], queries: 0 });
  });

  it("NXDOMAIN: both search candidates are tried, then null with rcode 3", () => {
    const { net, a } = dhcpLan();
    const r = lookup(a, "gamma");
    const dotted = lookup(a, "gamma.example");
    net.sim.run({ until: s(6) });
    expect(r.r).toMatchObject({ addresses: [], rcode: DnsRcode.NXDomain, answeredName: null, queries: 2 });
    expect(a.resolver.candidates("gamma")).toEqual(["gamma.vnet.internal", "gamma"]);
    expect(a.resolver.candidates("gamma.example")).toEqual(["gamma.example", "gamma.example.vnet.internal"]);
    expect(a.resolver.candidates("gamma.example.")).toEqual(["gamma.example"]);
    // no upstream: dnsmasq REFUSES "gamma.example" twice (2 attempts); REFUSED ends the search
    expect(dotted.r).toMatchObject({ addresses: [], rcode: DnsRcode.Refused, queries: 2 });
  });

  it("forwards through the network's DNS to the upstream", () => {
    const net = lan({ dns: { upstream: "192.168.122.53" } });
    const up = extraStack(net, "upstream", "192.168.122.53/24", 1);
    new DnsServer(up, { records: { "example.com": "198.51.100.10" } });
    const a = net.vm("alpha");
    a.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const r = lookup(a, "example.com");
    net.sim.run({ until: s(6) });
    expect(r.r).toMatchObject({ addresses: [ip("198.51.100.10")], rcode: 0, answeredName: "example.com" });
    expect(net.dns!.stats).toMatchObject({ forwarded: 1, relayed: 1 });
  });

  it("a REFUSED answer moves on to the next server", () => {
    const net = lan({ dhcp: false });
    const up = extraStack(net, "upstream", "192.168.122.53/24", 1);
    new DnsServer(up, { records: { "example.com": "198.51.100.10" } });
    const a = net.vm("alpha");
    a.configure("eth0", { address: "192.168.122.9/24", dns: ["192.168.122.1", "192.168.122.53"] });
    const r = lookup(a, "example.com");
    net.sim.run({ until: s(2) });
    expect(r.r).toMatchObject({ addresses: [ip("198.51.100.10")], queries: 2 });
    expect(net.dns!.stats.refused).toBe(1);
  });

  it("silent servers: each waits (5 << i) / n s, two rounds, then RESOLVE_TIMEOUT", () => {
    const net = lan({ dhcp: false, dns: false });
    const s1 = extraStack(net, "silent1", "192.168.122.51/24", 1);
    const s2 = extraStack(net, "silent2", "192.168.122.52/24", 2);
    let seen = 0;
    for (const st of [s1, s2]) st.udpBind({ port: 53 }).onMessage(() => seen++);
    const a = net.vm("alpha");
    a.configure("eth0", { address: "192.168.122.9/24", dns: ["192.168.122.51"] });
    const one = lookup(a, "example.com.");
    net.sim.run({ until: s(30) });
    expect(one.r).toMatchObject({ addresses: [], rcode: RESOLVE_TIMEOUT, queries: 2 });
    expect(one.at).toBe(s(10));

    a.stack.dnsServers = [ip("192.168.122.51"), ip("192.168.122.52")];
    const start = net.sim.now;
    const two = lookup(a, "example.com.");
    net.sim.run({ until: s(100) });
    // server 0: 5 s; server 1: (5 << 1) / 2 = 5 s; two rounds
    expect(two.r).toMatchObject({ rcode: RESOLVE_TIMEOUT, queries: 4 });
    expect(two.at - start).toBe(s(20));
    expect(seen).toBe(6);
  });

  it("a server whose port is closed fails at once (ICMP port unreachable), not after the timeout", () => {
    const net = lan({ dhcp: false, dns: false });
    const a = net.vm("alpha");
    a.configure("eth0", { address: "192.168.122.9/24", dns: ["192.168.122.1"] });
    const r = lookup(a, "example.com.");
    net.sim.run({ until: s(30) });
    expect(r.r).toMatchObject({ rcode: RESOLVE_TIMEOUT, queries: 2 });
    expect(r.at).toBeLessThan(s(1));
    expect(a.resolver.stats.unreachable).toBe(2);
  });

  it("no servers configured: RESOLVE_NO_SERVERS without a query", () => {
    const net = lan({ dhcp: false, dns: false });
    const a = net.vm("alpha");
    const r = lookup(a, "example.com");
    net.sim.run({ until: s(1) });
    expect(r.r).toMatchObject({ rcode: RESOLVE_NO_SERVERS, queries: 0 });
  });
});

/**
 * The mode presets: what each mode resolves to when only `mode:` is given (the defaults VirtualBox,
 * libvirt and QEMU users know), how given settings merge over them, and the parametric generators.
 */
import { describe, expect, it } from "vitest";
import { s } from "../sim/time.js";
import { topology } from "./builder.js";
import { generateTopology, topologyGenerators } from "./generators.js";
import { type ResolvedTopology, resolveTopology } from "./presets.js";
import type { NetworkSpec, TopologySpec } from "./spec.js";
import { checkTopology } from "./yaml.js";

function resolved(spec: TopologySpec): ResolvedTopology {
  const r = resolveTopology(checkTopology(spec));
  if (r.topology === null) throw new Error(JSON.stringify(r.issues));
  return r.topology;
}

function one(net: NetworkSpec, vms = 1): ResolvedTopology {
  const b = topology("t").network("lan", net);
  for (let i = 1; i <= vms; i++) b.vm(`vm${i}`, { nics: ["lan"] });
  return resolved(b.build());
}

describe("mode presets", () => {
  it("nat (QEMU slirp): 10.0.2.0/24, gateway .2 with slirp's MAC, DNS .3, 16 leases from .15, 24 h", () => {
    const t = one({ mode: "nat" });
    const n = t.networks[0];
    expect(n).toMatchObject({
      subnet: "10.0.2.0/24",
      host: "10.0.2.2",
      hostMac: "52:55:0a:00:02:02",
      bridge: "lan",
    });
    expect(n.dhcp).toMatchObject({
      node: "host",
      serverAddress: "10.0.2.2",
      start: "10.0.2.15",
      end: "10.0.2.30",
      lease: s(86400),
      router: "10.0.2.2",
      dns: ["10.0.2.3"],
    });
    expect(n.dns).toEqual({ node: "host", address: "10.0.2.3", upstream: "198.51.100.53", domain: null });
    // Linux MASQUERADE behaviour unless the topology asks for RFC 4787 modes.
    expect(n.nat).toEqual({ behaviour: "linux", maxFlows: 65536 });
    expect(t.hostForwarding).toBe(true);
    expect(t.vms[0].nics[0]).toMatchObject({ name: "eth0", ip: "dhcp", perVmNat: null });
  });

  it("nat, flavor libvirt: 192.168.122.0/24, .1 is gateway, DNS and DHCP server, pool .2-.254", () => {
    const n = one({ mode: "nat", flavor: "libvirt" }).networks[0];
    expect(n).toMatchObject({ subnet: "192.168.122.0/24", host: "192.168.122.1", hostMac: null });
    expect(n.dhcp).toMatchObject({
      serverAddress: "192.168.122.1",
      start: "192.168.122.2",
      end: "192.168.122.254",
      lease: s(3600),
    });
    expect(n.dns?.address).toBe("192.168.122.1");
  });

  it("nat per-VM (slirp): every VM gets its own instance with the same private plan", () => {
    const t = one({ mode: "nat", perVm: true }, 2);
    expect(t.networks[0]).toMatchObject({
      perVm: true,
      bridge: null,
      subnet: "10.0.2.0/24",
      host: "10.0.2.2",
    });
    expect(t.vms.map((v) => v.nics[0].perVmNat)).toEqual([
      { node: "lan-vm1", outsideAddress: "198.51.100.201" },
      { node: "lan-vm2", outsideAddress: "198.51.100.202" },
    ]);
    expect(t.hostForwarding).toBe(false);
    expect(t.ports.get("lan-vm2.uplink")).toBe("outside");
  });

  it("host-only (VirtualBox): 192.168.56.0/24, host .1, a DHCP server node at .100, .101-.254, no gateway", () => {
    const t = one({ mode: "host-only" });
    const n = t.networks[0];
    expect(n).toMatchObject({ subnet: "192.168.56.0/24", host: "192.168.56.1", dns: null, nat: null });
    expect(n.dhcp).toMatchObject({
      node: "lan-dhcp",
      serverAddress: "192.168.56.100",
      start: "192.168.56.101",
      end: "192.168.56.254",
      router: null,
      dns: [],
    });
    expect(t.serviceNodes).toEqual([{ name: "lan-dhcp", network: "lan", ip: "192.168.56.100/24" }]);
    expect(t.hostForwarding).toBe(false);
  });

  it("routed (libvirt forward mode=route): 192.168.100.0/24, host .1, forwarding, gw learns the route back", () => {
    const t = one({ mode: "routed" });
    expect(t.networks[0]).toMatchObject({ subnet: "192.168.100.0/24", host: "192.168.100.1" });
    expect(t.networks[0].dhcp).toMatchObject({ router: "192.168.100.1", dns: ["192.168.100.1"] });
    expect(t.hostForwarding).toBe(true);
    expect(t.outside.gwRoutes).toEqual([{ to: "192.168.100.0/24", via: "198.51.100.2" }]);
  });

  it("bridged: the VMs are on the outside segment and lease from gw's home-router DHCP", () => {
    const t = one({ mode: "bridged" });
    expect(t.networks[0]).toMatchObject({
      bridge: "outside",
      subnet: "198.51.100.0/24",
      host: null,
      dhcp: null,
    });
    expect(t.outside.dhcp).toMatchObject({
      node: "gw",
      serverAddress: "198.51.100.1",
      start: "198.51.100.100",
      end: "198.51.100.199",
      router: "198.51.100.1",
      dns: ["198.51.100.53"],
    });
  });

  it("isolated: no host, no DHCP; VMs take static addresses from .10 when a subnet is given", () => {
    const b = topology("t").network("iso", { mode: "isolated", subnet: "10.5.0.0/24" });
    b.vm("a", { nics: ["iso"] })
      .vm("b", { nics: [{ network: "iso", ip: "10.5.0.10/24" }] })
      .vm("c", { nics: ["iso"] });
    const t = resolved(b.build());
    expect(t.networks[0]).toMatchObject({ host: null, dhcp: null, dns: null });
    // b's explicit .10 is skipped by the automatic choice.
    expect(t.vms.map((v) => v.nics[0].ip)).toEqual(["10.5.0.11/24", "10.5.0.10/24", "10.5.0.12/24"]);
    expect(t.hostForwarding).toBe(false);
  });

  it("isolated with dhcp: a DHCP server node on the segment", () => {
    const t = one({ mode: "isolated", subnet: "10.5.0.0/24", dhcp: true });
    expect(t.networks[0].dhcp).toMatchObject({ node: "lan-dhcp", serverAddress: "10.5.0.100", router: null });
    expect(t.vms[0].nics[0].ip).toBe("dhcp");
  });

  it("NAT behaviour: a name, or mapping/filtering (the other defaulting to Linux-like), not both", () => {
    expect(one({ mode: "nat", nat: { behaviour: "full-cone" } }).networks[0].nat?.behaviour).toEqual({
      mapping: "endpoint-independent",
      filtering: "endpoint-independent",
    });
    expect(one({ mode: "nat", nat: { mapping: "address-dependent", maxFlows: 10 } }).networks[0].nat).toEqual(
      {
        behaviour: { mapping: "address-dependent", filtering: "address-and-port-dependent" },
        maxFlows: 10,
      },
    );
    expect(() =>
      one({ mode: "nat", nat: { behaviour: "symmetric", filtering: "address-dependent" } }),
    ).toThrow(/networks\.lan\.nat\.behaviour: give a behaviour or mapping\/filtering, not both/);
    expect(() =>
      checkTopology({
        name: "t",
        networks: { a: { mode: "nat" }, b: { mode: "nat", nat: { behaviour: "symmetric" } } },
        vms: {},
      }),
    ).toThrow(/networks\.b\.nat: the host's NAT networks share one conntrack table/);
  });

  it("given settings merge over the preset, field by field", () => {
    const n = one({
      mode: "nat",
      dhcp: { range: { start: "10.0.2.100", end: "10.0.2.110" }, lease: s(600) },
    }).networks[0];
    expect(n.dhcp).toMatchObject({
      start: "10.0.2.100",
      end: "10.0.2.110",
      lease: s(600),
      router: "10.0.2.2",
      dns: ["10.0.2.3"],
    });
    expect(one({ mode: "nat", dns: false }).networks[0]).toMatchObject({ dns: null });
    expect(one({ mode: "nat", dns: false }).networks[0].dhcp?.dns).toEqual([]);
  });

  it("a second network of a mode takes the next free /24", () => {
    const t = resolved(
      topology("t")
        .network("a", { mode: "host-only" })
        .network("b", { mode: "host-only" })
        .network("c", { mode: "nat" })
        .network("d", { mode: "nat", subnet: "10.0.3.0/24" })
        .network("e", { mode: "nat" })
        .build(),
    );
    expect(t.networks.map((n) => n.subnet)).toEqual([
      "192.168.56.0/24",
      "192.168.57.0/24",
      "10.0.2.0/24",
      "10.0.3.0/24",
      "10.0.4.0/24",
    ]);
  });

  it("the outside: TEST-NET-2, gw .1, host .2, default servers; other servers on segments behind gw", () => {
    const t = one({ mode: "nat" });
    expect(t.outside).toMatchObject({
      subnet: "198.51.100.0/24",
      gateway: "198.51.100.1",
      host: "198.51.100.2",
      dnsServer: "198.51.100.53",
    });
    expect(t.outside.servers.map((x) => [x.name, x.ip, x.udpEcho])).toEqual([
      ["web", "198.51.100.10", 7],
      ["dns", "198.51.100.53", null],
    ]);
    expect(t.outside.servers[1].dns).toEqual({
      "web.example.net": "198.51.100.10",
      "dns.example.net": "198.51.100.53",
    });
    const far = resolved(
      topology("t")
        .network("lan", { mode: "nat" })
        .server("cdn", { ip: "203.0.113.7", udpEcho: true })
        .server("cdn2", { ip: "203.0.113.8" })
        .build(),
    );
    expect(far.outside.segments).toEqual([{ name: "seg1", subnet: "203.0.113.0/24", router: "203.0.113.1" }]);
    expect(far.outside.servers[0]).toMatchObject({
      segment: "seg1",
      gateway: "203.0.113.1",
      prefixLength: 24,
      udpEcho: 7,
    });
    expect(far.outside.dnsServer).toBeNull();
  });
});

describe("generators (--topo)", () => {
  it("linear,4: four switches in a line, one VM each, one L2 segment", () => {
    const spec = generateTopology("linear,4");
    expect(Object.keys(spec.networks)).toEqual(["s1", "s2", "s3", "s4"]);
    expect(spec.networks.s3.links).toEqual([{ network: "s2" }]);
    expect(spec.vms.h4.nics).toEqual([{ network: "s4", ip: "10.0.0.4/24" }]);
    expect(spec.traffic).toEqual([{ at: s(1), ping: { from: "h1", to: "h4", count: 3 } }]);
  });

  it("star,16: sixteen VMs on one NAT network", () => {
    const spec = generateTopology("star,16");
    expect(spec.networks).toEqual({ lan: { mode: "nat" } });
    expect(Object.keys(spec.vms)).toHaveLength(16);
    expect(spec.traffic).toHaveLength(16);
    expect(generateTopology("star,3,host-only").networks.lan.mode).toBe("host-only");
  });

  it("bad arguments are one-line errors", () => {
    expect(() => generateTopology("ring,3")).toThrow('--topo: unknown topology "ring"; known: linear, star');
    expect(() => generateTopology("linear")).toThrow(
      "--topo linear: expected a number of nodes 1..250, got nothing",
    );
    expect(() => generateTopology("star,0")).toThrow(/got "0"/);
    expect(() => generateTopology("star,3,natt")).toThrow(/unknown mode "natt"/);
    expect(topologyGenerators().map((g) => g.name)).toEqual(["linear", "star"]);
  });
});

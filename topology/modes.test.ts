/**
 * The network modes, run: each example topology (examples/*.yaml) is run in virtual time and its
 * report must show DESIGN.md's reachability matrix — who can ping whom (VM↔VM, VM→host, VM→outside,
 * outside→VM) and who gets a lease — with the failures failing the way Linux makes them fail (no
 * route: "Network is unreachable" at the sender; a router without a route back: ICMP net unreachable).
 *
 * | mode      | VM↔VM | VM→host | VM→outside | outside→VM | lease |
 * |-----------|-------|---------|------------|------------|-------|
 * | bridged   | yes   | yes     | yes        | yes        | yes (outside's DHCP) |
 * | host-only | yes   | yes     | no         | no         | yes (VirtualBox .100) |
 * | routed    | yes   | yes     | yes        | yes        | yes   |
 * | nat       | yes   | yes     | yes        | no (only port forwards) | yes |
 * | isolated  | yes   | no      | no         | no         | no    |
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_TOPOLOGY_YAML } from "./default-topology.js";
import type { PingReport, RunReport } from "./report.js";
import { runTopology } from "./run.js";
import { loadTopologyFile, parseTopologyYaml } from "./yaml.js";

const examples = new URL("../examples/", import.meta.url);
const cache = new Map<string, RunReport>();

function run(mode: string): RunReport {
  let r = cache.get(mode);
  if (!r) {
    r = runTopology(loadTopologyFile(new URL(`${mode}.yaml`, examples).pathname)).report;
    cache.set(mode, r);
  }
  return r;
}

function ping(r: RunReport, from: string, to: string): PingReport {
  const p = r.pings.find((x) => x.from === from && x.to === to);
  if (!p) throw new Error(`no ping ${from} -> ${to} in ${r.name}`);
  return p;
}

/** Reachable: every request answered. */
function reaches(r: RunReport, from: string, to: string): boolean {
  const p = ping(r, from, to);
  if (p.received === p.sent && p.sent > 0) return true;
  expect(p.received, `${from} -> ${to}: partly answered`).toBe(0);
  return false;
}

function leased(r: RunReport): string[] {
  return r.leases.filter((l) => l.ip !== null).map((l) => `${l.vm}=${l.ip}`);
}

describe("reachability matrix per mode (DESIGN.md)", () => {
  it("bridged: the VMs are peers on the outside segment", () => {
    const r = run("bridged");
    expect(leased(r)).toEqual(["vm1=198.51.100.100", "vm2=198.51.100.101"]);
    expect(r.leases[0]).toMatchObject({
      router: "198.51.100.1",
      dns: ["198.51.100.53"],
      server: "198.51.100.1",
    });
    expect(reaches(r, "vm1", "vm2")).toBe(true);
    expect(reaches(r, "vm1", "host")).toBe(true);
    expect(ping(r, "vm1", "host").dst).toBe("198.51.100.2");
    expect(reaches(r, "vm1", "web")).toBe(true);
    expect(reaches(r, "web", "vm1")).toBe(true);
    expect(reaches(r, "vm2", "web.example.net")).toBe(true);
    expect(r.nat).toEqual([]);
  });

  it("host-only: VMs and the host only; no gateway, host forwarding off", () => {
    const r = run("host-only");
    expect(leased(r)).toEqual(["vm1=192.168.56.101", "vm2=192.168.56.102"]);
    expect(r.leases[0]).toMatchObject({ router: null, dns: [], server: "192.168.56.100" });
    expect(reaches(r, "vm1", "vm2")).toBe(true);
    expect(reaches(r, "vm1", "host")).toBe(true);
    expect(reaches(r, "host", "vm2")).toBe(true);
    // No default route in the VM (VirtualBox's host-only DHCP gives none): Linux ping fails at connect().
    expect(reaches(r, "vm1", "web")).toBe(false);
    expect(ping(r, "vm1", "web")).toMatchObject({ sent: 0, error: "connect: Network is unreachable" });
    // The outside has no route to 192.168.56.0/24: gw answers net unreachable.
    expect(reaches(r, "web", "vm1")).toBe(false);
    expect(ping(r, "web", "vm1").errors).toEqual({ "Destination Net Unreachable": 3 });
    expect(r.nodes.find((n) => n.name === "host")?.forwarding).toBe(false);
  });

  it("routed: forwarding on the host, the outside routes back", () => {
    const r = run("routed");
    // libvirt's dnsmasq: the address comes from a hash of the MAC (services/dhcp-server.ts "mac-hash").
    expect(leased(r)).toEqual(["vm1=192.168.100.8", "vm2=192.168.100.87"]);
    expect(r.leases[0]).toMatchObject({ router: "192.168.100.1", dns: ["192.168.100.1"] });
    expect(reaches(r, "vm1", "vm2")).toBe(true);
    expect(reaches(r, "vm1", "host")).toBe(true);
    expect(reaches(r, "vm1", "web")).toBe(true);
    expect(reaches(r, "web", "vm1")).toBe(true);
    // DNS through the host's dnsmasq-like server, forwarded to the outside's.
    expect(reaches(r, "vm2", "web.example.net")).toBe(true);
    expect(r.udpEchoes[0]).toMatchObject({ from: "web", to: "vm2", sent: 5, received: 5 });
    expect(r.nodes.find((n) => n.name === "gw")!.routes).toContain(
      "192.168.100.0/24 via 198.51.100.2 dev eth0",
    );
    expect(r.nodes.find((n) => n.name === "host")?.forwarding).toBe(true);
    expect(r.nat).toEqual([]);
  });

  it("nat: out through masquerade, not in (except the port forward)", () => {
    const r = run("nat");
    expect(leased(r)).toEqual(["vm1=10.0.2.15", "vm2=10.0.2.16"]);
    expect(r.leases[0]).toMatchObject({ router: "10.0.2.2", dns: ["10.0.2.3"], server: "10.0.2.2" });
    expect(reaches(r, "vm1", "vm2")).toBe(true);
    expect(reaches(r, "vm1", "host")).toBe(true);
    expect(reaches(r, "vm1", "web")).toBe(true);
    expect(reaches(r, "vm2", "web.example.net")).toBe(true);
    expect(reaches(r, "web", "vm1")).toBe(false);
    expect(ping(r, "web", "vm1").errors).toEqual({ "Destination Net Unreachable": 3 });
    // Outside traffic came from the host's address: the masquerade entries name it.
    const conntrack = r.nat[0].conntrack;
    expect(conntrack).toMatch(
      /^icmp +1 \d+ src=10\.0\.2\.15 dst=198\.51\.100\.10 type=8 code=0 id=\d+ src=198\.51\.100\.10 dst=198\.51\.100\.2 /m,
    );
    // The port forward host:2222 -> vm1:22 lets the outside in.
    expect(r.udpEchoes.find((u) => u.to === "host.uplink")).toMatchObject({
      sent: 3,
      received: 3,
      dst: "198.51.100.2",
    });
    expect(conntrack).toMatch(
      /udp +17 \d+ src=198\.51\.100\.10 dst=198\.51\.100\.2 sport=\d+ dport=2222 src=10\.0\.2\.15 dst=198\.51\.100\.10 sport=22 /,
    );
    expect(r.udpEchoes.find((u) => u.to === "web")).toMatchObject({ sent: 5, received: 5 });
    expect(r.flows[0]).toMatchObject({ sent: 250, bytes: 250_000, received: 250, receivedBytes: 250_000 });
  });

  it("isolated: only the VMs on the segment", () => {
    const r = run("isolated");
    expect(r.leases).toEqual([]);
    expect(r.addresses.filter((a) => a.node.startsWith("vm")).map((a) => a.addresses)).toEqual([
      ["10.10.0.10/24"],
      ["10.10.0.11/24"],
    ]);
    expect(reaches(r, "vm1", "vm2")).toBe(true);
    expect(reaches(r, "vm1", "host")).toBe(false);
    expect(reaches(r, "vm1", "web")).toBe(false);
    expect(reaches(r, "web", "vm1")).toBe(false);
    // Nothing of the segment reaches the host: its only interface is the uplink.
    expect(r.ports.filter((p) => p.node === "host").map((p) => p.name)).toEqual(["host.uplink"]);
  });

  it("the built-in default topology is examples/nat.yaml", () => {
    expect(readFileSync(new URL("nat.yaml", examples), "utf8")).toBe(DEFAULT_TOPOLOGY_YAML);
    expect(parseTopologyYaml(DEFAULT_TOPOLOGY_YAML, "x.yaml").name).toBe("nat");
  });
});

describe("determinism (DESIGN.md principle 1)", () => {
  it("same seed: byte-identical captures; another seed: other MACs, other captures", () => {
    const spec = loadTopologyFile(new URL("nat.yaml", examples).pathname);
    const a = runTopology(spec);
    const b = runTopology(spec);
    expect([...a.captures.keys()]).toEqual([
      "vm1-eth0.pcap",
      "vm2-eth0.pcap",
      "host-uplink.pcap",
      "host-lan.pcap",
      "gw-eth0.pcap",
      "web-eth0.pcap",
      "dns-eth0.pcap",
    ]);
    for (const [name, bytes] of a.captures) {
      expect(bytes.byteLength, name).toBeGreaterThan(24);
      expect(Buffer.from(b.captures.get(name)!).equals(Buffer.from(bytes)), name).toBe(true);
    }
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
    const c = runTopology(spec, { seed: 2 });
    expect(c.report.leases[0].mac).not.toBe(a.report.leases[0].mac);
    expect(
      Buffer.from(c.captures.get("vm1-eth0.pcap")!).equals(Buffer.from(a.captures.get("vm1-eth0.pcap")!)),
    ).toBe(false);
  });
});

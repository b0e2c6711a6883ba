/**
 * Topology files: YAML → TopologySpec, and every kind of mistake reported once, as
 * `FILE:LINE:COL: path: message`, at the node the mistake is in.
 */
import { describe, expect, it } from "vitest";
import { ms, s } from "../sim/time.js";
import { topology } from "./builder.js";
import { TopologyError } from "./spec.js";
import { checkTopology, parseTopologyYaml } from "./yaml.js";

const NAT_DEMO = `name: nat-demo
seed: 1
duration: 30s
networks:
  lan:
    mode: nat
    dhcp: { range: 10.0.2.15-10.0.2.30, lease: 1h, reservations: [{ mac: "52:54:00:12:34:56", ip: 10.0.2.20 }] }
    nat: { mapping: endpoint-independent, filtering: address-and-port-dependent, max-flows: 65536 }
    port-forwards: [{ proto: tcp, host-port: 2222, vm: vm1, port: 22 }]
vms:
  vm1:
    nics:
      - network: lan
  vm2: { nics: [{ network: lan, ip: dhcp, link: { delay: 5ms, rate: 100mbit, loss: 1% } }] }
outside:
  subnet: 198.51.100.0/24
  servers:
    web: { ip: 198.51.100.10, udp-echo: 7 }
    dns: { ip: 198.51.100.53, dns: { example.com: 198.51.100.10 } }
traffic:
  - { at: 2s, ping: { from: vm1, to: web, count: 4, interval: 1s } }
  - { at: 3s, udp-echo: { from: vm2, to: 198.51.100.10, port: 7, count: 10 } }
  - { at: 3s, flow: { from: vm1, to: vm2, port: 5001, rate: 10mbit, size: 1200, duration: 5s } }
faults:
  - { at: 10s, link-down: vm1.eth0 }
  - { at: 12s, link-up: vm1.eth0 }
  - { at: 20s, stop: vm2 }
captures: [vm1.eth0, lan, host.uplink]
`;

function errorOf(text: string, file = "t.yaml"): string {
  try {
    parseTopologyYaml(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    return (e as Error).message;
  }
  throw new Error("expected a TopologyError");
}

describe("parseTopologyYaml", () => {
  it("turns the file into the typed spec: camelCase keys, units in ns / bit/s / probability", () => {
    const spec = parseTopologyYaml(NAT_DEMO, "nat-demo.yaml");
    expect(spec.name).toBe("nat-demo");
    expect(spec.seed).toBe(1);
    expect(spec.duration).toBe(s(30));
    expect(spec.networks.lan).toEqual({
      mode: "nat",
      dhcp: {
        range: { start: "10.0.2.15", end: "10.0.2.30" },
        lease: s(3600),
        reservations: [{ mac: "52:54:00:12:34:56", ip: "10.0.2.20" }],
      },
      nat: { mapping: "endpoint-independent", filtering: "address-and-port-dependent", maxFlows: 65536 },
      portForwards: [{ proto: "tcp", hostPort: 2222, vm: "vm1", port: 22 }],
    });
    expect(spec.vms.vm2.nics[0]).toEqual({
      network: "lan",
      ip: "dhcp",
      link: { delay: ms(5), rate: 100e6, loss: 0.01 },
    });
    expect(spec.outside?.servers?.web).toEqual({ ip: "198.51.100.10", udpEcho: 7 });
    expect(spec.traffic).toEqual([
      { at: s(2), ping: { from: "vm1", to: "web", count: 4, interval: s(1) } },
      { at: s(3), udpEcho: { from: "vm2", to: "198.51.100.10", port: 7, count: 10 } },
      { at: s(3), flow: { from: "vm1", to: "vm2", port: 5001, rate: 10e6, size: 1200, duration: s(5) } },
    ]);
    expect(spec.faults).toEqual([
      { at: s(10), linkDown: "vm1.eth0" },
      { at: s(12), linkUp: "vm1.eth0" },
      { at: s(20), stop: "vm2" },
    ]);
    expect(spec.captures).toEqual(["vm1.eth0", "lan", "host.uplink"]);
  });

  it("names a topology without `name:` after its file", () => {
    expect(parseTopologyYaml("networks: {}\nvms: {}\n", "dir/my-net.yaml").name).toBe("my-net");
  });

  it("a NIC may be just a network name", () => {
    const spec = parseTopologyYaml("networks: { lan: { mode: host-only } }\nvms: { a: { nics: [lan] } }\n");
    expect(spec.vms.a.nics).toEqual([{ network: "lan" }]);
  });

  it("is the same spec as the builder's", () => {
    const fromFile = parseTopologyYaml(
      "name: t\nseed: 3\nnetworks: { lan: { mode: nat } }\nvms: { vm1: { nics: [lan] } }\ntraffic: [{ at: 2s, ping: { from: vm1, to: web, count: 2 } }]\n",
    );
    const fromCode = topology("t", { seed: 3 })
      .network("lan", { mode: "nat" })
      .vm("vm1", { nics: ["lan"] })
      .ping(s(2), { from: "vm1", to: "web", count: 2 })
      .build();
    expect(fromCode).toEqual(fromFile);
  });
});

describe("errors: FILE:LINE:COL: path: message", () => {
  it("a bad value in a flow mapping points at the value", () => {
    expect(errorOf("networks:\n  lan:\n    mode: nat\n    dhcp: { range: x }\nvms: {}\n")).toBe(
      't.yaml:4:20: networks.lan.dhcp.range: expected A-B (two IPv4 addresses), got "x"',
    );
  });

  it("unknown keys, with a suggestion, at the key", () => {
    expect(errorOf("networks:\n  lan:\n    mode: nat\nvms:\n  vm1:\n    nics:\n      - netwrok: lan\n")).toBe(
      't.yaml:7:9: vms.vm1.nics[0].netwrok: unknown key "netwrok" (did you mean "network"?); known keys: network, name, mac, ip, gateway, dns, link, tap',
    );
    expect(errorOf("netwroks: {}\n")).toMatch(
      /^t\.yaml:1:1: netwroks: unknown key "netwroks" \(did you mean "networks"\?\)/,
    );
  });

  it("enum values, with a suggestion", () => {
    expect(errorOf("networks:\n  lan:\n    mode: natt\n")).toBe(
      't.yaml:3:11: networks.lan.mode: expected one of bridged, host-only, routed, nat, isolated, got "natt" (did you mean "nat"?)',
    );
  });

  it("units: missing or unknown, naming the field", () => {
    expect(
      errorOf(
        "networks: { lan: { mode: nat } }\nvms:\n  vm1: { nics: [{ network: lan, link: { delay: 5 } }] }\n",
      ),
    ).toBe(
      "t.yaml:3:48: vms.vm1.nics[0].link.delay: expected a duration with a unit (250us, 5ms, 1.5s, 2m, 1h), got 5 (no unit)",
    );
    expect(
      errorOf(
        "networks: { lan: { mode: nat } }\nvms:\n  vm1: { nics: [{ network: lan, link: { rate: 10mb } }] }\n",
      ),
    ).toMatch(/^t\.yaml:3:47: vms\.vm1\.nics\[0\]\.link\.rate: unknown rate unit "mb"/);
    expect(errorOf("duration: 30 secs\n")).toMatch(/^t\.yaml:1:11: duration: unknown duration unit "secs"/);
  });

  it("references: networks, traffic targets, fault targets, captures", () => {
    expect(errorOf("networks:\n  lan: { mode: nat }\nvms:\n  vm1:\n    nics:\n      - network: lam\n")).toBe(
      't.yaml:6:18: vms.vm1.nics[0].network: unknown network "lam" (did you mean "lan"?)',
    );
    const base = "networks: { lan: { mode: nat } }\nvms: { vm1: { nics: [lan] } }\n";
    expect(errorOf(`${base}traffic:\n  - { at: 1s, ping: { from: vm1, to: webb } }\n`)).toBe(
      't.yaml:4:38: traffic[0].ping.to: unknown node "webb" (did you mean "web"?); a DNS name needs a dot',
    );
    expect(errorOf(`${base}traffic:\n  - { at: 1s, ping: { from: vm9, to: web } }\n`)).toMatch(
      /^t\.yaml:4:29: traffic\[0\]\.ping\.from: unknown node "vm9" \(did you mean "vm1"\?\)/,
    );
    expect(errorOf(`${base}faults:\n  - { at: 1s, link-down: vm1.eth1 }\n`)).toBe(
      't.yaml:4:26: faults[0].link-down: unknown interface (node.iface) "vm1.eth1" (did you mean "vm1.eth0"?)',
    );
    expect(errorOf(`${base}captures: [vm1.eth0, lam]\n`)).toMatch(
      /^t\.yaml:3:22: captures\[1\]: unknown interface or network "lam"/,
    );
    expect(errorOf(`${base}traffic:\n  - { at: 1s }\n`)).toBe(
      "t.yaml:4:5: traffic[0]: a traffic item needs one of ping, udp-echo, flow",
    );
  });

  it("addresses and subnets", () => {
    expect(errorOf("networks:\n  lan: { mode: host-only, subnet: 10.0.2.5/24 }\n")).toBe(
      "t.yaml:2:35: networks.lan.subnet: 10.0.2.5/24 has host bits set; the subnet is 10.0.2.0/24",
    );
    expect(
      errorOf(
        "networks:\n  a: { mode: host-only, subnet: 10.1.0.0/16 }\n  b: { mode: routed, subnet: 10.1.2.0/24 }\n",
      ),
    ).toBe(
      "t.yaml:3:30: networks.b.subnet: 10.1.2.0/24 overlaps network a's 10.1.0.0/16 (both are on the host)",
    );
    expect(
      errorOf("networks:\n  lan: { mode: nat }\nvms:\n  v: { nics: [{ network: lan, ip: 10.9.0.5/24 }] }\n"),
    ).toBe("t.yaml:4:35: vms.v.nics[0].ip: 10.9.0.5/24 is not a host address of lan's subnet 10.0.2.0/24");
    expect(errorOf("networks:\n  lan: { mode: nat, dhcp: 5 }\n")).toBe(
      "t.yaml:2:27: networks.lan.dhcp: expected a boolean or a mapping, got 5",
    );
  });

  it("mode-specific settings on the wrong mode", () => {
    expect(errorOf("networks:\n  lan: { mode: host-only, per-vm: true }\n")).toMatch(
      /^t\.yaml:2:35: networks\.lan\.per-vm: only a nat network can be per-VM/,
    );
    expect(errorOf("networks:\n  lan: { mode: isolated }\nvms:\n  v: { nics: [lan] }\n")).toMatch(
      /^t\.yaml:4:15: vms\.v\.nics\[0\]\.ip: required: network lan has no DHCP and no subnet/,
    );
  });

  it("names: reserved, duplicated across kinds, malformed", () => {
    expect(errorOf("networks: { lan: { mode: nat } }\nvms:\n  host: { nics: [lan] }\n")).toBe(
      "t.yaml:3:3: vms.host: the name host is reserved (host and gw are built in)",
    );
    expect(errorOf("networks: { lan: { mode: nat } }\nvms:\n  web: { nics: [lan] }\n")).toMatch(
      /^t\.yaml:3:3: vms\.web: the name web is already a default server of the outside/,
    );
    expect(errorOf("networks:\n  my.net: { mode: nat }\n")).toMatch(
      /^t\.yaml:2:3: networks\.my\.net: invalid name "my\.net"/,
    );
  });

  it("YAML syntax errors and duplicate keys, at their position", () => {
    expect(errorOf("networks:\n  lan: { mode: nat\n")).toMatch(/^t\.yaml:3:1: Flow map in block collection/);
    expect(errorOf("vms: {}\nvms: {}\n")).toBe("t.yaml:2:1: Map keys must be unique");
    expect(errorOf("")).toBe("t.yaml:1:1: the topology is empty");
    expect(errorOf("- 1\n")).toBe("t.yaml:1:1: expected a mapping, got a list");
  });
});

describe("checkTopology (specs made in code)", () => {
  it("reports the path without a file", () => {
    expect(() =>
      topology("t")
        .network("lan", { mode: "nat" })
        .vm("v", { nics: ["lam"] })
        .build(),
    ).toThrow('t: vms.v.nics[0].network: unknown network "lam" (did you mean "lan"?)');
  });

  it("checks the typed numbers too", () => {
    expect(() =>
      checkTopology({
        name: "t",
        networks: { lan: { mode: "nat" } },
        vms: { v: { nics: [{ network: "lan", link: { loss: 2 } }] } },
      }),
    ).toThrow(/vms\.v\.nics\[0\]\.link\.loss: expected a probability 0\.\.1, got 2/);
    expect(() => checkTopology({ name: "t", duration: 1.5, networks: {}, vms: {} })).toThrow(
      /duration: expected a duration in whole ns/,
    );
  });
});

/**
 * A topology file with every kind of mistake gives one clear error, `FILE:LINE:COL: path: message`,
 * at the first mistake; fixing that one moves the error to the next (so each kind is reported with its
 * own line). The single-kind cases live in topology/yaml.test.ts; duplicate MACs are checked here.
 */
import { describe, expect, it } from "vitest";
import { TopologyError } from "../../topology/spec.js";
import { parseTopologyYaml } from "../../topology/yaml.js";

function errorOf(text: string): string {
  try {
    parseTopologyYaml(text, "bad.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    const m = (e as Error).message;
    expect(m.split("\n")).toHaveLength(1);
    return m;
  }
  throw new Error("no error");
}

// Every mistake on its own line, with its fix.
const LINES: readonly (readonly [string, string])[] = [
  ["networks:", "networks:"],
  ["  lan: { mode: nat, subnet: 10.0.2.0/24, colour: blue }", "  lan: { mode: nat, subnet: 10.0.2.0/24 }"], // unknown field
  ["  b: { mode: host-only, subnet: 10.0.2.0/25 }", "  b: { mode: host-only, subnet: 10.7.0.0/24 }"], // overlaps lan's 10.0.2.0/24
  ["vms:", "vms:"],
  [
    "  vm1: { nics: [{ network: lan, mac: '52:54:00:00:00:01' }] }",
    "  vm1: { nics: [{ network: lan, mac: '52:54:00:00:00:01' }] }",
  ],
  [
    "  vm2: { nics: [{ network: lan, mac: '52:54:00:00:00:01' }] }",
    "  vm2: { nics: [{ network: lan, mac: '52:54:00:00:00:02' }] }",
  ], // duplicate MAC
  [
    "  vm3: { nics: [{ network: lan, link: { delay: 5 } }] }",
    "  vm3: { nics: [{ network: lan, link: { delay: 5ms } }] }",
  ], // bad unit
  ["traffic:", "traffic:"],
  ["  - { at: 1s, ping: { from: vm1, to: vm9 } }", "  - { at: 1s, ping: { from: vm1, to: vm2 } }"], // missing node
];

describe("a topology file with every kind of mistake", () => {
  it("one error at a time, each at its own line; fixing the reported line moves on to the next mistake", () => {
    const fixed = new Set<number>();
    const reported: string[] = [];
    for (;;) {
      const text = `${LINES.map(([bad, good], i) => (fixed.has(i) ? good : bad)).join("\n")}\n`;
      let m: string;
      try {
        parseTopologyYaml(text, "bad.yaml");
        break;
      } catch (e) {
        expect(e).toBeInstanceOf(TopologyError);
        m = (e as Error).message;
      }
      expect(m.split("\n")).toHaveLength(1);
      const line = Number(/^bad\.yaml:(\d+):\d+: /.exec(m)?.[1]);
      expect(fixed.has(line - 1), m).toBe(false);
      fixed.add(line - 1);
      reported.push(m);
      expect(reported.length).toBeLessThanOrEqual(5);
    }
    expect(reported.map((r) => r.split(":")[1]).sort()).toEqual(["2", "3", "6", "7", "9"]);
    expect(reported).toEqual([
      'bad.yaml:2:42: networks.lan.colour: unknown key "colour"; known keys: mode, flavor, subnet, host, dhcp, dns, domain, nat, port-forwards, per-vm, routes, links',
      "bad.yaml:7:48: vms.vm3.nics[0].link.delay: expected a duration with a unit (250us, 5ms, 1.5s, 2m, 1h), got 5 (no unit)",
      "bad.yaml:3:33: networks.b.subnet: 10.0.2.0/25 overlaps network lan's 10.0.2.0/24 (both are on the host)",
      "bad.yaml:6:38: vms.vm2.nics[0].mac: duplicate MAC 52:54:00:00:00:01: already vm1.eth0's",
      'bad.yaml:9:38: traffic[0].ping.to: unknown node "vm9" (did you mean "vm1"?); a DNS name needs a dot',
    ]);
  });

  it("duplicate MACs: two VMs, a VM and a router, in any case or separator", () => {
    const base = "networks: { lan: { mode: nat }, b: { mode: host-only } }\n";
    expect(
      errorOf(
        `${base}vms:\n  a: { nics: [{ network: lan, mac: '52:54:00:aa:00:01' }] }\n  b2: { nics: [{ network: b, mac: '52:54:00:AA:00:01' }] }\n`,
      ),
    ).toBe("bad.yaml:4:35: vms.b2.nics[0].mac: duplicate MAC 52:54:00:aa:00:01: already a.eth0's");
    expect(
      errorOf(
        `${base}vms:\n  a: { nics: [{ network: lan, mac: '52:54:00:aa:00:01' }] }\nrouters:\n  r: { interfaces: [{ network: b, ip: 192.168.56.9/24, mac: '52:54:00:aa:00:01' }] }\n`,
      ),
    ).toMatch(
      /^bad\.yaml:5:\d+: routers\.r\.interfaces\[0\]\.mac: duplicate MAC 52:54:00:aa:00:01: already a\.eth0's$/,
    );
  });
});

describe("YAML shapes no topology has", () => {
  it("a mapping or list as a key is an error at the key (not a warning on stderr)", () => {
    expect(errorOf("networks:\n  [lan]: { mode: nat }\n")).toBe(
      "bad.yaml:2:3: a mapping or list cannot be a key",
    );
    expect(errorOf("{ ~*a }")).toMatch(/^bad\.yaml:1:\d+: /);
  });
});

/**
 * RFC 4787 mapping and filtering behaviour, one NAT per mode, and random flows through the NAT
 * (fast-check). "linux" is netfilter MASQUERADE (Linux 6.18); the other modes follow RFC 4787 §4.1/§5.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.js";
import type { NatBehaviour, NatBehaviourName } from "./behaviour.js";
import { Nat } from "./nat.js";
import { echo, iface, seen, tcp, udp } from "./testing.js";

const LAN = iface("lan", "10.0.2.2");
const WAN = iface("wan", "203.0.113.2");
const PUB = "203.0.113.2";
const A = "10.0.2.15";
const B = "10.0.2.16";
const S = "198.51.100.10";
const T = "198.51.100.20";

function make(behaviour: NatBehaviourName | NatBehaviour) {
  const nat = new Nat(new Simulator({ seed: 3 }), "n", { behaviour });
  nat.masquerade({ outIf: "wan" });
  return {
    nat,
    out: (p: Uint8Array) => nat.translateForward(p, LAN, WAN),
    back: (p: Uint8Array) => nat.translateForward(p, WAN, LAN),
  };
}

const MODES: readonly (NatBehaviourName | NatBehaviour)[] = [
  "linux",
  "full-cone",
  "restricted-cone",
  "port-restricted-cone",
  "symmetric",
  { mapping: "address-dependent", filtering: "endpoint-independent" },
];
const label = (m: NatBehaviourName | NatBehaviour) =>
  typeof m === "string" ? m : `${m.mapping}/${m.filtering}`;

describe("RFC 4787 mapping (§4.1)", () => {
  // [same address, other port; other address]: is the external port the first flow's?
  const expected: Record<string, [boolean, boolean]> = {
    linux: [true, true], // port preservation: the reply tuples differ, so the port is kept
    "full-cone": [true, true],
    "restricted-cone": [true, true],
    "port-restricted-cone": [true, true],
    symmetric: [false, false],
    "address-dependent/endpoint-independent": [true, false],
  };
  for (const mode of MODES) {
    it(`${label(mode)}: ${expected[label(mode)].join(", ")}`, () => {
      const { out } = make(mode);
      const first = seen(out(udp({ src: A, dst: S, sport: 5000, dport: 7 }))!).sport;
      expect(first).toBe(5000);
      const otherPort = seen(out(udp({ src: A, dst: S, sport: 5000, dport: 8 }))!).sport;
      const otherAddr = seen(out(udp({ src: A, dst: T, sport: 5000, dport: 7 }))!).sport;
      expect([otherPort === first, otherAddr === first]).toEqual(expected[label(mode)]);
    });
  }

  it("an external port belongs to one internal endpoint in the explicit modes", () => {
    const { out, nat } = make("full-cone");
    out(udp({ src: A, dst: S, sport: 5000, dport: 7 }));
    // Another host, another destination: Linux would keep 5000; a cone NAT must not share it.
    expect(seen(out(udp({ src: B, dst: T, sport: 5000, dport: 7 }))!).sport).not.toBe(5000);
    expect(nat.mappings().map((m) => m.external.port)).toContain(5000);
  });

  it("translates ICMP echo identifiers per mapping too", () => {
    const { out } = make("symmetric");
    const a = seen(out(echo(A, S, 77, 1))!).icmp as { ident: number };
    const b = seen(out(echo(A, T, 77, 1))!).icmp as { ident: number };
    expect(a.ident).toBe(77);
    expect(b.ident).not.toBe(77);
  });
});

describe("RFC 4787 filtering (§5)", () => {
  // After A:5000 -> S:7, packets to the mapped port from S:7 (the reply), S:9 and T:7:
  // "in" = translated to A, "drop" = filtered, "pass" = not translated (reaches the router itself).
  const expected: Record<string, [string, string, string]> = {
    linux: ["in", "pass", "pass"],
    "full-cone": ["in", "in", "in"],
    "restricted-cone": ["in", "in", "drop"],
    "port-restricted-cone": ["in", "drop", "drop"],
    symmetric: ["in", "drop", "drop"],
    "address-dependent/endpoint-independent": ["in", "in", "in"],
  };
  for (const mode of MODES) {
    it(`${label(mode)}: ${expected[label(mode)].join(", ")}`, () => {
      const { out, back, nat } = make(mode);
      const port = seen(out(udp({ src: A, dst: S, sport: 5000, dport: 7 }))!).sport!;
      const verdict = (from: string, sport: number) => {
        const p = udp({ src: from, dst: PUB, sport, dport: port });
        const r = back(p);
        if (r === null) return "drop";
        if (r === p) return "pass";
        expect(seen(r)).toMatchObject({ src: from, sport, dst: A, dport: 5000 });
        return "in";
      };
      expect([verdict(S, 7), verdict(S, 9), verdict(T, 7)]).toEqual(expected[label(mode)]);
      const drops = expected[label(mode)].filter((v) => v === "drop").length;
      expect(nat.stats.drops.get("filtered") ?? 0).toBe(drops);
    });
  }

  it("an accepted unsolicited packet opens a connection the inside host can answer", () => {
    const { out, back } = make("full-cone");
    out(udp({ src: A, dst: S, sport: 5000, dport: 7 }));
    back(udp({ src: T, dst: PUB, sport: 9999, dport: 5000 }));
    expect(seen(out(udp({ src: A, dst: T, sport: 5000, dport: 9999 }))!)).toMatchObject({
      src: PUB,
      sport: 5000,
    });
  });

  it("the mapping ends with its last connection: the port stops letting packets in", () => {
    const sim = new Simulator();
    const nat = new Nat(sim, "n", { behaviour: "full-cone" });
    nat.masquerade({ outIf: "wan" });
    nat.translateForward(udp({ src: A, dst: S, sport: 5000, dport: 7 }), LAN, WAN);
    sim.schedule(31e9, () => {});
    sim.run();
    const p = udp({ src: T, dst: PUB, sport: 1, dport: 5000 });
    expect(nat.translateForward(p, WAN, LAN)).toBe(p);
    expect(nat.mappings()).toEqual([]);
  });

  it("hairpins to a mapped endpoint with the sender's own external mapping as source (REQ-9)", () => {
    const { out, nat } = make("full-cone");
    const bExt = seen(out(udp({ src: B, dst: S, sport: 6000, dport: 3478 }))!).sport!;
    const q = nat.translateForward(udp({ src: A, dst: PUB, sport: 5000, dport: bExt }), LAN, LAN)!;
    expect(seen(q)).toMatchObject({ src: PUB, sport: 5000, dst: B, dport: 6000 });
    const r = nat.translateForward(udp({ src: B, dst: PUB, sport: 6000, dport: 5000 }), LAN, LAN)!;
    expect(seen(r)).toMatchObject({ src: PUB, sport: bExt, dst: A, dport: 5000 });
  });
});

describe("random flows through the NAT (fast-check)", () => {
  const flow = fc.record({
    host: fc.integer({ min: 10, max: 13 }),
    server: fc.constantFrom(S, T),
    proto: fc.constantFrom("udp", "tcp", "icmp"),
    sport: fc.constantFrom(53, 100, 700, 1024, 40000, 40001, 65535),
    dport: fc.constantFrom(7, 53, 80),
  });

  for (const mode of ["linux", "full-cone", "symmetric"] as const) {
    it(`${mode}: checksums stay valid, replies map back exactly, external endpoints never collide`, () => {
      fc.assert(
        fc.property(fc.array(flow, { minLength: 1, maxLength: 40 }), (flows) => {
          const { out, back } = make(mode);
          const byReply = new Map<string, string>();
          for (const f of flows) {
            const src = `10.0.2.${f.host}`;
            const p =
              f.proto === "udp"
                ? udp({ src, dst: f.server, sport: f.sport, dport: f.dport })
                : f.proto === "tcp"
                  ? tcp({ src, dst: f.server, sport: f.sport, dport: f.dport, flags: 0x02 })
                  : echo(src, f.server, f.sport, 1);
            const before = p.slice();
            const o = out(p);
            expect(p).toEqual(before);
            expect(o).not.toBeNull();
            const so = seen(o!); // throws on any wrong checksum
            expect(so.src).toBe(PUB);
            expect(so.dst).toBe(f.server);
            const extPort = f.proto === "icmp" ? (so.icmp as { ident: number }).ident : so.sport!;
            const inside = `${src}:${f.sport}`;
            const key = `${f.proto} ${f.server}:${f.proto === "icmp" ? "" : f.dport} -> ${extPort}`;
            const prev = byReply.get(key);
            expect(prev === undefined || prev === inside).toBe(true);
            byReply.set(key, inside);
            const reply =
              f.proto === "udp"
                ? udp({ src: f.server, dst: PUB, sport: f.dport, dport: extPort })
                : f.proto === "tcp"
                  ? tcp({ src: f.server, dst: PUB, sport: f.dport, dport: extPort, flags: 0x12, ack: 1001 })
                  : echo(f.server, PUB, extPort, 1, true);
            const sr = seen(back(reply)!);
            expect(sr.dst).toBe(src);
            expect(f.proto === "icmp" ? (sr.icmp as { ident: number }).ident : sr.dport).toBe(f.sport);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});

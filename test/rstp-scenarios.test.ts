/**
 * RSTP scenarios (IEEE 802.1D-2004 clause 17) on a triangle of bridges with a host on each.
 */
import { describe, expect, it } from "vitest";
import { Bridge, type BridgeOptions } from "../bridge/index.js";
import { Host, mac } from "../bridge/testing.js";
import { capture } from "../captures/capture-point.js";
import { connect } from "../netdev/link.js";
import type { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { ms, s } from "../sim/time.js";
import { MAC_BROADCAST, type Mac } from "../wire/addr.js";

const isBpdu = (f: Uint8Array) => f[0] === 0x01 && f[1] === 0x80 && f[2] === 0xc2 && f[5] === 0;

interface Triangle {
  sim: Simulator;
  a: Bridge;
  b: Bridge;
  c: Bridge;
  hosts: Host[];
  /** Inter-bridge ports by name: ab (A's port to B), ba, ac, ca, bc, cb. */
  ports: Record<"ab" | "ba" | "ac" | "ca" | "bc" | "cb", Port>;
}

function triangle(stp: BridgeOptions["stp"], seed = 7, extra: BridgeOptions = {}): Triangle {
  const sim = new Simulator({ seed });
  const mk = (n: string, m: number) =>
    new Bridge(sim, n, { stp, mac: (0x0200_0000_0000 + m * 0x100) as Mac, ...extra });
  const a = mk("A", 1);
  const b = mk("B", 2);
  const c = mk("C", 3);
  const ports = {
    ab: a.addPort("toB"),
    ba: b.addPort("toA"),
    ac: a.addPort("toC"),
    ca: c.addPort("toA"),
    bc: b.addPort("toC"),
    cb: c.addPort("toB"),
  };
  connect(sim, ports.ab, ports.ba, { delay: ms(1) });
  connect(sim, ports.ac, ports.ca, { delay: ms(2) });
  connect(sim, ports.bc, ports.cb, { delay: ms(3) });
  const hosts = [a, b, c].map((br, i) => {
    const h = new Host(sim, `h${i + 1}`, mac(i + 1));
    connect(sim, br.addPort(`h${i + 1}`), h.port);
    return h;
  });
  return { sim, a, b, c, hosts, ports };
}

/** Non-BPDU frames sent out of each port, counted with port observers. */
function countData(ports: Record<string, Port>): Map<string, number> {
  const n = new Map<string, number>();
  for (const [k, p] of Object.entries(ports)) {
    n.set(k, 0);
    p.observe((f, dir) => {
      if (dir === "out" && !isBpdu(f)) n.set(k, (n.get(k) ?? 0) + 1);
    });
  }
  return n;
}

const blocked = (t: Triangle) =>
  [t.a, t.b, t.c].flatMap((br) =>
    br.ports
      .filter((p) => br.stpState(p) !== "forwarding")
      .map((p) => `${br.name}.${p.name}:${br.stpRole(p)}`),
  );

describe("RSTP on a triangle of bridges (802.1D-2004 clause 17)", () => {
  it("elects the lowest bridge ID as root and blocks exactly one port: C's alternate toward B (17.6, 17.21.25)", () => {
    const t = triangle(true);
    t.sim.run({ until: s(10) });
    const show = t.a.stpShow();
    expect(show?.rootId).toBe("8000.02:00:00:00:01:00");
    expect(show?.rootPort).toBeNull();
    expect(t.b.stpShow()?.rootPort).toBe("toA");
    expect(t.c.stpShow()?.rootPort).toBe("toA");
    expect(t.c.stpShow()?.rootPathCost).toBe(20000);
    expect(blocked(t)).toEqual(["C.toB:alternate"]);
    expect(t.b.stpRole(t.ports.bc)).toBe("designated");
    // Host ports heard no BPDU: auto-edge (17.25), forwarding.
    expect(t.a.stpShow()?.ports.find((p) => p.port === "h1")).toMatchObject({
      edge: true,
      state: "forwarding",
    });
  });

  it("converges within a few hello times, far below 2 × forward delay, thanks to proposal/agreement (17.29)", () => {
    const t = triangle(true);
    let convergedAt = -1;
    for (let at = ms(250); at <= s(40); at += ms(250)) {
      t.sim.run({ until: at });
      const ok = blocked(t).join() === "C.toB:alternate";
      if (ok && convergedAt < 0) convergedAt = t.sim.now;
      if (!ok) convergedAt = -1;
    }
    expect(convergedAt).toBeGreaterThanOrEqual(0);
    expect(convergedAt).toBeLessThanOrEqual(s(4)); // hosts' auto-edge needs the 3 s edge delay
    expect(convergedAt).toBeLessThan(s(30));
  });

  it("a broadcast crosses each active link once and reaches every host once; C discards B's copy", () => {
    const t = triangle(true);
    t.sim.run({ until: s(10) });
    const sent = countData(t.ports);
    for (const h of t.hosts) h.take();
    t.hosts[0].sendTo(MAC_BROADCAST);
    t.sim.run({ until: s(10) + ms(50) });
    expect(Object.fromEntries(sent)).toEqual({ ab: 1, ba: 0, ac: 1, ca: 0, bc: 1, cb: 0 });
    expect(t.hosts.map((h) => h.take().filter((f) => !isBpdu(f)).length)).toEqual([0, 1, 1]);
    expect(t.c.portStats(t.ports.cb).drops.get("stp-state")).toBe(1);
  });

  it("a root-port failure reconverges: C's alternate becomes its root port, hosts reach each other", () => {
    const t = triangle(true);
    t.sim.run({ until: s(10) });
    t.ports.ca.up = false;
    t.sim.run({ until: s(16) });
    expect(t.c.stpShow()?.rootPort).toBe("toB");
    expect(t.c.stpShow()?.rootPathCost).toBe(40000);
    expect(t.c.stpState(t.ports.cb)).toBe("forwarding");
    for (const h of t.hosts) h.take();
    t.hosts[2].sendTo(MAC_BROADCAST);
    t.hosts[0].sendTo(MAC_BROADCAST);
    t.sim.run({ until: s(16) + ms(50) });
    const got = t.hosts.map((h) =>
      h
        .take()
        .filter((f) => !isBpdu(f))
        .map((f) => f[11]),
    );
    expect([got[0], got[1].slice().sort(), got[2]]).toEqual([[3], [1, 3], [1]]);
  });

  it("without STP the same triangle loops forever and the storm guard ends the run (vnet's guard)", () => {
    // Copies circle the triangle both ways (one per 6 ms round), so the bound is set low.
    const t = triangle(false, 7, { stormGuard: { maxFrames: 20 } });
    t.hosts[0].sendTo(MAC_BROADCAST);
    const r = t.sim.run({ maxEvents: 2_000_000 });
    expect(r.stoppedBy).toBe("stop");
    expect([t.a, t.b, t.c].some((br) => br.stormActive)).toBe(true);
  });

  it("is deterministic: the same seed twice gives identical BPDU captures", () => {
    const run = () => {
      const t = triangle(true, 42);
      const cp = capture(Object.values(t.ports));
      t.sim.run({ until: s(12) });
      t.ports.ab.up = false;
      t.sim.run({ until: s(20) });
      cp.close();
      return cp.bytes();
    };
    const x = run();
    expect(x.byteLength).toBeGreaterThan(1000);
    expect(Buffer.from(run()).equals(Buffer.from(x))).toBe(true);
  });
});

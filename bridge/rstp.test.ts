import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { ms, s } from "../sim/time.js";
import type { Mac } from "../wire/addr.js";
import { BpduType, bpduOfFrame, buildBpduFrame, parseBpdu } from "../wire/stp.js";
import { Bridge } from "./bridge.js";
import { pathCostForSpeed, RstpError } from "./rstp.js";

const bmac = (n: number) => (0x0200_0000_0000 + n * 0x100) as Mac;

describe("RSTP engine (802.1D-2004 clause 17)", () => {
  it("default path costs follow table 17-3 (20000 for 1 Gb/s)", () => {
    expect([1e7, 1e8, 1e9, 1e10, 1e11].map(pathCostForSpeed)).toEqual([
      2_000_000, 200_000, 20_000, 2_000, 200,
    ]);
  });

  it("two parallel links: the root port is the one to the lower designated port ID, the other is alternate (17.6)", () => {
    const sim = new Simulator();
    const a = new Bridge(sim, "A", { stp: true, mac: bmac(1) });
    const b = new Bridge(sim, "B", { stp: true, mac: bmac(2) });
    connect(sim, a.addPort("l1"), b.addPort("l2"), { delay: ms(1) });
    connect(sim, a.addPort("l2"), b.addPort("l1"), { delay: ms(1) });
    sim.run({ until: s(5) });
    const show = b.stpShow();
    expect(show?.rootId).toBe("8000.02:00:00:00:01:00");
    expect(show?.rootPort).toBe("l2"); // its peer is A's port 8.001
    expect(show?.ports.map((p) => [p.port, p.role, p.state])).toEqual([
      ["l2", "root", "forwarding"],
      ["l1", "alternate", "discarding"],
    ]);
    expect(a.stpShow()?.ports.every((p) => p.role === "designated" && p.state === "forwarding")).toBe(true);
  });

  it("a lower bridge priority wins the root election over a lower MAC (17.14, bridge ID = priority + MAC)", () => {
    const sim = new Simulator();
    const a = new Bridge(sim, "A", { stp: true, mac: bmac(1) });
    const b = new Bridge(sim, "B", { stp: { priority: 4096 }, mac: bmac(2) });
    connect(sim, a.addPort("p"), b.addPort("p"));
    sim.run({ until: s(3) });
    expect(a.stpShow()?.rootId).toBe("1000.02:00:00:00:02:00");
    expect(a.stpRole(a.ports[0])).toBe("root");
  });

  it("an admin edge port forwards at once; a port that hears no BPDU becomes edge after 3 s (17.25)", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "A", { stp: true, mac: bmac(1) });
    const e = br.addPort("e", { edge: true });
    const q = br.addPort("q");
    connect(sim, e, new Port(sim, "h1"));
    connect(sim, q, new Port(sim, "h2"));
    sim.run({ until: ms(1) });
    expect([br.stpState(e), br.stpState(q)]).toEqual(["forwarding", "discarding"]);
    sim.run({ until: s(4) + ms(1) });
    expect(br.stpState(q)).toBe("forwarding");
    expect(br.stpShow()?.ports.find((p) => p.port === "q")?.edge).toBe(true);
  });

  it("a Configuration BPDU makes the port speak STP: it answers with Config BPDUs (17.26 compatibility)", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "A", { stp: true, mac: bmac(1) });
    const p = br.addPort("p");
    const peer = new Port(sim, "legacy");
    const got: number[] = [];
    peer.onReceive((f) => got.push(parseBpdu(bpduOfFrame(f)).type));
    connect(sim, p, peer);
    sim.run({ until: ms(1) });
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((t) => t === BpduType.Rst)).toBe(true);
    const before = got.length;
    // An inferior STP bridge (priority 0x9000) announces itself as root.
    const me = { priority: 0x9000, systemId: 0, mac: bmac(9) };
    peer.send(
      buildBpduFrame(
        {
          type: BpduType.Config,
          version: 0,
          flags: {
            topologyChange: false,
            proposal: false,
            role: 0,
            learning: false,
            forwarding: false,
            agreement: false,
            topologyChangeAck: false,
          },
          rootId: me,
          rootPathCost: 0,
          bridgeId: me,
          portId: 0x8001,
          messageAge: 0,
          maxAge: 20 * 256,
          helloTime: 512,
          forwardDelay: 15 * 256,
          version1Length: 0,
        },
        bmac(9),
      ),
    );
    sim.run({ until: s(3) });
    expect(got.length).toBeGreaterThan(before);
    expect(got.slice(before).every((t) => t === BpduType.Config)).toBe(true);
    expect(br.stpShow()?.ports[0]).toMatchObject({ rstp: false, role: "designated" });
    // Without the rapid handshake the port waits 2 × forward delay (17.29.3).
    expect(br.stpState(p)).toBe("discarding");
    sim.run({ until: s(31) });
    expect(br.stpState(p)).toBe("forwarding");
  });

  it("refuses timers that break the 17.14 relationship and bad priorities", () => {
    const sim = new Simulator();
    expect(() => new Bridge(sim, "x", { stp: { maxAge: s(40) } })).toThrow(RstpError);
    expect(() => new Bridge(sim, "y", { stp: { priority: 100 } })).toThrow(RstpError);
    const br = new Bridge(sim, "z", { stp: true });
    expect(() => br.addPort("p", { stpPriority: 17 })).toThrow(RstpError);
  });
});

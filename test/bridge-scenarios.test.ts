/** Cross-module scenarios: bridges, VLANs and links in simulated time (Linux's bridge is the reference). */
import { describe, expect, it } from "vitest";
import { Bridge } from "../bridge/bridge.js";
import { attachHosts, dot1q, frame, Host, mac, whoGot } from "../bridge/testing.js";
import { connect } from "../netdev/link.js";
import { Simulator } from "../sim/simulator.js";
import { ms, s, us } from "../sim/time.js";
import { access, trunk } from "../vlan/membership.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { walkVlanTags } from "../wire/vlan.js";

describe("scenario: 3 VMs on a bridge (Linux bridge, 300 s ageing)", () => {
  it("first frame to an unknown MAC floods, the reply is unicast, after 300 s + 1 it floods again", () => {
    const sim = new Simulator({ seed: 7 });
    const br = new Bridge(sim, "br0");
    const vms = attachHosts(sim, br, 3);
    const [vm1, vm2] = vms;
    const seen: string[] = [];
    for (const p of br.ports)
      p.observe((_f, dir, port) => dir === "out" && seen.push(`${sim.now} ${port.name}`));
    sim.schedule(ms(1), () => vm1.sendTo(vm2.mac));
    sim.schedule(ms(2), () => vm2.sendTo(vm1.mac));
    sim.schedule(ms(3), () => vm1.sendTo(vm2.mac));
    sim.schedule(ms(2) + s(300) + 1, () => vm1.sendTo(vm2.mac));
    sim.run();
    expect(seen).toEqual([
      "1000000 p2", // flood
      "1000000 p3",
      "2000000 p1", // reply: unicast
      "3000000 p2", // learned both ways: unicast
      "300002000001 p2", // vm2's entry aged out: flood again
      "300002000001 p3",
    ]);
    expect(whoGot(vms)).toEqual(["h1", "h2", "h3"]);
  });

  it("is deterministic: the same seed and inputs give the same trace", () => {
    const trace = () => {
      const sim = new Simulator({ seed: 3 });
      const br = new Bridge(sim, "br0");
      const hosts = attachHosts(sim, br, 4);
      const rng = sim.rng("traffic");
      for (let i = 0; i < 200; i++) {
        const a = rng.int(0, 3);
        const b = rng.int(0, 4);
        sim.at(i * 1000, () => hosts[a].sendTo(b === 4 ? MAC_BROADCAST : hosts[b].mac, { mark: i & 0xff }));
      }
      const out: string[] = [];
      for (const h of hosts)
        h.port.observe((f, dir) => dir === "in" && out.push(`${sim.now} ${h.name} ${f[14]}`));
      sim.run();
      return out.join("\n");
    };
    expect(trace()).toBe(trace());
  });
});

describe("scenario: VLANs across two bridges joined by a trunk", () => {
  function twoBridges(nativeTagged: boolean) {
    const sim = new Simulator();
    const a = new Bridge(sim, "brA", { vlanFiltering: true });
    const b = new Bridge(sim, "brB", { vlanFiltering: true });
    const cfg = [access(1), access(10), access(20)];
    const ha = attachHosts(sim, a, 3, (i) => ({ vlans: cfg[i - 1] }));
    const hb = attachHosts(sim, b, 3, (i) => ({ vlans: cfg[i - 1] }));
    connect(
      sim,
      a.addPort("up", { vlans: trunk([10, 20], { native: 1, nativeTagged }) }),
      b.addPort("up", { vlans: trunk([10, 20], { native: 1, nativeTagged }) }),
      { delay: us(5) },
    );
    return { sim, ha, hb };
  }

  it("same VLAN reaches across the trunk, a different VLAN does not", () => {
    const { sim, ha, hb } = twoBridges(false);
    ha[1].sendTo(MAC_BROADCAST);
    sim.run();
    expect([ha, hb].map((hs) => hs.map((h) => h.take().length))).toEqual([
      [0, 0, 0],
      [0, 1, 0],
    ]);
  });

  it("double-tag attack [1][20] from a native-VLAN host does not hop when the trunk tags the native VLAN", () => {
    const { sim, ha, hb } = twoBridges(true);
    ha[0].sendTo(MAC_BROADCAST, { tags: [dot1q(1), dot1q(20)] });
    sim.run();
    expect(ha[2].take()).toEqual([]);
    expect(hb[2].take()).toEqual([]);
    // It stays in VLAN 1: the VLAN 1 host across the trunk gets it, the inner tag still as payload.
    expect(walkVlanTags(hb[0].take()[0]).tags.map((t) => t.vid)).toEqual([20]);
  });
});

describe("scenario: a loop of two bridges without STP", () => {
  it("the storm guard reports the broadcast storm and run() ends (maxEvents as a backstop)", () => {
    const sim = new Simulator();
    const guard = { maxFrames: 1000, interval: ms(100) };
    const a = new Bridge(sim, "brA", { stormGuard: guard });
    const b = new Bridge(sim, "brB", { stormGuard: guard });
    connect(sim, a.addPort("l1"), b.addPort("l1"), { delay: us(1) });
    connect(sim, a.addPort("l2"), b.addPort("l2"), { delay: us(1) });
    const h = new Host(sim, "h", mac(1));
    connect(sim, a.addPort("h"), h.port);
    h.sendTo(MAC_BROADCAST);
    const r = sim.run({ maxEvents: 1_000_000 });
    expect(r.stoppedBy).toBe("stop");
    const reports = [...a.stormReports, ...b.stormReports];
    expect(reports).toHaveLength(1);
    expect(reports[0].message).toMatch(/^broadcast storm on bridge br[AB]: \d+ frames in 0\.100000000 s$/);
    expect(reports[0].frames).toBeGreaterThan(1000);
    // Flooding stays off: the frames still in flight die out and the queue drains.
    const rest = sim.run({ maxEvents: 1_000_000 });
    expect(rest.stoppedBy).toBe("empty");
    expect(a.stormActive || b.stormActive).toBe(true);
    const dropped = (br: Bridge) =>
      br.ports.reduce((n, p) => n + (br.portStats(p).drops.get("storm-guard") ?? 0), 0);
    expect(dropped(a) + dropped(b)).toBeGreaterThan(0);
  });

  it("with zero-delay links (simulated time never advances) the storm is still caught", () => {
    const sim = new Simulator();
    const guard = { maxFrames: 500, stopSimulator: false };
    const a = new Bridge(sim, "brA", { stormGuard: guard });
    const b = new Bridge(sim, "brB", { stormGuard: guard });
    connect(sim, a.addPort("l1"), b.addPort("l1"));
    connect(sim, a.addPort("l2"), b.addPort("l2"));
    connect(sim, a.addPort("l3"), b.addPort("l3"));
    const h = new Host(sim, "h", mac(1));
    connect(sim, a.addPort("h"), h.port);
    h.send(frame(MAC_BROADCAST, mac(1)));
    const r = sim.run({ maxEvents: 1_000_000 });
    expect(r.stoppedBy).toBe("empty");
    expect(r.now).toBe(0);
    expect(a.stormReports.length + b.stormReports.length).toBeGreaterThanOrEqual(1);
  });
});

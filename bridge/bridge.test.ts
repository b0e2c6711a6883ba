import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Simulator } from "../sim/simulator.js";
import { s } from "../sim/time.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { Bridge, BridgeError } from "./bridge.js";
import { attachHosts, frame, Host, mac, whoGot } from "./testing.js";

function setup(n = 3, opts: ConstructorParameters<typeof Bridge>[2] = {}) {
  const sim = new Simulator({ seed: 1 });
  const br = new Bridge(sim, "br0", opts);
  const hosts = attachHosts(sim, br, n);
  return { sim, br, hosts };
}

describe("Bridge: learning and flooding (Linux br_input.c / br_forward.c)", () => {
  it("Linux bridge: unknown unicast floods to every other port, the reply is unicast", () => {
    const { sim, br, hosts } = setup(3);
    const [h1, h2] = hosts;
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
    h2.sendTo(h1.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h1"]);
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    expect(br.portStats(br.ports[0])).toMatchObject({ rx: 2, flooded: 1, forwarded: 1 });
  });

  it("Linux bridge: broadcast and multicast flood even when the destination is known", () => {
    const { sim, hosts } = setup(3);
    hosts[1].sendTo(hosts[0].mac);
    sim.run();
    whoGot(hosts);
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
    hosts[0].sendTo(0x0100_5e00_0001);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
  });

  it("Linux bridge (br_handle_frame): frames from a multicast or zero source MAC are dropped, not learned", () => {
    const { sim, br, hosts } = setup(2);
    hosts[0].send(frame(hosts[1].mac, 0x0100_5e00_0001));
    hosts[0].send(frame(hosts[1].mac, 0));
    hosts[0].send(new Uint8Array(10));
    sim.run();
    expect(whoGot(hosts)).toEqual([]);
    expect(br.fdbShow()).toEqual([]);
    const st = br.portStats(br.ports[0]);
    expect([...st.drops]).toEqual([
      ["bad-source-mac", 2],
      ["malformed", 1],
    ]);
    expect(br.ports[0].counters.rxDropped).toBe(3);
  });

  it("Linux bridge: a frame to a MAC learned on the ingress port is dropped (no hairpin)", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const [h1, h2] = attachHosts(sim, br, 2);
    // A second host behind p1 (as behind a hub): learn it on p1.
    const other = mac(9);
    h1.send(frame(h2.mac, other));
    sim.run();
    h2.take();
    h1.sendTo(other);
    sim.run();
    expect(whoGot([h1, h2])).toEqual([]);
    expect(br.portStats(br.ports[0]).drops.get("same-port")).toBe(1);
  });

  it("Linux bridge `hairpin on`: the frame goes back out of the ingress port, floods include it", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const [h1, h2] = attachHosts(sim, br, 2, (i) => ({ hairpin: i === 1 }));
    const other = mac(9);
    h1.send(frame(MAC_BROADCAST, other));
    sim.run();
    expect(whoGot([h1, h2])).toEqual(["h1", "h2"]);
    h1.sendTo(other);
    sim.run();
    expect(whoGot([h1, h2])).toEqual(["h1"]);
  });

  it("Linux bridge: ageing (300 s default) — after 300 s + 1 ns the entry is gone and frames flood again", () => {
    const { sim, br, hosts } = setup(3);
    const [h1, h2] = hosts;
    h2.sendTo(h1.mac);
    sim.run();
    whoGot(hosts);
    sim.run({ until: sim.now + s(299) });
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    sim.run({ until: sim.now + s(300) + 1 });
    expect(br.fdbShow().map((r) => r.mac)).toEqual([]);
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
  });

  it("Linux bridge has_expired: an entry expires exactly at updated + ageing_time", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0", { ageingTime: s(10) });
    const hosts = attachHosts(sim, br, 3);
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run();
    whoGot(hosts);
    sim.run({ until: s(10) - 1 });
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    sim.run({ until: s(10) });
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
  });

  it("ageingTime 0: entries never age (vnet's documented choice)", () => {
    const { sim, hosts } = setup(3, { ageingTime: 0 });
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run({ until: s(10_000) });
    whoGot(hosts);
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
  });

  it("Linux bridge: a MAC that moves is re-learned on its new port", () => {
    const { sim, br, hosts } = setup(3);
    const roaming = mac(7);
    hosts[0].send(frame(MAC_BROADCAST, roaming));
    sim.run();
    hosts[2].send(frame(MAC_BROADCAST, roaming));
    sim.run();
    whoGot(hosts);
    expect(br.fdbShow().map((r) => r.port)).toEqual(["p3"]);
    hosts[1].sendTo(roaming);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3"]);
  });

  it("per-port FDB caches: repeated frames follow a MAC that moved, expired, was deleted or made static", () => {
    // The bridge remembers, per ingress port, the entry of the last source and destination (see
    // bridge.ts); every decision below must be the one a fresh lookup gives (Linux br_fdb_find).
    const { sim, br, hosts } = setup(4, { ageingTime: s(10) });
    const [h1, h2, h3, h4] = hosts;
    h2.sendTo(h1.mac);
    sim.run();
    whoGot(hosts);
    for (let i = 0; i < 3; i++) {
      h1.sendTo(h2.mac); // h1's port caches h2's entry (destination) and h1's own (source)
      sim.run();
      expect(whoGot(hosts)).toEqual(["h2"]);
    }
    // h2's MAC moves to p3 (learning moves the entry in place): h1's next frame follows it.
    h3.send(frame(h1.mac, h2.mac));
    sim.run();
    expect(whoGot(hosts)).toEqual(["h1"]);
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3"]);
    // Back on p2, whose source cache still holds that entry (now on p3; a move changes no FDB
    // version): learning moves it back. Then once more with every MAC already known.
    for (let i = 0; i < 2; i++) {
      h2.sendTo(h1.mac);
      sim.run();
      whoGot(hosts);
      h1.sendTo(h2.mac);
      sim.run();
      expect(whoGot(hosts)).toEqual(["h2"]);
      h3.send(frame(h1.mac, h2.mac));
      sim.run();
      whoGot(hosts);
      h1.sendTo(h2.mac);
      sim.run();
      expect(whoGot(hosts)).toEqual(["h3"]);
    }
    h2.sendTo(h1.mac);
    sim.run();
    whoGot(hosts);
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    // Deleted: floods again (to every other port).
    expect(br.deleteFdb(h2.mac)).toBe(true);
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3", "h4"]);
    // Static on p4: unicast there, and frames from that MAC on p2 do not move it.
    br.addStatic(h2.mac, br.ports[3]);
    h2.sendTo(h1.mac);
    sim.run();
    whoGot(hosts);
    h1.sendTo(h2.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h4"]);
    // h1's own entry, refreshed from the cache, must still age: 10 s after h1's last frame h1 is unknown.
    sim.run({ until: sim.now + s(10) });
    h4.sendTo(h1.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h1", "h2", "h3"]);
    // And a refresh through the cache keeps an entry alive: h1 sends every 6 s, h4 reaches it unicast.
    h1.sendTo(h4.mac);
    sim.run({ until: sim.now + s(6) });
    h1.sendTo(h4.mac);
    sim.run({ until: sim.now + s(6) });
    whoGot(hosts);
    h4.sendTo(h1.mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h1"]);
  });

  it("Linux `bridge link set learning off`: nothing learned, traffic to it keeps flooding", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const hosts = attachHosts(sim, br, 3, (i) => ({ learning: i !== 2 }));
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run();
    whoGot(hosts);
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
    expect(br.fdbShow().map((r) => r.port)).toEqual(["p1"]);
  });

  it("Linux flood flags: `flood off` stops unknown unicast, `mcast_flood off` multicast, `bcast_flood off` broadcast", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const hosts = attachHosts(sim, br, 4, (i) => ({
      flood: i !== 2,
      mcastFlood: i !== 3,
      bcastFlood: i !== 4,
    }));
    hosts[0].sendTo(mac(99));
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3", "h4"]);
    hosts[0].sendTo(0x3333_0000_0001);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h4"]);
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]);
    // A known unicast still reaches a `flood off` port.
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run();
    whoGot(hosts);
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
  });

  it("floods go out in port order, all at the same instant", () => {
    const { sim, br, hosts } = setup(4);
    const order: string[] = [];
    for (const p of br.ports) p.observe((_f, dir, port) => dir === "out" && order.push(port.name));
    hosts[3].sendTo(MAC_BROADCAST);
    sim.run();
    expect(order).toEqual(["p1", "p2", "p3"]);
  });

  it("a port without carrier is skipped by floods; a unicast to it is dropped (Linux: disabled port)", () => {
    const { sim, br, hosts } = setup(3);
    hosts[2].sendTo(MAC_BROADCAST);
    sim.run();
    whoGot(hosts);
    hosts[2].port.up = false;
    hosts[0].sendTo(MAC_BROADCAST);
    hosts[0].sendTo(hosts[2].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    expect(br.ports[2].counters.txDropped).toBe(0);
    expect(br.portStats(br.ports[0]).drops.get("port-down")).toBe(1);
  });
});

describe("Bridge: static entries (Linux `bridge fdb add … master static sticky`)", () => {
  it("never age, are not moved by learning, and forward without flooding", () => {
    const { sim, br, hosts } = setup(3);
    br.addStatic(hosts[1].mac, br.ports[1]);
    // h3 claims h2's MAC: learning must not move a static entry.
    hosts[2].send(frame(MAC_BROADCAST, hosts[1].mac));
    sim.run({ until: s(1000) });
    whoGot(hosts);
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    expect(br.fdbShow()).toMatchObject([
      { mac: "52:54:00:00:00:02", port: "p2", static: true, vlan: null },
      { mac: "52:54:00:00:00:01", port: "p1", static: false, vlan: null },
    ]);
    expect(br.formatFdb()).toBe(
      "52:54:00:00:00:02 dev p2 master br0 static\n52:54:00:00:00:01 dev p1 master br0",
    );
  });

  it("fdbShow lists learned entries with their age, like `bridge fdb show`", () => {
    const { sim, br, hosts } = setup(2);
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run({ until: s(5) });
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run({ until: s(7) });
    expect(br.fdbShow()).toEqual([
      { mac: "52:54:00:00:00:01", macValue: mac(1), vlan: null, port: "p1", static: false, age: s(7) },
      { mac: "52:54:00:00:00:02", macValue: mac(2), vlan: null, port: "p2", static: false, age: s(2) },
    ]);
    expect(br.formatFdb()).toBe("52:54:00:00:00:01 dev p1 master br0\n52:54:00:00:00:02 dev p2 master br0");
    expect(() => br.addStatic(MAC_BROADCAST, br.ports[0])).toThrow(BridgeError);
  });
});

describe("Bridge: learning limits (MAC-flooding protection, Linux fdb_max_learned)", () => {
  it("per port: further MACs are not learned, counted, and their frames still forwarded", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const hosts = attachHosts(sim, br, 2, (i) => ({ maxLearned: i === 1 ? 3 : undefined }));
    for (let i = 0; i < 10; i++) hosts[0].send(frame(MAC_BROADCAST, mac(100 + i)));
    sim.run();
    expect(hosts[1].take()).toHaveLength(10);
    expect(br.fdbShow()).toHaveLength(3);
    expect(br.portStats(br.ports[0]).notLearned).toBe(7);
  });

  it("per bridge: the table stops growing at the bound; expired entries free their slots", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0", { maxLearned: 4, ageingTime: s(10) });
    const hosts = attachHosts(sim, br, 2);
    for (let i = 0; i < 6; i++) hosts[i % 2].send(frame(MAC_BROADCAST, mac(100 + i)));
    sim.run();
    expect(br.learnedCount).toBe(4);
    expect(br.portStats(br.ports[0]).notLearned + br.portStats(br.ports[1]).notLearned).toBe(2);
    sim.run({ until: s(20) });
    hosts[0].send(frame(MAC_BROADCAST, mac(200)));
    sim.run();
    expect(br.fdbShow().map((r) => r.mac)).toEqual(["52:54:00:00:00:c8"]);
  });

  it("the sweep keeps the table bounded under a stream of new MACs (ageing by simulated time)", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0", { ageingTime: s(1), sweepInterval: s(1) });
    const [h1] = attachHosts(sim, br, 2);
    for (let i = 0; i < 1000; i++) sim.at(i * 10_000_000, () => h1.send(frame(MAC_BROADCAST, mac(1000 + i))));
    sim.run();
    // 100 new MACs per second with 1 s ageing and a sweep at most every 1 s: never above ~200 entries.
    expect(br.learnedCount).toBeLessThanOrEqual(201);
  });
});

describe("Bridge: port isolation (Linux `bridge link set dev P isolated on`)", () => {
  it("isolated ports reach only non-isolated ones, in floods and in known unicast", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const hosts = attachHosts(sim, br, 4, (i) => ({ isolated: i <= 2 }));
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3", "h4"]);
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3", "h4"]);
    hosts[2].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h1", "h2", "h4"]);
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual([]);
    expect(br.portStats(br.ports[0]).drops.get("isolated")).toBe(1);
    br.setPortOptions(br.ports[1], { isolated: false });
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
  });
});

describe("Bridge: 802.1D reserved group addresses 01:80:C2:00:00:0X (Linux br_handle_frame)", () => {
  const ll = (x: number) => 0x0180_c200_0000 + x;
  it("pause (…:01) is dropped; LLDP (…:0E), LACP (…:02), 802.1X (…:03) are not forwarded", () => {
    const { sim, br, hosts } = setup(3);
    for (const x of [0x01, 0x02, 0x03, 0x0e, 0x0f]) hosts[0].sendTo(ll(x));
    sim.run();
    expect(whoGot(hosts)).toEqual([]);
    expect(br.portStats(br.ports[0]).drops.get("link-local")).toBe(5);
    // They are still learned from (Linux __br_handle_local_finish) — except pause.
    expect(br.fdbShow().map((r) => r.port)).toEqual(["p1"]);
  });

  it("STP BPDUs (…:00) are forwarded when STP is off, as Linux does 'to keep loop detection', consumed with STP on", () => {
    const off = setup(3);
    off.hosts[0].sendTo(ll(0));
    off.sim.run();
    expect(whoGot(off.hosts)).toEqual(["h2", "h3"]);
    const on = setup(3, { stp: true });
    on.hosts[0].sendTo(ll(0));
    on.sim.run({ until: 1_000_000_000 }); // RSTP's hello timer keeps the queue busy
    // Only the bridge's own BPDUs reach the hosts; h1's frame went to the RSTP engine.
    expect(on.hosts.flatMap((h) => h.sources()).filter((m) => m === mac(1))).toEqual([]);
    expect(on.br.portStats(on.br.ports[0]).drops.get("link-local")).toBe(1);
  });

  it("group_fwd_mask forwards selected addresses; bits 0-2 are restricted on the bridge", () => {
    const { sim, hosts } = setup(3, { groupFwdMask: 1 << 0x0e });
    hosts[0].sendTo(ll(0x0e));
    hosts[0].sendTo(ll(0x03));
    sim.run();
    expect(hosts[1].take().map((f) => f[5])).toEqual([0x0e]);
    expect(() => new Bridge(new Simulator(), "b", { groupFwdMask: 1 << 2 })).toThrow(BridgeError);
  });
});

describe("Bridge: port mirroring", () => {
  it("copies ingress and egress frames of a port to a monitor port, as they are on that wire", () => {
    const { sim, br, hosts } = setup(3);
    const mon = new Host(sim, "mon", mac(50));
    const monPort = br.addPort("mon", {
      flood: false,
      mcastFlood: false,
      bcastFlood: false,
      learning: false,
    });
    connect(sim, monPort, mon.port);
    br.mirror(br.ports[0], monPort, { ingress: true, egress: true });
    const a = hosts[0].sendTo(hosts[1].mac, { mark: 1 });
    const b = hosts[1].sendTo(hosts[0].mac, { mark: 2 });
    sim.run();
    hosts[2].sendTo(hosts[1].mac, { mark: 3 }); // not through p1: not mirrored
    sim.run();
    expect(mon.take()).toEqual([a, b]);
  });

  it("ingress-only mirroring, and removing the mirror", () => {
    const { sim, br, hosts } = setup(2);
    const mon = new Host(sim, "mon", mac(50));
    const monPort = br.addPort("mon", { flood: false, bcastFlood: false, mcastFlood: false });
    connect(sim, monPort, mon.port);
    const stop = br.mirror(br.ports[0], monPort, { ingress: true, egress: false });
    hosts[0].sendTo(hosts[1].mac, { mark: 1 });
    hosts[1].sendTo(hosts[0].mac, { mark: 2 });
    sim.run();
    expect(mon.take().map((f) => f[14])).toEqual([1]);
    stop();
    hosts[0].sendTo(hosts[1].mac, { mark: 3 });
    sim.run();
    expect(mon.take()).toEqual([]);
  });
});

describe("Bridge: API", () => {
  it("rejects duplicate port names and foreign ports; forwardFrame is the synchronous decision", () => {
    const { sim, br, hosts } = setup(2);
    expect(() => br.addPort("p1")).toThrow(BridgeError);
    expect(() => br.portStats(hosts[0].port)).toThrow(BridgeError);
    br.forwardFrame(frame(MAC_BROADCAST, mac(1)), br.ports[0]);
    expect(br.ports[1].counters.txPackets).toBe(1);
    sim.run();
    expect(hosts[1].take()).toHaveLength(1);
  });

  it("removePort flushes its entries and stops using it", () => {
    const { sim, br, hosts } = setup(3);
    hosts[2].sendTo(MAC_BROADCAST);
    sim.run();
    whoGot(hosts);
    br.removePort(br.ports[2]);
    expect(br.fdbShow()).toEqual([]);
    expect(br.ports.map((p) => p.name)).toEqual(["p1", "p2"]);
    hosts[0].sendTo(hosts[2].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
  });
});

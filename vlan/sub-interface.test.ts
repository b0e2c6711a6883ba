import { describe, expect, it } from "vitest";
import { Bridge } from "../bridge/bridge.js";
import { dot1ad, dot1q, frame, mac } from "../bridge/testing.js";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { walkVlanTags } from "../wire/vlan.js";
import { VlanDemux } from "./sub-interface.js";

function pair() {
  const sim = new Simulator();
  const parent = new Port(sim, "eth0");
  const peer = new Port(sim, "peer");
  connect(sim, parent, peer);
  const seen: Uint8Array[] = [];
  peer.onReceive((f) => seen.push(f));
  return { sim, parent, peer, seen };
}

describe("VLAN sub-interfaces (Linux `ip link add link eth0 name eth0.10 type vlan id 10`)", () => {
  it("a frame sent on eth0.10 leaves eth0 with one 802.1Q tag, VID 10", () => {
    const { sim, parent, seen } = pair();
    const demux = new VlanDemux(parent);
    const v10 = demux.add(10);
    expect(v10.name).toBe("eth0.10");
    const f = frame(MAC_BROADCAST, mac(1));
    v10.send(f);
    sim.run();
    expect(seen).toHaveLength(1);
    const st = walkVlanTags(seen[0]);
    expect(st.tags.map((t) => [t.tpid, t.vid])).toEqual([[0x8100, 10]]);
    expect(seen[0].byteLength).toBe(f.byteLength + 4);
    expect(f.byteLength).toBe(60); // the sent frame was not modified
  });

  it("tagged frames go to their sub-interface without the tag; untagged and unknown VIDs to the parent's stack", () => {
    const { sim, parent, peer } = pair();
    const demux = new VlanDemux(parent);
    const got = { v10: [] as Uint8Array[], v20: [] as Uint8Array[], untagged: [] as Uint8Array[] };
    demux.add(10).onReceive((f) => got.v10.push(f));
    demux.add(20, { tpid: 0x88a8 }).onReceive((f) => got.v20.push(f));
    demux.untagged.onReceive((f) => got.untagged.push(f));
    const inner = frame(MAC_BROADCAST, mac(2), { mark: 7 });
    peer.send(frame(MAC_BROADCAST, mac(2), { mark: 7, tags: [dot1q(10)] }), { allowedTags: 2 });
    peer.send(frame(MAC_BROADCAST, mac(2), { mark: 7, tags: [dot1ad(20), dot1q(30)] }), { allowedTags: 2 });
    peer.send(inner);
    peer.send(frame(MAC_BROADCAST, mac(2), { tags: [dot1q(99)] }), { allowedTags: 1 });
    peer.send(frame(MAC_BROADCAST, mac(2), { tags: [dot1q(20)] }), { allowedTags: 1 }); // 20 is an S-tag VLAN here
    sim.run();
    expect(got.v10).toEqual([inner]);
    // Only the outer tag is consumed: the inner C-tag stays.
    expect(walkVlanTags(got.v20[0]).tags.map((t) => t.vid)).toEqual([30]);
    expect(got.untagged.map((f) => walkVlanTags(f).tags.map((t) => t.vid))).toEqual([[], [99], [20]]);
    expect(demux.get(10)?.counters.rxPackets).toBe(1);
  });

  it("a priority-tagged frame (VID 0) reaches the parent's stack untagged, as Linux (the VLAN oracle guest)", () => {
    const { sim, parent, peer } = pair();
    const demux = new VlanDemux(parent);
    const got: Uint8Array[] = [];
    demux.add(10).onReceive(() => {
      throw new Error("not for eth0.10");
    });
    demux.untagged.onReceive((f) => got.push(f));
    const plain = frame(MAC_BROADCAST, mac(3), { mark: 9 });
    peer.send(frame(MAC_BROADCAST, mac(3), { mark: 9, tags: [dot1q(0, 5)] }), { allowedTags: 1 });
    peer.send(frame(MAC_BROADCAST, mac(3), { mark: 9, tags: [dot1ad(0)] }), { allowedTags: 1 });
    // VID 0 outside, a real tag inside: only the priority tag goes.
    peer.send(frame(MAC_BROADCAST, mac(3), { tags: [dot1q(0), dot1q(10)] }), { allowedTags: 2 });
    sim.run();
    expect(got.slice(0, 2)).toEqual([plain, plain]);
    expect(walkVlanTags(got[2]).tags.map((t) => t.vid)).toEqual([10]);
  });

  it("a host with eth0.10 and eth0.20 on a bridge trunk reaches access hosts of both VLANs", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0", { vlanFiltering: true });
    const trunkPort = br.addPort("trunk", {
      vlans: {
        pvid: 0,
        vlans: [
          { vid: 10, untagged: false },
          { vid: 20, untagged: false },
        ],
      },
    });
    const a10 = br.addPort("a10", { vlans: { pvid: 10, vlans: [{ vid: 10, untagged: true }] } });
    const a20 = br.addPort("a20", { vlans: { pvid: 20, vlans: [{ vid: 20, untagged: true }] } });
    const eth0 = new Port(sim, "eth0");
    const h10 = new Port(sim, "h10");
    const h20 = new Port(sim, "h20");
    connect(sim, trunkPort, eth0);
    connect(sim, a10, h10);
    connect(sim, a20, h20);
    const demux = new VlanDemux(eth0);
    const v10 = demux.add(10);
    const v20 = demux.add(20);
    const got: Record<string, Uint8Array[]> = { h10: [], h20: [], v10: [], v20: [] };
    h10.onReceive((f) => got.h10.push(f));
    h20.onReceive((f) => got.h20.push(f));
    v10.onReceive((f) => got.v10.push(f));
    v20.onReceive((f) => got.v20.push(f));
    const f10 = frame(MAC_BROADCAST, mac(1), { mark: 10 });
    const f20 = frame(MAC_BROADCAST, mac(1), { mark: 20 });
    v10.send(f10);
    v20.send(f20);
    const back = frame(MAC_BROADCAST, mac(3), { mark: 30 });
    h20.send(back);
    sim.run();
    expect(got.h10).toEqual([f10]);
    expect(got.h20).toEqual([f20]);
    expect(got.v20).toEqual([back]);
    expect(got.v10).toEqual([]);
  });
});

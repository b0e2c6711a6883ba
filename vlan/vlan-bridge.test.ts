import { describe, expect, it } from "vitest";
import { Bridge } from "../bridge/bridge.js";
import { attachHosts, dot1ad, dot1q, type Host, mac, whoGot } from "../bridge/testing.js";
import { Simulator } from "../sim/simulator.js";
import { MAC_BROADCAST } from "../wire/addr.js";
import { walkVlanTags } from "../wire/vlan.js";
import { access, type PortVlans, trunk } from "./membership.js";

function vlanBridge(configs: PortVlans[], opts: ConstructorParameters<typeof Bridge>[2] = {}) {
  const sim = new Simulator();
  const br = new Bridge(sim, "br0", { vlanFiltering: true, ...opts });
  const hosts = attachHosts(sim, br, configs.length, (i) => ({ vlans: configs[i - 1] }));
  return { sim, br, hosts };
}

const tagsOf = (f: Uint8Array) => walkVlanTags(f).tags.map((t) => [t.tpid, t.vid, t.pcp, t.dei]);

function only(h: Host): Uint8Array {
  const got = h.take();
  expect(got).toHaveLength(1);
  return got[0];
}

describe("VLAN-aware bridge (Linux vlan_filtering 1, br_vlan.c)", () => {
  it("same VLAN reaches, a different VLAN does not (access ports)", () => {
    const { sim, hosts } = vlanBridge([access(10), access(10), access(20), access(20)]);
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2"]);
    hosts[2].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h4"]);
    // Same MAC learned in VLAN 10 does not answer a lookup in VLAN 20: (VLAN, MAC) keys.
    hosts[3].sendTo(hosts[0].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3"]);
  });

  it("a trunk carries tags, access ports do not; the native VLAN leaves the trunk untagged", () => {
    const { sim, hosts } = vlanBridge([access(10), access(20), trunk([10, 20], { native: 1 }), access(1)]);
    hosts[0].sendTo(MAC_BROADCAST, { mark: 1 });
    sim.run();
    expect(tagsOf(only(hosts[2]))).toEqual([[0x8100, 10, 0, false]]);
    expect(whoGot(hosts)).toEqual([]);
    hosts[2].sendTo(MAC_BROADCAST, { tags: [dot1q(20, 5, true)] });
    sim.run();
    const toAccess = only(hosts[1]);
    expect(tagsOf(toAccess)).toEqual([]);
    expect(toAccess.byteLength).toBe(60);
    hosts[2].sendTo(MAC_BROADCAST); // untagged on the trunk: native VLAN 1
    sim.run();
    expect(whoGot(hosts)).toEqual(["h4"]);
    hosts[3].sendTo(MAC_BROADCAST);
    sim.run();
    expect(tagsOf(only(hosts[2]))).toEqual([]);
  });

  it("PCP and DEI are kept across a bridge between trunks", () => {
    const { sim, hosts } = vlanBridge([trunk([10]), trunk([10])]);
    const sent = hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(10, 6, true)] });
    sim.run();
    const got = only(hosts[1]);
    expect(tagsOf(got)).toEqual([[0x8100, 10, 6, true]]);
    expect(got).toEqual(sent);
  });

  it("filtering drops are counted vlan-filtered: disallowed VID, and untagged ingress without a PVID", () => {
    const { sim, br, hosts } = vlanBridge([trunk([10]), access(10), access(20)]);
    hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(20)] });
    hosts[0].sendTo(MAC_BROADCAST);
    hosts[1].sendTo(MAC_BROADCAST, { tags: [dot1q(20)] });
    sim.run();
    expect(whoGot(hosts)).toEqual([]);
    expect(br.portStats(br.ports[0]).drops.get("vlan-filtered")).toBe(2);
    expect(br.ports[1].counters.dropReasons.get("vlan-filtered")).toBe(1);
  });

  it("an access port accepts frames tagged with its own VLAN (Linux: membership, not untagged-ness, decides)", () => {
    const { sim, hosts } = vlanBridge([access(10), access(10)]);
    hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(10)] });
    sim.run();
    expect(tagsOf(only(hosts[1]))).toEqual([]);
  });

  it("priority-tagged (VID 0) ingress takes the PVID and keeps its PCP on tagged egress", () => {
    const { sim, hosts } = vlanBridge([access(10), trunk([10]), access(10)]);
    hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(0, 3)] });
    sim.run();
    expect(tagsOf(only(hosts[1]))).toEqual([[0x8100, 10, 3, false]]);
    expect(tagsOf(only(hosts[2]))).toEqual([]);
  });

  it("the PVID can differ from the untagged egress set (`bridge vlan add vid 10 pvid` without untagged)", () => {
    const { sim, hosts } = vlanBridge([{ pvid: 10, vlans: [{ vid: 10, untagged: false }] }, access(10)]);
    hosts[1].sendTo(MAC_BROADCAST);
    sim.run();
    expect(tagsOf(only(hosts[0]))).toEqual([[0x8100, 10, 0, false]]);
  });

  it("known unicast to a port outside the VLAN is dropped, not flooded", () => {
    // Only a static entry outlives its port leaving the VLAN (Linux keeps static entries on
    // `bridge vlan del`; br_forward → should_deliver fails → dropped).
    const { sim, br, hosts } = vlanBridge([trunk([10, 20]), access(10), access(20)]);
    br.addStatic(hosts[1].mac, br.ports[1], 10);
    br.vlanDel(br.ports[1], 10);
    hosts[0].sendTo(hosts[1].mac, { tags: [dot1q(10)] });
    sim.run();
    expect(whoGot(hosts)).toEqual([]);
    expect(br.portStats(br.ports[0]).drops.get("vlan-filtered")).toBe(1);
  });

  it("`bridge vlan del` forgets what the port learned in that VLAN; re-adding without pvid drops the PVID", () => {
    // Linux nbp_vlan_delete → br_fdb_delete_by_port(br, p, vid, 0); __vlan_add_flags clears the PVID of
    // a VLAN re-added without `pvid` (both checked against Linux 6.1 in test/vm/vlan.test.ts).
    const { sim, br, hosts } = vlanBridge([access(10), access(10), trunk([10, 20])]);
    hosts[1].sendTo(MAC_BROADCAST);
    hosts[1].sendTo(MAC_BROADCAST, { tags: [dot1q(20)] }); // not a member of 20: dropped, not learned
    sim.run();
    whoGot(hosts);
    br.vlanDel(br.ports[1], 10);
    expect(br.fdbShow().map((r) => r.mac)).toEqual([]);
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h3"]); // flooded in VLAN 10, not dropped
    br.vlanAdd(br.ports[1], 10, { pvid: true, untagged: true });
    hosts[0].sendTo(hosts[1].mac);
    sim.run();
    expect(whoGot(hosts)).toEqual(["h2", "h3"]); // still unknown: flooded
    br.vlanAdd(br.ports[0], 10, { untagged: true });
    expect(br.vlans(br.ports[0]).pvid).toBe(0);
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run();
    expect(whoGot(hosts)).toEqual([]);
    expect(br.portStats(br.ports[0]).drops.get("vlan-filtered")).toBe(1);
    // setVlans: leaving a VLAN forgets it too.
    hosts[2].sendTo(MAC_BROADCAST, { tags: [dot1q(10)] });
    sim.run();
    expect(br.fdbShow().some((r) => r.port === "p3")).toBe(true);
    br.setVlans(br.ports[2], trunk([20]));
    expect(br.fdbShow().some((r) => r.port === "p3")).toBe(false);
  });

  it("double tagging: a frame tagged with the native VLAN outside stays in the native VLAN (inner tag is payload)", () => {
    const { sim, hosts } = vlanBridge([trunk([20], { native: 1 }), access(1), access(20), trunk([1, 20])]);
    hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(1), dot1q(20)] });
    sim.run();
    // VLAN 1 access host: outer tag consumed, the inner VID 20 tag is still there, as payload.
    expect(tagsOf(only(hosts[1]))).toEqual([[0x8100, 20, 0, false]]);
    // No VLAN 20 port sees it untagged; the VLAN-20 access host sees nothing at all.
    expect(hosts[2].take()).toEqual([]);
    expect(tagsOf(only(hosts[3]))).toEqual([
      [0x8100, 1, 0, false],
      [0x8100, 20, 0, false],
    ]);
  });

  it("static entries without a VLAN are added for VLAN 0 and every VLAN of the port (Linux br_fdb_add)", () => {
    const { br } = vlanBridge([trunk([10, 20], { native: 1 }), access(10)]);
    br.addStatic(mac(42), br.ports[0]);
    expect(br.fdbShow().map((r) => r.vlan)).toEqual([null, 10, 20, 1]);
    br.addStatic(mac(43), br.ports[1], 10);
    expect(br.formatFdb().split("\n").at(-1)).toBe("52:54:00:00:00:2b dev p2 vlan 10 master br0 static");
  });

  it("new ports get default_pvid 1 untagged, as Linux", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0", { vlanFiltering: true });
    const hosts = attachHosts(sim, br, 2);
    expect(br.vlans(br.ports[0])).toEqual(access(1));
    hosts[0].sendTo(MAC_BROADCAST);
    sim.run();
    expect(tagsOf(only(hosts[1]))).toEqual([]);
  });

  it("without vlan_filtering every frame is in one domain and tags are payload", () => {
    const sim = new Simulator();
    const br = new Bridge(sim, "br0");
    const hosts = attachHosts(sim, br, 3, (i) => ({ vlans: access(i * 10) }));
    const f = hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(99, 2)] });
    sim.run();
    expect(hosts[1].take()).toEqual([f]);
    expect(hosts[2].take()).toEqual([f]);
    expect(br.fdbShow().map((r) => r.vlan)).toEqual([null]);
  });

  it("802.1ad bridge (vlan_protocol 802.1ad): S-tags classify, C-tagged frames take the PVID and get an S-tag", () => {
    const { sim, hosts } = vlanBridge([access(100), trunk([100]), access(100)], { vlanProtocol: 0x88a8 });
    const customer = hosts[0].sendTo(MAC_BROADCAST, { tags: [dot1q(5, 4)] });
    sim.run();
    // QinQ: the S-tag is pushed outside the customer's C-tag; the access port gets the frame as sent.
    expect(tagsOf(only(hosts[1]))).toEqual([
      [0x88a8, 100, 0, false],
      [0x8100, 5, 4, false],
    ]);
    expect(only(hosts[2])).toEqual(customer);
    hosts[1].sendTo(MAC_BROADCAST, { tags: [dot1ad(100), dot1q(7)] });
    sim.run();
    expect(tagsOf(only(hosts[0]))).toEqual([[0x8100, 7, 0, false]]);
  });
});

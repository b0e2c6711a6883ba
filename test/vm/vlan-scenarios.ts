/**
 * The VLAN scenarios of the fidelity harness (issue 6): one Linux-style VLAN-aware bridge with four
 * ports, each with its `bridge vlan` membership (a vnet `PortVlans`: `access(vid)`, `trunk(vids, …)`), and
 * the frames each port's host sends, in order. Both sides read the same description: vlan-vnet.ts
 * builds it on vnet's bridge (`vlanFiltering: true`), vlan-oracle.ts on the Linux 6.1 bridge of a QEMU
 * guest (`vlan_filtering 1`, `vlan_default_pvid 0`, the same membership with `bridge vlan add`).
 *
 * Frames are made-up test frames: EtherType 0x88b5 (IEEE local experimental), a sequence number in
 * the first two payload bytes, 60 bytes untagged / 64 bytes with one tag, so every frame is unique and
 * a copy's origin is visible in a diff. Host MACs are 02:00:00:00:00:NN (locally administered).
 */
import { access, type PortVlans, trunk } from "../../vlan/index.js";
import { macBytes } from "../netns/scenario.js";

/** Ports of the bridge (the guest's NICs eth0..eth3; vnet's p1..p4). */
export const VLAN_PORTS = 4;

/** One 802.1Q (or 802.1ad) tag of a test frame. */
export interface TagSpec {
  readonly vid: number;
  readonly pcp?: number;
  readonly dei?: boolean;
  /** Default 0x8100. */
  readonly tpid?: number;
}

/** A frame sent by the host on port `from` (1-based). */
export interface FrameStep {
  readonly from: number;
  readonly frame: Uint8Array;
  /** What the step shows (for the reader; Linux's rule). */
  readonly note: string;
}

/**
 * A membership change at run time on port `port` (1-based): Linux `bridge vlan del dev P vid V` /
 * `bridge vlan add dev P vid V [pvid] [untagged]`; vnet `Bridge.vlanDel` / `Bridge.vlanAdd` with the same
 * words (`pvid`, `untagged` only when given). Or a static FDB entry: Linux `bridge fdb add MAC dev P
 * master static sticky [vlan V]` (vnet's static entries are Linux's sticky ones, docs/fidelity.md
 * `bridge-static-sticky`); vnet `Bridge.addStatic(mac, p[, vid])`.
 */
export type ConfigStep =
  | {
      readonly port: number;
      readonly op: "add" | "del";
      readonly vid: number;
      readonly pvid?: boolean;
      readonly untagged?: boolean;
      readonly note: string;
    }
  | {
      readonly port: number;
      readonly op: "static";
      readonly mac: number;
      readonly vid?: number;
      readonly note: string;
    };

export type VlanStep = FrameStep | ConfigStep;

export function isFrameStep(s: VlanStep): s is FrameStep {
  return "frame" in s;
}

/** The `bridge vlan …` command of a config step (the guest's port `eth{port-1}`). */
export function linuxConfigCommand(c: ConfigStep): string {
  const dev = `eth${c.port - 1}`;
  if (c.op === "static") {
    const m = new Uint8Array(6);
    macBytes(c.mac, m, 0);
    const text = Array.from(m, (x) => x.toString(16).padStart(2, "0")).join(":");
    return `bridge fdb add ${text} dev ${dev} master static sticky${c.vid !== undefined ? ` vlan ${c.vid}` : ""}`;
  }
  return c.op === "del"
    ? `bridge vlan del dev ${dev} vid ${c.vid}`
    : `bridge vlan add dev ${dev} vid ${c.vid}${c.pvid ? " pvid" : ""}${c.untagged ? " untagged" : ""}`;
}

export interface VlanScenario {
  readonly name: string;
  /** Membership of p1..p4, in port order (VLANs added in list order, the PVID flagged). */
  readonly ports: readonly PortVlans[];
  /** The bridge's VLAN protocol: 0x8100 (default) or 0x88a8 (Linux `vlan_protocol 802.1ad`). */
  readonly protocol?: number;
  /**
   * Linux's default `vlan_default_pvid 1` instead of 0: every port starts as VLAN 1 PVID untagged and
   * `ports` are added on top (`bridge vlan add`; vnet `Bridge.vlanAdd` on a bridge with `defaultPvid: 1`).
   */
  readonly defaultPvid?: boolean;
  readonly steps: readonly VlanStep[];
}

/** Host MAC 02:00:00:00:00:NN. */
export const host = (n: number): number => 0x020000000000 + n;
export const BCAST = 0xffffffffffff;
/** 224.0.0.251's group MAC: ordinary multicast (no snooping: floods in the VLAN). */
export const MCAST = 0x01005e0000fb;

/** Builds test frames with a running sequence number (one factory per scenario). */
export function frameFactory(): (dst: number, src: number, ...tags: TagSpec[]) => Uint8Array {
  let seq = 0;
  return (dst, src, ...tags) => {
    const body = 48; // EtherType, then 46 payload bytes (the sequence number first): 60 bytes untagged
    const f = new Uint8Array(12 + 4 * tags.length + body);
    macBytes(dst, f, 0);
    macBytes(src, f, 6);
    let at = 12;
    for (const t of tags) {
      const tpid = t.tpid ?? 0x8100;
      const tci = ((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | t.vid;
      f[at] = tpid >> 8;
      f[at + 1] = tpid & 0xff;
      f[at + 2] = tci >> 8;
      f[at + 3] = tci & 0xff;
      at += 4;
    }
    seq++;
    f[at] = 0x88;
    f[at + 1] = 0xb5;
    f[at + 2] = seq >> 8;
    f[at + 3] = seq & 0xff;
    for (let i = at + 4; i < f.length; i++) f[i] = (i + seq * 13) & 0xff;
    return f;
  };
}

/** The `bridge vlan add` commands that give Linux port `dev` the membership `v` (on a bridge without a default PVID). */
export function linuxVlanCommands(dev: string, v: PortVlans): string[] {
  const cmds = v.vlans.map(
    (m) =>
      `bridge vlan add dev ${dev} vid ${m.vid}${m.vid === v.pvid ? " pvid" : ""}${m.untagged ? " untagged" : ""}`,
  );
  // vnet's VlanMembership makes a PVID outside the list a tagged member; so does Linux's `pvid` flag.
  if (v.pvid !== 0 && !v.vlans.some((m) => m.vid === v.pvid))
    cmds.push(`bridge vlan add dev ${dev} vid ${v.pvid} pvid`);
  return cmds;
}

/** The scenarios, in run order. */
export function vlanScenarios(): VlanScenario[] {
  const list: VlanScenario[] = [];
  const A = host(1);
  const B = host(2);
  const C = host(3);
  const D = host(4);
  const X = host(0x99); // never sends
  const M = host(0x0d); // one MAC in two VLANs

  {
    // Linux br_vlan.c: an untagged frame takes the ingress port's PVID; flooding and known unicast stay
    // inside that VLAN (br_flood / br_forward skip ports that are not members, br_allowed_egress), and
    // the FDB is per (VLAN, MAC): a MAC learned in VLAN 20 is unknown in VLAN 10.
    const f = frameFactory();
    list.push({
      name: "access ports in two VLANs",
      ports: [access(10), access(10), access(20), access(20)],
      steps: [
        { from: 1, frame: f(BCAST, A), note: "broadcast in VLAN 10: p2 only" },
        { from: 3, frame: f(BCAST, C), note: "broadcast in VLAN 20: p4 only" },
        { from: 2, frame: f(A, B), note: "A known in VLAN 10: p1" },
        { from: 4, frame: f(A, D), note: "A unknown in VLAN 20: floods to p3 only" },
        { from: 1, frame: f(X, A), note: "unknown unicast in VLAN 10: p2 only" },
        { from: 1, frame: f(MCAST, A), note: "multicast in VLAN 10: p2 only" },
        { from: 1, frame: f(C, A), note: "C known in VLAN 20 only: floods in VLAN 10" },
        { from: 3, frame: f(D, C), note: "D known in VLAN 20: p4" },
      ],
    });
  }
  {
    // A trunk: tagged VLANs egress with their tag, the native VLAN (PVID, egress untagged) carries the
    // untagged frames; a tag for a VLAN the port is not in is dropped at ingress (br_allowed_ingress).
    const f = frameFactory();
    list.push({
      name: "trunk port with a native VLAN",
      ports: [trunk([10, 20], { native: 1 }), access(10), access(20), access(1)],
      steps: [
        { from: 1, frame: f(BCAST, A, { vid: 10 }), note: "tagged 10: p2, untagged" },
        { from: 1, frame: f(BCAST, A, { vid: 20 }), note: "tagged 20: p3, untagged" },
        { from: 1, frame: f(BCAST, A, { vid: 30 }), note: "tagged 30, not a member: dropped" },
        { from: 1, frame: f(BCAST, A), note: "untagged: native VLAN 1, p4" },
        { from: 2, frame: f(A, B), note: "A known in VLAN 10 on the trunk: tagged 10" },
        { from: 3, frame: f(BCAST, C), note: "VLAN 20 broadcast: trunk tagged 20" },
        { from: 4, frame: f(A, D), note: "native VLAN: trunk untagged" },
        { from: 1, frame: f(B, A, { vid: 10 }), note: "B known in VLAN 10: p2, untagged" },
        { from: 1, frame: f(C, A, { vid: 1 }), note: "tagged with the native VID: VLAN 1, C unknown there" },
      ],
    });
  }
  {
    // Ingress filtering (Linux br_allowed_ingress, vlan_filtering 1): an untagged frame on a port with
    // no PVID, or a tag for a VLAN the port is not a member of, is dropped before learning.
    const f = frameFactory();
    list.push({
      name: "ingress filtering",
      ports: [trunk([10]), access(10), access(20), trunk([10, 20])],
      steps: [
        { from: 1, frame: f(BCAST, A), note: "untagged, no PVID: dropped" },
        {
          from: 1,
          frame: f(BCAST, A, { vid: 20 }),
          note: "tagged 20, not a member: dropped (A not learned)",
        },
        { from: 1, frame: f(BCAST, A, { vid: 10 }), note: "tagged 10: p2 untagged, p4 tagged" },
        { from: 2, frame: f(BCAST, B, { vid: 10 }), note: "tagged with an access port's own VLAN: accepted" },
        { from: 2, frame: f(BCAST, B, { vid: 20 }), note: "tagged 20 on an access port of 10: dropped" },
        { from: 3, frame: f(A, C), note: "A never learned in VLAN 20: floods to p4" },
        { from: 4, frame: f(BCAST, D, { vid: 30 }), note: "tagged 30: dropped" },
        { from: 4, frame: f(BCAST, D), note: "untagged on a trunk without native VLAN: dropped" },
      ],
    });
  }
  {
    // The FDB key is (VLAN, MAC) (br_fdb_update with the frame's VID): the same MAC on two ports in two
    // VLANs, then moving in one VLAN only.
    const f = frameFactory();
    list.push({
      name: "learning per VLAN",
      ports: [trunk([10, 20]), access(10), access(20), trunk([10, 20])],
      steps: [
        { from: 2, frame: f(BCAST, M), note: "M in VLAN 10 on p2" },
        { from: 3, frame: f(BCAST, M), note: "M in VLAN 20 on p3" },
        { from: 1, frame: f(M, A, { vid: 10 }), note: "to M in VLAN 10: p2" },
        { from: 1, frame: f(M, A, { vid: 20 }), note: "to M in VLAN 20: p3" },
        { from: 4, frame: f(BCAST, M, { vid: 10 }), note: "M moves to p4 in VLAN 10 only" },
        { from: 1, frame: f(M, A, { vid: 10 }), note: "to M in VLAN 10: p4" },
        { from: 1, frame: f(M, A, { vid: 20 }), note: "to M in VLAN 20: still p3" },
        { from: 2, frame: f(A, B), note: "A known in VLAN 10 on p1: tagged 10" },
      ],
    });
  }
  {
    // A priority tag (VID 0, 802.1Q 9.6) is untagged for classification: the frame takes the PVID and
    // keeps its PCP and DEI (Linux: `skb->vlan_tci |= pvid`); on a port without PVID it is dropped.
    const f = frameFactory();
    list.push({
      name: "priority-tagged frames",
      ports: [access(10), access(10), trunk([10]), trunk([10])],
      steps: [
        { from: 1, frame: f(BCAST, A, { vid: 0, pcp: 5 }), note: "VID 0 PCP 5: VLAN 10, PCP kept tagged" },
        { from: 4, frame: f(BCAST, D, { vid: 0, pcp: 3 }), note: "VID 0 on a port without PVID: dropped" },
        { from: 3, frame: f(BCAST, C, { vid: 10, pcp: 6 }), note: "tagged 10 PCP 6 from the trunk" },
        { from: 2, frame: f(A, B, { vid: 0, pcp: 1, dei: true }), note: "VID 0 with DEI to a known MAC" },
        { from: 1, frame: f(C, A, { vid: 0, pcp: 7 }), note: "VID 0 PCP 7 to C on the trunk: tagged 10" },
      ],
    });
  }
  {
    // PCP and DEI travel with the frame across trunks (the tag is kept as received); an untagged frame
    // that leaves tagged gets PCP 0.
    const f = frameFactory();
    list.push({
      name: "PCP and DEI kept across trunks",
      ports: [trunk([10, 20]), trunk([10, 20]), access(10), trunk([20], { native: 10 })],
      steps: [
        { from: 1, frame: f(BCAST, A, { vid: 10, pcp: 3 }), note: "PCP 3 to p2 as is, untagged to p3/p4" },
        { from: 1, frame: f(BCAST, A, { vid: 20, pcp: 7, dei: true }), note: "PCP 7 DEI to p2 and p4" },
        { from: 3, frame: f(A, C), note: "untagged to the trunk: tagged 10, PCP 0" },
        { from: 4, frame: f(BCAST, D, { vid: 20, pcp: 5 }), note: "PCP 5 from p4's tagged VLAN" },
        { from: 4, frame: f(A, D), note: "p4's native VLAN 10 to the trunk: tagged 10" },
        { from: 2, frame: f(C, B, { vid: 10, pcp: 4 }), note: "to C on the access port: untagged" },
      ],
    });
  }
  {
    // A trunk whose native VLAN also leaves tagged (`bridge vlan add … pvid` without `untagged`;
    // vnet `trunk(…, { nativeTagged: true })`): untagged ingress still takes the PVID.
    const f = frameFactory();
    list.push({
      name: "native VLAN egress tagged",
      ports: [trunk([10], { native: 1, nativeTagged: true }), access(1), access(10), trunk([1, 10])],
      steps: [
        { from: 2, frame: f(BCAST, B), note: "VLAN 1: tagged 1 on p1 and p4" },
        { from: 1, frame: f(BCAST, A), note: "untagged on p1: PVID 1" },
        { from: 1, frame: f(B, A, { vid: 1 }), note: "tagged 1 to B: p2 untagged" },
        { from: 3, frame: f(A, C), note: "A unknown in VLAN 10: p1 and p4 tagged 10" },
      ],
    });
  }
  {
    // VIDs at the top of the range: the FDB keeps (VLAN, MAC) pairs exact for every VID (vnet's key once
    // rounded from VID 32 up, so :01 and :02 were one entry in VLAN 4094); VID 4095 is reserved and no
    // port can be a member of it (802.1Q table 9-2; Linux refuses `bridge vlan add vid 4095`).
    const f = frameFactory();
    list.push({
      name: "high VLAN IDs",
      ports: [access(4094), access(4094), trunk([32, 4094]), access(32)],
      steps: [
        { from: 1, frame: f(BCAST, A), note: "VLAN 4094 broadcast: p2 untagged, p3 tagged" },
        { from: 1, frame: f(B, A), note: "B (A's neighbour MAC) unknown: floods, not same-port" },
        { from: 3, frame: f(A, C, { vid: 4094 }), note: "A known in VLAN 4094: p1" },
        { from: 4, frame: f(BCAST, D), note: "VLAN 32 broadcast: p3 tagged 32" },
        { from: 3, frame: f(D, C, { vid: 32 }), note: "D known in VLAN 32: p4" },
        { from: 3, frame: f(B, C, { vid: 32 }), note: "B unknown in VLAN 32: p4" },
        { from: 1, frame: f(BCAST, A, { vid: 4095 }), note: "VID 4095: dropped" },
      ],
    });
  }
  {
    // Membership changed while frames flow. Linux nbp_vlan_delete flushes the port's learned entries of
    // that VLAN (br_fdb_delete_by_port(br, p, vid, 0)) and a deleted PVID leaves the port without one;
    // `bridge vlan add` of an existing VLAN without `pvid` takes the PVID away (__vlan_add_flags).
    const f = frameFactory();
    list.push({
      name: "membership changed at run time",
      ports: [access(10), access(10), trunk([10, 20]), access(20)],
      steps: [
        { from: 2, frame: f(BCAST, B), note: "B learned on p2 in VLAN 10" },
        { from: 1, frame: f(B, A), note: "B known: p2" },
        { port: 2, op: "del", vid: 10, note: "p2 leaves VLAN 10 (and loses its PVID)" },
        { from: 1, frame: f(B, A), note: "B's entry went with the VLAN: floods to p3" },
        { from: 2, frame: f(BCAST, B), note: "untagged on p2 without PVID: dropped, not learned" },
        { port: 2, op: "add", vid: 10, pvid: true, untagged: true, note: "p2 back in VLAN 10" },
        { from: 1, frame: f(B, A), note: "B still unknown: floods to p2 and p3" },
        { port: 1, op: "add", vid: 10, untagged: true, note: "VLAN 10 re-added on p1 without pvid" },
        { from: 1, frame: f(BCAST, A), note: "p1 has no PVID now: dropped" },
        { from: 3, frame: f(A, C, { vid: 10 }), note: "A known on p1 in VLAN 10: untagged" },
      ],
    });
  }
  {
    // Linux's default_pvid 1 (br_vlan_init / nbp_vlan_init): a new port is VLAN 1 PVID untagged; adding
    // `vid 10 pvid untagged` moves the PVID and leaves VLAN 1 as an untagged member.
    const f = frameFactory();
    list.push({
      name: "default PVID 1 on new ports",
      defaultPvid: true,
      ports: [
        { pvid: 0, vlans: [] },
        { pvid: 0, vlans: [{ vid: 10, untagged: false }] },
        access(10),
        { pvid: 0, vlans: [] },
      ],
      steps: [
        { from: 1, frame: f(BCAST, A), note: "VLAN 1 everywhere: p2, p3 (still an untagged member), p4" },
        { from: 3, frame: f(BCAST, C), note: "p3's PVID is 10 now: p2 tagged 10" },
        { from: 2, frame: f(BCAST, B, { vid: 10 }), note: "tagged 10: p3 untagged" },
        { from: 4, frame: f(A, D), note: "A known in VLAN 1: p1" },
        { from: 1, frame: f(C, A, { vid: 1 }), note: "tagged 1 on p1: VLAN 1, C unknown there" },
      ],
    });
  }
  {
    // Static entries on a VLAN bridge (Linux br_fdb_add): with `vlan V` one entry in V; without, one in
    // every VLAN of the port (and VLAN 0). Sticky entries are not moved by learning.
    const f = frameFactory();
    const S1 = host(0x51);
    const S2 = host(0x52);
    list.push({
      name: "static FDB entries per VLAN",
      ports: [access(10), trunk([10, 20]), access(20), trunk([10, 20])],
      steps: [
        { port: 2, op: "static", mac: S1, vid: 10, note: "S1 static on p2 in VLAN 10 only" },
        { from: 1, frame: f(S1, A), note: "to S1 in VLAN 10: p2 tagged" },
        { from: 3, frame: f(S1, C), note: "to S1 in VLAN 20: unknown, floods" },
        { port: 4, op: "static", mac: S2, note: "S2 static on p4, no VLAN given: every VLAN of p4" },
        { from: 1, frame: f(S2, A), note: "to S2 in VLAN 10: p4 tagged 10" },
        { from: 3, frame: f(S2, C), note: "to S2 in VLAN 20: p4 tagged 20" },
        { from: 4, frame: f(BCAST, S1, { vid: 10 }), note: "S1 sends from p4: a sticky entry stays" },
        { from: 1, frame: f(S1, A), note: "to S1 in VLAN 10: still p2" },
      ],
    });
  }
  {
    // 802.1D link-local groups on a VLAN bridge (br_handle_frame): 01:80:C2:00:00:0X other than the STP
    // address are not forwarded, but their source is learned in the frame's VLAN if the port may use it
    // (br_should_learn); the STP address with STP off is forwarded like any frame, VLAN rules included.
    const f = frameFactory();
    const linkLocal = (x: number) => 0x0180c2000000 + x;
    list.push({
      name: "link-local frames on a VLAN bridge",
      ports: [access(10), access(10), trunk([10, 20]), access(20)],
      steps: [
        { from: 1, frame: f(linkLocal(0x0e), A), note: "LLDP: not forwarded, A learned in VLAN 10" },
        { from: 2, frame: f(A, B), note: "A known in VLAN 10: p1 only" },
        { from: 3, frame: f(linkLocal(0x00), C, { vid: 20 }), note: "STP address, STP off: forwarded in 20" },
        {
          from: 3,
          frame: f(linkLocal(0x0e), D, { vid: 30 }),
          note: "LLDP tagged 30 (not a member): D not learned",
        },
        { from: 4, frame: f(D, host(5)), note: "D unknown in VLAN 20: floods to p3" },
        { from: 1, frame: f(linkLocal(0x01), A), note: "pause: never forwarded" },
        {
          from: 2,
          frame: f(linkLocal(0x00), B, { vid: 20 }),
          note: "STP address tagged 20 on an access port of 10: dropped",
        },
      ],
    });
  }
  {
    // An 802.1ad (provider) bridge, Linux `vlan_protocol 802.1ad`: only 0x88a8 tags classify; a
    // customer's 802.1Q tag is payload and rides inside the S-VLAN (QinQ). Linux's br_allowed_ingress
    // pushes an accelerated tag of the other protocol back into the frame, so it is untagged there too.
    const f = frameFactory();
    const S = 0x88a8;
    list.push({
      name: "802.1ad bridge (QinQ)",
      protocol: S,
      ports: [trunk([100, 200]), access(100), access(200), trunk([100], { native: 200 })],
      steps: [
        { from: 2, frame: f(BCAST, B, { vid: 5 }), note: "C-tagged into S-VLAN 100: S-tag pushed on trunks" },
        { from: 1, frame: f(BCAST, A, { vid: 100, tpid: S }, { vid: 7 }), note: "S100 + C7: S-tag popped" },
        { from: 1, frame: f(BCAST, A, { vid: 100 }), note: "an 802.1Q tag only: untagged, no PVID: dropped" },
        { from: 3, frame: f(B, C), note: "S-VLAN 200 (B unknown there): p1 tagged, p4 native" },
        { from: 1, frame: f(C, A, { vid: 200, tpid: S, pcp: 2 }), note: "to C in S-VLAN 200: p3" },
      ],
    });
  }
  return list;
}

// ---- 802.1Q sub-interfaces on a host ------------------------------------------------------------

/** The host NIC of the sub-interface scenarios: the guest's eth4 (its 5th NIC), vnet's `eth4`. */
export const HOST_NIC = 5;
export const HOST_MAC = 0x525400761a05;

/**
 * A host whose NIC carries 802.1Q sub-interfaces (Linux `ip link add link eth4 name eth4.10 type vlan
 * id 10`; vnet `VlanDemux(nic).add(10)`), each with one IPv4 address, and the parent `eth4` up with
 * none. The steps' frames come from the switch side (`from` is always HOST_NIC).
 */
export interface SubifScenario {
  readonly name: string;
  readonly subifs: readonly { readonly vid: number; readonly addr: string }[];
  readonly steps: readonly FrameStep[];
}

function ipv4Bytes(a: string, out: Uint8Array, off: number): void {
  a.split(".").forEach((x, i) => {
    out[off + i] = Number(x);
  });
}

/** An ARP request (RFC 826, 42 bytes untagged, unpadded as Linux sends) from `sha`/`spa` for `tpa`. */
export function arpRequest(sha: number, spa: string, tpa: string, ...tags: TagSpec[]): Uint8Array {
  const f = new Uint8Array(12 + 4 * tags.length + 30);
  macBytes(BCAST, f, 0);
  macBytes(sha, f, 6);
  let at = 12;
  for (const t of tags) {
    const tpid = t.tpid ?? 0x8100;
    const tci = ((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | t.vid;
    f.set([tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff], at);
    at += 4;
  }
  f.set([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], at);
  macBytes(sha, f, at + 10);
  ipv4Bytes(spa, f, at + 16);
  ipv4Bytes(tpa, f, at + 26);
  return f;
}

export function subifScenarios(): SubifScenario[] {
  const H = host(0x21);
  const from = HOST_NIC;
  return [
    {
      // Linux 8021q (vlan_do_receive): a tag of a sub-interface is popped and the frame handed to it;
      // its replies leave tagged with the sub-interface's VID, PCP 0 (default egress-qos-map). ARP
      // answers for any local address on any interface (arp_ignore 0, the weak host model); a VID no
      // sub-interface has is not for this host; a priority tag (VID 0) is untagged for the parent.
      name: "802.1Q sub-interfaces on a host (eth4.10, eth4.20)",
      subifs: [
        { vid: 10, addr: "192.0.2.1/24" },
        { vid: 20, addr: "198.51.100.1/24" },
      ],
      steps: [
        {
          from,
          frame: arpRequest(H, "192.0.2.2", "192.0.2.1", { vid: 10 }),
          note: "ARP in VLAN 10: reply tagged 10",
        },
        {
          from,
          frame: arpRequest(H, "198.51.100.2", "198.51.100.1", { vid: 20, pcp: 5 }),
          note: "ARP in VLAN 20 (PCP 5): reply tagged 20, PCP 0",
        },
        {
          from,
          frame: arpRequest(H, "192.0.2.3", "198.51.100.1", { vid: 10 }),
          note: "ARP in VLAN 10 for VLAN 20's address: answered (arp_ignore 0)",
        },
        {
          from,
          frame: arpRequest(H, "192.0.2.4", "192.0.2.99", { vid: 10 }),
          note: "not our address: nothing",
        },
        {
          from,
          frame: arpRequest(H, "192.0.2.5", "192.0.2.1", { vid: 30 }),
          note: "VLAN 30, no sub-interface: nothing",
        },
        {
          from,
          frame: arpRequest(H, "192.0.2.6", "192.0.2.1", { vid: 10, tpid: 0x88a8 }),
          note: "an 802.1ad tag on 802.1Q sub-interfaces: not for them",
        },
        {
          from,
          frame: arpRequest(H, "192.0.2.7", "192.0.2.1"),
          note: "untagged: the parent eth4 answers (weak host)",
        },
        {
          from,
          frame: arpRequest(H, "192.0.2.8", "198.51.100.1", { vid: 0, pcp: 3 }),
          note: "priority-tagged (VID 0): handled as untagged by the parent",
        },
      ],
    },
  ];
}

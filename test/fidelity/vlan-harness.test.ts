/**
 * The VLAN fidelity harness without its QEMU oracle (that runs under `npm run test:vm`,
 * test/vm/vlan.test.ts): the scenarios' Linux commands, the frame description, the comparison into a
 * ScenarioResult, and vnet's side of every scenario — deterministic, and confined as each scenario's
 * notes say (no frame leaves a port outside the frame's VLAN).
 */
import { describe, expect, it } from "vitest";
import { access, trunk } from "../../vlan/index.js";
import { compareVlan, describeVlanFrame, framesPerStep } from "../vm/vlan-compare.js";
import {
  arpRequest,
  BCAST,
  frameFactory,
  host,
  isFrameStep,
  linuxVlanCommands,
  subifScenarios,
  vlanScenarios,
} from "../vm/vlan-scenarios.js";
import { runVnetSubif, runVnetVlan } from "../vm/vlan-vnet.js";
import { undocumented } from "./result.js";
import { KNOWN } from "./vlan-known.js";

/** The VLAN a frame leaving port `p` belongs to: its outer tag of the bridge's protocol, else the port's untagged VLAN. */
function egressVlan(f: Uint8Array, tpid: number): number | "untagged" {
  return ((f[12] << 8) | f[13]) === tpid ? ((f[14] << 8) | f[15]) & 0xfff : "untagged";
}

describe("VLAN fidelity harness", () => {
  it("gives Linux the same membership as vnet's PortVlans (`bridge vlan add`, no default PVID)", () => {
    expect(linuxVlanCommands("eth0", access(10))).toEqual(["bridge vlan add dev eth0 vid 10 pvid untagged"]);
    expect(linuxVlanCommands("eth1", trunk([10, 20], { native: 1 }))).toEqual([
      "bridge vlan add dev eth1 vid 10",
      "bridge vlan add dev eth1 vid 20",
      "bridge vlan add dev eth1 vid 1 pvid untagged",
    ]);
    expect(linuxVlanCommands("eth2", trunk([10], { native: 1, nativeTagged: true }))).toEqual([
      "bridge vlan add dev eth2 vid 10",
      "bridge vlan add dev eth2 vid 1 pvid",
    ]);
    expect(linuxVlanCommands("eth3", { pvid: 5, vlans: [] })).toEqual([
      "bridge vlan add dev eth3 vid 5 pvid",
    ]);
  });

  it("describes frames by the fields a VLAN bridge changes", () => {
    const f = frameFactory();
    expect(describeVlanFrame(f(BCAST, host(1)))).toBe("ff:ff:ff:ff:ff:ff<02:00:00:00:00:01 88b5 #1 60B");
    expect(
      describeVlanFrame(f(host(2), host(1), { vid: 100, tpid: 0x88a8, pcp: 5, dei: true }, { vid: 7 })),
    ).toBe("02:00:00:00:00:02<02:00:00:00:00:01 88a8:vid100/pcp5/dei 8100:vid7/pcp0 88b5 #2 68B");
    expect(describeVlanFrame(arpRequest(host(3), "192.0.2.2", "192.0.2.1", { vid: 10 }))).toMatch(
      /8100:vid10\/pcp0 0806 #1 46B$/,
    );
  });

  it("compares port by port: equal frames, a changed tag, missing and extra frames", () => {
    const f = frameFactory();
    const a = f(BCAST, host(1), { vid: 10 });
    const b = f(BCAST, host(1), { vid: 10, pcp: 3 });
    const c = f(BCAST, host(2));
    const sc = {
      name: "t",
      steps: [
        { from: 1, frame: a, note: "one" },
        { from: 2, frame: c, note: "two" },
      ],
    };
    const r = compareVlan(
      sc,
      [[{ step: 0, frame: a }], [{ step: 0, frame: a }], [{ step: 1, frame: c }]],
      [[{ step: 0, frame: a }], [{ step: 0, frame: b }], [], [{ step: 1, frame: c }]],
    );
    expect(r.group).toBe("vlan");
    expect(r.ports.map((p) => [p.port, p.oracle, p.vnet, p.equal])).toEqual([
      ["p1", 1, 1, 1],
      ["p2", 1, 1, 0],
      ["p3", 1, 0, 0],
      ["p4", 0, 1, 0],
    ]);
    expect(r.ports[1].differences[0].what).toMatch(
      /^byte 14: oracle 00, vnet 60; oracle .*vid10\/pcp0.* \| vnet .*vid10\/pcp3/,
    );
    expect(r.ports[2].differences[0].what).toMatch(/^missing in vnet: .*<02:00:00:00:00:02 88b5 #3 60B /);
    expect(r.ports[3].differences[0].what).toMatch(/^extra in vnet: /);
    expect(undocumented(r)).toHaveLength(3);
  });

  it("runs every scenario on vnet deterministically, and no frame leaves a port outside its VLAN", () => {
    for (const sc of vlanScenarios()) {
      const one = runVnetVlan(sc);
      expect(runVnetVlan(sc), sc.name).toEqual(one);
      expect(
        framesPerStep(sc, one).reduce((x, y) => x + y, 0),
        sc.name,
      ).toBeGreaterThan(0);
      // Membership fixed for the whole run (the run-time change scenario is checked against Linux only).
      if (!sc.steps.every(isFrameStep) || sc.defaultPvid) continue;
      const tpid = sc.protocol ?? 0x8100;
      one.forEach((port, i) => {
        const m = sc.ports[i];
        for (const { frame } of port) {
          const v = egressVlan(frame, tpid);
          if (v === "untagged")
            expect(
              m.vlans.some((x) => x.untagged),
              `${sc.name} p${i + 1}`,
            ).toBe(true);
          else
            expect(
              m.vlans.some((x) => x.vid === v && !x.untagged),
              `${sc.name} p${i + 1} vid ${v}`,
            ).toBe(true);
        }
      });
    }
  });

  it("the sub-interface host answers ARP with the tag of the VLAN asked in", () => {
    for (const sc of subifScenarios()) {
      const [out] = runVnetSubif(sc);
      expect(out.length).toBeGreaterThan(0);
      for (const { step, frame } of out) {
        const asked = sc.steps[step].frame;
        const askedVid = egressVlan(asked, 0x8100);
        const vid = egressVlan(frame, 0x8100);
        // A priority tag (VID 0) is answered untagged, as an untagged request.
        expect(vid).toBe(askedVid === 0 ? "untagged" : askedVid);
      }
    }
  });

  it("documents no VLAN difference (every VLAN scenario matches Linux)", () => {
    expect(KNOWN).toEqual([]);
  });
});

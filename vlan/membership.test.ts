import { describe, expect, it } from "vitest";
import { access, trunk, VlanConfigError, VlanMembership } from "./membership.js";

describe("VLAN membership (Linux `bridge vlan` semantics)", () => {
  it("access(vid): PVID and egress untagged", () => {
    expect(access(10)).toEqual({ pvid: 10, vlans: [{ vid: 10, untagged: true }] });
  });

  it("trunk(vids, { native }): tagged VLANs plus the native one untagged as PVID", () => {
    expect(trunk([10, 20, 1, 10], { native: 1 })).toEqual({
      pvid: 1,
      vlans: [
        { vid: 10, untagged: false },
        { vid: 20, untagged: false },
        { vid: 1, untagged: true },
      ],
    });
    expect(trunk([10])).toEqual({ pvid: 0, vlans: [{ vid: 10, untagged: false }] });
    expect(trunk([10], { native: 1, nativeTagged: true }).vlans).toContainEqual({ vid: 1, untagged: false });
  });

  it("802.1Q: VIDs 0 and 4095 are not usable", () => {
    expect(() => access(0)).toThrow(VlanConfigError);
    expect(() => access(4095)).toThrow(VlanConfigError);
    expect(() => trunk([5000])).toThrow(VlanConfigError);
  });

  it("add/delete like `bridge vlan add/del`; deleting the PVID's VLAN clears the PVID", () => {
    const m = new VlanMembership(access(1));
    m.add(10, { pvid: true, untagged: true });
    m.add(20);
    expect(m.pvid).toBe(10);
    expect(m.isMember(20)).toBe(true);
    expect(m.isUntagged(20)).toBe(false);
    // Linux __vlan_add_flags: re-adding the PVID's VLAN without `pvid` takes the PVID away (checked
    // against the Linux 6.1 bridge in test/vm/vlan.test.ts, "membership changed at run time").
    m.add(10, { untagged: true });
    expect(m.pvid).toBe(0);
    m.add(10, { pvid: true, untagged: true });
    expect(m.pvid).toBe(10);
    m.delete(10);
    expect(m.pvid).toBe(0);
    expect(m.list()).toEqual({
      pvid: 0,
      vlans: [
        { vid: 1, untagged: true },
        { vid: 20, untagged: false },
      ],
    });
  });
});

import { describe, expect, it } from "vitest";
import {
  broadcastOf,
  cidrContains,
  formatCidr,
  IpConfigError,
  networkOf,
  parseCidr,
  prefixMask,
  toIpv4,
} from "./cidr.js";
import { ip } from "./testing.js";

describe("Cidr (as `ip addr` / `ip route` read them)", () => {
  it("parses and formats, keeping host bits", () => {
    const c = parseCidr("10.0.2.15/24");
    expect(c).toEqual({ address: ip("10.0.2.15"), prefixLength: 24 });
    expect(formatCidr(c)).toBe("10.0.2.15/24");
    expect(networkOf(c)).toBe(ip("10.0.2.0"));
    expect(broadcastOf(c)).toBe(ip("10.0.2.255"));
    expect(parseCidr("192.0.2.7")).toEqual({ address: ip("192.0.2.7"), prefixLength: 32 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ address: 0, prefixLength: 0 });
  });

  it("contains, masks", () => {
    expect(cidrContains(parseCidr("10.0.2.15/24"), ip("10.0.2.200"))).toBe(true);
    expect(cidrContains(parseCidr("10.0.2.15/24"), ip("10.0.3.1"))).toBe(false);
    expect(cidrContains(parseCidr("0.0.0.0/0"), ip("203.0.113.9"))).toBe(true);
    expect(cidrContains(parseCidr("10.0.0.1/32"), ip("10.0.0.1"))).toBe(true);
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(20)).toBe(0xfffff000);
    expect(prefixMask(32)).toBe(0xffffffff);
  });

  it("rejects bad text with IpConfigError naming it", () => {
    for (const bad of ["10.0.2.15/33", "10.0.2/24", "10.0.2.15/", "x/24", "10.0.2.15/-1", "256.1.1.1/8"]) {
      expect(() => parseCidr(bad)).toThrow(IpConfigError);
    }
    expect(() => parseCidr("10.0.2.15/33")).toThrow(/10\.0\.2\.15\/33/);
    expect(() => toIpv4("1.2.3", "gateway")).toThrow(/invalid gateway: "1.2.3"/);
    expect(toIpv4(" 1.2.3.4 ")).toBe(ip("1.2.3.4"));
  });
});

import { describe, expect, it } from "vitest";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { IpConfigError, parseCidr } from "./cidr.js";
import { IpStack } from "./stack.js";
import { ip, macN } from "./testing.js";

// Reference: Linux fib (longest prefix, then priority/metric) and iproute2's `ip route show` output.

function stack(connected = true) {
  const sim = new Simulator();
  const st = new IpStack(sim, "r");
  const p0 = new Port(sim, "p0");
  const p1 = new Port(sim, "p1");
  if (connected) {
    connect(sim, p0, new Port(sim, "peer0"));
    connect(sim, p1, new Port(sim, "peer1"));
  }
  const eth0 = st.addInterface("eth0", p0, { mac: macN(1) });
  const eth1 = st.addInterface("eth1", p1, { mac: macN(2) });
  eth0.addAddress("10.0.2.15/24");
  eth1.addAddress("192.168.56.1/24");
  return { sim, st, eth0, eth1 };
}

describe("routing table", () => {
  it("connected routes appear with the address (proto kernel scope link src)", () => {
    const { st, eth0 } = stack();
    expect(st.formatRoutes()).toBe(
      "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15\n192.168.56.0/24 dev eth1 proto kernel scope link src 192.168.56.1",
    );
    expect(eth0.index).toBe(1);
    expect(st.interface("eth1")?.index).toBe(2);
  });

  it("longest prefix wins, then the lowest metric", () => {
    const { st } = stack();
    st.addRoute({ dst: "10.0.0.0/8", via: "10.0.2.2" });
    st.addRoute({ dst: "10.1.0.0/16", via: "10.0.2.3" });
    st.addRoute({ dst: "10.1.2.0/24", via: "192.168.56.9", metric: 20 });
    st.addRoute({ dst: "10.1.2.0/24", via: "192.168.56.8", metric: 10 });
    st.setDefaultGateway("10.0.2.2");
    const via = (a: string) => st.lookupRoute(ip(a))?.via ?? null;
    expect(via("10.9.9.9")).toBe(ip("10.0.2.2"));
    expect(via("10.1.9.9")).toBe(ip("10.0.2.3"));
    expect(via("10.1.2.3")).toBe(ip("192.168.56.8"));
    expect(via("8.8.8.8")).toBe(ip("10.0.2.2"));
    expect(st.lookupRoute(ip("10.0.2.99"))?.via).toBeNull();
    expect(st.lookupRoute(ip("10.0.2.99"))?.iface.name).toBe("eth0");
  });

  it("prints like `ip route show`", () => {
    const { st, eth1 } = stack();
    st.setDefaultGateway("10.0.2.2", "eth0", { metric: 100, proto: "dhcp" });
    st.addRoute({ dst: "172.16.0.0/12", dev: eth1 });
    st.addRoute({ dst: "198.51.100.7", via: "192.168.56.254" });
    st.addRoute({ dst: "10.0.0.0/8", via: "10.0.2.1", metric: 5, src: "10.0.2.15" });
    expect(st.formatRoutes().split("\n")).toEqual([
      "default via 10.0.2.2 dev eth0 proto dhcp metric 100",
      "10.0.0.0/8 via 10.0.2.1 dev eth0 src 10.0.2.15 metric 5",
      "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15",
      "172.16.0.0/12 dev eth1 scope link",
      "192.168.56.0/24 dev eth1 proto kernel scope link src 192.168.56.1",
      "198.51.100.7 via 192.168.56.254 dev eth1",
    ]);
  });

  it("refuses what Linux refuses", () => {
    const { st } = stack();
    expect(() => st.addRoute({ dst: "10.9.0.0/16", via: "172.31.0.1" })).toThrow(/invalid gateway/);
    expect(() => st.addRoute({ dst: "10.9.0.0/16", via: "10.0.2.1", dev: "eth1" })).toThrow(IpConfigError);
    expect(() => st.addRoute({ dst: "10.9.0.0/16", dev: "eth9" })).toThrow(/Cannot find device/);
    expect(() => st.addRoute({ dst: "10.9.0.0/16" })).toThrow(/needs dev or via/);
    st.addRoute({ dst: "10.9.0.0/16", via: "10.0.2.1" });
    expect(() => st.addRoute({ dst: "10.9.0.0/16", via: "10.0.2.2" })).toThrow(/File exists/);
    st.addRoute({ dst: "10.9.0.0/16", via: "10.0.2.2", metric: 1 });
    expect(() => st.addRoute({ dst: "10.9.0.0/33", dev: "eth0" })).toThrow(IpConfigError);
  });

  it("setDefaultGateway replaces; removeRoute deletes (with or without gateway)", () => {
    const { st } = stack();
    st.setDefaultGateway("10.0.2.2");
    st.setDefaultGateway("192.168.56.254");
    expect(
      st
        .routes()
        .filter((r) => r.dst.prefixLength === 0)
        .map((r) => r.via),
    ).toEqual([ip("192.168.56.254")]);
    expect(st.removeRoute("0.0.0.0/0", "10.0.2.2")).toBe(false);
    expect(st.removeRoute("0.0.0.0/0")).toBe(true);
    expect(st.lookupRoute(ip("8.8.8.8"))).toBeNull();
    expect(st.removeRoute(parseCidr("10.0.2.0/24"))).toBe(true);
    expect(st.lookupRoute(ip("10.0.2.9"))).toBeNull();
  });

  it("address changes move connected routes; a second address in the prefix is secondary (no new route)", () => {
    const { st, eth0 } = stack();
    eth0.addAddress("10.0.2.16/24");
    expect(st.routes().filter((r) => r.iface === eth0)).toHaveLength(1);
    expect(eth0.primaryAddress).toBe(ip("10.0.2.15"));
    expect(() => eth0.addAddress("10.0.2.16/24")).toThrow(/File exists/);
    expect(eth0.removeAddress("10.0.2.15/24")).toBe(true);
    expect(st.routes().find((r) => r.iface === eth0)?.src).toBe(ip("10.0.2.16"));
    eth0.flushAddresses();
    expect(st.routes().filter((r) => r.iface === eth0)).toEqual([]);
    expect(st.isLocalAddress(ip("10.0.2.16"))).toBe(false);
    expect(eth0.removeAddress("10.0.2.16")).toBe(false);
  });

  it("an interface that is down has no connected route and is skipped by lookups", () => {
    const { st, eth0 } = stack();
    st.addRoute({ dst: "10.9.0.0/16", via: "10.0.2.1" });
    eth0.up = false;
    expect(st.lookupRoute(ip("10.0.2.9"))).toBeNull();
    expect(st.lookupRoute(ip("10.9.0.1"))).toBeNull();
    expect(st.isLocalAddress(ip("10.0.2.15"))).toBe(false);
    eth0.up = true;
    expect(st.lookupRoute(ip("10.9.0.1"))?.via).toBe(ip("10.0.2.1"));
    expect(st.isLocalAddress(ip("10.0.2.15"))).toBe(true);
  });

  it("a route shows linkdown when the device has no carrier", () => {
    const { st } = stack(false);
    // The ports are not connected to anything: no carrier.
    expect(st.routes()[0].iface.carrier).toBe(false);
    expect(st.formatRoutes()).toBe(
      "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 linkdown\n192.168.56.0/24 dev eth1 proto kernel scope link src 192.168.56.1 linkdown",
    );
  });
});

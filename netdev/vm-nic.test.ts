import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { formatMac, MAC_BROADCAST, type Mac, writeMac } from "../wire/addr.js";
import { connect } from "./link.js";
import { Tap } from "./tap.js";
import { qemuMac, VmNic } from "./vm-nic.js";

// Reference: QEMU NICs — default MACs 52:54:00:xx:xx:xx (locally administered unicast), `set_link
// off` drops traffic both ways at the NIC, and the NIC's receive filter accepts its own unicast MAC,
// broadcast and multicast unless promiscuous.

function eth(dst: Mac, src: Mac, len = 60): Uint8Array {
  const f = new Uint8Array(len);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f[12] = 0x08;
  return f;
}

/** Two VMs, each NIC on its own TAP, the TAPs' network sides joined by one link. */
function twoVms(seed = 1) {
  const sim = new Simulator({ seed });
  const tap1 = new Tap(sim, "tap1");
  const tap2 = new Tap(sim, "tap2");
  connect(sim, tap1.port, tap2.port);
  const vm1 = new VmNic(sim, "vm1").attach(tap1);
  const vm2 = new VmNic(sim, "vm2").attach(tap2);
  const got1: Uint8Array[] = [];
  const got2: Uint8Array[] = [];
  vm1.onReceive((f) => got1.push(f));
  vm2.onReceive((f) => got2.push(f));
  return { sim, tap1, tap2, vm1, vm2, got1, got2 };
}

describe("VM NIC MAC", () => {
  it("is 52:54:00:xx:xx:xx, locally administered unicast, deterministic from the seed and name", () => {
    const a = new Simulator({ seed: 5 });
    const b = new Simulator({ seed: 5 });
    const c = new Simulator({ seed: 6 });
    const m = new VmNic(a, "vm1").mac;
    expect(formatMac(m)).toMatch(/^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(new VmNic(b, "vm1").mac).toBe(m);
    expect(new VmNic(c, "vm1").mac).not.toBe(m);
    expect(new VmNic(a, "vm2").mac).not.toBe(m);
    expect(qemuMac(b, "vm1")).not.toBe(m); // the stream moved on: a second draw differs
    const first = Math.floor(m / 2 ** 40);
    expect(first & 0x02).toBe(0x02);
    expect(first & 0x01).toBe(0);
  });

  it("a given MAC is kept", () => {
    const sim = new Simulator();
    expect(new VmNic(sim, "x", { mac: 0x0200_0000_0001 as Mac }).mac).toBe(0x0200_0000_0001);
  });
});

describe("VM NIC traffic", () => {
  it("a frame from one VM reaches the other through TAP, link, TAP; counters add up", () => {
    const { sim, vm1, vm2, got2, tap1, tap2 } = twoVms();
    expect(vm1.send(eth(vm2.mac, vm1.mac))).toBe(true);
    expect(vm1.send(eth(MAC_BROADCAST, vm1.mac))).toBe(true);
    sim.run();
    expect(got2).toHaveLength(2);
    expect(vm1.counters.txPackets).toBe(2);
    expect(tap1.counters.rxPackets).toBe(2);
    expect(tap1.port.counters.txPackets).toBe(2);
    expect(tap2.port.counters.rxPackets).toBe(2);
    expect(tap2.counters.txPackets).toBe(2);
    expect(vm2.counters.rxPackets).toBe(2);
    expect(vm2.counters.rxBytes).toBe(120);
  });

  it("filters unicast for other MACs unless promiscuous (not an rx drop)", () => {
    const { sim, vm1, vm2, got2 } = twoVms();
    vm1.send(eth(0x0200_0000_0099 as Mac, vm1.mac));
    vm1.send(eth(0x0100_5e00_0001 as Mac, vm1.mac)); // multicast
    sim.run();
    expect(got2).toHaveLength(1);
    expect(vm2.filtered).toBe(1);
    expect(vm2.counters.rxDropped).toBe(0);
    vm2.promiscuous = true;
    vm1.send(eth(0x0200_0000_0099 as Mac, vm1.mac));
    sim.run();
    expect(got2).toHaveLength(2);
  });

  it("link down drops both ways as carrier-down; link up again works", () => {
    const { sim, vm1, vm2, got2 } = twoVms();
    vm1.linkUp = false;
    expect(vm1.carrier).toBe(false);
    expect(vm1.send(eth(vm2.mac, vm1.mac))).toBe(false);
    vm2.send(eth(vm1.mac, vm2.mac));
    sim.run();
    expect(vm1.counters.dropReasons.get("carrier-down")).toBe(2);
    expect(vm1.counters.txDropped).toBe(1);
    expect(vm1.counters.rxDropped).toBe(1);
    vm1.linkUp = true;
    vm1.send(eth(vm2.mac, vm1.mac));
    sim.run();
    expect(got2).toHaveLength(1);
  });

  it("not attached, or the TAP down: carrier-down", () => {
    const { vm1, tap1 } = twoVms();
    tap1.up = false;
    expect(vm1.carrier).toBe(false);
    expect(vm1.send(eth(MAC_BROADCAST, vm1.mac))).toBe(false);
    tap1.up = true;
    vm1.detach();
    expect(tap1.attached).toBe(false);
    expect(vm1.send(eth(MAC_BROADCAST, vm1.mac))).toBe(false);
    expect(vm1.counters.dropReasons.get("carrier-down")).toBe(2);
  });

  it("malformed and oversize frames are dropped and counted, never thrown", () => {
    const { sim, vm1, vm2, got2 } = twoVms();
    expect(vm1.send(new Uint8Array(5))).toBe(false);
    expect(vm1.send(eth(vm2.mac, vm1.mac, 1515))).toBe(false);
    expect(vm1.send(eth(vm2.mac, vm1.mac, 1514))).toBe(true);
    sim.run();
    expect(got2).toHaveLength(1);
    expect(vm1.counters.dropReasons.get("malformed")).toBe(1);
    expect(vm1.counters.dropReasons.get("mtu-exceeded")).toBe(1);
    expect(vm1.counters.txErrors).toBe(1);
  });

  it("VLAN tags: a tagged frame of MTU + 18 passes NIC, TAP and port both ways; MTU + 19 is dropped by the NIC", () => {
    const { sim, vm1, vm2, tap1, tap2, got2 } = twoVms();
    const tagged = (len: number) => {
      const f = eth(vm2.mac, vm1.mac, len);
      f[12] = 0x81;
      f[13] = 0x00;
      return f;
    };
    expect(vm1.send(tagged(1518))).toBe(true);
    expect(vm1.send(tagged(1519))).toBe(false);
    sim.run();
    expect(got2.map((f) => f.byteLength)).toEqual([1518]);
    expect(vm1.counters.dropReasons.get("mtu-exceeded")).toBe(1);
    expect([tap1.counters.rxPackets, tap1.port.counters.txPackets, tap2.counters.txPackets]).toEqual([
      1, 1, 1,
    ]);
    expect(tap1.counters.rxDropped + tap2.counters.txDropped + vm2.counters.rxDropped).toBe(0);
  });

  it("a NIC MTU above its TAP's: the TAP drops the frame the NIC let through (rx error at the TAP)", () => {
    const { sim, vm1, vm2, tap1, got2 } = twoVms();
    vm1.mtu = 9000;
    expect(vm1.send(eth(vm2.mac, vm1.mac, 1600))).toBe(true);
    sim.run();
    expect(got2).toHaveLength(0);
    expect(vm1.counters.txPackets).toBe(1);
    expect(tap1.counters.rxErrors).toBe(1);
    expect(tap1.counters.dropReasons.get("mtu-exceeded")).toBe(1);
  });

  it("a smaller guest MTU drops larger frames arriving (rx error)", () => {
    const { sim, vm1, vm2, got2 } = twoVms();
    vm2.mtu = 1000;
    vm1.send(eth(vm2.mac, vm1.mac, 1200));
    sim.run();
    expect(got2).toHaveLength(0);
    expect(vm2.counters.rxErrors).toBe(1);
    expect(vm2.counters.dropReasons.get("mtu-exceeded")).toBe(1);
  });

  it("a TAP takes one NIC; observe() sees sent and accepted frames", () => {
    const { sim, vm1, vm2, tap1 } = twoVms();
    expect(() => new VmNic(sim, "vm3").attach(tap1)).toThrow(/already has a reader/);
    const seen: string[] = [];
    const stop = vm2.observe((f, dir) => seen.push(`${dir}:${f.byteLength}`));
    vm1.send(eth(vm2.mac, vm1.mac, 80));
    vm2.send(eth(vm1.mac, vm2.mac, 90));
    sim.run();
    stop();
    vm2.send(eth(vm1.mac, vm2.mac, 90));
    expect(seen).toEqual(["out:90", "in:80"]);
  });
});

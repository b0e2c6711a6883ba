import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { connect } from "./link.js";
import { Port } from "./port.js";
import { Tap } from "./tap.js";

// Reference: Linux tun/tap (drivers/net/tun.c) in IFF_TAP mode — frames written by the user side are
// the device's rx, frames the user reads are its tx; a short write (< ETH_HLEN) is dropped and counted
// in rx_dropped; with no reader attached the device has no carrier and drops what the network sends.

function eth(len: number, dst = 0x02, tag?: number): Uint8Array {
  const f = new Uint8Array(len);
  f[0] = dst;
  f[6] = 0x52;
  f[12] = tag === undefined ? 0x08 : tag >>> 8;
  f[13] = tag === undefined ? 0x00 : tag & 0xff;
  return f;
}

function setup(mtu?: number) {
  const sim = new Simulator();
  const tap = new Tap(sim, "tap0", mtu === undefined ? {} : { mtu });
  const br = new Port(sim, "br0-p1");
  connect(sim, tap.port, br);
  const atBridge: Uint8Array[] = [];
  br.onReceive((f) => atBridge.push(f));
  const read: Uint8Array[] = [];
  return { sim, tap, br, atBridge, read };
}

describe("TAP user side → network", () => {
  it("a written frame reaches the peer of the network-side port, the same buffer", () => {
    const { sim, tap, atBridge } = setup();
    const f = eth(60);
    expect(tap.write(f)).toBe(true);
    sim.run();
    expect(atBridge).toHaveLength(1);
    expect(atBridge[0]).toBe(f);
    expect(tap.counters.rxPackets).toBe(1);
    expect(tap.counters.rxBytes).toBe(60);
    expect(tap.port.counters.txPackets).toBe(1);
  });

  it("malformed (shorter than 14 bytes) writes are dropped and counted, and the device keeps working", () => {
    const { sim, tap, atBridge } = setup();
    expect(tap.write(new Uint8Array(13))).toBe(false);
    expect(tap.write(new Uint8Array(0))).toBe(false);
    expect(tap.write(eth(14))).toBe(true);
    sim.run();
    expect(atBridge).toHaveLength(1);
    expect(tap.counters.rxDropped).toBe(2);
    expect(tap.counters.dropReasons.get("malformed")).toBe(2);
    expect(tap.counters.rxPackets).toBe(1);
  });

  it("enforces the MTU: 1514 passes at MTU 1500, 1515 is dropped; +4 per VLAN tag (802.1Q)", () => {
    const { sim, tap, atBridge } = setup();
    expect(tap.write(eth(1514))).toBe(true);
    expect(tap.write(eth(1515))).toBe(false);
    expect(tap.write(eth(1518, 0x02, 0x8100))).toBe(true);
    expect(tap.write(eth(1519, 0x02, 0x8100))).toBe(false);
    sim.run();
    expect(atBridge.map((f) => f.byteLength)).toEqual([1514, 1518]);
    expect(tap.counters.dropReasons.get("mtu-exceeded")).toBe(2);
    expect(tap.counters.rxErrors).toBe(2);
  });

  it("a smaller MTU is enforced too", () => {
    const { tap } = setup(576);
    expect(tap.write(eth(590))).toBe(true);
    expect(tap.write(eth(591))).toBe(false);
  });

  it("a TAP that is down drops writes as carrier-down", () => {
    const { sim, tap, atBridge } = setup();
    tap.up = false;
    expect(tap.write(eth(60))).toBe(false);
    sim.run();
    expect(atBridge).toHaveLength(0);
    expect(tap.counters.dropReasons.get("carrier-down")).toBe(1);
  });
});

describe("TAP network → user side", () => {
  it("frames from the network reach the reader and count as tx", () => {
    const { sim, tap, br } = setup();
    const got: Uint8Array[] = [];
    tap.onRead((f, t) => {
      expect(t).toBe(tap);
      got.push(f);
    });
    br.send(eth(100));
    sim.run();
    expect(got.map((f) => f.byteLength)).toEqual([100]);
    expect(tap.counters.txPackets).toBe(1);
    expect(tap.counters.txBytes).toBe(100);
    expect(tap.port.counters.rxPackets).toBe(1);
  });

  it("with no reader the frame is dropped as carrier-down (Linux: no queue attached)", () => {
    const { sim, tap, br } = setup();
    expect(tap.attached).toBe(false);
    br.send(eth(60));
    sim.run();
    expect(tap.counters.txDropped).toBe(1);
    expect(tap.counters.dropReasons.get("carrier-down")).toBe(1);
  });

  it("malformed and oversize frames from the network are dropped before the reader", () => {
    const { sim, tap, br } = setup(1000);
    const got: Uint8Array[] = [];
    tap.onRead((f) => got.push(f));
    br.send(new Uint8Array(10));
    br.send(eth(1100));
    br.send(eth(64));
    sim.run();
    expect(got).toHaveLength(1);
    expect(tap.counters.dropReasons.get("malformed")).toBe(1);
    expect(tap.counters.dropReasons.get("mtu-exceeded")).toBe(1);
    expect(tap.counters.txDropped).toBe(2);
  });

  it("observe() sees both directions at the network side", () => {
    const { sim, tap, br } = setup();
    tap.onRead(() => {});
    const seen: string[] = [];
    tap.observe((f, dir) => seen.push(`${dir}:${f.byteLength}`));
    tap.write(eth(60));
    br.send(eth(70));
    sim.run();
    expect(seen).toEqual(["out:60", "in:70"]);
  });
});

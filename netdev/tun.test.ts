import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { connect } from "./link.js";
import { Port } from "./port.js";
import { TUN_PI_LEN, Tun, TunProto } from "./tun.js";

// Reference: Linux tun (drivers/net/tun.c, Documentation/networking/tuntap.rst) in IFF_TUN mode: with
// IFF_NO_PI the user reads/writes bare IP packets and the protocol comes from the version nibble
// (anything but 4 or 6 is rejected and counted in rx_dropped); without IFF_NO_PI every packet carries
// `struct tun_pi { __u16 flags; __be16 proto; }` in front.

function ipv4(len = 28): Uint8Array {
  const p = new Uint8Array(len);
  p[0] = 0x45;
  p[2] = len >>> 8;
  p[3] = len & 0xff;
  p[9] = 17;
  return p;
}

function ipv6(len = 48): Uint8Array {
  const p = new Uint8Array(len);
  p[0] = 0x60;
  p[4] = (len - 40) >>> 8;
  p[5] = (len - 40) & 0xff;
  return p;
}

function withPi(proto: number, p: Uint8Array): Uint8Array {
  const b = new Uint8Array(TUN_PI_LEN + p.byteLength);
  b[2] = proto >>> 8;
  b[3] = proto & 0xff;
  b.set(p, TUN_PI_LEN);
  return b;
}

function setup(packetInfo: boolean, mtu?: number) {
  const sim = new Simulator();
  const tun = new Tun(sim, "tun0", { packetInfo, ...(mtu ? { mtu } : {}) });
  const router = new Port(sim, "r0-if1", "ip");
  connect(sim, tun.port, router);
  const atRouter: Uint8Array[] = [];
  router.onReceive((p) => atRouter.push(p));
  const read: Uint8Array[] = [];
  tun.onRead((p) => read.push(p));
  return { sim, tun, router, atRouter, read };
}

describe("TUN without packet information (IFF_NO_PI)", () => {
  it("its network side is an IP port; IPv4 and IPv6 packets pass both ways unchanged", () => {
    const { sim, tun, router, atRouter, read } = setup(false);
    expect(tun.port.kind).toBe("ip");
    expect(tun.port.maxFrameLen()).toBe(1500);
    const p4 = ipv4();
    const p6 = ipv6();
    expect(tun.write(p4)).toBe(true);
    expect(tun.write(p6)).toBe(true);
    router.send(ipv6(60));
    sim.run();
    expect(atRouter).toEqual([p4, p6]);
    expect(atRouter[0]).toBe(p4);
    expect(read.map((p) => p.byteLength)).toEqual([60]);
    expect(tun.counters.rxPackets).toBe(2);
    expect(tun.counters.txPackets).toBe(1);
  });

  it("a version nibble other than 4/6, or a packet shorter than its header, is dropped as malformed", () => {
    const { sim, tun, atRouter } = setup(false);
    const bad = ipv4();
    bad[0] = 0x55;
    expect(tun.write(bad)).toBe(false);
    expect(tun.write(new Uint8Array(0))).toBe(false);
    expect(tun.write(ipv4(19))).toBe(false);
    expect(tun.write(ipv6(39))).toBe(false);
    expect(tun.write(ipv4(20))).toBe(true);
    sim.run();
    expect(atRouter).toHaveLength(1);
    expect(tun.counters.dropReasons.get("malformed")).toBe(4);
    expect(tun.counters.rxDropped).toBe(4);
  });

  it("enforces the MTU on the IP packet", () => {
    const { tun } = setup(false, 1280);
    expect(tun.write(ipv6(1280))).toBe(true);
    expect(tun.write(ipv6(1281))).toBe(false);
    expect(tun.counters.dropReasons.get("mtu-exceeded")).toBe(1);
  });

  it("down: writes dropped as carrier-down; no reader: packets from the router dropped as carrier-down", () => {
    const { sim, tun, router } = setup(false);
    tun.onRead(null);
    router.send(ipv4());
    sim.run();
    expect(tun.counters.txDropped).toBe(1);
    tun.up = false;
    expect(tun.write(ipv4())).toBe(false);
    expect(tun.counters.rxDropped).toBe(1);
    expect(tun.counters.dropReasons.get("carrier-down")).toBe(2);
  });
});

describe("TUN with packet information (IFF_NO_PI off)", () => {
  it("strips the 4-byte header on write and adds it on read, proto 0x0800 / 0x86dd big-endian", () => {
    const { sim, tun, router, atRouter, read } = setup(true);
    const p4 = ipv4(40);
    expect(tun.write(withPi(TunProto.IPV4, p4))).toBe(true);
    router.send(ipv6(50));
    router.send(ipv4(30));
    sim.run();
    expect(atRouter).toEqual([p4]);
    expect(read).toHaveLength(2);
    expect([...read[0].subarray(0, 4)]).toEqual([0, 0, 0x86, 0xdd]);
    expect(read[0].subarray(4)).toEqual(ipv6(50));
    expect([...read[1].subarray(0, 4)]).toEqual([0, 0, 0x08, 0x00]);
    expect(read[1].byteLength).toBe(34);
    // Counters count the IP packet, not the header.
    expect(tun.counters.rxBytes).toBe(40);
    expect(tun.counters.txBytes).toBe(80);
  });

  it("drops a cut header, an unknown protocol, and a protocol that disagrees with the packet", () => {
    const { sim, tun, atRouter } = setup(true);
    expect(tun.write(new Uint8Array(3))).toBe(false);
    expect(tun.write(withPi(0x0806, ipv4()))).toBe(false);
    expect(tun.write(withPi(TunProto.IPV6, ipv4()))).toBe(false);
    expect(tun.write(withPi(TunProto.IPV6, ipv6()))).toBe(true);
    sim.run();
    expect(atRouter).toHaveLength(1);
    expect(tun.counters.dropReasons.get("malformed")).toBe(2);
    expect(tun.counters.dropReasons.get("unsupported-protocol")).toBe(1);
  });

  it("the packet sent into the network is a view of the written buffer past the header (no copy)", () => {
    const { sim, tun, atRouter } = setup(true);
    const b = withPi(TunProto.IPV4, ipv4());
    tun.write(b);
    sim.run();
    expect(atRouter[0].buffer).toBe(b.buffer);
    expect(atRouter[0].byteOffset).toBe(4);
  });
});

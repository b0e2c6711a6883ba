/**
 * Test helpers for ip/ (not part of the public API): hosts on bridges, a frame recorder, frame
 * builders over wire/.
 */
import { Bridge } from "../bridge/bridge.js";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Tap } from "../netdev/tap.js";
import { VmNic } from "../netdev/vm-nic.js";
import { Simulator } from "../sim/simulator.js";
import { type Ipv4, type Mac, parseIpv4Address, writeIpv4, writeMac } from "../wire/addr.js";
import { internetChecksum } from "../wire/checksum.js";
import { l4ChecksumV4 } from "../wire/l4-checksum.js";
import type { IpInterface } from "./interface.js";
import { IpStack, type IpStackOptions } from "./stack.js";

export const ip = (s: string): Ipv4 => parseIpv4Address(s);
export const macN = (n: number): Mac => (0x5254_0000_0000 + n) as Mac;

export interface TestHost {
  readonly stack: IpStack;
  readonly eth0: IpInterface;
  /** The host's side of its link to the bridge. */
  readonly port: Port;
}

/** A stack with one Port interface `eth0` (MAC 52:54:00:00:00:n) connected to a new port of `br`. */
export function hostOn(
  sim: Simulator,
  br: Bridge,
  name: string,
  cidr: string,
  n: number,
  opts: IpStackOptions = {},
): TestHost {
  const stack = new IpStack(sim, name, opts);
  const port = new Port(sim, `${name}-eth0`);
  connect(sim, port, br.addPort(`${name}`));
  const eth0 = stack.addInterface("eth0", port, { mac: macN(n) });
  eth0.addAddress(cidr);
  return { stack, eth0, port };
}

/** A stack with a VmNic (behind a TAP) as `eth0`, connected to `br`. */
export function vmOn(
  sim: Simulator,
  br: Bridge,
  name: string,
  cidr: string,
): { stack: IpStack; eth0: IpInterface; nic: VmNic } {
  const stack = new IpStack(sim, name);
  const tap = new Tap(sim, `tap-${name}`);
  const nic = new VmNic(sim, `${name}-nic`).attach(tap);
  connect(sim, tap.port, br.addPort(name));
  const eth0 = stack.addInterface("eth0", nic);
  eth0.addAddress(cidr);
  return { stack, eth0, nic };
}

export function newBridge(sim: Simulator, name = "br0"): Bridge {
  return new Bridge(sim, name);
}

/** Records every frame a port sends or receives. */
export function record(port: Port): { frames: Uint8Array[]; out: Uint8Array[]; in: Uint8Array[] } {
  const r = { frames: [] as Uint8Array[], out: [] as Uint8Array[], in: [] as Uint8Array[] };
  port.observe((f, dir) => {
    r.frames.push(f);
    (dir === "out" ? r.out : r.in).push(f);
  });
  return r;
}

export interface Ipv4Spec {
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly ttl?: number;
  readonly id?: number;
  readonly df?: boolean;
  readonly mf?: boolean;
  /** Bytes. */
  readonly fragOffset?: number;
  readonly tos?: number;
  readonly options?: Uint8Array;
}

/** A whole IPv4 packet with a valid header checksum. */
export function ipv4Packet(s: Ipv4Spec): Uint8Array {
  const ol = s.options?.byteLength ?? 0;
  const hl = 20 + ol;
  const b = new Uint8Array(hl + s.payload.byteLength);
  b[0] = 0x40 | (hl / 4);
  b[1] = s.tos ?? 0;
  b[2] = b.byteLength >>> 8;
  b[3] = b.byteLength & 0xff;
  const id = s.id ?? 0x1234;
  b[4] = id >>> 8;
  b[5] = id & 0xff;
  const w = (s.df ? 0x4000 : 0) | (s.mf ? 0x2000 : 0) | ((s.fragOffset ?? 0) / 8);
  b[6] = w >>> 8;
  b[7] = w & 0xff;
  b[8] = s.ttl ?? 64;
  b[9] = s.protocol;
  writeIpv4(b, 12, s.src);
  writeIpv4(b, 16, s.dst);
  if (s.options) b.set(s.options, 20);
  const c = internetChecksum(b.subarray(0, hl));
  b[10] = c >>> 8;
  b[11] = c & 0xff;
  b.set(s.payload, hl);
  return b;
}

/** A UDP segment with a valid checksum. */
export function udpSegment(src: Ipv4, dst: Ipv4, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.byteLength);
  u[0] = sport >>> 8;
  u[1] = sport & 0xff;
  u[2] = dport >>> 8;
  u[3] = dport & 0xff;
  u[4] = u.byteLength >>> 8;
  u[5] = u.byteLength & 0xff;
  u.set(data, 8);
  const c = l4ChecksumV4(src, dst, 17, u);
  const cs = c === 0 ? 0xffff : c;
  u[6] = cs >>> 8;
  u[7] = cs & 0xff;
  return u;
}

/** An Ethernet II frame around `payload`. */
export function ethFrame(dst: Mac, src: Mac, etherType: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.byteLength);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f[12] = etherType >>> 8;
  f[13] = etherType & 0xff;
  f.set(payload, 14);
  return f;
}

export interface RoutedSetup {
  readonly sim: Simulator;
  /** 10.0.1.2/24 on brA, default via 10.0.1.1. */
  readonly h1: TestHost;
  /** 10.0.2.2/24 on brB, default via 10.0.2.1. */
  readonly h2: TestHost;
  /** Router: eth0 10.0.1.1/24 on brA (MAC …:0a), eth1 10.0.2.1/24 on brB (MAC …:0b). */
  readonly r: TestHost & { readonly eth1: IpInterface; readonly port1: Port };
}

/** h1 — brA — r — brB — h2, everything resolved lazily (ARP on first use). */
export function routedSetup(
  opts: { seed?: number; mtu1?: number; router?: IpStackOptions } = {},
): RoutedSetup {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const brA = new Bridge(sim, "brA");
  const brB = new Bridge(sim, "brB");
  const h1 = hostOn(sim, brA, "h1", "10.0.1.2/24", 1);
  const h2 = hostOn(sim, brB, "h2", "10.0.2.2/24", 2);
  const r = hostOn(sim, brA, "r", "10.0.1.1/24", 10, { forwarding: true, ...opts.router });
  const port1 = new Port(sim, "r-eth1", "ethernet", { mtu: opts.mtu1 ?? 1500 });
  connect(sim, port1, brB.addPort("r1"));
  const eth1 = r.stack.addInterface("eth1", port1, { mac: macN(11) });
  eth1.addAddress("10.0.2.1/24");
  h1.stack.setDefaultGateway("10.0.1.1");
  h2.stack.setDefaultGateway("10.0.2.1");
  if (opts.mtu1 !== undefined) {
    h2.port.mtu = opts.mtu1;
    h2.eth0.mtu = opts.mtu1;
  }
  sim.run();
  return { sim, h1, h2, r: { ...r, eth1, port1 } };
}

/** Frames carrying IPv4, as checked views of the IP packets. */
export function ipPackets(frames: Uint8Array[]): Uint8Array[] {
  return frames.filter((f) => f.byteLength >= 34 && f[12] === 0x08 && f[13] === 0).map((f) => f.subarray(14));
}

/**
 * Test helpers shared by the bridge and VLAN tests: frame-generating hosts (Ports driven by hand that
 * record what they receive) and a frame builder. Not part of the public API.
 */
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import type { Simulator } from "../sim/simulator.js";
import { type Mac, readMac, writeMac } from "../wire/addr.js";
import { pushTag, type VlanTagSpec } from "../wire/vlan.js";
import type { Bridge, BridgePortOptions } from "./bridge.js";

/** 52:54:00:00:00:NN (QEMU's OUI), NN = n. */
export function mac(n: number): Mac {
  return (0x5254_0000_0000 + n) as Mac;
}

export interface FrameSpec {
  readonly etherType?: number;
  /** Tags outermost first. */
  readonly tags?: readonly VlanTagSpec[];
  /** Payload bytes after the EtherType (default 46, so an untagged frame is 60 bytes). */
  readonly payloadLen?: number;
  /** First payload byte, to tell frames apart. */
  readonly mark?: number;
}

export function frame(dst: Mac | number, src: Mac | number, spec: FrameSpec = {}): Uint8Array {
  const n = spec.payloadLen ?? 46;
  let f: Uint8Array = new Uint8Array(14 + n);
  writeMac(f, 0, dst as Mac);
  writeMac(f, 6, src as Mac);
  const et = spec.etherType ?? 0x88b5; // IEEE local experimental
  f[12] = et >>> 8;
  f[13] = et & 0xff;
  if (n > 0) f[14] = spec.mark ?? 0;
  const tags = spec.tags ?? [];
  for (let i = tags.length - 1; i >= 0; i--) f = pushTag(f, tags[i]);
  return f;
}

export const dot1q = (vid: number, pcp = 0, dei = false): VlanTagSpec => ({ tpid: 0x8100, pcp, dei, vid });
export const dot1ad = (vid: number, pcp = 0, dei = false): VlanTagSpec => ({ tpid: 0x88a8, pcp, dei, vid });

/** A host: one Port connected to a bridge port, recording every frame it receives. */
export class Host {
  readonly port: Port;
  readonly received: Uint8Array[] = [];
  constructor(
    readonly sim: Simulator,
    readonly name: string,
    readonly mac: Mac,
  ) {
    this.port = new Port(sim, name);
    this.port.onReceive((f) => this.received.push(f));
  }
  send(f: Uint8Array): boolean {
    return this.port.send(f, { allowedTags: 2 });
  }
  /** Sends a frame from this host's MAC to `dst`. */
  sendTo(dst: Mac | number, spec: FrameSpec = {}): Uint8Array {
    const f = frame(dst, this.mac, spec);
    this.send(f);
    return f;
  }
  /** Takes (and clears) what was received. */
  take(): Uint8Array[] {
    return this.received.splice(0);
  }
  /** Source MACs of what was received so far, as numbers. */
  sources(): number[] {
    return this.received.map((f) => readMac(f, 6));
  }
}

/** Makes `n` hosts h1..hn, each on its own bridge port p1..pn (port options from `portOpts(i)`). */
export function attachHosts(
  sim: Simulator,
  br: Bridge,
  n: number,
  portOpts: (i: number) => BridgePortOptions = () => ({}),
): Host[] {
  const hosts: Host[] = [];
  for (let i = 1; i <= n; i++) {
    const h = new Host(sim, `h${i}`, mac(i));
    const p = br.addPort(`p${i}`, portOpts(i));
    connect(sim, p, h.port);
    hosts.push(h);
  }
  return hosts;
}

/** The hosts (by name) that received anything, clearing their logs. */
export function whoGot(hosts: readonly Host[]): string[] {
  const out: string[] = [];
  for (const h of hosts) if (h.take().length > 0) out.push(h.name);
  return out;
}

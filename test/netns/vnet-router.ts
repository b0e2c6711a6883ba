/**
 * The vnet side of the router and NAT differential tests: the scenario's router built as an ip/ IpStack
 * with two interfaces on Ports, each connected by a perfect link to a peer Port where frames are sent
 * and collected, the same PERMANENT neighbours, routes and MTUs; NAT (nat/) plugged in by the caller.
 * Frames are sent GAP apart in simulated time, as the Linux side spaces them in wall time.
 */
import { IpStack } from "../../ip/index.js";
import { connect } from "../../netdev/link.js";
import { Port } from "../../netdev/port.js";
import { Simulator } from "../../sim/simulator.js";
import { ms } from "../../sim/time.js";
import { ip, mac } from "./frames.js";
import {
  parseConntrack,
  type RouterRig,
  type RouterScript,
  type RouterSetup,
  type Side,
} from "./router-rig.js";

/** Simulated time given to the router after each frame (the Linux side's pause). */
const GAP = ms(25);

/** What a NAT installed on the vnet router offers the rig: its `conntrack -L`-like dump. */
export interface VnetNat {
  /** The table in conntrack-tools' `conntrack -L` format. */
  format(): string;
}

/** Builds the NAT of `setup` (masquerade, DNAT) on `stack`; null when the setup has none. */
export type VnetNatFactory = (stack: IpStack, setup: RouterSetup) => VnetNat | null;

export interface VnetRouterOptions {
  readonly nat?: VnetNatFactory;
  /** Called with the stack after setup (tests that look inside). */
  readonly inspect?: (stack: IpStack) => void;
}

export async function runVnetRouter<T>(
  setup: RouterSetup,
  script: RouterScript<T>,
  opts: VnetRouterOptions = {},
): Promise<T> {
  const sim = new Simulator({ seed: 1 });
  const stack = new IpStack(sim, "r", { forwarding: setup.forwarding });
  const peers = {} as Record<Side, Port>;
  const out: Record<Side, Uint8Array[]> = { lan: [], wan: [] };
  for (const side of ["lan", "wan"] as const) {
    const s = setup[side];
    const mtu = s.mtu ?? 1500;
    const rp = new Port(sim, side, "ethernet", { mtu });
    const peer = new Port(sim, `${side}-peer`, "ethernet", { mtu: 1500 });
    connect(sim, rp, peer);
    peer.onReceive((frame) => {
      out[side].push(frame.slice());
    });
    peers[side] = peer;
    const ifc = stack.addInterface(side, rp, { mac: mac(s.mac), mtu });
    ifc.addAddress(s.cidr);
  }
  for (const n of setup.neighbours) stack.addStaticNeighbour(n.side, ip(n.address), mac(n.mac));
  for (const r of setup.routes ?? []) stack.addRoute({ dst: r.dst, via: r.via, dev: r.side });
  const nat = opts.nat?.(stack, setup) ?? null;
  opts.inspect?.(stack);
  // Setup chatter (vnet sends one gratuitous ARP per address added, as the issue asks; Linux's default
  // arp_notify=0 sends none) is not part of the comparison: start from a clean slate.
  sim.run({ until: sim.now + GAP });
  out.lan.length = 0;
  out.wan.length = 0;
  const t0 = sim.now;
  const rig: RouterRig = {
    async send(side, frame) {
      const peer = peers[side];
      sim.at(sim.now, () => {
        peer.send(frame);
      });
      sim.run({ until: sim.now + GAP });
    },
    async sendBurst(side, frames) {
      const peer = peers[side];
      sim.at(sim.now, () => {
        for (const f of frames) peer.send(f);
      });
      sim.run({ until: sim.now + GAP });
    },
    async wait(seconds) {
      sim.run({ until: sim.now + Math.round(seconds * 1e9) });
    },
    async received(side) {
      return out[side].slice();
    },
    async conntrack() {
      return nat ? parseConntrack(nat.format()) : [];
    },
    async counters() {
      const snap = stack.stats.snapshot();
      const c: Record<string, number> = {};
      for (const [group, name] of [
        [snap.ip, "Ip"],
        [snap.icmp, "Icmp"],
        [snap.udp, "Udp"],
      ] as const) {
        for (const [k, v] of Object.entries(group)) c[`${name}:${k}`] = v;
      }
      return c;
    },
    elapsedSeconds() {
      return (sim.now - t0) / 1e9;
    },
  };
  return script(rig);
}

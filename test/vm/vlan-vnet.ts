/**
 * The vnet side of the VLAN scenarios: vnet's bridge with `vlanFiltering: true` (and the scenario's
 * `vlanProtocol`), four ports with the scenario's `PortVlans`, each connected by a perfect link to a host
 * port; the steps' frames sent one by one (GAP apart in simulated time), and what each bridge port
 * delivers to its host recorded with the step that caused it.
 */
import { Bridge } from "../../bridge/index.js";
import { IpStack } from "../../ip/index.js";
import { connect } from "../../netdev/link.js";
import { Port } from "../../netdev/port.js";
import { Simulator } from "../../sim/simulator.js";
import { ms, s } from "../../sim/time.js";
import { VlanDemux } from "../../vlan/index.js";
import type { Mac } from "../../wire/addr.js";
import {
  HOST_MAC,
  isFrameStep,
  type SubifScenario,
  VLAN_PORTS,
  type VlanScenario,
} from "./vlan-scenarios.js";

/** A frame a bridge port sent toward its host, and the step (0-based) whose frame caused it. */
export interface PortFrame {
  readonly step: number;
  readonly frame: Uint8Array;
}

/** Per port (p1 … p4, index 0 … 3; or the host NIC alone): the frames it sent, in order. */
export type VlanOutputs = PortFrame[][];

const GAP = ms(20);

export function runVnetVlan(sc: VlanScenario): VlanOutputs {
  const sim = new Simulator({ seed: 1 });
  const br = new Bridge(sim, "br0", {
    vlanFiltering: true,
    // Linux `vlan_default_pvid 0` on the oracle: every port has exactly the scenario's membership
    // (or Linux's default 1, the scenario's VLANs added on top).
    defaultPvid: sc.defaultPvid ? 1 : 0,
    ...(sc.protocol !== undefined && { vlanProtocol: sc.protocol }),
  });
  const out: VlanOutputs = [];
  const hosts: Port[] = [];
  const ports: Port[] = [];
  let step = -1;
  for (let i = 0; i < VLAN_PORTS; i++) {
    const v = sc.ports[i];
    const p = br.addPort(`p${i + 1}`, sc.defaultPvid ? {} : { vlans: v });
    if (sc.defaultPvid)
      for (const m of v.vlans)
        br.vlanAdd(p, m.vid, {
          ...(m.vid === v.pvid && { pvid: true }),
          ...(m.untagged && { untagged: true }),
        });
    const h = new Port(sim, `h${i + 1}`);
    connect(sim, p, h);
    const seen: PortFrame[] = [];
    out.push(seen);
    h.onReceive((frame) => {
      seen.push({ step, frame: frame.slice() });
    });
    hosts.push(h);
    ports.push(p);
  }
  let t = GAP;
  sc.steps.forEach((st, k) => {
    sim.at(t, () => {
      step = k;
      if (isFrameStep(st)) hosts[st.from - 1].send(st.frame);
      else if (st.op === "static") br.addStatic(st.mac as Mac, ports[st.port - 1], st.vid);
      else if (st.op === "del") br.vlanDel(ports[st.port - 1], st.vid);
      else
        br.vlanAdd(ports[st.port - 1], st.vid, {
          ...(st.pvid && { pvid: true }),
          ...(st.untagged && { untagged: true }),
        });
    });
    t += GAP;
  });
  sim.run({ until: t + s(1), maxEvents: 100_000 });
  return out;
}

/**
 * The vnet side of a sub-interface scenario: an `IpStack` host whose NIC `eth4` (MAC HOST_MAC) has a
 * `VlanDemux` with one child per sub-interface (`eth4.VID`, its address) and the parent's own
 * interface on `demux.untagged` (no address), as the Linux guest's eth4. The NIC's link peer plays the
 * switch: it sends the steps' frames and records what the host answers. Frames the host sends while
 * being configured (vnet's gratuitous ARP on `addAddress`; Linux sends none — the documented difference
 * `ip-gratuitous-arp-on-address`, setup chatter) are not recorded.
 */
export function runVnetSubif(sc: SubifScenario): VlanOutputs {
  const sim = new Simulator({ seed: 1 });
  const nic = new Port(sim, "eth4");
  const sw = new Port(sim, "sw");
  connect(sim, nic, sw);
  const demux = new VlanDemux(nic);
  const h = new IpStack(sim, "h");
  const mac = HOST_MAC as Mac;
  h.addInterface("eth4", demux.untagged, { mac });
  for (const s of sc.subifs) h.addInterface(`eth4.${s.vid}`, demux.add(s.vid), { mac }).addAddress(s.addr);
  const seen: PortFrame[] = [];
  let step = -1;
  sw.onReceive((frame) => {
    if (step >= 0) seen.push({ step, frame: frame.slice() });
  });
  let t = GAP;
  sc.steps.forEach((st, k) => {
    sim.at(t, () => {
      step = k;
      sw.send(st.frame);
    });
    t += GAP;
  });
  sim.run({ until: t + s(1), maxEvents: 100_000 });
  return [seen];
}

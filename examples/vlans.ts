/**
 * Two access VLANs on a VLAN-filtering bridge (Linux `vlan_filtering 1`), and a trunk to a second one.
 *
 *   vmA (VLAN 10) ─ sw1 ─ trunk (10, 20 tagged) ─ sw2 ─ vmC (VLAN 10)
 *   vmB (VLAN 20) ─┘                                 └─ vmD (VLAN 20)
 *
 * All four VMs share the IP subnet 10.0.0.0/24 on purpose: only the VLANs separate them.
 * 1. vmA broadcasts ARP who-has vmC: it crosses the trunk tagged with VLAN 10 and reaches vmC only;
 *    vmC replies, vmA pings vmC.
 * 2. vmA broadcasts ARP who-has vmD: VLAN 20 is another broadcast domain, nobody answers.
 * 3. vmB and vmD (VLAN 20) do the same between themselves.
 * Access ports carry untagged frames; every data frame on the trunk carries its VLAN's 802.1Q tag.
 *
 * Run: `node dist/examples/vlans.js [OUTDIR]` writes vlans.pcapng (the four TAPs and both trunk ends).
 */
import { access, Bridge, trunk } from "../bridge/index.js";
import { connect } from "../netdev/index.js";
import { ms, Simulator, s } from "../sim/index.js";
import { parseIpv4Address } from "../wire/addr.js";
import { walkVlanTags } from "../wire/vlan.js";
import {
  Captures,
  type Delivery,
  DeliveryWatch,
  type ExampleOptions,
  type ExampleResult,
  ExampleVm,
  formatCounters,
  formatDeliveries,
  isMain,
  main,
  type SentFrame,
} from "./common.js";

export interface VlansResult extends ExampleResult {
  readonly deliveries: readonly Delivery[];
  /** VLAN IDs of the frames seen on each captured port (0 = untagged), by port name, in order. */
  readonly vlansSeen: ReadonlyMap<string, readonly number[]>;
}

export function run(opts: ExampleOptions = {}): VlansResult {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const sw1 = new Bridge(sim, "sw1", { vlanFiltering: true });
  const sw2 = new Bridge(sim, "sw2", { vlanFiltering: true });
  const log: SentFrame[] = [];
  const vm = (name: string, n: number) => new ExampleVm(sim, name, parseIpv4Address(`10.0.0.${n}`), log);
  const vmA = vm("vmA", 1);
  const vmB = vm("vmB", 2);
  const vmC = vm("vmC", 3);
  const vmD = vm("vmD", 4);
  const watch = new DeliveryWatch();
  const plug = (br: Bridge, v: ExampleVm, vid: number) => {
    connect(sim, br.addPort(`${br.name}-${v.name}`, { vlans: access(vid) }), v.tap.port);
    watch.watch(v.tap);
  };
  plug(sw1, vmA, 10);
  plug(sw1, vmB, 20);
  plug(sw2, vmC, 10);
  plug(sw2, vmD, 20);
  const t1 = sw1.addPort("sw1-trunk", { vlans: trunk([10, 20]) });
  const t2 = sw2.addPort("sw2-trunk", { vlans: trunk([10, 20]) });
  connect(sim, t1, t2, { delay: ms(1) });

  const vlansSeen = new Map<string, number[]>();
  const caps = new Captures(vmA.tap);
  for (const src of [vmB.tap, vmC.tap, vmD.tap, t1, t2]) caps.add(src);
  for (const src of [vmA.tap, vmB.tap, vmC.tap, vmD.tap, t1, t2]) {
    const list: number[] = [];
    vlansSeen.set(src.name, list);
    src.observe((f) => {
      const stack = walkVlanTags(f, 2);
      list.push(stack.tags.length === 0 ? 0 : stack.tags[0].vid);
    });
  }

  sim.at(ms(1), () => vmA.arpRequest(vmC.ip));
  sim.at(ms(10), () => vmA.ping(vmC.ip, 1));
  sim.at(ms(20), () => vmA.arpRequest(vmD.ip));
  sim.at(ms(30), () => vmB.arpRequest(vmD.ip));
  sim.at(ms(40), () => vmB.ping(vmD.ip, 1));
  sim.run({ until: s(1) });

  const deliveries = watch.deliveries(log);
  const tagLine = (name: string) => {
    const vids = vlansSeen.get(name) ?? [];
    const counts = new Map<number, number>();
    for (const v of vids) counts.set(v, (counts.get(v) ?? 0) + 1);
    return `${name}: ${[...counts].map(([v, n]) => `${n} ${v === 0 ? "untagged" : `tagged ${v}`}`).join(", ") || "nothing"}`;
  };
  const report = [
    "VLANs 10 and 20 on sw1 and sw2 (vlan_filtering 1), trunk sw1-trunk <-> sw2-trunk",
    formatDeliveries(deliveries),
    "",
    "frames seen per port (both directions):",
    ...[...vlansSeen.keys()].map(tagLine),
    "",
    "bridge fdb show:",
    sw1.formatFdb(),
    sw2.formatFdb(),
    "",
    formatCounters(caps.counters()),
  ].join("\n");
  return { ...caps.result("vlans", report, opts.outDir), deliveries, vlansSeen };
}

if (isMain(import.meta.url)) main(run);

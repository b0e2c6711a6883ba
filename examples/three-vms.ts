/**
 * Three VMs on one MAC-learning bridge (Linux semantics: learning from source MACs, unknown unicast
 * and broadcast flood to every other port, ageing 300 s).
 *
 *   vm1 (10.0.0.1) ─ vm1-tap ─┐
 *   vm2 (10.0.0.2) ─ vm2-tap ─┼─ br0
 *   vm3 (10.0.0.3) ─ vm3-tap ─┘
 *
 * 1. vm1 broadcasts ARP who-has 10.0.0.2: it floods to vm2 and vm3; vm2's reply is unicast (br0 has
 *    learned vm1), then a ping to vm2 goes to vm2 only.
 * 2. vm1 pings vm3 with a static neighbour entry (`ip neigh add 10.0.0.3 lladdr …`): br0 has never seen
 *    vm3, so the request floods (vm2's NIC filters it); the reply is unicast.
 * 3. 301 s of silence: every entry ages out; the next ping to vm2 floods again, its reply is unicast.
 *
 * Run: `node dist/examples/three-vms.js [OUTDIR]` writes three-vms.pcapng (one interface per TAP).
 */
import { Bridge } from "../bridge/index.js";
import { connect } from "../netdev/index.js";
import { ms, Simulator, s } from "../sim/index.js";
import { parseIpv4Address } from "../wire/addr.js";
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

export interface ThreeVmsResult extends ExampleResult {
  /** Every frame a VM sent, with the TAPs it reached. */
  readonly deliveries: readonly Delivery[];
  /** `bridge fdb show` after step 2, and after the 301 s of silence (before step 3's frames). */
  readonly fdbLearned: string;
  readonly fdbAged: string;
}

export function run(opts: ExampleOptions = {}): ThreeVmsResult {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const br = new Bridge(sim, "br0");
  const log: SentFrame[] = [];
  const vms = [1, 2, 3].map((i) => new ExampleVm(sim, `vm${i}`, parseIpv4Address(`10.0.0.${i}`), log));
  const watch = new DeliveryWatch();
  for (const vm of vms) {
    connect(sim, br.addPort(`br0-${vm.name}`), vm.tap.port);
    watch.watch(vm.tap);
  }
  const caps = new Captures(vms[0].tap).add(vms[1].tap).add(vms[2].tap);
  const [vm1, vm2, vm3] = vms;

  // 1. ARP, reply, ping.
  sim.at(ms(1), () => vm1.arpRequest(vm2.ip));
  sim.at(ms(10), () => vm1.ping(vm2.ip, 1));
  // 2. A frame to a MAC the bridge has never seen.
  sim.at(ms(20), () => {
    vm1.neighbours.set(vm3.ip, vm3.mac);
    vm3.neighbours.set(vm1.ip, vm1.mac);
    vm1.ping(vm3.ip, 2);
  });
  sim.run({ until: s(1) });
  const fdbLearned = br.formatFdb();

  // 3. Silence longer than the ageing time, then vm2 again.
  const t3 = ms(20) + s(301);
  sim.run({ until: t3 });
  const fdbAged = br.formatFdb();
  sim.at(t3, () => vm1.ping(vm2.ip, 3));
  sim.run({ until: t3 + s(1) });

  const deliveries = watch.deliveries(log);
  const report = [
    "three VMs on bridge br0 (ageing 300 s)",
    formatDeliveries(deliveries),
    "",
    "bridge fdb show (after steps 1-2):",
    fdbLearned || "(empty)",
    "",
    "bridge fdb show (after 301 s of silence):",
    fdbAged || "(empty)",
    "",
    "bridge fdb show (end):",
    br.formatFdb() || "(empty)",
    "",
    formatCounters(caps.counters()),
  ].join("\n");
  return { ...caps.result("three-vms", report, opts.outDir), deliveries, fdbLearned, fdbAged };
}

if (isMain(import.meta.url)) main(run);

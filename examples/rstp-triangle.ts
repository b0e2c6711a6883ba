/**
 * Three bridges in a triangle with RSTP (802.1D-2004) on, a VM on each:
 *
 *          A (priority 0x8000, MAC 02:00:00:00:01:00: the root)
 *        /   \
 *    1 ms     2 ms
 *      /       \
 *     B ─ 3 ms ─ C
 *
 * Without spanning tree a broadcast would circle forever; with it the bridges elect A as root and
 * block one port (C's port toward B, an alternate), so the loop is broken. After 10 s, vm1 (on A)
 * broadcasts an ARP request: it crosses each active link exactly once and never the blocked one.
 *
 * Run: `node dist/examples/rstp-triangle.js [OUTDIR]` writes rstp-triangle.pcapng (BPDUs included).
 */
import { Bridge, type StpShow } from "../bridge/index.js";
import { connect, type Port } from "../netdev/index.js";
import { ms, Simulator, s } from "../sim/index.js";
import { type Mac, parseIpv4Address } from "../wire/addr.js";
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

export interface RstpTriangleResult extends ExampleResult {
  readonly deliveries: readonly Delivery[];
  /** `stpShow()` of A, B and C after convergence. */
  readonly stp: readonly StpShow[];
  /** Ports not forwarding, as `BRIDGE.PORT:role`. */
  readonly blocked: readonly string[];
  /** Non-BPDU frames each inter-bridge port sent after convergence, by port name. */
  readonly dataSent: ReadonlyMap<string, number>;
}

const isBpdu = (f: Uint8Array) =>
  f[0] === 0x01 && f[1] === 0x80 && f[2] === 0xc2 && f[3] === 0 && f[4] === 0 && f[5] === 0;

function formatStp(name: string, st: StpShow): string {
  const head = `${name}: bridge ${st.bridgeId} root ${st.rootId} cost ${st.rootPathCost} root-port ${st.rootPort ?? "(this is the root)"}`;
  return [
    head,
    ...st.ports.map(
      (p) =>
        `  ${p.port.padEnd(6)} ${p.role.padEnd(10)} ${p.state.padEnd(10)} cost ${p.cost}${p.edge ? " edge" : ""}`,
    ),
  ].join("\n");
}

export function run(opts: ExampleOptions = {}): RstpTriangleResult {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const mk = (name: string, n: number) =>
    new Bridge(sim, name, { stp: true, mac: (0x0200_0000_0000 + n * 0x100) as Mac });
  const bridges = [mk("A", 1), mk("B", 2), mk("C", 3)];
  const [a, b, c] = bridges;
  const inter: Port[] = [];
  const link = (x: Bridge, y: Bridge, delay: number) => {
    const px = x.addPort(`${x.name}-${y.name}`);
    const py = y.addPort(`${y.name}-${x.name}`);
    connect(sim, px, py, { delay });
    inter.push(px, py);
  };
  link(a, b, ms(1));
  link(a, c, ms(2));
  link(b, c, ms(3));

  const log: SentFrame[] = [];
  const watch = new DeliveryWatch();
  const vms = bridges.map((br, i) => {
    const vm = new ExampleVm(sim, `vm${i + 1}`, parseIpv4Address(`10.0.0.${i + 1}`), log);
    // A VM port is an edge port (mstpctl setportadminedge): it forwards at once, sends no loop back.
    connect(sim, br.addPort(`${br.name}-vm${i + 1}`, { edge: true }), vm.tap.port);
    watch.watch(vm.tap);
    return vm;
  });
  const caps = new Captures(inter[0]);
  for (const p of inter.slice(1)) caps.add(p);
  for (const vm of vms) caps.add(vm.tap);

  sim.run({ until: s(10) });
  const stp = bridges.map((br) => br.stpShow() as StpShow);
  const blocked = bridges.flatMap((br) =>
    br.ports
      .filter((p) => br.stpState(p) !== "forwarding")
      .map((p) => `${br.name}.${p.name}:${br.stpRole(p)}`),
  );

  const dataSent = new Map<string, number>();
  for (const p of inter) {
    dataSent.set(p.name, 0);
    p.observe((f, dir) => {
      if (dir === "out" && !isBpdu(f)) dataSent.set(p.name, (dataSent.get(p.name) ?? 0) + 1);
    });
  }
  sim.at(s(10), () => vms[0].arpRequest(parseIpv4Address("10.0.0.99")));
  sim.run({ until: s(11) });
  for (const br of bridges) br.stpStop();
  sim.run({ until: s(12) });

  const deliveries = watch.deliveries(log);
  const report = [
    "RSTP triangle A-B-C (stp on), a VM on each bridge",
    ...bridges.map((br, i) => formatStp(br.name, stp[i])),
    `blocked: ${blocked.join(", ") || "(none)"}`,
    "",
    "after convergence:",
    formatDeliveries(deliveries),
    `data frames sent per inter-bridge port: ${[...dataSent].map(([n, k]) => `${n}=${k}`).join(" ")}`,
    "",
    formatCounters(caps.counters()),
  ].join("\n");
  return { ...caps.result("rstp-triangle", report, opts.outDir), deliveries, stp, blocked, dataSent };
}

if (isMain(import.meta.url)) main(run);

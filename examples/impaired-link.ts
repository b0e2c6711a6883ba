/**
 * Two VMs across one impaired link, as `tc qdisc add dev X root netem delay 10ms 2ms rate 10mbit
 * loss 1%` on both directions:
 *
 *   vm1 (10.0.0.1) ─ vm1-tap ══ 10 ms ± 2 ms, 10 Mbit/s, 1 % loss ══ vm2-tap ─ vm2 (10.0.0.2)
 *
 * vm1 sends 400 UDP datagrams of 1000 bytes (1042-byte frames, 0.83 ms on a 10 Mbit/s line) in bursts
 * of 20 every 20 ms, so the transmit queue fills and drains; vm2 counts what arrives. Loss and jitter
 * are drawn from the simulator's streams `link:wire:ab:*`: another seed gives another capture.
 *
 * Run: `node dist/examples/impaired-link.js [OUTDIR]` writes impaired-link.pcapng (both link ends).
 */
import { connect, type LinkStats } from "../netdev/index.js";
import { ms, Simulator, s } from "../sim/index.js";
import { parseIpv4Address } from "../wire/addr.js";
import {
  Captures,
  type ExampleOptions,
  type ExampleResult,
  ExampleVm,
  formatCounters,
  isMain,
  main,
  type SentFrame,
} from "./common.js";

/** Per-direction link statistics, as plain numbers. */
export interface LinkReport {
  readonly offered: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly dropReasons: Readonly<Record<string, number>>;
  readonly maxQueued: number;
}

export interface ImpairedLinkResult extends ExampleResult {
  readonly sent: number;
  readonly received: number;
  /** vm1 → vm2. */
  readonly ab: LinkReport;
  /** One-way latency of the datagrams that arrived, in ns. */
  readonly latency: { readonly min: number; readonly avg: number; readonly max: number };
}

export const DATAGRAMS = 400;
const BURST = 20;
const PAYLOAD = 1000;

function linkReport(st: LinkStats): LinkReport {
  return {
    offered: st.offered,
    delivered: st.delivered,
    dropped: st.dropped,
    dropReasons: Object.fromEntries(st.dropReasons),
    maxQueued: st.maxQueued,
  };
}

export function run(opts: ExampleOptions = {}): ImpairedLinkResult {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const log: SentFrame[] = [];
  const vm1 = new ExampleVm(sim, "vm1", parseIpv4Address("10.0.0.1"), log);
  const vm2 = new ExampleVm(sim, "vm2", parseIpv4Address("10.0.0.2"), log);
  vm1.neighbours.set(vm2.ip, vm2.mac);
  vm2.neighbours.set(vm1.ip, vm1.mac);
  const link = connect(sim, vm1.tap.port, vm2.tap.port, {
    name: "wire",
    delay: ms(10),
    jitter: { distribution: "uniform", max: ms(2) },
    rate: 10_000_000,
    loss: 0.01,
  });
  const caps = new Captures(vm1.tap).add(vm2.tap);

  // The datagram's first 4 bytes are its sequence number; its send time is kept to measure latency.
  const sentAt: number[] = [];
  for (let i = 0; i < DATAGRAMS; i++) {
    sim.at(ms(20) * Math.floor(i / BURST) + ms(1), () => {
      const data = new Uint8Array(PAYLOAD);
      new DataView(data.buffer).setUint32(0, i);
      sentAt[i] = sim.now;
      vm1.sendUdp(vm2.ip, 40000, 9, data, false);
    });
  }
  sim.run({ until: s(2) });

  const lat = vm2.udpReceived.map((u) => {
    const seq = new DataView(u.data.buffer, u.data.byteOffset, 4).getUint32(0);
    return u.time - sentAt[seq];
  });
  const latency = {
    min: lat.length ? Math.min(...lat) : 0,
    avg: lat.length ? Math.round(lat.reduce((a, b) => a + b, 0) / lat.length) : 0,
    max: lat.length ? Math.max(...lat) : 0,
  };
  const ab = linkReport(link.ab.stats);
  const msStr = (t: number) => `${(t / 1e6).toFixed(3)} ms`;
  const report = [
    "vm1 -> vm2 over link 'wire': delay 10 ms, jitter uniform ±2 ms, rate 10 Mbit/s, loss 1 %",
    `sent ${DATAGRAMS} UDP datagrams of ${PAYLOAD} bytes in bursts of ${BURST} every 20 ms; vm2 received ${vm2.udpReceived.length}`,
    `link wire a->b: offered ${ab.offered}, delivered ${ab.delivered}, dropped ${ab.dropped} ${JSON.stringify(ab.dropReasons)}, most queued ${ab.maxQueued}`,
    `one-way latency: min ${msStr(latency.min)}, avg ${msStr(latency.avg)}, max ${msStr(latency.max)}`,
    "",
    formatCounters(caps.counters()),
  ].join("\n");
  return {
    ...caps.result("impaired-link", report, opts.outDir),
    sent: DATAGRAMS,
    received: vm2.udpReceived.length,
    ab,
    latency,
  };
}

if (isMain(import.meta.url)) main(run);

import { Simulator } from "../sim/simulator.js";
import { type Bench, median, rateRow, timeIt } from "./harness.js";

/** Events per round and concurrent timer chains (so the heap is ~10 levels deep, as in a busy topology). */
const EVENTS = 2_000_000;
const CHAINS = 1024;

/** Delays (ns) drawn once from a fixed LCG, shared by vnet and the peer so both do the same work. */
function delays(): Uint32Array {
  const d = new Uint32Array(4096);
  let x = 12345;
  for (let i = 0; i < d.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    d[i] = 1 + (x >>> 20); // 1 .. 4096 ns
  }
  return d;
}

function runVnet(d: Uint32Array): number {
  const sim = new Simulator({ seed: 1 });
  let fired = 0;
  let k = 0;
  const tick = (): void => {
    fired++;
    if (fired + CHAINS <= EVENTS) sim.schedule(d[k++ & 4095], tick);
  };
  for (let c = 0; c < CHAINS; c++) sim.schedule(d[k++ & 4095], tick);
  sim.run();
  return fired;
}

interface PeerEvent {
  time: number;
  seq: number;
  fn: () => void;
}

/** The peer: a bare binary min-heap over a plain JS array of {time, seq, fn}, ordered by (time, seq). */
function runPeer(d: Uint32Array): number {
  const heap: PeerEvent[] = [];
  let seq = 0;
  let now = 0;
  const push = (time: number, fn: () => void): void => {
    const e = { time, seq: seq++, fn };
    let i = heap.length;
    heap.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = heap[p];
      if (hp.time < time || (hp.time === time && hp.seq < e.seq)) break;
      heap[i] = hp;
      i = p;
    }
    heap[i] = e;
  };
  const pop = (): PeerEvent => {
    const top = heap[0];
    const last = heap.pop() as PeerEvent;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (
          r < n &&
          (heap[r].time < heap[l].time || (heap[r].time === heap[l].time && heap[r].seq < heap[l].seq))
        )
          c = r;
        const hc = heap[c];
        if (last.time < hc.time || (last.time === hc.time && last.seq < hc.seq)) break;
        heap[i] = hc;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  let fired = 0;
  let k = 0;
  const tick = (): void => {
    fired++;
    if (fired + CHAINS <= EVENTS) push(now + d[k++ & 4095], tick);
  };
  for (let c = 0; c < CHAINS; c++) push(d[k++ & 4095], tick);
  while (heap.length > 0) {
    const e = pop();
    now = e.time;
    e.fn();
  }
  return fired;
}

export const simBenches: Bench[] = [
  {
    name: "sim-events",
    describe: `simulator events/s: ${CHAINS} chains of timer events (each event schedules the next), ${EVENTS.toLocaleString("en-US")} events`,
    async run(ctx) {
      const d = delays();
      // Warm both up (JIT) and check they do the same number of events.
      const nv = runVnet(d);
      const np = runPeer(d);
      if (nv !== EVENTS || np !== EVENTS)
        throw new Error(`sim-events: ran ${nv} / ${np} events, expected ${EVENTS}`);
      const tv = await median(ctx.rounds, () => timeIt(() => runVnet(d)));
      const tp = await median(ctx.rounds, () => timeIt(() => runPeer(d)));
      ctx.log(
        `vnet ${(EVENTS / tv / 1e6).toFixed(2)} M events/s, bare heap ${(EVENTS / tp / 1e6).toFixed(2)} M events/s`,
      );
      return [
        rateRow(
          "sim-events",
          "events/s",
          EVENTS / tv,
          "bare JS array binary heap of closures (same process)",
          EVENTS / tp,
          "vnet's Simulator (Timer objects, cancel support, run loop) vs the minimal (time, seq) heap pushing/popping the same closures",
        ),
      ];
    },
  },
];

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { ms, us } from "../sim/time.js";
import { connect, type LinkOptions } from "./link.js";
import { Port } from "./port.js";

// References: Linux netem (tc-netem(8), net/sched/sch_netem.c) for the impairment semantics — order
// duplicate → loss → corrupt → reorder → delay, Gilbert–Elliott `loss gemodel`, `reorder P gap G` —
// and a drop-tail transmit queue in front of a serialising line (Linux txqueuelen, ns-3 DropTailQueue).

function frame(i: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.fill(0xa5);
  f[0] = 0x02; // a locally administered unicast destination
  f[14] = i >>> 24;
  f[15] = (i >>> 16) & 0xff;
  f[16] = (i >>> 8) & 0xff;
  f[17] = i & 0xff;
  return f;
}

const idOf = (f: Uint8Array): number => ((f[14] << 24) | (f[15] << 16) | (f[16] << 8) | f[17]) >>> 0;

interface Arrival {
  id: number;
  at: number;
  frame: Uint8Array;
}

function pair(opts: LinkOptions = {}, seed = 1) {
  const sim = new Simulator({ seed });
  const a = new Port(sim, "a");
  const b = new Port(sim, "b");
  const link = connect(sim, a, b, { name: "l", ...opts });
  const atB: Arrival[] = [];
  const atA: Arrival[] = [];
  b.onReceive((f) => atB.push({ id: idOf(f), at: sim.now, frame: f }));
  a.onReceive((f) => atA.push({ id: idOf(f), at: sim.now, frame: f }));
  return { sim, a, b, link, atA, atB };
}

/** Sends frames 0..n-1 from `a`, one every `gap` ns starting at 0. */
function sendEvery(sim: Simulator, a: Port, n: number, gap: number, len = 64): Uint8Array[] {
  const sent: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = frame(i, len);
    sent.push(f);
    sim.at(i * gap, () => a.send(f));
  }
  return sent;
}

describe("perfect link (default)", () => {
  it("delivers both ways at the same instant, but through the simulator (never synchronously)", () => {
    const { sim, a, b, atA, atB } = pair();
    a.send(frame(1));
    b.send(frame(2));
    expect(atB).toEqual([]);
    sim.run();
    expect(atB.map((x) => [x.id, x.at])).toEqual([[1, 0]]);
    expect(atA.map((x) => [x.id, x.at])).toEqual([[2, 0]]);
  });

  it("a second link on a connected port is refused", () => {
    const { sim, a } = pair();
    expect(() => connect(sim, a, new Port(sim, "c"))).toThrow(/a is already connected/);
  });

  it("the peer being down means no carrier: the sender drops and counts carrier-down (Linux veth)", () => {
    const { sim, a, b, link, atB } = pair();
    b.up = false;
    expect(a.carrier).toBe(false);
    expect(a.send(frame(1))).toBe(false);
    sim.run();
    expect(atB).toEqual([]);
    expect(link.ab.stats.offered).toBe(0);
    expect(a.counters.txDropped).toBe(1);
    expect(a.counters.dropReasons.get("carrier-down")).toBe(1);
  });

  it("a frame in flight when the receiver goes down is dropped there and counted carrier-down", () => {
    const { sim, a, b, link, atB } = pair();
    a.send(frame(1));
    b.up = false;
    sim.run();
    expect(atB).toEqual([]);
    expect(link.ab.stats.delivered).toBe(1);
    expect(b.counters.rxDropped).toBe(1);
    expect(b.counters.dropReasons.get("carrier-down")).toBe(1);
  });
});

describe("propagation delay and rate", () => {
  it("delay is exact, per direction (reverse overrides b → a)", () => {
    const { sim, a, b, atA, atB } = pair({ delay: ms(5), reverse: { delay: us(7) } });
    sim.at(ms(1), () => a.send(frame(1)));
    sim.at(ms(1), () => b.send(frame(2)));
    sim.run();
    expect(atB.map((x) => x.at)).toEqual([ms(6)]);
    expect(atA.map((x) => x.at)).toEqual([ms(1) + us(7)]);
  });

  it("serialisation at `rate`: 1000-byte frames at 8 Mb/s take exactly 1 ms each, back to back", () => {
    const { sim, a, link, atB } = pair({ rate: 8_000_000, delay: us(100) });
    for (let i = 0; i < 3; i++) a.send(frame(i, 1000));
    sim.at(ms(10), () => a.send(frame(3, 500))); // line idle again: 0.5 ms
    sim.run();
    expect(atB.map((x) => [x.id, x.at])).toEqual([
      [0, ms(1) + us(100)],
      [1, ms(2) + us(100)],
      [2, ms(3) + us(100)],
      [3, ms(10.5) + us(100)],
    ]);
    expect(link.ab.txTime(1000)).toBe(ms(1));
    expect(link.ab.stats.maxQueued).toBe(2);
  });

  it("overhead adds bytes for serialisation only (netem `rate R overhead N`)", () => {
    const { sim, a, atB } = pair({ rate: 1_000_000_000, overhead: 24 }); // 64 + 24 bytes at 1 Gb/s = 704 ns
    a.send(frame(0, 64));
    sim.run();
    expect(atB[0].at).toBe(704);
    expect(atB[0].frame.byteLength).toBe(64);
  });

  it("rounds a fractional serialisation time up to the next ns", () => {
    const { sim, a, atB } = pair({ rate: 3_000_000_000 }); // 64 B = 512 bits / 3 Gb/s = 170.67 ns
    a.send(frame(0, 64));
    sim.run();
    expect(atB[0].at).toBe(171);
  });
});

describe("drop-tail transmit queue", () => {
  it("drops what does not fit in `queuePackets` (the frame on the wire is not queued) and counts it", () => {
    const { sim, a, b, link, atB } = pair({ rate: 8_000_000, queuePackets: 2 });
    for (let i = 0; i < 6; i++) a.send(frame(i, 1000));
    // t=0: 0 on the wire, 1 and 2 wait, 3..5 dropped.
    sim.at(ms(1.5), () => a.send(frame(6, 1000))); // 1 on the wire, 2 waits: room for one
    sim.at(ms(1.5), () => a.send(frame(7, 1000))); // full again
    sim.run();
    expect(atB.map((x) => [x.id, x.at])).toEqual([
      [0, ms(1)],
      [1, ms(2)],
      [2, ms(3)],
      [6, ms(4)],
    ]);
    const st = link.ab.stats;
    expect(st.dropReasons.get("queue-full")).toBe(4);
    expect(st.offered).toBe(8);
    expect(st.delivered + st.dropped).toBe(st.offered);
    expect(a.counters.txPackets).toBe(8); // the port handed them all to the link
    expect(b.counters.rxPackets).toBe(4);
  });

  it("also limits bytes: `queueBytes` counts the frames waiting", () => {
    const { sim, a, link, atB } = pair({ rate: 8_000_000, queueBytes: 1500 });
    a.send(frame(0, 1000)); // on the wire
    a.send(frame(1, 1000)); // waits (1000 B)
    a.send(frame(2, 1000)); // 2000 B > 1500: dropped
    a.send(frame(3, 500)); // 1500 B: fits
    sim.run();
    expect(atB.map((x) => x.id)).toEqual([0, 1, 3]);
    expect(link.ab.stats.dropReasons.get("queue-full")).toBe(1);
  });

  it("without a rate nothing queues and nothing is dropped", () => {
    const { sim, a, link, atB } = pair({ queuePackets: 0 });
    for (let i = 0; i < 100; i++) a.send(frame(i));
    sim.run();
    expect(atB).toHaveLength(100);
    expect(link.ab.stats.dropped).toBe(0);
  });
});

describe("loss", () => {
  it("random loss: the dropped fraction is near p over N frames (fixed seed), and counters add up", () => {
    const { sim, a, b, link, atB } = pair({ loss: 0.1 }, 42);
    sendEvery(sim, a, 10000, 1000);
    sim.run();
    const st = link.ab.stats;
    expect(st.dropReasons.get("loss")).toBe(st.dropped);
    expect(st.dropped / 10000).toBeGreaterThan(0.09);
    expect(st.dropped / 10000).toBeLessThan(0.11);
    expect(a.counters.txPackets).toBe(st.offered);
    expect(st.offered).toBe(st.delivered + st.dropped);
    expect(b.counters.rxPackets).toBe(st.delivered);
    expect(atB).toHaveLength(st.delivered);
    expect(st.inFlight).toBe(0);
  });

  it("loss 0 and 1 are exact", () => {
    const none = pair({ loss: 0 });
    sendEvery(none.sim, none.a, 500, 10);
    none.sim.run();
    expect(none.atB).toHaveLength(500);
    const all = pair({ loss: 1 });
    sendEvery(all.sim, all.a, 500, 10);
    all.sim.run();
    expect(all.atB).toHaveLength(0);
    expect(all.link.ab.stats.dropped).toBe(500);
  });

  const burstStats = (opts: LinkOptions): { lossRate: number; meanBurst: number } => {
    const { sim, a, atB } = pair(opts, 7);
    const n = 20000;
    sendEvery(sim, a, n, 100);
    sim.run();
    const got = new Set(atB.map((x) => x.id));
    let bursts = 0;
    let lost = 0;
    for (let i = 0; i < n; i++) {
      if (got.has(i)) continue;
      lost++;
      if (i === 0 || got.has(i - 1)) bursts++;
    }
    return { lossRate: lost / n, meanBurst: lost / bursts };
  };

  it("Gilbert–Elliott: losses come in bursts of mean length 1/r (vs ≈1 for random loss at the same rate)", () => {
    // p = 0.05, r = 0.25, loss only in the bad state: stationary P(bad) = p / (p + r) = 1/6.
    const ge = burstStats({ loss: { model: "gilbert-elliott", p: 0.05, r: 0.25 } });
    expect(ge.lossRate).toBeGreaterThan(0.14);
    expect(ge.lossRate).toBeLessThan(0.19);
    expect(ge.meanBurst).toBeGreaterThan(3.5);
    expect(ge.meanBurst).toBeLessThan(4.5);
    const random = burstStats({ loss: ge.lossRate });
    expect(Math.abs(random.lossRate - ge.lossRate)).toBeLessThan(0.02);
    expect(random.meanBurst).toBeLessThan(1.4); // 1 / (1 - 1/6) = 1.2
  });

  it("Gilbert–Elliott with lossGood/lossBad: losses in both states at their rates", () => {
    // Stationary P(bad) = 0.1 / (0.1 + 0.1) = 0.5: loss ≈ 0.5·0.5 + 0.5·0.02 = 0.26.
    const ge = burstStats({
      loss: { model: "gilbert-elliott", p: 0.1, r: 0.1, lossBad: 0.5, lossGood: 0.02 },
    });
    expect(ge.lossRate).toBeGreaterThan(0.22);
    expect(ge.lossRate).toBeLessThan(0.3);
  });
});

describe("duplication, reordering, corruption, jitter", () => {
  it("duplicates: about p of the frames arrive twice, the copies back to back", () => {
    const { sim, a, b, link, atB } = pair({ duplicate: 0.2, delay: us(10) }, 3);
    sendEvery(sim, a, 5000, 1000);
    sim.run();
    const st = link.ab.stats;
    expect(st.duplicated / 5000).toBeGreaterThan(0.18);
    expect(st.duplicated / 5000).toBeLessThan(0.22);
    expect(atB).toHaveLength(5000 + st.duplicated);
    expect(st.offered + st.duplicated).toBe(st.delivered + st.dropped);
    expect(b.counters.rxPackets).toBe(st.delivered);
    let pairs = 0;
    for (let i = 1; i < atB.length; i++) if (atB[i].id === atB[i - 1].id) pairs++;
    expect(pairs).toBe(st.duplicated);
    // Ids arrive in order (duplicates adjacent).
    const ids = atB.map((x) => x.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it("loss and duplication drawn together: a lost-and-duplicated frame goes once (netem), counters still add up", () => {
    const { sim, a, link } = pair({ duplicate: 0.5, loss: 0.5 }, 5);
    sendEvery(sim, a, 4000, 10);
    sim.run();
    const st = link.ab.stats;
    expect(st.offered + st.duplicated).toBe(st.delivered + st.dropped);
    // E[copies] = 1.5 · 0.5 + … = 1 + 0.5 − 0.5 = 1 per frame.
    expect(st.delivered / 4000).toBeGreaterThan(0.95);
    expect(st.delivered / 4000).toBeLessThan(1.05);
  });

  it("reorder with gap 5 and probability 1: every 5th frame skips the delay and overtakes (netem)", () => {
    const { sim, a, link, atB } = pair({ delay: ms(10), reorder: { probability: 1, gap: 5 } });
    sendEvery(sim, a, 10, ms(1));
    sim.run();
    expect(atB.map((x) => [x.id, x.at])).toEqual([
      [4, ms(4)],
      [9, ms(9)],
      [0, ms(10)],
      [1, ms(11)],
      [2, ms(12)],
      [3, ms(13)],
      [5, ms(15)],
      [6, ms(16)],
      [7, ms(17)],
      [8, ms(18)],
    ]);
    expect(link.ab.stats.reordered).toBe(2);
  });

  it("reorder with a probability: about that fraction of frames arrives early", () => {
    const { sim, a, link, atB } = pair({ delay: ms(5), reorder: { probability: 0.25 } }, 9);
    sendEvery(sim, a, 4000, ms(1));
    sim.run();
    const st = link.ab.stats;
    expect(st.reordered / 4000).toBeGreaterThan(0.22);
    expect(st.reordered / 4000).toBeLessThan(0.28);
    const early = atB.filter((x) => x.at === x.id * ms(1)).length;
    expect(early).toBe(st.reordered);
    expect(atB).toHaveLength(4000);
  });

  it("corruption flips exactly one bit of a copy and never the sender's buffer", () => {
    const { sim, a, link, atB } = pair({ corrupt: 1 }, 11);
    const sent = sendEvery(sim, a, 200, 100, 80);
    const before = sent.map((f) => f.slice());
    sim.run();
    expect(link.ab.stats.corrupted).toBe(200);
    const bitsFlipped = new Set<number>();
    atB.forEach((x, i) => {
      expect(x.frame).not.toBe(sent[i]);
      expect(sent[i]).toEqual(before[i]);
      let diffBits = 0;
      for (let k = 0; k < 80; k++) {
        const d = x.frame[k] ^ sent[i][k];
        for (let bit = 0; bit < 8; bit++)
          if (d & (1 << bit)) {
            diffBits++;
            bitsFlipped.add(k * 8 + bit);
          }
      }
      expect(diffBits).toBe(1);
    });
    expect(bitsFlipped.size).toBeGreaterThan(100); // spread over the frame
  });

  it("corruption at p: about p of the frames; the others are the sender's buffer itself (no copy)", () => {
    const { sim, a, link, atB } = pair({ corrupt: 0.1 }, 12);
    const sent = sendEvery(sim, a, 3000, 100);
    sim.run();
    const st = link.ab.stats;
    expect(st.corrupted / 3000).toBeGreaterThan(0.08);
    expect(st.corrupted / 3000).toBeLessThan(0.12);
    expect(atB.filter((x, i) => x.frame === sent[i]).length).toBe(3000 - st.corrupted);
  });

  it.each([
    ["uniform", { distribution: "uniform", max: ms(2) }],
    ["normal", { distribution: "normal", sd: ms(1) }],
  ] as const)("%s jitter varies the delay but never reorders (FIFO clamp)", (_n, jitter) => {
    const { sim, a, atB } = pair({ delay: ms(5), jitter }, 13);
    sendEvery(sim, a, 2000, us(300));
    sim.run();
    expect(atB.map((x) => x.id)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    const delays = atB.map((x) => x.at - x.id * us(300));
    for (let i = 1; i < atB.length; i++) expect(atB[i].at).toBeGreaterThanOrEqual(atB[i - 1].at);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(new Set(delays).size).toBeGreaterThan(500);
    if (jitter.distribution === "uniform") {
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(ms(3));
      expect(Math.max(...delays)).toBeLessThanOrEqual(ms(7));
    }
    const mean = delays.reduce((x, y) => x + y, 0) / delays.length;
    expect(mean).toBeGreaterThan(ms(5)); // clamping only ever adds
    expect(mean).toBeLessThan(ms(7));
  });
});

describe("determinism and streams", () => {
  const impaired: LinkOptions = {
    delay: ms(1),
    jitter: { distribution: "normal", sd: us(200) },
    loss: { model: "gilbert-elliott", p: 0.02, r: 0.3 },
    duplicate: 0.05,
    corrupt: 0.05,
    reorder: { probability: 0.1, gap: 3 },
    rate: 100_000_000,
    queuePackets: 4,
  };
  const trace = (seed: number): string => {
    const { sim, a, atB } = pair(impaired, seed);
    sendEvery(sim, a, 1000, us(20), 200);
    sim.run();
    return atB.map((x) => `${x.id}@${x.at}:${x.frame.reduce((s, v) => (s * 31 + v) >>> 0, 0)}`).join(",");
  };

  it("the same seed gives the same deliveries, times and bytes; another seed differs", () => {
    expect(trace(100)).toBe(trace(100));
    expect(trace(100)).not.toBe(trace(101));
  });

  it("streams are named after the link and direction: a second link does not shift the first's draws", () => {
    const one = pair({ loss: 0.3 }, 5);
    sendEvery(one.sim, one.a, 300, 10);
    one.sim.run();
    const two = pair({ loss: 0.3 }, 5);
    const c = new Port(two.sim, "c");
    const d = new Port(two.sim, "d");
    connect(two.sim, c, d, { name: "other", loss: 0.3 });
    for (let i = 0; i < 300; i++) two.sim.at(i * 10, () => c.send(frame(i)));
    sendEvery(two.sim, two.a, 300, 10);
    two.sim.run();
    expect(two.atB.map((x) => x.id)).toEqual(one.atB.map((x) => x.id));
  });

  it("property: for any impairments and traffic, offered + duplicated = delivered + dropped, and ports agree", () => {
    const prob = fc.double({ min: 0, max: 1, noNaN: true });
    const opts = fc.record(
      {
        delay: fc.integer({ min: 0, max: 1_000_000 }),
        rate: fc.integer({ min: 1_000_000, max: 10_000_000_000 }),
        queuePackets: fc.integer({ min: 0, max: 20 }),
        queueBytes: fc.integer({ min: 0, max: 30_000 }),
        loss: prob,
        duplicate: prob,
        corrupt: prob,
        reorder: fc.record({ probability: prob, gap: fc.integer({ min: 1, max: 5 }) }),
        jitter: fc.oneof(
          fc.record({
            distribution: fc.constant("uniform" as const),
            max: fc.integer({ min: 0, max: 500_000 }),
          }),
          fc.record({
            distribution: fc.constant("normal" as const),
            sd: fc.integer({ min: 0, max: 500_000 }),
          }),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        opts,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 14, max: 1514 })), {
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 0xffff }),
        (o, traffic, seed) => {
          const { sim, a, b, link, atB } = pair(o, seed);
          traffic.forEach(([t, len], i) => {
            sim.at(t, () => a.send(frame(i, len)));
          });
          sim.run();
          const st = link.ab.stats;
          expect(st.offered).toBe(traffic.length);
          expect(st.offered + st.duplicated).toBe(st.delivered + st.dropped);
          expect(st.inFlight).toBe(0);
          let reasons = 0;
          for (const v of st.dropReasons.values()) reasons += v;
          expect(reasons).toBe(st.dropped);
          expect(b.counters.rxPackets).toBe(st.delivered);
          expect(atB).toHaveLength(st.delivered);
          expect(a.counters.txPackets).toBe(st.offered);
        },
      ),
      { numRuns: 150, seed: 20260101 },
    );
  });
});

describe("options are checked", () => {
  it.each<[string, LinkOptions]>([
    ["loss", { loss: 1.5 }],
    ["duplicate", { duplicate: -0.1 }],
    ["corrupt", { corrupt: Number.NaN }],
    ["delay", { delay: -1 }],
    ["delay", { delay: 0.5 }],
    ["rate", { rate: 0 }],
    ["reorder.gap", { reorder: { probability: 0.5, gap: 0 } }],
    ["loss.p", { loss: { model: "gilbert-elliott", p: 2, r: 0.1 } }],
    ["queuePackets", { queuePackets: -1 }],
  ])("%s out of range is a RangeError naming it", (what, o) => {
    const sim = new Simulator();
    expect(() => connect(sim, new Port(sim, "a"), new Port(sim, "b"), o)).toThrow(RangeError);
    expect(() => connect(sim, new Port(sim, "c"), new Port(sim, "d"), o)).toThrow(what);
  });
});

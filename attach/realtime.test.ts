import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bridge } from "../bridge/index.js";
import { type CapturePoint, capture } from "../captures/index.js";
import { connect, Tap } from "../netdev/index.js";
import { Simulator } from "../sim/index.js";
import { ms } from "../sim/time.js";
import { Edges, readEdgeRecording } from "../topology/edges.js";
import { StreamPeer, waitUntil } from "./peer.js";
import { plugTap } from "./plug.js";
import { RealtimeDriver } from "./realtime.js";
import { StreamServerAttach } from "./stream.js";

function frame(dst: number, src: number, mark: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x52, 0x54, 0, 0, 0, dst, 0x52, 0x54, 0, 0, 0, src, 0x88, 0xb5, mark]);
  return f;
}

function broadcast(src: number, mark: number): Uint8Array {
  const f = frame(0, src, mark);
  f.fill(0xff, 0, 6);
  return f;
}

describe("RealtimeDriver with a clock of the test's own", () => {
  it("runs every event due by the wall clock before an injection, and injects at that instant", () => {
    let wall = 1_000_000_000n;
    const sim = new Simulator();
    const d = new RealtimeDriver(sim, { clock: () => wall, tickMs: 60_000 });
    const seen: string[] = [];
    sim.at(ms(3), () => seen.push(`event@${sim.now}`));
    sim.at(ms(5), () => seen.push(`event@${sim.now}`)); // due exactly at the injection instant: runs first
    sim.at(ms(7), () => seen.push(`event@${sim.now}`));
    expect(d.wallTime()).toBe(0); // not started: the wall clock is not followed
    d.start(); // wall 1 s <-> sim 0
    wall += 5_000_000n;
    const t = d.inject((x: string) => seen.push(`${x}@${sim.now}`), "inject");
    d.stop();
    // An event ran at exactly 5 ms, so the frame enters 1 ns later (the first instant with no event).
    expect(t).toBe(ms(5) + 1);
    expect(seen).toEqual([`event@${ms(3)}`, `event@${ms(5)}`, `inject@${ms(5) + 1}`]);
    expect(d.stats.injections).toBe(1);
    wall += 5_000_000n;
    expect(d.wallTime()).toBe(ms(5) + 1); // stopped: time stays
  });

  it("never runs an event before the wall clock reaches it, and never moves time backwards", async () => {
    let wall = 0n;
    const sim = new Simulator();
    const d = new RealtimeDriver(sim, { clock: () => wall, tickMs: 1 });
    let ran = -1;
    sim.at(ms(10), () => {
      ran = sim.now;
    });
    d.start();
    wall = 4_000_000n;
    await new Promise((r) => setTimeout(r, 10));
    expect(ran).toBe(-1);
    expect(sim.now).toBe(ms(4));
    wall = 12_000_000n;
    await waitUntil(
      () => ran >= 0,
      2000,
      () => "the event at 10 ms",
    );
    expect(ran).toBe(ms(10));
    // The clock going back (a clock of the test's own can) does not move simulated time back.
    wall = 1_000_000n;
    expect(d.wallTime()).toBe(sim.now);
    d.stop();
    expect(d.stats.events).toBe(1);
  });
});

/**
 * Bridge br0 with three ports: A and B are TAPs whose user sides are attach points (real peers over unix
 * sockets); C is a simulated station that broadcasts every millisecond over a 1 ms link. Captures (pcap,
 * ns) on the three bridge ports.
 */
function makeNet(sim: Simulator) {
  const br = new Bridge(sim, "br0");
  const taps = ["a", "b", "c"].map((n) => new Tap(sim, `tap-${n}`));
  const caps: CapturePoint[] = [];
  taps.forEach((t, i) => {
    const p = br.addPort(`p${i}`);
    connect(sim, t.port, p, { name: `l${i}`, ...(i === 2 ? { delay: ms(1) } : {}) });
    caps.push(capture(p, { nano: true }));
  });
  let n = 0;
  const beacon = (): void => {
    taps[2].write(broadcast(3, n++ & 0xff));
    if (n < 400) sim.schedule(ms(1), beacon);
  };
  sim.schedule(ms(1), beacon);
  taps[2].onRead(() => {});
  return { br, taps, caps };
}

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vnet-rt-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a live session through the real-time driver replays byte for byte", () => {
  it("two stream peers on a bridge: the recorded injections, replayed in virtual time, give identical captures", async () => {
    const sim = new Simulator({ seed: 7 });
    const net = makeNet(sim);
    const driver = new RealtimeDriver(sim);
    const log: string[] = [];
    const aps = await Promise.all(
      ["a", "b"].map((n) =>
        StreamServerAttach.listen(
          `${n}.eth0`,
          { kind: "unix", path: join(dir, `${n}.sock`) },
          { log: (l) => log.push(l) },
        ),
      ),
    );
    // What enters, with its instant: the session's recording.
    const recorded: { t: number; port: number; frame: Uint8Array }[] = [];
    const toPeer: Uint8Array[][] = [[], []];
    aps.forEach((ap, i) => {
      plugTap(ap, net.taps[i], driver);
      // Wrap the plug to record (as edges.pcapng will): same instant, same order.
      ap.onFrame((f) =>
        driver.inject((fr: Uint8Array) => {
          recorded.push({ t: sim.now, port: i, frame: fr });
          net.taps[i].write(fr);
        }, f),
      );
      net.taps[i].onRead((f) => {
        toPeer[i].push(f);
        ap.send(f);
      });
    });
    driver.start();
    const [pa, pb] = await Promise.all(
      aps.map((ap) => StreamPeer.connect({ kind: "unix", path: ap.address.slice(5) })),
    );
    // B announces itself, then A and B exchange unicast frames in a few bursts.
    pb.send(broadcast(2, 200));
    await waitUntil(
      () => pa.received.some((f) => f[14] === 200 && f[11] === 2),
      3000,
      () => "B's broadcast at A",
    );
    for (let burst = 0; burst < 5; burst++) {
      pa.send(...Array.from({ length: 20 }, (_, k) => frame(2, 1, k)));
      pb.send(...Array.from({ length: 10 }, (_, k) => frame(1, 2, 100 + k)));
      await new Promise((r) => setTimeout(r, 3));
    }
    const unicastTo = (p: StreamPeer, src: number) =>
      p.received.filter((f) => f[0] === 0x52 && f[11] === src).length;
    await waitUntil(
      () => unicastTo(pb, 1) === 100 && unicastTo(pa, 2) === 50,
      5000,
      () => "all unicast frames",
    );
    driver.stop();
    for (const ap of aps) await ap.close();
    await pa.closed;
    await pb.closed;
    const end = sim.now + ms(5);
    sim.run({ until: end });
    const live = net.caps.map((c) => c.bytes());
    expect(recorded.length).toBe(151);
    expect(unicastTo(pb, 1)).toBe(100);

    // Injection times strictly increase here (every frame caused events at its instant).
    for (let i = 1; i < recorded.length; i++) expect(recorded[i].t).toBeGreaterThan(recorded[i - 1].t);

    // Replay 1: a fresh simulator, the same network; each recorded frame enters after every event due by
    // its instant, then the run goes on to the same end.
    const sim2 = new Simulator({ seed: 7 });
    const net2 = makeNet(sim2);
    const toPeer2: Uint8Array[][] = [[], []];
    net2.taps.slice(0, 2).forEach((t, i) => {
      t.onRead((f) => void toPeer2[i].push(f));
    });
    for (const r of recorded) {
      sim2.run({ until: r.t });
      net2.taps[r.port].write(r.frame);
    }
    sim2.run({ until: end });
    const replayed = net2.caps.map((c) => c.bytes());
    for (let i = 0; i < 3; i++) expect(Buffer.from(replayed[i]).equals(Buffer.from(live[i]))).toBe(true);
    expect(toPeer2).toEqual(toPeer);

    // Replay 2: the recording scheduled through topology/edges.ts (each frame an event at its time, armed
    // when the previous one runs), as `vnet replay` does.
    const sim3 = new Simulator({ seed: 7 });
    const net3 = makeNet(sim3);
    const edges = new Edges(sim3);
    edges.add("a.eth0", (f) => net3.taps[0].write(f));
    edges.add("b.eth0", (f) => net3.taps[1].write(f));
    edges.schedule(
      recorded.map((r) => ({ edge: r.port === 0 ? "a.eth0" : "b.eth0", at: r.t, frame: r.frame })),
    );
    sim3.run({ until: end });
    const replayed3 = net3.caps.map((c) => c.bytes());
    for (let i = 0; i < 3; i++) expect(Buffer.from(replayed3[i]).equals(Buffer.from(live[i]))).toBe(true);
    // ... and its recording reads back as the same frames at the same instants.
    const back = readEdgeRecording(edges.bytes(), "edges.pcapng");
    expect(back.frames.map((f) => f.at)).toEqual(recorded.map((r) => r.t));
    // Beacons (one per simulated ms) ran between the injections: the session spans several of them.
    expect(recorded[recorded.length - 1].t - recorded[0].t).toBeGreaterThan(ms(3));
    expect(live[2].byteLength).toBeGreaterThan(24 + 5 * 80);
  });
});

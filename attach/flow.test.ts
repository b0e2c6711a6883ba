import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bridge } from "../bridge/index.js";
import { connect, Tap } from "../netdev/index.js";
import { Simulator } from "../sim/index.js";
import { type AttachOptions, AttachPoint } from "./attach-point.js";
import { FlowControl } from "./flow.js";
import { StreamPeer, waitUntil } from "./peer.js";
import { plugTap } from "./plug.js";
import { RealtimeDriver } from "./realtime.js";
import { StreamServerAttach } from "./stream.js";

/** A member whose congestion the test sets, recording pause/resume calls. */
class Member extends AttachPoint {
  readonly calls: string[] = [];
  constructor(name: string, opts: AttachOptions = {}) {
    super(name, "stream-fd", opts);
  }
  get address(): string {
    return "test";
  }
  send(): boolean {
    return true;
  }
  async close(): Promise<void> {}
  override pauseInput(): void {
    this.calls.push("pause");
  }
  override resumeInput(): void {
    this.calls.push("resume");
  }
  congest(on: boolean): void {
    this.setCongested(on);
  }
}

describe("FlowControl (QEMU's back-pressure: a receiver that cannot take more stops the senders' reads)", () => {
  it("a congested member pauses every other member's input, never its own; draining resumes them", () => {
    const flow = new FlowControl();
    const [a, b, c] = ["a", "b", "c"].map((n) => new Member(n));
    for (const m of [a, b, c]) flow.add(m);
    b.congest(true);
    expect([a.calls, b.calls, c.calls]).toEqual([["pause"], [], ["pause"]]);
    expect(flow.paused).toBe(2);
    // A second congested member: now b is held back too (by a), a stays paused (by b).
    a.congest(true);
    expect([a.calls, b.calls, c.calls]).toEqual([["pause"], ["pause"], ["pause"]]);
    b.congest(false);
    // Only a is congested: everyone but a reads.
    expect([a.calls, b.calls, c.calls]).toEqual([["pause", "resume"], ["pause"], ["pause"]]);
    a.congest(false);
    expect([a.calls, b.calls, c.calls]).toEqual([
      ["pause", "resume"],
      ["pause", "resume"],
      ["pause", "resume"],
    ]);
    expect(flow.paused).toBe(0);
    expect(flow.stats.pauses).toBe(1);
    flow.close();
  });

  it("a member that stays congested beyond stuckMs stops holding the others back (one line), and rejoins when it drains", async () => {
    const lines: string[] = [];
    const flow = new FlowControl({ stuckMs: 20, log: (l) => lines.push(l) });
    const a = new Member("a.eth0");
    const b = new Member("b.eth0");
    flow.add(a);
    flow.add(b);
    b.congest(true);
    expect(a.calls).toEqual(["pause"]);
    await waitUntil(
      () => flow.stats.stuck === 1,
      2000,
      () => "b declared stuck",
    );
    expect(a.calls).toEqual(["pause", "resume"]);
    expect(lines).toEqual([
      "attach b.eth0: its peer has not read for 20 ms: no longer holding the others back (frames for it are dropped once its queue is full)",
    ]);
    b.congest(false);
    expect(lines[1]).toBe(
      "attach b.eth0: its peer reads again; holding the others back again when it is slow",
    );
    b.congest(true);
    expect(a.calls).toEqual(["pause", "resume", "pause"]);
    flow.remove(a);
    expect(a.calls).toEqual(["pause", "resume", "pause", "resume"]);
    flow.close();
  });
});

/** 64-byte frame from 52:54:00:00:00:src to …:dst, a 16-bit sequence number at offset 14. */
function frame(dst: number, src: number, seq: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0x52, 0x54, 0, 0, 0, dst, 0x52, 0x54, 0, 0, 0, src, 0x88, 0xb5, seq >>> 8, seq & 0xff]);
  return f;
}

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vnet-flow-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Two stream attach points on a bridge through the real-time driver (the attach-stream bench's network). */
async function twoPorts(driver: RealtimeDriver, sim: Simulator, opts: AttachOptions) {
  const br = new Bridge(sim, "br0");
  const aps: StreamServerAttach[] = [];
  for (const i of [0, 1]) {
    const tap = new Tap(sim, `tap${i}`);
    connect(sim, tap.port, br.addPort(`p${i}`), { name: `l${i}` });
    const ap = await StreamServerAttach.listen(
      `c${i}.eth0`,
      { kind: "unix", path: join(dir, `${i}.sock`) },
      opts,
    );
    plugTap(ap, tap, driver);
    aps.push(ap);
  }
  driver.start();
  const peers = await Promise.all(
    aps.map((ap) => StreamPeer.connect({ kind: "unix", path: ap.address.slice(5) })),
  );
  await waitUntil(
    () => aps.every((ap) => ap.carrier),
    2000,
    () => "carrier",
  );
  return { aps, peers };
}

const N = 30_000;

describe("stream attach points under a receiver that does not keep up", () => {
  it("hold the sender back instead of dropping: every frame arrives, in order, once the receiver reads", async () => {
    const sim = new Simulator({ seed: 1 });
    const driver = new RealtimeDriver(sim);
    const log: string[] = [];
    // A small queue (256 KiB, held back above 64 KiB) so a few MB show the difference.
    const { aps, peers } = await twoPorts(driver, sim, {
      log: (l) => log.push(l),
      txQueueBytes: 256 * 1024,
      highWaterBytes: 64 * 1024,
    });
    const [pa, pb] = peers;
    try {
      // B teaches the bridge its MAC, then stops reading.
      pb.send(frame(1, 2, 0));
      await waitUntil(
        () => aps[1].counters.rxFrames === 1 && pa.count === 1,
        2000,
        () => "B's first frame at A",
      );
      pb.socket.pause();
      const seq: number[] = [];
      pb.onFrame((f) => seq.push((f[14] << 8) | f[15]));
      // A sends 30 000 frames (2 MB on the wire, 8× B's queue) as one write.
      pa.send(...Array.from({ length: N }, (_, k) => frame(2, 1, k)));
      await waitUntil(
        () => driver.flow.paused === 1 && aps[1].congested,
        5000,
        () => `A held back (paused ${driver.flow.paused}, B congested ${aps[1].congested})`,
      );
      // A is held back: its frames wait in the sockets, not in vnet.
      expect(aps[0].counters.rxFrames).toBeLessThan(N);
      expect(aps[1].counters.txDrops.size).toBe(0);
      pb.socket.resume();
      await pb.waitFor(N, 20_000);
      expect(seq.length).toBe(N);
      expect(seq.every((s, k) => s === k)).toBe(true);
      expect(aps[0].counters.rxFrames).toBe(N);
      expect(aps[1].counters.txFrames).toBe(N);
      expect(Object.fromEntries(aps[1].counters.txDrops)).toEqual({});
      expect(driver.flow.paused).toBe(0);
      expect(driver.flow.stats.pauses).toBeGreaterThanOrEqual(1);
      expect(log.filter((l) => l.includes("has not read"))).toEqual([]);
    } finally {
      driver.stop();
      for (const ap of aps) await ap.close();
    }
  });

  it("a receiver that never reads is declared stuck: the sender goes on, frames for the stuck one are counted drops", async () => {
    const sim = new Simulator({ seed: 1 });
    const driver = new RealtimeDriver(sim, { flow: { stuckMs: 100 } });
    const log: string[] = [];
    const { aps, peers } = await twoPorts(driver, sim, {
      log: (l) => log.push(l),
      txQueueBytes: 256 * 1024,
      highWaterBytes: 64 * 1024,
    });
    const [pa, pb] = peers;
    try {
      pb.send(frame(1, 2, 0));
      await waitUntil(
        () => pa.count === 1,
        2000,
        () => "B's first frame at A",
      );
      pb.socket.pause();
      pa.send(...Array.from({ length: N }, (_, k) => frame(2, 1, k)));
      await waitUntil(
        () => aps[0].counters.rxFrames === N,
        20_000,
        () => `${aps[0].counters.rxFrames} of A's frames into vnet`,
      );
      expect(driver.flow.stats.stuck).toBe(1);
      expect(log).toContain(
        "attach c1.eth0: its peer has not read for 100 ms: no longer holding the others back (frames for it are dropped once its queue is full)",
      );
      const c = aps[1].counters;
      const dropped = (): number => c.txDrops.get("tx-queue-full") ?? 0;
      // Every frame of A's is accounted for at B's attach point: handed to the socket or dropped.
      await waitUntil(
        () => c.txFrames + dropped() === N,
        5000,
        () => `${c.txFrames} + ${dropped()} of A's frames at B's attach point`,
      );
      expect(dropped()).toBeGreaterThan(0);
      expect(c.txBytes).toBeLessThanOrEqual(N * 64);
    } finally {
      driver.stop();
      for (const ap of aps) await ap.close();
    }
  });
});

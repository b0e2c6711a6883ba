import { Bridge } from "../bridge/bridge.js";
import type { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { type Bench, median, rateRow, timeIt } from "./harness.js";

const MACS = 1024;
const PORTS = 8;
const FRAMES = 4096;
const ROUND = 2_000_000;

/** 64-byte frames between the 1024 MACs (MAC i lives behind port i % 8), in a fixed pseudo-random order. */
function makeFrames(): { frames: Uint8Array[]; ingress: number[] } {
  const frames: Uint8Array[] = [];
  const ingress: number[] = [];
  let x = 12345;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 8;
  };
  for (let i = 0; i < FRAMES; i++) {
    const s = next() % MACS;
    let d = next() % MACS;
    if (d % PORTS === s % PORTS) d = (d + 1) % MACS;
    const f = new Uint8Array(64);
    f.set([0x52, 0x54, 0x00, 0x00, d >>> 8, d & 0xff, 0x52, 0x54, 0x00, 0x00, s >>> 8, s & 0xff, 0x08, 0x00]);
    frames.push(f);
    ingress.push(s % PORTS);
  }
  return { frames, ingress };
}

/** A bridge with 8 ports whose peers swallow frames (no simulator events), and all 1024 MACs learned. */
function makeBridge(): { br: Bridge; ports: Port[]; sunk: () => number } {
  const sim = new Simulator();
  const br = new Bridge(sim, "br0", { stormGuard: false });
  let sunk = 0;
  const sink = { transmit: () => void sunk++, peerUp: () => true };
  const ports: Port[] = [];
  for (let i = 0; i < PORTS; i++) {
    const p = br.addPort(`p${i}`);
    p.attachPeer(sink);
    ports.push(p);
  }
  for (let m = 0; m < MACS; m++) {
    const f = new Uint8Array(64);
    f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x00, m >>> 8, m & 0xff, 0x08, 0x00]);
    br.forwardFrame(f, ports[m % PORTS]);
  }
  return { br, ports, sunk: () => sunk };
}

/** The bare loop: read the destination MAC, look it up in a Map, learn the source, copy the frame. */
function bareLoop(frames: Uint8Array[], ingress: number[], table: Map<number, number>, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const j = i & (FRAMES - 1);
    const f = frames[j];
    const dst =
      ((f[0] << 8) | f[1]) * 0x1_0000_0000 + ((f[2] << 24) >>> 0) + ((f[3] << 16) | (f[4] << 8) | f[5]);
    const src =
      ((f[6] << 8) | f[7]) * 0x1_0000_0000 + ((f[8] << 24) >>> 0) + ((f[9] << 16) | (f[10] << 8) | f[11]);
    const out = table.get(dst) ?? -1;
    table.set(src, ingress[j]);
    const copy = f.slice();
    acc += out + copy[63];
  }
  return acc;
}

function bridgeLoop(br: Bridge, ports: Port[], frames: Uint8Array[], ingress: number[], n: number): void {
  for (let i = 0; i < n; i++) {
    const j = i & (FRAMES - 1);
    br.forwardFrame(frames[j], ports[ingress[j]]);
  }
}

const forwardBench: Bench = {
  name: "bridge-forward",
  describe:
    "bridge forwarding of 64-byte frames, 1024 learned MACs, in-process: vnet's Bridge vs a bare Map loop",
  async run(ctx) {
    const { frames, ingress } = makeFrames();
    const { br, ports, sunk } = makeBridge();
    const table = new Map<number, number>();
    bareLoop(frames, ingress, table, FRAMES * 4);
    bridgeLoop(br, ports, frames, ingress, FRAMES * 4); // warm up both
    const before = sunk();
    bridgeLoop(br, ports, frames, ingress, FRAMES);
    if (sunk() - before !== FRAMES)
      throw new Error(
        `bridge-forward: ${sunk() - before} frames out, expected ${FRAMES} (table not learned?)`,
      );
    let guard = 0;
    const loop =
      ROUND /
      (await median(ctx.rounds, () =>
        timeIt(() => {
          guard += bareLoop(frames, ingress, table, ROUND);
        }),
      ));
    const vnet =
      ROUND / (await median(ctx.rounds, () => timeIt(() => bridgeLoop(br, ports, frames, ingress, ROUND))));
    ctx.log(`bare loop ${Math.round(loop)} frames/s, bridge ${Math.round(vnet)} frames/s (${guard & 1})`);
    return [rateRow("bridge-forward", "frames/s", vnet, "bare Map loop", loop, "goal: ≥ 0.6× the bare loop")];
  },
};

export const bridgeBenches: Bench[] = [forwardBench];

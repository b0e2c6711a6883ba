import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Bridge } from "../bridge/index.js";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { ms, s, us } from "../sim/time.js";
import { internetChecksum } from "../wire/checksum.js";
import { type Bench, type BenchContext, median, rateRow, timeIt } from "./harness.js";

const SECONDS = 10;
const RATE = 1000; // packets/s per host
const PAYLOAD = 64; // UDP payload bytes
const WARMUP_SECONDS = 1; // simulated seconds run before the timed rounds

/** A 106-byte Ethernet/IPv4/UDP frame from host i to host j with a 64-byte payload. */
function udpFrame(i: number, j: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + PAYLOAD);
  const dv = new DataView(f.buffer);
  f.set([0x52, 0x54, 0x00, 0x00, j >> 8, j & 0xff], 0);
  f.set([0x52, 0x54, 0x00, 0x00, i >> 8, i & 0xff], 6);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, 20 + 8 + PAYLOAD);
  f[22] = 64;
  f[23] = 17;
  dv.setUint32(26, (0x0a000001 + i) >>> 0);
  dv.setUint32(30, (0x0a000001 + j) >>> 0);
  dv.setUint16(24, internetChecksum(f.subarray(14, 34)));
  dv.setUint16(34, 9);
  dv.setUint16(36, 9);
  dv.setUint16(38, 8 + PAYLOAD);
  return f;
}

/**
 * The switched LAN of issue 3: N hosts, each on its own 1 Gbps / 1 µs link to one bridge, each sending
 * 64-byte UDP payloads at 1000 packets/s to the next host for 10 simulated seconds. Hosts are frame
 * generators (the IP stack comes with the routing issue). Returns delivered frames and wall seconds.
 */
export function runLan(hosts: number, seconds = SECONDS): { delivered: number; sent: number; wall: number } {
  const sim = new Simulator({ seed: 1 });
  const br = new Bridge(sim, "br0", {});
  let delivered = 0;
  let sent = 0;
  const ports: Port[] = [];
  for (let i = 0; i < hosts; i++) {
    const host = new Port(sim, `h${i}`);
    const bp = br.addPort(`p${i}`, {});
    connect(sim, host, bp, { rate: 1e9, delay: us(1) });
    host.onReceive((frame) => {
      // Count only frames addressed to this host (flooded copies before learning are not deliveries).
      if (frame[4] === i >> 8 && frame[5] === (i & 0xff)) delivered++;
    });
    ports.push(host);
  }
  const interval = s(1) / RATE;
  const end = s(seconds);
  for (let i = 0; i < hosts; i++) {
    const frame = udpFrame(i, (i + 1) % hosts);
    const host = ports[i];
    // Stagger the start of each host inside the first millisecond, as real hosts would be.
    const tick = () => {
      host.send(frame);
      sent++;
      if (sim.now + interval < end) sim.scheduleCall(interval, tick, undefined);
    };
    sim.at(Math.floor((ms(1) * i) / hosts), tick);
  }
  const wall = timeIt(() => {
    sim.run({ until: end + ms(1) });
  });
  return { delivered, sent, wall };
}

export function ns3Peer(ctx: BenchContext, hosts: number): { value: number | null; note?: string } {
  const script = fileURLToPath(new URL("../../bench/peers/build-ns3.sh", import.meta.url));
  const build = spawnSync("bash", [script, ctx.workDir], { encoding: "utf8" });
  if (build.status !== 0) {
    return {
      value: null,
      note: `ns-3 peer not built: ${build.stderr.trim() || "build failed"} (apt-get install ns3 libns3-dev)`,
    };
  }
  const bin = build.stdout.trim().split("\n").pop() ?? "";
  const run = spawnSync(bin, [`--hosts=${hosts}`, `--seconds=${SECONDS}`], { encoding: "utf8" });
  if (run.status !== 0) return { value: null, note: `ns-3 peer failed: ${run.stderr.trim()}` };
  const r = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { delivered_per_wall_s?: number };
  return { value: r.delivered_per_wall_s ?? null };
}

function lanBench(hosts: number): Bench {
  return {
    name: `lan-${hosts}`,
    describe: `${hosts} hosts on 1 Gbps/1 µs links to one bridge, 1000 pkt/s each for 10 simulated s: delivered packets per wall second, vs ns-3 3.37`,
    async run(ctx) {
      const expected = hosts * SECONDS * RATE;
      // Warm the JIT up first (as sim-events does): one simulated second, not timed. ns-3 is compiled
      // ahead of time and times only Simulator::Run(); without this the one-round figure mostly
      // measures V8 tiering up (a cold 10 s run is about 1.5x slower than a warm one).
      runLan(hosts, WARMUP_SECONDS);
      let last = { delivered: 0, sent: 0, wall: 1 };
      const wall = await median(ctx.rounds, () => {
        last = runLan(hosts);
        return last.wall;
      });
      if (last.delivered < expected * 0.999) {
        throw new Error(`lan-${hosts}: only ${last.delivered} of ${expected} packets delivered`);
      }
      const vnet = last.delivered / wall;
      const peer = ns3Peer(ctx, hosts);
      return [
        rateRow(
          `lan-${hosts}`,
          "delivered packets/s",
          vnet,
          "ns-3 3.37 (bench/peers/ns3-lan.cc)",
          peer.value,
          peer.note,
        ),
      ];
    },
  };
}

export const lanBenches: Bench[] = [lanBench(16), lanBench(64)];

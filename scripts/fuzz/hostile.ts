/**
 * Hostile load, bounded: MAC flooding a bridge, opening flows through a NAT, a broadcast storm in a
 * loop without STP. Each returns what it measured (state sizes, drops, heap before and after) so the
 * tests can assert the bounds with small counts and `npm run fuzz -- --hostile` can print the figures
 * at full size (10^6). Heap figures are most meaningful under `node --expose-gc` (the fuzz script).
 */
import { Bridge } from "../../bridge/index.js";
import { Nat, type NatInterface } from "../../nat/index.js";
import { connect, Port } from "../../netdev/index.js";
import { Simulator } from "../../sim/simulator.js";
import { s } from "../../sim/time.js";
import { type Ipv4, type Mac, writeMac } from "../../wire/index.js";
import { ipv4Header, udpDatagram } from "./targets.js";

function heap(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
  return process.memoryUsage().heapUsed;
}

export interface FloodResult {
  readonly frames: number;
  readonly limit: number;
  /** FDB entries learned on the flooded port. */
  readonly learned: number;
  /** Source MACs not learned (the excess), from the port's bridge stats. */
  readonly notLearned: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
}

/** `frames` frames with random source MACs into one port of a bridge limited to `limit` learned entries. */
export function macFlood(frames: number, limit: number, seed = 1): FloodResult {
  const sim = new Simulator({ seed });
  const before = heap();
  const br = new Bridge(sim, "br0", { maxLearned: limit, stormGuard: false });
  const p0 = br.addPort("p0");
  const peer = new Port(sim, "attacker");
  connect(sim, peer, p0);
  const other = new Port(sim, "victim");
  connect(sim, other, br.addPort("p1"));
  let delivered = 0;
  other.onReceive(() => delivered++);
  const rng = sim.rng("fuzz:flood:mac");
  for (let i = 0; i < frames; i++) {
    const f = new Uint8Array(60);
    writeMac(f, 0, 0x5254_0000_0001 as Mac);
    // Unicast, locally administered source: the random half of a MAC flood tool (macof). The first
    // byte's low bits are set here (a bitwise mask on the 48-bit number would truncate it to 32 bits).
    writeMac(f, 6, (rng.int(0, 0xffff) * 0x1_0000_0000 + rng.int(0, 0xffff_ffff)) as Mac);
    f[6] = (f[6] & 0xfe) | 0x02;
    f[12] = 0x88;
    f[13] = 0xb5;
    peer.send(f);
    if ((i & 0xfff) === 0xfff) sim.run();
  }
  sim.run();
  const st = br.portStats(p0);
  const learned = br.fdbShow().filter((r) => r.port === "p0" && !r.static).length;
  const after = heap();
  if (delivered !== frames) throw new Error(`flood: ${delivered} of ${frames} frames reached the other port`);
  return { frames, limit, learned, notLearned: st.notLearned, heapBefore: before, heapAfter: after };
}

export interface NatFloodResult {
  readonly packets: number;
  readonly limit: number;
  readonly entries: number;
  readonly tableFull: number;
  /** New flows that evicted an unassured entry (Linux early_drop) instead of being dropped. */
  readonly earlyDrop: number;
  /** Every drop by reason. */
  readonly drops: Readonly<Record<string, number>>;
  readonly passed: number;
  readonly tableBytes: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
}

const LAN: NatInterface = { name: "lan", primaryAddress: 0x0a00_0001 as Ipv4 };
const WAN: NatInterface = { name: "wan", primaryAddress: 0xc633_6402 as Ipv4 };

/** A UDP packet src:sport → dst:dport with valid checksums. */
export function udpPacket(src: number, dst: number, sport: number, dport: number, payload = 8): Uint8Array {
  const u = udpDatagram(src, dst, sport, dport, new Uint8Array(payload));
  const h = ipv4Header(17, src, dst, u.byteLength, Uint8Array.of(1, 0x40, 64));
  const b = new Uint8Array(h.byteLength + u.byteLength);
  b.set(h);
  b.set(u, h.byteLength);
  return b;
}

/** `packets` new UDP flows (distinct source address/port) out through a NAT of `limit` entries. */
export function natFlood(packets: number, limit: number, seed = 1): NatFloodResult {
  const sim = new Simulator({ seed });
  const before = heap();
  const nat = new Nat(sim, "nat", { maxEntries: limit });
  nat.masquerade({ outIf: WAN, source: "10.0.0.0/8" });
  let passed = 0;
  for (let i = 0; i < packets; i++) {
    const src = 0x0a00_0000 + 2 + (i >>> 14);
    const sport = 1024 + (i & 0x3fff);
    // Many destination ports too, so the table limit is what bites (not the 64512 source ports of one
    // masquerade address toward one destination, which would be "no-port").
    const dport = 1 + (i % 50_000);
    if (nat.translateForward(udpPacket(src, 0xc633_640a, sport, dport), LAN, WAN) !== null) passed++;
  }
  const after = heap();
  return {
    packets,
    limit,
    entries: nat.count(),
    tableFull: nat.stats.drops.get("table-full") ?? 0,
    earlyDrop: nat.stats.earlyDrop,
    drops: Object.fromEntries(nat.stats.drops),
    passed,
    tableBytes: nat.tableBytes(),
    heapBefore: before,
    heapAfter: after,
  };
}

export interface StormResult {
  readonly reports: string[];
  readonly stoppedBy: string;
  readonly events: number;
  readonly simSeconds: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
}

/** Two bridges joined by two links (a loop, no STP), one broadcast: the storm guard reports and the run ends. */
export function broadcastStorm(maxFrames?: number): StormResult {
  const sim = new Simulator({ seed: 1 });
  const before = heap();
  const guard = maxFrames === undefined ? {} : { maxFrames };
  const a = new Bridge(sim, "a", { stormGuard: guard });
  const b = new Bridge(sim, "b", { stormGuard: guard });
  connect(sim, a.addPort("ab1"), b.addPort("ba1"));
  connect(sim, a.addPort("ab2"), b.addPort("ba2"));
  const host = new Port(sim, "h");
  connect(sim, host, a.addPort("h"));
  const f = new Uint8Array(60).fill(0xff, 0, 6);
  writeMac(f, 6, 0x5254_0000_0009 as Mac);
  f[12] = 0x08;
  f[13] = 0x06;
  host.send(f);
  const r = sim.run({ until: s(60), maxEvents: 50_000_000 });
  const after = heap();
  return {
    reports: [...a.stormReports, ...b.stormReports].map((x) => x.message),
    stoppedBy: r.stoppedBy,
    events: r.events,
    simSeconds: sim.now / 1e9,
    heapBefore: before,
    heapAfter: after,
  };
}

const mb = (n: number): string => `${n} B (${(n / 2 ** 20).toFixed(1)} MiB)`;

/** The full-size figures, as lines. */
export function hostileReport(opts: { full: boolean }): string[] {
  const n = opts.full ? 1_000_000 : 10_000;
  const out: string[] = [];
  const f = macFlood(n, 8192);
  out.push(
    `hostile mac-flood: ${f.frames} random source MACs, limit ${f.limit}: learned ${f.learned}, not learned ${f.notLearned}; heap ${mb(f.heapBefore)} -> ${mb(f.heapAfter)}`,
  );
  const nf = natFlood(n, 65_536);
  out.push(
    `hostile nat-flood: ${nf.packets} new UDP flows, limit ${nf.limit}: entries ${nf.entries}, early drops ${nf.earlyDrop}, drops ${JSON.stringify(nf.drops)}, passed ${nf.passed}, table ${mb(nf.tableBytes)}; heap ${mb(nf.heapBefore)} -> ${mb(nf.heapAfter)}`,
  );
  const st = broadcastStorm();
  out.push(
    `hostile storm: ${st.reports.join("; ") || "NO REPORT"}; run stopped by ${st.stoppedBy} after ${st.events} events at ${st.simSeconds} s; heap ${mb(st.heapBefore)} -> ${mb(st.heapAfter)}`,
  );
  return out;
}

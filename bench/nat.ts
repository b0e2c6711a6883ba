import { readFileSync } from "node:fs";
import { loadavg, release } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Nat, type NatContext, type NatInterface } from "../nat/index.js";
import { Simulator, s } from "../sim/index.js";
import {
  checksumAdjust16,
  checksumAdjust32,
  type Ipv4,
  internetChecksum,
  l4ChecksumV4,
  parseIpv4Address,
  readIpv4,
  writeIpv4,
} from "../wire/index.js";
import { type Bench, type BenchRow, rateRow, timeIt } from "./harness.js";

const FLOWS = 100_000;
const HOSTS = 1000; // inside hosts 10.0.1.0 + h
const SERVERS = [
  { addr: parseIpv4Address("198.51.100.1"), port: 53 },
  { addr: parseIpv4Address("198.51.100.2"), port: 123 },
  { addr: parseIpv4Address("198.51.100.3"), port: 443 },
  { addr: parseIpv4Address("198.51.100.4"), port: 3478 },
];
const INSIDE = 0x0a00_0100; // 10.0.1.0
// UDP payload bytes: 50-byte IPv4 packets, i.e. the 64-byte Ethernet frames (no FCS) of bridge-forward, a
// minimum-size packet as packet-rate tests use (RFC 2544). Above 64 bytes V8 gives every new Uint8Array
// (a `slice()`) its own off-heap store, which costs about 0.7 µs by itself: with the lan benches' 92-byte
// packets both loops below run at about a quarter of the rate (see README.md).
const PAYLOAD = 22;
const ROUND = 1_000_000; // packets per timed measurement
const LAN: NatInterface = { name: "lan", primaryAddress: parseIpv4Address("10.0.0.1") };
const WAN: NatInterface = { name: "wan", primaryAddress: parseIpv4Address("203.0.113.1") };

/** A 50-byte IPv4/UDP packet (valid IP and UDP checksums, 22-byte payload starting with `tag`). */
function udpPacket(src: number, sport: number, dst: number, dport: number, tag: number): Uint8Array {
  const p = new Uint8Array(20 + 8 + PAYLOAD);
  p[0] = 0x45;
  p[2] = p.length >>> 8;
  p[3] = p.length & 0xff;
  p[6] = 0x40; // DF, as Linux's UDP sockets send when the datagram fits
  p[8] = 64;
  p[9] = 17;
  writeIpv4(p, 12, src as Ipv4);
  writeIpv4(p, 16, dst as Ipv4);
  const c = internetChecksum(p.subarray(0, 20));
  p[10] = c >>> 8;
  p[11] = c & 0xff;
  p[20] = sport >>> 8;
  p[21] = sport & 0xff;
  p[22] = dport >>> 8;
  p[23] = dport & 0xff;
  p[24] = (8 + PAYLOAD) >>> 8;
  p[25] = (8 + PAYLOAD) & 0xff;
  writeIpv4(p, 28, tag as Ipv4); // the tag: a big-endian u32, written as an address is
  for (let i = 32; i < p.length; i++) p[i] = i & 0xff;
  const u = l4ChecksumV4(src as Ipv4, dst as Ipv4, 17, p.subarray(20));
  const uc = u === 0 ? 0xffff : u;
  p[26] = uc >>> 8;
  p[27] = uc & 0xff;
  return p;
}

/** Flow f: inside host f % 1000 (10.0.1.0 + h), source port 10000 + f / 1000, to server h % 4. */
function flowTuple(f: number): { src: number; sport: number; dst: number; dport: number } {
  const h = f % HOSTS;
  const sv = SERVERS[h % SERVERS.length];
  return { src: (INSIDE + h) >>> 0, sport: 10000 + Math.floor(f / HOSTS), dst: sv.addr, dport: sv.port };
}

/** A fixed pseudo-random order of the flows (Fisher-Yates with an LCG). */
function shuffledFlows(): Int32Array {
  const order = new Int32Array(FLOWS);
  for (let i = 0; i < FLOWS; i++) order[i] = i;
  let x = 12345;
  for (let i = FLOWS - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = (x >>> 8) % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** One outbound packet per flow, made (so laid out in memory) in the order `flows` gives. */
function makePackets(flows: Int32Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (const f of flows) {
    const t = flowTuple(f);
    packets.push(udpPacket(t.src, t.sport, t.dst, t.dport, f));
  }
  return packets;
}

/**
 * A MASQUERADE router's NAT (Linux behaviour, the default) with every flow established the way a real
 * one is: the first datagram out (new entry, source NAT chosen), the server's reply (SEEN_REPLY), and
 * 3 simulated seconds later another datagram out, which makes each an ASSURED UDP stream (120 s
 * timeout). All through `translateForward` (prerouting then postrouting, as ip/ calls the hooks).
 * Returns the translated source (address, port) of every flow.
 */
function establish(
  nat: Nat,
  sim: Simulator,
  packets: Uint8Array[],
): { addr: Uint32Array; port: Uint16Array } {
  const addr = new Uint32Array(FLOWS);
  const port = new Uint16Array(FLOWS);
  for (let f = 0; f < FLOWS; f++) {
    const out = nat.translateForward(packets[f], LAN, WAN);
    if (out === null)
      throw new Error(`nat-translate: flow ${f} dropped (${JSON.stringify(nat.stats.snapshot())})`);
    addr[f] = readIpv4(out, 12);
    port[f] = (out[20] << 8) | out[21];
    const t = flowTuple(f);
    const back = nat.translateForward(udpPacket(t.dst, t.dport, addr[f], port[f], f), WAN, LAN);
    if (back === null || readIpv4(back, 16) !== t.src || ((back[22] << 8) | back[23]) !== t.sport) {
      throw new Error(`nat-translate: the reply of flow ${f} was not translated back`);
    }
  }
  sim.run({ until: sim.now + s(3) });
  for (let f = 0; f < FLOWS; f++) {
    if (nat.translateForward(packets[f], LAN, WAN) === null)
      throw new Error(`nat-translate: flow ${f} dropped`);
  }
  return { addr, port };
}

/** The bare loop's flow key: a number built from the tuple (source, destination, both ports). */
function flowKey(src: number, dst: number, sport: number, dport: number): number {
  return ((src ^ Math.imul(dst, 0x9e3779b1)) >>> 0) * 65536 + ((sport ^ dport) & 0xffff);
}

/**
 * The bare loop, one packet: the flow lookup (a Map keyed by a number built from the tuple),
 * the source address/port rewrite into a new buffer, and the RFC 1624 incremental updates of the IP
 * and UDP checksums (wire/checksum.ts). No parsing beyond the fields it needs, no state, no timers.
 */
function bareTranslate(
  p: Uint8Array,
  table: Map<number, number>,
  newAddr: Uint32Array,
  newPort: Uint16Array,
): Uint8Array | null {
  const ihl = (p[0] & 15) << 2;
  const src = readIpv4(p, 12);
  const sport = (p[ihl] << 8) | p[ihl + 1];
  const id = table.get(flowKey(src, readIpv4(p, 16), sport, (p[ihl + 2] << 8) | p[ihl + 3]));
  if (id === undefined) return null;
  const a = newAddr[id];
  const port = newPort[id];
  const out = p.slice();
  writeIpv4(out, 12, a as Ipv4);
  const ic = checksumAdjust32((out[10] << 8) | out[11], src, a);
  out[10] = ic >>> 8;
  out[11] = ic & 0xff;
  out[ihl] = port >>> 8;
  out[ihl + 1] = port & 0xff;
  let uc = (out[ihl + 6] << 8) | out[ihl + 7];
  if (uc !== 0) {
    uc = checksumAdjust16(checksumAdjust32(uc, src, a), sport, port);
    if (uc === 0) uc = 0xffff;
    out[ihl + 6] = uc >>> 8;
    out[ihl + 7] = uc & 0xff;
  }
  return out;
}

function bareLoop(
  packets: Uint8Array[],
  table: Map<number, number>,
  newAddr: Uint32Array,
  newPort: Uint16Array,
  n: number,
): number {
  let acc = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const out = bareTranslate(packets[j], table, newAddr, newPort);
    if (++j === packets.length) j = 0;
    acc += out === null ? -1 : out[27];
  }
  return acc;
}

/** vnet: `nat.translate` at postrouting (where source NAT is applied) for established flows. */
function natLoop(nat: Nat, ctx: NatContext, packets: Uint8Array[], n: number): number {
  let acc = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const out = nat.translate(packets[j], ctx);
    if (++j === packets.length) j = 0;
    acc += out === null ? -1 : out[27];
  }
  return acc;
}

/** The whole router path: prerouting (checksum verification, tracking) then postrouting (SNAT). */
function forwardLoop(nat: Nat, packets: Uint8Array[], n: number): number {
  let acc = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const out = nat.translateForward(packets[j], LAN, WAN);
    if (++j === packets.length) j = 0;
    acc += out === null ? -1 : out[27];
  }
  return acc;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A full garbage collection (the bench is a tool: it may turn on --expose-gc for itself). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * heapUsed + arrayBuffers once garbage is gone. V8 frees the stores of dead ArrayBuffers after the
 * collection, on a later turn of the event loop, so: collect, yield, until two readings agree.
 */
async function settledHeapBytes(gc: () => void): Promise<number> {
  let last = -1;
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    const m = process.memoryUsage();
    const now = m.heapUsed + m.arrayBuffers;
    if (Math.abs(now - last) < 64 * 1024) return now;
    last = now;
  }
  return last;
}

/** Linux's per-connection object: the objsize of the nf_conntrack slab cache (/proc/slabinfo). */
function linuxNfConnSize(): { value: number | null; note: string } {
  try {
    const line = readFileSync("/proc/slabinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("nf_conntrack "));
    if (line === undefined) return { value: null, note: "no nf_conntrack slab (module not loaded)" };
    const objsize = Number(line.trim().split(/\s+/)[3]);
    return Number.isFinite(objsize) && objsize > 0
      ? { value: objsize, note: "" }
      : { value: null, note: "unparsable /proc/slabinfo line" };
  } catch (e) {
    return { value: null, note: `/proc/slabinfo unreadable (${e instanceof Error ? e.message : String(e)})` };
  }
}

const natBench: Bench = {
  name: "nat-translate",
  describe:
    "nat/ translation of established UDP flows, 100k tracked, vs a bare lookup+rewrite+RFC 1624 loop; and bytes per tracked flow",
  async run(ctx) {
    // Packets in arrival order, laid out one after the other as a NIC's receive ring would hold them,
    // from the 100k flows in a shuffled order: the packet bytes stream, each flow's state is a random
    // access (what a router with 100k active flows sees).
    const arrivals = makePackets(shuffledFlows());
    const packets: Uint8Array[] = new Array(FLOWS);
    for (const p of arrivals) packets[readIpv4(p, 28)] = p; // by flow (the payload starts with the flow id, a big-endian u32)
    const gc = collector();

    // Memory: heap + array buffers before and after tracking the 100k flows (packets made before).
    const sim = new Simulator({ seed: 1 });
    const before = await settledHeapBytes(gc);
    const nat = new Nat(sim, "r1");
    nat.masquerade({ outIf: WAN });
    const { addr, port } = establish(nat, sim, packets);
    const after = await settledHeapBytes(gc);
    const perFlow = (after - before - addr.byteLength - port.byteLength) / FLOWS;
    const count = nat.count();
    if (count !== FLOWS || nat.stats.drops.size !== 0) {
      throw new Error(`nat-translate: ${count} flows tracked, drops ${JSON.stringify(nat.stats.snapshot())}`);
    }
    const assured = nat.entries().filter((e) => e.assured && e.seenReply && e.srcNat).length;
    if (assured !== FLOWS) throw new Error(`nat-translate: only ${assured} of ${FLOWS} flows are assured`);
    const tableBytes = nat.tableBytes();

    // The bare loop's table: the same translations nat/ chose, so both produce the same bytes.
    const table = new Map<number, number>();
    for (let f = 0; f < FLOWS; f++) {
      const t = flowTuple(f);
      table.set(flowKey(t.src, t.dst, t.sport, t.dport), f);
    }
    if (table.size !== FLOWS) throw new Error("nat-translate: the bare loop's flow keys collide");
    const post: NatContext = { point: "postrouting", inIf: LAN, outIf: WAN };
    for (let f = 0; f < FLOWS; f++) {
      const a = nat.translate(packets[f], post);
      const b = bareTranslate(packets[f], table, addr, port);
      if (a === null || b === null || a.length !== b.length || a.some((x, i) => x !== b[i])) {
        throw new Error(`nat-translate: nat/ and the bare loop disagree on flow ${f}`);
      }
    }

    // Warm up, then time the loops in turns, round by round (so a burst of load from elsewhere hits
    // all of them alike), and take each one's median.
    // For context: the flows in the order they were created (each flow's state next to the previous
    // one's in memory), packets laid out in that order too.
    const inOrder = makePackets(new Int32Array(FLOWS).map((_, i) => i));
    let guard = 0;
    const loops: (() => number)[] = [
      () => bareLoop(arrivals, table, addr, port, ROUND),
      () => natLoop(nat, post, arrivals, ROUND),
      () => forwardLoop(nat, arrivals, ROUND),
      () => bareLoop(inOrder, table, addr, port, ROUND),
      () => natLoop(nat, post, inOrder, ROUND),
    ];
    guard += bareLoop(arrivals, table, addr, port, FLOWS) + bareLoop(inOrder, table, addr, port, FLOWS);
    guard += natLoop(nat, post, arrivals, FLOWS) + natLoop(nat, post, inOrder, FLOWS);
    guard += forwardLoop(nat, arrivals, FLOWS);
    const walls: number[][] = loops.map(() => []);
    for (let r = 0; r < ctx.rounds; r++) {
      loops.forEach((run, i) => {
        walls[i].push(
          timeIt(() => {
            guard += run();
          }),
        );
      });
    }
    const [loop, vnet, fwd, loopSeq, vnetSeq] = walls.map((w) => ROUND / medianOf(w));
    if (nat.count() !== FLOWS || nat.stats.drops.size !== 0) {
      throw new Error(`nat-translate: flows lost while timing (${JSON.stringify(nat.stats.snapshot())})`);
    }
    const m = (x: number) => `${(x / 1e6).toFixed(2)} M`;
    ctx.log(
      `shuffled: bare loop ${m(loop)}/s, nat postrouting ${m(vnet)}/s, prerouting+postrouting ${m(fwd)}/s; ` +
        `flow-creation order: bare loop ${m(loopSeq)}/s, nat postrouting ${m(vnetSeq)}/s (${guard & 1})`,
    );
    ctx.log(
      `memory: ${perFlow.toFixed(1)} bytes/flow (heap+arrayBuffers delta); tableBytes ${tableBytes} / ${count} = ${(tableBytes / count).toFixed(1)}; ${Nat.bytesPerEntry()} bytes per slot`,
    );

    const linux = linuxNfConnSize();
    const memRow: BenchRow = {
      name: "nat-translate",
      unit: "bytes/flow",
      vnet: Math.round(perFlow),
      peer: `Linux ${release()} struct nf_conn (nf_conntrack slab objsize, /proc/slabinfo)`,
      peer_value: linux.value,
      ratio: linux.value === null ? null : Math.round((linux.value / perFlow) * 100) / 100,
      loadavg: Math.round(loadavg()[0] * 100) / 100,
      note:
        `vnet: process.memoryUsage() heapUsed+arrayBuffers growth over tracking ${FLOWS} flows / ${FLOWS}; ` +
        `nat.tableBytes()/count() = ${(tableBytes / count).toFixed(0)} (typed arrays as allocated, capacity doubles), ` +
        `${Nat.bytesPerEntry()} bytes per used slot. Linux's figure is the nf_conn object alone (its NAT/acct ` +
        `extensions and hash buckets come on top); ratio > 1: vnet uses less.` +
        (linux.note ? ` ${linux.note}` : ""),
    };
    return [
      rateRow(
        "nat-translate",
        "packets/s",
        vnet,
        "bare loop (Map lookup, rewrite into a new buffer, RFC 1624)",
        loop,
        `goal: ≥ 0.6× the bare loop and ≥ 1.5 M packets/s; nat.translate at postrouting, 100k established ` +
          `UDP flows arriving in a shuffled order, 50-byte packets; in flow-creation order: nat ${m(vnetSeq)}/s, ` +
          `bare loop ${m(loopSeq)}/s (${Math.round((vnetSeq / loopSeq) * 100) / 100}×)`,
      ),
      rateRow(
        "nat-translate-forward",
        "packets/s",
        fwd,
        "bare loop (Map lookup, rewrite into a new buffer, RFC 1624)",
        loop,
        "the whole router path: prerouting (UDP checksum verified, tracked) then postrouting (SNAT); no goal",
      ),
      memRow,
    ];
  },
};

export const natBenches: Bench[] = [natBench];

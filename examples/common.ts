/**
 * What the examples share: a tiny hand-driven "VM" (a VM NIC on a TAP that answers ARP and ICMP echo,
 * built only from wire/ emitters and parsers), the set of per-port captures every example returns, and
 * the script entry point (`node dist/examples/NAME.js [OUTDIR]`). Only public module APIs are used.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CapturePoint, type CaptureSource, capture } from "../captures/capture-point.js";
import type { CountersSnapshot } from "../netdev/counters.js";
import { Tap, VmNic } from "../netdev/index.js";
import type { Simulator } from "../sim/index.js";
import { formatIpv4, formatMac, type Ipv4, MAC_BROADCAST, type Mac } from "../wire/addr.js";
import { ArpOperation, ArpPacket, type ArpRepr, arpBufferLen, emitArp, parseArp } from "../wire/arp.js";
import { ETHERNET_HEADER_LEN, EthernetFrame, EtherType, emitEthernet } from "../wire/ethernet.js";
import { emitIcmpv4, Icmpv4Packet, type Icmpv4Repr, icmpv4BufferLen, parseIcmpv4 } from "../wire/icmpv4.js";
import {
  emitIpv4,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
  ipv4BufferLen,
  ipv4HeaderLen,
  parseIpv4,
} from "../wire/ipv4.js";
import { pseudoV4 } from "../wire/l4-checksum.js";
import { emitUdp, UdpPacket, type UdpRepr, udpBufferLen } from "../wire/udp.js";

/** What every example's `run()` returns. */
export interface ExampleResult {
  /** The example's name (its file name without extension; also the name of the pcapng it writes). */
  readonly name: string;
  /** One classic pcap (Ethernet, µs, simulated time from 2026-01-01T00:00:00Z) per captured port, by port name. */
  readonly captures: ReadonlyMap<string, Uint8Array>;
  /** The same ports in one pcapng file, one interface per port (if_name = the port's name). */
  readonly pcapng: Uint8Array;
  /** Linux-like counters of every captured port, by port name. */
  readonly counters: ReadonlyMap<string, CountersSnapshot>;
  /** A short text report of what happened. */
  readonly report: string;
  /** Files written (when `outDir` was given). */
  readonly files: readonly string[];
}

export interface ExampleOptions {
  /** Seed of the simulator (default 1). */
  readonly seed?: number;
  /** When given, `NAME.pcapng` is written into this folder (created if missing). */
  readonly outDir?: string;
}

// ---------------------------------------------------------------------------------------------------
// Captures: one pcap per port and one pcapng over all of them.

interface Captured {
  readonly source: CaptureSource & { readonly counters: { snapshot(): CountersSnapshot } };
  readonly pcap: CapturePoint;
}

/** Per-port capture points of one simulator; `result()` closes them and returns the bytes. */
export class Captures {
  readonly #ports: Captured[] = [];
  readonly #all: CapturePoint;

  constructor(first: CaptureSource & { readonly counters: { snapshot(): CountersSnapshot } }) {
    this.#all = capture(first, { format: "pcapng" });
    this.#ports.push({ source: first, pcap: capture(first) });
  }

  /** Captures `source` (a Port, a Tap, …) both ways, into its own pcap and into the shared pcapng. */
  add(source: CaptureSource & { readonly counters: { snapshot(): CountersSnapshot } }): this {
    if (this.#ports.some((p) => p.source.name === source.name))
      throw new Error(`capture: two ports named ${source.name}`);
    this.#all.add(source);
    this.#ports.push({ source, pcap: capture(source) });
    return this;
  }

  /** Counters of every captured port now, by port name (in the order the ports were added). */
  counters(): Map<string, CountersSnapshot> {
    const counters = new Map<string, CountersSnapshot>();
    for (const p of this.#ports) counters.set(p.source.name, p.source.counters.snapshot());
    return counters;
  }

  /** Closes the capture points and builds the result (writing NAME.pcapng into `outDir` if given). */
  result(name: string, report: string, outDir: string | undefined): ExampleResult {
    const captures = new Map<string, Uint8Array>();
    const counters = this.counters();
    for (const p of this.#ports) {
      p.pcap.close();
      captures.set(p.source.name, p.pcap.bytes());
    }
    this.#all.close();
    const pcapng = this.#all.bytes();
    const files: string[] = [];
    if (outDir !== undefined) {
      mkdirSync(outDir, { recursive: true });
      const f = join(outDir, `${name}.pcapng`);
      writeFileSync(f, pcapng);
      files.push(f);
    }
    return { name, captures, pcapng, counters, report, files };
  }
}

/** The counters of some ports as a table like `ip -s link` in brief (one line per port). */
export function formatCounters(counters: ReadonlyMap<string, CountersSnapshot>): string {
  const w = Math.max(4, ...[...counters.keys()].map((k) => k.length));
  const lines = [`${"port".padEnd(w)}  rx-pkts rx-bytes rx-drop  tx-pkts tx-bytes tx-drop  drops by reason`];
  for (const [name, c] of counters) {
    const reasons = Object.entries(c.dropReasons)
      .map(([r, n]) => `${r}=${n}`)
      .join(" ");
    lines.push(
      `${name.padEnd(w)}  ${String(c.rxPackets).padStart(7)} ${String(c.rxBytes).padStart(8)} ${String(c.rxDropped).padStart(7)}  ${String(c.txPackets).padStart(7)} ${String(c.txBytes).padStart(8)} ${String(c.txDropped).padStart(7)}  ${reasons}`.trimEnd(),
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Frames, built with the wire/ emitters.

const EMPTY = new Uint8Array(0);

/** An Ethernet II frame, zero-padded to the 60-byte minimum as a NIC pads it. */
export function ether(dst: Mac, src: Mac, etherType: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(Math.max(ETHERNET_HEADER_LEN + payload.byteLength, 60));
  emitEthernet({ dst, src, etherType }, EthernetFrame.unchecked(b));
  b.set(payload, ETHERNET_HEADER_LEN);
  return b;
}

export function arpPayload(r: ArpRepr): Uint8Array {
  const b = new Uint8Array(arpBufferLen(r));
  emitArp(r, ArpPacket.unchecked(b));
  return b;
}

export function ipv4Packet(
  src: Ipv4,
  dst: Ipv4,
  protocol: number,
  ident: number,
  payload: Uint8Array,
): Uint8Array {
  const r: Ipv4Repr = {
    dscp: 0,
    ecn: 0,
    ident,
    reservedFlag: false,
    dontFrag: true,
    moreFrags: false,
    fragOffset: 0,
    ttl: 64,
    protocol,
    src,
    dst,
    options: EMPTY,
    payloadLen: payload.byteLength,
  };
  const b = new Uint8Array(ipv4BufferLen(r));
  emitIpv4(r, Ipv4Packet.unchecked(b));
  b.set(payload, ipv4HeaderLen(r));
  return b;
}

export function icmpPayload(r: Icmpv4Repr): Uint8Array {
  const b = new Uint8Array(icmpv4BufferLen(r));
  emitIcmpv4(r, Icmpv4Packet.unchecked(b));
  return b;
}

export function udpPayload(
  src: Ipv4,
  dst: Ipv4,
  srcPort: number,
  dstPort: number,
  data: Uint8Array,
): Uint8Array {
  const r: UdpRepr = { srcPort, dstPort, payload: data };
  const b = new Uint8Array(udpBufferLen(r));
  emitUdp(r, UdpPacket.unchecked(b), pseudoV4(src, dst));
  return b;
}

/** 56 data bytes as iputils ping lays them out after its timestamp: 0x08, 0x09, … */
function pingData(): Uint8Array {
  const d = new Uint8Array(56);
  for (let i = 0; i < d.length; i++) d[i] = (i + 8) & 0xff;
  return d;
}

// ---------------------------------------------------------------------------------------------------
// A hand-driven VM: NIC + TAP, one IPv4 address, answers ARP who-has and ICMP echo requests.

/** One frame a VM sent: when, what (a tcpdump-like one-liner), and the bytes. */
export interface SentFrame {
  readonly time: number;
  readonly from: string;
  readonly what: string;
  readonly frame: Uint8Array;
}

/** A UDP datagram a VM received: when and its payload. */
export interface UdpReceived {
  readonly time: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly data: Uint8Array;
}

/**
 * A VM for examples: a `VmNic` attached to a `Tap` (connect `tap.port` to a bridge or a link). It has
 * one IPv4 address and a neighbour table; it answers ARP requests for its address and ICMP echo
 * requests, learns from ARP replies, and logs what it sends into a shared list. Not an IP stack: no
 * routing, no fragments, no retries (the `ip/` module is that).
 */
export class ExampleVm {
  readonly nic: VmNic;
  readonly tap: Tap;
  /** IPv4 → MAC, as `ip neigh` (entries never expire here). */
  readonly neighbours = new Map<Ipv4, Mac>();
  readonly udpReceived: UdpReceived[] = [];
  #ident = 0;

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    readonly ip: Ipv4,
    readonly log: SentFrame[],
    opts: { mac?: Mac; tapName?: string } = {},
  ) {
    this.nic = new VmNic(sim, name, opts.mac !== undefined ? { mac: opts.mac } : {});
    this.tap = new Tap(sim, opts.tapName ?? `${name}-tap`);
    this.nic.attach(this.tap);
    this.nic.onReceive((f) => this.#receive(f));
  }

  get mac(): Mac {
    return this.nic.mac;
  }

  #send(what: string, frame: Uint8Array): void {
    this.log.push({ time: this.sim.now, from: this.name, what, frame });
    this.nic.send(frame);
  }

  /** Broadcasts ARP who-has `ip`. */
  arpRequest(ip: Ipv4): void {
    const p = arpPayload({
      operation: ArpOperation.Request,
      sha: this.mac,
      spa: this.ip,
      tha: 0 as Mac,
      tpa: ip,
    });
    this.#send(
      `ARP who-has ${formatIpv4(ip)} tell ${formatIpv4(this.ip)}`,
      ether(MAC_BROADCAST, this.mac, EtherType.ARP, p),
    );
  }

  /** Sends ICMP echo request `seq` to `ip` (its MAC must be in `neighbours`). */
  ping(ip: Ipv4, seq: number): void {
    const mac = this.#neighbour(ip);
    const icmp = icmpPayload({ kind: "echo-request", code: 0, ident: 0x1000, seq, data: pingData() });
    const pkt = ipv4Packet(this.ip, ip, IpProtocol.ICMP, this.#nextIdent(), icmp);
    this.#send(
      `ICMP echo request ${formatIpv4(this.ip)} > ${formatIpv4(ip)} seq ${seq}`,
      ether(mac, this.mac, EtherType.IPv4, pkt),
    );
  }

  /** Sends one UDP datagram to `ip` (its MAC must be in `neighbours`); `log` false keeps it out of the log. */
  sendUdp(ip: Ipv4, srcPort: number, dstPort: number, data: Uint8Array, log = true): void {
    const mac = this.#neighbour(ip);
    const pkt = ipv4Packet(
      this.ip,
      ip,
      IpProtocol.UDP,
      this.#nextIdent(),
      udpPayload(this.ip, ip, srcPort, dstPort, data),
    );
    const frame = ether(mac, this.mac, EtherType.IPv4, pkt);
    if (log) this.#send(`UDP ${formatIpv4(this.ip)}.${srcPort} > ${formatIpv4(ip)}.${dstPort}`, frame);
    else this.nic.send(frame);
  }

  #neighbour(ip: Ipv4): Mac {
    const mac = this.neighbours.get(ip);
    if (mac === undefined) throw new Error(`${this.name}: no neighbour entry for ${formatIpv4(ip)}`);
    return mac;
  }

  #nextIdent(): number {
    this.#ident = (this.#ident + 1) & 0xffff;
    return this.#ident;
  }

  #receive(frame: Uint8Array): void {
    // Frames from the examples' own VMs only: anything malformed is simply ignored.
    try {
      const eth = EthernetFrame.checked(frame);
      if (eth.etherType === EtherType.ARP) this.#arp(parseArp(ArpPacket.checked(eth.payload)));
      else if (eth.etherType === EtherType.IPv4) this.#ipv4(eth.payload);
    } catch {
      // not for this toy VM
    }
  }

  #arp(r: ArpRepr): void {
    if (r.operation === ArpOperation.Reply) {
      this.neighbours.set(r.spa, r.sha);
      return;
    }
    if (r.operation !== ArpOperation.Request || r.tpa !== this.ip) return;
    this.neighbours.set(r.spa, r.sha); // as Linux: a request for us creates the sender's entry
    const p = arpPayload({
      operation: ArpOperation.Reply,
      sha: this.mac,
      spa: this.ip,
      tha: r.sha,
      tpa: r.spa,
    });
    this.#send(
      `ARP reply ${formatIpv4(this.ip)} is-at ${formatMac(this.mac)}`,
      ether(r.sha, this.mac, EtherType.ARP, p),
    );
  }

  #ipv4(bytes: Uint8Array): void {
    const pkt = Ipv4Packet.checked(bytes);
    const ip = parseIpv4(pkt);
    if (ip.dst !== this.ip) return;
    const payload = pkt.payload;
    if (ip.protocol === IpProtocol.ICMP) {
      const icmp = parseIcmpv4(Icmpv4Packet.checked(payload));
      if (icmp.kind !== "echo-request") return;
      const mac = this.neighbours.get(ip.src);
      if (mac === undefined) return;
      const reply = icmpPayload({ ...icmp, kind: "echo-reply" });
      this.#send(
        `ICMP echo reply ${formatIpv4(this.ip)} > ${formatIpv4(ip.src)} seq ${icmp.seq}`,
        ether(
          mac,
          this.mac,
          EtherType.IPv4,
          ipv4Packet(this.ip, ip.src, IpProtocol.ICMP, this.#nextIdent(), reply),
        ),
      );
    } else if (ip.protocol === IpProtocol.UDP) {
      const u = UdpPacket.checked(payload);
      this.udpReceived.push({ time: this.sim.now, srcPort: u.srcPort, dstPort: u.dstPort, data: u.payload });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Who saw which frame.

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A sent frame and the ports it reached. */
export interface Delivery {
  readonly time: number;
  readonly from: string;
  readonly what: string;
  /** Names of the watched ports that received this frame (bytes equal), in port order. */
  readonly seenOn: readonly string[];
}

/**
 * Watches ports for frames arriving from the network ("in"); `deliveries(log)` says, for each frame a
 * VM sent, which watched ports received it byte for byte.
 */
export class DeliveryWatch {
  readonly #seen = new Map<string, Uint8Array[]>();

  watch(source: CaptureSource): this {
    const list: Uint8Array[] = [];
    this.#seen.set(source.name, list);
    source.observe((frame, dir) => {
      if (dir === "in") list.push(frame);
    });
    return this;
  }

  deliveries(log: readonly SentFrame[]): Delivery[] {
    return log.map((s) => ({
      time: s.time,
      from: s.from,
      what: s.what,
      seenOn: [...this.#seen]
        .filter(([, frames]) => frames.some((f) => sameBytes(f, s.frame)))
        .map(([n]) => n),
    }));
  }
}

/** Simulated ns as seconds with 6 decimals. */
export function secs(t: number): string {
  return (t / 1e9).toFixed(6);
}

/** One line per delivery: `t=… from what -> ports`. */
export function formatDeliveries(ds: readonly Delivery[]): string {
  return ds
    .map(
      (d) =>
        `t=${secs(d.time)} ${d.from}: ${d.what} -> ${d.seenOn.length ? d.seenOn.join(", ") : "(nobody)"}`,
    )
    .join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Script entry point.

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const arg = process.argv[1];
  return arg !== undefined && resolve(arg) === fileURLToPath(metaUrl);
}

/** `node dist/examples/NAME.js [OUTDIR]`: runs the example, writes NAME.pcapng into OUTDIR (default "."), prints the report. */
export function main(run: (opts: ExampleOptions) => ExampleResult): void {
  const outDir = process.argv[2] ?? ".";
  const r = run({ outDir });
  process.stdout.write(`${r.report}\n\nwrote ${r.files.join(", ")}\n`);
}

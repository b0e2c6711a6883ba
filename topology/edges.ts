/**
 * Edges: the one way a frame enters the simulated network from outside it.
 *
 * An edge is a named node port (`vm1.eth0`, `host.uplink`, …). A frame injected at an edge is handed to
 * that port's device as if the device had transmitted it (a VM's NIC sending it: counted as the NIC's
 * tx, seen by its capture, checked against its MTU and link state), and then crosses the link and the
 * bridge like any other frame. `vnet replay CAPTURE --into vm1.eth0` injects a capture's frames this way
 * (tcpreplay into an interface); attach/ (real VMs) will feed what arrives from its sockets through the
 * same door.
 *
 * Every injection is recorded: one pcapng file, one interface per edge (`if_name` = the edge name,
 * Ethernet), nanosecond timestamps = the simulated time of the injection on the capture epoch that
 * captures/ uses (2026-01-01T00:00:00Z = time 0). Replaying that recording into the same topology with
 * the same seed reproduces the run exactly: `vnet replay RUN-DIR`. Frames a device refuses (above its
 * MTU, link down) are recorded too: they were offered, and the replay offers them again.
 *
 * Ordering: injections are simulator events at their time, scheduled one after the other (the next is
 * queued when the previous runs), so two runs that schedule the same frames at the same point of their
 * construction execute them in the same order relative to everything else.
 */
import { readFileSync } from "node:fs";
import { CAPTURE_EPOCH_SEC } from "../captures/capture-point.js";
import { readCaptureBytes } from "../captures/reader.js";
import { LinkType } from "../captures/record.js";
import { PcapngWriter } from "../captures/writer.js";
import type { Simulator } from "../sim/simulator.js";
import { MAX_TIME, type SimTime } from "../sim/time.js";
import type { Network } from "./build.js";
import { didYouMean } from "./schema.js";

/** One frame to inject at an edge at a simulated time. */
export interface EdgeFrame {
  /** The edge's name (`vm1.eth0`). */
  readonly edge: string;
  /** Simulated time (ns) of the injection. */
  readonly at: SimTime;
  /** The whole Ethernet frame (never written to afterwards). */
  readonly frame: Uint8Array;
}

/** Hands a frame to the edge's device; false when the device dropped it (and counted why). */
export type EdgeInjector = (frame: Uint8Array) => boolean;

/** Per-edge totals. */
export interface EdgeStats {
  /** Frames injected (offered to the device). */
  injected: number;
  /** Of those, frames the device refused (MTU, link down, malformed): see the device's counters. */
  dropped: number;
  bytes: number;
}

/** A bad edge name, an unusable edge recording. */
export class EdgeError extends Error {
  override readonly name = "EdgeError";
}

/** `vm1:eth0` → `vm1.eth0` (node and interface names never hold a dot or a colon). */
export function normaliseEdgeName(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : `${name.slice(0, i)}.${name.slice(i + 1)}`;
}

/**
 * The edge `name` (`NODE.PORT` or `NODE:PORT`) among `known`, or an EdgeError with the nearest name
 * ("did you mean") and the list. A bare node name with ports suggests its first port.
 */
export function resolveEdgeName(name: string, known: readonly string[]): string {
  const n = normaliseEdgeName(name);
  if (known.includes(n)) return n;
  const ofNode = known.filter((k) => k.startsWith(`${n}.`));
  const near = ofNode[0] ?? didYouMean(n, known);
  throw new EdgeError(
    `unknown edge ${JSON.stringify(name)}${near ? ` (did you mean "${near}"?)` : ""}; edges (NODE.PORT): ${known.join(", ")}`,
  );
}

export interface EdgesOptions {
  /** Record into this pcapng file (created or truncated); default: in memory, see `bytes()`. */
  readonly path?: string;
}

interface Edge {
  readonly name: string;
  readonly inject: EdgeInjector;
  readonly iface: number;
  readonly stats: EdgeStats;
}

/**
 * The edges of one simulation and their recording. `add` registers an edge (and its interface in the
 * recording); `inject` injects now; `schedule` injects a list of frames at their times.
 */
export class Edges {
  readonly #sim: Simulator;
  readonly #edges = new Map<string, Edge>();
  readonly #writer: PcapngWriter & { bytes?(): Uint8Array };
  #queue: readonly EdgeFrame[] = [];
  #next = 0;
  #closed = false;
  readonly #fire = (): void => this.#fireNext();

  constructor(sim: Simulator, opts: EdgesOptions = {}) {
    this.#sim = sim;
    const o = { nano: true, application: "vnet (edge recording)" };
    this.#writer = opts.path ? PcapngWriter.toFile(opts.path, o) : PcapngWriter.inMemory(o);
  }

  /** Registers an edge; its interface is added to the recording (in `add` order). */
  add(name: string, inject: EdgeInjector): void {
    if (this.#edges.has(name)) throw new EdgeError(`edge ${name} already exists`);
    if (this.#closed) throw new EdgeError("the edge recording is closed");
    const iface = this.#writer.addInterface({ linkType: LinkType.ETHERNET, name });
    this.#edges.set(name, { name, inject, iface, stats: { injected: 0, dropped: 0, bytes: 0 } });
  }

  /** Edge names, in `add` order. */
  get names(): string[] {
    return [...this.#edges.keys()];
  }

  has(name: string): boolean {
    return this.#edges.has(name);
  }

  /** The edge `name` (`NODE.PORT` or `NODE:PORT`) or an EdgeError with "did you mean". */
  resolve(name: string): string {
    return resolveEdgeName(name, this.names);
  }

  stats(name: string): EdgeStats {
    const e = this.#edges.get(name);
    if (!e) throw new EdgeError(`no edge ${name}`);
    return { ...e.stats };
  }

  /** Frames recorded (injected) so far, all edges. */
  get recorded(): number {
    return this.#writer.recordCount;
  }

  /** Frames scheduled with `schedule` that have not been injected yet. */
  get pending(): number {
    return this.#queue.length - this.#next;
  }

  /**
   * Injects `frame` at `edge` now: records it, then hands it to the device. Returns the device's
   * answer (false: dropped and counted there). After `close()` nothing is injected.
   */
  inject(edge: string, frame: Uint8Array): boolean {
    const e = this.#edges.get(edge);
    if (!e) throw new EdgeError(`no edge ${edge}`);
    if (this.#closed) return false;
    const now = this.#sim.now;
    const sec = Math.floor(now / 1e9);
    this.#writer.write({
      tsSec: CAPTURE_EPOCH_SEC + sec,
      tsFrac: now - sec * 1e9,
      fracDigits: 9,
      origLen: frame.byteLength,
      data: frame,
      iface: e.iface,
    });
    e.stats.injected++;
    e.stats.bytes += frame.byteLength;
    const ok = e.inject(frame);
    if (!ok) e.stats.dropped++;
    return ok;
  }

  /**
   * Injects `frames` at their times, in list order (times must not decrease; a time before now means
   * now). Every edge must exist (EdgeError otherwise, before anything is scheduled). One list at a
   * time: scheduling again while frames are pending is an EdgeError.
   */
  schedule(frames: readonly EdgeFrame[]): void {
    let prev = this.#sim.now;
    for (const [i, f] of frames.entries()) {
      if (!this.#edges.has(f.edge)) throw new EdgeError(`frame ${i + 1}: no edge ${f.edge}`);
      if (!Number.isInteger(f.at) || f.at < prev)
        throw new EdgeError(`frame ${i + 1}: time ${f.at} is before the previous frame's (${prev})`);
      prev = f.at;
    }
    if (this.pending > 0) throw new EdgeError(`${this.pending} scheduled frames are still pending`);
    this.#queue = frames;
    this.#next = 0;
    this.#arm();
  }

  #arm(): void {
    if (this.#next >= this.#queue.length) return;
    const at = Math.max(this.#queue[this.#next].at, this.#sim.now);
    if (at > MAX_TIME) return;
    this.#sim.at(at, this.#fire);
  }

  #fireNext(): void {
    const f = this.#queue[this.#next++];
    if (f === undefined) return;
    this.inject(f.edge, f.frame);
    this.#arm();
  }

  /** The recording so far (in-memory recordings only). */
  bytes(): Uint8Array {
    if (!this.#writer.bytes) throw new EdgeError("the edge recording is written to a file: read the file");
    return this.#writer.bytes();
  }

  /** Closes the recording; later injections do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close();
  }
}

/**
 * The edges of a built topology: every node port, in the network's port order, injecting through the
 * node's NIC (as if the NIC had sent the frame).
 */
export function networkEdges(net: Network, opts: EdgesOptions = {}): Edges {
  const edges = new Edges(net.sim, opts);
  for (const p of net.ports.values()) {
    const nic = p.nic.nic;
    edges.add(p.name, (frame) => nic.send(frame));
  }
  return edges;
}

/** An edge recording read back: its edges (interface names, in file order) and its frames, in order. */
export interface EdgeRecording {
  readonly edges: readonly string[];
  readonly frames: readonly EdgeFrame[];
}

/**
 * Reads an edge recording (pcapng written by `Edges`, or any pcap/pcapng whose interfaces are named
 * after edges): frames with their simulated times (timestamp − the capture epoch). Throws
 * CaptureError for a malformed file, EdgeError for one that is not an edge recording (an unnamed or
 * non-Ethernet interface, a time before the epoch).
 */
export function readEdgeRecording(bytes: Uint8Array, name: string): EdgeRecording {
  const reader = readCaptureBytes(bytes, name);
  const frames: EdgeFrame[] = [];
  const names = (): string[] => reader.header.interfaces.map((i) => i.name ?? "");
  for (let rec = reader.next(); rec !== null; rec = reader.next()) {
    const info = reader.header.interfaces[rec.iface];
    const edge = info?.name;
    if (!edge) throw new EdgeError(`${name}: interface ${rec.iface} has no name (if_name = the edge)`);
    if (rec.linkType !== LinkType.ETHERNET)
      throw new EdgeError(`${name}: interface ${edge} has link type ${rec.linkType}, not Ethernet (1)`);
    const at = (rec.tsSec - CAPTURE_EPOCH_SEC) * 1e9 + fracToNs(rec.tsFrac, rec.fracDigits);
    if (!Number.isSafeInteger(at) || at < 0)
      throw new EdgeError(`${name}: frame ${frames.length + 1} is stamped before simulated time 0`);
    frames.push({ edge, at, frame: rec.data.slice() });
  }
  for (const [i, n] of names().entries())
    if (!n) throw new EdgeError(`${name}: interface ${i} has no name (if_name = the edge)`);
  return { edges: names(), frames };
}

/** `readEdgeRecording` of a file. */
export function loadEdgeRecording(path: string): EdgeRecording {
  return readEdgeRecording(readFileSync(path), path);
}

/** A fraction of a second in units of 10^-digits, as whole ns (truncating finer resolutions). */
export function fracToNs(frac: number, digits: number): number {
  return digits <= 9 ? frac * 10 ** (9 - digits) : Math.floor(frac / 10 ** (digits - 9));
}

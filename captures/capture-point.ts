/**
 * Capture points: record what a port, a link or a device sends and receives into a pcap or pcapng
 * file, stamped with the simulator's clock so two runs of the same scenario give identical files.
 *
 * Timestamps: a fixed, documented epoch, `CAPTURE_EPOCH_SEC` = 2026-01-01T00:00:00Z (1767225600 s since
 * the Unix epoch), plus the simulated time. Microsecond files truncate the nanosecond clock.
 *
 * Files: pcap has one link type for the whole file (Ethernet for Ethernet ports, LINKTYPE_RAW for IP
 * ports such as a TUN), so every source of a pcap capture point must be of one kind; pcapng gets one
 * interface per source (if_name = the source's name, link type from its kind), so a link's two ends
 * are told apart. Every record is written whole as it happens (see writer.ts), so a file left by an
 * interrupted run is readable up to the last frame.
 *
 * Depends only on the port interface (`observe`) and the writers: captures/ sits beside netdev/.
 */
import type { Link } from "../netdev/link.js";
import type { Direction, PortKind } from "../netdev/port.js";
import type { Simulator } from "../sim/simulator.js";
import { PcapngWriter, PcapWriter, type WritableRecord } from "./writer.js";

/** 2026-01-01T00:00:00Z in seconds since the Unix epoch: simulated time 0 in every capture file. */
export const CAPTURE_EPOCH_SEC = 1767225600;

/** LINKTYPE_* for a port kind: Ethernet frames, or bare IP packets (LINKTYPE_RAW, as tcpdump on tun0). */
export function linkTypeOf(kind: PortKind): number {
  return kind === "ethernet" ? 1 : 101;
}

/** Anything with a name, a kind and `observe`: a `Port`, a `Tap`, a `Tun`, a `VmNic`. */
export interface CaptureSource {
  readonly name: string;
  readonly kind: PortKind;
  readonly sim: Simulator;
  observe(o: (frame: Uint8Array, dir: Direction) => void): () => void;
}

/** Which frames of a source to record. */
export type CaptureDirection = Direction | "both";

export interface CaptureOptions {
  /** "pcap" (default) or "pcapng". */
  readonly format?: "pcap" | "pcapng";
  /** Nanosecond timestamps (pcap magic 0xa1b23c4d, pcapng if_tsresol 9); default microseconds. */
  readonly nano?: boolean;
  /** Write to this file (created or truncated); default: in memory, read with `bytes()`. */
  readonly path?: string;
  /** Snapshot length (default 262144 for pcap, no limit for pcapng). */
  readonly snaplen?: number;
}

interface MutableRecord {
  tsSec: number;
  tsFrac: number;
  fracDigits: number;
  origLen: number;
  data: Uint8Array;
  iface: number;
}

/** A capture point: one file, any number of sources. Close it to detach and close the file. */
export class CapturePoint {
  readonly format: "pcap" | "pcapng";
  readonly #sim: Simulator;
  #pcap: (PcapWriter & { bytes?(): Uint8Array }) | null = null;
  readonly #pcapng: (PcapngWriter & { bytes?(): Uint8Array }) | null = null;
  readonly #opts: CaptureOptions;
  #kind: PortKind | null = null;
  #detach: (() => void)[] = [];
  #closed = false;
  readonly #rec: MutableRecord = {
    tsSec: 0,
    tsFrac: 0,
    fracDigits: 9,
    origLen: 0,
    data: new Uint8Array(0),
    iface: 0,
  };

  constructor(sim: Simulator, opts: CaptureOptions & { readonly kind?: PortKind } = {}) {
    this.#sim = sim;
    this.#opts = opts;
    this.format = opts.format ?? "pcap";
    if (this.format === "pcapng") {
      const o = { nano: opts.nano ?? false };
      this.#pcapng = opts.path ? PcapngWriter.toFile(opts.path, o) : PcapngWriter.inMemory(o);
    } else {
      // pcap writes its link type in the file header: known from the first source, or given.
      if (opts.kind) this.#pcap = this.#openPcap(opts.kind);
    }
  }

  #openPcap(kind: PortKind): PcapWriter & { bytes?(): Uint8Array } {
    this.#kind = kind;
    const o = { linkType: linkTypeOf(kind), nano: this.#opts.nano ?? false, snaplen: this.#opts.snaplen };
    return this.#opts.path ? PcapWriter.toFile(this.#opts.path, o) : PcapWriter.inMemory(o);
  }

  /** Records `direction` ("both" by default) of `source` from now on. */
  add(source: CaptureSource, direction: CaptureDirection = "both"): this {
    if (this.#closed) throw new Error("capture point is closed");
    if (source.sim !== this.#sim)
      throw new Error(`capture point: ${source.name} belongs to another simulator`);
    let iface = 0;
    if (this.#pcapng) {
      iface = this.#pcapng.addInterface({
        linkType: linkTypeOf(source.kind),
        name: source.name,
        ...(this.#opts.snaplen !== undefined ? { snaplen: this.#opts.snaplen } : {}),
      });
    } else if (this.#pcap === null) {
      this.#pcap = this.#openPcap(source.kind);
    } else if (this.#kind !== source.kind) {
      throw new Error(
        `capture point: ${source.name} carries ${source.kind} frames but this pcap file is ${this.#kind}; use format "pcapng"`,
      );
    }
    const write = (frame: Uint8Array, dir: Direction): void => {
      if (direction === "both" || direction === dir) this.#write(frame, iface);
    };
    this.#detach.push(source.observe(write));
    return this;
  }

  /** Records both ends of a link (each end both ways: pcapng shows them as two interfaces). */
  addLink(link: Link, direction: CaptureDirection = "both"): this {
    return this.add(link.a, direction).add(link.b, direction);
  }

  #write(frame: Uint8Array, iface: number): void {
    const now = this.#sim.now;
    const sec = Math.floor(now / 1e9);
    const r = this.#rec;
    r.tsSec = CAPTURE_EPOCH_SEC + sec;
    r.tsFrac = now - sec * 1e9;
    r.origLen = frame.byteLength;
    r.data = frame;
    r.iface = iface;
    const w: { write(rec: WritableRecord): void } | null = this.#pcapng ?? this.#pcap;
    w?.write(r);
    r.data = EMPTY;
  }

  /** Records written so far. */
  get recordCount(): number {
    return (this.#pcapng ?? this.#pcap)?.recordCount ?? 0;
  }

  /** The file so far (in-memory capture points only; a pcap point with no source yet has no header). */
  bytes(): Uint8Array {
    const w = this.#pcapng ?? this.#pcap;
    if (!w) return new Uint8Array(0);
    if (!w.bytes) throw new Error(`capture point writes to ${this.#opts.path}: read the file`);
    return w.bytes();
  }

  /** Stops observing every source and closes the file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#detach) d();
    this.#detach = [];
    (this.#pcapng ?? this.#pcap)?.close();
  }
}

const EMPTY = new Uint8Array(0);

/** A capture point on one or more sources (ports, TAPs, TUNs, NICs), both directions. */
export function capture(
  sources: CaptureSource | readonly CaptureSource[],
  opts: CaptureOptions = {},
): CapturePoint {
  const list = Array.isArray(sources) ? (sources as readonly CaptureSource[]) : [sources as CaptureSource];
  if (list.length === 0) throw new Error("capture: no source given");
  const cp = new CapturePoint(list[0].sim, opts);
  for (const s of list) cp.add(s);
  return cp;
}

/** A capture point on both ends of a link. */
export function captureLink(link: Link, opts: CaptureOptions = {}): CapturePoint {
  return new CapturePoint(link.sim, opts).addLink(link);
}

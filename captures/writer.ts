/**
 * pcap and pcapng writers.
 *
 * Crash safety: the file header (pcap) or SHB + IDB (pcapng) is written when the writer is created,
 * and every record is built whole in a scratch buffer and handed to the OS with one `writeSync` (looped
 * until complete) before `write()` returns. Nothing is buffered in the process, so a file cut by a
 * crash or a kill holds every record whose `write()` returned, and at most one partial record after
 * them, which readers report as "truncated dump file" after delivering the whole ones.
 *
 * Both writers also have an in-memory variant (`inMemory`) whose `bytes()` returns the file so far.
 * Files are written little-endian.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from "./pcap.js";
import { BlockType, BYTE_ORDER_MAGIC, IdbOption } from "./pcapng.js";
import type { CaptureRecord } from "./record.js";

/** What a writer needs from a record (a `CaptureRecord` is one). */
export type WritableRecord = Pick<CaptureRecord, "tsSec" | "tsFrac" | "fracDigits" | "origLen" | "data"> & {
  readonly iface?: number;
};

interface Sink {
  write(b: Uint8Array): void;
  close(): void;
}

class FdSink implements Sink {
  #fd: number | null;
  constructor(
    fd: number,
    readonly owned: boolean,
  ) {
    this.#fd = fd;
  }
  write(b: Uint8Array): void {
    if (this.#fd === null) throw new Error("capture writer is closed");
    let off = 0;
    while (off < b.byteLength) off += writeSync(this.#fd, b, off, b.byteLength - off);
  }
  close(): void {
    if (this.#fd !== null && this.owned) closeSync(this.#fd);
    this.#fd = null;
  }
}

class MemorySink implements Sink {
  #buf = new Uint8Array(4096);
  #len = 0;
  write(b: Uint8Array): void {
    if (this.#len + b.byteLength > this.#buf.byteLength) {
      const bigger = new Uint8Array(Math.max(this.#buf.byteLength * 2, this.#len + b.byteLength));
      bigger.set(this.#buf.subarray(0, this.#len));
      this.#buf = bigger;
    }
    this.#buf.set(b, this.#len);
    this.#len += b.byteLength;
  }
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
  close(): void {}
}

/** A scratch buffer reused for every record (grown when a record is bigger). */
class Scratch {
  buf = new Uint8Array(65536 + 64);
  dv = new DataView(this.buf.buffer);
  fit(n: number): void {
    if (n > this.buf.byteLength) {
      this.buf = new Uint8Array(n);
      this.dv = new DataView(this.buf.buffer);
    }
  }
}

const TWO32 = 4294967296;

/** Scales a fraction from `from` to `to` decimal digits (truncating when it loses digits). */
function scaleFrac(frac: number, from: number, to: number): number {
  if (from === to) return frac;
  return from < to ? frac * 10 ** (to - from) : Math.floor(frac / 10 ** (from - to));
}

/**
 * Writes `sec * 10^digits + frac` as pcapng's two 32-bit halves (high, low) at `off`, exactly:
 * the fast path splits the product into 16-bit pieces so every intermediate is an exact double.
 */
function setTimestamp64(dv: DataView, off: number, sec: number, frac: number, digits: number): void {
  const u = 10 ** digits;
  if (sec >= 0 && sec < TWO32 && frac >= 0 && frac < TWO32) {
    const sh = Math.floor(sec / 65536);
    const sl = sec - sh * 65536;
    const x = sh * u; // < 2^46
    let hi = Math.floor(x / 65536);
    const low = (x - hi * 65536) * 65536 + sl * u + frac; // < 2^48
    const carry = Math.floor(low / TWO32);
    hi += carry;
    dv.setUint32(off, hi, true);
    dv.setUint32(off + 4, low - carry * TWO32, true);
    return;
  }
  const t = BigInt.asUintN(64, BigInt(Math.trunc(sec)) * BigInt(u) + BigInt(Math.trunc(frac)));
  dv.setUint32(off, Number(t >> 32n), true);
  dv.setUint32(off + 4, Number(t & 0xffffffffn), true);
}

export interface PcapWriterOptions {
  /** LINKTYPE_* written in the header (may carry FCS bits 26-31). */
  readonly linkType: number;
  /** Snapshot length in the header (default 262144); longer records are cut to it. */
  readonly snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds. */
  readonly nano?: boolean;
}

/** Classic pcap writer (version 2.4, little-endian). */
export class PcapWriter {
  readonly #sink: Sink;
  readonly #digits: number;
  readonly snaplen: number;
  readonly #s = new Scratch();
  #count = 0;

  private constructor(sink: Sink, opts: PcapWriterOptions) {
    this.#sink = sink;
    this.#digits = opts.nano ? 9 : 6;
    this.snaplen = opts.snaplen ?? 262144;
    const h = new Uint8Array(24);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, opts.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, this.snaplen, true);
    dv.setUint32(20, opts.linkType >>> 0, true);
    sink.write(h);
  }

  /** Creates (truncates) `path` and writes the file header. */
  static toFile(path: string, opts: PcapWriterOptions): PcapWriter {
    return new PcapWriter(new FdSink(openSync(path, "w"), true), opts);
  }
  /** Writes to an open file descriptor (not closed by `close()`). */
  static toFd(fd: number, opts: PcapWriterOptions): PcapWriter {
    return new PcapWriter(new FdSink(fd, false), opts);
  }
  static inMemory(opts: PcapWriterOptions): PcapWriter & { bytes(): Uint8Array } {
    const sink = new MemorySink();
    const w = new PcapWriter(sink, opts) as PcapWriter & { bytes(): Uint8Array };
    w.bytes = () => sink.bytes();
    return w;
  }

  get recordCount(): number {
    return this.#count;
  }

  /** Appends one record (timestamps converted to the file's resolution; same resolution kept raw). */
  write(rec: WritableRecord): void {
    const caplen = Math.min(rec.data.byteLength, this.snaplen);
    const s = this.#s;
    s.fit(16 + caplen);
    const dv = s.dv;
    dv.setUint32(0, rec.tsSec >>> 0, true);
    dv.setUint32(4, scaleFrac(rec.tsFrac, rec.fracDigits, this.#digits) >>> 0, true);
    dv.setUint32(8, caplen, true);
    dv.setUint32(12, rec.origLen >>> 0, true);
    s.buf.set(caplen === rec.data.byteLength ? rec.data : rec.data.subarray(0, caplen), 16);
    this.#sink.write(s.buf.subarray(0, 16 + caplen));
    this.#count++;
  }

  close(): void {
    this.#sink.close();
  }
}

export interface PcapngInterfaceSpec {
  readonly linkType: number;
  /** IDB snaplen (default 0 = no limit). */
  readonly snaplen?: number;
  readonly name?: string;
  readonly description?: string;
}

export interface PcapngWriterOptions {
  readonly interfaces?: readonly PcapngInterfaceSpec[];
  /** if_tsresol = 9 (nanoseconds) on every IDB; default microseconds (no if_tsresol option). */
  readonly nano?: boolean;
  /** shb_userappl (default "vnet"). */
  readonly application?: string;
}

const utf8 = new TextEncoder();

function optionLen(v: Uint8Array | undefined): number {
  return v === undefined ? 0 : 4 + ((v.byteLength + 3) & ~3);
}

function putOption(buf: Uint8Array, dv: DataView, off: number, code: number, v: Uint8Array): number {
  dv.setUint16(off, code, true);
  dv.setUint16(off + 2, v.byteLength, true);
  buf.set(v, off + 4);
  return off + 4 + ((v.byteLength + 3) & ~3);
}

/** pcapng writer: one little-endian section, one IDB per interface, one EPB per record. */
export class PcapngWriter {
  readonly #sink: Sink;
  readonly #digits: number;
  readonly #snaplens: number[] = [];
  readonly #s = new Scratch();
  #count = 0;

  private constructor(sink: Sink, opts: PcapngWriterOptions) {
    this.#sink = sink;
    this.#digits = opts.nano ? 9 : 6;
    const app = utf8.encode(opts.application ?? "vnet");
    const len = 28 + optionLen(app) + 4;
    const b = new Uint8Array(len);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, BlockType.SHB, true);
    dv.setUint32(4, len, true);
    dv.setUint32(8, BYTE_ORDER_MAGIC, true);
    dv.setUint16(12, 1, true);
    dv.setUint16(14, 0, true);
    dv.setInt32(16, -1, true); // section length unknown (-1 as 64 bits)
    dv.setInt32(20, -1, true);
    const o = putOption(b, dv, 24, 4 /* shb_userappl */, app);
    dv.setUint32(o, 0, true); // opt_endofopt
    dv.setUint32(len - 4, len, true);
    sink.write(b);
    for (const i of opts.interfaces ?? []) this.addInterface(i);
  }

  static toFile(path: string, opts: PcapngWriterOptions = {}): PcapngWriter {
    return new PcapngWriter(new FdSink(openSync(path, "w"), true), opts);
  }
  static toFd(fd: number, opts: PcapngWriterOptions = {}): PcapngWriter {
    return new PcapngWriter(new FdSink(fd, false), opts);
  }
  static inMemory(opts: PcapngWriterOptions = {}): PcapngWriter & { bytes(): Uint8Array } {
    const sink = new MemorySink();
    const w = new PcapngWriter(sink, opts) as PcapngWriter & { bytes(): Uint8Array };
    w.bytes = () => sink.bytes();
    return w;
  }

  get interfaceCount(): number {
    return this.#snaplens.length;
  }
  get recordCount(): number {
    return this.#count;
  }

  /** Writes an IDB; returns the interface index records refer to with `iface`. */
  addInterface(spec: PcapngInterfaceSpec): number {
    const name = spec.name !== undefined ? utf8.encode(spec.name) : undefined;
    const desc = spec.description !== undefined ? utf8.encode(spec.description) : undefined;
    const resol = this.#digits === 9 ? Uint8Array.of(9) : undefined;
    const opts = optionLen(name) + optionLen(desc) + optionLen(resol);
    const len = 20 + opts + (opts > 0 ? 4 : 0);
    const b = new Uint8Array(len);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, BlockType.IDB, true);
    dv.setUint32(4, len, true);
    dv.setUint16(8, spec.linkType & 0xffff, true);
    const snaplen = spec.snaplen ?? 0;
    dv.setUint32(12, snaplen, true);
    let o = 16;
    if (name) o = putOption(b, dv, o, IdbOption.NAME, name);
    if (desc) o = putOption(b, dv, o, IdbOption.DESCRIPTION, desc);
    if (resol) o = putOption(b, dv, o, IdbOption.TSRESOL, resol);
    if (opts > 0) dv.setUint32(o, 0, true);
    dv.setUint32(len - 4, len, true);
    this.#sink.write(b);
    this.#snaplens.push(snaplen);
    return this.#snaplens.length - 1;
  }

  /** Appends one EPB for `rec.iface` (default 0), which must have been added. */
  write(rec: WritableRecord): void {
    const iface = rec.iface ?? 0;
    const snaplen = this.#snaplens[iface];
    if (snaplen === undefined) {
      throw new RangeError(
        `pcapng writer: record for interface ${iface}, but only ${this.#snaplens.length} added`,
      );
    }
    const caplen = snaplen !== 0 && rec.data.byteLength > snaplen ? snaplen : rec.data.byteLength;
    const padded = (caplen + 3) & ~3;
    const len = 32 + padded;
    const s = this.#s;
    s.fit(len);
    const dv = s.dv;
    dv.setUint32(0, BlockType.EPB, true);
    dv.setUint32(4, len, true);
    dv.setUint32(8, iface, true);
    setTimestamp64(dv, 12, rec.tsSec, scaleFrac(rec.tsFrac, rec.fracDigits, this.#digits), this.#digits);
    dv.setUint32(20, caplen, true);
    dv.setUint32(24, rec.origLen >>> 0, true);
    s.buf.set(caplen === rec.data.byteLength ? rec.data : rec.data.subarray(0, caplen), 28);
    s.buf.fill(0, 28 + caplen, 28 + padded);
    dv.setUint32(28 + padded, len, true);
    this.#sink.write(s.buf.subarray(0, len));
    this.#count++;
  }

  close(): void {
    this.#sink.close();
  }
}

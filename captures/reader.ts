/**
 * One streaming entry point for capture files: sniffs pcap (all four magics) or pcapng and returns a
 * reader that yields `CaptureRecord`s one at a time.
 *
 * Streaming: a file is read with `fs.readSync` into one chunk buffer (1 MiB); records are views into
 * that chunk (`data` is a `subarray`, valid until the next record). Bytes are copied only when a
 * record straddles the end of the chunk (the tail moves to the front before the next read), so memory
 * stays constant for a file of any size. The chunk grows only to hold one whole record or block, whose
 * size is capped first (262144 bytes for pcap records, as libpcap; 16 MiB for pcapng blocks).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { CaptureError } from "./errors.js";
import { PcapReader } from "./pcap.js";
import { PcapngReader } from "./pcapng.js";
import type { CaptureRecord } from "./record.js";

export type CaptureFormat = "pcap" | "pcapng";
export type ByteOrder = "LE" | "BE";

/** One capture interface: the single pseudo-interface of a pcap file, or one pcapng IDB. */
export interface InterfaceInfo {
  /** Index in file order (the `iface` of its records). */
  readonly index: number;
  /** pcapng section number (0-based); 0 for pcap. */
  readonly section: number;
  /** Interface id inside its section (what EPBs refer to); 0 for pcap. */
  readonly localId: number;
  /** LINKTYPE_* (low 16 bits). */
  readonly linkType: number;
  /** Snapshot length (pcap: as libpcap adjusts it; pcapng: the IDB field, 0 = no limit). */
  readonly snaplen: number;
  /** Decimal digits of the fraction the records of this interface carry (6, 9, …). */
  readonly fracDigits: number;
  /** pcapng if_tsresol byte as written (6 when absent); pcap: 6 or 9. */
  readonly tsresol: number;
  /** pcapng if_tsoffset in seconds (0 when absent). */
  readonly tsOffset: number;
  readonly name?: string;
  readonly description?: string;
}

export interface CaptureHeader {
  readonly format: CaptureFormat;
  /** pcap: the file's; pcapng: the first section's (later sections may differ). */
  readonly byteOrder: ByteOrder;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /**
   * Interfaces seen so far. pcap has exactly one. For pcapng the list is live: the reader reads the
   * blocks up to the first packet block when it opens, and appends later IDBs as it meets them.
   */
  readonly interfaces: readonly InterfaceInfo[];
  /** The first interface's link type (-1 for a pcapng file with no IDB before its first packet). */
  readonly linkType: number;
  /** The first interface's snapshot length (0 when there is none). */
  readonly snaplen: number;
  /** pcap only: the raw 32-bit link-type field (FCS bits 26-31 included). */
  readonly linkTypeField?: number;
}

export interface CaptureReader extends Iterable<CaptureRecord> {
  readonly header: CaptureHeader;
  /** The next record, or null at the end. Throws CaptureError once on a malformed/truncated file. */
  next(): CaptureRecord | null;
  /** File offset of the next unread byte. */
  readonly offset: number;
  /** Releases the file descriptor (also done at end of file and on error). */
  close(): void;
}

/** Default read size: large enough that the per-chunk syscall cost vanishes. */
export const CHUNK_SIZE = 1 << 20;

/**
 * A byte window over a file or an in-memory buffer. `buf[pos..end)` holds unread bytes, `base` is
 * the file offset of `buf[0]`. `ensure(n)` refills so at least `n` bytes are available and answers
 * how many are (fewer than `n` only at end of input): the "need more bytes" side of the error split.
 */
export class ByteSource {
  buf: Uint8Array;
  dv: DataView;
  pos = 0;
  end: number;
  base = 0;
  eof: boolean;
  #fd: number | null;
  readonly #chunk: number;

  private constructor(
    readonly name: string,
    buf: Uint8Array,
    end: number,
    fd: number | null,
    chunk: number,
  ) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = end;
    this.#fd = fd;
    this.eof = fd === null;
    this.#chunk = chunk;
  }

  static fromBytes(bytes: Uint8Array, name: string): ByteSource {
    return new ByteSource(name, bytes, bytes.byteLength, null, 0);
  }

  static fromFile(path: string, chunk = CHUNK_SIZE): ByteSource {
    const fd = openSync(path, "r");
    return new ByteSource(path, new Uint8Array(chunk), 0, fd, chunk);
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  ensure(n: number): number {
    const have = this.end - this.pos;
    if (have >= n || this.eof) return have;
    return this.#refill(n);
  }

  #refill(n: number): number {
    const fd = this.#fd as number;
    let buf = this.buf;
    const have = this.end - this.pos;
    if (n > buf.byteLength) {
      // One record/block bigger than the chunk (its size was capped by the caller): grow once.
      const bigger = new Uint8Array(Math.max(n, this.#chunk));
      bigger.set(buf.subarray(this.pos, this.end));
      buf = bigger;
      this.buf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.base += this.pos;
      this.pos = 0;
      this.end = have;
    } else if (this.pos + n > buf.byteLength) {
      // The record straddles the chunk end: move the tail to the front (the only copy).
      buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.pos = 0;
      this.end = have;
    }
    while (this.end - this.pos < n) {
      const got = readSync(fd, buf, this.end, buf.byteLength - this.end, null);
      if (got === 0) {
        this.eof = true;
        this.close();
        break;
      }
      this.end += got;
    }
    return this.end - this.pos;
  }

  close(): void {
    if (this.#fd !== null) {
      const fd = this.#fd;
      this.#fd = null;
      this.eof = true;
      closeSync(fd);
    }
  }
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1]);
const PCAPNG_MAGIC = 0x0a0d0d0a;

function openSource(src: ByteSource): CaptureReader {
  try {
    const have = src.ensure(4);
    if (have < 4) {
      throw new CaptureError(
        src.name,
        0,
        `truncated dump file; tried to read 4 file header bytes, only got ${have}`,
      );
    }
    const magic = src.dv.getUint32(src.pos, false);
    if (PCAP_MAGICS.has(magic)) return PcapReader.open(src);
    if (magic === PCAPNG_MAGIC) return PcapngReader.open(src);
    throw new CaptureError(src.name, 0, "unknown file format");
  } catch (e) {
    src.close();
    throw e;
  }
}

/**
 * Opens a capture file (pcap or pcapng, sniffed from its first bytes). Throws CaptureError for a file
 * that is not a capture or whose header is malformed; the OS error (ENOENT, …) for one that cannot be
 * opened.
 */
export function openCapture(path: string, options: { chunkSize?: number } = {}): CaptureReader {
  return openSource(ByteSource.fromFile(path, options.chunkSize ?? CHUNK_SIZE));
}

/** The same reader over bytes already in memory (records are views into `bytes`; nothing is copied). */
export function readCaptureBytes(bytes: Uint8Array, name = "<memory>"): CaptureReader {
  return openSource(ByteSource.fromBytes(bytes, name));
}

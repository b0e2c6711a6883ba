/**
 * Classic pcap ("libpcap savefile") reader, following libpcap 1.10.3's `sf-pcap.c` rule for rule:
 *
 * - magic 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns), in either byte order;
 * - version: major < 2 → "archaic pcap savefile format"; anything but 2.4 → "unsupported pcap
 *   savefile version X.Y" (libpcap also reads 2.0–2.3 with swapped length fields; vnet does not);
 * - link-type field: bits 0-15 link type, 16-25 reserved, 26-31 FCS information. Reserved bits set
 *   are rejected ("savefile linktype reserved field not zero (0x…)", libpcap master's check): libpcap
 *   1.10.3 accepts such a file and tcpdump then stops with "unknown data link type"; failing at open
 *   with the reason is the clearer of the two;
 * - snaplen 0 or > INT_MAX → the link type's maximum (262144 for most);
 * - caplen > that maximum → "invalid packet capture length N, bigger than snaplen of S" (or "…
 *   bigger than maximum of M" when the header snaplen is larger); caplen > snaplen otherwise → the
 *   whole record is consumed and `data` is cut to snaplen;
 * - a file cut inside a record → the records before it, then "truncated dump file; tried to read
 *   16 header bytes, only got N" / "… N captured bytes, only got M".
 *
 * Timestamps are delivered raw: tsSec as the signed 32-bit field (libpcap's `bpf_int32`), tsFrac as
 * the unsigned 32-bit field, never normalised.
 */
import { CaptureError } from "./errors.js";
import type { ByteSource, CaptureHeader, CaptureReader, InterfaceInfo } from "./reader.js";
import type { CaptureRecord } from "./record.js";
import { recordIterator } from "./record-iterator.js";

export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;

/** libpcap's `max_snaplen_for_dlt`: the largest caplen it considers sane for a link type. */
export function maxSnaplenForLinkType(linkType: number): number {
  switch (linkType) {
    case 231: // DBUS
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    case 249: // USBPCAP
      return 1024 * 1024;
    default:
      return 262144;
  }
}

/** libpcap's `pcap_adjust_snapshot`: 0 or "negative" (> INT_MAX) means the link type's maximum. */
export function adjustSnaplen(linkType: number, snaplen: number): number {
  return snaplen === 0 || snaplen > 0x7fffffff ? maxSnaplenForLinkType(linkType) : snaplen;
}

/**
 * The record `PcapReader.nextShared` reuses: a `CaptureRecord` whose fields change on every call.
 * The captured bytes are `frame[frameStart, frameStart + caplen)`; `data` makes that view on first
 * use per record.
 */
export class PcapRecordView implements CaptureRecord {
  tsSec = 0;
  tsFrac = 0;
  origLen = 0;
  readonly iface = 0;
  frame: Uint8Array = new Uint8Array(0);
  frameStart = 0;
  caplen = 0;
  #data: Uint8Array | null = null;

  constructor(
    readonly fracDigits: number,
    readonly linkType: number,
  ) {}

  set(
    tsSec: number,
    tsFrac: number,
    origLen: number,
    frame: Uint8Array,
    start: number,
    caplen: number,
  ): void {
    this.tsSec = tsSec;
    this.tsFrac = tsFrac;
    this.origLen = origLen;
    this.frame = frame;
    this.frameStart = start;
    this.caplen = caplen;
    this.#data = null;
  }

  get data(): Uint8Array {
    let d = this.#data;
    if (d === null) {
      d = this.frame.subarray(this.frameStart, this.frameStart + this.caplen);
      this.#data = d;
    }
    return d;
  }
}

export class PcapReader implements CaptureReader {
  readonly header: CaptureHeader;
  readonly #src: ByteSource;
  readonly #le: boolean;
  readonly #snaplen: number;
  readonly #max: number;
  readonly #fracDigits: number;
  readonly #linkType: number;
  #done = false;
  /** The record `nextShared` fills in place (created on first use). */
  #shared: PcapRecordView | null = null;

  private constructor(src: ByteSource, header: CaptureHeader, le: boolean, fracDigits: number) {
    this.#src = src;
    this.header = header;
    this.#le = le;
    this.#snaplen = header.snaplen;
    this.#linkType = header.linkType;
    this.#max = maxSnaplenForLinkType(header.linkType);
    this.#fracDigits = fracDigits;
  }

  /** Parses the 24-byte file header at the source's position (the magic was already sniffed). */
  static open(src: ByteSource): PcapReader {
    const have = src.ensure(PCAP_FILE_HEADER_LEN);
    if (have < PCAP_FILE_HEADER_LEN) {
      // libpcap counts what it got after the 4 magic bytes it had already read.
      throw new CaptureError(
        src.name,
        src.offset,
        `truncated dump file; tried to read 24 file header bytes, only got ${have - 4}`,
      );
    }
    const dv = src.dv;
    const p = src.pos;
    const be = dv.getUint32(p, false);
    const le = be !== PCAP_MAGIC_US && be !== PCAP_MAGIC_NS;
    const magic = dv.getUint32(p, le);
    const major = dv.getUint16(p + 4, le);
    const minor = dv.getUint16(p + 6, le);
    if (major < 2) throw new CaptureError(src.name, src.offset + 4, "archaic pcap savefile format");
    if (major !== 2 || minor !== 4) {
      throw new CaptureError(src.name, src.offset + 4, `unsupported pcap savefile version ${major}.${minor}`);
    }
    const rawSnap = dv.getUint32(p + 16, le);
    const field = dv.getUint32(p + 20, le);
    if ((field & 0x03ff0000) !== 0) {
      throw new CaptureError(
        src.name,
        src.offset + 20,
        `savefile linktype reserved field not zero (0x${field.toString(16).padStart(8, "0")})`,
      );
    }
    const linkType = field & 0xffff;
    const snaplen = adjustSnaplen(linkType, rawSnap);
    const fracDigits = magic === PCAP_MAGIC_NS ? 9 : 6;
    const iface: InterfaceInfo = {
      index: 0,
      section: 0,
      localId: 0,
      linkType,
      snaplen,
      fracDigits,
      tsresol: fracDigits,
      tsOffset: 0,
    };
    const header: CaptureHeader = {
      format: "pcap",
      byteOrder: le ? "LE" : "BE",
      versionMajor: major,
      versionMinor: minor,
      interfaces: [iface],
      linkType,
      snaplen,
      linkTypeField: field,
    };
    src.pos = p + PCAP_FILE_HEADER_LEN;
    return new PcapReader(src, header, le, fracDigits);
  }

  get offset(): number {
    return this.#src.offset;
  }

  next(): CaptureRecord | null {
    return this.#read(false);
  }

  /**
   * Like `next`, but every call returns the same record object, filled in place: it (and its
   * `data`) is valid only until the next call. For streaming consumers that keep nothing (`vnet
   * inspect`), it saves an object and a view per record; `frame`/`frameStart`/`caplen` give the
   * captured bytes without creating a view at all.
   */
  nextShared(): PcapRecordView | null {
    return this.#read(true) as PcapRecordView | null;
  }

  #read(shared: boolean): CaptureRecord | null {
    if (this.#done) return null;
    const s = this.#src;
    let p = s.pos;
    if (s.end - p < PCAP_RECORD_HEADER_LEN) {
      const have = s.ensure(PCAP_RECORD_HEADER_LEN);
      if (have < PCAP_RECORD_HEADER_LEN) {
        if (have === 0) {
          this.close();
          return null;
        }
        this.#fail(s.offset, `truncated dump file; tried to read 16 header bytes, only got ${have}`);
      }
      p = s.pos;
    }
    const le = this.#le;
    let dv = s.dv;
    const caplen = dv.getUint32(p + 8, le);
    const snap = this.#snaplen;
    if (caplen > this.#max) {
      this.#fail(
        s.offset,
        caplen > snap
          ? `invalid packet capture length ${caplen}, bigger than snaplen of ${snap}`
          : `invalid packet capture length ${caplen}, bigger than maximum of ${this.#max}`,
      );
    }
    const need = PCAP_RECORD_HEADER_LEN + caplen;
    if (s.end - p < need) {
      const have = s.ensure(need);
      if (have < need) {
        const got = have - PCAP_RECORD_HEADER_LEN;
        // libpcap reads snaplen bytes first when caplen > snaplen, and words the error after that read.
        const tried = caplen > snap && got < snap ? snap : caplen;
        this.#fail(s.offset, `truncated dump file; tried to read ${tried} captured bytes, only got ${got}`);
      }
      p = s.pos;
      dv = s.dv;
    }
    const start = p + PCAP_RECORD_HEADER_LEN;
    s.pos = p + need;
    if (shared) {
      let r = this.#shared;
      if (r === null) {
        r = new PcapRecordView(this.#fracDigits, this.#linkType);
        this.#shared = r;
      }
      r.set(
        dv.getInt32(p, le),
        dv.getUint32(p + 4, le),
        dv.getUint32(p + 12, le),
        s.buf,
        start,
        Math.min(caplen, snap),
      );
      return r;
    }
    return {
      tsSec: dv.getInt32(p, le),
      tsFrac: dv.getUint32(p + 4, le),
      fracDigits: this.#fracDigits,
      linkType: this.#linkType,
      iface: 0,
      origLen: dv.getUint32(p + 12, le),
      data: s.buf.subarray(start, start + Math.min(caplen, snap)),
    };
  }

  [Symbol.iterator](): Iterator<CaptureRecord> {
    return recordIterator(() => this.next());
  }

  close(): void {
    this.#done = true;
    this.#src.close();
  }

  #fail(offset: number, reason: string): never {
    this.close();
    throw new CaptureError(this.#src.name, offset, reason);
  }
}

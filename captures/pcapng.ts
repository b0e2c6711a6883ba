/**
 * pcapng reader (draft-ietf-opsawg-pcapng; error wording from libpcap 1.10.3 `sf-pcapng.c`, with
 * libpcap master's numbers in the trailer-mismatch message).
 *
 * - Sections: every SHB (version 1.0 only) sets the byte order of the blocks after it and starts a new
 *   set of interface ids. Several sections per file, each in either byte order.
 * - IDB: link type, snaplen, options if_name, if_description, if_tsresol (10^-n and 2^-n), if_tsoffset.
 * - Packets: EPB, SPB (interface 0 of the section; caplen = min(origLen, block room, IDB snaplen)),
 *   obsolete PB (type 2). A record's `iface` is the interface's index in file order (all sections
 *   together, see `header.interfaces`, whose entries keep `section` and `localId`), so that an
 *   interface stays one identity when records from several sections are written to one file.
 * - Skipped: NRB, ISB, custom blocks (0x00000BAD, 0x40000BAD), any unknown type.
 * - Block lengths: < 12, not a multiple of 4, > 16 MiB, header ≠ trailer, all fatal with libpcap's
 *   words; the length is checked before any bytes are buffered, so a hostile length cannot make the
 *   reader allocate more than 16 MiB.
 * - Like libpcap, a file whose end or first packet block comes before any IDB is refused at open
 *   ("the capture file has no Interface Description Blocks"). Unlike libpcap 1.10.3, interfaces may
 *   differ in link type and snaplen (each record carries its own); a later section without IDBs is
 *   fine until a packet block refers to an interface it lacks.
 *
 * Timestamps: decimal resolutions up to 10^-9 are delivered raw (fracDigits = n); finer decimal ones
 * are cut to nanoseconds, binary ones (2^-n) converted to the nearest decimal resolution (at most 9
 * digits). if_tsoffset is added to tsSec. SPBs have no timestamp: tsSec = tsFrac = 0 (as libpcap).
 */
import { CaptureError } from "./errors.js";
import type { ByteOrder, ByteSource, CaptureHeader, CaptureReader, InterfaceInfo } from "./reader.js";
import type { CaptureRecord } from "./record.js";
import { recordIterator } from "./record-iterator.js";

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 1,
  PB: 2,
  SPB: 3,
  NRB: 4,
  ISB: 5,
  EPB: 6,
  CB: 0x00000bad,
  DCB: 0x40000bad,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** libpcap's INITIAL_MAX_BLOCKSIZE: no block may be larger. */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024;
/** libpcap's BT_SHB_INSANE_MAX. */
export const MAX_SHB_SIZE = 1024 * 1024;
const SHB_MIN = 28;

export const IdbOption = {
  END: 0,
  COMMENT: 1,
  NAME: 2,
  DESCRIPTION: 3,
  TSRESOL: 9,
  TSOFFSET: 14,
} as const;

interface Iface {
  readonly info: InterfaceInfo;
  readonly snaplen: number;
  readonly linkType: number;
  readonly fracDigits: number;
  /** Units per second when the fast path applies (decimal resolution, 10^0..10^9), else 0. */
  readonly units: number;
  /** Slow path: divide the raw count by `pre`, then split by 2^shift (binary) or 10^digits. */
  readonly pre: bigint;
  readonly binShift: number;
  readonly tsOffset: number;
}

class PcapngHeader implements CaptureHeader {
  readonly format = "pcapng" as const;
  readonly interfaces: InterfaceInfo[] = [];
  constructor(
    readonly byteOrder: ByteOrder,
    readonly versionMajor: number,
    readonly versionMinor: number,
  ) {}
  get linkType(): number {
    return this.interfaces.length > 0 ? this.interfaces[0].linkType : -1;
  }
  get snaplen(): number {
    return this.interfaces.length > 0 ? this.interfaces[0].snaplen : 0;
  }
}

const utf8 = new TextDecoder("utf-8");
const TWO32 = 4294967296;

export class PcapngReader implements CaptureReader {
  readonly header: CaptureHeader;
  readonly #hdr: PcapngHeader;
  readonly #src: ByteSource;
  #le = true;
  #section = -1;
  #ifaces: Iface[] = [];
  #done = false;
  #priming = false;
  #sec = 0;
  #frac = 0;

  private constructor(src: ByteSource, hdr: PcapngHeader, le: boolean) {
    this.#src = src;
    this.#hdr = hdr;
    this.header = hdr;
    this.#le = le;
  }

  /** Reads the first SHB and every block up to the first packet block (so the IDBs are known). */
  static open(src: ByteSource): PcapngReader {
    const have = src.ensure(12);
    const p = src.pos;
    const bom = have >= 12 ? src.dv.getUint32(p + 8, true) : 0;
    if (bom !== BYTE_ORDER_MAGIC && bom !== 0x4d3c2b1a) {
      // libpcap: not recognisably pcapng (too short or no byte-order magic).
      throw new CaptureError(src.name, 0, "unknown file format");
    }
    const le = bom === BYTE_ORDER_MAGIC;
    const dv = src.dv;
    const r = new PcapngReader(
      src,
      new PcapngHeader(
        le ? "LE" : "BE",
        have >= 16 ? dv.getUint16(p + 12, le) : 0,
        have >= 16 ? dv.getUint16(p + 14, le) : 0,
      ),
      le,
    );
    r.#priming = true;
    try {
      r.next();
    } finally {
      r.#priming = false;
    }
    // libpcap refuses, at open, a file whose first packet (or end) comes before any IDB.
    if (r.#hdr.interfaces.length === 0) {
      r.#fail(
        src.offset,
        src.end - src.pos === 0
          ? "the capture file has no Interface Description Blocks"
          : "the capture file has a packet block before any Interface Description Blocks",
      );
    }
    return r;
  }

  get offset(): number {
    return this.#src.offset;
  }

  next(): CaptureRecord | null {
    if (this.#done) return null;
    const s = this.#src;
    for (;;) {
      let p = s.pos;
      if (s.end - p < 8) {
        const have = s.ensure(8);
        if (have === 0) {
          if (!this.#priming) this.close();
          return null;
        }
        if (have < 8)
          this.#fail(s.offset, `truncated pcapng dump file; tried to read 8 bytes, only got ${have}`);
        p = s.pos;
      }
      const type = s.dv.getUint32(p, this.#le);
      if (type === BlockType.SHB) {
        this.#readShb();
        continue;
      }
      if (this.#priming && (type === BlockType.EPB || type === BlockType.SPB || type === BlockType.PB)) {
        return null;
      }
      const le = this.#le;
      const len = s.dv.getUint32(p + 4, le);
      this.#checkLength(len, MAX_BLOCK_SIZE);
      if (s.end - p < len) {
        const have = s.ensure(len);
        if (have < len) {
          this.#fail(
            s.offset,
            `truncated pcapng dump file; tried to read ${len - 8} bytes, only got ${have - 8}`,
          );
        }
        p = s.pos;
      }
      const dv = s.dv;
      const trailer = dv.getUint32(p + len - 4, le);
      if (trailer !== len) {
        this.#fail(s.offset, `block total length in header ${len} and trailer ${trailer} don't match`);
      }
      switch (type) {
        case BlockType.EPB: {
          if (len < 32) this.#tooShort(type);
          const ifc = this.#iface(dv.getUint32(p + 8, le));
          return this.#packet(ifc, p, len, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le));
        }
        case BlockType.SPB: {
          if (len < 16) this.#tooShort(type);
          const ifc = this.#iface(0);
          const origLen = dv.getUint32(p + 8, le);
          let caplen = len - 16;
          if (origLen < caplen) caplen = origLen;
          if (ifc.snaplen !== 0 && caplen > ifc.snaplen) caplen = ifc.snaplen;
          s.pos = p + len;
          return {
            tsSec: 0,
            tsFrac: 0,
            fracDigits: ifc.fracDigits,
            linkType: ifc.linkType,
            iface: ifc.info.index,
            origLen,
            data: s.buf.subarray(p + 12, p + 12 + caplen),
          };
        }
        case BlockType.PB: {
          if (len < 32) this.#tooShort(type);
          const ifc = this.#iface(dv.getUint16(p + 8, le));
          return this.#packet(ifc, p, len, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le));
        }
        case BlockType.IDB:
          this.#readIdb(p, len);
          break;
        default:
          // NRB, ISB, custom blocks, and types this reader does not know: skipped whole.
          break;
      }
      s.pos = p + len;
    }
  }

  [Symbol.iterator](): Iterator<CaptureRecord> {
    return recordIterator(() => this.next());
  }

  close(): void {
    this.#done = true;
    this.#src.close();
  }

  /** EPB / PB: same layout from the timestamp on (caplen at +20, origLen at +24, data at +28). */
  #packet(ifc: Iface, p: number, len: number, hi: number, lo: number): CaptureRecord {
    const s = this.#src;
    const dv = s.dv;
    const le = this.#le;
    let caplen = dv.getUint32(p + 20, le);
    if (caplen > len - 32) this.#tooShort(dv.getUint32(p, le));
    if (ifc.snaplen !== 0 && caplen > ifc.snaplen) caplen = ifc.snaplen;
    this.#timestamp(ifc, hi, lo);
    s.pos = p + len;
    return {
      tsSec: this.#sec,
      tsFrac: this.#frac,
      fracDigits: ifc.fracDigits,
      linkType: ifc.linkType,
      iface: ifc.info.index,
      origLen: dv.getUint32(p + 24, le),
      data: s.buf.subarray(p + 28, p + 28 + caplen),
    };
  }

  #timestamp(ifc: Iface, hi: number, lo: number): void {
    const units = ifc.units;
    if (units !== 0 && hi < 0x200000) {
      // Exact in a double: hi * 2^32 + lo < 2^53.
      const t = hi * TWO32 + lo;
      let sec = Math.floor(t / units);
      let frac = t - sec * units;
      if (frac < 0) {
        sec -= 1;
        frac += units;
      } else if (frac >= units) {
        sec += 1;
        frac -= units;
      }
      this.#sec = sec + ifc.tsOffset;
      this.#frac = frac;
      return;
    }
    const t = ((BigInt(hi) << 32n) | BigInt(lo)) / ifc.pre;
    if (ifc.binShift >= 0) {
      const shift = BigInt(ifc.binShift);
      const frac = t & ((1n << shift) - 1n);
      this.#sec = Number(t >> shift) + ifc.tsOffset;
      this.#frac = Number((frac * 10n ** BigInt(ifc.fracDigits)) >> shift);
      return;
    }
    const perSec = 10n ** BigInt(ifc.fracDigits);
    this.#sec = Number(t / perSec) + ifc.tsOffset;
    this.#frac = Number(t % perSec);
  }

  #iface(localId: number): Iface {
    const ifc = this.#ifaces[localId];
    if (ifc === undefined) {
      this.#fail(
        this.#src.offset,
        `a packet arrived on interface ${localId}, but there's no Interface Description Block for that interface`,
      );
    }
    return ifc;
  }

  #readShb(): void {
    const s = this.#src;
    const first = this.#section < 0;
    // Type, length and byte-order magic come first; the length is read in the order the magic gives.
    let have = s.ensure(12);
    let p = s.pos;
    if (have < 12) {
      const len = s.dv.getUint32(p + 4, this.#le);
      this.#fail(
        s.offset,
        `truncated pcapng dump file; tried to read ${len - 8} bytes, only got ${have - 8}`,
      );
    }
    const bom = s.dv.getUint32(p + 8, true);
    if (bom !== BYTE_ORDER_MAGIC && bom !== 0x4d3c2b1a) {
      this.#fail(s.offset + 8, "the file has a section with a bad byte order magic field");
    }
    const le = bom === BYTE_ORDER_MAGIC;
    const len = s.dv.getUint32(p + 4, le);
    if (len < SHB_MIN || len > MAX_SHB_SIZE) {
      this.#fail(
        s.offset,
        `Section Header Block in pcapng dump file has invalid length ${SHB_MIN} < _${len}_ < ${MAX_SHB_SIZE} (BT_SHB_INSANE_MAX)`,
      );
    }
    this.#checkLength(len, MAX_SHB_SIZE);
    if (have < len) {
      have = s.ensure(len);
      p = s.pos;
      if (have < len) {
        // libpcap reads the first SHB as 12 + rest, later blocks as 8 + rest.
        const head = first ? 12 : 8;
        this.#fail(
          s.offset,
          `truncated pcapng dump file; tried to read ${len - head} bytes, only got ${have - head}`,
        );
      }
    }
    const dv = s.dv;
    const major = dv.getUint16(p + 12, le);
    const minor = dv.getUint16(p + 14, le);
    if (major !== 1 || minor !== 0) {
      this.#fail(s.offset + 12, `unsupported pcapng savefile version ${major}.${minor}`);
    }
    const trailer = dv.getUint32(p + len - 4, le);
    if (trailer !== len) {
      this.#fail(s.offset, `block total length in header ${len} and trailer ${trailer} don't match`);
    }
    this.#le = le;
    this.#section += 1;
    this.#ifaces = [];
    s.pos = p + len;
  }

  #readIdb(p: number, len: number): void {
    if (len < 20) this.#tooShort(BlockType.IDB);
    const s = this.#src;
    const dv = s.dv;
    const le = this.#le;
    const linkType = dv.getUint16(p + 8, le);
    const snaplen = dv.getUint32(p + 12, le);
    let name: string | undefined;
    let description: string | undefined;
    let tsresol = -1;
    let tsOffset = 0;
    const end = p + len - 4;
    let o = p + 16;
    while (o + 4 <= end) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === IdbOption.END) {
        if (olen !== 0) {
          this.#fail(
            s.base + o,
            `Interface Description Block has opt_endofopt option with length ${olen} != 0`,
          );
        }
        break;
      }
      const v = o + 4;
      if (v + olen > end) this.#tooShort(BlockType.IDB);
      switch (code) {
        case IdbOption.NAME:
          name = text(s.buf.subarray(v, v + olen));
          break;
        case IdbOption.DESCRIPTION:
          description = text(s.buf.subarray(v, v + olen));
          break;
        case IdbOption.TSRESOL: {
          if (tsresol >= 0) {
            this.#fail(s.base + o, "Interface Description Block has more than one if_tsresol option");
          }
          if (olen !== 1) {
            this.#fail(
              s.base + o,
              `Interface Description Block has if_tsresol option with length ${olen} != 1`,
            );
          }
          tsresol = s.buf[v];
          const n = tsresol & 0x7f;
          if (tsresol & 0x80 ? n > 63 : n > 19) {
            this.#fail(
              s.base + o,
              `Interface Description Block if_tsresol option resolution ${tsresol & 0x80 ? 2 : 10}^-${n} is too high`,
            );
          }
          break;
        }
        case IdbOption.TSOFFSET:
          if (olen !== 8) {
            this.#fail(
              s.base + o,
              `Interface Description Block has if_tsoffset option with length ${olen} != 8`,
            );
          }
          tsOffset = Number(dv.getBigInt64(v, le));
          break;
        default:
          break;
      }
      o = v + ((olen + 3) & ~3);
    }
    if (tsresol < 0) tsresol = 6;
    let fracDigits: number;
    let units = 0;
    let pre = 1n;
    let binShift = -1;
    if (tsresol & 0x80) {
      binShift = tsresol & 0x7f;
      fracDigits = Math.min(9, Math.round(binShift * Math.log10(2)));
    } else if (tsresol <= 9) {
      fracDigits = tsresol;
      units = 10 ** tsresol;
    } else {
      fracDigits = 9;
      pre = 10n ** BigInt(tsresol - 9);
    }
    const info: InterfaceInfo = {
      index: this.#hdr.interfaces.length,
      section: this.#section,
      localId: this.#ifaces.length,
      linkType,
      snaplen,
      fracDigits,
      tsresol,
      tsOffset,
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
    };
    this.#hdr.interfaces.push(info);
    this.#ifaces.push({ info, snaplen, linkType, fracDigits, units, pre, binShift, tsOffset });
  }

  #checkLength(len: number, max: number): void {
    const at = this.#src.offset;
    if (len < 12) this.#fail(at, `block in pcapng dump file has a length of ${len} < 12`);
    if (len % 4 !== 0)
      this.#fail(at, `block in pcapng dump file has a length of ${len} that is not a multiple of 4`);
    if (len > max) this.#fail(at, `pcapng block size ${len} > maximum ${max}`);
  }

  #tooShort(type: number): never {
    this.#fail(this.#src.offset, `block of type ${type} in pcapng dump file is too short`);
  }

  #fail(offset: number, reason: string): never {
    this.close();
    throw new CaptureError(this.#src.name, offset, reason);
  }
}

/** An option string: UTF-8, without the NUL padding some writers leave in the length. */
function text(b: Uint8Array): string {
  let n = b.byteLength;
  while (n > 0 && b[n - 1] === 0) n--;
  return utf8.decode(b.subarray(0, n));
}

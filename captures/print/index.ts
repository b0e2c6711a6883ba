/**
 * The tcpdump-style printer: formats capture records the way `TZ=GMT0 tcpdump -# -n -r FILE [opts]`
 * (tcpdump 4.99.3) prints them. One `TcpdumpPrinter` per file: it keeps TCP relative-sequence state
 * across records, as tcpdump does.
 */
import type { CaptureRecord } from "../record.js";
import { PrintContext, type PrintOptions, Truncated } from "./context.js";
import { linkPrint } from "./ether.js";
import { dataViewOf, FAST_LINE_MAX, fastEtherAt, putUint, putUintZero, putWord, word } from "./fast.js";
import { formatTimestamp, scaleFraction, type TimeFormat } from "./time.js";
import { asciiDump, hexAsciiDump, hexDump } from "./util.js";

export type { PrintOptions } from "./context.js";
export { PrintContext, Truncated } from "./context.js";
export { FAST_LINE_MAX } from "./fast.js";
export { formatTimestamp, type TimeFormat } from "./time.js";

export interface InspectOptions extends PrintOptions {
  /** -#: packet number in front of each packet (`%5u  `). */
  readonly number: boolean;
  /** "time": default `HH:MM:SS.ffffff`; "datetime": -tttt; "none": -t. */
  readonly time: TimeFormat;
  /** --nano: nine fraction digits. */
  readonly nano: boolean;
}

export const DEFAULT_INSPECT_OPTIONS: InspectOptions = {
  verbose: 0,
  linkHeader: false,
  quick: false,
  hex: 0,
  hexAscii: false,
  ascii: false,
  number: true,
  time: "time",
  nano: false,
};

/** libpcap's MAXIMUM_SNAPLEN. */
const MAXIMUM_SNAPLEN = 262144;

const decoder = new TextDecoder();

export class TcpdumpPrinter {
  readonly opts: InspectOptions;
  readonly #p: PrintContext;
  /** Whether the options allow the byte-level fast path (fast.ts): the defaults, any -t style, -#, --nano. */
  readonly #fastOpts: boolean;
  /** The timestamp text up to and including the "." for the second `#tsSec` (a `putWord` word, made once per second). */
  #tsSec = Number.NaN;
  #tsPrefix = word("");
  /** The same prefix as text, for the general path. */
  #tsTextSec = Number.NaN;
  #tsText = "";
  /** Scratch line for `format` when the fast path prints the record. */
  #scratch: Uint8Array | null = null;

  constructor(opts: Partial<InspectOptions> = {}) {
    this.opts = { ...DEFAULT_INSPECT_OPTIONS, ...opts };
    this.#p = new PrintContext(this.opts);
    const o = this.opts;
    this.#fastOpts = o.verbose === 0 && !o.linkHeader && !o.quick && o.hex === 0 && !o.hexAscii && !o.ascii;
  }

  /**
   * One record as tcpdump prints it: the packet number `n` (1-based), the timestamp, the decoded
   * packet, the -x/-X/-A dump, and a final newline (the result may hold several lines).
   */
  format(rec: CaptureRecord, n: number): string {
    if (this.#fastOpts) {
      this.#scratch ??= new Uint8Array(FAST_LINE_MAX);
      const end = this.formatInto(rec, n, this.#scratch, 0);
      // The fast path writes ASCII only, so any ASCII-compatible decoder gives the same text.
      if (end >= 0) return decoder.decode(this.#scratch.subarray(0, end));
    }
    return this.formatGeneral(rec, n);
  }

  /**
   * The fast path: writes `format(rec, n)`'s text as ASCII bytes into `buf` at `pos` and returns the
   * end, or returns -1 without writing anything that matters or changing any state when the record
   * needs the general printer (then call `format` or `formatGeneral`). `buf` must have at least
   * `FAST_LINE_MAX` bytes free from `pos`.
   */
  formatInto(rec: CaptureRecord, n: number, buf: Uint8Array, pos: number): number {
    const d = rec.data;
    return this.formatFrameInto(rec, d, 0, d.byteLength, n, buf, pos);
  }

  /**
   * `formatInto` with the record's captured bytes given as `frame[start, start + caplen)` instead of
   * `rec.data` (which is not read): a reader's reused record can hand its chunk without making a view.
   */
  formatFrameInto(
    rec: CaptureRecord,
    frame: Uint8Array,
    start: number,
    caplen: number,
    n: number,
    buf: Uint8Array,
    pos: number,
  ): number {
    if (!this.#fastOpts || rec.linkType !== 1) return -1;
    const len = rec.origLen;
    // Invalid record headers and timestamps tcpdump cannot convert: the general path words them.
    if (caplen === 0 || len < caplen || len > MAXIMUM_SNAPLEN || (rec.tsSec & 0x80000000) !== 0) return -1;
    const o = this.opts;
    if (o.number) {
      // `%5u  `
      for (let w = n < 10 ? 4 : n < 100 ? 3 : n < 1000 ? 2 : n < 10000 ? 1 : 0; w > 0; w--) buf[pos++] = 0x20;
      pos = putUint(buf, pos, n);
      buf[pos++] = 0x20;
      buf[pos++] = 0x20;
    }
    if (o.time !== "none") {
      if (rec.tsSec !== this.#tsSec) {
        // The part before the fraction changes once a second: format it with the general code, keep the bytes.
        const text = formatTimestamp(rec.tsSec, 0, 6, o.time, false);
        this.#tsPrefix = word(text.slice(0, text.length - 6));
        this.#tsSec = rec.tsSec;
      }
      pos = putWord(dataViewOf(buf), pos, this.#tsPrefix);
      const digits = o.nano ? 9 : 6;
      pos = putUintZero(buf, pos, scaleFraction(rec.tsFrac, rec.fracDigits, digits) >>> 0, digits);
      buf[pos++] = 0x20;
    }
    pos = fastEtherAt(this.#p, buf, pos, frame, start, caplen, len);
    if (pos < 0) return -1;
    buf[pos++] = 0x0a;
    return pos;
  }

  /** formatTimestamp for a record, with the part before the fraction kept per second (as in `formatInto`). */
  #timestamp(rec: CaptureRecord): string {
    const o = this.opts;
    if ((rec.tsSec & 0x80000000) !== 0)
      return formatTimestamp(rec.tsSec, rec.tsFrac, rec.fracDigits, o.time, o.nano);
    if (rec.tsSec !== this.#tsTextSec) {
      const text = formatTimestamp(rec.tsSec, 0, 6, o.time, false);
      this.#tsText = text.slice(0, text.length - 6);
      this.#tsTextSec = rec.tsSec;
    }
    const digits = o.nano ? 9 : 6;
    return (
      this.#tsText + String(scaleFraction(rec.tsFrac, rec.fracDigits, digits) >>> 0).padStart(digits, "0")
    );
  }

  /** `format` through the general printers only (what the fast path is tested against). */
  formatGeneral(rec: CaptureRecord, n: number): string {
    const p = this.#p;
    const o = this.opts;
    let head = o.number ? `${String(n).padStart(5)}  ` : "";
    const caplen = rec.data.byteLength;
    const len = rec.origLen;
    let invalid = "";
    if (caplen === 0) invalid = " caplen==0";
    if (len === 0) invalid += invalid ? ", len==0" : " len==0";
    else if (len < caplen) invalid += `${invalid ? "," : ""} len(${len}) < caplen(${caplen})`;
    if (caplen > MAXIMUM_SNAPLEN) invalid += `${invalid ? "," : ""} caplen(${caplen}) > ${MAXIMUM_SNAPLEN}`;
    if (len > MAXIMUM_SNAPLEN) invalid += `${invalid ? "," : ""} len(${len}) > ${MAXIMUM_SNAPLEN}`;
    if (invalid) return `${head}[Invalid header:${invalid}]\n`;
    if (o.time !== "none") head += `${this.#timestamp(rec)} `;
    p.out(head);
    p.proto = "";
    p.llHdrLen = 0;
    try {
      p.llHdrLen = linkPrint(p, rec.linkType, rec.data, len);
    } catch (e) {
      if (!(e instanceof Truncated)) throw e;
      p.trunc();
      p.llHdrLen = 0;
    }
    const hdr = p.llHdrLen;
    const d = rec.data;
    // -X / -XX (hexAscii, with hex 2 for -XX), -x / -xx (hex 1 / 2), -A.
    if (o.hexAscii) {
      if (o.hex === 2 || hdr === 0) p.out(hexAsciiDump(d, 0, caplen));
      else if (caplen > hdr) p.out(hexAsciiDump(d, hdr, caplen - hdr));
    } else if (o.hex) {
      if (o.hex === 2) p.out(hexDump(d, 0, caplen));
      else if (caplen > hdr) p.out(hexDump(d, hdr, caplen - hdr));
    } else if (o.ascii) {
      if (caplen > hdr) p.out(asciiDump(d, hdr, caplen - hdr));
    }
    p.out("\n");
    return p.take();
  }
}

/** Formats a whole sequence of records (numbered from 1) into tcpdump's output text. */
export function formatCapture(records: Iterable<CaptureRecord>, opts: Partial<InspectOptions> = {}): string {
  const printer = new TcpdumpPrinter(opts);
  let s = "";
  let n = 0;
  for (const r of records) s += printer.format(r, ++n);
  return s;
}

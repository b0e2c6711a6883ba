/**
 * The tcpdump-style printer: formats capture records the way `TZ=GMT0 tcpdump -# -n -r FILE [opts]`
 * (tcpdump 4.99.3) prints them. One `TcpdumpPrinter` per file: it keeps TCP relative-sequence state
 * across records, as tcpdump does.
 */
import type { CaptureRecord } from "../record.js";
import { PrintContext, type PrintOptions, Truncated } from "./context.js";
import { linkPrint } from "./ether.js";
import { formatTimestamp, type TimeFormat } from "./time.js";
import { asciiDump, hexAsciiDump, hexDump } from "./util.js";

export type { PrintOptions } from "./context.js";
export { PrintContext, Truncated } from "./context.js";
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

export class TcpdumpPrinter {
  readonly opts: InspectOptions;
  readonly #p: PrintContext;

  constructor(opts: Partial<InspectOptions> = {}) {
    this.opts = { ...DEFAULT_INSPECT_OPTIONS, ...opts };
    this.#p = new PrintContext(this.opts);
  }

  /**
   * One record as tcpdump prints it: the packet number `n` (1-based), the timestamp, the decoded
   * packet, the -x/-X/-A dump, and a final newline (the result may hold several lines).
   */
  format(rec: CaptureRecord, n: number): string {
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
    if (o.time !== "none")
      head += `${formatTimestamp(rec.tsSec, rec.tsFrac, rec.fracDigits, o.time, o.nano)} `;
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

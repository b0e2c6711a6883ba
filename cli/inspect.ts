import { CaptureError } from "../captures/errors.js";
import { compileFilter, type PacketFilter } from "../captures/filter.js";
import { PcapReader, PcapRecordView } from "../captures/pcap.js";
import { FAST_LINE_MAX, type InspectOptions, TcpdumpPrinter } from "../captures/print/index.js";
import { type CaptureReader, openCapture } from "../captures/reader.js";
import { CaptureStats, packetJson } from "../captures/stats.js";
import { summarize } from "../captures/summary.js";
import { checkInputFile, withPath } from "./files.js";
import type { Output } from "./output.js";

export interface InspectArgs {
  readonly file: string;
  readonly expression: string;
  readonly print: Partial<InspectOptions>;
  /** -c: stop after this many matching packets. */
  readonly count?: number;
  readonly stats: boolean;
  readonly json: boolean;
}

/** tcpdump's words for the link types vnet reads (pcap_datalink_val_to_name / _description). */
const LINK_NAMES: Record<number, string> = {
  0: "NULL (BSD loopback)",
  1: "EN10MB (Ethernet)",
  101: "RAW (Raw IP)",
  108: "LOOP (OpenBSD loopback)",
  113: "LINUX_SLL (Linux cooked v1)",
  228: "IPV4 (Raw IPv4)",
  229: "IPV6 (Raw IPv6)",
};

/**
 * `vnet inspect`: reads a capture as a stream and prints each matching packet the way tcpdump does
 * (or as JSON, or a statistics summary at the end). Packets before a fault in the file are printed;
 * the fault itself is thrown as a CaptureError for the caller to report.
 */
export function inspect(args: InspectArgs, out: Output, err: (line: string) => void): void {
  checkInputFile(args.file);
  withPath(args.file, () => inspectFile(args, out, err));
}

function inspectFile(args: InspectArgs, out: Output, err: (line: string) => void): void {
  const reader: CaptureReader = openCapture(args.file);
  try {
    const h = reader.header;
    const filters = new Map<number, PacketFilter>();
    const filterFor = (linkType: number): PacketFilter => {
      let f = filters.get(linkType);
      if (!f) {
        f = compileFilter(args.expression, linkType);
        filters.set(linkType, f);
      }
      return f;
    };
    // Compile once up front so a bad expression fails before any output.
    if (h.linkType >= 0) filterFor(h.linkType);
    if (!args.json && !args.stats) {
      const lt = LINK_NAMES[h.linkType] ?? `${h.linkType}`;
      err(`reading from file ${args.file}, link-type ${lt}, snapshot length ${h.snaplen || 262144}`);
    }
    const printer = new TcpdumpPrinter(args.print);
    const stats = args.stats ? new CaptureStats() : null;
    const limit = args.count ?? Number.POSITIVE_INFINITY;
    let matched = 0;
    // An empty expression matches everything: its filter is still compiled (above) but not called.
    const everything = args.expression.trim() === "";
    let filterLink = Number.NaN;
    let filter: PacketFilter | null = null;
    // With --stats, a fault in the file still shows the statistics of the packets before it (as the
    // packets before it are printed), then the error.
    let fault: CaptureError | null = null;
    // Printing keeps nothing of a record once its line is out, so a pcap file's records can all be
    // one reused object, its bytes given to the printer as (chunk, offset, length) with no view.
    const pcap = !stats && !args.json && reader instanceof PcapReader ? reader : null;
    const next = () => {
      try {
        return pcap !== null ? pcap.nextShared() : reader.next();
      } catch (e) {
        if (!(stats && e instanceof CaptureError)) throw e;
        fault = e;
        return null;
      }
    };
    for (let rec = next(); rec !== null && matched < limit && !out.closed; rec = next()) {
      if (rec.linkType !== filterLink) {
        filter = filterFor(rec.linkType);
        filterLink = rec.linkType;
      }
      if (!everything && !(filter as PacketFilter)(rec.data, rec.origLen)) continue;
      matched++;
      if (stats) {
        stats.add(rec);
      } else if (args.json) {
        const line = printer.format(rec, matched);
        out.line(
          packetJson(matched, rec, summarize(rec.data, rec.origLen, rec.linkType), line.replace(/\n$/, "")),
        );
      } else {
        // Common packets: the printer writes the line's bytes straight into the output buffer.
        const at = out.reserve(FAST_LINE_MAX);
        const end =
          rec instanceof PcapRecordView
            ? printer.formatFrameInto(rec, rec.frame, rec.frameStart, rec.caplen, matched, out.buffer, at)
            : printer.formatInto(rec, matched, out.buffer, at);
        if (end >= 0) out.commit(end);
        else {
          const text = printer.formatGeneral(rec, matched);
          out.line(text.endsWith("\n") ? text.slice(0, -1) : text);
        }
      }
    }
    if (stats) {
      if (args.json) for (const l of stats.toJsonLines()) out.line(l);
      else out.line(stats.toText().replace(/\n$/, ""));
    }
    if (fault) throw fault;
  } finally {
    out.flush();
    reader.close();
  }
}

/**
 * Converts a capture between pcap and pcapng (either direction, or re-writes the same format).
 *
 * The output is written to `<outPath>.tmp-<pid>` and renamed over `outPath` only after the last record,
 * so a failed conversion (malformed input, mixed link types for pcap) never leaves a half-written
 * output; the temporary file is removed on failure.
 */
import { renameSync, unlinkSync } from "node:fs";
import { CaptureError } from "./errors.js";
import { maxSnaplenForLinkType } from "./pcap.js";
import { type CaptureReader, openCapture } from "./reader.js";
import { PcapngWriter, PcapWriter } from "./writer.js";

export interface ConvertOptions {
  readonly format: "pcap" | "pcapng";
  /**
   * Nanosecond timestamps in the output. Default: nanoseconds when the input's first interface has
   * more than 6 fraction digits, else microseconds.
   */
  readonly nano?: boolean;
}

export interface ConvertResult {
  readonly records: number;
  readonly interfaces: number;
}

export function convertCapture(inPath: string, outPath: string, opts: ConvertOptions): ConvertResult {
  const reader = openCapture(inPath);
  const tmp = `${outPath}.tmp-${process.pid}`;
  let ok = false;
  try {
    const result = opts.format === "pcap" ? toPcap(reader, tmp, opts, inPath) : toPcapng(reader, tmp, opts);
    renameSync(tmp, outPath);
    ok = true;
    return result;
  } finally {
    reader.close();
    if (!ok) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
    }
  }
}

function defaultNano(reader: CaptureReader, opts: ConvertOptions): boolean {
  if (opts.nano !== undefined) return opts.nano;
  const first = reader.header.interfaces[0];
  return first !== undefined && first.fracDigits > 6;
}

function toPcap(reader: CaptureReader, tmp: string, opts: ConvertOptions, inPath: string): ConvertResult {
  const ifaces = reader.header.interfaces;
  if (ifaces.length === 0) {
    throw new CaptureError(inPath, reader.offset, "cannot write pcap: the input has no interface");
  }
  const linkType = ifaces[0].linkType;
  const snaplenOf = (s: number, lt: number) => (s === 0 ? maxSnaplenForLinkType(lt) : s);
  let snaplen = 0;
  for (const i of ifaces) snaplen = Math.max(snaplen, snaplenOf(i.snaplen, i.linkType));
  const field =
    reader.header.format === "pcap" && reader.header.linkTypeField !== undefined
      ? reader.header.linkTypeField
      : linkType;
  const w = PcapWriter.toFile(tmp, { linkType: field, snaplen, nano: defaultNano(reader, opts) });
  try {
    for (let r = reader.next(); r !== null; r = reader.next()) {
      if (r.linkType !== linkType) {
        throw new CaptureError(
          inPath,
          reader.offset,
          `cannot write pcap: the input mixes link types ${linkType} and ${r.linkType} (interface ${r.iface}); convert to pcapng instead`,
        );
      }
      w.write(r);
    }
    return { records: w.recordCount, interfaces: 1 };
  } finally {
    w.close();
  }
}

function toPcapng(reader: CaptureReader, tmp: string, opts: ConvertOptions): ConvertResult {
  const w = PcapngWriter.toFile(tmp, { nano: defaultNano(reader, opts) });
  const ifaces = reader.header.interfaces;
  const sync = () => {
    while (w.interfaceCount < ifaces.length) {
      const i = ifaces[w.interfaceCount];
      w.addInterface({
        linkType: i.linkType,
        snaplen: i.snaplen,
        ...(i.name !== undefined ? { name: i.name } : {}),
        ...(i.description !== undefined ? { description: i.description } : {}),
      });
    }
  };
  try {
    sync();
    for (let r = reader.next(); r !== null; r = reader.next()) {
      sync();
      w.write(r);
    }
    sync();
    return { records: w.recordCount, interfaces: w.interfaceCount };
  } finally {
    w.close();
  }
}

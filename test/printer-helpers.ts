/**
 * Test helpers shared by the application-printer tests (bootp, dhcp6, domain): a helper module, not a
 * test. It runs a printer the way the packet's top level does, and pulls out of the tcpdump corpus the
 * application payload of each frame and the part of tcpdump's `.out` text that its printer owns.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { PrintContext, type PrintOptions, Truncated } from "../captures/print/context.js";
import { corpusFrames, corpusText } from "./shared.js";

/** Options for an application printer under test: only `verbose` varies. */
export const printOptions = (verbose: number): PrintOptions => ({
  verbose,
  linkHeader: false,
  quick: false,
  hex: 0,
  hexAscii: false,
  ascii: false,
});

/**
 * Runs `fn` on a fresh context at `verbose` and returns the line, as the packet's top level does: an
 * unchecked read past the capture (Truncated) ends the line with [|proto].
 */
export function printCatching(verbose: number, fn: (p: PrintContext) => void): string {
  const p = new PrintContext(printOptions(verbose));
  try {
    fn(p);
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    p.trunc();
  }
  return p.take();
}

/** Bytes from a hex string. */
export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

/** SHA-256 (hex) of the lines joined by newlines: how tcpdump's truncation outputs are compared. */
export const linesDigest = (lines: readonly string[]): string =>
  createHash("sha256").update(lines.join("\n")).digest("hex");

/** A frame's UDP or TCP payload and ports. */
export interface AppPayload {
  readonly tcp: boolean;
  readonly sport: number;
  readonly dport: number;
  readonly payload: Uint8Array;
  /** UDP: the UDP length minus 8; TCP: the bytes after the TCP header within the IP length. */
  readonly length: number;
}

/** Ethernet (802.1Q/ad tags skipped) → IPv4/IPv6 → UDP/TCP payload, bounded by the IP length. */
export function appPayload(f: Uint8Array): AppPayload | undefined {
  let o = 12;
  let et = (f[o] << 8) | f[o + 1];
  while (et === 0x8100 || et === 0x88a8) {
    o += 4;
    et = (f[o] << 8) | f[o + 1];
  }
  o += 2;
  let proto: number;
  let l4: number;
  let end: number;
  if (et === 0x0800) {
    proto = f[o + 9];
    end = Math.min(f.length, o + ((f[o + 2] << 8) | f[o + 3]));
    l4 = o + (f[o] & 15) * 4;
  } else if (et === 0x86dd) {
    proto = f[o + 6];
    end = Math.min(f.length, o + 40 + ((f[o + 4] << 8) | f[o + 5]));
    l4 = o + 40;
  } else return undefined;
  const b = f.subarray(0, end);
  const sport = (b[l4] << 8) | b[l4 + 1];
  const dport = (b[l4 + 2] << 8) | b[l4 + 3];
  if (proto === 17) {
    return {
      tcp: false,
      sport,
      dport,
      payload: b.subarray(l4 + 8),
      length: ((b[l4 + 4] << 8) | b[l4 + 5]) - 8,
    };
  }
  if (proto === 6) {
    const hl = (b[l4 + 12] >> 4) * 4;
    return { tcp: true, sport, dport, payload: b.subarray(l4 + hl), length: end - l4 - hl };
  }
  return undefined;
}

/** The .out file's packets (a numbered line plus its continuation lines). */
export function outBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*\d+ {2}\d\d:\d\d:\d\d\.\d+ /.test(line)) blocks.push(line);
    else if (line !== "") blocks[blocks.length - 1] += `\n${line}`;
  }
  return blocks;
}

/** What the application printer owns: after `> addr.port: [udp sum ok] `, or after TCP's `length N`. */
export function appText(block: string, tcp: boolean): string {
  if (tcp) {
    const all = [...block.matchAll(/, length \d+/g)];
    const m = all[all.length - 1];
    return block.slice((m.index ?? 0) + m[0].length);
  }
  const m = / > \S+: (\[(udp sum ok|no cksum)\] )?/.exec(block);
  if (!m) throw new Error(`no address pair in ${block}`);
  return block.slice(m.index + m[0].length);
}

/**
 * Compares `printer` with tcpdump's corpus output `tcpdump/<out>` for every frame of `tcpdump/<pcap>`
 * that `accept` picks, and returns how many were compared (the caller checks the count).
 */
export function corpusCase(
  pcap: string,
  out: string,
  accept: (a: AppPayload) => boolean,
  printer: (a: AppPayload) => string,
): number {
  const recs = corpusFrames(`tcpdump/${pcap}`);
  const blocks = outBlocks(corpusText(`tcpdump/${out}`));
  expect(blocks.length).toBe(recs.length);
  let compared = 0;
  recs.forEach((rec, i) => {
    const a = appPayload(rec);
    if (!a || !accept(a)) return;
    expect(printer(a)).toBe(appText(blocks[i], a.tcp));
    compared++;
  });
  return compared;
}

/** UDP to or from one of `ports`. */
export const udpPorts =
  (ports: readonly number[]) =>
  (a: AppPayload): boolean =>
    !a.tcp && (ports.includes(a.sport) || ports.includes(a.dport));

/**
 * What `print` gives for every cut of `b` (the first 0, 1, … len-1 bytes captured, the length still
 * `b`'s): the lines compared, by digest, with tcpdump run on the same cut captures.
 */
export function truncationLines(
  b: Uint8Array,
  print: (captured: Uint8Array, length: number) => string,
): string[] {
  const lines: string[] = [];
  for (let cut = 0; cut < b.length; cut++) lines.push(print(b.subarray(0, cut), b.length));
  return lines;
}

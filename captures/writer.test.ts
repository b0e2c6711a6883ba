/**
 * Writers: round trips through our reader (fast-check), and real tools reading what we write:
 * `tcpdump -# -n -r` must print exactly the corpus's expected output (dns_udp.out, made by tcpdump
 * 4.99.3 from the original file) for our pcap µs / pcap ns / pcapng re-writes, and `tshark` must list
 * the same lengths and timestamps as for the original.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { corpusPath, corpusText, haveShared, tool, toolPath } from "../test/shared.js";
import { CaptureError } from "./errors.js";
import { openCapture, readCaptureBytes } from "./reader.js";
import type { CaptureRecord } from "./record.js";
import { PcapngWriter, PcapWriter } from "./writer.js";

const haveTools = tool("tcpdump", "tshark");
const dir = mkdtempSync(join(tmpdir(), "vnet-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function records(bytes: Uint8Array) {
  return [...readCaptureBytes(bytes, "t")].map((r) => ({ ...r, data: Array.from(r.data) }));
}

const recArb = (digits: number, ifaces: number) =>
  fc.record({
    tsSec: fc.integer({ min: 0, max: 0xffffffff >>> 1 }),
    tsFrac: fc.integer({ min: 0, max: 10 ** digits - 1 }),
    fracDigits: fc.constant(digits),
    iface: fc.integer({ min: 0, max: ifaces - 1 }),
    data: fc.uint8Array({ maxLength: 100 }),
    extra: fc.nat(1000),
  });

describe("round trips through our reader", () => {
  for (const nano of [false, true]) {
    it(`pcap ${nano ? "ns" : "µs"}`, () => {
      const digits = nano ? 9 : 6;
      fc.assert(
        fc.property(fc.array(recArb(digits, 1), { maxLength: 20 }), (recs) => {
          const w = PcapWriter.inMemory({ linkType: 1, nano });
          for (const r of recs) w.write({ ...r, origLen: r.data.length + r.extra });
          expect(records(w.bytes())).toEqual(
            recs.map((r) => ({
              tsSec: r.tsSec,
              tsFrac: r.tsFrac,
              fracDigits: digits,
              linkType: 1,
              iface: 0,
              origLen: r.data.length + r.extra,
              data: Array.from(r.data),
            })),
          );
        }),
        { numRuns: 200 },
      );
    });
    it(`pcapng ${nano ? "ns" : "µs"}, three interfaces`, () => {
      const digits = nano ? 9 : 6;
      const links = [1, 101, 113];
      fc.assert(
        fc.property(fc.array(recArb(digits, 3), { maxLength: 20 }), (recs) => {
          const w = PcapngWriter.inMemory({
            nano,
            interfaces: links.map((linkType, i) => ({ linkType, name: `if${i}` })),
          });
          for (const r of recs) w.write({ ...r, origLen: r.data.length + r.extra });
          const rd = readCaptureBytes(w.bytes(), "t");
          expect(rd.header.interfaces.map((i) => [i.linkType, i.name, i.fracDigits])).toEqual(
            links.map((l, i) => [l, `if${i}`, digits]),
          );
          expect(records(w.bytes())).toEqual(
            recs.map((r) => ({
              tsSec: r.tsSec,
              tsFrac: r.tsFrac,
              fracDigits: digits,
              linkType: links[r.iface],
              iface: r.iface,
              origLen: r.data.length + r.extra,
              data: Array.from(r.data),
            })),
          );
        }),
        { numRuns: 200 },
      );
    });
  }
  it("converts resolutions: µs record into ns file and back (truncating)", () => {
    const w = PcapWriter.inMemory({ linkType: 1, nano: true });
    w.write({ tsSec: 5, tsFrac: 123456, fracDigits: 6, origLen: 0, data: new Uint8Array() });
    expect(records(w.bytes())[0].tsFrac).toBe(123456000);
    const v = PcapngWriter.inMemory({ interfaces: [{ linkType: 1 }] });
    v.write({ tsSec: 5, tsFrac: 123456789, fracDigits: 9, origLen: 0, data: new Uint8Array() });
    expect(records(v.bytes())[0].tsFrac).toBe(123456);
  });
});

describe("a file cut by a crash is readable up to the last whole record", () => {
  it("records are on disk as soon as write() returns; a torn last record is reported", () => {
    const path = join(dir, "crash.pcap");
    const w = PcapWriter.toFile(path, { linkType: 1 });
    for (let i = 0; i < 5; i++)
      w.write({ tsSec: i, tsFrac: 0, fracDigits: 6, origLen: 10, data: new Uint8Array(10).fill(i) });
    // Not closed: read what the OS has.
    expect([...openCapture(path)].length).toBe(5);
    truncateSync(path, statSync(path).size - 3);
    const r = openCapture(path);
    let n = 0;
    expect(() => {
      for (const _ of r) n++;
    }).toThrow(CaptureError);
    expect(n).toBe(4);
    w.close();
  });
  it("toFd leaves the descriptor open", () => {
    const path = join(dir, "fd.pcapng");
    const fd = openSync(path, "w");
    const w = PcapngWriter.toFd(fd, { interfaces: [{ linkType: 1 }] });
    w.write({ tsSec: 1, tsFrac: 2, fracDigits: 6, origLen: 1, data: Uint8Array.of(1) });
    w.close();
    closeSync(fd); // would throw EBADF if the writer had closed it
    expect([...openCapture(path)].length).toBe(1);
  });
});

describe.skipIf(!haveShared || !haveTools)("tcpdump and tshark read what we write", () => {
  const src = corpusPath("tcpdump/dns_udp.pcap");
  const copyAll = (w: { write(r: CaptureRecord): void; close(): void }) => {
    for (const r of openCapture(src)) w.write(r);
    w.close();
  };
  const outputs = haveShared
    ? {
        "pcap-us": (p: string) => copyAll(PcapWriter.toFile(p, { linkType: 1 })),
        "pcap-ns": (p: string) => copyAll(PcapWriter.toFile(p, { linkType: 1, nano: true })),
        "pcapng-us": (p: string) =>
          copyAll(PcapngWriter.toFile(p, { interfaces: [{ linkType: 1, name: "eth0" }] })),
        "pcapng-ns": (p: string) =>
          copyAll(PcapngWriter.toFile(p, { nano: true, interfaces: [{ linkType: 1 }] })),
      }
    : {};
  const tshark = (p: string) =>
    spawnSync(
      toolPath("tshark"),
      ["-r", p, "-T", "fields", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.time_epoch"],
      {
        encoding: "utf8",
        env: { TZ: "GMT0", HOME: dir },
      },
    ).stdout;
  const tsharkOriginal = haveShared && haveTools ? tshark(src) : "";
  for (const [name, make] of Object.entries(outputs)) {
    it(name, () => {
      const p = join(dir, `dns_udp.${name}`);
      make(p);
      const td = spawnSync(toolPath("tcpdump"), ["-#", "-n", "-r", p], {
        encoding: "utf8",
        env: { TZ: "GMT0" },
      });
      expect(td.status).toBe(0);
      expect(td.stdout).toBe(corpusText("tcpdump/dns_udp.out"));
      expect(tshark(p)).toBe(tsharkOriginal);
    });
  }
});

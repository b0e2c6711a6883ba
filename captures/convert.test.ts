/**
 * convertCapture: pcap ↔ pcapng, checked with tcpdump's expected output from the corpus (the .out
 * files made by tcpdump 4.99.3 from the original captures) and with the tshark per-record lists.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { corpusPath, corpusText, haveShared, tool, toolPath } from "../test/shared.js";
import { convertCapture } from "./convert.js";
import { CaptureError } from "./errors.js";
import { openCapture } from "./reader.js";

const haveTcpdump = tool("tcpdump");
const dir = mkdtempSync(join(tmpdir(), "vnet-convert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recs = (p: string) => [...openCapture(p)].map((r) => ({ ...r, data: Array.from(r.data) }));
const tcpdump = (p: string) =>
  spawnSync(toolPath("tcpdump"), ["-#", "-n", "-r", p], { encoding: "utf8", env: { TZ: "GMT0" } }).stdout;

describe.skipIf(!haveShared)("convertCapture", () => {
  it.skipIf(!haveTcpdump)(
    "pcap → pcapng → pcap: tcpdump prints the corpus's expected output each time",
    () => {
      const src = corpusPath("tcpdump/dns_tcp.pcap");
      const want = corpusText("tcpdump/dns_tcp.out");
      const ng = join(dir, "a.pcapng");
      const back = join(dir, "a.pcap");
      expect(convertCapture(src, ng, { format: "pcapng" }).records).toBe(11);
      expect(tcpdump(ng)).toBe(want);
      convertCapture(ng, back, { format: "pcap" });
      expect(tcpdump(back)).toBe(want);
      expect(recs(back)).toEqual(recs(src));
    },
  );
  it.skipIf(!haveTcpdump)("nanosecond pcap keeps nanoseconds through pcapng (tcpdump --nano output)", () => {
    const src = corpusPath("tcpdump/tcp-handshake-nano.pcap");
    const ng = join(dir, "nano.pcapng");
    convertCapture(src, ng, { format: "pcapng" });
    const args = ["-#", "-n", "-q", "--nano", "-r"];
    const run = (p: string) =>
      spawnSync(toolPath("tcpdump"), [...args, p], { encoding: "utf8", env: { TZ: "GMT0" } }).stdout;
    expect(run(ng)).toBe(corpusText("tcpdump/tcp-handshake-nano.out"));
    expect(recs(ng)).toEqual(recs(src));
  });
  it("pcapng with several sections → pcapng keeps every record and interface", () => {
    const src = corpusPath("pcapng-test-generator/output_be/difficult/test202.pcapng");
    const out = join(dir, "multi.pcapng");
    expect(convertCapture(src, out, { format: "pcapng" })).toEqual({ records: 8, interfaces: 5 });
    const a = recs(src);
    const b = recs(out);
    expect(b.map((r) => [r.iface, r.linkType, r.origLen, r.data, r.tsSec, r.tsFrac])).toEqual(
      a.map((r) => [r.iface, r.linkType, r.origLen, r.data, r.tsSec, r.tsFrac]),
    );
  });
  it("mixed link types to pcap: a clear error and no output file (not even a temporary one)", () => {
    const src = corpusPath("pcapng-test-generator/output_le/basic/test006.pcapng");
    const out = join(dir, "mixed.pcap");
    writeFileSync(out, "old content");
    expect(() => convertCapture(src, out, { format: "pcap" })).toThrow(/mixes link types 1 and 0/);
    expect(readFileSync(out, "utf8")).toBe("old content");
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
  it("a truncated input fails the conversion the same way", () => {
    const full = readFileSync(corpusPath("tcpdump/dns_udp.pcap"));
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, full.subarray(0, 300));
    expect(() => convertCapture(cut, join(dir, "cut-out.pcapng"), { format: "pcapng" })).toThrow(
      CaptureError,
    );
    expect(existsSync(join(dir, "cut-out.pcapng"))).toBe(false);
  });
});

/**
 * convertCapture: pcap ↔ pcapng, checked with tcpdump's expected output from the corpus (the .out
 * files made by tcpdump 4.99.3 from the original captures) and with the tshark per-record lists.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { convertCapture } from "./convert.js";
import { CaptureError } from "./errors.js";
import { openCapture } from "./reader.js";

const corpus = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));
const haveShared = existsSync(corpus);
if (!haveShared) console.warn("skipped: ../shared not present");
const haveTcpdump = existsSync("/usr/bin/tcpdump");
const dir = mkdtempSync(join(tmpdir(), "vnet-convert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recs = (p: string) => [...openCapture(p)].map((r) => ({ ...r, data: Array.from(r.data) }));
const tcpdump = (p: string) =>
  spawnSync("/usr/bin/tcpdump", ["-#", "-n", "-r", p], { encoding: "utf8", env: { TZ: "GMT0" } }).stdout;

describe.skipIf(!haveShared)("convertCapture", () => {
  it.skipIf(!haveTcpdump)(
    "pcap → pcapng → pcap: tcpdump prints the corpus's expected output each time",
    () => {
      const src = join(corpus, "tcpdump/dns_tcp.pcap");
      const want = readFileSync(join(corpus, "tcpdump/dns_tcp.out"), "utf8");
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
    const src = join(corpus, "tcpdump/tcp-handshake-nano.pcap");
    const ng = join(dir, "nano.pcapng");
    convertCapture(src, ng, { format: "pcapng" });
    const args = ["-#", "-n", "-q", "--nano", "-r"];
    const run = (p: string) =>
      spawnSync("/usr/bin/tcpdump", [...args, p], { encoding: "utf8", env: { TZ: "GMT0" } }).stdout;
    expect(run(ng)).toBe(readFileSync(join(corpus, "tcpdump/tcp-handshake-nano.out"), "utf8"));
    expect(recs(ng)).toEqual(recs(src));
  });
  it("pcapng with several sections → pcapng keeps every record and interface", () => {
    const src = join(corpus, "pcapng-test-generator/output_be/difficult/test202.pcapng");
    const out = join(dir, "multi.pcapng");
    expect(convertCapture(src, out, { format: "pcapng" })).toEqual({ records: 8, interfaces: 5 });
    const a = recs(src);
    const b = recs(out);
    expect(b.map((r) => [r.iface, r.linkType, r.origLen, r.data, r.tsSec, r.tsFrac])).toEqual(
      a.map((r) => [r.iface, r.linkType, r.origLen, r.data, r.tsSec, r.tsFrac]),
    );
  });
  it("mixed link types to pcap: a clear error and no output file (not even a temporary one)", () => {
    const src = join(corpus, "pcapng-test-generator/output_le/basic/test006.pcapng");
    const out = join(dir, "mixed.pcap");
    writeFileSync(out, "old content");
    expect(() => convertCapture(src, out, { format: "pcap" })).toThrow(/mixes link types 1 and 0/);
    expect(readFileSync(out, "utf8")).toBe("old content");
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
  it("a truncated input fails the conversion the same way", () => {
    const full = readFileSync(join(corpus, "tcpdump/dns_udp.pcap"));
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, full.subarray(0, 300));
    expect(() => convertCapture(cut, join(dir, "cut-out.pcapng"), { format: "pcapng" })).toThrow(
      CaptureError,
    );
    expect(existsSync(join(dir, "cut-out.pcapng"))).toBe(false);
  });
});

/**
 * The readers against the shared corpus (real captures from tcpdump's, libpcap's and
 * pcapng-test-generator's test suites) and against real tools: tcpdump 4.99.3 / libpcap 1.10.3
 * (record counts, error messages on files cut at every byte), tshark 4.0.17 (the saved .tsv per-record
 * lists), and the npm package pcap-parser (a second classic-pcap reader).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS_DIR, haveShared, tool, toolPath } from "../test/shared.js";
import { CaptureError } from "./errors.js";
import { type CaptureReader, openCapture, readCaptureBytes } from "./reader.js";
import type { CaptureRecord } from "./record.js";

const corpus = CORPUS_DIR;
const haveTcpdump = tool("tcpdump");

interface Copied {
  rec: CaptureRecord;
  data: Uint8Array;
}

/** All records (data copied: views are only valid until the next record) and the error, if any. */
function drain(open: () => CaptureReader): { recs: Copied[]; err: unknown } {
  const recs: Copied[] = [];
  let r: CaptureReader;
  try {
    r = open();
  } catch (err) {
    return { recs, err };
  }
  try {
    for (let x = r.next(); x !== null; x = r.next()) recs.push({ rec: x, data: x.data.slice() });
  } catch (err) {
    return { recs, err };
  }
  return { recs, err: undefined };
}

function tsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, "utf8").trimEnd().split("\n");
  const cols = head.split("\t");
  return rows.map((line) => {
    const f = line.split("\t");
    return Object.fromEntries(cols.map((c, i) => [c, f[i] ?? ""]));
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.pcap(ng)?$/.test(f) ? [p] : [];
  });
}

/** Runs tcpdump on a file: number of packet lines and the error reason (tcpdump's prefixes removed). */
function tcpdump(path: string): { packets: number; reason: string | null } {
  const r = spawnSync(toolPath("tcpdump"), ["-#", "-n", "-r", path], {
    encoding: "utf8",
    env: { TZ: "GMT0" },
  });
  const packets = r.stdout.split("\n").filter((l) => /^\s*\d+\s/.test(l)).length;
  const errLine = r.stderr.split("\n").find((l) => l.startsWith("tcpdump: "));
  const reason = errLine === undefined ? null : errLine.replace(/^tcpdump: (pcap_loop: )?/, "");
  return { packets, reason };
}

describe.skipIf(!haveShared)("every corpus file gives records or one CaptureError", () => {
  it("never throws anything else, from a file or from memory", () => {
    const files = walk(corpus);
    expect(files.length).toBeGreaterThan(80);
    for (const f of files) {
      const a = drain(() => openCapture(f));
      const b = drain(() => readCaptureBytes(readFileSync(f), f));
      if (a.err !== undefined) expect(a.err, f).toBeInstanceOf(CaptureError);
      expect(b.recs.length, f).toBe(a.recs.length);
      expect(String(b.err), f).toBe(String(a.err));
    }
  });
});

describe.skipIf(!haveShared)(
  "records straddling chunk boundaries (small chunk sizes force every refill path)",
  () => {
    const names = [
      "tcpdump/print-flags.pcap",
      "tcpdump/pptp.pcap",
      "tcpdump/icmp-icmp_print-oobr-1.pcap",
      "tcpdump/bgp-shutdown-communication.pcapng",
      "pcapng-test-generator/output_be/difficult/test202.pcapng",
    ];
    for (const name of names) {
      it(name, () => {
        const f = join(corpus, name);
        const whole = drain(() => readCaptureBytes(readFileSync(f), f));
        for (const chunkSize of [1, 7, 64, 1000]) {
          const chunked = drain(() => openCapture(f, { chunkSize }));
          expect(String(chunked.err)).toBe(String(whole.err));
          // rec.data is only valid until the next record: compare the copies.
          const strip = (r: Copied[]) => r.map(({ rec, data }) => ({ ...rec, data: Array.from(data) }));
          expect(strip(chunked.recs)).toEqual(strip(whole.recs));
        }
      });
    }
  },
);

describe.skipIf(!haveShared)("tcpdump corpus (INDEX.tsv column packets, from tcpdump 4.99.3)", () => {
  const rows = haveShared ? tsv(join(corpus, "tcpdump/INDEX.tsv")) : [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.file)) continue;
    seen.add(row.file);
    it(`${row.file}: ${row.packets} records`, () => {
      const { recs, err } = drain(() => openCapture(join(corpus, "tcpdump", row.file)));
      expect(err).toBeUndefined();
      expect(recs.length).toBe(Number(row.packets));
      const lt = Number(/\((\d+)\)/.exec(row.link_type)?.[1]);
      for (const r of recs) expect(r.rec.linkType).toBe(lt);
      const frac = row.ts_resolution === "nanosecond" ? 9 : 6;
      for (const r of recs) expect(r.rec.fracDigits).toBe(frac);
    });
  }

  // Record-length rules, values from the corpus README (libpcap 1.10.3 behaviour).
  it("aoe-oobr-1.pcap: caplen 34 > snaplen 31 → 31 bytes; ts_usec 1048579 kept raw", () => {
    const { recs } = drain(() => openCapture(join(corpus, "tcpdump/aoe-oobr-1.pcap")));
    expect(recs[0].data.byteLength).toBe(31);
    expect(recs[0].rec.tsFrac).toBe(1048579);
  });
  it("bad-ipv4-version-pgm-heapoverflow.pcap: link-type field 0x30000001 → EN10MB; ts_usec 808464432 raw", () => {
    const r = openCapture(join(corpus, "tcpdump/bad-ipv4-version-pgm-heapoverflow.pcap"));
    expect(r.header.linkType).toBe(1);
    expect(r.header.linkTypeField).toBe(0x30000001);
    expect(r.next()?.tsFrac).toBe(808464432);
    r.close();
  });
});

describe.skipIf(!haveShared)(
  "libpcap corpus (INDEX.tsv: tcpdump 4.99.3 result / libpcap master expectation)",
  () => {
    const rows = haveShared ? tsv(join(corpus, "libpcap/INDEX.tsv")) : [];
    for (const row of rows) {
      const res = row["tcpdump_4.99.3_result"];
      it(`${row.file}: ${res}`, () => {
        const { recs, err } = drain(() => openCapture(join(corpus, "libpcap", row.file)));
        if (res.startsWith("rc=0")) {
          expect(err).toBeUndefined();
          expect(recs.length).toBe(Number(/rc=0 (\d+) lines/.exec(res)?.[1]));
          return;
        }
        expect(err).toBeInstanceOf(CaptureError);
        const reason = (err as CaptureError).reason;
        const v1103 = /tcpdump: (.*)$/.exec(res)?.[1] ?? "";
        const master = /Failed opening: ([^"]*)"/.exec(row.expected_output)?.[1] ?? "";
        if (row.file === "shb-option-too-long.pcapng") {
          // Our message names both numbers as master does; the header number is the SHB's length field.
          expect(reason).toMatch(/^block total length in header \d+ and trailer 808464432 don't match$/);
        } else {
          expect([v1103, master]).toContain(reason);
        }
      });
    }
  },
);

describe.skipIf(!haveShared)("pcapng-test-generator (INDEX.tsv + tshark 4.0.17 .tsv per record)", () => {
  const rows = haveShared ? tsv(join(corpus, "pcapng-test-generator/INDEX.tsv")) : [];
  for (const row of rows) {
    it(`${row.file}: ${row["packets_expected(EPB+SPB)"]} records as tshark lists them`, () => {
      const path = join(corpus, "pcapng-test-generator", row.file);
      const res = row["tcpdump_4.99.3_result"];
      if (res.includes("no Interface Description Blocks")) {
        // SHB without IDB: libpcap refuses the file (tshark lists its custom blocks only).
        const { recs, err } = drain(() => openCapture(path));
        expect(recs.length).toBe(0);
        expect((err as CaptureError).reason).toBe("the capture file has no Interface Description Blocks");
        return;
      }
      const r = openCapture(path);
      const { recs, err } = drain(() => r);
      expect(err).toBeUndefined();
      expect(recs.length).toBe(Number(row["packets_expected(EPB+SPB)"]));
      // tshark also lists custom blocks (no interface id): drop them.
      const want = tsv(path.replace(/\.pcapng$/, ".tshark-4.0.17.tsv")).filter(
        (t) => t["frame.interface_id"] !== "",
      );
      expect(recs.length).toBe(want.length);
      recs.forEach(({ rec, data }, i) => {
        const t = want[i];
        expect(r.header.interfaces[rec.iface].localId).toBe(Number(t["frame.interface_id"]));
        expect(rec.origLen).toBe(Number(t["frame.len"]));
        expect(data.byteLength).toBe(Number(t["frame.cap_len"]));
        if (t["frame.time_epoch"] !== "") {
          const [s, f] = t["frame.time_epoch"].split(".");
          expect(rec.tsSec).toBe(Number(s));
          expect(rec.tsFrac * 10 ** (9 - rec.fracDigits)).toBe(Number(f));
        } else {
          expect([rec.tsSec, rec.tsFrac]).toEqual([0, 0]); // SPB: no timestamp
        }
      });
    });
  }
});

type PcapParserPacket = {
  header: {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  };
  data: Uint8Array;
};
const pcapParser = createRequire(import.meta.url)("pcap-parser") as {
  parse(path: string): {
    on(ev: "packet", f: (p: PcapParserPacket) => void): void;
    on(ev: "end", f: () => void): void;
    on(ev: "error", f: (e: Error) => void): void;
  };
};
function parseWithPcapParser(path: string): Promise<PcapParserPacket[]> {
  return new Promise((resolve, reject) => {
    const out: PcapParserPacket[] = [];
    const p = pcapParser.parse(path);
    p.on("packet", (x) => out.push(x));
    p.on("error", reject);
    p.on("end", () => resolve(out));
  });
}

describe.skipIf(!haveShared)("pcap-parser yields the same records on every classic µs file it reads", () => {
  const files = haveShared
    ? walk(corpus).filter((f) => {
        if (!f.endsWith(".pcap")) return false;
        const b = readFileSync(f);
        const m = b.readUInt32BE(0);
        return m === 0xa1b2c3d4 || m === 0xd4c3b2a1;
      })
    : [];
  for (const f of files) {
    it(f.slice(corpus.length + 1), async () => {
      const ours = drain(() => openCapture(f));
      if (ours.err !== undefined) {
        // Headers we reject at open (archaic version, reserved link-type bits) — checked above.
        expect(ours.err).toBeInstanceOf(CaptureError);
        expect(ours.recs.length).toBe(0);
        return;
      }
      const theirs = await parseWithPcapParser(f);
      expect(ours.recs.length).toBe(theirs.length);
      ours.recs.forEach(({ rec, data }, i) => {
        const h = theirs[i].header;
        expect(rec.tsSec >>> 0).toBe(h.timestampSeconds); // pcap-parser reads seconds unsigned
        expect(rec.tsFrac).toBe(h.timestampMicroseconds);
        expect(rec.origLen).toBe(h.originalLength);
        // pcap-parser does not apply libpcap's "cut caplen to snaplen": compare the prefix.
        expect(data.byteLength).toBe(Math.min(h.capturedLength, data.byteLength));
        expect(data).toEqual(new Uint8Array(theirs[i].data.subarray(0, data.byteLength)));
      });
    });
  }
});

describe.skipIf(!haveShared || !haveTcpdump)(
  "files cut at every byte offset: same records and message as tcpdump",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "vnet-cut-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const cases = [
      "tcpdump/dns_udp.pcap",
      "tcpdump/aoe-oobr-1.pcap",
      "tcpdump/bgp-shutdown-communication.pcapng",
    ];
    for (const name of cases) {
      it(`${name}: every cut`, () => {
        const full = haveShared ? readFileSync(join(corpus, name)) : new Uint8Array();
        const cut = join(dir, name.replace("/", "_"));
        for (let n = 0; n < full.byteLength; n++) {
          writeFileSync(cut, full.subarray(0, n));
          const want = tcpdump(cut);
          const got = drain(() => openCapture(cut));
          expect(got.recs.length, `cut at ${n}`).toBe(want.packets);
          if (want.reason === null) {
            expect(got.err, `cut at ${n}`).toBeUndefined();
          } else {
            expect(got.err, `cut at ${n}`).toBeInstanceOf(CaptureError);
            expect((got.err as CaptureError).reason, `cut at ${n}`).toBe(want.reason);
          }
        }
      });
    }

    it("caplen > 262144 and snaplen edge cases word their errors as tcpdump does", () => {
      // Files built here: one record of `caplen` zero bytes after a header with `snaplen`.
      const build = (snaplen: number, caplen: number) => {
        const b = Buffer.alloc(24 + 16 + caplen);
        b.writeUInt32LE(0xa1b2c3d4, 0);
        b.writeUInt16LE(2, 4);
        b.writeUInt16LE(4, 6);
        b.writeUInt32LE(snaplen, 16);
        b.writeUInt32LE(1, 20);
        b.writeUInt32LE(caplen, 32);
        b.writeUInt32LE(caplen, 36);
        return b;
      };
      for (const [snap, cap] of [
        [0, 300000],
        [400000, 300000],
        [0x80000001, 300000],
        [100, 300000],
        [400000, 262144],
        [100, 150],
      ]) {
        const f = join(dir, `edge-${snap}-${cap}.pcap`);
        writeFileSync(f, build(snap, cap));
        const want = tcpdump(f);
        const got = drain(() => openCapture(f));
        expect(got.recs.length).toBe(want.packets);
        expect(got.err === undefined ? null : (got.err as CaptureError).reason).toBe(want.reason);
      }
    });
  },
);

describe.skipIf(!haveShared)(
  "multi-section pcapng cut at every offset (tcpdump refuses the file; tshark list is the oracle)",
  () => {
    for (const order of ["output_le", "output_be"]) {
      it(`${order}/difficult/test202.pcapng: whole records before the cut, then one CaptureError`, () => {
        const path = join(corpus, "pcapng-test-generator", order, "difficult/test202.pcapng");
        const full = readFileSync(path);
        const want = tsv(path.replace(/\.pcapng$/, ".tshark-4.0.17.tsv")).filter(
          (t) => t["frame.interface_id"] !== "",
        );
        let last = 0;
        for (let n = 0; n < full.byteLength; n++) {
          const got = drain(() => readCaptureBytes(full.subarray(0, n), "cut"));
          expect(got.recs.length).toBeGreaterThanOrEqual(last);
          expect(got.recs.length).toBeLessThan(want.length);
          last = got.recs.length;
          got.recs.forEach(({ rec }, i) => {
            expect(rec.origLen).toBe(Number(want[i]["frame.len"]));
          });
          // A cut exactly at a block boundary is a shorter valid file; anywhere else it is an error.
          if (got.err !== undefined) {
            expect(got.err).toBeInstanceOf(CaptureError);
            expect((got.err as CaptureError).reason).toMatch(
              /^(truncated pcapng dump file|truncated dump file; tried to read 4 file header|unknown file format|the capture file has no Interface)/,
            );
          }
        }
        expect(drain(() => readCaptureBytes(full, "full")).recs.length).toBe(want.length);
      });
    }
  },
);

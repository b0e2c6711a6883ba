import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusFrame, haveShared } from "../../test/shared.js";
import type { CaptureRecord } from "../record.js";
import { formatTimestamp, TcpdumpPrinter } from "./index.js";
import { asciiDump, hexAsciiDump, hexDump } from "./util.js";

// Record 1 of the corpus capture tcpdump/dns_tcp.pcap (a TCP SYN with options), ts 1591780863.720289,
// read at test time (empty when ../shared is absent).
const SYN = corpusFrame("tcpdump/dns_tcp.pcap", 1);
const rec = (data: Uint8Array, origLen = data.byteLength, linkType = 1): CaptureRecord => ({
  tsSec: 1591780863,
  tsFrac: 720289,
  fracDigits: 6,
  linkType,
  iface: 0,
  origLen,
  data,
});

describe.skipIf(!haveShared)("TcpdumpPrinter", () => {
  // Expected lines: `TZ=GMT0 tcpdump -# -n -r f.pcap [-v]` (tcpdump 4.99.3) on this record, whole and cut.
  it("prints a TCP SYN as tcpdump does", () => {
    expect(new TcpdumpPrinter().format(rec(SYN), 1)).toBe(
      "    1  09:21:03.720289 IP 192.168.1.11.33779 > 209.87.249.18.53: Flags [S], seq 603899916, win 64240, options [mss 1460,sackOK,TS val 2044906138 ecr 0,nop,wscale 7], length 0\n",
    );
    expect(new TcpdumpPrinter({ verbose: 1 }).format(rec(SYN), 1)).toBe(
      "    1  09:21:03.720289 IP (tos 0x0, ttl 64, id 39720, offset 0, flags [DF], proto TCP (6), length 60)\n" +
        "    192.168.1.11.33779 > 209.87.249.18.53: Flags [S], cksum 0x0c41 (correct), seq 603899916, win 64240, options [mss 1460,sackOK,TS val 2044906138 ecr 0,nop,wscale 7], length 0\n",
    );
  });

  it("marks truncation where the capture ends, as tcpdump does", () => {
    expect(new TcpdumpPrinter().format(rec(SYN.subarray(0, 40), 74), 1)).toBe(
      "    1  09:21:03.720289 IP 192.168.1.11.33779 > 209.87.249.18.53:  [|tcp]\n",
    );
    expect(new TcpdumpPrinter({ verbose: 1 }).format(rec(SYN.subarray(0, 40), 74), 1)).toBe(
      "    1  09:21:03.720289 IP (tos 0x0, ttl 64, id 39720, offset 0, flags [DF], proto TCP (6), length 60)\n" +
        "    192.168.1.11.33779 > 209.87.249.18.53:  [|tcp]\n",
    );
    expect(new TcpdumpPrinter().format(rec(SYN.subarray(0, 20), 74), 1)).toBe(
      "    1  09:21:03.720289 IP  [|ip]\n",
    );
  });

  it("reports invalid record headers instead of decoding (print.c pretty_print_packet)", () => {
    expect(new TcpdumpPrinter().format(rec(new Uint8Array(0), 0), 3)).toBe(
      "    3  [Invalid header: caplen==0, len==0]\n",
    );
    expect(new TcpdumpPrinter().format(rec(SYN, 42), 7)).toBe(
      "    7  [Invalid header: len(42) < caplen(74)]\n",
    );
  });

  it("prints every truncation of a valid packet without throwing, ending in a truncation mark", () => {
    for (let cut = 34; cut < SYN.byteLength; cut++) {
      const out = new TcpdumpPrinter({ verbose: 1 }).format(rec(SYN.subarray(0, cut), 74), 1);
      expect(out).toMatch(/ \[\|tcp\]>?\n$/);
    }
  });
});

describe("TcpdumpPrinter", () => {
  it("never throws on arbitrary bytes, on any link type, and ends every packet with a newline", () => {
    const link = fc.constantFrom(0, 1, 101, 108, 113, 228, 229);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 120 }),
        link,
        fc.integer({ min: 0, max: 3 }),
        (d, lt, v) => {
          const out = new TcpdumpPrinter({ verbose: v, linkHeader: v === 2, hexAscii: v === 3 }).format(
            rec(d, d.byteLength, lt),
            1,
          );
          expect(out.endsWith("\n")).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("timestamps (corpus README and .out files)", () => {
  it("prints fractions as they are, even out of range", () => {
    // tcpdump/aoe-oobr-1.out: ts_usec 1048579 → 06:58:21.1048579; tcp_header_heapoverflow.out: .808464432.
    expect(formatTimestamp(25101, 1048579, 6, "time", false)).toBe("06:58:21.1048579");
    expect(formatTimestamp(19632, 808464432, 6, "time", false)).toBe("05:27:12.808464432");
  });
  it("scales ns to µs by truncation and µs to ns by padding (tcp-handshake-*.out)", () => {
    expect(formatTimestamp(1500052569, 924505488, 9, "time", false)).toBe("17:16:09.924505");
    expect(formatTimestamp(1500052569, 924505, 6, "time", true)).toBe("17:16:09.924505000");
  });
  it("prints -tttt dates and [Error converting time]", () => {
    // 802.1ad_QinQ.out: 2019-12-08 21:59:54.599412 (1575842394).
    expect(formatTimestamp(1575842394, 599412, 6, "datetime", false)).toBe("2019-12-08 21:59:54.599412");
    expect(formatTimestamp(0x80000000, 5, 6, "time", false)).toBe("[Error converting time]");
  });
});

describe.skipIf(!haveShared)(
  "dumps (print-ascii.c layout, as in tcpdump/print-x.out and print-capX.out)",
  () => {
    it("lays out -x and -X lines", () => {
      // The IPv4 header and ports of tcpdump/print-flags.pcap #1 (bytes 14..37), read at test time.
      const b = corpusFrame("tcpdump/print-flags.pcap", 1, 14, 38);
      expect(hexDump(b, 0, b.byteLength)).toBe(
        "\n\t0x0000:  4500 003c 1b68 4000 4006 2152 7f00 0001\n\t0x0010:  7f00 0001 da70 0050",
      );
      expect(hexAsciiDump(b, 0, 3)).toBe(`\n\t0x0000:  4500 00${" ".repeat(34)}E..`);
    });
  },
);

describe("dumps (print-ascii.c layout, as in tcpdump/print-x.out and print-capX.out)", () => {
  it("prints -A text with CR before LF dropped", () => {
    const b = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(asciiDump(b, 0, b.byteLength)).toBe("\nGET / HTTP/1.1\nHost: x\n\n");
  });
});

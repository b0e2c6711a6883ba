import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusPath, haveShared, SHARED_DIR, tool, toolPath } from "../test/shared.js";
import { compileFilter, FilterSyntaxError } from "./filter.js";
import { readCaptureBytes } from "./reader.js";

const TCPDUMP = toolPath("tcpdump");
const haveTcpdump = tool("tcpdump");

interface Rec {
  readonly origLen: number;
  readonly data: Uint8Array;
}

function readAll(bytes: Uint8Array): { linkType: number; recs: Rec[] } {
  const r = readCaptureBytes(bytes);
  const recs: Rec[] = [];
  for (const rec of r) recs.push({ origLen: rec.origLen, data: rec.data.slice() });
  return { linkType: r.header.linkType, recs };
}

function sameRec(a: Rec, b: Rec): boolean {
  if (a.origLen !== b.origLen || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/**
 * Which input records tcpdump's filter kept: tcpdump -w writes the matches in order, so they are a
 * subsequence of the input (identical records get identical verdicts, so greedy matching is exact).
 * Returns null when tcpdump refuses the expression for this file (with its message).
 */
function tcpdumpVerdicts(file: string, expr: string, input: Rec[], out: string): boolean[] | string {
  const res = spawnSync(TCPDUMP, ["-r", file, "-w", out, "--", expr], { encoding: "utf8" });
  if (res.status !== 0) return res.stderr.trim();
  const kept = readAll(new Uint8Array(readFileSync(out))).recs;
  const verdicts = new Array<boolean>(input.length).fill(false);
  let j = 0;
  for (let i = 0; i < input.length && j < kept.length; i++) {
    if (sameRec(input[i], kept[j])) {
      verdicts[i] = true;
      j++;
    }
  }
  if (j !== kept.length)
    throw new Error(`tcpdump output of ${expr} on ${file} is not a subsequence of the input`);
  return verdicts;
}

// Every primitive of the supported subset; addresses/ports are ones that occur in the corpus captures.
const EXPRESSIONS = [
  "ip",
  "ip6",
  "arp",
  "rarp",
  "tcp",
  "udp",
  "icmp",
  "icmp6",
  "sctp",
  "not ip",
  "! tcp && ! udp",
  "ip or ip6",
  "host 10.1.48.19",
  "src host 10.20.30.41",
  "dst host 10.20.30.41",
  "src and dst host 10.1.1.10",
  "src or dst host 10.1.1.10",
  "host 10.20.30.41 or 10.20.30.42",
  "host 10.20.30.40 and not 10.20.30.41",
  "host 172.17.0.2",
  "arp host 172.21.79.100",
  "ip host 192.168.1.11",
  "net 10.20.30.0/24",
  "net 10.0.0.0 mask 255.0.0.0",
  "src net 192.168",
  "dst net 10",
  "net 131.155.215.0/24",
  "host fe80::215:17ff:fecc:e546",
  "dst host ff02::16",
  "net 2001:db8::/32",
  "src net fe80::/10",
  "ip6 host 2001:db8::2",
  "port 53",
  "tcp port 80",
  "udp port 67 or 68",
  "port 53 and not 80",
  "src port 3025",
  "dst port 1723",
  "tcp dst port 1723 or src port 1723",
  "portrange 60-70",
  "udp portrange 500-700",
  "tcp src portrange 1-1024",
  "ether host 00:08:5d:23:0c:3f",
  "ether src 00:11:22:33:44:55",
  "ether dst 08:00:20:9f:6b:72",
  "ether src host 00:80:ea:81:88:63 or ether dst 00:80:ea:81:88:63",
  "ether broadcast",
  "ether multicast",
  "broadcast",
  "multicast and not broadcast",
  "ip multicast",
  "ip6 multicast",
  "vlan",
  "vlan 200",
  "vlan 2580 and ip",
  "vlan and arp",
  "vlan and vlan and arp",
  "vlan 200 and vlan 2001",
  "vlan and ip and udp port 698",
  "ip or vlan and ip",
  "vlan and (ip or arp)",
  "not vlan",
  "proto 51",
  "ip proto 4",
  "ip proto 51",
  "ip6 proto 17",
  "ip6 proto 58",
  "ip proto \\tcp",
  "ether proto 0x0806",
  "ether proto \\ip",
  "greater 100",
  "less 64",
  "len > 1000",
  "len <= 60",
  "len - 14 >= 1400 and ip",
  "ip[9] = 1",
  "ip[6:2] & 0x1fff != 0",
  "ip[6] & 0x20 = 0x20",
  "ip[0] & 0xf > 5",
  "ip[2:2] > 1000",
  "tcp[13] & 2 != 0",
  "tcp[tcpflags] & (tcp-syn|tcp-ack) = (tcp-syn|tcp-ack)",
  "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0",
  "tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg|tcp-ece|tcp-cwr) != 0",
  "tcp[12] >> 4 > 5",
  "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
  "udp[0:2] = 67",
  "udp[4:2] - 8 > 100",
  "icmp[icmptype] = icmp-echo",
  "icmp[icmptype] == icmp-echoreply or icmp[icmpcode] != 0",
  "icmp6[icmp6type] = icmp6-routeradvert",
  "icmp6[0] >= 130 and icmp6[0] <= 132",
  "ip6[6] = 0",
  "ip6[40] = 44",
  "arp[6:2] = 2",
  "ether[0] & 1 = 1",
  "ether[12:2] = 0x88a8",
  "ether[12:2] = 0x8100 and ether[14:2] & 0xfff = 2580",
  "link[6:4] = 0x0008 * 0x10000 + 0x5d23",
  "ether[1] + ether[2] * 3 - 1 > 100",
  "ether[0] % 3 = 0",
  "ether[6] ^ 0xff = 0xff",
  "ether[6] | ether[7] != 0",
  "ether[12] << 8 | ether[13] = 0x800",
  "-ether[0] = 0",
  "ether[1000] = 0 or ip",
  "ip or ether[1000] = 0",
  "ip[1] / ip[1] = 1 or arp",
  "(tcp or udp) and (src net 10.0.0.0/8 or dst net 192.168.0.0/16)",
  "not (port 53 or port 80) and ip",
  "ip and not tcp or arp",
  "tcp or udp and not ip6",
  "host 10.1.1.11 and (port 3025 or 1723)",
  "icmp or icmp6 or arp",
  "ah",
  "esp",
];

describe.skipIf(!haveShared || !haveTcpdump)("compileFilter agrees with tcpdump 4.99.3 on the corpus", () => {
  const tmp = mkdtempSync(join(tmpdir(), "vnet-filter-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const files: string[] = [];
  if (haveShared) {
    for (const dir of ["tcpdump", "libpcap"]) {
      for (const f of readdirSync(corpusPath(dir)).sort()) {
        if (f.endsWith(".pcap")) files.push(join(CORPUS_DIR, dir, f));
      }
    }
  }

  it("has at least 50 expressions", () => {
    expect(EXPRESSIONS.length).toBeGreaterThanOrEqual(50);
  });

  for (const file of files) {
    it(file.slice(SHARED_DIR.length + 1), () => {
      const probe = spawnSync(TCPDUMP, ["-r", file, "-w", join(tmp, "probe.pcap")], { encoding: "utf8" });
      if (probe.status !== 0) return; // tcpdump itself refuses the file (reject tests): nothing to compare
      const { linkType, recs } = readAll(new Uint8Array(readFileSync(file)));
      const out = join(tmp, "out.pcap");
      let compared = 0;
      for (const expr of EXPRESSIONS) {
        const want = tcpdumpVerdicts(file, expr, recs, out);
        if (typeof want === "string" && want.includes("expression rejects all packets")) {
          // libpcap's optimiser refuses a filter that is constant false: ours must reject every record.
          const f = compileFilter(expr, linkType);
          expect(
            recs.map((r) => f(r.data, r.origLen)),
            `${expr} on ${file}`,
          ).toEqual(recs.map(() => false));
          continue;
        }
        if (typeof want === "string") {
          // tcpdump refuses this expression for this link type: so must we.
          expect(() => compileFilter(expr, linkType), `${expr}: tcpdump said ${want}`).toThrow(
            FilterSyntaxError,
          );
          continue;
        }
        const f = compileFilter(expr, linkType);
        const got = recs.map((r) => f(r.data, r.origLen));
        expect(got, `${expr} on ${file}`).toEqual(want);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});

describe("compileFilter on hand-built frames", () => {
  // Ethernet + IPv4 + UDP 10.0.0.1:1234 -> 10.0.0.2:53, built by hand (decoded by tcpdump -r as
  // "10.0.0.1.1234 > 10.0.0.2.53: [|domain]").
  const frame = new Uint8Array([
    0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10,
    0, 0, 1, 10, 0, 0, 2, 0x04, 0xd2, 0, 53, 0, 8, 0, 0,
  ]);
  it("matches ports and hosts and rejects out-of-bounds loads as a whole", () => {
    expect(compileFilter("udp port 53", 1)(frame, frame.length)).toBe(true);
    expect(compileFilter("src host 10.0.0.1 and dst port 53", 1)(frame, frame.length)).toBe(true);
    expect(compileFilter("tcp", 1)(frame, frame.length)).toBe(false);
    expect(compileFilter("not ether[100] = 1", 1)(frame, frame.length)).toBe(false);
    expect(compileFilter("", 1)(frame, frame.length)).toBe(true);
    expect(compileFilter("greater 1000", 1)(frame, 1500)).toBe(true);
  });
  it("reads IPv4 at offset 0 for RAW/IPV4 and behind the AF word for NULL/LOOP", () => {
    const ip = frame.subarray(14);
    expect(compileFilter("udp port 53", 101)(ip, ip.length)).toBe(true);
    expect(compileFilter("ip6", 101)(ip, ip.length)).toBe(false);
    expect(compileFilter("udp port 53", 228)(ip, ip.length)).toBe(true);
    const le = new Uint8Array([2, 0, 0, 0, ...ip]);
    const be = new Uint8Array([0, 0, 0, 2, ...ip]);
    expect(compileFilter("host 10.0.0.2", 0)(le, le.length)).toBe(true);
    expect(compileFilter("host 10.0.0.2", 108)(be, be.length)).toBe(true);
    expect(compileFilter("host 10.0.0.2", 108)(le, le.length)).toBe(false);
  });
});

describe("FilterSyntaxError", () => {
  // Columns are 1-based positions of the offending token.
  const cases: [string, number, RegExp][] = [
    ["tcp and", 8, /unexpected end/],
    ["port 53 and and", 13, /unexpected "and"/],
    ["host 1.2.3.256", 6, /invalid IPv4 address/],
    ["port 70000", 6, /illegal port number 70000 > 65535/],
    ["tcp or 80", 8, /unexpected "80"/],
    ["foo", 1, /unexpected "foo"/],
    ["ip[0] = 1 )", 11, /unexpected "\)"/],
    ["(tcp", 5, /unexpected end/],
    ["ether host 1.2.3.4", 12, /illegal link layer address/],
    ["host 10.0.0.0/8", 6, /Mask syntax for networks only/],
    ["net 10.0.0.1/8", 5, /non-network bits set/],
    ["ip[0:3] = 1", 6, /data size must be 1, 2, or 4/],
    ["ip[0] / 0 = 1", 7, /division by zero/],
    ["ip[0] << 32 = 1", 7, /shift by more than 31 bits/],
    ["vlan 5000", 6, /VLAN tag 5000 greater than maximum 4095/],
    ["port 08", 6, /non-octal digit/],
    ["len > 0x100000000", 7, /overflows 32 bits/],
    ["host 1:2:3", 6, /bogus/],
    ["ip host fe80::1", 9, /'ip' modifier applied to host/],
    ["tcp[0] = 1 $", 12, /unexpected character/],
    ["host zork", 6, /unknown host 'zork'/],
    ["ip6 port 53", 10, /illegal qualifier of 'port'/],
  ];
  for (const [expr, col, msg] of cases) {
    it(`${JSON.stringify(expr)} -> column ${col}`, () => {
      let err: unknown;
      try {
        compileFilter(expr, 1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FilterSyntaxError);
      const fe = err as FilterSyntaxError;
      expect(fe.message).toMatch(msg);
      expect(fe.column).toBe(col);
      expect(fe.message).toContain(`at column ${col}`);
    });
  }
  it("link-type dependent errors", () => {
    expect(() => compileFilter("vlan", 113)).toThrow(/no VLAN support/);
    expect(() => compileFilter("ether host 00:11:22:33:44:55", 113)).toThrow(
      /ethernet addresses supported only/,
    );
  });
});

describe("robustness (fast-check)", () => {
  const words = [
    "ip",
    "ip6",
    "tcp",
    "udp",
    "icmp",
    "arp",
    "host",
    "net",
    "port",
    "portrange",
    "src",
    "dst",
    "and",
    "or",
    "not",
    "!",
    "(",
    ")",
    "[",
    "]",
    ":",
    "=",
    "!=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "len",
    "vlan",
    "ether",
    "proto",
    "mask",
    "0",
    "1",
    "2",
    "4",
    "53",
    "0x800",
    "10.0.0.1",
    "10.0.0.0/8",
    "fe80::1",
    "00:11:22:33:44:55",
    "tcp-syn",
    "tcpflags",
    "broadcast",
    "multicast",
    "less",
    "greater",
    "zork",
  ];
  it("random token strings compile or throw FilterSyntaxError, never anything else", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...words), { maxLength: 12 }),
        fc.constantFrom(0, 1, 101, 113, 228),
        (ws, lt) => {
          try {
            compileFilter(ws.join(" "), lt);
          } catch (e) {
            if (!(e instanceof FilterSyntaxError)) throw e;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
  it("random character strings compile or throw FilterSyntaxError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        try {
          compileFilter(s, 1);
        } catch (e) {
          if (!(e instanceof FilterSyntaxError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
  it("compiled filters never throw on random bytes", () => {
    const filters = EXPRESSIONS.map((e) => compileFilter(e, 1));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(2000), (b, extra) => {
        for (const f of filters) expect(typeof f(b, b.length + extra)).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });
});

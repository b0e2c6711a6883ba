/**
 * Conformance with tcpdump 4.99.3: every corpus row that has an expected `.out` (tcpdump's own test
 * suite, and the libpcap gap-fillers whose `.out` were made by Debian's tcpdump 4.99.3) is printed by
 * vnet's printer and compared byte for byte. Expected text comes only from those files (and, for the
 * two rows whose `.out` came from tcpdump master, from the 4.99.3 wording the corpus README records).
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatCapture, type InspectOptions } from "../captures/print/index.js";
import { readCaptureBytes } from "../captures/reader.js";
import { corpusBytes, corpusPath, corpusText, haveShared } from "./shared.js";

/** Tests that must match byte for byte: the protocols vnet prints (Ethernet/802.1Q/802.1ad, ARP, IPv4, IPv6 + extension headers, ICMP, ICMPv6, UDP, TCP, DNS, DHCPv4, DHCPv6, VXLAN, HTTP/SSH first lines) and the malformed-input cases. */
const IN_SCOPE = new Set([
  "print-x.out",
  "print-capX.out",
  "print-A.out",
  "dns_udp.out",
  "dns_udp-vv.out",
  "dns_tcp.out",
  "dns_tcp-v.out",
  "dhcp-rfc3004-v.out",
  "dhcp-rfc4388.out",
  "dhcpv6-ia-na.out",
  "QinQpacket.out",
  "802.1ad_QinQ.out",
  "icmpv6.out",
  "icmpv6_opt24-v.out",
  "ipv6-routing-header.out",
  "tfo.out",
  "vxlan.out",
  "tcp-handshake-nano.out",
  "tcp-handshake-micro.out",
  "timestamp_invalid_nano.out",
  "icmpv6-length-zero.out",
  "icmp-length-zero.out",
  "empty.out",
  "tcp_header_heapoverflow.out",
  "udp-length-heapoverflow.out",
  "bad-ipv4-version-pgm-heapoverflow.out",
  "arp-too-long-tha.out",
  "ipv6hdr-heapoverflow.out",
  "ip6_frag_asan.out",
  "ipv6-bad-version.out",
  "ah-ipip-ping.tcpdump-4.99.3.out",
  "ah-ipip-ping.tcpdump-4.99.3-v.out",
  "gateway_or_not.tcpdump-4.99.3.out",
  "gateway_or_not.tcpdump-4.99.3-v.out",
  "ipv6_ext_headers.tcpdump-4.99.3.out",
  "ipv6_ext_headers.tcpdump-4.99.3-v.out",
]);

/** Tests whose payload protocol vnet does not print (tcpdump's output there is not a goal). */
const OUT_OF_SCOPE = new Map([
  ["OLSRv1_HNA_sgw_1.out", "OLSR payload (UDP 698) is not decoded"],
  ["geneve-vv.out", "Geneve (UDP 6081) is not decoded"],
  ["pptp.out", "PPTP control messages (TCP 1723) are not decoded"],
  ["unaligned-nfs-1.out", "NFS/SunRPC over TCP is not decoded"],
  ["bgp-shutdown-communication.out", "BGP (TCP 179) is not decoded"],
  ["aoe-oobr-1.out", "ATA over Ethernet is not decoded"],
  ["icmp-icmp_print-oobr-1.out", "VRRP (IP protocol 112) is not decoded"],
]);

/**
 * The two `.out` files taken from tcpdump master word two things differently from 4.99.3 (corpus
 * README, "How each .out was made"): vnet follows 4.99.3, so those are compared after turning the
 * master wording back into 4.99.3's.
 */
const MASTER_TO_4993: Record<string, [string, string]> = {
  "timestamp_invalid_nano.out": [" (invalid ns)", ""],
  "icmp-length-zero.out": ["IP [total length 0 < header length 20] (invalid)", "IP bad-len 0"],
};

interface Case {
  readonly capture: string;
  readonly out: string;
  readonly dir: string;
  readonly opts: Partial<InspectOptions> | string;
}

/** tcpdump options → ours (`-#`, `-n` are implicit); a string is the reason they cannot be mapped. */
function mapOptions(tokens: readonly string[], tttt: boolean): Partial<InspectOptions> | string {
  const o: { -readonly [K in keyof InspectOptions]?: InspectOptions[K] } = {
    time: tttt ? "datetime" : "time",
  };
  for (const t of tokens) {
    if (t === "SPECIAL_t" || t === "-#" || t === "-n") continue;
    if (t === "-tttt") o.time = "datetime";
    else if (t === "-q") o.quick = true;
    else if (t === "--nano") o.nano = true;
    else if (t === "-e") o.linkHeader = true;
    else if (/^-v+$/.test(t)) o.verbose = t.length - 1;
    else if (t === "-x") o.hex = 1;
    else if (t === "-xx") o.hex = 2;
    else if (t === "-X") o.hexAscii = true;
    else if (t === "-XX") {
      o.hexAscii = true;
      o.hex = 2;
    } else if (t === "-A") o.ascii = true;
    else return `option ${t} not supported`;
  }
  return o;
}

function tsv(rel: string): Record<string, string>[] {
  const [head, ...lines] = corpusText(rel).split("\n").filter(Boolean);
  const cols = head.split("\t");
  return lines.map((l) => {
    const f = l.split("\t");
    return Object.fromEntries(cols.map((c, i) => [c, f[i] ?? ""]));
  });
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const r of tsv("tcpdump/INDEX.tsv")) {
    if (!r.expected_output) continue;
    const tokens = r.tcpdump_options.split(/\s+/).filter(Boolean);
    out.push({
      capture: r.file,
      out: r.expected_output,
      dir: "tcpdump/",
      opts: mapOptions(tokens, / -tttt\b/.test(r.command)),
    });
  }
  for (const r of tsv("libpcap/INDEX.tsv")) {
    if (!r.expected_output.includes(".out")) continue;
    const stem = r.file.replace(/\.pcap$/, "");
    for (const [suffix, tokens] of [
      [".tcpdump-4.99.3.out", []],
      [".tcpdump-4.99.3-v.out", ["-v"]],
    ] as const) {
      if (existsSync(corpusPath(`libpcap/${stem}${suffix}`)))
        out.push({ capture: r.file, out: stem + suffix, dir: "libpcap/", opts: mapOptions(tokens, false) });
    }
  }
  return out;
}

function firstDifference(got: string, want: string): string {
  const a = got.split("\n");
  const b = want.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: got ${JSON.stringify(a[i] ?? null)}, want ${JSON.stringify(b[i] ?? null)}`;
  }
  return "identical";
}

describe.skipIf(!haveShared)("tcpdump conformance (corpus)", () => {
  it("prints every in-scope corpus test byte for byte as tcpdump 4.99.3", () => {
    const all = cases();
    const matched: string[] = [];
    const others: string[] = [];
    const failedInScope: string[] = [];
    for (const c of all) {
      const name = `${c.out} (${c.capture})`;
      if (typeof c.opts === "string") {
        others.push(`${name}: ${c.opts}`);
        if (IN_SCOPE.has(c.out)) failedInScope.push(name);
        continue;
      }
      let want = corpusText(c.dir + c.out, "latin1");
      const master = MASTER_TO_4993[c.out];
      if (master) want = want.split(master[0]).join(master[1]);
      let got: string;
      try {
        const bytes = corpusBytes(c.dir + c.capture);
        got = formatCapture(readCaptureBytes(bytes, c.capture), c.opts);
      } catch (e) {
        got = `<error: ${(e as Error).message}>`;
      }
      if (got === want) {
        matched.push(name + (master ? " [4.99.3 wording]" : ""));
        continue;
      }
      const reason = OUT_OF_SCOPE.get(c.out) ?? (IN_SCOPE.has(c.out) ? "IN SCOPE, differs" : "not listed");
      others.push(`${name}: ${reason}; ${firstDifference(got, want)}`);
      if (!OUT_OF_SCOPE.has(c.out)) failedInScope.push(`${name}: ${firstDifference(got, want)}`);
    }
    console.log(
      `conformance: ${matched.length} of ${all.length} tcpdump tests match byte for byte\n` +
        others.map((s) => `  not matching: ${s}`).join("\n"),
    );
    // Every listed test exists in the corpus, and nothing is both in and out of scope.
    const names = new Set(all.map((c) => c.out));
    for (const n of IN_SCOPE) expect(names.has(n), n).toBe(true);
    for (const n of OUT_OF_SCOPE.keys()) expect(IN_SCOPE.has(n), n).toBe(false);
    expect(failedInScope).toEqual([]);
  });
});

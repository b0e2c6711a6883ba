/**
 * The quick-start capture (examples/quickstart.pcap) and the tcpdump cross-check.
 *
 * 1. The committed capture is exactly what scripts/make-quickstart.ts makes (it is reproducible).
 * 2. The installed tcpdump (Debian's 4.99.3) reads it cleanly: every checksum it checks is correct and
 *    nothing is truncated or malformed.
 * 3. Cross-check: on captures that vnet's own writers produce (the quick-start capture; its records
 *    re-written as pcap with nanoseconds, pcapng with µs and ns, and pcap cut to a 64-byte snaplen;
 *    and a capture of further frames built here with the wire/ emitters), vnet's printer must print
 *    byte for byte what `TZ=GMT0 tcpdump -# -n -r FILE [option]` prints. The expected text is
 *    tcpdump's output, produced at test time; nothing expected is computed by vnet.
 *
 * Without tcpdump the cross-check is skipped with a message, except under CI (`CI` set), which must
 * install it (.ci/run does).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { formatCapture, type InspectOptions } from "../captures/print/index.js";
import { openCapture, readCaptureBytes } from "../captures/reader.js";
import { type CaptureRecord, LinkType } from "../captures/record.js";
import { PcapngWriter, PcapWriter } from "../captures/writer.js";
import { makeQuickstartPcap } from "../scripts/make-quickstart.js";
import {
  type Ipv6,
  parseIpv4Address as ip4,
  parseIpv6Address as ip6,
  type Mac,
  parseMac,
} from "../wire/addr.js";
import { buildDhcp, DhcpMessageType, dhcpOption, encodeDhcp } from "../wire/dhcp.js";
import { DnsType, dnsQuery, dnsRecord, dnsResponse, encodeDns } from "../wire/dns.js";
import { EthernetFrame, EtherType, emitEthernet } from "../wire/ethernet.js";
import { emitIcmpv4, Icmpv4Packet, type Icmpv4Repr, icmpv4BufferLen } from "../wire/icmpv4.js";
import { emitIcmpv6, Icmpv6Packet, type Icmpv6Repr, icmpv6BufferLen, NaFlag } from "../wire/icmpv6.js";
import {
  emitIpv4,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
  ipv4BufferLen,
  ipv4HeaderLen,
} from "../wire/ipv4.js";
import { emitIpv6, Ipv6Packet, type Ipv6Repr, ipv6BufferLen } from "../wire/ipv6.js";
import { type PseudoHeader, pseudoV4, pseudoV6 } from "../wire/l4-checksum.js";
import { emitTcp, TcpFlag, type TcpOption, TcpPacket, tcpBufferLen } from "../wire/tcp.js";
import { emitUdp, UdpPacket, udpBufferLen } from "../wire/udp.js";
import { pushTag, VlanTpid } from "../wire/vlan.js";

const TCPDUMP = "/usr/bin/tcpdump";
const haveTcpdump = existsSync(TCPDUMP);
const committedUrl = new URL("../examples/quickstart.pcap", import.meta.url);

// ---------------------------------------------------------------------------------------------------
// 1, 2: the committed capture.

describe("examples/quickstart.pcap", () => {
  it("is exactly what makeQuickstartPcap() makes (reproducible, deterministic)", () => {
    const committed = readFileSync(committedUrl);
    const made = makeQuickstartPcap();
    expect(Buffer.from(made).equals(committed)).toBe(true);
    expect(Buffer.from(makeQuickstartPcap()).equals(Buffer.from(made))).toBe(true);
  });

  it("has 25 to 40 Ethernet frames from 2026-01-01T00:00:00Z on, in time order", () => {
    const r = openCapture(fileURLToPath(committedUrl));
    expect(r.header.format).toBe("pcap");
    expect(r.header.linkType).toBe(LinkType.ETHERNET);
    const times: number[] = [];
    for (const rec of r) {
      expect(rec.fracDigits).toBe(6);
      expect(rec.origLen).toBe(rec.data.byteLength);
      times.push(rec.tsSec * 1e6 + rec.tsFrac);
    }
    expect(times.length).toBeGreaterThanOrEqual(25);
    expect(times.length).toBeLessThanOrEqual(40);
    expect(times[0]).toBe(Date.UTC(2026, 0, 1) * 1000);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
  });

  it.skipIf(!haveTcpdump)(
    "reads cleanly in tcpdump -vv: checksums correct, nothing truncated or malformed",
    () => {
      const out = tcpdump(fileURLToPath(committedUrl), ["-vv"]);
      const packets = out.split("\n").filter((l) => /^ {0,4}\d+ {2}\d\d:/.test(l));
      expect(packets.length).toBe(29);
      expect(out).not.toMatch(/bad|incorrect|wrong|\[\|| \(invalid\)|malformed|truncated/i);
      // every TCP segment and UDP datagram had its checksum checked and found correct
      expect(out.match(/cksum 0x[0-9a-f]{4} \(correct\)/g)?.length).toBe(10);
      expect(out.match(/\[udp sum ok\]/g)?.length).toBe(10);
      expect(out.match(/\[icmp6 sum ok\]/g)?.length).toBe(2);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Running tcpdump.

function tcpdump(file: string, options: readonly string[]): string {
  return execFileSync(TCPDUMP, ["-#", "-n", "-r", file, ...options], {
    env: { ...process.env, TZ: "GMT0" },
    encoding: "latin1",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 64 << 20,
  });
}

/** tcpdump's options, as vnet's printer options. */
function printerOptions(tcpdumpOptions: readonly string[]): Partial<InspectOptions> {
  const o: { -readonly [K in keyof InspectOptions]?: InspectOptions[K] } = {};
  for (const t of tcpdumpOptions) {
    if (/^-v+$/.test(t)) o.verbose = t.length - 1;
    else if (t === "-e") o.linkHeader = true;
    else if (t === "-x") o.hex = 1;
    else if (t === "-X") o.hexAscii = true;
    else if (t === "-A") o.ascii = true;
    else if (t === "-q") o.quick = true;
    else if (t === "--nano") o.nano = true;
    else if (t === "-tttt") o.time = "datetime";
    else throw new Error(`no mapping for tcpdump option ${t}`);
  }
  return o;
}

function firstDifference(got: string, want: string): string {
  const a = got.split("\n");
  const b = want.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}:\n  tcpdump: ${JSON.stringify(b[i] ?? null)}\n  vnet:    ${JSON.stringify(a[i] ?? null)}`;
  }
  return "identical";
}

// ---------------------------------------------------------------------------------------------------
// Captures written by vnet's writers.

/** The records of a capture, copied (reader records are views valid only until the next one). */
function recordsOf(bytes: Uint8Array): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (const r of readCaptureBytes(bytes)) out.push({ ...r, data: r.data.slice() });
  return out;
}

/** Nanosecond copies of µs records: a sub-µs part (0..999 ns) varying by record, so all nine digits show. */
function toNanos(records: readonly CaptureRecord[]): CaptureRecord[] {
  return records.map((r, i) => ({ ...r, tsFrac: r.tsFrac * 1000 + ((i * 137 + 1) % 1000), fracDigits: 9 }));
}

const EMPTY = new Uint8Array(0);

function ether(dst: Mac, src: Mac, etherType: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + payload.byteLength);
  emitEthernet({ dst, src, etherType }, EthernetFrame.unchecked(b));
  b.set(payload, 14);
  return b;
}

function ipv4(
  r: Partial<Ipv4Repr> & Pick<Ipv4Repr, "src" | "dst" | "protocol">,
  payload: Uint8Array,
): Uint8Array {
  const full: Ipv4Repr = {
    dscp: 0,
    ecn: 0,
    ident: 0x1234,
    reservedFlag: false,
    dontFrag: false,
    moreFrags: false,
    fragOffset: 0,
    ttl: 64,
    options: EMPTY,
    payloadLen: payload.byteLength,
    ...r,
  };
  const b = new Uint8Array(ipv4BufferLen(full));
  emitIpv4(full, Ipv4Packet.unchecked(b));
  b.set(payload, ipv4HeaderLen(full));
  return b;
}

function ipv6(src: Ipv6, dst: Ipv6, nextHeader: number, payload: Uint8Array, hopLimit = 64): Uint8Array {
  const r: Ipv6Repr = {
    trafficClass: 0,
    flowLabel: 0x2c5a1,
    nextHeader,
    hopLimit,
    src,
    dst,
    payloadLen: payload.byteLength,
  };
  const b = new Uint8Array(ipv6BufferLen(r));
  emitIpv6(r, Ipv6Packet.unchecked(b));
  b.set(payload, 40);
  return b;
}

function udp(ip: PseudoHeader, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const r = { srcPort, dstPort, payload };
  const b = new Uint8Array(udpBufferLen(r));
  emitUdp(r, UdpPacket.unchecked(b), ip);
  return b;
}

function tcp(
  ip: PseudoHeader,
  s: {
    sport: number;
    dport: number;
    seq: number;
    ack: number;
    flags: number;
    options: TcpOption[];
    payload?: Uint8Array;
  },
): Uint8Array {
  const r = {
    srcPort: s.sport,
    dstPort: s.dport,
    seq: s.seq >>> 0,
    ack: s.ack >>> 0,
    flags: s.flags,
    window: 501,
    urgentPointer: 0,
    options: s.options,
    payload: s.payload ?? EMPTY,
  };
  const b = new Uint8Array(tcpBufferLen(r));
  emitTcp(r, TcpPacket.unchecked(b), ip);
  return b;
}

function icmp4(r: Icmpv4Repr): Uint8Array {
  const b = new Uint8Array(icmpv4BufferLen(r));
  emitIcmpv4(r, Icmpv4Packet.unchecked(b));
  return b;
}

/** An ICMPv6 message in its IPv6 packet. */
function icmp6(src: Ipv6, dst: Ipv6, r: Icmpv6Repr, hopLimit = 64): Uint8Array {
  const b = new Uint8Array(icmpv6BufferLen(r));
  emitIcmpv6(r, Icmpv6Packet.unchecked(b), pseudoV6(src, dst));
  return ipv6(src, dst, IpProtocol.ICMPv6, b, hopLimit);
}

/**
 * Further frames, built with the wire/ emitters, for what the quick-start capture does not have:
 * 802.1ad QinQ, IPv4 fragments, IPv6 UDP/DNS with several record types, ICMPv6 echo and neighbour
 * discovery, a TCP segment with SACK blocks and a RST, DHCP with more options, a non-ASCII payload.
 */
function extraFrames(): Uint8Array[] {
  const a = parseMac("52:54:00:aa:bb:01");
  const b = parseMac("52:54:00:aa:bb:02");
  const h4a = ip4("192.168.10.15");
  const h4b = ip4("192.168.10.1");
  const h6a = ip6("fec0::15");
  const h6b = ip6("fec0::3");
  const out: Uint8Array[] = [];

  // QinQ: service tag (802.1ad, VID 100, PCP 3) over a customer tag (802.1Q, VID 10) over ICMP echo.
  const echo = icmp4({
    kind: "echo-request",
    code: 0,
    ident: 7,
    seq: 42,
    data: Uint8Array.from({ length: 32 }, (_, i) => 0x61 + (i % 23)),
  });
  const plain = ether(b, a, EtherType.IPv4, ipv4({ src: h4a, dst: h4b, protocol: IpProtocol.ICMP }, echo));
  const inner = pushTag(plain, { tpid: VlanTpid.Dot1Q, pcp: 0, dei: false, vid: 10 });
  out.push(pushTag(inner, { tpid: VlanTpid.Dot1ad, pcp: 3, dei: false, vid: 100 }));

  // An IPv4 UDP datagram in two fragments (first with MF, second at offset 24).
  const bigUdp = udp(
    pseudoV4(h4a, h4b),
    40001,
    33000,
    Uint8Array.from({ length: 40 }, (_, i) => i),
  );
  out.push(
    ether(
      b,
      a,
      EtherType.IPv4,
      ipv4(
        { src: h4a, dst: h4b, protocol: IpProtocol.UDP, ident: 0x5151, moreFrags: true },
        bigUdp.subarray(0, 24),
      ),
    ),
  );
  out.push(
    ether(
      b,
      a,
      EtherType.IPv4,
      ipv4(
        { src: h4a, dst: h4b, protocol: IpProtocol.UDP, ident: 0x5151, fragOffset: 24 },
        bigUdp.subarray(24),
      ),
    ),
  );

  // DNS over IPv6: an MX query and an answer with CNAME, MX, TXT and an SOA in the authority section.
  const q = dnsQuery({ id: 0x2f2f, name: "mail.vnet.example", type: DnsType.MX });
  const r = dnsResponse(q, {
    aa: true,
    answers: [
      dnsRecord("mail.vnet.example", 60, { kind: "CNAME", name: "mx.vnet.example" }),
      dnsRecord("mx.vnet.example", 60, { kind: "MX", preference: 10, exchange: "in.vnet.example" }),
      dnsRecord("mx.vnet.example", 60, { kind: "TXT", strings: [new TextEncoder().encode("v=spf1 -all")] }),
    ],
    authorities: [
      dnsRecord("vnet.example", 3600, {
        kind: "SOA",
        mname: "ns.vnet.example",
        rname: "hostmaster.vnet.example",
        serial: 2026010101,
        refresh: 7200,
        retry: 900,
        expire: 1209600,
        minimum: 300,
      }),
    ],
  });
  out.push(
    ether(
      b,
      a,
      EtherType.IPv6,
      ipv6(h6a, h6b, IpProtocol.UDP, udp(pseudoV6(h6a, h6b), 53001, 53, encodeDns(q))),
    ),
  );
  out.push(
    ether(
      a,
      b,
      EtherType.IPv6,
      ipv6(h6b, h6a, IpProtocol.UDP, udp(pseudoV6(h6b, h6a), 53, 53001, encodeDns(r))),
    ),
  );

  // ICMPv6 echo request and reply, neighbour solicitation and advertisement.
  const data6 = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
  out.push(
    ether(
      b,
      a,
      EtherType.IPv6,
      icmp6(h6a, h6b, { kind: "echo-request", code: 0, ident: 0x77, seq: 1, data: data6 }),
    ),
  );
  out.push(
    ether(
      a,
      b,
      EtherType.IPv6,
      icmp6(h6b, h6a, { kind: "echo-reply", code: 0, ident: 0x77, seq: 1, data: data6 }),
    ),
  );
  const solicited = ip6("ff02::1:ff00:3");
  out.push(
    ether(
      parseMac("33:33:ff:00:00:03"),
      a,
      EtherType.IPv6,
      icmp6(
        h6a,
        solicited,
        {
          kind: "neighbor-solicit",
          code: 0,
          target: h6b,
          options: [{ kind: "source-lladdr", addr: a }],
        },
        255,
      ),
    ),
  );
  out.push(
    ether(
      a,
      b,
      EtherType.IPv6,
      icmp6(
        h6b,
        h6a,
        {
          kind: "neighbor-advert",
          code: 0,
          flags: NaFlag.Solicited | NaFlag.Override,
          target: h6b,
          options: [{ kind: "target-lladdr", addr: b }],
        },
        255,
      ),
    ),
  );

  // TCP over IPv6 with SACK blocks, then a RST; TCP over IPv4 with a binary (non-ASCII) payload.
  const p6 = pseudoV6(h6a, h6b);
  const tcp6 = (seg: Parameters<typeof tcp>[1]): Uint8Array =>
    ether(b, a, EtherType.IPv6, ipv6(h6a, h6b, IpProtocol.TCP, tcp(p6, seg)));
  out.push(
    tcp6({
      sport: 50500,
      dport: 22,
      seq: 1000,
      ack: 5000,
      flags: TcpFlag.ACK,
      options: [{ kind: "nop" }, { kind: "nop" }, { kind: "sack", blocks: [[6448, 7896]] }],
    }),
  );
  out.push(tcp6({ sport: 50500, dport: 22, seq: 1000, ack: 0, flags: TcpFlag.RST, options: [] }));
  const binary = Uint8Array.from({ length: 48 }, (_, i) => (i * 53 + 7) & 0xff);
  out.push(
    ether(
      b,
      a,
      EtherType.IPv4,
      ipv4(
        { src: h4a, dst: h4b, protocol: IpProtocol.TCP, dontFrag: true },
        tcp(pseudoV4(h4a, h4b), {
          sport: 50600,
          dport: 9000,
          seq: 77,
          ack: 88,
          flags: TcpFlag.PSH | TcpFlag.ACK,
          options: [],
          payload: binary,
        }),
      ),
    ),
  );

  // A DHCP INFORM with a client identifier, a maximum message size and a vendor class.
  const inform = buildDhcp({
    messageType: DhcpMessageType.Inform,
    xid: 0x0badcafe,
    chaddr: a,
    ciaddr: h4a,
    options: [
      dhcpOption.clientIdMac(a),
      dhcpOption.maxMessageSize(1500),
      dhcpOption.raw(60, new TextEncoder().encode("vnet-test")),
      dhcpOption.parameterRequestList([1, 3, 6, 15]),
    ],
  });
  out.push(
    ether(
      parseMac("ff:ff:ff:ff:ff:ff"),
      a,
      EtherType.IPv4,
      ipv4(
        { src: h4a, dst: ip4("255.255.255.255"), protocol: IpProtocol.UDP },
        udp(pseudoV4(h4a, ip4("255.255.255.255")), 68, 67, encodeDhcp(inform)),
      ),
    ),
  );
  return out;
}

const BASE_SEC = Date.UTC(2026, 0, 1, 12) / 1000;

function extraRecords(): CaptureRecord[] {
  return extraFrames().map((data, i) => ({
    tsSec: BASE_SEC + i,
    tsFrac: 250_000 + i * 1_111,
    fracDigits: 6,
    linkType: LinkType.ETHERNET,
    iface: 0,
    origLen: data.byteLength,
    data,
  }));
}

interface CaptureFile {
  readonly name: string;
  readonly path: string;
  readonly nano: boolean;
}

function writeCaptures(dir: string): CaptureFile[] {
  const quick = recordsOf(readFileSync(committedUrl));
  const files: CaptureFile[] = [
    { name: "examples/quickstart.pcap", path: fileURLToPath(committedUrl), nano: false },
  ];
  const save = (name: string, bytes: Uint8Array, nano: boolean) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    files.push({ name, path, nano });
  };
  const pcap = (records: readonly CaptureRecord[], nano: boolean, snaplen?: number) => {
    const w = PcapWriter.inMemory({ linkType: LinkType.ETHERNET, nano, snaplen });
    for (const r of records) w.write(r);
    return w.bytes();
  };
  const pcapng = (records: readonly CaptureRecord[], nano: boolean) => {
    const w = PcapngWriter.inMemory({ nano, interfaces: [{ linkType: LinkType.ETHERNET, name: "tap0" }] });
    for (const r of records) w.write(r);
    return w.bytes();
  };
  save("quickstart-ns.pcap", pcap(toNanos(quick), true), true);
  save("quickstart.pcapng", pcapng(quick, false), false);
  save("quickstart-ns.pcapng", pcapng(toNanos(quick), true), true);
  save("quickstart-snap64.pcap", pcap(quick, false, 64), false);
  save("emitted.pcap", pcap(extraRecords(), false), false);
  save("emitted.pcapng", pcapng(toNanos(extraRecords()), true), true);
  return files;
}

// ---------------------------------------------------------------------------------------------------
// 3: the cross-check.

const OPTIONS: readonly (readonly string[])[] = [
  [],
  ["-v"],
  ["-vv"],
  ["-e"],
  ["-x"],
  ["-X"],
  ["-A"],
  ["-q"],
  ["-tttt"],
];

if (!haveTcpdump) {
  if (process.env.CI) {
    describe("tcpdump cross-check", () => {
      it("needs tcpdump at /usr/bin/tcpdump (CI must install it)", () => {
        expect(haveTcpdump).toBe(true);
      });
    });
  } else {
    console.warn("skipped: tcpdump not installed (the tcpdump cross-check needs /usr/bin/tcpdump)");
  }
}

describe.skipIf(!haveTcpdump)("vnet's printer vs tcpdump 4.99.3 on captures vnet writes", () => {
  const dir = haveTcpdump ? mkdtempSync(join(tmpdir(), "vnet-quickstart-")) : "";
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const files = haveTcpdump ? writeCaptures(dir) : [];

  it("tcpdump reads every file vnet wrote, with the expected packet count", () => {
    for (const f of files) {
      const want = f.name.startsWith("emitted") ? extraFrames().length : 29;
      const n = tcpdump(f.path, ["-q"]).split("\n").filter(Boolean).length;
      expect(n, f.name).toBe(want);
    }
  });

  for (const f of files) {
    const sets = f.nano ? [...OPTIONS, ["--nano"], ["--nano", "-tttt"]] : OPTIONS;
    for (const opts of sets) {
      it(`${f.name}: tcpdump ${opts.join(" ") || "(no option)"}`, () => {
        const want = tcpdump(f.path, opts);
        const got = formatCapture(openCapture(f.path), printerOptions(opts));
        expect(
          got === want,
          `${f.name} ${opts.join(" ")}: first difference at ${firstDifference(got, want)}`,
        ).toBe(true);
      });
    }
  }
});

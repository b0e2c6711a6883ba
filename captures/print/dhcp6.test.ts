import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  corpusCase,
  hex,
  linesDigest,
  printCatching,
  printOptions,
  truncationLines,
  udpPorts,
} from "../../test/printer-helpers.js";
import { haveShared } from "../../test/shared.js";
import { PrintContext } from "./context.js";
import { printDhcp6 } from "./dhcp6.js";

/*
 * Expected texts all come from /usr/bin/tcpdump 4.99.3 (`tcpdump -n -r F [-v|-vv|-vvv]`), never from
 * this code: the tcpdump corpus `.out` file, and for the FIXTURES below, DHCPv6 messages built by hand
 * (a Python script wrapped them in Ethernet/IPv6/UDP 546 → 547 with valid checksums and wrote a pcap)
 * and the part of tcpdump's line after `IP6 a.b > c.d: [udp sum ok] `.
 */

function print(b: Uint8Array, length: number, verbose: number): string {
  return printCatching(verbose, (p) => printDhcp6(p, b, length));
}

/** [message hex, tcpdump output at -n, -v, -vv, -vvv]; trailing outputs equal to the previous are left out. */
type Fixture = readonly [string, ...string[]];

const FIXTURES: readonly Fixture[] = [
  [
    "01abcdef0001000e00010001123456780011223344550002000d000200000009010203040506070001000600030001aabb000100030004000001000100000100030001000006000800170018001f999900060001000008000200640008000000070001ff000e000000140000",
    "dhcp6 solicit",
    "dhcp6 solicit (xid=abcdef (client-ID hwaddr/time type 1 time 305419896 001122334455) (server-ID vid 0000000901020304) (client-ID hwaddr type 1 aabb) (client-ID type 4) (client-ID ?) (client-ID ?) (option-request DNS-server DNS-search-list SNTP-servers opt_39321) (option-request ?) (elapsed-time 100) (elapsed-time ?) (preference 255) (rapid-commit) (reconfigure-accept))",
  ],
  [
    "07000001000300360000000100000002000000030005002020010db80000000000000000000000010000000400000005000d000400026e6f000d0002010000030001000019002f000000090000000800000007001a001f0000000a0000000b3020010db8000000000000000000000001000d0002000600040020000000050005001820010db80000000000000000000000010000000100000002000d0002000b000d000400006f6b",
    "dhcp6 reply",
    "dhcp6 reply (xid=1 (IA_NA IAID:1 T1:2 T2:3 (IA_ADDR 2001:db8::1 pltime:4 vltime:5 (status-code NoAddrsAvail)) (status-code INVALID code)) (IA_NA ?) (IA_PD IAID:9 T1:8 T2:7 (IA_PD-prefix 2001:db8::1/48 pltime:10 vltime:11 (status-code NoPrefixAvail))) (IA_TA IAID:5 (IA_ADDR 2001:db8::1 pltime:1 vltime:2)) (status-code code11) (status-code Success))",
  ],
  [
    "020000020017002020010db8000000000000000000000001fe8000000000000000000000000000020017000820010db80000000000180012076578616d706c6503636f6d0003666f6f00001500050373697000001f001020010db80000000000000000000000010020000400000e10002e000100000c001020010db800000000000000000000000100120014696e746572666163652d6964656e74696669657200260003737562002500150000000972656d6f74652d69642d69732d6c6f6e6700250001000013000105001300010b001300010700130000",
    "dhcp6 advertise",
    "dhcp6 advertise (xid=2 (DNS-server 2001:db8::1 fe80::2) (DNS-server ?) (DNS-search-list example.com. foo.) (SIP-servers-domain sip.) (SNTP-servers 2001:db8::1) (lifetime 3600) (Clt-time ?) (server-unicast) (interface-ID 696e746572666163652d...) (Subscriber-ID 737562...) (Remote-ID 9 72656d6f74652d69642d...) (Remote-ID ?) (reconfigure-message for renew) (reconfigure-message for inf-req) (reconfigure-message for ???(07)) (reconfigure-message ?))",
  ],
  [
    "0a000003000b001c03010000000000000000000100000000000000000000000000000000000b002402010000000000000000007265616c6ddeadbeef00000000000000000000000000000000000b000b0202010000000000000000000b000c020201000000000000000001000b000c090201000000000000000001000b001c03010000000000000000000500000000000000000000000000000000000b0000",
    "dhcp6 reconfigure",
    "dhcp6 reconfigure (xid=3 (authentication proto: reconfigure, alg: HMAC-MD5, RDM: mono, RD: 0000 0000 0000 0000 reconfig-key value: 00000000 00000000 00000000 00000000) (authentication proto: delayed, alg: HMAC-MD5, RDM: mono, RD: 0000 0000 0000 0000, realm: 7265616c6d, key ID: deadbeef, HMAC-MD5: 00000000 00000000 00000000 00000000) (authentication proto: delayed, alg: 2, RDM: 1, RD: 0000 0000 0000 0000) (authentication proto: delayed, alg: 2, RDM: 1, RD: 0000 0000 0000 0000 ??) (authentication proto: 9, alg: 2, RDM: 1, RD: 0000 0000 0000 0000 ??) (authentication proto: reconfigure, alg: HMAC-MD5, RDM: mono, RD: 0000 0000 0000 0000 type: ?? value: 00000000 00000000 00000000 00000000) (authentication ?))",
  ],
  [
    "0e000004002c00170120010db8000000000000000000000001000600020017002c00110720010db8000000000000000000000001002c000101002d001200010006000300010102002e00040000004d002f002320010db8000000000000000000000001706565722d6c696e6b2d646174612d6c6f6e670030001020010db8000000000000000000000001003800420001001020010db800000000000000000000000100020010fe8000000000000000000000000000020003000d076578616d706c6503636f6d00000100010000090000003800000040000e0461667472076578616d706c65000040000309616200400001010029000745535435454454002a000c4575726f70652f50617269730070000b68747470733a2f2f6d75640070000361626303e700020102",
    "dhcp6 leasequery",
    "dhcp6 leasequery (xid=4 (Lease-query by-address 2001:db8::1 (option-request DNS-server)) (Lease-query type_7 2001:db8::1) (Lease-query ?) (LQ-client-data (client-ID hwaddr type 1 0102) (Clt-time 77)) (LQ-relay-data 2001:db8::1 706565722d6c696e6b2d...) (LQ-client-link 2001:db8::1) (NTP-server subopt:1 2001:db8::1 subopt:2 fe80::2 subopt:3 example.com. subopt:1 ?) (NTP-server ?) (AFTR-Name aftr.example) (AFTR-Name  ?) (AFTR-Name ?) (POSIX-timezone EST5EDT) (POSIX-tz-database Europe/Paris) (MUD-URL https://mud) (MUD-URL ?) (opt_999))",
  ],
  [
    "0c0120010db8000000000000000000000001fe80000000000000000000000000000200120004657468300009000a01000005000800020000000900030100000009000c010000050008000200000008",
    "dhcp6 relay-fwd",
    "dhcp6 relay-fwd (linkaddr=2001:db8::1 peeraddr=fe80::2 (interface-ID 65746830...) (relay-message (dhcp6 solicit (xid=5 (elapsed-time 0))) (relay-message (dhcp6 [|dhcp6]) (relay-message (dhcp6 solicit (xid=5 (elapsed-time 0) [|dhcp6])))",
  ],
  [
    "0d0020010db8000000000000000000000001fe8000000000000000000000000000020009002a0d0020010db8000000000000000000000001fe8000000000000000000000000000020009000407000006",
    "dhcp6 relay-reply",
    "dhcp6 relay-reply (linkaddr=2001:db8::1 peeraddr=fe80::2 (relay-message (dhcp6 relay-reply (linkaddr=2001:db8::1 peeraddr=fe80::2 (relay-message (dhcp6 reply (xid=6)))))",
  ],
  ["0f000007", "dhcp6 leasequery-reply", "dhcp6 leasequery-reply (xid=7)"],
  ["63000008000800020001", "dhcp6 msgtype-99", "dhcp6 msgtype-99 (xid=8 (elapsed-time 1))"],
  ["0000000900080002000100", "dhcp6 msgtype-0", "dhcp6 msgtype-0 (xid=9 (elapsed-time 1) [|dhcp6])"],
  ["0300000a0008000200010008000500", "dhcp6 request", "dhcp6 request (xid=a (elapsed-time 1) [|dhcp6])"],
  ["0102", "dhcp6 [|dhcp6]"],
];

/** SHA-256 of tcpdump's outputs for every cut of every fixture, joined by newlines, at -n/-v/-vv/-vvv. */
const TRUNCATION_DIGESTS: readonly string[] = [
  "bfea8799313b7a239e283c9df38382fa51e9ecb826693ce866fbb3433357549c",
  "3964432303017fe6eba31c122044540a154b2ddb8c3b315aaa1f061e98fe8778",
  "3964432303017fe6eba31c122044540a154b2ddb8c3b315aaa1f061e98fe8778",
  "3964432303017fe6eba31c122044540a154b2ddb8c3b315aaa1f061e98fe8778",
];

describe("printDhcp6: crafted messages, checked against tcpdump 4.99.3", () => {
  for (const [h, ...outs] of FIXTURES) {
    it(`${h.slice(0, 16)}… → ${outs[Math.min(1, outs.length - 1)].slice(0, 60)}`, () => {
      const b = hex(h);
      for (let v = 0; v < 4; v++) expect(print(b, b.length, v)).toBe(outs[Math.min(v, outs.length - 1)]);
    });
  }

  it("prints every truncation of every fixture as tcpdump does (SHA-256 of all outputs per -v level)", () => {
    // tcpdump was run on the same frames with the capture cut after 0, 1, … len-1 payload bytes.
    for (let v = 0; v < 4; v++) {
      const lines = FIXTURES.flatMap(([h]) => truncationLines(hex(h), (b, len) => print(b, len, v)));
      expect(linesDigest(lines)).toBe(TRUNCATION_DIGESTS[v]);
    }
  });

  it("sets p.proto; a message too short for its header prints [|dhcp6] and returns (as tcpdump for fixture 0102)", () => {
    const p = new PrintContext(printOptions(0));
    printDhcp6(p, new Uint8Array(2), 10);
    expect(p.proto).toBe("dhcp6");
    expect(p.take()).toBe("dhcp6 [|dhcp6]");
  });

  it("throws nothing but Truncated, for any bytes and -v level", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 3 }),
        (b, length, v) => {
          expect(typeof print(b, length, v)).toBe("string");
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// ---- the tcpdump corpus ------------------------------------------------------------------------

describe.skipIf(!haveShared)("printDhcp6: tcpdump corpus", () => {
  it("dhcpv6-ia-na.out (-v: solicit/advertise/request/reply with IA_NA)", () => {
    expect(
      corpusCase("dhcpv6-ia-na.pcap", "dhcpv6-ia-na.out", udpPorts([546, 547]), (a) =>
        print(a.payload, a.length, 1),
      ),
    ).toBe(4);
  });
});

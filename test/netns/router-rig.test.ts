/**
 * The router lab's text parsers, on output captured from Linux 6.18 / conntrack-tools 1.4.7 in the
 * router namespace of linux-nat.test.ts and from /proc/net/snmp.
 */
import { describe, expect, it } from "vitest";
import { parseSnmp } from "./linux-router.js";
import { parseConntrack } from "./router-rig.js";

const CONNTRACK_L = `tcp      6 431999 ESTABLISHED src=10.0.2.15 dst=198.51.100.10 sport=45000 dport=80 src=198.51.100.10 dst=198.51.100.2 sport=80 dport=45000 [ASSURED] mark=0 use=1
udp      17 29 src=10.0.2.16 dst=198.51.100.10 sport=40001 dport=9 [UNREPLIED] src=198.51.100.10 dst=198.51.100.2 sport=9 dport=40001 mark=0 use=1
icmp     1 29 src=10.0.2.16 dst=198.51.100.10 type=8 code=0 id=153 src=198.51.100.10 dst=198.51.100.2 type=0 code=0 id=153 mark=0 use=1
`;

describe("parseConntrack", () => {
  it("splits conntrack -L lines into state, both tuples, flags and the rest", () => {
    const [tcp, udp, icmp] = parseConntrack(CONNTRACK_L);
    expect(tcp).toEqual({
      proto: "tcp",
      protonum: 6,
      timeout: 431999,
      state: "ESTABLISHED",
      original: ["src=10.0.2.15", "dst=198.51.100.10", "sport=45000", "dport=80"],
      reply: ["src=198.51.100.10", "dst=198.51.100.2", "sport=80", "dport=45000"],
      unreplied: false,
      assured: true,
      rest: ["mark=0", "use=1"],
    });
    expect(udp.state).toBeNull();
    expect(udp.unreplied).toBe(true);
    expect(udp.reply).toEqual(["src=198.51.100.10", "dst=198.51.100.2", "sport=9", "dport=40001"]);
    expect(icmp.original).toEqual(["src=10.0.2.16", "dst=198.51.100.10", "type=8", "code=0", "id=153"]);
    expect(icmp.reply).toEqual(["src=198.51.100.10", "dst=198.51.100.2", "type=0", "code=0", "id=153"]);
    expect(icmp.rest).toEqual(["mark=0", "use=1"]);
  });

  it("ignores the summary line and blank lines", () => {
    expect(parseConntrack("conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n\n")).toEqual(
      [],
    );
  });
});

describe("parseSnmp", () => {
  it("pairs each header line with its value line, names prefixed by group", () => {
    const c = parseSnmp(
      "Ip: Forwarding DefaultTTL InReceives\nIp: 1 64 5\nUdp: InDatagrams NoPorts\nUdp: 0 -1\n",
    );
    expect(c).toEqual({
      "Ip:Forwarding": 1,
      "Ip:DefaultTTL": 64,
      "Ip:InReceives": 5,
      "Udp:InDatagrams": 0,
      "Udp:NoPorts": -1,
    });
  });
});

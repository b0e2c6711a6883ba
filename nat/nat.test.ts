/**
 * nat/ unit tests on packet bytes (reference: Linux 6.18 netfilter, nf_conntrack + nf_nat with
 * `iptables -t nat -A POSTROUTING -o wan -j MASQUERADE`; conntrack-tools 1.4.7 for the dump format).
 * Packets are built with wire/ emitters and read back with wire/ parsers, which verify every checksum.
 */
import { describe, expect, it } from "vitest";
import { Simulator, s } from "../sim/index.js";
import { Nat, type NatOptions } from "./nat.js";
import { ctx, echo, icmpError, iface, ip, quotedOf, raw, seen, tcp, udp } from "./testing.js";

const LAN = iface("lan", "10.0.2.2");
const WAN = iface("wan", "203.0.113.2");
const A = "10.0.2.15";
const B = "10.0.2.16";
const PUB = "203.0.113.2";
const S = "198.51.100.10";
const T = "198.51.100.20";

function setup(opts: NatOptions = {}) {
  const sim = new Simulator({ seed: 7 });
  const nat = new Nat(sim, "r1", opts);
  nat.masquerade({ outIf: "wan" });
  const out = (p: Uint8Array) => nat.translateForward(p, LAN, WAN);
  const back = (p: Uint8Array) => nat.translateForward(p, WAN, LAN);
  /** Runs the simulator clock forward by `sec` seconds. */
  const advance = (sec: number) => {
    sim.schedule(s(sec), () => {});
    sim.run();
  };
  return { sim, nat, out, back, advance };
}

describe("masquerade (UDP)", () => {
  it("keeps the source port when free and maps the reply back; the input buffer is never written", () => {
    const { nat, out, back } = setup();
    const p = udp({ src: A, dst: S, sport: 40000, dport: 7 });
    const copy = p.slice();
    const o = out(p)!;
    expect(p).toEqual(copy);
    expect(o).not.toBe(p);
    expect(seen(o)).toMatchObject({ src: PUB, dst: S, sport: 40000, dport: 7 });
    expect(nat.format()).toBe(
      "udp      17 30 src=10.0.2.15 dst=198.51.100.10 sport=40000 dport=7 [UNREPLIED] " +
        "src=198.51.100.10 dst=203.0.113.2 sport=7 dport=40000 mark=0 use=1\n",
    );
    const r = back(udp({ src: S, dst: PUB, sport: 7, dport: 40000 }))!;
    expect(seen(r)).toMatchObject({ src: S, dst: A, sport: 7, dport: 40000 });
    expect(nat.format()).toBe(
      "udp      17 30 src=10.0.2.15 dst=198.51.100.10 sport=40000 dport=7 " +
        "src=198.51.100.10 dst=203.0.113.2 sport=7 dport=40000 mark=0 use=1\n",
    );
    expect(nat.stats.new).toBe(1);
    expect(nat.stats.translated).toBe(2);
  });

  it("re-allocates the port of a second host's clashing flow in 1024..65535 and maps its replies back", () => {
    const { nat, out, back } = setup();
    out(udp({ src: A, dst: S, sport: 40000, dport: 7 }));
    const o = seen(out(udp({ src: B, dst: S, sport: 40000, dport: 7 }))!);
    expect(o.src).toBe(PUB);
    expect(o.sport).not.toBe(40000);
    expect(o.sport).toBeGreaterThanOrEqual(1024);
    const r = seen(back(udp({ src: S, dst: PUB, sport: 7, dport: o.sport! }))!);
    expect(r).toMatchObject({ dst: B, dport: 40000 });
    const r1 = seen(back(udp({ src: S, dst: PUB, sport: 7, dport: 40000 }))!);
    expect(r1).toMatchObject({ dst: A, dport: 40000 });
    expect(nat.entries().map((e) => e.srcNat)).toEqual([true, true]);
  });

  it("keeps the port for the same source port towards another destination (the reply tuple differs)", () => {
    const { out } = setup();
    out(udp({ src: A, dst: S, sport: 40000, dport: 7 }));
    expect(seen(out(udp({ src: B, dst: T, sport: 40000, dport: 7 }))!).sport).toBe(40000);
    expect(seen(out(udp({ src: B, dst: S, sport: 40000, dport: 8 }))!).sport).toBe(40000);
  });

  it("re-allocates low ports in Linux's ranges: < 512 -> 1..511, 512..1023 -> 600..1023", () => {
    const { out } = setup();
    for (const [port, lo, hi] of [
      [100, 1, 511],
      [700, 600, 1023],
    ] as const) {
      out(udp({ src: A, dst: S, sport: port, dport: 53 }));
      const got = seen(out(udp({ src: B, dst: S, sport: port, dport: 53 }))!).sport!;
      expect(got).not.toBe(port);
      expect(got).toBeGreaterThanOrEqual(lo);
      expect(got).toBeLessThanOrEqual(hi);
    }
  });

  it("reuses an endpoint's existing mapping for its next destination (find_appropriate_src)", () => {
    const { out } = setup();
    out(udp({ src: B, dst: S, sport: 5000, dport: 7 }));
    const first = seen(out(udp({ src: A, dst: S, sport: 5000, dport: 7 }))!).sport!;
    expect(first).not.toBe(5000);
    // Towards T, port 5000 would be free, but Linux reuses A:5000's current mapping.
    expect(seen(out(udp({ src: A, dst: T, sport: 5000, dport: 7 }))!).sport).toBe(first);
  });

  it("leaves a zero UDP checksum zero", () => {
    const { out } = setup();
    const o = out(udp({ src: A, dst: S, sport: 40001, dport: 7, checksum: false }))!;
    expect(seen(o)).toMatchObject({ src: PUB, udpChecksum: 0 });
  });

  it("draws re-allocated ports from the seeded stream: same seed, same ports", () => {
    const run = () => {
      const { out } = setup();
      const ports: number[] = [];
      for (let h = 1; h <= 20; h++) {
        ports.push(seen(out(udp({ src: `10.0.2.${h + 100}`, dst: S, sport: 40000, dport: 7 }))!).sport!);
      }
      return ports;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a).size).toBe(20);
  });
});

describe("other protocols and header shapes", () => {
  it("tracks a protocol without ports (GRE) by addresses: 600 s, source address rewritten, a second host clashes", () => {
    const { nat, out, back } = setup();
    const gre = raw(A, S, 47, new Uint8Array([0, 0, 0x08, 0x00, 1, 2, 3, 4]));
    const o = out(gre)!;
    expect(seen(o)).toMatchObject({ src: PUB, dst: S, proto: 47 });
    expect(o.subarray(20)).toEqual(gre.subarray(20));
    expect(seen(back(raw(S, PUB, 47, new Uint8Array(8)))!)).toMatchObject({ dst: A });
    expect(nat.format()).toBe(
      "gre      47 600 src=10.0.2.15 dst=198.51.100.10 src=198.51.100.10 dst=203.0.113.2 mark=0 use=1\n",
    );
    // Linux cannot re-allocate anything for it: the second host's packet is dropped (insert failed).
    expect(out(raw(B, S, 47, new Uint8Array(8)))).toBeNull();
    expect(out(raw(B, S, 47, new Uint8Array(8)))).toBeNull();
    expect(nat.stats.insertFailed).toBe(2);
    expect(nat.count()).toBe(1);
  });

  it("handles an IPv4 header with options (IHL 6): ports found after the options, checksums fixed", () => {
    const { out } = setup();
    const plain = udp({ src: A, dst: S, sport: 40000, dport: 7 });
    const p = new Uint8Array(plain.length + 4);
    p.set(plain.subarray(0, 20));
    p.set([1, 1, 1, 0], 20); // NOP NOP NOP EOL
    p.set(plain.subarray(20), 24);
    p[0] = 0x46;
    p[3] += 4;
    p[10] = 0;
    p[11] = 0;
    let sum = 0;
    for (let i = 0; i < 24; i += 2) sum += (p[i] << 8) | p[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    p[10] = (~sum >>> 8) & 0xff;
    p[11] = ~sum & 0xff;
    expect(seen(out(p)!)).toMatchObject({ src: PUB, sport: 40000, dport: 7 });
  });
});

describe("ICMP", () => {
  it("translates echo identifiers: preserved when free, re-allocated on a clash, replies mapped back", () => {
    const { nat, out, back } = setup();
    const o1 = seen(out(echo(A, S, 0x1234, 1))!);
    expect(o1).toMatchObject({ src: PUB, icmp: { kind: "echo-request", ident: 0x1234 } });
    const o2 = seen(out(echo(B, S, 0x1234, 1))!);
    expect(o2.icmp).toMatchObject({ kind: "echo-request" });
    const id2 = (o2.icmp as { ident: number }).ident;
    expect(id2).not.toBe(0x1234);
    expect(seen(back(echo(S, PUB, id2, 1, true))!)).toMatchObject({
      dst: B,
      icmp: { kind: "echo-reply", ident: 0x1234, seq: 1 },
    });
    expect(seen(back(echo(S, PUB, 0x1234, 1, true))!)).toMatchObject({ dst: A, icmp: { ident: 0x1234 } });
    expect(nat.format().split("\n")[0]).toBe(
      "icmp     1 30 src=10.0.2.15 dst=198.51.100.10 type=8 code=0 id=4660 " +
        "src=198.51.100.10 dst=203.0.113.2 type=0 code=0 id=4660 mark=0 use=1",
    );
  });

  it("translates a port unreachable about a NATed datagram back to the inside, byte for byte", () => {
    const { nat, out, back } = setup();
    const orig = udp({ src: A, dst: S, sport: 40000, dport: 7 });
    const sent = out(orig)!;
    const err = icmpError(S, PUB, "dest-unreachable", 3, sent);
    const got = back(err)!;
    // What A must see: the error addressed to it, quoting its own datagram as it sent it.
    expect(got).toEqual(icmpError(S, A, "dest-unreachable", 3, orig));
    expect(quotedOf(got)).toMatchObject({ src: A, dst: S, sport: 40000, dport: 7 });
    expect(seen(got).icmp).toMatchObject({ kind: "dest-unreachable", code: 3 });
    expect(nat.stats.translated).toBe(2);
  });

  it("translates an error quoting only 8 bytes of the datagram, and one from a router on the path", () => {
    const { out, back } = setup();
    const orig = udp({ src: A, dst: S, sport: 40000, dport: 7, payload: new Uint8Array(100) });
    const sent = out(orig)!;
    const got = back(icmpError("192.0.2.1", PUB, "time-exceeded", 0, sent.subarray(0, 28)))!;
    expect(got).toEqual(icmpError("192.0.2.1", A, "time-exceeded", 0, orig.subarray(0, 28)));
  });

  it("translates a time exceeded about an echo request (inner identifier restored)", () => {
    const { out, back } = setup();
    out(echo(B, S, 0x1234, 1));
    const orig = echo(A, S, 0x1234, 7);
    const sent = out(orig)!;
    expect(sent[24]).not.toBe(0x12); // A's id was re-allocated
    const got = back(icmpError("192.0.2.1", PUB, "time-exceeded", 0, sent))!;
    expect(got).toEqual(icmpError("192.0.2.1", A, "time-exceeded", 0, orig));
  });

  it("translates an error from the inside about a port-forwarded connection (source = public address)", () => {
    const { nat, back, out } = setup();
    nat.portForward({ proto: "udp", port: 5353, address: PUB, to: A, toPort: 53 });
    const q = udp({ src: S, dst: PUB, sport: 4444, dport: 5353 });
    const inQ = back(q)!;
    expect(seen(inQ)).toMatchObject({ dst: A, dport: 53 });
    const got = out(icmpError(A, S, "dest-unreachable", 3, inQ))!;
    expect(got).toEqual(icmpError(PUB, S, "dest-unreachable", 3, q));
  });

  it("leaves an ICMP error about an ICMP error, or about nothing known, untouched", () => {
    const { nat, back } = setup();
    const inner = icmpError(S, PUB, "dest-unreachable", 3, udp({ src: PUB, dst: S, sport: 1, dport: 2 }));
    const e2 = icmpError("192.0.2.1", PUB, "time-exceeded", 0, inner);
    expect(back(e2)).toBe(e2);
    const e3 = icmpError(S, PUB, "dest-unreachable", 3, udp({ src: PUB, dst: S, sport: 9, dport: 9 }));
    expect(back(e3)).toBe(e3);
    expect(nat.stats.untracked).toBe(2);
  });
});

describe("DNAT port forwards and hairpin", () => {
  it("forwards host port 2222 to the guest's 22 and sends the SYN-ACK back from the public port", () => {
    const { nat, back, out } = setup();
    nat.portForward({ proto: "tcp", port: 2222, iface: WAN, to: A, toPort: 22 });
    const syn = back(tcp({ src: S, dst: PUB, sport: 50000, dport: 2222, flags: 0x02 }))!;
    expect(seen(syn)).toMatchObject({ src: S, dst: A, sport: 50000, dport: 22, flags: 0x02 });
    const synack = out(tcp({ src: A, dst: S, sport: 22, dport: 50000, flags: 0x12, ack: 1001 }))!;
    expect(seen(synack)).toMatchObject({ src: PUB, dst: S, sport: 2222, dport: 50000, flags: 0x12 });
    expect(nat.format()).toBe(
      "tcp      6 60 SYN_RECV src=198.51.100.10 dst=203.0.113.2 sport=50000 dport=2222 " +
        "src=10.0.2.15 dst=198.51.100.10 sport=22 dport=50000 mark=0 use=1\n",
    );
  });

  it("hairpins: a guest reaching another guest through the public forward gets answers via the NAT", () => {
    const { nat } = setup();
    nat.portForward({ proto: "udp", port: 8080, address: PUB, to: B, toPort: 80 });
    const q = nat.translateForward(udp({ src: A, dst: PUB, sport: 33000, dport: 8080 }), LAN, LAN)!;
    // Destination -> B:80, source -> the router's LAN address (OpenWrt-style reflection).
    expect(seen(q)).toMatchObject({ src: "10.0.2.2", dst: B, dport: 80 });
    const r = nat.translateForward(
      udp({ src: B, dst: "10.0.2.2", sport: 80, dport: seen(q).sport! }),
      LAN,
      LAN,
    )!;
    expect(seen(r)).toMatchObject({ src: PUB, dst: A, sport: 8080, dport: 33000 });
  });

  it("without hairpin the DNATed packet keeps its source (the answer would bypass the NAT)", () => {
    const { nat } = setup({ hairpin: false });
    nat.portForward({ proto: "udp", port: 8080, address: PUB, to: B, toPort: 80 });
    const q = nat.translateForward(udp({ src: A, dst: PUB, sport: 33000, dport: 8080 }), LAN, LAN)!;
    expect(seen(q)).toMatchObject({ src: A, dst: B, sport: 33000, dport: 80 });
  });
});

describe("TCP state tracking (Linux nf_conntrack_proto_tcp)", () => {
  const state = (nat: Nat) => {
    const e = nat.entries()[0];
    return e ? `${e.state} ${e.timeout}${e.assured ? " A" : ""}` : "gone";
  };

  it("walks SYN_SENT, SYN_RECV, ESTABLISHED [ASSURED], FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT with Linux's timeouts", () => {
    const { nat, out, back, advance } = setup();
    const c = (flags: number) => out(tcp({ src: A, dst: S, sport: 40000, dport: 80, flags }));
    const sv = (flags: number) => back(tcp({ src: S, dst: PUB, sport: 80, dport: 40000, flags }));
    const trace: string[] = [];
    c(0x02);
    trace.push(state(nat));
    sv(0x12);
    trace.push(state(nat));
    c(0x10);
    trace.push(state(nat));
    c(0x11);
    trace.push(state(nat));
    sv(0x10);
    trace.push(state(nat));
    sv(0x11);
    trace.push(state(nat));
    c(0x10);
    trace.push(state(nat));
    expect(trace).toEqual([
      "SYN_SENT 120",
      "SYN_RECV 60",
      "ESTABLISHED 432000 A",
      "FIN_WAIT 120 A",
      "CLOSE_WAIT 60 A",
      "LAST_ACK 30 A",
      "TIME_WAIT 120 A",
    ]);
    advance(119.5);
    expect(state(nat)).toBe("TIME_WAIT 0 A");
    advance(0.5);
    expect(state(nat)).toBe("gone");
    expect(nat.stats.expired).toBe(1);
  });

  it("forgets a connection refused by a reset (only answer RST) and closes others with a 10 s CLOSE", () => {
    const { nat, out, back } = setup();
    out(tcp({ src: A, dst: S, sport: 40000, dport: 81, flags: 0x02 }));
    const rst = back(tcp({ src: S, dst: PUB, sport: 81, dport: 40000, flags: 0x14 }))!;
    expect(seen(rst)).toMatchObject({ dst: A, dport: 40000, flags: 0x14 });
    expect(nat.count()).toBe(0);
    out(tcp({ src: A, dst: S, sport: 40001, dport: 80, flags: 0x02 }));
    back(tcp({ src: S, dst: PUB, sport: 80, dport: 40001, flags: 0x12 }));
    out(tcp({ src: A, dst: S, sport: 40001, dport: 80, flags: 0x14 }));
    expect(state(nat)).toBe("CLOSE 10");
  });

  it("picks up a connection mid-stream (ACK) with the 300 s unacknowledged timeout until answered", () => {
    const { nat, out } = setup();
    out(tcp({ src: A, dst: S, sport: 40000, dport: 80, flags: 0x10 }));
    expect(state(nat)).toBe("ESTABLISHED 300");
  });

  it("does not track a SYN-ACK, FIN or flagless segment as new, and passes them untranslated (INVALID)", () => {
    const { nat, out } = setup();
    for (const flags of [0x12, 0x11, 0x00]) {
      const p = tcp({ src: A, dst: S, sport: 40000, dport: 80, flags });
      expect(out(p)).toBe(p);
    }
    expect(nat.stats.invalid).toBe(3);
    expect(nat.count()).toBe(0);
  });

  it("does not extend SYN_SENT on a retransmitted SYN, and reopens a closed connection on a new SYN", () => {
    const { nat, out, back, advance } = setup();
    const c = (flags: number) => out(tcp({ src: A, dst: S, sport: 40000, dport: 80, flags }));
    c(0x02);
    advance(50);
    c(0x02);
    expect(state(nat)).toBe("SYN_SENT 70");
    back(tcp({ src: S, dst: PUB, sport: 80, dport: 40000, flags: 0x12 }));
    c(0x10);
    c(0x11);
    back(tcp({ src: S, dst: PUB, sport: 80, dport: 40000, flags: 0x11 }));
    c(0x10);
    expect(state(nat)).toBe("TIME_WAIT 120 A");
    c(0x02);
    expect(state(nat)).toBe("SYN_SENT 120");
    expect(nat.stats.new).toBe(2);
  });
});

describe("timeouts and the table", () => {
  it("expires an unreplied UDP flow after 30 s; after that a reply is not translated", () => {
    const { nat, out, back, advance } = setup();
    out(udp({ src: A, dst: S, sport: 40000, dport: 7 }));
    advance(29.999);
    expect(nat.count()).toBe(1);
    advance(0.001);
    const r = udp({ src: S, dst: PUB, sport: 7, dport: 40000 });
    expect(back(r)).toBe(r);
    expect(nat.entries()[0]?.original.src).toBe(ip(S)); // the reply made an entry of its own
  });

  it("makes a UDP flow a 120 s [ASSURED] stream once it is answered and still active after 2 s", () => {
    const { nat, out, back, advance } = setup();
    out(udp({ src: A, dst: S, sport: 40000, dport: 7 }));
    back(udp({ src: S, dst: PUB, sport: 7, dport: 40000 }));
    out(udp({ src: A, dst: S, sport: 40000, dport: 7 }));
    expect(nat.entries()[0]).toMatchObject({ timeout: 30, assured: false, seenReply: true });
    advance(2.5);
    out(udp({ src: A, dst: S, sport: 40000, dport: 7 }));
    expect(nat.entries()[0]).toMatchObject({ timeout: 120, assured: true });
    expect(nat.format()).toContain("[ASSURED] mark=0 use=1");
  });

  it("drops an unassured flow early when the table is full, and drops new flows when all are assured", () => {
    const { nat, out, back, advance } = setup({ maxEntries: 4 });
    for (let i = 0; i < 4; i++) out(udp({ src: A, dst: S, sport: 1000 + i, dport: 7 }));
    expect(nat.count()).toBe(4);
    expect(out(udp({ src: A, dst: S, sport: 2000, dport: 7 }))).not.toBeNull();
    expect(nat.stats.earlyDrop).toBe(1);
    expect(nat.count()).toBe(4);
    // Make all four assured streams.
    const live = nat.entries().map((e) => e.original.sport!);
    for (const p of live) back(udp({ src: S, dst: PUB, sport: 7, dport: p }));
    advance(3);
    for (const p of live) out(udp({ src: A, dst: S, sport: p, dport: 7 }));
    expect(nat.entries().every((e) => e.assured)).toBe(true);
    expect(out(udp({ src: A, dst: S, sport: 3000, dport: 7 }))).toBeNull();
    expect(nat.stats.drop).toBe(1);
    expect(nat.stats.drops.get("table-full")).toBe(1);
    // Replies of the tracked flows still pass.
    expect(seen(back(udp({ src: S, dst: PUB, sport: 7, dport: live[0] }))!).dst).toBe(A);
  });
});

describe("bad input", () => {
  it("drops truncated packets by reason and keeps working", () => {
    const { nat, out } = setup();
    const p = udp({ src: A, dst: S, sport: 40000, dport: 7 });
    expect(out(p.subarray(0, 24))).toBeNull();
    expect(out(new Uint8Array(10))).toBeNull();
    const badLen = p.slice();
    badLen[3] = 200; // total length beyond the buffer
    expect(out(badLen)).toBeNull();
    expect(nat.stats.drops.get("malformed")).toBe(3);
    expect(seen(out(p)!).src).toBe(PUB);
  });

  it("treats a bad checksum as INVALID at prerouting: passed untranslated, not tracked (Linux)", () => {
    const { nat, out } = setup();
    const p = udp({ src: A, dst: S, sport: 40000, dport: 7 });
    p[27] ^= 0xff; // a payload byte
    expect(out(p)).toBe(p);
    expect(nat.stats.invalid).toBe(1);
    expect(nat.count()).toBe(0);
  });

  it("with dropInvalid drops INVALID packets", () => {
    const { nat, out } = setup({ dropInvalid: true });
    expect(out(tcp({ src: A, dst: S, sport: 1, dport: 2, flags: 0x01 }))).toBeNull();
    expect(nat.stats.drops.get("invalid")).toBe(1);
  });

  it("drops packets of a masquerade interface that has no address", () => {
    const sim = new Simulator();
    const nat = new Nat(sim, "r");
    nat.masquerade({ outIf: "wan" });
    const bare = iface("wan", null);
    expect(nat.translateForward(udp({ src: A, dst: S, sport: 1, dport: 2 }), LAN, bare)).toBeNull();
    expect(nat.stats.drops.get("no-address")).toBe(1);
  });

  it("rejects bad configuration with NatConfigError", () => {
    const nat = new Nat(new Simulator(), "r");
    expect(() => nat.portForward({ proto: "tcp", port: 0, address: PUB, to: A })).toThrow(/port/);
    expect(() => nat.portForward({ proto: "tcp", port: 22, to: A })).toThrow(/address/);
    expect(() => nat.masquerade({ outIf: "wan", to: "300.1.1.1" })).toThrow(/IPv4/);
    expect(() => new Nat(new Simulator(), "x", { behaviour: "cone" as "full-cone" })).toThrow(/behaviour/);
  });
});

describe("hook points", () => {
  it("translates locally generated traffic (output + postrouting) and delivers replies (prerouting + input)", () => {
    const { nat } = setup();
    const p = udp({ src: A, dst: S, sport: 5000, dport: 53 });
    const a = nat.translate(p, ctx("output", null, WAN))!;
    expect(a).toBe(p);
    const b = nat.translate(a, ctx("postrouting", null, WAN))!;
    expect(seen(b)).toMatchObject({ src: PUB, sport: 5000 });
    const r = nat.translate(udp({ src: S, dst: PUB, sport: 53, dport: 5000 }), ctx("prerouting", WAN, null))!;
    expect(seen(r)).toMatchObject({ dst: A, dport: 5000 });
    expect(nat.translate(r, ctx("input", WAN, null))).toBe(r);
    expect(nat.translate(r, ctx("forward", WAN, LAN))).toBe(r);
  });

  it("leaves the router's own traffic from its public address as it is, and keeps that tuple its own", () => {
    const { nat, out } = setup();
    const own = udp({ src: PUB, dst: S, sport: 40000, dport: 7 });
    const a = nat.translate(own, ctx("output", null, WAN))!;
    expect(nat.translate(a, ctx("postrouting", null, WAN))).toBe(own);
    expect(nat.entries()[0]).toMatchObject({ srcNat: false });
    // A guest's flow that would take the same reply tuple gets another port (nf_nat_used_tuple).
    expect(seen(out(udp({ src: A, dst: S, sport: 40000, dport: 7 }))!).sport).not.toBe(40000);
  });

  it("hands prerouting's decision to postrouting even when the packet was copied in between (TTL)", () => {
    const { nat } = setup();
    nat.portForward({ proto: "udp", port: 8080, address: PUB, to: B, toPort: 80 });
    const a = nat.translate(
      udp({ src: A, dst: PUB, sport: 1234, dport: 8080 }),
      ctx("prerouting", LAN, null),
    )!;
    const ttlCopy = a.slice();
    const b = nat.translate(ttlCopy, ctx("postrouting", LAN, LAN))!;
    expect(seen(b)).toMatchObject({ src: "10.0.2.2", dst: B });
    expect(nat.count()).toBe(1);
  });
});

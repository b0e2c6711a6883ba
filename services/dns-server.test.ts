import { describe, expect, it } from "vitest";
import type { UdpMessage } from "../ip/index.js";
import { s } from "../sim/time.js";
import type { Ipv4 } from "../wire/addr.js";
import { buildDhcp, dhcpOption, encodeDhcp, DhcpMessageType as T } from "../wire/dhcp.js";
import {
  DnsRcode,
  type DnsRepr,
  DnsType,
  decodeDns,
  dnsQuery,
  ednsInfo,
  encodeDns,
  optRecord,
} from "../wire/dns.js";
import { DhcpServer } from "./dhcp-server.js";
import { DnsServer, type DnsServerOptions, reverseName, reverseNameOf } from "./dns-server.js";
import { ip, recorder, testNet } from "./testing.js";

// Reference: dnsmasq as libvirt runs it — forward.c (forwarding with a new id, REFUSED when there is
// nowhere to forward, TIMEOUT 10 s), rfc1035.c (setup_reply flags, local answers with AA and
// local-ttl 0), domain-needed / local=/domain/ (NXDOMAIN).

function setup(opts: DnsServerOptions = {}) {
  const net = testNet();
  const dns = new DnsServer(net.host.stack, { domain: "vnet.internal", ...opts });
  const c = net.node("client", 5, "192.168.122.5/24");
  const r = recorder(c.stack, { port: 40000 });
  const run = (t: number) => net.sim.run({ until: net.sim.now + t });
  const ask = (q: DnsRepr | Uint8Array, dst: Ipv4 = ip("192.168.122.1")) =>
    r.sock.sendTo(q instanceof Uint8Array ? q : encodeDns(q), dst, 53);
  const answers = () => r.got.map((m: UdpMessage) => decodeDns(m.data));
  return { net, dns, c, got: r.got, ask, answers, run };
}

const A = (id: number, name: string, type: number = DnsType.A) => dnsQuery({ id, name, type });

describe("local names", () => {
  it("static records answer with AA, RA, TTL 0, also inside the local domain", () => {
    const { dns, ask, answers, run, got } = setup({
      records: { web: "198.51.100.10", "db.example.org": "10.0.0.5" },
    });
    ask(A(1, "web"));
    ask(A(2, "WEB.vnet.internal"));
    ask(A(3, "db.example.org"));
    run(s(1));
    const [r1, r2, r3] = answers();
    expect(r1).toMatchObject({ id: 1, qr: true, aa: true, ra: true, rd: true, rcode: DnsRcode.NoError });
    expect(r1.answers).toEqual([
      { name: "web", type: DnsType.A, class: 1, ttl: 0, data: { kind: "A", address: ip("198.51.100.10") } },
    ]);
    expect(r2.answers[0]).toMatchObject({
      name: "WEB.vnet.internal",
      data: { address: ip("198.51.100.10") },
    });
    expect(r3.answers[0]).toMatchObject({ data: { address: ip("10.0.0.5") } });
    expect(got[0].from).toBe(ip("192.168.122.1"));
    expect(got[0].fromPort).toBe(53);
    expect(dns.stats).toMatchObject({ queries: 3, answered: 3 });
  });

  it("VM host names from the DHCP server's bound leases, A and PTR; other types are NODATA", () => {
    const net = testNet();
    const dhcp = new DhcpServer(net.host.stack, net.host.iface, {
      pool: { start: "192.168.122.2", end: "192.168.122.9" },
      subnet: "192.168.122.0/24",
    });
    const dns = new DnsServer(net.host.stack, { domain: "vnet.internal", leases: dhcp });
    const vm = net.node("vm", 7);
    const vmSock = vm.stack.udpBind({ port: 68, iface: vm.iface, anyDestination: true, broadcast: true });
    const req = buildDhcp({
      messageType: T.Request,
      xid: 9,
      chaddr: vm.iface.mac!,
      options: [dhcpOption.requestedIp(ip("192.168.122.4")), dhcpOption.hostname("vm7")],
    });
    vmSock.sendTo(encodeDhcp(req), 0xffff_ffff as Ipv4, 67, { iface: vm.iface, src: 0 as Ipv4 });
    const c = net.node("client", 5, "192.168.122.5/24");
    const r = recorder(c.stack, { port: 40000 });
    net.sim.run({ until: s(1) });
    for (const [i, q] of [
      A(1, "vm7"),
      A(2, "vm7.vnet.internal"),
      A(3, "vm7", DnsType.AAAA),
      A(4, reverseNameOf(ip("192.168.122.4")), DnsType.PTR),
      A(5, "vm8.vnet.internal"),
    ].entries()) {
      net.sim.schedule(i, () => r.sock.sendTo(encodeDns(q), ip("192.168.122.1"), 53));
    }
    net.sim.run({ until: s(2) });
    const [a1, a2, aaaa, ptr, nx] = r.got.map((m) => decodeDns(m.data));
    expect(a1.answers[0].data).toEqual({ kind: "A", address: ip("192.168.122.4") });
    expect(a2.answers[0].data).toEqual({ kind: "A", address: ip("192.168.122.4") });
    expect(aaaa).toMatchObject({ rcode: DnsRcode.NoError, aa: true, answers: [] });
    expect(ptr.answers[0]).toMatchObject({
      name: "4.122.168.192.in-addr.arpa",
      ttl: 0,
      data: { kind: "PTR", name: "vm7.vnet.internal" },
    });
    expect(nx).toMatchObject({ rcode: DnsRcode.NXDomain, aa: false, answers: [] });
    expect(dns.stats).toMatchObject({ answered: 3, nodata: 1, nxdomain: 1 });
  });

  it("plain names without a dot that are not local are NXDOMAIN (domain-needed), never forwarded", () => {
    const { dns, ask, answers, run } = setup({ upstream: "192.168.122.53" });
    ask(A(1, "printer"));
    run(s(1));
    expect(answers()[0].rcode).toBe(DnsRcode.NXDomain);
    expect(dns.stats.forwarded).toBe(0);
  });

  it("reverseName parses in-addr.arpa names", () => {
    expect(reverseName("4.122.168.192.in-addr.arpa")).toBe(ip("192.168.122.4"));
    expect(reverseName("300.1.1.1.in-addr.arpa")).toBeNull();
    expect(reverseName("example.com")).toBeNull();
  });
});

describe("forwarding", () => {
  it("no upstream: REFUSED, as dnsmasq with nowhere to forward", () => {
    const { dns, ask, answers, run } = setup();
    ask(A(7, "example.com"));
    run(s(1));
    expect(answers()[0]).toMatchObject({
      id: 7,
      qr: true,
      aa: false,
      ra: true,
      rcode: DnsRcode.Refused,
      answers: [],
    });
    expect(dns.stats.refused).toBe(1);
  });

  it("authoritative (the simulated outside's DNS): unknown names are NXDOMAIN with AA", () => {
    const { dns, ask, answers, run } = setup({
      authoritative: true,
      records: { "example.com": "198.51.100.10" },
    });
    ask(A(1, "example.com"));
    ask(A(2, "nosuch.example.com"));
    run(s(1));
    const [ok, nx] = answers();
    expect(ok).toMatchObject({ rcode: DnsRcode.NoError, aa: true });
    expect(nx).toMatchObject({ id: 2, rcode: DnsRcode.NXDomain, aa: true, answers: [] });
    expect(dns.stats).toMatchObject({ answered: 1, nxdomain: 1, refused: 0 });
  });

  it("forwards with a new id from another port and relays the answer with the client's id", () => {
    const { net, dns, ask, got, run } = setup({ upstream: "192.168.122.53" });
    const up = net.node("upstream", 6, "192.168.122.53/24");
    const upSock = up.stack.udpBind({ port: 53 });
    const seen: UdpMessage[] = [];
    upSock.onMessage((m) => {
      seen.push(m);
      const q = decodeDns(m.data);
      const resp = encodeDns({
        ...q,
        qr: true,
        ra: true,
        answers: [
          {
            name: q.questions[0].name,
            type: DnsType.A,
            class: 1,
            ttl: 300,
            data: { kind: "A", address: ip("93.184.216.34") },
          },
        ],
      });
      upSock.sendTo(resp, m.from, m.fromPort);
    });
    ask(A(0x1234, "example.com"));
    run(s(1));
    expect(seen).toHaveLength(1);
    const fwd = decodeDns(seen[0].data);
    expect(fwd.id).not.toBe(0x1234);
    expect(fwd.questions[0].name).toBe("example.com");
    expect(seen[0].from).toBe(ip("192.168.122.1"));
    expect(seen[0].fromPort).not.toBe(53);
    const ans = decodeDns(got[0].data);
    expect(ans.id).toBe(0x1234);
    expect(ans.answers[0]).toMatchObject({ ttl: 300, data: { address: ip("93.184.216.34") } });
    // byte for byte the upstream's reply but for the id
    expect(got[0].data.subarray(2)).toEqual(
      encodeDns({ ...fwd, qr: true, ra: true, answers: ans.answers }).subarray(2),
    );
    expect(dns.stats).toMatchObject({ forwarded: 1, relayed: 1, ignored: 0 });
    expect(dns.pendingForwards).toBe(0);
  });

  it("a forward without an answer is forgotten after 10 s; a late answer is ignored", () => {
    const { net, dns, ask, got, run } = setup({ upstream: "192.168.122.53" });
    const up = net.node("upstream", 6, "192.168.122.53/24");
    const held: UdpMessage[] = [];
    const upSock = up.stack.udpBind({ port: 53 });
    upSock.onMessage((m) => held.push(m));
    ask(A(1, "slow.example"));
    run(s(1));
    expect(dns.pendingForwards).toBe(1);
    run(s(10));
    expect(dns.pendingForwards).toBe(0);
    expect(dns.stats.upstreamTimeouts).toBe(1);
    const q = decodeDns(held[0].data);
    upSock.sendTo(encodeDns({ ...q, qr: true }), held[0].from, held[0].fromPort);
    run(s(1));
    expect(got).toHaveLength(0);
    expect(dns.stats.ignored).toBe(1);
  });
});

describe("odd and malformed queries", () => {
  it("malformed queries are counted and dropped; responses (QR) are ignored; the server keeps answering", () => {
    const { dns, ask, answers, run } = setup({ records: { web: "198.51.100.10" } });
    ask(Uint8Array.of(1, 2, 3)); // shorter than a header
    const bad = encodeDns(A(2, "web"));
    bad[12] = 70; // a label length past the end
    ask(bad);
    ask(encodeDns({ ...A(3, "web"), qr: true }));
    ask(A(4, "web"));
    run(s(1));
    expect(dns.stats).toMatchObject({ malformed: 1, ignored: 2, queries: 1, answered: 1 });
    expect(answers().map((r) => r.id)).toEqual([4]);
  });

  it("two questions or another opcode: REFUSED (dnsmasq cannot forward them either)", () => {
    const { ask, answers, run } = setup({ records: { web: "198.51.100.10" } });
    const two = A(1, "web");
    ask({ ...two, questions: [two.questions[0], two.questions[0]] });
    ask({ ...A(2, "web"), opcode: 2 });
    run(s(1));
    expect(answers().map((r) => [r.id, r.rcode])).toEqual([
      [1, DnsRcode.Refused],
      [2, DnsRcode.Refused],
    ]);
  });

  it("an EDNS query gets an OPT record back (1232 bytes)", () => {
    const { ask, answers, run } = setup({ records: { web: "198.51.100.10" } });
    ask(
      dnsQuery({ id: 1, name: "web", type: DnsType.A, additionals: [optRecord({ udpPayloadSize: 4096 })] }),
    );
    run(s(1));
    expect(ednsInfo(answers()[0])?.udpPayloadSize).toBe(1232);
  });
});

import { describe, expect, it } from "vitest";
import { s } from "../sim/time.js";
import { type Ipv4, MAC_BROADCAST, type Mac, readIpv4, readMac } from "../wire/addr.js";
import {
  buildDhcp,
  type DhcpOptionItem,
  decodeDhcp,
  dhcpClientMac,
  dhcpOption,
  dhcpOptions,
  encodeDhcp,
  DhcpOptionCode as O,
  DhcpMessageType as T,
} from "../wire/dhcp.js";
import { ServiceConfigError } from "./config.js";
import { DhcpServer, type DhcpServerOptions } from "./dhcp-server.js";
import { HOST_MAC, ip, type Node, recorder, type TestNet, testNet } from "./testing.js";

// Reference: dnsmasq src/rfc2131.c (address choice, REQUEST states, NAK texts, option order,
// calc_time, DECLINE_BACKOFF) and RFC 2131 §4.1 (where replies go).

const BCAST = 0xffff_ffff as Ipv4;

interface Client {
  readonly node: Node;
  readonly mac: Mac;
  /** Replies: the DHCP message, where it was sent (IP), and the Ethernet destination. */
  readonly replies: { type: number | undefined; msg: ReturnType<typeof decodeDhcp>; to: Ipv4; ethDst: Mac }[];
  send(
    type: number,
    f?: { options?: DhcpOptionItem[]; ciaddr?: Ipv4; broadcast?: boolean; dst?: Ipv4 },
  ): void;
}

function client(net: TestNet, n: number): Client {
  const node = net.node(`c${n}`, n);
  const mac = node.iface.mac as Mac;
  const r = recorder(node.stack, { port: 68, iface: node.iface, anyDestination: true, broadcast: true });
  const replies: Client["replies"] = [];
  // Replies as they arrive on the wire, for this client's chaddr only (broadcasts reach every client).
  node.port.observe((f, dir) => {
    if (dir !== "in" || f[12] !== 0x08 || f[13] !== 0 || f[23] !== 17 || f[37] !== 68) return;
    const msg = decodeDhcp(f.subarray(42));
    if (dhcpClientMac(msg) !== mac) return;
    replies.push({ type: dhcpOptions(msg).messageType, msg, to: readIpv4(f, 30), ethDst: readMac(f, 0) });
  });
  let xid = 0x1000 * n;
  return {
    node,
    mac,
    replies,
    send(type, f = {}) {
      const m = buildDhcp({
        messageType: type,
        xid: ++xid,
        chaddr: mac,
        ciaddr: f.ciaddr,
        broadcast: f.broadcast,
        options: f.options ?? [],
      });
      const dst = f.dst ?? BCAST;
      r.sock.sendTo(encodeDhcp(m), dst, 67, dst === BCAST ? { iface: node.iface, src: 0 as Ipv4 } : {});
    },
  };
}

function setup(opts: Partial<DhcpServerOptions> = {}) {
  const net = testNet();
  const server = new DhcpServer(net.host.stack, net.host.iface, {
    pool: { start: "192.168.122.2", end: "192.168.122.254" },
    subnet: "192.168.122.0/24",
    router: "192.168.122.1",
    dns: ["192.168.122.1"],
    domain: "vnet.internal",
    ...opts,
  });
  return { net, server, run: (t: number) => net.sim.run({ until: net.sim.now + t }) };
}

const sid = (): DhcpOptionItem => dhcpOption.serverId(ip("192.168.122.1"));

describe("configuration", () => {
  it("refuses pools outside the subnet, reversed pools, bad and duplicate reservations", () => {
    const net = testNet();
    const base = { pool: { start: "192.168.122.2", end: "192.168.122.9" }, subnet: "192.168.122.0/24" };
    const mk = (o: Partial<DhcpServerOptions>) => () =>
      new DhcpServer(net.host.stack, net.host.iface, { ...base, ...o });
    expect(mk({ pool: { start: "10.0.0.2", end: "10.0.0.9" } })).toThrow(ServiceConfigError);
    expect(mk({ pool: { start: "192.168.122.9", end: "192.168.122.2" } })).toThrow(/after/);
    expect(mk({ pool: { start: "192.168.122.x", end: "192.168.122.2" } })).toThrow(/not an IPv4 address/);
    expect(mk({ reservations: [{ mac: "52:54:00:00:00:01", ip: "10.1.1.1" }] })).toThrow(
      /outside the subnet/,
    );
    expect(mk({ reservations: [{ mac: "zz", ip: "192.168.122.5" }] })).toThrow(/not a MAC/);
    expect(
      mk({
        reservations: [
          { mac: "52:54:00:00:00:01", ip: "192.168.122.5" },
          { mac: "52:54:00:00:00:02", ip: "192.168.122.5" },
        ],
      }),
    ).toThrow(/twice/);
  });
});

describe("address choice (dnsmasq)", () => {
  it("offers the requested address when free, else the lowest free one", () => {
    const { net, server, run } = setup();
    const a = client(net, 1);
    const b = client(net, 2);
    a.send(T.Discover, { options: [dhcpOption.requestedIp(ip("192.168.122.77"))] });
    b.send(T.Discover, { options: [dhcpOption.requestedIp(ip("10.0.0.1"))] });
    run(s(1));
    expect(a.replies[0].msg.yiaddr).toBe(ip("192.168.122.77"));
    expect(b.replies[0].msg.yiaddr).toBe(ip("192.168.122.2"));
    expect(server.leases().map((l) => l.state)).toEqual(["offered", "offered"]);
  });

  it('allocation "mac-hash": dnsmasq\'s choice from the MAC (measured: dnsmasq 2.90 offers .76/.77/.80 in .2-.254)', () => {
    const { net, run } = setup({ allocation: "mac-hash" });
    const clients = [0x123456, 0x123457, 0x12345a].map((n) => client(net, n)); // 52:54:00:12:34:56 …
    for (const c of clients) c.send(T.Discover);
    run(s(1));
    expect(clients.map((c) => c.replies[0].msg.yiaddr)).toEqual([
      ip("192.168.122.76"),
      ip("192.168.122.77"),
      ip("192.168.122.80"),
    ]);
  });

  it('allocation "mac-hash": a taken start moves to the next free address upward, wrapping at the end', () => {
    // Pool .70-.76 (7 addresses), filled by 7 clients: whatever their hashes, a taken start moves on,
    // past the end back to .70, so every client gets an address and none gets one twice.
    const { net, run } = setup({
      allocation: "mac-hash",
      pool: { start: "192.168.122.70", end: "192.168.122.76" },
    });
    const first = client(net, 0x123456);
    first.send(T.Discover);
    run(s(1));
    const start = first.replies[0].msg.yiaddr;
    const others = [1, 2, 3, 4, 5, 6].map((n) => client(net, n));
    for (const c of others) {
      c.send(T.Discover);
      run(s(1));
    }
    const all = [start, ...others.map((c) => c.replies[0].msg.yiaddr)];
    expect(new Set(all).size).toBe(7);
    expect(all.every((a) => a >= ip("192.168.122.70") && a <= ip("192.168.122.76"))).toBe(true);
  });

  it("holds an offer for 60 s, then gives the address to someone else", () => {
    const { net, server, run } = setup();
    const [a, b, c] = [1, 2, 3].map((n) => client(net, n));
    a.send(T.Discover);
    run(s(30));
    b.send(T.Discover); // .2 is held for a
    run(s(31));
    c.send(T.Discover); // a's offer has lapsed, b's is still held
    run(s(1));
    expect([a, b, c].map((x) => x.replies[0].msg.yiaddr)).toEqual([
      ip("192.168.122.2"),
      ip("192.168.122.3"),
      ip("192.168.122.2"),
    ]);
    expect(server.leases().map((l) => [l.mac, l.state])).toEqual([
      [b.mac, "offered"],
      [c.mac, "offered"],
    ]);
  });

  it("a client that had a lease is offered the same address again", () => {
    const { net, run } = setup();
    const a = client(net, 1);
    a.send(T.Discover);
    run(s(1));
    const yi = a.replies[0].msg.yiaddr;
    a.send(T.Request, { options: [dhcpOption.requestedIp(yi), sid()] });
    run(s(1));
    expect(a.replies[1].type).toBe(T.Ack);
    client(net, 2).send(T.Discover);
    a.send(T.Discover);
    run(s(1));
    expect(a.replies[2]).toMatchObject({ type: T.Offer });
    expect(a.replies[2].msg.yiaddr).toBe(yi);
  });

  it("DECLINE bars the address for 600 s (dnsmasq DECLINE_BACKOFF)", () => {
    const { net, server, run } = setup({ pool: { start: "192.168.122.2", end: "192.168.122.3" } });
    const a = client(net, 1);
    const b = client(net, 2);
    a.send(T.Decline, { options: [dhcpOption.requestedIp(ip("192.168.122.2")), sid()] });
    run(s(1));
    b.send(T.Discover);
    run(s(1));
    expect(b.replies[0].msg.yiaddr).toBe(ip("192.168.122.3"));
    expect(server.stats.declines).toBe(1);
    run(s(600));
    a.send(T.Discover);
    run(s(1));
    expect(a.replies[0].msg.yiaddr).toBe(ip("192.168.122.2"));
  });

  it("a lease expires on simulated time and its address goes back to the pool", () => {
    const { net, server, run } = setup({
      leaseTime: s(120),
      pool: { start: "192.168.122.2", end: "192.168.122.2" },
    });
    const a = client(net, 1);
    const b = client(net, 2);
    a.send(T.Request, { options: [dhcpOption.requestedIp(ip("192.168.122.2"))] }); // INIT-REBOOT, authoritative
    run(s(1));
    expect(a.replies[0].type).toBe(T.Ack);
    expect(server.formatLeases()).toBe("120 52:54:00:00:00:01 192.168.122.2 * *\n");
    b.send(T.Discover);
    run(s(1));
    expect(b.replies).toHaveLength(0);
    expect(server.stats.noAddress).toBe(1);
    run(s(120));
    expect(server.leases()[0].state).toBe("expired");
    expect(server.formatLeases()).toBe("");
    b.send(T.Discover);
    run(s(1));
    expect(b.replies[0].msg.yiaddr).toBe(ip("192.168.122.2"));
  });
});

describe("REQUEST handling and NAKs", () => {
  it("NAKs a request for another subnet: broadcast, server id and dnsmasq's message", () => {
    const { net, server, run } = setup();
    const a = client(net, 1);
    a.send(T.Request, { options: [dhcpOption.requestedIp(ip("10.9.9.9"))] });
    run(s(1));
    expect(a.replies).toHaveLength(1);
    const nak = a.replies[0];
    expect(nak.type).toBe(T.Nak);
    expect(nak.to).toBe(BCAST);
    expect(nak.ethDst).toBe(MAC_BROADCAST);
    expect(nak.msg.yiaddr).toBe(0);
    expect(nak.msg.flags).toBe(0x8000);
    const o = dhcpOptions(nak.msg);
    expect(o.items.map((x) => x.code)).toEqual([O.MessageType, O.ServerId, O.Message]);
    expect(o.serverId).toBe(ip("192.168.122.1"));
    expect(o.message).toBe("wrong network");
    expect(server.stats).toMatchObject({ requests: 1, naks: 1, acks: 0 });
  });

  it("NAKs an address leased to another client (address in use) and one outside the pool", () => {
    const { net, run } = setup({ pool: { start: "192.168.122.2", end: "192.168.122.9" } });
    const a = client(net, 1);
    const b = client(net, 2);
    a.send(T.Request, { options: [dhcpOption.requestedIp(ip("192.168.122.5"))] });
    run(s(1));
    b.send(T.Request, { options: [dhcpOption.requestedIp(ip("192.168.122.5"))] });
    b.send(T.Request, { options: [dhcpOption.requestedIp(ip("192.168.122.100"))] });
    run(s(1));
    expect(a.replies[0].type).toBe(T.Ack);
    expect(b.replies.map((r) => [r.type, dhcpOptions(r.msg).message])).toEqual([
      [T.Nak, "address in use"],
      [T.Nak, "address not available"],
    ]);
  });

  it("a REQUEST naming another server drops our offer silently", () => {
    const { net, server, run } = setup();
    const a = client(net, 1);
    a.send(T.Discover);
    run(s(1));
    const yi = a.replies[0].msg.yiaddr;
    a.send(T.Request, { options: [dhcpOption.requestedIp(yi), dhcpOption.serverId(ip("192.168.122.254"))] });
    run(s(1));
    expect(a.replies).toHaveLength(1);
    expect(server.leases()).toEqual([]);
    expect(server.stats.ignored).toBe(1);
  });

  it("renewal: unicast REQUEST with ciaddr is ACKed unicast to ciaddr; a wrong ciaddr is NAKed (lease not found)", () => {
    const { net, server, run } = setup();
    const a = client(net, 1);
    a.send(T.Request, { options: [dhcpOption.requestedIp(ip("192.168.122.7"))] });
    run(s(1));
    a.node.iface.addAddress("192.168.122.7/24");
    run(s(100));
    a.send(T.Request, { ciaddr: ip("192.168.122.7"), dst: ip("192.168.122.1") });
    run(s(1));
    const ack = a.replies[1];
    expect(ack.type).toBe(T.Ack);
    expect(ack.to).toBe(ip("192.168.122.7"));
    expect(ack.msg.ciaddr).toBe(ip("192.168.122.7"));
    expect(server.leases()[0].expires).toBe(s(101) + s(3600));
    a.send(T.Request, { ciaddr: ip("192.168.122.8"), dst: ip("192.168.122.1") });
    run(s(1));
    expect(a.replies[2].type).toBe(T.Nak);
    expect(dhcpOptions(a.replies[2].msg).message).toBe("lease not found");
    expect(a.replies[2].to).toBe(BCAST);
  });
});

describe("reply contents", () => {
  it("lease time: the client's shorter request is granted (at least 120 s), T1 = 1/2, T2 = 7/8", () => {
    const { net, run } = setup();
    const [a, b, c] = [1, 2, 3].map((n) => client(net, n));
    a.send(T.Discover, { options: [dhcpOption.leaseTime(60)] });
    b.send(T.Discover, { options: [dhcpOption.leaseTime(1000)] });
    c.send(T.Discover, { options: [dhcpOption.leaseTime(7200)] });
    run(s(1));
    const times = [a, b, c].map((x) => {
      const o = dhcpOptions(x.replies[0].msg);
      return [o.leaseTime, o.renewalTime, o.rebindingTime];
    });
    expect(times).toEqual([
      [120, 60, 105],
      [1000, 500, 875],
      [3600, 1800, 3150],
    ]);
  });

  it("router, DNS and domain only when the parameter request list asks for them", () => {
    const { net, run } = setup();
    const a = client(net, 1);
    const b = client(net, 2);
    a.send(T.Discover, { options: [dhcpOption.parameterRequestList([O.SubnetMask])] });
    b.send(T.Discover, { options: [dhcpOption.parameterRequestList([O.DnsServers, O.Router])] });
    run(s(1));
    const codes = (c: Client) => dhcpOptions(c.replies[0].msg).items.map((x) => x.code);
    expect(codes(a)).toEqual([
      O.MessageType,
      O.ServerId,
      O.LeaseTime,
      O.RenewalTime,
      O.RebindingTime,
      O.SubnetMask,
      O.BroadcastAddress,
    ]);
    expect(codes(b)).toEqual([
      O.MessageType,
      O.ServerId,
      O.LeaseTime,
      O.RenewalTime,
      O.RebindingTime,
      O.SubnetMask,
      O.BroadcastAddress,
      O.Router,
      O.DnsServers,
    ]);
  });

  it("the broadcast flag makes the OFFER a broadcast; without it the OFFER goes to yiaddr at chaddr", () => {
    const { net, run } = setup();
    const a = client(net, 1);
    const b = client(net, 2);
    a.send(T.Discover, { broadcast: true });
    b.send(T.Discover);
    run(s(1));
    expect([a.replies[0].to, a.replies[0].ethDst]).toEqual([BCAST, MAC_BROADCAST]);
    expect([b.replies[0].to, b.replies[0].ethDst]).toEqual([b.replies[0].msg.yiaddr, b.mac]);
    expect(a.replies[0].msg.flags).toBe(0x8000);
  });

  it("INFORM with ciaddr: an ACK with configuration only, to ciaddr", () => {
    const { net, server, run } = setup();
    const a = client(net, 1);
    a.node.iface.addAddress("192.168.122.200/24");
    a.send(T.Inform, { ciaddr: ip("192.168.122.200"), dst: ip("192.168.122.1") });
    run(s(1));
    const ack = a.replies[0];
    expect(ack.type).toBe(T.Ack);
    expect(ack.to).toBe(ip("192.168.122.200"));
    expect(ack.msg.yiaddr).toBe(0);
    const o = dhcpOptions(ack.msg);
    expect(o.leaseTime).toBeUndefined();
    expect(o.routers).toEqual([ip("192.168.122.1")]);
    expect(server.leases()).toEqual([]);
    expect(server.stats.informs).toBe(1);
  });

  it("replies come from the host's MAC and port 67", () => {
    const { net, run } = setup();
    const a = client(net, 1);
    const srcs: Mac[] = [];
    a.node.port.observe((f, dir) => {
      if (dir === "in" && f[23] === 17) srcs.push(readMac(f, 6));
    });
    a.send(T.Discover);
    run(s(1));
    expect(srcs).toEqual([HOST_MAC]);
  });
});

describe("robustness", () => {
  it("malformed messages are counted and dropped; the server keeps answering", () => {
    const { net, server, run } = setup();
    const a = client(net, 1);
    const raw = recorder(net.node("junk", 9).stack, { port: 68, broadcast: true });
    const junkIface = raw.sock.stack.interface("eth0")!;
    const send = (b: Uint8Array) => raw.sock.sendTo(b, BCAST, 67, { iface: junkIface, src: 0 as Ipv4 });
    send(new Uint8Array(10)); // shorter than the fixed header
    const noEnd = encodeDhcp(buildDhcp({ messageType: T.Discover, xid: 1, chaddr: a.mac, minLength: 0 }));
    send(noEnd.subarray(0, noEnd.byteLength - 1)); // options without End
    const badMt = encodeDhcp(
      buildDhcp({
        messageType: T.Discover,
        xid: 2,
        chaddr: a.mac,
        options: [dhcpOption.raw(O.RequestedIp, Uint8Array.of(1, 2))],
      }),
    );
    send(badMt); // option 50 of length 2
    const reply = encodeDhcp(buildDhcp({ messageType: T.Offer, xid: 3, chaddr: a.mac }));
    send(reply); // a BOOTREPLY: not for a server
    run(s(1));
    expect(server.stats.malformed).toBe(3);
    expect(server.stats.ignored).toBe(1);
    a.send(T.Discover);
    run(s(1));
    expect(a.replies[0].type).toBe(T.Offer);
  });
});

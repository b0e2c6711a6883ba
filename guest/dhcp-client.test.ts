import { describe, expect, it } from "vitest";
import { DhcpServer } from "../services/index.js";
import { s } from "../sim/time.js";
import { formatIpv4, formatMac, MAC_BROADCAST, type Mac } from "../wire/addr.js";
import { DhcpOptionCode as O, DhcpMessageType as T } from "../wire/dhcp.js";
import { dhcpFrames, HOST_MAC, ip, lan } from "./testing.js";

// Reference: RFC 2131 (DORA, §4.1 retransmission, §4.4.5 renew/rebind), dnsmasq's server side
// (option order, NAK texts), systemd-networkd's client (first offer wins, proto dhcp metric 1024).

describe("DORA", () => {
  it("DISCOVER, OFFER, REQUEST, ACK on the wire; the guest ends bound with address, route and DNS", () => {
    const net = lan();
    const frames: Uint8Array[] = [];
    net.hostPort.observe((f) => frames.push(f));
    const vm = net.vm("vm1");
    const client = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });

    const msgs = dhcpFrames(frames);
    expect(msgs.map((m) => m.options.messageType)).toEqual([T.Discover, T.Offer, T.Request, T.Ack]);
    const [disc, offer, req, ack] = msgs;
    const mac = vm.nic("eth0")!.nic.mac;

    // DISCOVER: broadcast from 0.0.0.0:68 to 255.255.255.255:67, client id, host name, parameter list
    expect(disc.ethDst).toBe(MAC_BROADCAST);
    expect(disc.ethSrc).toBe(mac);
    expect([disc.ipSrc, disc.ipDst, disc.srcPort, disc.dstPort]).toEqual([0, 0xffffffff, 68, 67]);
    expect(disc.msg.op).toBe(1);
    expect(disc.msg.ciaddr).toBe(0);
    expect(disc.options.hostname).toBe("vm1");
    expect(disc.options.clientId?.type).toBe(1);
    expect(disc.options.parameterRequestList).toEqual(
      expect.arrayContaining([O.SubnetMask, O.Router, O.DnsServers]),
    );

    // OFFER: unicast to yiaddr at chaddr (no ARP), from the server, dnsmasq's option order
    const yi = ip("192.168.122.2");
    expect(offer.msg.op).toBe(2);
    expect(offer.msg.xid).toBe(disc.msg.xid);
    expect(offer.msg.yiaddr).toBe(yi);
    expect(offer.ethDst).toBe(mac);
    expect(offer.ethSrc).toBe(HOST_MAC);
    expect([offer.ipSrc, offer.ipDst, offer.srcPort, offer.dstPort]).toEqual([
      ip("192.168.122.1"),
      yi,
      67,
      68,
    ]);
    expect(offer.codes).toEqual([
      O.MessageType,
      O.ServerId,
      O.LeaseTime,
      O.RenewalTime,
      O.RebindingTime,
      O.SubnetMask,
      O.BroadcastAddress,
      O.Router,
      O.DnsServers,
      O.DomainName, // no option 12: dnsmasq 2.90 names the lease only from the ACK on (test/fidelity/dhcp.test.ts)
    ]);
    expect(offer.options.leaseTime).toBe(3600);
    expect(offer.options.renewalTime).toBe(1800);
    expect(offer.options.rebindingTime).toBe(3150);
    expect(offer.options.subnetMask).toBe(ip("255.255.255.0"));
    expect(offer.options.broadcastAddress).toBe(ip("192.168.122.255"));
    expect(offer.options.routers).toEqual([ip("192.168.122.1")]);
    expect(offer.options.dnsServers).toEqual([ip("192.168.122.1")]);
    expect(offer.options.domainName).toBe("vnet.internal");

    // REQUEST: broadcast, same xid, options 50 and 54
    expect(req.msg.xid).toBe(disc.msg.xid);
    expect(req.ethDst).toBe(MAC_BROADCAST);
    expect(req.ipSrc).toBe(0);
    expect(req.options.requestedIp).toBe(yi);
    expect(req.options.serverId).toBe(ip("192.168.122.1"));

    // ACK
    expect(ack.msg.yiaddr).toBe(yi);
    expect(ack.ethDst).toBe(mac);
    expect(ack.options.serverId).toBe(ip("192.168.122.1"));
    expect(ack.options.hostname).toBe("vm1"); // the ACK names the lease with the client's own name, as dnsmasq

    // The guest is configured as systemd-networkd leaves it.
    expect(client.state).toBe("bound");
    const l = client.lease()!;
    expect(formatIpv4(l.ip)).toBe("192.168.122.2");
    expect(l.prefixLength).toBe(24);
    expect(l.router).toBe(ip("192.168.122.1"));
    expect(l.leaseTime).toBe(s(3600));
    expect(vm.stack.interface("eth0")!.primaryAddress).toBe(yi);
    expect(vm.stack.dnsServers).toEqual([ip("192.168.122.1")]);
    expect(vm.stack.searchDomain).toBe("vnet.internal");
    const def = vm.stack.lookupRoute(ip("8.8.8.8"))!;
    expect(def.via).toBe(ip("192.168.122.1"));
    expect(def.proto).toBe("dhcp");
    expect(def.metric).toBe(1024);
    expect(client.stats).toMatchObject({ discovers: 1, offers: 1, requests: 1, acks: 1, naks: 0 });
    expect(client.events.map((e) => e.type)).toEqual(["discover", "offer", "request", "bound"]);

    // and the server's table says the same
    const leases = net.dhcp!.leases();
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatchObject({ mac, ip: yi, hostname: "vm1", state: "bound", expires: l.expires });
    expect(net.dhcp!.formatLeases()).toBe(
      `${Math.floor(l.expires / 1e9)} ${formatMac(mac)} 192.168.122.2 vm1 01:${formatMac(mac)}\n`,
    );
    expect(net.dhcp!.stats).toMatchObject({ discovers: 1, offers: 1, requests: 1, acks: 1 });
  });

  it("two guests get the two lowest pool addresses; after the exchange both can ping each other", () => {
    const net = lan();
    const a = net.vm("a");
    const b = net.vm("b");
    a.dhcp("eth0");
    b.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const ips = [a, b].map((g) => g.dhcpClient("eth0")!.lease()!.ip).sort();
    expect(ips.map(formatIpv4)).toEqual(["192.168.122.2", "192.168.122.3"]);
    const p = a.ping(b.dhcpClient("eth0")!.lease()!.ip, { count: 2 });
    net.sim.run({ until: s(10) });
    expect(p.result()).toMatchObject({ sent: 2, received: 2 });
  });

  it("DISCOVER is retransmitted after 4, 8, 16, 32, 64, 64 s (±1 s) while no server answers", () => {
    const net = lan({ dhcp: false });
    const frames: Uint8Array[] = [];
    net.hostPort.observe((f, dir) => {
      if (dir === "in") frames.push(f);
    });
    const times: number[] = [];
    net.hostPort.observe((_f, dir) => {
      if (dir === "in") times.push(net.sim.now);
    });
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(200) });
    const disc = dhcpFrames(frames);
    expect(disc.every((m) => m.options.messageType === T.Discover)).toBe(true);
    expect(disc).toHaveLength(7);
    const gaps = times.slice(1).map((t, i) => (t - times[i]) / 1e9);
    const nominal = [4, 8, 16, 32, 64, 64];
    gaps.forEach((g, i) => {
      expect(Math.abs(g - nominal[i])).toBeLessThanOrEqual(1);
    });
    expect(c.state).toBe("selecting");
  });
});

describe("lease lifetime (simulated hours)", () => {
  it("renews by unicast at T1, keeps the address, and the server extends the lease", () => {
    const net = lan({ dhcp: { leaseTime: s(600) } });
    const frames: Uint8Array[] = [];
    net.hostPort.observe((f) => frames.push(f));
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const first = c.lease()!;
    expect(first.t1 - first.obtained).toBeLessThanOrEqual(s(300));
    frames.length = 0;
    net.sim.run({ until: s(3 * 3600) });
    const msgs = dhcpFrames(frames);
    const renewals = msgs.filter((m) => m.options.messageType === T.Request);
    // a renewal every 300 s (T1 of a 600 s lease) for 3 h
    expect(renewals.length).toBeGreaterThanOrEqual(35);
    for (const r of renewals) {
      expect(r.ipSrc).toBe(first.ip);
      expect(r.ipDst).toBe(ip("192.168.122.1"));
      expect(r.ethDst).toBe(HOST_MAC);
      expect(r.msg.ciaddr).toBe(first.ip);
      expect(r.options.requestedIp).toBeUndefined();
      expect(r.options.serverId).toBeUndefined();
    }
    expect(c.state).toBe("bound");
    expect(c.lease()!.ip).toBe(first.ip);
    expect(c.stats.renewals).toBe(renewals.length);
    expect(c.events.filter((e) => e.type === "renewed")).toHaveLength(renewals.length);
    expect(net.dhcp!.leases()[0].expires).toBe(c.lease()!.expires);
  });

  it("without the server: RENEWING at T1, REBINDING (broadcast) at T2, address gone at expiry, then DISCOVER", () => {
    const net = lan({ dhcp: { leaseTime: s(3600) } });
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const l = c.lease()!;
    net.dhcp!.close(); // the server goes away
    const frames: Uint8Array[] = [];
    net.hostPort.observe((f, dir) => {
      if (dir === "in") frames.push(f);
    });
    net.sim.run({ until: l.t1 + s(1) });
    expect(c.state).toBe("renewing");
    net.sim.run({ until: l.t2 + s(1) });
    expect(c.state).toBe("rebinding");
    net.sim.run({ until: l.expires - s(1) });
    expect(vm.stack.interface("eth0")!.primaryAddress).toBe(l.ip);
    net.sim.run({ until: l.expires + s(1) });
    expect(vm.stack.interface("eth0")!.primaryAddress).toBeNull();
    expect(vm.stack.dnsServers).toEqual([]);
    expect(vm.stack.lookupRoute(ip("8.8.8.8"))).toBeNull();
    expect(c.state).toBe("selecting");
    expect(c.stats.expiries).toBe(1);

    const msgs = dhcpFrames(frames);
    const renew = msgs.filter((m) => m.options.messageType === T.Request && m.ipDst === ip("192.168.122.1"));
    const rebind = msgs.filter((m) => m.options.messageType === T.Request && m.ipDst === 0xffffffff);
    expect(renew.length).toBeGreaterThanOrEqual(2); // at T1, then half the time to T2 (>= 60 s)
    expect(rebind.length).toBeGreaterThanOrEqual(1);
    for (const r of rebind) {
      expect(r.ipSrc).toBe(l.ip);
      expect(r.msg.ciaddr).toBe(l.ip);
    }
    expect(msgs[msgs.length - 1].options.messageType).toBe(T.Discover);
    expect(msgs[msgs.length - 1].options.requestedIp).toBe(l.ip); // asks for its old address
    expect(net.dhcp!.leases()[0].state).toBe("expired");
  });

  it("a rebinding client is answered by a server that comes back, and keeps its address", () => {
    const net = lan({ dhcp: { leaseTime: s(3600) } });
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const l = c.lease()!;
    net.dhcp!.close();
    net.sim.run({ until: l.t2 + s(10) });
    expect(c.state).toBe("rebinding");
    // a fresh server (lost its lease database): authoritative, grants the address the client holds
    const again = new DhcpServer(net.host, net.hostIf, {
      pool: { start: "192.168.122.2", end: "192.168.122.254" },
      subnet: "192.168.122.0/24",
      router: "192.168.122.1",
    });
    net.sim.run({ until: l.expires });
    expect(c.state).toBe("bound");
    expect(c.lease()!.ip).toBe(l.ip);
    expect(c.stats.rebinds).toBe(1);
    expect(c.events.some((e) => e.type === "rebound")).toBe(true);
    expect(again.leases()[0]).toMatchObject({ ip: l.ip, state: "bound" });
  });
});

describe("server decisions", () => {
  it("a reservation gives its address and host name", () => {
    const mac = 0x5254_0012_3456 as Mac;
    const net = lan({
      dhcp: { reservations: [{ mac: "52:54:00:12:34:56", ip: "192.168.122.50", hostname: "db" }] },
    });
    const other = net.vm("other");
    other.dhcp("eth0");
    const vm = net.vm("vm1", undefined, mac);
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    expect(formatIpv4(c.lease()!.ip)).toBe("192.168.122.50");
    expect(net.dhcp!.leases().find((l) => l.mac === mac)).toMatchObject({ hostname: "db", state: "bound" });
    expect(formatIpv4(other.dhcpClient("eth0")!.lease()!.ip)).toBe("192.168.122.2");
  });

  it("pool exhaustion: two addresses, three guests — the third gets no offer and keeps discovering", () => {
    const net = lan({ dhcp: { pool: { start: "192.168.122.10", end: "192.168.122.11" } } });
    const vms = ["a", "b", "c"].map((n) => net.vm(n));
    const clients = vms.map((v) => v.dhcp("eth0"));
    net.sim.run({ until: s(60) });
    const bound = clients.filter((c) => c.state === "bound");
    expect(bound).toHaveLength(2);
    expect(bound.map((c) => formatIpv4(c.lease()!.ip)).sort()).toEqual(["192.168.122.10", "192.168.122.11"]);
    const starving = clients.find((c) => c.state !== "bound")!;
    expect(starving.state).toBe("selecting");
    expect(starving.stats.discovers).toBeGreaterThan(1);
    expect(net.dhcp!.stats.noAddress).toBeGreaterThan(0);
    expect(net.dhcp!.stats.offers).toBe(2);
  });

  it("release frees the address for the next client", () => {
    const net = lan({ dhcp: { pool: { start: "192.168.122.10", end: "192.168.122.10" } } });
    const a = net.vm("a");
    const ca = a.dhcp("eth0");
    net.sim.run({ until: s(5) });
    expect(ca.lease()!.ip).toBe(ip("192.168.122.10"));
    const frames: Uint8Array[] = [];
    net.hostPort.observe((f, dir) => {
      if (dir === "in") frames.push(f);
    });
    ca.release();
    net.sim.run({ until: s(6) });
    const rel = dhcpFrames(frames).find((m) => m.options.messageType === T.Release)!;
    expect(rel.msg.ciaddr).toBe(ip("192.168.122.10"));
    expect(rel.options.serverId).toBe(ip("192.168.122.1"));
    expect(rel.ipDst).toBe(ip("192.168.122.1"));
    expect(ca.state).toBe("released");
    expect(a.stack.interface("eth0")!.primaryAddress).toBeNull();
    expect(net.dhcp!.leases()[0].state).toBe("released");
    expect(net.dhcp!.stats.releases).toBe(1);

    const b = net.vm("b");
    const cb = b.dhcp("eth0");
    net.sim.run({ until: s(12) });
    expect(cb.lease()!.ip).toBe(ip("192.168.122.10"));
  });

  it("a guest rebooting into another network is NAKed (wrong network) and then gets a new lease", () => {
    const net = lan({ dhcp: { leaseTime: s(3600) } });
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    expect(c.lease()!.ip).toBe(ip("192.168.122.2"));
    vm.stop();
    // the network is renumbered while the VM is off
    net.dhcp!.close();
    net.hostIf.flushAddresses();
    net.hostIf.addAddress("10.0.2.2/24");
    const frames: Uint8Array[] = [];
    net.hostPort.observe((f) => frames.push(f));
    const other = new DhcpServer(net.host, net.hostIf, {
      pool: { start: "10.0.2.15", end: "10.0.2.30" },
      subnet: "10.0.2.0/24",
      router: "10.0.2.2",
    });
    net.sim.run({ until: s(100) });
    vm.start();
    net.sim.run({ until: s(130) });
    const msgs = dhcpFrames(frames);
    const types = msgs.map((m) => m.options.messageType);
    expect(types.slice(0, 2)).toEqual([T.Request, T.Nak]);
    expect(msgs[0].options.requestedIp).toBe(ip("192.168.122.2")); // INIT-REBOOT
    expect(msgs[0].options.serverId).toBeUndefined();
    expect(msgs[1].options.message).toBe("wrong network");
    expect(msgs[1].msg.flags & 0x8000).toBe(0x8000);
    expect(msgs[1].ethDst).toBe(MAC_BROADCAST);
    expect(types.slice(2)).toEqual([T.Discover, T.Offer, T.Request, T.Ack]);
    expect(msgs[2].options.requestedIp).toBeUndefined();
    expect(c.state).toBe("bound");
    expect(formatIpv4(c.lease()!.ip)).toBe("10.0.2.15");
    expect(c.events.find((e) => e.type === "nak")?.message).toBe("wrong network");
    expect(other.stats.naks).toBe(1);
    // restart after NAK waits 1 s (networkd's first restart delay)
    const nakAt = c.events.find((e) => e.type === "nak")!.time;
    const discoverAt = c.events.filter((e) => e.type === "discover").at(-1)!.time;
    expect(discoverAt - nakAt).toBe(s(1));
  });

  it("a stopped guest keeps its lease; on start it confirms it with INIT-REBOOT", () => {
    const net = lan();
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const l = c.lease()!;
    vm.stop();
    expect(c.state).toBe("stopped");
    net.sim.run({ until: s(600) });
    vm.start();
    net.sim.run({ until: s(605) });
    expect(c.state).toBe("bound");
    expect(c.lease()!.ip).toBe(l.ip);
    expect(c.events.map((e) => e.type).slice(-2)).toEqual(["request", "bound"]);
  });
});

describe("restart without a server", () => {
  it("INIT-REBOOT unanswered: back to DISCOVER, the old address kept until its lease ends", () => {
    const net = lan({ dhcp: { leaseTime: s(600) } });
    const vm = net.vm("vm1");
    const c = vm.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const l = c.lease()!;
    vm.stop();
    net.dhcp!.close();
    net.sim.run({ until: s(100) });
    vm.start();
    net.sim.run({ until: s(130) });
    expect(c.state).toBe("selecting");
    expect(
      c.events
        .filter((e) => e.type === "request")
        .slice(-2)
        .map((e) => e.ip),
    ).toEqual([l.ip, l.ip]);
    expect(vm.stack.interface("eth0")!.primaryAddress).toBe(l.ip);
    net.sim.run({ until: l.expires + 1 });
    expect(vm.stack.interface("eth0")!.primaryAddress).toBeNull();
    expect(c.lease()).toBeNull();
    expect(c.stats.expiries).toBe(1);
  });
});

describe("determinism", () => {
  it("the same seed gives byte-identical frames (xids, backoff jitter, MACs, ports)", () => {
    const run = (seed: number) => {
      const net = lan({ seed });
      const out: string[] = [];
      net.hostPort.observe((f, dir) => out.push(`${net.sim.now} ${dir} ${Buffer.from(f).toString("hex")}`));
      const a = net.vm("a", { delay: 1_000_000, loss: 0.1 });
      const b = net.vm("b");
      a.dhcp("eth0");
      b.dhcp("eth0");
      net.sim.run({ until: s(30) });
      a.ping("b", { count: 3 });
      net.sim.run({ until: s(60) });
      return out;
    };
    const first = run(5);
    expect(first.length).toBeGreaterThan(8);
    expect(run(5)).toEqual(first);
    expect(run(6)).not.toEqual(first);
  });
});

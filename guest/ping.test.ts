import { describe, expect, it } from "vitest";
import { Bridge } from "../bridge/bridge.js";
import { connect, type LinkOptions } from "../netdev/link.js";
import { Simulator } from "../sim/simulator.js";
import { ms, s, us } from "../sim/time.js";
import { Guest } from "./guest.js";
import { formatFloatG } from "./iputils.js";
import { ip, lan } from "./testing.js";

// Reference: iputils ping (ping/ping_common.c main_loop/__schedule_exit/gather_statistics,
// ping/ping_output.c ping_print_finish). RTTs follow from the link delays; the first request also
// waits for ARP (its timestamp is taken before resolution, as in Linux).

/** Two static guests a (.1) and b (.2) on a bridge, each link `link` (default 1 ms delay). */
function pair(link: LinkOptions = { delay: ms(1) }, seed = 1) {
  const sim = new Simulator({ seed });
  const br = new Bridge(sim, "br0");
  const mk = (name: string, addr: string) => {
    const g = new Guest(sim, name);
    const n = g.addNic("eth0");
    connect(sim, n.port, br.addPort(name), link);
    g.configure("eth0", { address: addr });
    return g;
  };
  return { sim, br, a: mk("a", "192.168.1.1/24"), b: mk("b", "192.168.1.2/24") };
}

describe("ping", () => {
  it("4 replies: the result, reply lines and iputils' statistics text", () => {
    const { sim, a } = pair();
    const p = a.ping("192.168.1.2");
    sim.run({ until: s(20) });
    const r = p.result();
    // One way = 2 links of 1 ms. The first request waits for ARP: a's request reaches b at 2 ms, and b's
    // gratuitous ARP (sent when its address was added at 0) reaches a at 2 ms too and completes a's
    // INCOMPLETE entry (Linux updates an existing entry from a gratuitous ARP), so request 1 leaves at
    // 2 ms; b learned a from a's request: RTT 6 ms, then 4 ms.
    expect(r).toMatchObject({
      host: "192.168.1.2",
      dst: ip("192.168.1.2"),
      sent: 4,
      received: 4,
      duplicates: 0,
      errorCount: 0,
      loss: 0,
      rttMin: ms(4),
      rttAvg: us(4500),
      rttMax: ms(6),
      time: s(3),
      done: true,
      error: null,
    });
    // tsum 18000 µs, tsum2 84e6: var trunc((84e6 - 18000²/4) / 4) = 750000, llsqrt = 866
    expect(r.rttMdev).toBe(us(866));
    expect(p.replies.map((x) => [x.seq, x.ttl, x.bytes, x.rtt])).toEqual([
      [1, 64, 64, ms(6)],
      [2, 64, 64, ms(4)],
      [3, 64, 64, ms(4)],
      [4, 64, 64, ms(4)],
    ]);
    expect(p.transcript()).toBe(
      [
        "PING 192.168.1.2 (192.168.1.2) 56(84) bytes of data.",
        "64 bytes from 192.168.1.2: icmp_seq=1 ttl=64 time=6.00 ms",
        "64 bytes from 192.168.1.2: icmp_seq=2 ttl=64 time=4.00 ms",
        "64 bytes from 192.168.1.2: icmp_seq=3 ttl=64 time=4.00 ms",
        "64 bytes from 192.168.1.2: icmp_seq=4 ttl=64 time=4.00 ms",
        "",
        "--- 192.168.1.2 ping statistics ---",
        "4 packets transmitted, 4 received, 0% packet loss, time 3000ms",
        "rtt min/avg/max/mdev = 4.000/4.500/6.000/0.866 ms",
        "",
      ].join("\n"),
    );
    // ended right after the 4th reply (all answered), not after a linger
    expect(p.replies[3].time).toBe(s(3) + ms(4));
  });

  it("count, interval and size are honoured; the ICMP payload is iputils' (timeval, then i & 0xff)", () => {
    const { sim, a, b } = pair({ delay: ms(2) });
    const seen: Uint8Array[] = [];
    b.nic("eth0")!.nic.observe((f, dir) => {
      if (dir === "in" && f[12] === 0x08 && f[13] === 0x00 && f[23] === 1) seen.push(f);
    });
    const p = a.ping(ip("192.168.1.2"), { count: 3, interval: ms(200), size: 100 });
    sim.run({ until: s(5) });
    expect(p.result()).toMatchObject({ sent: 3, received: 3, time: ms(400) });
    expect(p.replies.map((x) => x.bytes)).toEqual([108, 108, 108]);
    const icmp = seen[0].subarray(34);
    expect(icmp[0]).toBe(8);
    expect((icmp[6] << 8) | icmp[7]).toBe(1);
    const payload = icmp.subarray(8);
    expect(payload.byteLength).toBe(100);
    for (let i = 16; i < 100; i++) expect(payload[i]).toBe(i & 0xff);
    expect(p.format()).toContain("3 packets transmitted, 3 received, 0% packet loss, time 400ms");
  });

  it("over a lossy link: received + lost = sent and the loss line is iputils' %g", () => {
    const { sim, a, b } = pair({ delay: ms(1), loss: 0.2 }, 7);
    // static neighbours: only the echo requests and replies cross the lossy links
    a.stack.addStaticNeighbour("eth0", "192.168.1.2", b.nic("eth0")!.nic.mac);
    b.stack.addStaticNeighbour("eth0", "192.168.1.1", a.nic("eth0")!.nic.mac);
    const p = a.ping("192.168.1.2", { count: 30, interval: ms(100) });
    sim.run({ until: s(60) });
    const r = p.result();
    expect(r.done).toBe(true);
    expect(r.sent).toBe(30);
    expect(r.received).toBeGreaterThan(0);
    expect(r.received).toBeLessThan(30);
    expect(r.loss).toBeCloseTo((30 - r.received) / 30, 12);
    expect(p.replies.filter((x) => !x.duplicate)).toHaveLength(r.received);
    const pct = formatFloatG(((30 - r.received) * 100) / 30);
    expect(p.format().split("\n")[1]).toBe(
      `30 packets transmitted, ${r.received} received, ${pct}% packet loss, time 2900ms`,
    );
    expect(r.rttMin).not.toBeNull();
  });

  it("a host that does not answer ARP: Destination Host Unreachable errors, 100% loss, no rtt line", () => {
    const { sim, a } = pair();
    const p = a.ping("192.168.1.99", { count: 4 });
    sim.run({ until: s(30) });
    const r = p.result();
    expect(r.sent).toBe(4);
    expect(r.received).toBe(0);
    expect(r.errorCount).toBeGreaterThan(0);
    expect(r.errors).toEqual({ "Destination Host Unreachable": r.errorCount });
    expect(r.rttMin).toBeNull();
    const lines = p.transcript().split("\n");
    expect(lines.filter((l) => / icmp_seq=\d+ Destination Host Unreachable$/.test(l))).toHaveLength(
      r.errorCount,
    );
    expect(lines.filter((l) => l.startsWith("From 192.168.1.1 icmp_seq="))).toHaveLength(r.errorCount);
    expect(p.format()).toBe(
      `--- 192.168.1.99 ping statistics ---\n4 packets transmitted, 0 received, +${r.errorCount} errors, 100% packet loss, time 3000ms\n`,
    );
  });

  it("no route to the target: ping stops at once like iputils' connect()", () => {
    const { sim, a } = pair();
    const p = a.ping("10.9.9.9");
    sim.run({ until: s(1) });
    expect(p.result()).toMatchObject({
      sent: 0,
      received: 0,
      done: true,
      error: "connect: Network is unreachable",
    });
    expect(p.format()).toBe("ping: connect: Network is unreachable\n");
  });

  it("the last reply lost: ping waits max(2 × max rtt, interval) after the last request", () => {
    const { sim, a, b } = pair();
    let n = 0;
    // b stops answering after 3 replies: its link goes down after the third request arrived
    b.nic("eth0")!.nic.observe((f, dir) => {
      if (dir === "in" && f[23] === 1 && ++n === 3)
        sim.schedule(ms(10), () => (b.nic("eth0")!.nic.linkUp = false));
    });
    const p = a.ping("192.168.1.2");
    let doneAt = 0;
    p.onDone(() => {
      doneAt = sim.now;
    });
    sim.run({ until: s(20) });
    expect(p.result()).toMatchObject({ sent: 4, received: 3 });
    expect(doneAt).toBe(s(3) + s(1)); // 2 × 6 ms < 1 s interval
    expect(p.format()).toContain("4 packets transmitted, 3 received, 25% packet loss, time 3000ms");
  });

  it("nothing comes back: ping lingers `timeout` (10 s) after the last request", () => {
    const { sim, a, b } = pair();
    b.nic("eth0")!.nic.linkUp = false;
    a.stack.addStaticNeighbour("eth0", "192.168.1.2", b.nic("eth0")!.nic.mac);
    const p = a.ping("192.168.1.2", { count: 2 });
    let doneAt = 0;
    p.onDone(() => {
      doneAt = sim.now;
    });
    sim.run({ until: s(30) });
    expect(doneAt).toBe(s(1) + s(10));
    expect(p.result()).toMatchObject({ sent: 2, received: 0, loss: 1 });
  });

  it("stop() ends it and prints what it has (Ctrl-C)", () => {
    const { sim, a } = pair();
    const p = a.ping("192.168.1.2", { count: 0 });
    sim.run({ until: s(5) + ms(500) });
    p.stop();
    expect(p.result()).toMatchObject({ sent: 6, received: 6, done: true, time: s(5) });
  });

  it("a guest stop ends its pings and refuses new ones", () => {
    const { sim, a } = pair();
    const p = a.ping("192.168.1.2", { count: 10 });
    sim.run({ until: s(2) + ms(500) });
    a.stop();
    expect(p.done).toBe(true);
    expect(p.result().sent).toBe(3);
    expect(() => a.ping("192.168.1.2")).toThrow(/stopped/);
    a.start();
    const q = a.ping("192.168.1.2", { count: 1 });
    sim.run({ until: s(10) });
    expect(q.result()).toMatchObject({ sent: 1, received: 1 });
  });

  it("pings a VM by name through the network's DNS (names from DHCP leases)", () => {
    const net = lan();
    const a = net.vm("alpha");
    const b = net.vm("beta");
    a.dhcp("eth0");
    b.dhcp("eth0");
    net.sim.run({ until: s(5) });
    const p = a.ping("beta", { count: 2 });
    net.sim.run({ until: s(20) });
    const bIp = b.dhcpClient("eth0")!.lease()!.ip;
    expect(p.result()).toMatchObject({ host: "beta", dst: bIp, sent: 2, received: 2 });
    expect(p.transcript().split("\n")[0]).toMatch(
      /^PING beta \(192\.168\.122\.\d+\) 56\(84\) bytes of data\.$/,
    );
    const q = a.ping("nosuchvm", { count: 2 });
    net.sim.run({ until: s(40) });
    expect(q.result()).toMatchObject({
      dst: null,
      sent: 0,
      done: true,
      error: "nosuchvm: Name or service not known",
    });
  });

  it("through a router guest (forwarding on): ttl 63 replies; with ttl 1, Time to live exceeded", () => {
    const sim = new Simulator({ seed: 1 });
    const lan1 = new Bridge(sim, "lan1");
    const lan2 = new Bridge(sim, "lan2");
    const r = new Guest(sim, "r", { forwarding: true });
    connect(sim, r.addNic("eth0").port, lan1.addPort("r"));
    connect(sim, r.addNic("eth1").port, lan2.addPort("r"));
    r.configure("eth0", { address: "10.1.0.1/24" });
    r.configure("eth1", { address: "10.2.0.1/24" });
    const a = new Guest(sim, "a");
    connect(sim, a.addNic("eth0").port, lan1.addPort("a"));
    a.configure("eth0", { address: "10.1.0.2/24", gateway: "10.1.0.1" });
    const b = new Guest(sim, "b");
    connect(sim, b.addNic("eth0").port, lan2.addPort("b"));
    b.configure("eth0", { address: "10.2.0.2/24", gateway: "10.2.0.1" });
    const ok = a.ping("10.2.0.2", { count: 2 });
    sim.run({ until: s(5) });
    expect(ok.result()).toMatchObject({ sent: 2, received: 2 });
    expect(ok.replies.map((x) => x.ttl)).toEqual([63, 63]);
    const low = a.ping("10.2.0.2", { count: 2, ttl: 1 });
    sim.run({ until: s(20) });
    expect(low.result()).toMatchObject({
      sent: 2,
      received: 0,
      errors: { "Time to live exceeded": 2 },
      errorCount: 2,
    });
    expect(low.transcript()).toContain("From 10.1.0.1 icmp_seq=1 Time to live exceeded\n");
    // both answered (by errors): ping ends without waiting out the linger
    expect(low.done).toBe(true);
  });

  it("is deterministic: the same seed gives the same transcript", () => {
    const run = () => {
      const { sim, a } = pair(
        { delay: ms(1), jitter: { distribution: "uniform", max: ms(1) }, loss: 0.2 },
        42,
      );
      const p = a.ping("192.168.1.2", { count: 10, interval: ms(300) });
      sim.run({ until: s(30) });
      return p.transcript();
    };
    expect(run()).toBe(run());
  });
});

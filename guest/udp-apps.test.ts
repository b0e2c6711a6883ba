import { describe, expect, it } from "vitest";
import { UdpEchoServer } from "../services/index.js";
import { ms, s } from "../sim/time.js";
import { ip, lan } from "./testing.js";

// Reference: RFC 862 echo; the flow paces like iperf -u (payload bits per second).

function staticLan(link?: { delay: number }) {
  const net = lan({ dhcp: false, dns: false });
  const a = net.vm("a", link);
  const b = net.vm("b", link);
  a.configure("eth0", { address: "192.168.122.10/24" });
  b.configure("eth0", { address: "192.168.122.11/24" });
  return { ...net, a, b };
}

describe("UDP echo client", () => {
  it("counts echoes from an RFC 862 server and measures their round trip", () => {
    const net = staticLan({ delay: ms(1) });
    const echo = new UdpEchoServer(net.host, 7);
    const e = net.a.udpEcho("192.168.122.1", 7, { count: 5, interval: ms(200), size: 100 });
    net.sim.run({ until: s(5) });
    const r = e.result();
    expect(r).toMatchObject({ sent: 5, received: 5, duplicates: 0, errorCount: 0, loss: 0, done: true });
    expect(r.rttMax).toBeGreaterThanOrEqual(ms(2));
    expect(r.rttMin).toBe(ms(2)); // one link of 1 ms each way once ARP is done
    expect(echo.stats).toMatchObject({ received: 5, echoed: 5, bytes: 500 });
  });

  it("a closed port: every datagram comes back as Destination Port Unreachable", () => {
    const net = staticLan();
    const e = net.a.udpEcho(ip("192.168.122.11"), 9999, { count: 3, interval: ms(100) });
    net.sim.run({ until: s(5) });
    expect(e.result()).toMatchObject({
      sent: 3,
      received: 0,
      errorCount: 3,
      errors: { "Destination Port Unreachable": 3 },
      done: true,
    });
  });

  it("sizes below 4 bytes (no room for the sequence number) are refused", () => {
    const net = staticLan();
    expect(() => net.a.udpEcho("192.168.122.11", 7, { size: 3 })).toThrow(/size/);
  });
});

describe("UDP flow and sink", () => {
  it("sends size bytes every size*8/rate seconds for the duration; the sink counts them", () => {
    const net = staticLan();
    const sink = net.b.udpSink(5001);
    const f = net.a.udpFlow("192.168.122.11", 5001, { rate: 1_000_000, size: 1250, duration: s(1) });
    expect(f.gap).toBe(ms(10));
    net.sim.run({ until: s(3) });
    expect(f.result()).toMatchObject({ sent: 100, bytes: 125_000, failed: 0, done: true });
    const r = sink.result();
    expect(r.received).toBe(100);
    expect(r.bytes).toBe(125_000);
    expect(r.from).toHaveLength(1);
    expect(r.from[0]).toMatchObject({ address: ip("192.168.122.10"), received: 100, bytes: 125_000 });
    expect(r.last! - r.first!).toBe(ms(990));
  });

  it("a flow into a lossy link loses datagrams on the way, the sink sees the rest", () => {
    const net = lan({ dhcp: false, dns: false, seed: 3 });
    const a = net.vm("a", { loss: 0.1 });
    const b = net.vm("b");
    a.configure("eth0", { address: "192.168.122.10/24" });
    b.configure("eth0", { address: "192.168.122.11/24" });
    a.stack.addStaticNeighbour("eth0", "192.168.122.11", b.nic("eth0")!.nic.mac);
    const sink = b.udpSink(5001);
    const f = a.udpFlow("192.168.122.11", 5001, { rate: 8_000_000, size: 1000, duration: s(1) });
    net.sim.run({ until: s(2) });
    expect(f.result().sent).toBe(1000);
    const got = sink.result().received;
    expect(got).toBeGreaterThan(800);
    expect(got).toBeLessThan(1000);
  });

  it("a guest stop ends the flow and closes the sink", () => {
    const net = staticLan();
    const sink = net.b.udpSink(5001);
    const f = net.a.udpFlow("192.168.122.11", 5001, { rate: 1_000_000, size: 1250, duration: s(10) });
    net.sim.run({ until: s(1) + ms(5) });
    net.a.stop();
    expect(f.done).toBe(true);
    expect(f.result().sent).toBe(101);
    net.b.stop();
    net.sim.run({ until: s(3) });
    expect(sink.result().received).toBe(101);
  });
});

import { describe, expect, it } from "vitest";
import { s } from "../sim/time.js";
import { ServiceConfigError } from "./config.js";
import { ip, recorder, testNet } from "./testing.js";
import { UdpEchoServer } from "./udp-echo-server.js";

// Reference: RFC 862 (echo over UDP: every datagram goes back unchanged to its sender).

describe("UDP echo server", () => {
  it("sends each datagram back unchanged, from the address and port it was sent to", () => {
    const net = testNet();
    net.host.iface.addAddress("192.168.122.3/24"); // a second address, as slirp's .3
    const echo = new UdpEchoServer(net.host.stack, 7);
    const c = net.node("client", 5, "192.168.122.5/24");
    const r = recorder(c.stack, { port: 5555 });
    r.sock.sendTo(Uint8Array.of(1, 2, 3), ip("192.168.122.3"), 7);
    r.sock.sendTo(new Uint8Array(1000).fill(9), ip("192.168.122.1"), 7);
    net.sim.run({ until: s(1) });
    const got = [...r.got].sort((a, b) => a.data.byteLength - b.data.byteLength);
    expect(got.map((m) => [m.from, m.fromPort, m.data.byteLength])).toEqual([
      [ip("192.168.122.3"), 7, 3],
      [ip("192.168.122.1"), 7, 1000],
    ]);
    expect(Array.from(got[0].data)).toEqual([1, 2, 3]);
    expect(echo.stats).toEqual({ received: 2, echoed: 2, bytes: 1003, sendFailures: 0 });
    echo.close();
    r.sock.sendTo(Uint8Array.of(1), ip("192.168.122.1"), 7);
    net.sim.run({ until: s(2) });
    expect(echo.stats.received).toBe(2);
  });

  it("refuses a bad port", () => {
    const net = testNet();
    expect(() => new UdpEchoServer(net.host.stack, 70000)).toThrow(ServiceConfigError);
  });
});

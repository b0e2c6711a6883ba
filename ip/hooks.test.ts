import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { ms } from "../sim/time.js";
import { formatIpv4, readIpv4, writeIpv4 } from "../wire/addr.js";
import { checksumAdjust32 } from "../wire/checksum.js";
import { Ipv4Packet } from "../wire/ipv4.js";
import { UdpPacket } from "../wire/udp.js";
import { fragmentPacket } from "./fragment.js";
import type { HookContext } from "./hooks.js";
import { hostOn, ip, ipPackets, ipv4Packet, newBridge, record, routedSetup, udpSegment } from "./testing.js";
import type { UdpMessage } from "./udp.js";

// Reference: netfilter's IPv4 hook order (NF_INET_PRE_ROUTING … POST_ROUTING), ip_forward() decrementing
// TTL before NF_INET_FORWARD, re-routing after a changed destination (ip_route_me_harder / DNAT), and
// nf_defrag_ipv4 reassembling before PRE_ROUTING.

/** A NAT-like rewrite of the destination address (new buffer, IP and UDP checksums adjusted). */
function rewriteDst(p: Uint8Array, to: string): Uint8Array {
  const q = p.slice();
  const old = readIpv4(q, 16);
  const nu = ip(to);
  writeIpv4(q, 16, nu);
  const c = checksumAdjust32((q[10] << 8) | q[11], old, nu);
  q[10] = c >>> 8;
  q[11] = c & 0xff;
  const hl = (q[0] & 15) * 4;
  if (q[9] === 17) {
    const u = checksumAdjust32((q[hl + 6] << 8) | q[hl + 7], old, nu);
    q[hl + 6] = u >>> 8;
    q[hl + 7] = u & 0xff;
  }
  return q;
}

describe("hooks", () => {
  it("run at the five points in Linux order with the right interfaces; forward sees the decremented TTL", () => {
    const { sim, h1, r } = routedSetup();
    const log: string[] = [];
    const points = ["prerouting", "input", "forward", "output", "postrouting"] as const;
    for (const pt of points) {
      r.stack.addHook(pt, (p: Uint8Array, ctx: HookContext) => {
        if (p[9] === 1 || p[9] === 17)
          log.push(
            `${ctx.point} in=${ctx.inIf?.name ?? "-"} out=${ctx.outIf?.name ?? "-"} ttl=${p[8]} dst=${formatIpv4(readIpv4(p, 16))}`,
          );
        return p;
      });
    }
    h1.stack.udpBind({ port: 7 }).sendTo(new Uint8Array(1), ip("10.0.2.2"), 9);
    sim.run({ until: ms(10) });
    expect(log.slice(0, 3)).toEqual([
      "prerouting in=eth0 out=- ttl=64 dst=10.0.2.2",
      "forward in=eth0 out=eth1 ttl=63 dst=10.0.2.2",
      "postrouting in=- out=eth1 ttl=63 dst=10.0.2.2",
    ]);
    // h2 answered port unreachable: forwarded back the same way.
    expect(log.slice(3)).toEqual([
      "prerouting in=eth1 out=- ttl=64 dst=10.0.1.2",
      "forward in=eth1 out=eth0 ttl=63 dst=10.0.1.2",
      "postrouting in=- out=eth0 ttl=63 dst=10.0.1.2",
    ]);
    log.length = 0;
    h1.stack.icmpEchoSocket().send(ip("10.0.1.1"), 1);
    sim.run({ until: ms(20) });
    expect(log).toEqual([
      "prerouting in=eth0 out=- ttl=64 dst=10.0.1.1",
      "input in=eth0 out=- ttl=64 dst=10.0.1.1",
      "output in=- out=eth0 ttl=64 dst=10.0.1.2",
      "postrouting in=- out=eth0 ttl=64 dst=10.0.1.2",
    ]);
  });

  it("lower priority runs first; a hook returning null drops; remove() unregisters", () => {
    const { sim, h1, h2, r } = routedSetup();
    const order: number[] = [];
    r.stack.addHook(
      "forward",
      (p) => {
        order.push(2);
        return p;
      },
      10,
    );
    const rm = r.stack.addHook(
      "forward",
      () => {
        order.push(1);
        return null;
      },
      -5,
    );
    const got: UdpMessage[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m));
    const s = h1.stack.udpBind({ port: 7 });
    s.sendTo(new Uint8Array(1), ip("10.0.2.2"), 9);
    sim.run({ until: ms(10) });
    expect(order).toEqual([1]);
    expect(got).toEqual([]);
    // Linux 6.x counts ForwDatagrams (InForwDatagrams) before the FORWARD hook.
    expect(r.stack.stats.ip.ForwDatagrams).toBe(1);
    rm();
    rm();
    s.sendTo(new Uint8Array(1), ip("10.0.2.2"), 9);
    sim.run({ until: ms(20) });
    expect(order).toEqual([1, 2]);
    expect(got).toHaveLength(1);
  });

  it("a prerouting rewrite of the destination (DNAT) is routed on the new destination", () => {
    const { sim, h1, h2, r } = routedSetup();
    r.stack.addHook("prerouting", (p) =>
      readIpv4(p, 16) === ip("10.0.1.1") && p[9] === 17 ? rewriteDst(p, "10.0.2.2") : p,
    );
    const got: UdpMessage[] = [];
    h2.stack.udpBind({ port: 8080 }).onMessage((m) => got.push(m));
    h1.stack.udpBind({ port: 7 }).sendTo(new Uint8Array([5]), ip("10.0.1.1"), 8080);
    sim.run({ until: ms(10) });
    expect(got.map((m) => [m.from, m.to, m.ttl])).toEqual([[ip("10.0.1.2"), ip("10.0.2.2"), 63]]);
  });

  it("an output rewrite of the destination re-routes the locally generated packet", () => {
    const { sim, h2, r } = routedSetup();
    r.stack.addHook("output", (p) => (readIpv4(p, 16) === ip("10.0.1.99") ? rewriteDst(p, "10.0.2.2") : p));
    const got: UdpMessage[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m));
    expect(r.stack.udpBind({ port: 7 }).sendTo(new Uint8Array([5]), ip("10.0.1.99"), 9)).toBe(true);
    sim.run({ until: ms(10) });
    expect(got.map((m) => [m.to, m.iface.name])).toEqual([[ip("10.0.2.2"), "eth0"]]);
  });

  it("ICMP errors the stack generates pass the output hook (NAT can translate them as related)", () => {
    const { sim, h1, r } = routedSetup();
    const seen: string[] = [];
    r.stack.addHook("output", (p, ctx) => {
      seen.push(`${p[9]}:${p[20]}:${ctx.outIf?.name}`);
      return p;
    });
    h1.stack.icmpEchoSocket().send(ip("10.0.2.2"), 1, { ttl: 1 });
    sim.run({ until: ms(10) });
    expect(seen).toEqual(["1:11:eth0"]);
  });

  it("with hooks registered, fragments are reassembled before prerouting and refragmented to the largest fragment", () => {
    const { sim, h1, h2, r } = routedSetup();
    const sizes: number[] = [];
    r.stack.addHook("prerouting", (p) => {
      sizes.push(p.byteLength);
      return p;
    });
    const rec = record(h2.port);
    const got: number[] = [];
    h2.stack.udpBind({ port: 9 }).onMessage((m) => got.push(m.data.byteLength));
    const data = new Uint8Array(2000);
    const pkt = ipv4Packet({
      src: ip("10.0.1.2"),
      dst: ip("10.0.2.2"),
      protocol: 17,
      payload: udpSegment(ip("10.0.1.2"), ip("10.0.2.2"), 7, 9, data),
    });
    const frags = fragmentPacket(pkt, 800, 0) as Uint8Array[];
    for (const f of frags.reverse()) h1.stack.sendIp(f);
    sim.run({ until: ms(10) });
    expect(sizes).toEqual([2028]);
    expect(got).toEqual([2000]);
    // Refragmented at most 796 bytes (the largest fragment received), not the 1500 MTU.
    const out = ipPackets(rec.in).map((p) => Ipv4Packet.checked(p).totalLen);
    expect(out).toEqual([796, 796, 476]);
    expect(r.stack.stats.ip).toMatchObject({ ReasmOKs: 1, FragOKs: 1, FragCreates: 3 });
  });

  it("without hooks a router forwards fragments as they are (no reassembly)", () => {
    const { sim, h1, h2, r } = routedSetup();
    const rec = record(h2.port);
    const pkt = ipv4Packet({
      src: ip("10.0.1.2"),
      dst: ip("10.0.2.2"),
      protocol: 17,
      payload: udpSegment(ip("10.0.1.2"), ip("10.0.2.2"), 7, 9, new Uint8Array(2000)),
    });
    for (const f of fragmentPacket(pkt, 800, 0) as Uint8Array[]) h1.stack.sendIp(f);
    sim.run({ until: ms(10) });
    expect(ipPackets(rec.in)).toHaveLength(3);
    expect(r.stack.stats.ip.ReasmReqds).toBe(0);
    expect(h2.stack.stats.ip.ReasmOKs).toBe(1);
  });

  it("forwarding rewrites TTL with an incremental checksum and keeps everything else byte for byte", () => {
    const { sim, h1, h2 } = routedSetup();
    const rec1 = record(h1.port);
    const rec2 = record(h2.port);
    h2.stack.udpBind({ port: 9 });
    h1.stack.udpBind({ port: 7 }).sendTo(new Uint8Array([1, 2, 3, 4, 5]), ip("10.0.2.2"), 9);
    sim.run({ until: ms(10) });
    const [sent] = ipPackets(rec1.out);
    const [recv] = ipPackets(rec2.in);
    const a = Ipv4Packet.checked(sent);
    const b = Ipv4Packet.checked(recv);
    expect(b.ttl).toBe(a.ttl - 1);
    expect(b.verifyChecksum()).toBe(true);
    expect(recv.subarray(12)).toEqual(sent.subarray(12));
    expect(recv.subarray(0, 8)).toEqual(sent.subarray(0, 8));
    expect(UdpPacket.checked(b.payload).verifyChecksum({ version: 4, src: b.src, dst: b.dst })).toBe(true);
  });
});

describe("hooks on a host", () => {
  it("input hooks see local traffic; output hooks see what the host sends", () => {
    const sim = new Simulator();
    const br = newBridge(sim);
    const h1 = hostOn(sim, br, "h1", "10.0.0.1/24", 1);
    const h2 = hostOn(sim, br, "h2", "10.0.0.2/24", 2);
    sim.run();
    const seen: string[] = [];
    h2.stack.addHook("input", (p, c) => {
      seen.push(`in ${c.inIf?.name} ${p[9]}`);
      return p;
    });
    h2.stack.addHook("output", (p, c) => {
      seen.push(`out ${c.outIf?.name} ${p[9]}`);
      return p;
    });
    h1.stack.icmpEchoSocket().send(ip("10.0.0.2"), 1);
    sim.run({ until: ms(10) });
    expect(seen).toEqual(["in eth0 1", "out eth0 1"]);
  });
});

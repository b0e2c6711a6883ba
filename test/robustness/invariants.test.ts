/**
 * Invariants on random topologies and traffic (fast-check over topology/ builder specs): networks of
 * every mode, VMs with one or two NICs, pings and UDP echoes between random pairs and to the outside.
 * Every port of every node is observed:
 * - isolation: a frame whose source MAC belongs to a NIC of another network never appears on a port
 *   (bridges keep segments apart; routers and the host forward with their own MAC);
 * - checksums: every IPv4 header checksum and every UDP/TCP/ICMP checksum emitted is valid;
 * - counters add up: per port, drops by reason sum to rx + tx dropped; per link direction,
 *   offered + duplicated = delivered + dropped + in flight, drops by reason sum to dropped.
 * NAT reversibility is a property over random flows through nat/ directly (every tracked flow's reply
 * is translated back to the original tuple inverted).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCaptureBytes } from "../../captures/index.js";
import { Nat, type NatInterface } from "../../nat/index.js";
import { udpPacket } from "../../scripts/fuzz/hostile.js";
import { Simulator } from "../../sim/simulator.js";
import { s } from "../../sim/time.js";
import { runTopology, topology } from "../../topology/index.js";
import { type Ipv4, internetChecksum, l4ChecksumV4, walkVlanTags } from "../../wire/index.js";

const MODES = ["nat", "host-only", "isolated", "routed", "bridged"] as const;

const specArb = fc.record({
  nets: fc.array(fc.constantFrom(...MODES), { minLength: 1, maxLength: 3 }),
  vms: fc.array(fc.array(fc.nat(5), { minLength: 1, maxLength: 2 }), { minLength: 2, maxLength: 4 }),
  pings: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 }),
  seed: fc.nat(1000),
});

/** Problems found in one frame (empty: fine). */
function checksumProblems(f: Uint8Array): string[] {
  const w = walkVlanTags(f);
  if (w.etherType !== 0x0800) return [];
  const ip = f.subarray(w.payloadOffset);
  if (ip.byteLength < 20) return ["short IPv4"];
  const ihl = (ip[0] & 0x0f) * 4;
  const out: string[] = [];
  if (internetChecksum(ip.subarray(0, ihl)) !== 0) out.push("IPv4 header checksum");
  const total = (ip[2] << 8) | ip[3];
  const frag = ((ip[6] & 0x3f) << 8) | ip[7];
  if (frag !== 0) return out; // a fragment: the L4 checksum covers the reassembled datagram
  const l4 = ip.subarray(ihl, total);
  const proto = ip[9];
  const src = ((ip[12] << 24) | (ip[13] << 16) | (ip[14] << 8) | ip[15]) >>> 0;
  const dst = ((ip[16] << 24) | (ip[17] << 16) | (ip[18] << 8) | ip[19]) >>> 0;
  if (proto === 1 && internetChecksum(l4) !== 0) out.push("ICMP checksum");
  if (
    proto === 17 &&
    l4.byteLength >= 8 &&
    (l4[6] | l4[7]) !== 0 &&
    l4ChecksumV4(src as Ipv4, dst as Ipv4, 17, l4) !== 0
  )
    out.push("UDP checksum");
  if (proto === 6 && l4ChecksumV4(src as Ipv4, dst as Ipv4, 6, l4) !== 0) out.push("TCP checksum");
  return out;
}

const macText = (f: Uint8Array): string =>
  [...f.subarray(6, 12)].map((x) => x.toString(16).padStart(2, "0")).join(":");

describe("invariants on random topologies and traffic", () => {
  it("isolation, valid checksums on every port, counters that add up", () => {
    fc.assert(
      fc.property(specArb, ({ nets, vms, pings, seed }) => {
        const b = topology("inv", { seed: seed + 1, duration: s(8) });
        // At most one bridged network (the host's uplink); the others get their preset subnets.
        const modes = nets.map((m, i) => (m === "bridged" && nets.indexOf("bridged") !== i ? "isolated" : m));
        modes.forEach((m, i) => {
          b.network(`n${i}`, m === "isolated" ? { mode: m, subnet: `10.${50 + i}.0.0/24` } : { mode: m });
        });
        const names: string[] = [];
        vms.forEach((nics, v) => {
          const uniq = [...new Set(nics.map((n) => n % modes.length))];
          const name = `v${v}`;
          names.push(name);
          b.vm(name, {
            nics: uniq.map((n) =>
              modes[n] === "isolated" ? { network: `n${n}`, ip: `10.${50 + n}.0.${10 + v}/24` } : `n${n}`,
            ),
          });
        });
        for (const [x, y, out] of pings) {
          const from = names[x % names.length];
          const to = out ? "web" : names[y % names.length];
          if (from !== to) b.ping(s(3), { from, to, count: 2, interval: s(1) });
        }
        b.udpEcho(s(4), { from: names[0], to: "web", port: 7, count: 2 });
        const { report: r, captures, network } = runTopology(b.build());

        const netOfMac = new Map<string, string>();
        for (const a of r.addresses) if (a.mac !== null) netOfMac.set(a.mac, a.network);
        let frames = 0;
        for (const [file, bytes] of captures) {
          const port = r.ports.find((p) => `${p.node}-${p.name.split(".")[1]}.pcap` === file);
          for (const rec of readerRecords(bytes, file)) {
            frames++;
            const probs = checksumProblems(rec);
            expect(probs, `${file}: frame ${frames}`).toEqual([]);
            const srcNet = netOfMac.get(macText(rec));
            if (port && srcNet !== undefined) {
              // A bridged network is the outside LAN itself (VirtualBox bridged: the VM joins the host's LAN).
              const seg = (n: string) =>
                n === "outside" || modes[Number(n.slice(1))] === "bridged" ? "outside" : n;
              expect(seg(srcNet), `${file}: frame from ${macText(rec)}`).toBe(seg(port.network));
            }
          }
        }
        expect(frames).toBeGreaterThan(0);

        for (const [name, p] of network.ports) {
          for (const port of [p.nic.port, p.link.a, p.link.b]) {
            const c = port.counters;
            const byReason = [...c.dropReasons.values()].reduce((a, x) => a + x, 0);
            expect(byReason, `${name} ${port.name}`).toBe(c.rxDropped + c.txDropped);
          }
          for (const d of [p.link.ab, p.link.ba]) {
            const st = d.stats;
            expect(st.offered + st.duplicated, name).toBe(st.delivered + st.dropped + st.inFlight);
            expect(
              [...st.dropReasons.values()].reduce((a, x) => a + x, 0),
              name,
            ).toBe(st.dropped);
            expect(st.inFlight, name).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: Number(process.env.VNET_FUZZ_TOPOLOGIES ?? 10) },
    );
  });
});

function readerRecords(bytes: Uint8Array, file: string): Uint8Array[] {
  return [...readCaptureBytes(bytes, file)].map((r) => r.data);
}

const LAN: NatInterface = { name: "lan", primaryAddress: 0x0a00_0001 as Ipv4 };
const WAN: NatInterface = { name: "wan", primaryAddress: 0xc633_6402 as Ipv4 };

describe("NAT translation is reversible for every tracked flow", () => {
  it("random UDP flows out, each answered: the answer comes back to exactly the original source", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            host: fc.nat(20),
            sport: fc.integer({ min: 1, max: 65535 }),
            dst: fc.nat(5),
            dport: fc.integer({ min: 1, max: 65535 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (flows) => {
          const nat = new Nat(new Simulator(), "nat");
          nat.masquerade({ outIf: WAN, source: "10.0.0.0/8" });
          for (const f of flows) {
            const src = 0x0a00_0002 + f.host;
            const dst = 0xc633_640a + f.dst;
            const out = nat.translateForward(udpPacket(src, dst, f.sport, f.dport), LAN, WAN);
            expect(out).not.toBeNull();
            const o = out as Uint8Array;
            expect(checksumProblems(concatEth(o))).toEqual([]);
            const xsrc = new DataView(o.buffer, o.byteOffset).getUint32(12);
            const xsport = (o[20] << 8) | o[21];
            expect(xsrc).toBe(WAN.primaryAddress);
            const back = nat.translateForward(udpPacket(dst, xsrc, f.dport, xsport), WAN, LAN) as Uint8Array;
            expect(back).not.toBeNull();
            expect(checksumProblems(concatEth(back))).toEqual([]);
            const dv = new DataView(back.buffer, back.byteOffset);
            expect([dv.getUint32(12), dv.getUint32(16), dv.getUint16(20), dv.getUint16(22)]).toEqual([
              dst,
              src,
              f.dport,
              f.sport,
            ]);
          }
          expect(nat.count()).toBeLessThanOrEqual(flows.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** An Ethernet header around an IPv4 packet (for checksumProblems). */
function concatEth(ip: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + ip.byteLength);
  f[12] = 0x08;
  f.set(ip, 14);
  return f;
}

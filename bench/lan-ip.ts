import { Bridge } from "../bridge/index.js";
import { Guest, type UdpFlow, type UdpSink } from "../guest/index.js";
import { connect } from "../netdev/index.js";
import { ms, Simulator, s, us } from "../sim/index.js";
import { formatIpv4, type Ipv4 } from "../wire/index.js";
import { type Bench, median, rateRow, timeIt } from "./harness.js";
import { ns3Peer } from "./lan.js";

const SECONDS = 10;
const RATE = 1000; // packets/s per host
const PAYLOAD = 64; // UDP payload bytes (the flow's 12-byte sequence/timestamp header included, as ns-3's UdpClient)
const PORT = 9;
const WARMUP_SECONDS = 1; // simulated seconds run before the timed rounds
const NET = 0x0a01_0000; // 10.1.0.0/16, ns-3's plan in peers/ns3-lan.cc

/**
 * The switched LAN of `lan-N` with real guests: N `Guest`s (ip/ stack: ARP, IPv4, UDP sockets), each
 * on its own 1 Gbps / 1 µs link to one bridge, statically addressed 10.1.0.(i+1)/16. Guest i runs a UDP
 * flow (guest/ `UdpFlow`: 64-byte payloads at 1000 datagrams/s, i.e. 512 kbit/s of payload) to guest
 * (i+1) mod N port 9 for `seconds` simulated seconds, and a UDP sink on port 9. Starts are staggered
 * inside the first millisecond, as in `lan-N`. ARP resolves each first datagram (queued while
 * INCOMPLETE). Returns datagrams received by the sinks, datagrams sent and the wall seconds of
 * `sim.run` (setup is not timed, as ns-3 times only `Simulator::Run()`).
 */
export function runLanIp(
  hosts: number,
  seconds = SECONDS,
): { delivered: number; sent: number; wall: number } {
  const sim = new Simulator({ seed: 1 });
  const br = new Bridge(sim, "br0", {});
  const guests: Guest[] = [];
  const sinks: UdpSink[] = [];
  const addr = (i: number): Ipv4 => ((NET + i + 1) >>> 0) as Ipv4;
  for (let i = 0; i < hosts; i++) {
    const g = new Guest(sim, `h${i}`);
    const nic = g.addNic("eth0");
    connect(sim, nic.port, br.addPort(`p${i}`, {}), { rate: 1e9, delay: us(1) });
    g.configure(nic, { address: `${formatIpv4(addr(i))}/16` });
    sinks.push(g.udpSink(PORT));
    guests.push(g);
  }
  const flows: UdpFlow[] = [];
  for (let i = 0; i < hosts; i++) {
    const g = guests[i];
    const dst = addr((i + 1) % hosts);
    sim.at(Math.floor((ms(1) * i) / hosts), () => {
      flows.push(g.udpFlow(dst, PORT, { rate: PAYLOAD * 8 * RATE, size: PAYLOAD, duration: s(seconds) }));
    });
  }
  const wall = timeIt(() => {
    sim.run({ until: s(seconds) + ms(2) });
  });
  let delivered = 0;
  for (const k of sinks) delivered += k.received;
  let sent = 0;
  for (const f of flows) sent += f.result().sent;
  return { delivered, sent, wall };
}

function lanIpBench(hosts: number): Bench {
  const name = `lan-ip-${hosts}`;
  return {
    name,
    describe: `${hosts} IP/UDP guests on 1 Gbps/1 µs links to one bridge, 1000 datagrams/s each for 10 simulated s: delivered datagrams per wall second, vs ns-3 3.37`,
    async run(ctx) {
      const expected = hosts * SECONDS * RATE;
      // One untimed simulated second first to warm the JIT up (the lan-N convention).
      runLanIp(hosts, WARMUP_SECONDS);
      let last = { delivered: 0, sent: 0, wall: 1 };
      const wall = await median(ctx.rounds, () => {
        last = runLanIp(hosts);
        return last.wall;
      });
      if (last.sent !== expected || last.delivered < expected * 0.999) {
        throw new Error(
          `${name}: ${last.delivered} of ${last.sent} datagrams delivered (expected ${expected} sent)`,
        );
      }
      ctx.log(`delivered ${last.delivered} of ${last.sent} datagrams; median wall ${wall.toFixed(3)} s`);
      const vnet = last.delivered / wall;
      const peer = ns3Peer(ctx, hosts);
      return [
        rateRow(
          name,
          "delivered packets/s",
          vnet,
          "ns-3 3.37 (bench/peers/ns3-lan.cc)",
          peer.value,
          peer.note,
        ),
      ];
    },
  };
}

export const lanIpBenches: Bench[] = [lanIpBench(16), lanIpBench(64)];

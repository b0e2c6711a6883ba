/**
 * Test helpers for guest/ (not part of the public API): a libvirt-like LAN (bridge, a host stack with
 * dnsmasq-like DHCP and DNS), guests on it, and decoders for the DHCP frames seen on a port.
 */
import { Bridge } from "../bridge/bridge.js";
import { type IpInterface, IpStack } from "../ip/index.js";
import { connect, type LinkOptions } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { DhcpServer, type DhcpServerOptions, DnsServer, type DnsServerOptions } from "../services/index.js";
import { Simulator } from "../sim/simulator.js";
import { type Ipv4, type Mac, parseIpv4Address } from "../wire/addr.js";
import { type DhcpOptions, type DhcpRepr, decodeDhcp, dhcpOptions } from "../wire/dhcp.js";
import { EthernetFrame } from "../wire/ethernet.js";
import { Ipv4Packet } from "../wire/ipv4.js";
import { UdpPacket } from "../wire/udp.js";
import { Guest } from "./guest.js";

export const ip = (s: string): Ipv4 => parseIpv4Address(s);
export const HOST_MAC = 0x5254_00aa_0001 as Mac;

export interface Lan {
  readonly sim: Simulator;
  readonly br: Bridge;
  readonly host: IpStack;
  readonly hostIf: IpInterface;
  /** The host's side of its link to the bridge (what captures at the host see). */
  readonly hostPort: Port;
  readonly dhcp: DhcpServer | null;
  readonly dns: DnsServer | null;
  vm(name: string, link?: LinkOptions, mac?: Mac): Guest;
}

/** 192.168.122.0/24 like libvirt's default network: host .1 with DHCP (.2–.254) and DNS "vnet.internal". */
export function lan(
  opts: {
    seed?: number;
    dhcp?: Partial<DhcpServerOptions> | false;
    dns?: Partial<DnsServerOptions> | false;
    hostAddress?: string;
  } = {},
): Lan {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const br = new Bridge(sim, "br0");
  const host = new IpStack(sim, "host");
  const hostPort = new Port(sim, "host.br0");
  connect(sim, hostPort, br.addPort("host"));
  const hostIf = host.addInterface("br0", hostPort, { mac: HOST_MAC });
  hostIf.addAddress(opts.hostAddress ?? "192.168.122.1/24");
  const dhcp =
    opts.dhcp === false
      ? null
      : new DhcpServer(host, hostIf, {
          pool: { start: "192.168.122.2", end: "192.168.122.254" },
          subnet: "192.168.122.0/24",
          router: "192.168.122.1",
          dns: ["192.168.122.1"],
          domain: "vnet.internal",
          ...opts.dhcp,
        });
  const dns =
    opts.dns === false
      ? null
      : new DnsServer(host, { domain: "vnet.internal", ...(dhcp ? { leases: dhcp } : {}), ...opts.dns });
  const vm = (name: string, link?: LinkOptions, mac?: Mac): Guest => {
    const g = new Guest(sim, name);
    const n = g.addNic("eth0", mac !== undefined ? { mac } : {});
    connect(sim, br.addPort(name), n.port, link);
    return g;
  };
  return { sim, br, host, hostIf, hostPort, dhcp, dns, vm };
}

export interface DhcpFrame {
  readonly ethDst: Mac;
  readonly ethSrc: Mac;
  readonly ipSrc: Ipv4;
  readonly ipDst: Ipv4;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly msg: DhcpRepr;
  readonly options: DhcpOptions;
  /** Option codes in wire order (Pad/End left out). */
  readonly codes: number[];
}

/** The DHCP messages (UDP 67/68) among `frames`, decoded. */
export function dhcpFrames(frames: readonly Uint8Array[]): DhcpFrame[] {
  const out: DhcpFrame[] = [];
  for (const f of frames) {
    const eth = EthernetFrame.checked(f);
    if (eth.etherType !== 0x0800) continue;
    const ipp = Ipv4Packet.checked(eth.payload);
    if (ipp.protocol !== 17) continue;
    const udp = UdpPacket.checked(ipp.payload);
    if (!((udp.srcPort === 67 || udp.srcPort === 68) && (udp.dstPort === 67 || udp.dstPort === 68))) continue;
    const msg = decodeDhcp(udp.payload);
    const options = dhcpOptions(msg);
    out.push({
      ethDst: eth.dst,
      ethSrc: eth.src,
      ipSrc: ipp.src,
      ipDst: ipp.dst,
      srcPort: udp.srcPort,
      dstPort: udp.dstPort,
      msg,
      options,
      codes: options.items.map((o) => o.code),
    });
  }
  return out;
}

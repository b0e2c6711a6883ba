/**
 * Test helpers for services/ (not part of the public API): a bridge with a "host" stack running the
 * service and a raw client stack whose UDP socket sends hand-built messages and records the replies.
 */
import { Bridge } from "../bridge/bridge.js";
import { type IpInterface, IpStack, type UdpMessage, type UdpSocket } from "../ip/index.js";
import { connect } from "../netdev/link.js";
import { Port } from "../netdev/port.js";
import { Simulator } from "../sim/simulator.js";
import { type Ipv4, type Mac, parseIpv4Address } from "../wire/addr.js";

export const ip = (s: string): Ipv4 => parseIpv4Address(s);
export const HOST_MAC = 0x5254_00aa_0001 as Mac;

export interface Node {
  readonly stack: IpStack;
  readonly iface: IpInterface;
  readonly port: Port;
}

export interface TestNet {
  readonly sim: Simulator;
  readonly br: Bridge;
  readonly host: Node;
  /** A stack on the bridge with MAC 52:54:00:00:00:n and, if given, an address. */
  node(name: string, n: number, cidr?: string): Node;
}

export function testNet(hostCidr = "192.168.122.1/24", seed = 1): TestNet {
  const sim = new Simulator({ seed });
  const br = new Bridge(sim, "br0");
  const node = (name: string, n: number, cidr?: string, mac?: Mac): Node => {
    const stack = new IpStack(sim, name);
    const port = new Port(sim, `${name}.eth0`);
    connect(sim, port, br.addPort(name));
    const iface = stack.addInterface("eth0", port, { mac: mac ?? ((0x5254_0000_0000 + n) as Mac) });
    if (cidr !== undefined) iface.addAddress(cidr);
    return { stack, iface, port };
  };
  const host = node("host", 0, hostCidr, HOST_MAC);
  return { sim, br, host, node: (name, n, cidr) => node(name, n, cidr) };
}

/** A UDP socket recording what it receives. */
export function recorder(
  stack: IpStack,
  opts: Parameters<IpStack["udpBind"]>[0],
): { sock: UdpSocket; got: UdpMessage[] } {
  const sock = stack.udpBind(opts);
  const got: UdpMessage[] = [];
  sock.onMessage((m) => got.push(m));
  return { sock, got };
}

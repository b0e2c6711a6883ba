import type { IpStack, UdpMessage, UdpSocket } from "../ip/index.js";
import { ServiceConfigError } from "./config.js";

export interface UdpEchoServerStats {
  /** Datagrams received. */
  received: number;
  /** Echoes handed to the stack. */
  echoed: number;
  /** Payload bytes received. */
  bytes: number;
  /** Echoes the stack refused (no route, interface down). */
  sendFailures: number;
}

/**
 * The echo service of RFC 862 over UDP (inetd's internal `echo dgram`): every datagram goes back to its
 * sender unchanged, from the address it was sent to (or the stack's choice when it was a broadcast).
 */
export class UdpEchoServer {
  readonly stack: IpStack;
  readonly port: number;
  readonly stats: UdpEchoServerStats = { received: 0, echoed: 0, bytes: 0, sendFailures: 0 };
  #socket: UdpSocket | null;

  constructor(stack: IpStack, port = 7) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ServiceConfigError(`udp echo port must be 1..65535, got ${port}`);
    }
    this.stack = stack;
    this.port = port;
    this.#socket = stack.udpBind({ port });
    this.#socket.onMessage((m) => this.#onMessage(m));
  }

  #onMessage(m: UdpMessage): void {
    this.stats.received++;
    this.stats.bytes += m.data.byteLength;
    const local = m.iface.addresses.some((c) => c.address === m.to);
    const ok = this.#socket?.sendTo(m.data, m.from, m.fromPort, local ? { src: m.to } : undefined);
    if (ok) this.stats.echoed++;
    else this.stats.sendFailures++;
  }

  close(): void {
    this.#socket?.close();
    this.#socket = null;
  }
}

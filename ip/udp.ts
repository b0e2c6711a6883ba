import { type Ipv4, type Mac, readMac } from "../wire/addr.js";
import type { IpInterface } from "./interface.js";
import type { IpStack } from "./stack.js";

export interface UdpBindOptions {
  /** 0/undefined = ephemeral from 32768..60999 (Linux ip_local_port_range), drawn from sim.rng. */
  readonly port?: number;
  /** Default 0.0.0.0 (any local address). */
  readonly address?: Ipv4;
  /** SO_BINDTODEVICE. */
  readonly iface?: IpInterface;
  /**
   * Also receive datagrams to this port whose destination is not a local address (a DHCP client
   * before it has one; unicast to yiaddr).
   */
  readonly anyDestination?: boolean;
  /** SO_BROADCAST: may send to 255.255.255.255 / a subnet broadcast. */
  readonly broadcast?: boolean;
}

/**
 * A received datagram. The stack makes a new one per datagram and delivery: it may be kept after the
 * handler returns. `data` is a view of the received packet (never written afterwards, as every frame),
 * made on first access; copy it before writing into it.
 */
export interface UdpMessage {
  readonly data: Uint8Array;
  /** Payload bytes (`data.length`, without making the view). */
  readonly length: number;
  readonly from: Ipv4;
  readonly fromPort: number;
  readonly to: Ipv4;
  readonly toPort: number;
  readonly iface: IpInterface;
  readonly ttl: number;
  /** Ethernet source (null on point-to-point or looped back). */
  readonly srcMac: Mac | null;
}

/**
 * @internal The stack's UdpMessage: the payload view and the source MAC are made only when read
 * (a sink that counts datagrams never pays for them). The buffers it refers to are never written.
 */
export class RxUdpMessage implements UdpMessage {
  #data: Uint8Array | null = null;

  constructor(
    readonly packet: Uint8Array,
    readonly dataOffset: number,
    readonly length: number,
    readonly from: Ipv4,
    readonly fromPort: number,
    readonly to: Ipv4,
    readonly toPort: number,
    readonly iface: IpInterface,
    readonly ttl: number,
    /** The received Ethernet frame (null on point-to-point or looped back). */
    readonly frame: Uint8Array | null,
  ) {}

  get data(): Uint8Array {
    let d = this.#data;
    if (d === null) {
      d = this.packet.subarray(this.dataOffset, this.dataOffset + this.length);
      this.#data = d;
    }
    return d;
  }

  get srcMac(): Mac | null {
    return this.frame === null ? null : readMac(this.frame, 6);
  }
}

/** An ICMP error about a datagram this socket sent (IP_RECVERR-like). */
export interface IcmpErrorInfo {
  readonly from: Ipv4;
  readonly type: number;
  readonly code: number;
  readonly dst: Ipv4;
  readonly dstPort?: number;
  readonly seq?: number;
  readonly mtu?: number;
}

export interface UdpSendOptions {
  /** Source address (0.0.0.0 allowed with `iface`, for a DHCP DISCOVER). */
  readonly src?: Ipv4;
  /** Send out of this interface (SO_BINDTODEVICE / IP_PKTINFO); without a route there, dst is on-link. */
  readonly iface?: IpInterface;
  readonly ttl?: number;
  /**
   * Don't Fragment: undefined = Linux's default IP_PMTUDISC_WANT (DF set when the datagram fits the
   * path MTU, else fragmented locally without DF); true = IP_PMTUDISC_DO (refused when too big);
   * false = IP_PMTUDISC_DONT.
   */
  readonly df?: boolean;
  /** Send to this MAC without ARP (a DHCP server answering a client that has no address yet). */
  readonly dstMac?: Mac;
  /** DSCP/ECN byte (IP_TOS), default 0. */
  readonly tos?: number;
}

/**
 * @internal The last output route of a socket sent without options (most sockets send to one peer):
 * valid while the stack's route version is `version` and the destination is `dst`.
 */
export class UdpRouteCache {
  version = -1;
  dst = 0 as Ipv4;
  iface: IpInterface | null = null;
  nextHop = 0 as Ipv4;
  bcast = false;
  src = 0 as Ipv4;
}

export type UdpHandler = (m: UdpMessage) => void;
/**
 * Writes a datagram's payload in place: `buf[off .. off + length)` of the packet the stack is building
 * (zero-filled). Called once, synchronously; `buf` must not be kept (a sent frame is never written
 * afterwards).
 *
 * It returns nothing, or — when it knows it from the values it wrote (a traffic generator writing a
 * few fields into zeros) — the RFC 1071 sum of the payload: the sum of its 16-bit big-endian words
 * (an odd last byte padded with zero), folded or not but below 2^24, not complemented. The stack then
 * adds that number to the UDP checksum instead of reading the payload back (as it sums its own
 * headers from their fields). The checksum on the wire is the same; a wrong sum gives a wrong one.
 */
export type UdpPayloadWriter = (buf: Uint8Array, off: number) => unknown;
export type IcmpErrorHandler = (e: IcmpErrorInfo) => void;

/** A UDP socket of an IpStack (bind with `stack.udpBind`). */
export class UdpSocket {
  /** @internal */ handler: UdpHandler | null = null;
  /** @internal */ errorHandler: IcmpErrorHandler | null = null;
  /** @internal */ readonly routeCache = new UdpRouteCache();
  #closed = false;

  constructor(
    readonly stack: IpStack,
    readonly localPort: number,
    readonly localAddress: Ipv4,
    readonly iface: IpInterface | null,
    readonly anyDestination: boolean,
    readonly broadcast: boolean,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  onMessage(h: UdpHandler | null): void {
    this.handler = h;
  }

  onError(h: IcmpErrorHandler | null): void {
    this.errorHandler = h;
  }

  /**
   * Sends one datagram. Returns false (and counts) when there is no route, the interface is down, the
   * destination is a broadcast without `broadcast`, or DF is forced on a datagram above the path MTU
   * (EMSGSIZE); true when handed to ARP or the device.
   */
  sendTo(data: Uint8Array, dst: Ipv4, dstPort: number, opts?: UdpSendOptions): boolean {
    if (this.#closed) return false;
    return this.stack._udpSend(this, data, null, data.length, dst, dstPort, opts);
  }

  /**
   * Sends one datagram of `length` payload bytes that `fill` writes in place into the packet the stack
   * builds (zero-filled), instead of copying a payload buffer: for traffic generators. Same checks,
   * counters and result as `sendTo`; `fill` is not called when the datagram is refused before it is
   * built (no route, EACCES, EMSGSIZE).
   */
  sendFilled(
    length: number,
    fill: UdpPayloadWriter,
    dst: Ipv4,
    dstPort: number,
    opts?: UdpSendOptions,
  ): boolean {
    if (this.#closed) return false;
    if (!Number.isInteger(length) || length < 0) return false;
    return this.stack._udpSend(this, null, fill, length, dst, dstPort, opts);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stack._udpClose(this);
  }
}

import type { Ipv4 } from "../wire/addr.js";
import type { IpStack } from "./stack.js";
import type { IcmpErrorHandler } from "./udp.js";

export interface EchoReply {
  readonly from: Ipv4;
  readonly seq: number;
  readonly ttl: number;
  /** ICMP payload bytes (ping's "64 bytes from" counts these plus the 8-byte ICMP header). */
  readonly size: number;
  readonly data: Uint8Array;
}

export interface EchoSendOptions {
  /** Payload bytes, default 56 like ping. */
  readonly size?: number;
  readonly ttl?: number;
  /** As UdpSendOptions.df: undefined = Linux's PMTUDISC_WANT default. */
  readonly df?: boolean;
  readonly src?: Ipv4;
}

export type EchoReplyHandler = (r: EchoReply) => void;

/**
 * An ICMP echo socket, like Linux's ping sockets (SOCK_DGRAM, IPPROTO_ICMP): requests carry this
 * socket's identifier; replies and ICMP errors quoting our requests come back here. The payload is
 * iputils ping's: a 16-byte struct timeval of the simulated send time (tv_sec, tv_usec as 64-bit
 * little-endian), then bytes counting up from 0x10.
 */
export class IcmpEchoSocket {
  /** @internal */ replyHandler: EchoReplyHandler | null = null;
  /** @internal */ errorHandler: IcmpErrorHandler | null = null;
  #closed = false;

  constructor(
    readonly stack: IpStack,
    readonly id: number,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends echo request `seq` to `dst`. False when it could not be sent (no route, too big with DF). */
  send(dst: Ipv4, seq: number, opts?: EchoSendOptions): boolean {
    if (this.#closed) return false;
    return this.stack._echoSend(this, dst, seq, opts);
  }

  onReply(h: EchoReplyHandler | null): void {
    this.replyHandler = h;
  }

  onError(h: IcmpErrorHandler | null): void {
    this.errorHandler = h;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stack._echoClose(this);
  }
}

/** iputils ping's payload for `size` bytes sent at `now` ns. */
export function pingPayload(size: number, now: number): Uint8Array {
  const d = new Uint8Array(size);
  for (let i = 0; i < size; i++) d[i] = i & 0xff;
  if (size >= 16) {
    const sec = Math.floor(now / 1e9);
    const usec = Math.floor((now - sec * 1e9) / 1e3);
    const dv = new DataView(d.buffer);
    dv.setUint32(0, sec >>> 0, true);
    dv.setUint32(4, Math.floor(sec / 0x1_0000_0000), true);
    dv.setUint32(8, usec, true);
    dv.setUint32(12, 0, true);
  }
  return d;
}

import type { Simulator } from "../sim/simulator.js";
import { UserSideDevice } from "./user-device.js";

/** Bytes of the packet-information header (`struct tun_pi`: 16-bit flags, 16-bit protocol, big-endian). */
export const TUN_PI_LEN = 4;

/** `struct tun_pi` flags (linux/if_tun.h). */
export const TunPiFlag = {
  /** Set on read when the user's buffer was too small and the packet was cut (never set by vnet). */
  STRIP: 0x0001,
} as const;

/** EtherTypes a TUN carries. */
export const TunProto = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
} as const;

/** Called with each packet the network sends to the TUN's user side (with the PI header when enabled). */
export type TunReader = (packet: Uint8Array, tun: Tun) => void;

export interface TunOptions {
  /** MTU (default 1500, as Linux): the largest IP packet, headers included. */
  readonly mtu?: number;
  /**
   * Prefix every packet with the 4-byte packet-information header (flags, protocol), as Linux does
   * when IFF_NO_PI is off. Default false (IFF_NO_PI on: bare IP packets).
   */
  readonly packetInfo?: boolean;
}

/** The IP version of a packet as its protocol, or null when it is not a plausible IPv4/IPv6 packet. */
function ipProto(p: Uint8Array, off: number): number | null {
  const len = p.length - off;
  if (len < 1) return null;
  const v = p[off] >>> 4;
  if (v === 4) return len >= 20 ? TunProto.IPV4 : null;
  if (v === 6) return len >= 40 ? TunProto.IPV6 : null;
  return null;
}

/**
 * A TUN device: an IP (L3) device, as Linux's `tun0` in IFF_TUN mode. The user side reads and writes
 * whole IPv4/IPv6 packets, with the packet-information header when `packetInfo` is on; the network side
 * is `port`, a point-to-point `Port` of kind "ip" to attach to a router.
 *
 * Writes are checked as Linux's `tun_get_user` does: without PI the version nibble must say 4 or 6;
 * with PI the header must be whole and its protocol IPv4 or IPv6. vnet also requires the packet to
 * match its protocol's minimum header (20/40 bytes) and the version to agree with the PI protocol, and
 * enforces the MTU. Failures are dropped and counted ("malformed", "unsupported-protocol",
 * "mtu-exceeded", "carrier-down"), never thrown. `counters` follow Linux's `tun0` view: user writes
 * are rx, packets handed to the user are tx.
 */
export class Tun extends UserSideDevice<"ip", TunReader> {
  readonly packetInfo: boolean;

  constructor(sim: Simulator, name: string, opts: TunOptions = {}) {
    super(sim, name, "ip", opts.mtu ?? 1500);
    this.packetInfo = opts.packetInfo ?? false;
  }

  /** User side: writes one IP packet (PI header first when `packetInfo`). False when dropped (and counted). */
  write(buf: Uint8Array): boolean {
    if (!this.userCanWrite()) return false;
    const c = this.counters;
    let packet = buf;
    let proto: number | null;
    if (this.packetInfo) {
      if (buf.length < TUN_PI_LEN) {
        c.dropRx("malformed");
        return false;
      }
      const piProto = (buf[2] << 8) | buf[3];
      if (piProto !== TunProto.IPV4 && piProto !== TunProto.IPV6) {
        c.dropRx("unsupported-protocol");
        return false;
      }
      proto = ipProto(buf, TUN_PI_LEN);
      if (proto !== piProto) {
        c.dropRx("malformed");
        return false;
      }
      packet = buf.subarray(TUN_PI_LEN);
    } else {
      proto = ipProto(buf, 0);
      if (proto === null) {
        c.dropRx("malformed");
        return false;
      }
    }
    if (packet.length > this.port.mtu) {
      c.rxErrors++;
      c.dropRx("mtu-exceeded");
      return false;
    }
    this.countUserWrite(packet);
    return this.port.send(packet);
  }

  protected fromNetwork(packet: Uint8Array): void {
    const c = this.counters;
    const proto = ipProto(packet, 0);
    if (proto === null) {
      c.dropTx("malformed");
      return;
    }
    if (packet.length > this.port.mtu) {
      c.txErrors++;
      c.dropTx("mtu-exceeded");
      return;
    }
    const reader = this.readerFor(packet);
    if (reader === null) return;
    if (!this.packetInfo) {
      reader(packet, this);
      return;
    }
    const out = new Uint8Array(TUN_PI_LEN + packet.length);
    out[2] = proto >>> 8;
    out[3] = proto & 0xff;
    out.set(packet, TUN_PI_LEN);
    reader(out, this);
  }
}

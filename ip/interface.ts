import type { Port } from "../netdev/port.js";
import type { VmNic } from "../netdev/vm-nic.js";
import { formatIpv4, type Ipv4, type Mac } from "../wire/addr.js";
import { broadcastOf, type Cidr, cidrContains, IpConfigError, networkOf, toCidr, toIpv4 } from "./cidr.js";
import type { NeighbourTable } from "./neighbour.js";
import type { IpStack } from "./stack.js";

/** What an interface sits on: a Port (Ethernet, or "ip" for a TUN's point-to-point side) or a VM NIC. */
export type IpDevice = Port | VmNic;

/**
 * One IP interface of a stack (Linux `ip addr` / `ip link` for one device). Ethernet interfaces run
 * ARP through their neighbour table; a point-to-point interface (a Port of kind "ip", a TUN) carries
 * bare IPv4 packets and has no MAC and no ARP.
 */
export class IpInterface {
  readonly mac: Mac | null;
  readonly pointToPoint: boolean;
  mtu: number;
  #up = true;
  #addresses: Cidr[] = [];
  #peer: Ipv4 | null = null;
  /** @internal The ARP cache (null on point-to-point). */
  neigh: NeighbourTable | null = null;

  constructor(
    readonly stack: IpStack,
    readonly name: string,
    readonly index: number,
    /** The device the interface transmits through and receives from. */
    readonly device: IpDevice,
    mac: Mac | null,
    mtu: number,
  ) {
    this.pointToPoint = device.kind === "ip";
    this.mac = this.pointToPoint ? null : mac;
    this.mtu = mtu;
  }

  /** Administrative state (`ip link set dev X up|down`). Traffic also needs the device's carrier. */
  get up(): boolean {
    return this.#up;
  }

  set up(v: boolean) {
    if (v === this.#up) return;
    this.#up = v;
    if (!v) this.neigh?.flush();
    this.stack._interfaceChanged(this);
    if (v && !this.pointToPoint) for (const a of this.#addresses) this.stack._gratuitousArp(this, a.address);
  }

  /** Admin up and the device has carrier. */
  get carrier(): boolean {
    return this.#up && this.device.carrier;
  }

  get addresses(): readonly Cidr[] {
    return this.#addresses;
  }

  get primaryAddress(): Ipv4 | null {
    return this.#addresses.length > 0 ? this.#addresses[0].address : null;
  }

  /** Point-to-point peer (`ip addr add A peer B`): adds the route `B dev X proto kernel scope link src A`. */
  get peer(): Ipv4 | null {
    return this.#peer;
  }

  set peer(p: Ipv4 | null) {
    this.#peer = p;
    this.stack._interfaceChanged(this);
  }

  /**
   * `ip addr add`: the connected route (proto kernel scope link src A) appears, unless another address
   * of this interface already covers the prefix (Linux makes the new one secondary). On Ethernet one
   * gratuitous ARP announces it (as `arping -U` / arp_notify would; plain Linux `ip addr add` sends none).
   */
  addAddress(c: Cidr | string): void {
    const cidr = toCidr(c);
    if (cidr.prefixLength > 32 || cidr.prefixLength < 0) throw new IpConfigError(`bad prefix length`);
    for (const a of this.#addresses) {
      if (a.address === cidr.address && a.prefixLength === cidr.prefixLength) {
        throw new IpConfigError(
          `${formatIpv4(cidr.address)}/${cidr.prefixLength} already on ${this.name} (RTNETLINK answers: File exists)`,
        );
      }
    }
    this.#addresses.push({ address: cidr.address, prefixLength: cidr.prefixLength });
    this.stack._interfaceChanged(this);
    if (!this.pointToPoint && this.#up) this.stack._gratuitousArp(this, cidr.address);
  }

  /** `ip addr del`: removes the address and its connected route. */
  removeAddress(c: Cidr | string): boolean {
    const cidr = typeof c === "string" && !c.includes("/") ? null : toCidr(c);
    const addr = cidr === null ? toIpv4(c as string) : cidr.address;
    const i = this.#addresses.findIndex(
      (a) => a.address === addr && (cidr === null || a.prefixLength === cidr.prefixLength),
    );
    if (i < 0) return false;
    this.#addresses.splice(i, 1);
    this.stack._interfaceChanged(this);
    return true;
  }

  /** `ip addr flush dev X`. */
  flushAddresses(): void {
    if (this.#addresses.length === 0) return;
    this.#addresses = [];
    this.stack._interfaceChanged(this);
  }

  /** True when `a` is one of this interface's addresses. */
  hasAddress(a: Ipv4): boolean {
    for (const x of this.#addresses) if (x.address === a) return true;
    return false;
  }

  /** True when `a` is the subnet-directed broadcast of one of this interface's prefixes (< /31). */
  isSubnetBroadcast(a: Ipv4): boolean {
    for (const x of this.#addresses) if (x.prefixLength < 31 && broadcastOf(x) === a) return true;
    return false;
  }

  /** inet_select_addr: the first address whose prefix contains `dst`, else the primary. */
  selectSource(dst: Ipv4): Ipv4 | null {
    for (const x of this.#addresses) if (cidrContains(x, dst)) return x.address;
    return this.primaryAddress;
  }

  /** The networks with connected routes: one per distinct prefix (the first address owns it). */
  connectedPrefixes(): Cidr[] {
    const out: Cidr[] = [];
    for (const a of this.#addresses) {
      if (a.prefixLength === 32) continue;
      const net = networkOf(a);
      if (out.some((o) => o.prefixLength === a.prefixLength && networkOf(o) === net)) continue;
      out.push(a);
    }
    return out;
  }
}

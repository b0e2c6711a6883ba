import type { Simulator } from "../sim/simulator.js";
import { type SimTime, s } from "../sim/time.js";
import {
  formatIpv4,
  type Ipv4,
  isMulticastMac,
  MAC_BROADCAST,
  type Mac,
  readIpv4,
  readMac,
  writeIpv4,
  writeMac,
} from "../wire/addr.js";
import { checksumAdjust16 } from "../wire/checksum.js";
import {
  broadcastOf,
  type Cidr,
  IPV4_BROADCAST,
  IpConfigError,
  isLoopbackIpv4,
  isMulticastIpv4,
  toCidr,
  toIpv4,
} from "./cidr.js";
import { fragmentPacket } from "./fragment.js";
import { HookChain, type HookPoint, type IpHook } from "./hooks.js";
import { IcmpRateLimiter, type IcmpRateLimitOptions } from "./icmp.js";
import { type IpDevice, IpInterface } from "./interface.js";
import {
  formatNeighbour,
  NEIGH_DEFAULTS,
  type NeighbourEntry,
  type NeighbourHost,
  type NeighbourParams,
  NeighbourTable,
} from "./neighbour.js";
import { checkOptions, forwardOptions, OPTIONS_OK, OPTIONS_SOURCE_ROUTE } from "./options.js";
import {
  allocPacket,
  isFragment,
  isLaterFragment,
  l4ChecksumAt,
  sumAt,
  udpChecksumFromPayloadSum,
  writeIpv4Header,
} from "./packet.js";
import { type EchoSendOptions, IcmpEchoSocket, pingPayload } from "./ping.js";
import { Reassembler, type ReassemblyOptions } from "./reassembly.js";
import { formatRoute, type RouteEntry, RouteTable } from "./routes.js";
import { countIcmpIn, countIcmpOut, IpStats } from "./stats.js";
import { TCP_RESET_LEN, writeTcpReset } from "./tcp-reset.js";
import type { IcmpErrorInfo, UdpBindOptions, UdpPayloadWriter, UdpSendOptions } from "./udp.js";
import { RxUdpMessage, UdpSocket } from "./udp.js";

export interface IpStackOptions {
  /** Default false (host-only); true = router (routed/NAT). Linux net.ipv4.ip_forward. */
  readonly forwarding?: boolean;
  /** 64 (Linux ip_default_ttl). */
  readonly defaultTtl?: number;
  /** ARP parameters (Linux neigh/default/*). */
  readonly neighbour?: Partial<NeighbourParams>;
  /** ICMP output rate limits (icmp_ratelimit, icmp_ratemask, icmp_msgs_per_sec, icmp_msgs_burst). */
  readonly icmpRateLimit?: IcmpRateLimitOptions;
  /** Reassembly limits (ipfrag_time, ipfrag_high_thresh). */
  readonly reassembly?: ReassemblyOptions;
}

/** Raw delivery of a local IP protocol the stack does not handle itself (whole packet). */
export type IpProtocolHandler = (packet: Uint8Array, iface: IpInterface | null) => void;

const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const PROTO_ICMP = 1;
const PROTO_UDP = 17;
const PROTO_TCP = 6;
const ALL_HOSTS = 0xe000_0001 as Ipv4;
/** `#addrKind` bits: an address of an up interface; a subnet broadcast of one. */
const KIND_LOCAL = 1;
const KIND_BCAST = 2;
/** ip_rt_mtu_expires: 10 minutes. */
const PMTU_EXPIRES = s(600);
/** ip_rt_min_pmtu: 552 (512 + 20 + 20). */
const MIN_PMTU = 552;
const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;

/**
 * The result of an output route lookup (Linux ip_route_output_key). One record per stack, refilled by
 * each lookup (no object per sent packet): read it right after `#routeOutput`, before anything that
 * could route again (hooks, ICMP errors).
 */
class OutRoute {
  /** null: the destination is this host (loopback). */
  iface: IpInterface | null = null;
  nextHop = 0 as Ipv4;
  /** Link-layer broadcast (limited or subnet-directed broadcast). */
  bcast = false;
  src: Ipv4 | null = null;
  mtu = 0;

  set(iface: IpInterface | null, nextHop: Ipv4, bcast: boolean, src: Ipv4 | null, mtu: number): this {
    this.iface = iface;
    this.nextHop = nextHop;
    this.bcast = bcast;
    this.src = src;
    this.mtu = mtu;
    return this;
  }
}

/** `_udpSend`'s options when none are given (no object per datagram). */
const NO_SEND_OPTS: UdpSendOptions = Object.freeze({});

interface PmtuEntry {
  mtu: number;
  expires: SimTime;
}

function multicastMac(a: Ipv4): Mac {
  return (0x0100_5e00_0000 + (a & 0x7f_ffff)) as Mac;
}

/**
 * An IPv4 stack: a host (forwarding off) or a router (forwarding on), as Linux behaves with default
 * sysctls. Interfaces sit on Ports or VM NICs (Ethernet with ARP) or on "ip" Ports (a TUN: point to
 * point, bare IPv4). See README.md for the paths and what each follows.
 */
export class IpStack {
  forwarding: boolean;
  readonly defaultTtl: number;
  readonly stats = new IpStats();
  /** Resolver configuration (set by the DHCP client or the topology; read by guest/'s DNS stub). */
  dnsServers: Ipv4[] = [];
  searchDomain: string | null = null;

  readonly #ifaces: IpInterface[] = [];
  readonly #routes = new RouteTable();
  readonly #pre: HookChain;
  readonly #input: HookChain;
  readonly #fwd: HookChain;
  readonly #out: HookChain;
  readonly #post: HookChain;
  #hookCount = 0;
  #hookSeq = 0;
  readonly #udp = new Map<number, UdpSocket[]>();
  /** The port and socket list of the last UDP demux (a receiver gets runs of datagrams to one port). */
  #udpLastPort = -1;
  #udpLastList: UdpSocket[] | undefined = undefined;
  #anyDestSockets = 0;
  readonly #echo = new Map<number, IcmpEchoSocket>();
  readonly #raw = new Map<number, IpProtocolHandler>();
  readonly #local = new Map<Ipv4, IpInterface>();
  readonly #bcast = new Map<Ipv4, IpInterface>();
  /** `#local` and `#bcast` as one map of KIND_* bits: one lookup per address on the receive path. */
  readonly #addrKind = new Map<Ipv4, number>();
  /** The last source and destination looked up in `#addrKind` and their bits (-1: none). */
  #kindSrc = -1;
  #kindSrcBits = 0;
  #kindDst = -1;
  #kindDstBits = 0;
  readonly #limiter: IcmpRateLimiter;
  readonly #reasm: Reassembler;
  readonly #pmtu = new Map<Ipv4, PmtuEntry>();
  readonly #neighParams: NeighbourParams;
  #ipId: number;
  /** The Ethernet frame being received (for UdpMessage.srcMac), null otherwise. */
  #rxFrame: Uint8Array | null = null;
  readonly #loopDeliver: (p: Uint8Array) => void;
  /** The record `#routeOutput` fills (see OutRoute). */
  readonly #ro = new OutRoute();

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    opts: IpStackOptions = {},
  ) {
    this.forwarding = opts.forwarding ?? false;
    this.defaultTtl = opts.defaultTtl ?? 64;
    this.#pre = new HookChain(this, "prerouting");
    this.#input = new HookChain(this, "input");
    this.#fwd = new HookChain(this, "forward");
    this.#out = new HookChain(this, "output");
    this.#post = new HookChain(this, "postrouting");
    this.#limiter = new IcmpRateLimiter(sim.rng(`ip:${name}:icmp-global`), opts.icmpRateLimit);
    this.#reasm = new Reassembler(
      sim,
      { mib: this.stats.ip, timedOut: (first) => this.#reasmTimedOut(first) },
      opts.reassembly,
    );
    this.#neighParams = { ...NEIGH_DEFAULTS, ...opts.neighbour };
    this.#ipId = sim.rng(`ip:${name}:id`).int(0, 0xffff);
    this.#loopDeliver = (p) => this.#loopbackInput(p);
  }

  // ---------------------------------------------------------------------------------------------
  // Interfaces

  /**
   * Adds an interface on `device`: a Port or VmNic of kind "ethernet" (ARP, Ethernet II) or a Port of
   * kind "ip" (point-to-point, no ARP). The stack takes the device's receive handler. `mac` is for a
   * Port (a VmNic brings its own); default 02:xx:xx:xx:xx:xx drawn from `ip:<stack>:<iface>:mac`.
   */
  addInterface(name: string, device: IpDevice, opts: { mac?: Mac; mtu?: number } = {}): IpInterface {
    if (this.interface(name) !== undefined)
      throw new IpConfigError(`interface ${name} exists on ${this.name}`);
    let mac: Mac | null = null;
    if (device.kind !== "ip") {
      if ("mac" in device) mac = device.mac;
      else mac = opts.mac ?? this.#derivedMac(name);
    }
    const iface = new IpInterface(this, name, this.#ifaces.length + 1, device, mac, opts.mtu ?? device.mtu);
    if (!iface.pointToPoint) {
      iface.neigh = new NeighbourTable(
        this.sim,
        name,
        this.#neighbourHost(iface),
        this.sim.rng(`ip:${this.name}:${name}:neigh`),
        this.#neighParams,
      );
    }
    this.#ifaces.push(iface);
    device.onReceive((frame: Uint8Array) => this.#onFrame(iface, frame));
    return iface;
  }

  #derivedMac(name: string): Mac {
    const r = this.sim.rng(`ip:${this.name}:${name}:mac`);
    return (0x02_00_00_00_00_00 + r.int(0, 0xff_ffff_ffff)) as Mac;
  }

  interface(name: string): IpInterface | undefined {
    return this.#ifaces.find((i) => i.name === name);
  }

  get interfaces(): readonly IpInterface[] {
    return this.#ifaces;
  }

  #iface(x: IpInterface | string): IpInterface {
    if (typeof x !== "string") {
      if (x.stack !== this) throw new IpConfigError(`interface ${x.name} belongs to ${x.stack.name}`);
      return x;
    }
    const i = this.interface(x);
    if (i === undefined) throw new IpConfigError(`no interface ${x} on ${this.name} (Cannot find device)`);
    return i;
  }

  /** True when `a` is an address of an interface that is up. */
  isLocalAddress(a: Ipv4): boolean {
    return this.#local.has(a);
  }

  /** @internal Addresses, peer or state of `iface` changed: rebuild its connected routes and the local maps. */
  _interfaceChanged(iface: IpInterface): void {
    this.#routes.removeWhere((r) => r.iface === iface && r.proto === "kernel");
    if (iface.up) {
      for (const c of iface.connectedPrefixes()) {
        this.#routes.add({ dst: c, via: null, iface, metric: 0, src: c.address, proto: "kernel" });
      }
      const peer = iface.peer;
      const src = iface.primaryAddress;
      if (
        peer !== null &&
        src !== null &&
        !this.#routes
          .all()
          .some((r) => r.iface === iface && r.dst.prefixLength === 32 && r.dst.address === peer)
      ) {
        this.#routes.add({
          dst: { address: peer, prefixLength: 32 },
          via: null,
          iface,
          metric: 0,
          src,
          proto: "kernel",
        });
      }
    }
    this.#local.clear();
    this.#bcast.clear();
    this.#addrKind.clear();
    this.#kindSrc = -1;
    this.#kindDst = -1;
    for (const i of this.#ifaces) {
      if (!i.up) continue;
      for (const a of i.addresses) {
        if (!this.#local.has(a.address)) this.#local.set(a.address, i);
        this.#addrKind.set(a.address, (this.#addrKind.get(a.address) ?? 0) | KIND_LOCAL);
        if (a.prefixLength < 31) {
          const b = broadcastOf(a);
          if (!this.#bcast.has(b)) this.#bcast.set(b, i);
          this.#addrKind.set(b, (this.#addrKind.get(b) ?? 0) | KIND_BCAST);
        }
      }
    }
    this.#routes.invalidate(); // also retires the sockets' cached routes
  }

  // ---------------------------------------------------------------------------------------------
  // Routing

  /**
   * `ip route add`. With `via` and no `dev`, the device is the one with a connected route to the
   * gateway (Linux refuses an unreachable gateway: "Nexthop has invalid gateway").
   */
  addRoute(r: {
    dst: Cidr | string;
    via?: Ipv4 | string;
    dev?: IpInterface | string;
    metric?: number;
    src?: Ipv4 | string;
    proto?: "static" | "dhcp";
  }): void {
    const dst = toCidr(r.dst);
    const via = r.via === undefined ? null : toIpv4(r.via, "gateway");
    let iface = r.dev === undefined ? null : this.#iface(r.dev);
    if (via !== null) {
      const onLink = this.#routes.lookup(via, iface ?? undefined);
      if (iface === null) {
        if (onLink === null || onLink.via !== null) {
          throw new IpConfigError(
            `gateway ${formatIpv4(via)} is not on a connected network (Nexthop has invalid gateway)`,
          );
        }
        iface = onLink.iface;
      } else if ((onLink === null || onLink.via !== null) && !iface.pointToPoint) {
        throw new IpConfigError(
          `gateway ${formatIpv4(via)} is not on a connected network of ${iface.name} (Nexthop has invalid gateway)`,
        );
      }
    }
    if (iface === null) throw new IpConfigError(`route ${r.dst.toString()}: needs dev or via`);
    this.#routes.add({
      dst,
      via,
      iface,
      metric: r.metric ?? 0,
      src: r.src === undefined ? null : toIpv4(r.src, "source"),
      proto: r.proto ?? "static",
    });
  }

  /** `ip route del`. True when a route was removed. */
  removeRoute(dst: Cidr | string, via?: Ipv4 | string): boolean {
    return this.#routes.remove(toCidr(dst), via === undefined ? undefined : toIpv4(via, "gateway")) > 0;
  }

  /** Replaces any default route with `default via GW [dev D]`. */
  setDefaultGateway(
    via: Ipv4 | string,
    dev?: IpInterface | string,
    opts: { metric?: number; proto?: "static" | "dhcp" } = {},
  ): void {
    this.#routes.removeWhere((r) => r.dst.prefixLength === 0 && r.proto !== "kernel");
    this.addRoute({
      dst: { address: 0 as Ipv4, prefixLength: 0 },
      via,
      dev,
      metric: opts.metric,
      proto: opts.proto,
    });
  }

  /** Longest prefix, then lowest metric (routes through interfaces that are down are skipped). */
  lookupRoute(dst: Ipv4): RouteEntry | null {
    return this.#routes.lookup(dst);
  }

  routes(): RouteEntry[] {
    return this.#routes.sorted();
  }

  /** `ip route show` text (one line per route, no trailing newline). */
  formatRoutes(): string {
    return this.routes().map(formatRoute).join("\n");
  }

  // ---------------------------------------------------------------------------------------------
  // Neighbours

  neighbours(): NeighbourEntry[] {
    const out: NeighbourEntry[] = [];
    for (const i of this.#ifaces) if (i.neigh !== null) out.push(...i.neigh.rows());
    return out;
  }

  /** `ip neigh show` text (interface order, then the order entries were created). */
  formatNeighbours(): string {
    return this.neighbours().map(formatNeighbour).join("\n");
  }

  /** `ip neigh replace ADDR lladdr MAC dev IF nud permanent`. */
  addStaticNeighbour(iface: IpInterface | string, address: Ipv4 | string, mac: Mac): void {
    const i = this.#iface(iface);
    if (i.neigh === null) throw new IpConfigError(`${i.name} is point-to-point: no neighbours`);
    i.neigh.addPermanent(toIpv4(address), mac);
  }

  #neighbourHost(iface: IpInterface): NeighbourHost {
    return {
      solicit: (target, unicastTo, srcHint) => this.#arpSolicit(iface, target, unicastTo, srcHint),
      transmit: (frame) => {
        if (!iface.device.send(frame)) this.stats.ip.OutDiscards++;
      },
      failed: (frames) => {
        for (const f of frames) this.#icmpError(f.subarray(ETH_HLEN), 3, 1, 0, true);
      },
      queueDrop: () => this.stats.drop("neigh-queue-full"),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks

  /** Registers a netfilter-like hook; lower priority runs first. Returns remove(). */
  addHook(point: HookPoint, hook: IpHook, priority = 0): () => void {
    const chain = this.#chain(point);
    const remove = chain.add(hook, priority, this.#hookSeq++);
    this.#hookCount++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      remove();
      this.#hookCount--;
    };
  }

  #chain(point: HookPoint): HookChain {
    switch (point) {
      case "prerouting":
        return this.#pre;
      case "input":
        return this.#input;
      case "forward":
        return this.#fwd;
      case "output":
        return this.#out;
      case "postrouting":
        return this.#post;
      default:
        throw new IpConfigError(`unknown hook point ${String(point)}`);
    }
  }

  /** Raw delivery of local packets of IP protocol `proto` (e.g. TCP in tests). Returns remove(). */
  onIpProtocol(proto: number, h: IpProtocolHandler): () => void {
    if (proto === PROTO_ICMP || proto === PROTO_UDP)
      throw new IpConfigError(`protocol ${proto} is the stack's own`);
    this.#raw.set(proto, h);
    return () => {
      if (this.#raw.get(proto) === h) this.#raw.delete(proto);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Sockets

  udpBind(opts: UdpBindOptions = {}): UdpSocket {
    const address = opts.address ?? (0 as Ipv4);
    const iface = opts.iface ?? null;
    if (address !== 0 && !this.#local.has(address) && !opts.anyDestination) {
      throw new IpConfigError(
        `cannot bind ${formatIpv4(address)}: not a local address (Cannot assign requested address)`,
      );
    }
    let port = opts.port ?? 0;
    if (port === 0) {
      const rng = this.sim.rng(`ip:${this.name}:udp-port`);
      for (let tries = 0; ; tries++) {
        port = rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
        if (!this.#udpConflict(port, address, iface)) break;
        if (tries > 100_000) throw new IpConfigError("no free ephemeral UDP port");
      }
    } else if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
      throw new IpConfigError(`bad UDP port ${port}`);
    } else if (this.#udpConflict(port, address, iface)) {
      throw new IpConfigError(`UDP port ${port} in use on ${this.name} (Address already in use)`);
    }
    const sock = new UdpSocket(
      this,
      port,
      address,
      iface,
      opts.anyDestination ?? false,
      opts.broadcast ?? false,
    );
    let list = this.#udp.get(port);
    if (list === undefined) {
      list = [];
      this.#udp.set(port, list);
    }
    list.push(sock);
    if (sock.anyDestination) this.#anyDestSockets++;
    return sock;
  }

  #udpConflict(port: number, address: Ipv4, iface: IpInterface | null): boolean {
    const list = this.#udp.get(port);
    if (list === undefined) return false;
    return list.some(
      (s) =>
        (s.localAddress === 0 || address === 0 || s.localAddress === address) &&
        (s.iface === null || iface === null || s.iface === iface),
    );
  }

  /** @internal */
  _udpClose(sock: UdpSocket): void {
    const list = this.#udp.get(sock.localPort);
    if (list === undefined) return;
    const i = list.indexOf(sock);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.#udp.delete(sock.localPort);
      this.#udpLastPort = -1;
      this.#udpLastList = undefined;
    }
    if (sock.anyDestination) this.#anyDestSockets--;
  }

  /** A ping socket (Linux SOCK_DGRAM/IPPROTO_ICMP); the id defaults to a draw from `ip:<stack>:ping-id`. */
  icmpEchoSocket(opts: { id?: number } = {}): IcmpEchoSocket {
    let id = opts.id;
    if (id === undefined) {
      const rng = this.sim.rng(`ip:${this.name}:ping-id`);
      do id = rng.int(0, 0xffff);
      while (this.#echo.has(id));
    } else if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
      throw new IpConfigError(`bad ICMP echo id ${id}`);
    } else if (this.#echo.has(id)) {
      throw new IpConfigError(`ICMP echo id ${id} in use on ${this.name}`);
    }
    const sock = new IcmpEchoSocket(this, id);
    this.#echo.set(id, sock);
    return sock;
  }

  /** @internal */
  _echoClose(sock: IcmpEchoSocket): void {
    if (this.#echo.get(sock.id) === sock) this.#echo.delete(sock.id);
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  #nextId(df: boolean): number {
    // ip_select_ident: an unconnected socket's DF packet gets ID 0; otherwise a counter.
    if (df) return 0;
    this.#ipId = (this.#ipId + 1) & 0xffff;
    return this.#ipId;
  }

  #pathMtu(iface: IpInterface, dst: Ipv4): number {
    const p = this.#pmtu.get(dst);
    if (p === undefined) return iface.mtu;
    if (p.expires <= this.sim.now) {
      this.#pmtu.delete(dst);
      return iface.mtu;
    }
    return Math.min(p.mtu, iface.mtu);
  }

  /**
   * ip_route_output_key: where a locally generated packet to `dst` goes. The result is the stack's one
   * OutRoute record, valid until the next lookup.
   */
  #routeOutput(dst: Ipv4, iface?: IpInterface, src?: Ipv4): OutRoute | null {
    if (
      iface === undefined &&
      src !== undefined &&
      src !== 0 &&
      (dst === IPV4_BROADCAST || isMulticastIpv4(dst))
    ) {
      // A broadcast/multicast from a bound local source leaves through that source's device.
      iface = this.#local.get(src);
    }
    if (dst === IPV4_BROADCAST) {
      // Without a device (bound source or SO_BINDTODEVICE) Linux needs a route match: no default
      // route means ENETUNREACH.
      const i = iface ?? this.#routes.lookup(dst)?.iface;
      if (i === undefined) return null;
      return this.#ro.set(i, dst, true, null, i.mtu);
    }
    if (this.#local.has(dst) || isLoopbackIpv4(dst)) {
      return this.#ro.set(null, dst, false, dst, 65535);
    }
    if (iface !== undefined) {
      const r = this.#routes.lookup(dst, iface);
      const nh = r !== null && r.via !== null ? r.via : dst;
      return this.#ro.set(iface, nh, iface.isSubnetBroadcast(dst), r?.src ?? null, this.#pathMtu(iface, dst));
    }
    const r = this.#routes.lookup(dst);
    if (r === null) return null;
    return this.#ro.set(
      r.iface,
      r.via ?? dst,
      r.via === null && r.iface.isSubnetBroadcast(dst),
      r.src,
      this.#pathMtu(r.iface, dst),
    );
  }

  /** inet_select_addr-like source choice for a packet following `route` to `dst`. */
  #selectSource(route: OutRoute, dst: Ipv4): Ipv4 {
    if (route.src !== null) return route.src;
    const i = route.iface;
    if (i !== null) {
      const a = i.selectSource(route.nextHop === IPV4_BROADCAST ? dst : route.nextHop);
      if (a !== null) return a;
    }
    for (const x of this.#ifaces) if (x.up && x.primaryAddress !== null) return x.primaryAddress;
    return 0 as Ipv4;
  }

  /**
   * Sends a whole IPv4 packet built by the caller, routed as locally generated (OUTPUT path). The
   * buffer is not kept or written. Fragmented when larger than the MTU and DF is clear (a Linux raw
   * socket with IP_HDRINCL would refuse it with EMSGSIZE instead).
   */
  sendIp(packet: Uint8Array, opts: { iface?: IpInterface } = {}): boolean {
    if (packet.length < 20 || packet[0] >>> 4 !== 4) {
      this.stats.drop("sendip-malformed");
      return false;
    }
    const hl = (packet[0] & 0x0f) * 4;
    const tot = (packet[2] << 8) | packet[3];
    if (hl < 20 || tot < hl || tot > packet.length) {
      this.stats.drop("sendip-malformed");
      return false;
    }
    const pkt = tot === packet.length ? packet : packet.subarray(0, tot);
    const route = this.#routeOutput(readIpv4(pkt, 16), opts.iface);
    if (route === null) {
      this.stats.ip.OutNoRoutes++;
      return false;
    }
    return this.#localOut(pkt, 0, false, route, opts.iface, null, (pkt[6] & 0x40) === 0);
  }

  /**
   * The OUTPUT path: output hooks (re-routing when they change the destination), postrouting hooks,
   * then loopback delivery or transmission (fragmenting when allowed). The packet is `buf` from `off`
   * to its end; `owned`: `buf` is a frame the stack built, with `off` bytes of link header room for
   * `route.iface` (without hooks it is sent as is: no view, no copy).
   */
  #localOut(
    buf: Uint8Array,
    off: number,
    owned: boolean,
    route: OutRoute,
    bindIf: IpInterface | undefined,
    dstMac: Mac | null,
    mayFragment: boolean,
  ): boolean {
    this.stats.ip.OutRequests++;
    // Copied out of the shared record before any hook runs (a hook may route again).
    let iface = route.iface;
    let nextHop = route.nextHop;
    let bcast = route.bcast;
    let mtu = route.mtu;
    let b = buf;
    let o = off;
    let own = owned;
    if (this.#out.hooks.length !== 0 || this.#post.hooks.length !== 0) {
      let p = o === 0 ? b : b.subarray(o);
      const start = p;
      if (this.#out.hooks.length !== 0) {
        const dst = readIpv4(p, 16);
        const q = this.#out.run(p, null, iface);
        if (q === null) return false;
        if (q !== p) {
          p = q;
          const nd = readIpv4(p, 16);
          if (nd !== dst) {
            const rr = this.#routeOutput(nd, bindIf);
            if (rr === null) {
              this.stats.ip.OutNoRoutes++;
              return false;
            }
            iface = rr.iface;
            nextHop = rr.nextHop;
            bcast = rr.bcast;
            mtu = rr.mtu;
          }
        }
      }
      if (this.#post.hooks.length !== 0) {
        const q = this.#post.run(p, null, iface);
        if (q === null) return false;
        p = q;
      }
      if (p !== start) {
        b = p;
        o = 0;
        own = false;
      }
    }
    if (iface === null) {
      // Loopback: delivered through the simulator (as netif_rx defers to softirq), never re-entrantly.
      this.sim.scheduleCall(0, this.#loopDeliver, o === 0 ? b : b.subarray(o));
      return true;
    }
    return this.#finishOutput(b, o, own, iface, nextHop, bcast, dstMac, 0, mayFragment, mtu);
  }

  /**
   * ip_finish_output: fragment when needed and allowed, then hand to the link (ARP or broadcast).
   * The packet is `buf` from `off` to its end; `owned` as in `#localOut` (the frame is reused when its
   * header room fits `outIf`, else the packet is copied once into a new frame). `fragMax` > 0: the
   * packet was reassembled here from fragments of at most that size (refragment to it, as Linux does
   * with IPCB frag_max_size).
   */
  #finishOutput(
    buf: Uint8Array,
    off: number,
    owned: boolean,
    outIf: IpInterface,
    nextHop: Ipv4,
    bcast: boolean,
    dstMac: Mac | null,
    fragMax: number,
    mayFragment: boolean,
    mtu: number,
  ): boolean {
    if (!outIf.carrier) {
      this.stats.ip.OutDiscards++;
      this.stats.drop("carrier-down");
      return false;
    }
    const head = outIf.pointToPoint ? 0 : ETH_HLEN;
    const len = buf.length - off;
    if (len > mtu || (fragMax > 0 && fragMax < len)) {
      if ((buf[off + 6] & 0x40) !== 0 && !mayFragment && fragMax === 0) {
        this.stats.ip.FragFails++;
        return false;
      }
      const pkt = off === 0 ? buf : buf.subarray(off);
      const frags = fragmentPacket(pkt, fragMax > 0 ? Math.min(mtu, fragMax) : mtu, head);
      if (frags === null) {
        this.stats.ip.FragFails++;
        return false;
      }
      this.stats.ip.FragOKs++;
      this.stats.ip.FragCreates += frags.length;
      let ok = true;
      for (const f of frags) ok = this.#linkOutput(f, outIf, nextHop, bcast, dstMac) && ok;
      return ok;
    }
    let frame = buf;
    if (!owned || off !== head) {
      frame = allocPacket(head + len);
      frame.set(off === 0 ? buf : buf.subarray(off), head);
    }
    return this.#linkOutput(frame, outIf, nextHop, bcast, dstMac);
  }

  /** Writes the link header and transmits (through the neighbour table when the MAC is not known). */
  #linkOutput(
    frame: Uint8Array,
    outIf: IpInterface,
    nextHop: Ipv4,
    bcast: boolean,
    dstMac: Mac | null,
  ): boolean {
    if (outIf.pointToPoint) {
      if (outIf.device.send(frame)) return true;
      this.stats.ip.OutDiscards++;
      return false;
    }
    writeMac(frame, 6, outIf.mac as Mac);
    frame[12] = ETH_P_IP >>> 8;
    frame[13] = ETH_P_IP & 0xff;
    let mac: Mac | null = dstMac;
    if (mac === null) {
      if (bcast || nextHop === IPV4_BROADCAST) mac = MAC_BROADCAST;
      else if (isMulticastIpv4(nextHop)) mac = multicastMac(nextHop);
    }
    if (mac !== null) {
      writeMac(frame, 0, mac);
      if (outIf.device.send(frame)) return true;
      this.stats.ip.OutDiscards++;
      return false;
    }
    (outIf.neigh as NeighbourTable).send(frame, nextHop, readIpv4(frame, ETH_HLEN + 12));
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // UDP and ICMP echo output

  /** @internal */
  _udpSend(
    sock: UdpSocket,
    data: Uint8Array | null,
    fill: UdpPayloadWriter | null,
    length: number,
    dst: Ipv4,
    dstPort: number,
    opts: UdpSendOptions = NO_SEND_OPTS,
  ): boolean {
    const bindIf = opts.iface ?? sock.iface ?? undefined;
    const cache = sock.routeCache;
    const version = this.#routes.version;
    let route: OutRoute | null;
    let src: Ipv4;
    if (opts === NO_SEND_OPTS && cache.version === version && cache.dst === dst) {
      // The socket's last route to this destination (no option can change it; any change of routes,
      // addresses or interface state bumps the version). The path MTU is read afresh.
      const i = cache.iface as IpInterface;
      route = this.#ro.set(
        i,
        cache.nextHop,
        cache.bcast,
        null,
        this.#pmtu.size === 0 ? i.mtu : this.#pathMtu(i, dst),
      );
      src = cache.src;
    } else {
      route = this.#routeOutput(dst, bindIf, opts.src ?? sock.localAddress);
      if (route === null) {
        this.stats.ip.OutNoRoutes++;
        return false;
      }
      src =
        opts.src ??
        (sock.localAddress !== 0
          ? sock.localAddress
          : route.iface === null
            ? dst
            : this.#selectSource(route, dst));
      if (opts === NO_SEND_OPTS && route.iface !== null) {
        cache.version = version;
        cache.dst = dst;
        cache.iface = route.iface;
        cache.nextHop = route.nextHop;
        cache.bcast = route.bcast;
        cache.src = src;
      }
    }
    if (route.bcast && !sock.broadcast) {
      this.stats.drop("udp-broadcast-not-allowed"); // EACCES without SO_BROADCAST
      return false;
    }
    if (!Number.isInteger(dstPort) || dstPort < 0 || dstPort > 0xffff) return false;
    const ulen = 8 + length;
    const tot = 20 + ulen;
    if (tot > 0xffff) return false; // EMSGSIZE
    let df: boolean;
    if (opts.df === true) {
      if (tot > route.mtu) return false; // EMSGSIZE (IP_PMTUDISC_DO)
      df = true;
    } else if (opts.df === false) {
      df = false;
    } else {
      df = tot <= route.mtu; // IP_PMTUDISC_WANT
    }
    const head = route.iface !== null && !route.iface.pointToPoint ? ETH_HLEN : 0;
    const buf = allocPacket(head + tot);
    const ttl = opts.ttl ?? (isMulticastIpv4(dst) ? 1 : this.defaultTtl);
    writeIpv4Header(buf, head, opts.tos ?? 0, tot, this.#nextId(df), df, ttl, PROTO_UDP, src, dst);
    const u = head + 20;
    buf[u] = sock.localPort >>> 8;
    buf[u + 1] = sock.localPort & 0xff;
    buf[u + 2] = dstPort >>> 8;
    buf[u + 3] = dstPort & 0xff;
    buf[u + 4] = ulen >>> 8;
    buf[u + 5] = ulen & 0xff;
    let psum: unknown;
    if (data !== null) buf.set(data, u + 8);
    else psum = (fill as UdpPayloadWriter)(buf, u + 8);
    const c =
      typeof psum === "number"
        ? udpChecksumFromPayloadSum(src, dst, sock.localPort, dstPort, ulen, psum)
        : l4ChecksumAt(buf, u, ulen, src, dst, PROTO_UDP);
    const cs = c === 0 ? 0xffff : c;
    buf[u + 6] = cs >>> 8;
    buf[u + 7] = cs & 0xff;
    this.stats.udp.OutDatagrams++;
    return this.#localOut(buf, head, true, route, bindIf, opts.dstMac ?? null, !df);
  }

  /** @internal */
  _echoSend(sock: IcmpEchoSocket, dst: Ipv4, seq: number, opts: EchoSendOptions = {}): boolean {
    const route = this.#routeOutput(dst);
    if (route === null) {
      this.stats.ip.OutNoRoutes++;
      return false;
    }
    if (route.bcast) {
      this.stats.drop("icmp-broadcast-not-allowed");
      return false;
    }
    const size = opts.size ?? 56;
    const tot = 20 + 8 + size;
    if (tot > 0xffff) return false;
    let df: boolean;
    if (opts.df === true) {
      if (tot > route.mtu) return false;
      df = true;
    } else if (opts.df === false) {
      df = false;
    } else {
      df = tot <= route.mtu;
    }
    const src = opts.src ?? (route.iface === null ? dst : this.#selectSource(route, dst));
    const head = route.iface !== null && !route.iface.pointToPoint ? ETH_HLEN : 0;
    const buf = allocPacket(head + tot);
    writeIpv4Header(
      buf,
      head,
      0,
      tot,
      this.#nextId(df),
      df,
      opts.ttl ?? this.defaultTtl,
      PROTO_ICMP,
      src,
      dst,
    );
    const o = head + 20;
    buf[o] = 8;
    buf[o + 1] = 0;
    buf[o + 4] = sock.id >>> 8;
    buf[o + 5] = sock.id & 0xff;
    buf[o + 6] = (seq >>> 8) & 0xff;
    buf[o + 7] = seq & 0xff;
    buf.set(pingPayload(size, this.sim.now), o + 8);
    const c = ~sumAt(buf, o, 8 + size) & 0xffff;
    buf[o + 2] = c >>> 8;
    buf[o + 3] = c & 0xff;
    countIcmpOut(this.stats.icmp, 8);
    return this.#localOut(buf, head, true, route, undefined, null, !df);
  }

  // ---------------------------------------------------------------------------------------------
  // ICMP errors

  /**
   * __icmp_send: an ICMP error about `orig` (a whole IPv4 packet, or its first bytes). Not sent about
   * a link-layer broadcast (`l2host` false), an IP broadcast/multicast, a fragment other than the
   * first, an ICMP error, or a packet from an invalid source; rate limited as Linux; quoting as much of
   * the original as fits in 576 bytes; routed through the OUTPUT path.
   */
  #icmpError(orig: Uint8Array, type: number, code: number, info: number, l2host: boolean): void {
    if (!l2host || orig.length < 20) return;
    const odst = readIpv4(orig, 16);
    const osrc = readIpv4(orig, 12);
    if (odst === IPV4_BROADCAST || isMulticastIpv4(odst) || this.#bcast.has(odst)) return;
    if (isLaterFragment(orig)) return;
    const ohl = (orig[0] & 0x0f) * 4;
    if (orig[9] === PROTO_ICMP) {
      if (orig.length < ohl + 1) return;
      const it = orig[ohl];
      if (it > 18 || it === 3 || it === 4 || it === 5 || it === 11 || it === 12) return;
    }
    if (osrc === 0 || osrc === IPV4_BROADCAST || isMulticastIpv4(osrc) || this.#bcast.has(osrc)) return;
    const now = this.sim.now;
    const lim = this.#limiter;
    const limited = lim.limited(type, code);
    if (limited && !lim.globalAllow(now)) {
      this.stats.icmp.OutRateLimitGlobal++;
      return;
    }
    const route = this.#routeOutput(osrc);
    if (route === null) return;
    if (limited && route.iface !== null && !lim.peerAllow(osrc, now)) {
      this.stats.icmp.OutRateLimitHost++;
      return;
    }
    const src = this.#local.has(odst) ? odst : route.iface === null ? osrc : this.#selectSource(route, osrc);
    const room = Math.min(route.mtu, 576) - 20 - 8;
    const olen = Math.min((orig[2] << 8) | orig[3], orig.length);
    const qlen = Math.min(olen, room);
    const tot = 20 + 8 + qlen;
    const head = route.iface !== null && !route.iface.pointToPoint ? ETH_HLEN : 0;
    const buf = allocPacket(head + tot);
    const tos = (orig[1] & 0x1e) | 0xc0;
    writeIpv4Header(buf, head, tos, tot, this.#nextId(false), false, this.defaultTtl, PROTO_ICMP, src, osrc);
    const o = head + 20;
    buf[o] = type;
    buf[o + 1] = code;
    buf[o + 4] = (info >>> 24) & 0xff;
    buf[o + 5] = (info >>> 16) & 0xff;
    buf[o + 6] = (info >>> 8) & 0xff;
    buf[o + 7] = info & 0xff;
    buf.set(orig.subarray(0, qlen), o + 8);
    const c = ~sumAt(buf, o, 8 + qlen) & 0xffff;
    buf[o + 2] = c >>> 8;
    buf[o + 3] = c & 0xff;
    countIcmpOut(this.stats.icmp, type);
    this.#localOut(buf, head, true, route, undefined, null, true);
  }

  /**
   * tcp_v4_send_reset for the TCP segment `p` (header length `hl`) to one of our addresses: from that
   * address, TOS reflected (ECN bits cleared), DF set and IP ID 0 (Linux's control socket: PMTU
   * discovery on, no connected peer), the default TTL, routed back to the sender.
   */
  #tcpReset(p: Uint8Array, hl: number): void {
    const src = readIpv4(p, 12);
    const dst = readIpv4(p, 16);
    const route = this.#routeOutput(src);
    if (route === null) return;
    const head = route.iface !== null && !route.iface.pointToPoint ? ETH_HLEN : 0;
    const buf = allocPacket(head + 20 + TCP_RESET_LEN);
    if (!writeTcpReset(p, hl, src, dst, buf, head + 20)) return;
    writeIpv4Header(
      buf,
      head,
      p[1] & 0xfc,
      20 + TCP_RESET_LEN,
      0,
      true,
      this.defaultTtl,
      PROTO_TCP,
      dst,
      src,
    );
    this.#localOut(buf, head, true, route, undefined, null, true);
  }

  #reasmTimedOut(first: Uint8Array): void {
    // ip_expire: only the destination host sends "fragment reassembly time exceeded".
    if (this.#local.has(readIpv4(first, 16))) this.#icmpError(first, 11, 1, 0, true);
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  #onFrame(iface: IpInterface, frame: Uint8Array): void {
    if (!iface.up) {
      this.stats.drop("iface-down");
      return;
    }
    if (iface.pointToPoint) {
      const prev = this.#rxFrame;
      this.#rxFrame = null;
      this.#ipRcv(iface, frame, 0, true);
      this.#rxFrame = prev;
      return;
    }
    if (frame.length < ETH_HLEN) {
      this.stats.drop("malformed");
      return;
    }
    let host = true;
    if ((frame[0] & 1) !== 0) host = false;
    else if (readMac(frame, 0) !== iface.mac) {
      this.stats.drop("otherhost"); // PACKET_OTHERHOST
      return;
    }
    const et = (frame[12] << 8) | frame[13];
    if (et === ETH_P_IP) {
      const prev = this.#rxFrame;
      this.#rxFrame = frame;
      this.#ipRcv(iface, frame, ETH_HLEN, host);
      this.#rxFrame = prev;
    } else if (et === ETH_P_ARP) {
      this.#arpRcv(iface, frame, host);
    } else {
      this.stats.drop("unknown-ethertype");
    }
  }

  /** ip_rcv_core + the martian checks of ip_route_input_slow. */
  #ipRcv(iface: IpInterface, buf: Uint8Array, off: number, l2host: boolean): void {
    const mib = this.stats.ip;
    mib.InReceives++;
    const avail = buf.length - off;
    if (avail < 20) {
      mib.InHdrErrors++;
      return;
    }
    const b0 = buf[off];
    const hl = (b0 & 0x0f) * 4;
    if (b0 >>> 4 !== 4 || hl < 20 || hl > avail) {
      mib.InHdrErrors++;
      return;
    }
    if (sumAt(buf, off, hl) !== 0xffff) {
      mib.InCsumErrors++;
      mib.InHdrErrors++;
      return;
    }
    const tot = (buf[off + 2] << 8) | buf[off + 3];
    if (tot > avail) {
      mib.InTruncatedPkts++;
      return;
    }
    if (tot < hl) {
      mib.InHdrErrors++;
      return;
    }
    if (hl > 20 && !this.#rcvOptions(buf, off, tot, l2host)) return;
    const src = readIpv4(buf, off + 12);
    const dst = readIpv4(buf, off + 16);
    let sk = this.#kindSrcBits;
    if (src !== this.#kindSrc) {
      sk = this.#addrKind.get(src) ?? 0;
      this.#kindSrc = src;
      this.#kindSrcBits = sk;
    }
    if (isMulticastIpv4(src) || src === IPV4_BROADCAST || isLoopbackIpv4(src) || (sk & KIND_LOCAL) !== 0) {
      this.stats.drop("martian-source");
      return;
    }
    if (isLoopbackIpv4(dst) || (dst === 0 && src !== 0)) {
      this.stats.drop("martian-destination");
      return;
    }
    if (src === 0 && dst !== IPV4_BROADCAST && dst !== 0) {
      this.stats.drop("martian-source");
      return;
    }
    if (this.#hookCount === 0) {
      // As #isLocalDst, from one lookup.
      let dk = this.#kindDstBits;
      if (dst !== this.#kindDst) {
        dk = this.#addrKind.get(dst) ?? 0;
        this.#kindDst = dst;
        this.#kindDstBits = dk;
      }
      const localDst = dk !== 0 || dst === IPV4_BROADCAST || dst === 0 || dst === ALL_HOSTS;
      if (this.forwarding && l2host && this.#anyDestSockets === 0 && !localDst && !isMulticastIpv4(dst)) {
        // The forwarding fast path: no view, no hooks.
        this.#forward(buf, off, tot, iface, 0);
        return;
      }
      if (localDst && buf[off + 9] === PROTO_UDP && (buf[off + 6] & 0x3f) === 0 && buf[off + 7] === 0) {
        // The local UDP fast path (ip_local_deliver → udp_rcv without hooks or reassembly): read in
        // place, no view of the packet.
        mib.InDelivers++;
        const bcast = dst === IPV4_BROADCAST || dst === 0 || (dk & KIND_BCAST) !== 0 || isMulticastIpv4(dst);
        this.#udpRcv(buf, off, hl, tot, iface, bcast, l2host, (dk & KIND_LOCAL) !== 0);
        return;
      }
    }
    this.#ipInput(off === 0 && tot === buf.length ? buf : buf.subarray(off, off + tot), iface, l2host);
  }

  /**
   * ip_rcv_options: a malformed option → InHdrErrors and ICMP parameter problem pointing at it; a
   * source route → dropped silently (accept_source_route=0). False when the datagram is dropped.
   */
  #rcvOptions(buf: Uint8Array, off: number, tot: number, l2host: boolean): boolean {
    const r = checkOptions(buf, off);
    if (r === OPTIONS_OK) return true;
    if (r === OPTIONS_SOURCE_ROUTE) {
      this.stats.drop("source-route");
      return false;
    }
    this.stats.ip.InHdrErrors++;
    this.#icmpError(buf.subarray(off, off + tot), 12, 0, r << 24, l2host);
    return false;
  }

  /** Addresses this host receives for itself: its own, limited and subnet broadcasts, all-hosts. */
  #isLocalDst(dst: Ipv4): boolean {
    return (
      this.#local.has(dst) || dst === IPV4_BROADCAST || dst === 0 || this.#bcast.has(dst) || dst === ALL_HOSTS
    );
  }

  #anyDestMatch(p: Uint8Array): boolean {
    if (this.#anyDestSockets === 0 || p[9] !== PROTO_UDP) return false;
    const hl = (p[0] & 0x0f) * 4;
    if (p.length < hl + 8 || isLaterFragment(p)) return false;
    const list = this.#udp.get((p[hl + 2] << 8) | p[hl + 3]);
    return list?.some((s) => s.anyDestination) === true;
  }

  /** After the header checks: defrag + prerouting (when hooks exist), route input, local or forward. */
  #ipInput(pkt: Uint8Array, inIf: IpInterface, l2host: boolean): void {
    let p: Uint8Array | null = pkt;
    let fragMax = 0;
    if (this.#hookCount !== 0) {
      if (isFragment(p)) {
        p = this.#reasm.add(p);
        if (p === null) return;
        fragMax = this.#reasm.lastMaxSize;
      }
      if (this.#pre.hooks.length !== 0) {
        p = this.#pre.run(p, inIf, null);
        if (p === null) return;
      }
    }
    const dst = readIpv4(p, 16);
    if (this.#isLocalDst(dst)) {
      this.#localDeliver(p, inIf, l2host);
      return;
    }
    if (this.#anyDestMatch(p)) {
      this.#localDeliver(p, inIf, l2host);
      return;
    }
    if (isMulticastIpv4(dst)) {
      this.stats.drop("multicast-not-member");
      return;
    }
    if (!this.forwarding) {
      // ip_route_input_slow: no forwarding → -EHOSTUNREACH → ip_error counts InAddrErrors, sends nothing.
      this.stats.ip.InAddrErrors++;
      return;
    }
    if (!l2host) {
      this.stats.drop("forward-not-host"); // ip_forward: pkt_type != PACKET_HOST
      return;
    }
    this.#forward(p, 0, p.length, inIf, fragMax);
  }

  /**
   * ip_forward + ip_forward_finish for the packet at `buf[off .. off + tot)` (a received frame, or a
   * whole packet at offset 0). The received bytes are never written: the packet is copied once into
   * the outgoing frame, where the TTL is decremented with an RFC 1624 checksum update.
   */
  #forward(buf: Uint8Array, off: number, tot: number, inIf: IpInterface, fragMax: number): void {
    const mib = this.stats.ip;
    const dst = readIpv4(buf, off + 16);
    const r = this.#routes.lookup(dst);
    if (r === null) {
      mib.InNoRoutes++;
      this.#icmpError(buf.subarray(off, off + tot), 3, 0, 0, true);
      return;
    }
    const outIf = r.iface;
    const ttl = buf[off + 8];
    if (ttl <= 1) {
      mib.InHdrErrors++;
      this.#icmpError(buf.subarray(off, off + tot), 11, 0, 0, true);
      return;
    }
    // /proc/net/snmp ForwDatagrams is IPSTATS_MIB_INFORWDATAGRAMS in Linux 6.x: counted here, after the
    // TTL check and before the MTU check and the forward hook (measured against Linux 6.18).
    mib.ForwDatagrams++;
    const mtu = outIf.mtu;
    // ip_exceeds_mtu: DF set and too big (a datagram reassembled here from fragments that each fit
    // the MTU may be refragmented).
    if (tot > mtu && (buf[off + 6] & 0x40) !== 0 && !(fragMax > 0 && fragMax <= mtu)) {
      mib.FragFails++;
      this.#icmpError(buf.subarray(off, off + tot), 3, 4, mtu, true);
      return;
    }
    const head = outIf.pointToPoint ? 0 : ETH_HLEN;
    let frame: Uint8Array | null = allocPacket(head + tot);
    if (head === off && buf.length === off + tot) frame.set(buf);
    else frame.set(off === 0 && buf.length === tot ? buf : buf.subarray(off, off + tot), head);
    const proto = frame[head + 9];
    frame[head + 8] = ttl - 1;
    const c = checksumAdjust16(
      (frame[head + 10] << 8) | frame[head + 11],
      (ttl << 8) | proto,
      ((ttl - 1) << 8) | proto,
    );
    frame[head + 10] = c >>> 8;
    frame[head + 11] = c & 0xff;
    const nextHop = r.via ?? dst;
    // ip_forward_options: Record Route gets the route's preferred source (fib_result_prefsrc).
    if ((frame[head] & 0x0f) > 5) {
      forwardOptions(
        frame,
        head,
        r.src ?? outIf.selectSource(nextHop) ?? outIf.primaryAddress ?? (0 as Ipv4),
      );
    }
    if (this.#fwd.hooks.length === 0 && this.#post.hooks.length === 0 && tot <= mtu && fragMax === 0) {
      if (!outIf.carrier) {
        mib.OutDiscards++;
        this.stats.drop("carrier-down");
        return;
      }
      this.#linkOutput(frame, outIf, nextHop, false, null);
      return;
    }
    let out: Uint8Array = head === 0 ? frame : frame.subarray(head);
    if (this.#fwd.hooks.length !== 0) {
      const q = this.#fwd.run(out, inIf, outIf);
      if (q === null) return;
      if (q !== out) {
        out = q;
        frame = null;
      }
    }
    if (this.#post.hooks.length !== 0) {
      const q = this.#post.run(out, null, outIf);
      if (q === null) return;
      if (q !== out) {
        out = q;
        frame = null;
      }
    }
    if (frame !== null)
      this.#finishOutput(frame, head, true, outIf, nextHop, false, null, fragMax, true, mtu);
    else this.#finishOutput(out, 0, false, outIf, nextHop, false, null, fragMax, true, mtu);
  }

  /** A looped-back packet: prerouting and input with no interface, then local delivery. */
  #loopbackInput(pkt: Uint8Array): void {
    this.stats.ip.InReceives++;
    let p: Uint8Array | null = pkt;
    if (this.#pre.hooks.length !== 0) {
      p = this.#pre.run(p, null, null);
      if (p === null) return;
    }
    const prev = this.#rxFrame;
    this.#rxFrame = null;
    this.#localDeliver(p, null, true);
    this.#rxFrame = prev;
  }

  /** ip_local_deliver: defrag, input hooks, then the protocol. */
  #localDeliver(pkt: Uint8Array, inIf: IpInterface | null, l2host: boolean): void {
    let p: Uint8Array | null = pkt;
    if (isFragment(p)) {
      p = this.#reasm.add(p);
      if (p === null) return;
    }
    if (this.#input.hooks.length !== 0) {
      p = this.#input.run(p, inIf, null);
      if (p === null) return;
    }
    const dst = readIpv4(p, 16);
    // RTCF_BROADCAST / RTCF_MULTICAST: decided on the IP destination (the link-layer type only stops
    // ICMP errors).
    const bcast = dst === IPV4_BROADCAST || dst === 0 || this.#bcast.has(dst) || isMulticastIpv4(dst);
    const proto = p[9];
    const hl = (p[0] & 0x0f) * 4;
    if (proto === PROTO_UDP) {
      this.stats.ip.InDelivers++;
      this.#udpRcv(p, 0, hl, p.length, inIf, bcast, l2host, this.#local.has(dst));
    } else if (proto === PROTO_ICMP) {
      this.stats.ip.InDelivers++;
      this.#icmpRcv(p, hl, inIf, bcast);
    } else {
      const h = this.#raw.get(proto);
      if (h !== undefined) {
        this.stats.ip.InDelivers++;
        h(p, inIf);
      } else if (proto === PROTO_TCP) {
        // No TCP here: every port is closed, and Linux's TCP answers with a reset.
        this.stats.ip.InDelivers++;
        if (!bcast && l2host) this.#tcpReset(p, hl);
      } else {
        this.stats.ip.InUnknownProtos++;
        if (!bcast) this.#icmpError(p, 3, 2, 0, l2host);
      }
    }
  }

  /**
   * udp_rcv for the IPv4 packet at `b[off .. off + tot)` (header length `hl`): length and checksum
   * checks, then delivery to the matching socket(s).
   */
  #udpRcv(
    b: Uint8Array,
    off: number,
    hl: number,
    tot: number,
    inIf: IpInterface | null,
    bcast: boolean,
    l2host: boolean,
    local: boolean,
  ): void {
    const mib = this.stats.udp;
    const u = off + hl;
    const avail = tot - hl;
    const ulen = avail >= 8 ? (b[u + 4] << 8) | b[u + 5] : 0;
    if (avail < 8 || ulen < 8 || ulen > avail) {
      mib.InErrors++;
      return;
    }
    const src = readIpv4(b, off + 12);
    const dst = readIpv4(b, off + 16);
    if ((b[u + 6] | b[u + 7]) !== 0 && l4ChecksumAt(b, u, ulen, src, dst, PROTO_UDP) !== 0) {
      mib.InCsumErrors++;
      mib.InErrors++;
      return;
    }
    const sport = (b[u] << 8) | b[u + 1];
    const dport = (b[u + 2] << 8) | b[u + 3];
    let list = this.#udpLastList;
    if (dport !== this.#udpLastPort) {
      list = this.#udp.get(dport);
      if (list !== undefined) {
        this.#udpLastPort = dport;
        this.#udpLastList = list;
      }
    }
    const iface = inIf ?? this.#local.get(dst) ?? this.#ifaces[0];
    const frame = this.#rxFrame;
    const ttl = b[off + 8];
    if (bcast) {
      // __udp4_lib_mcast_deliver: every socket on the port bound to the wildcard or the destination.
      let n = 0;
      if (list !== undefined) {
        for (const s of [...list]) {
          if (s.localAddress !== 0 && s.localAddress !== dst) continue;
          if (s.iface !== null && s.iface !== inIf) continue;
          n++;
          mib.InDatagrams++;
          s.handler?.(new RxUdpMessage(b, u + 8, ulen - 8, src, sport, dst, dport, iface, ttl, frame));
        }
      }
      if (n === 0) mib.IgnoredMulti++;
      return;
    }
    let best: UdpSocket | null = null;
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        if (s.iface !== null && s.iface !== inIf) continue;
        if (!local && !s.anyDestination) continue;
        if (s.localAddress === dst) {
          best = s;
          break;
        }
        if (s.localAddress === 0 && best === null) best = s;
      }
    }
    if (best === null) {
      mib.NoPorts++;
      this.#icmpError(off === 0 && tot === b.length ? b : b.subarray(off, off + tot), 3, 3, 0, l2host);
      return;
    }
    mib.InDatagrams++;
    const h = best.handler;
    if (h !== null) h(new RxUdpMessage(b, u + 8, ulen - 8, src, sport, dst, dport, iface, ttl, frame));
  }

  #icmpRcv(p: Uint8Array, hl: number, inIf: IpInterface | null, bcast: boolean): void {
    const mib = this.stats.icmp;
    mib.InMsgs++;
    const len = p.length - hl;
    if (len < 8) {
      mib.InErrors++;
      return;
    }
    if (sumAt(p, hl, len) !== 0xffff) {
      mib.InCsumErrors++;
      mib.InErrors++;
      return;
    }
    const type = p[hl];
    countIcmpIn(mib, type);
    if (bcast) {
      // icmp_echo_ignore_broadcasts = 1; other types to a broadcast are errors too.
      mib.InErrors++;
      return;
    }
    const src = readIpv4(p, 12);
    switch (type) {
      case 8:
        this.#echoReply(p, hl, inIf);
        return;
      case 0: {
        const id = (p[hl + 4] << 8) | p[hl + 5];
        const sock = this.#echo.get(id);
        if (sock?.replyHandler) {
          const data = p.subarray(hl + 8);
          sock.replyHandler({
            from: src,
            seq: (p[hl + 6] << 8) | p[hl + 7],
            ttl: p[8],
            size: data.length,
            data,
          });
        }
        return;
      }
      case 3:
      case 4:
      case 11:
      case 12:
        this.#icmpErrorRcv(p, hl, type, src);
        return;
      default:
        return;
    }
  }

  /** icmp_echo → icmp_reply: same id/seq/data, TOS kept, source = the address pinged. */
  #echoReply(p: Uint8Array, hl: number, inIf: IpInterface | null): void {
    const src = readIpv4(p, 12);
    const dst = readIpv4(p, 16);
    const route = this.#routeOutput(src);
    if (route === null) {
      this.stats.ip.OutNoRoutes++;
      return;
    }
    const icmpLen = p.length - hl;
    const tot = 20 + icmpLen;
    const head = route.iface !== null && !route.iface.pointToPoint ? ETH_HLEN : 0;
    const buf = allocPacket(head + tot);
    const from = this.#local.has(dst) ? dst : (inIf?.primaryAddress ?? this.#selectSource(route, src));
    writeIpv4Header(buf, head, p[1], tot, this.#nextId(false), false, this.defaultTtl, PROTO_ICMP, from, src);
    const o = head + 20;
    buf.set(p.subarray(hl), o);
    buf[o] = 0;
    buf[o + 1] = 0;
    buf[o + 2] = 0;
    buf[o + 3] = 0;
    const c = ~sumAt(buf, o, icmpLen) & 0xffff;
    buf[o + 2] = c >>> 8;
    buf[o + 3] = c & 0xff;
    countIcmpOut(this.stats.icmp, 0);
    this.#localOut(buf, head, true, route, undefined, null, true);
  }

  /** icmp_unreach & co.: PMTU update, then the error to the socket that sent the quoted datagram. */
  #icmpErrorRcv(p: Uint8Array, hl: number, type: number, from: Ipv4): void {
    const q = hl + 8;
    if (p.length < q + 20) {
      this.stats.icmp.InErrors++;
      return;
    }
    const qhl = (p[q] & 0x0f) * 4;
    if (qhl < 20 || p.length < q + qhl + 8) {
      this.stats.icmp.InErrors++;
      return;
    }
    const code = p[hl + 1];
    const qsrc = readIpv4(p, q + 12);
    const qdst = readIpv4(p, q + 16);
    const qproto = p[q + 9];
    let mtu: number | undefined;
    if (type === 3 && code === 4) {
      mtu = (p[hl + 6] << 8) | p[hl + 7];
      this.#updatePmtu(qdst, mtu);
    }
    if (!this.#local.has(qsrc)) return;
    const l4 = q + qhl;
    if (qproto === PROTO_UDP) {
      const sport = (p[l4] << 8) | p[l4 + 1];
      const dport = (p[l4 + 2] << 8) | p[l4 + 3];
      const list = this.#udp.get(sport);
      if (list === undefined) return;
      const sock = list.find((s) => s.localAddress === 0 || s.localAddress === qsrc);
      const info: IcmpErrorInfo =
        mtu === undefined
          ? { from, type, code, dst: qdst, dstPort: dport }
          : { from, type, code, dst: qdst, dstPort: dport, mtu };
      sock?.errorHandler?.(info);
    } else if (qproto === PROTO_ICMP && p[l4] === 8) {
      const id = (p[l4 + 4] << 8) | p[l4 + 5];
      const seq = (p[l4 + 6] << 8) | p[l4 + 7];
      const sock = this.#echo.get(id);
      const info: IcmpErrorInfo =
        mtu === undefined ? { from, type, code, dst: qdst, seq } : { from, type, code, dst: qdst, seq, mtu };
      sock?.errorHandler?.(info);
    }
  }

  /** __ip_rt_update_pmtu: a learned path MTU for `dst`, kept 10 minutes (ip_rt_mtu_expires). */
  #updatePmtu(dst: Ipv4, mtu: number): void {
    const r = this.#routes.lookup(dst);
    if (r === null) return;
    const devMtu = r.iface.mtu;
    let m = mtu;
    if (m >= devMtu || m === 0) return;
    if (m < MIN_PMTU) m = Math.min(devMtu, MIN_PMTU);
    const cur = this.#pmtu.get(dst);
    if (cur !== undefined && cur.expires > this.sim.now && cur.mtu <= m) return;
    this.#pmtu.set(dst, { mtu: m, expires: this.sim.now + PMTU_EXPIRES });
  }

  /** The path MTU learned for `dst` (null when none is cached). */
  pathMtu(dst: Ipv4): number | null {
    const p = this.#pmtu.get(dst);
    return p !== undefined && p.expires > this.sim.now ? p.mtu : null;
  }

  // ---------------------------------------------------------------------------------------------
  // ARP

  /** arp_process (arp_ignore 0, arp_accept 0, no proxy ARP). */
  #arpRcv(iface: IpInterface, f: Uint8Array, l2host: boolean): void {
    if (f.length < ETH_HLEN + 28) {
      this.stats.drop("arp-malformed");
      return;
    }
    const o = ETH_HLEN;
    if (
      f[o] !== 0 ||
      f[o + 1] !== 1 ||
      f[o + 2] !== 0x08 ||
      f[o + 3] !== 0 ||
      f[o + 4] !== 6 ||
      f[o + 5] !== 4
    ) {
      this.stats.drop("arp-unsupported");
      return;
    }
    const op = (f[o + 6] << 8) | f[o + 7];
    if (op !== 1 && op !== 2) {
      this.stats.drop("arp-unsupported");
      return;
    }
    const sha = readMac(f, o + 8);
    const sip = readIpv4(f, o + 14);
    const tha = readMac(f, o + 18);
    const tip = readIpv4(f, o + 24);
    if (isMulticastIpv4(tip) || isLoopbackIpv4(tip) || isMulticastMac(sha)) {
      this.stats.drop("arp-invalid");
      return;
    }
    const neigh = iface.neigh as NeighbourTable;
    if (sip === 0) {
      // RFC 2131 / RFC 5227 duplicate address detection probe.
      if (op === 1 && this.#local.has(tip)) this.#arpSend(iface, 2, sha, tip, sha, sip);
      return;
    }
    if (op === 1 && this.#local.has(tip)) {
      if (this.#local.has(sip)) return; // a conflicting claim of our own address: not learned
      neigh.update(sip, sha, false, true, false);
      this.#arpSend(iface, 2, sha, tip, sha, sip);
      return;
    }
    const garp = sip === tip && (op === 1 || tha === sha);
    neigh.update(sip, sha, op === 2 && l2host, false, garp);
  }

  /** Builds and sends a 42-byte ARP frame (Linux sends it unpadded; NICs pad). */
  #arpSend(iface: IpInterface, op: number, ethDst: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): void {
    const f = allocPacket(ETH_HLEN + 28);
    writeMac(f, 0, ethDst);
    writeMac(f, 6, iface.mac as Mac);
    f[12] = ETH_P_ARP >>> 8;
    f[13] = ETH_P_ARP & 0xff;
    const o = ETH_HLEN;
    f[o + 1] = 1;
    f[o + 2] = 0x08;
    f[o + 4] = 6;
    f[o + 5] = 4;
    f[o + 7] = op;
    writeMac(f, o + 8, iface.mac as Mac);
    writeIpv4(f, o + 14, spa);
    writeMac(f, o + 18, tha);
    writeIpv4(f, o + 24, tpa);
    if (!iface.carrier) {
      this.stats.drop("carrier-down");
      return;
    }
    iface.device.send(f);
  }

  /** arp_solicit: sender IP = the queued packet's source when local (arp_announce 0), else the interface's. */
  #arpSolicit(iface: IpInterface, target: Ipv4, unicastTo: Mac | null, srcHint: Ipv4): void {
    const spa = this.#local.has(srcHint) ? srcHint : (iface.selectSource(target) ?? (0 as Ipv4));
    this.#arpSend(iface, 1, unicastTo ?? MAC_BROADCAST, spa, 0 as Mac, target);
  }

  /** @internal A gratuitous ARP request for `addr` (sender = target = addr, broadcast). */
  _gratuitousArp(iface: IpInterface, addr: Ipv4): void {
    this.#arpSend(iface, 1, MAC_BROADCAST, addr, 0 as Mac, addr);
  }
}

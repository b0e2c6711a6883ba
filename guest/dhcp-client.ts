import {
  IpConfigError,
  type IpInterface,
  type IpStack,
  type UdpMessage,
  type UdpSocket,
} from "../ip/index.js";
import type { Timer } from "../sim/simulator.js";
import type { SimTime } from "../sim/time.js";
import { formatIpv4, type Ipv4, type Mac } from "../wire/addr.js";
import {
  BootpOp,
  buildDhcp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type DhcpOptionItem,
  type DhcpOptions,
  type DhcpRepr,
  decodeDhcp,
  dhcpClientMac,
  dhcpOption,
  dhcpOptions,
  encodeDhcp,
  DhcpOptionCode as O,
  DhcpMessageType as T,
} from "../wire/dhcp.js";
import { WireError } from "../wire/errors.js";
import type { GuestApp } from "./app.js";

/**
 * A DHCPv4 client for one interface, behaving like systemd-networkd's (sd-dhcp-client) within RFC 2131:
 *
 * - INIT: DISCOVER broadcast from 0.0.0.0 at once, retransmitted after 4, 8, 16, 32, 64, 64 … s, each
 *   ±1 s random (RFC 2131 §4.1, sd-dhcp-client's timeout), with the previous address as option 50.
 * - SELECTING: the first valid OFFER is taken; REQUEST broadcast with options 50 and 54, same xid,
 *   retransmitted with the same backoff; after 5 REQUESTs without an answer, back to INIT.
 * - BOUND on ACK: the address (mask from option 1) goes on the interface, a default route via option 3
 *   (`proto dhcp metric 1024`, networkd's), `stack.dnsServers` from option 6 and `stack.searchDomain`
 *   from option 15. Lease times count from the REQUEST's send time (RFC 2131 §4.4.1); T1/T2 from options
 *   58/59, else 1/2 and 7/8 of the lease. No ARP probe of the offered address (optional in RFC 2131).
 * - T1: RENEWING, REQUEST unicast to the server (ciaddr set), retransmitted after half the time left
 *   to T2, at least 60 s (RFC 2131 §4.4.5). T2: REBINDING, the same broadcast until the lease ends.
 * - Lease end: the address, route and DNS servers go; INIT again.
 * - DHCPNAK: unconfigure, INIT again after a delay doubling from 1 s to 30 min (networkd's restart delay).
 * - `release()`: RELEASE unicast to the server, unconfigure, stop. `stop()` pauses (guest stopped);
 *   `start()` again with an unexpired lease goes through INIT-REBOOT (REQUEST broadcast with option 50
 *   only, 2 tries) before falling back to INIT.
 * Random draws (xid, jitter) come from `sim.rng("dhcp:<guest>:<iface>:xid")` and `…:jitter`.
 */

export type DhcpClientState =
  | "init"
  | "selecting"
  | "requesting"
  | "bound"
  | "renewing"
  | "rebinding"
  | "rebooting"
  | "released"
  | "stopped";

export interface DhcpClientLease {
  readonly ip: Ipv4;
  readonly prefixLength: number;
  readonly mask: Ipv4;
  readonly router: Ipv4 | null;
  readonly dns: readonly Ipv4[];
  readonly domain: string | null;
  /** Lease time in ns. */
  readonly leaseTime: SimTime;
  /** Simulated times (ns) of T1, T2 and the lease end. */
  readonly t1: SimTime;
  readonly t2: SimTime;
  readonly expires: SimTime;
  /** Option 54. */
  readonly server: Ipv4;
  /** When the lease was (last) acknowledged. */
  readonly obtained: SimTime;
}

export type DhcpClientEventType =
  | "discover"
  | "offer"
  | "request"
  | "bound"
  | "renewed"
  | "rebound"
  | "nak"
  | "expired"
  | "released";

export interface DhcpClientEvent {
  readonly time: SimTime;
  readonly type: DhcpClientEventType;
  readonly ip: Ipv4 | null;
  readonly server: Ipv4 | null;
  /** Option 56 of a NAK. */
  readonly message?: string;
}

export interface DhcpClientStats {
  discovers: number;
  requests: number;
  offers: number;
  acks: number;
  naks: number;
  releases: number;
  renewals: number;
  rebinds: number;
  expiries: number;
  /** Replies for other transactions or clients, unexpected types. */
  ignored: number;
  malformed: number;
  /** Routers (option 3) the stack refused as gateway (not on the leased subnet). */
  routeErrors: number;
}

export interface DhcpClientOptions {
  /** Option 12 (default: the guest's name when it is a valid host name). */
  readonly hostname?: string | null;
  /** Begin at once (default true). */
  readonly start?: boolean;
  /** Route metric of the default route (1024, systemd-networkd). */
  readonly routeMetric?: number;
}

const SECOND = 1_000_000_000;
const BROADCAST = 0xffff_ffff as Ipv4;
const ZERO = 0 as Ipv4;
const INFINITE = 0xffff_ffff;
const MAX_REQUESTS = 5;
const MAX_REBOOT_REQUESTS = 2;
const RESTART_MIN = SECOND;
const RESTART_MAX = 1800 * SECOND;
const PARAMETERS = [
  O.SubnetMask,
  O.Router,
  O.DnsServers,
  O.Hostname,
  O.DomainName,
  O.BroadcastAddress,
  O.LeaseTime,
  O.ServerId,
  O.RenewalTime,
  O.RebindingTime,
];

function classfulPrefix(ip: Ipv4): number {
  const a = ip >>> 24;
  return a < 128 ? 8 : a < 192 ? 16 : 24;
}

function maskToPrefix(mask: Ipv4): number | null {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return null; // not contiguous
  return 32 - Math.log2(inv + 1);
}

export class DhcpClient implements GuestApp {
  readonly stack: IpStack;
  readonly iface: IpInterface;
  readonly mac: Mac;
  readonly hostname: string | null;
  readonly routeMetric: number;
  readonly stats: DhcpClientStats = {
    discovers: 0,
    requests: 0,
    offers: 0,
    acks: 0,
    naks: 0,
    releases: 0,
    renewals: 0,
    rebinds: 0,
    expiries: 0,
    ignored: 0,
    malformed: 0,
    routeErrors: 0,
  };
  readonly #rngName: string;
  readonly #events: DhcpClientEvent[] = [];
  #handlers: ((e: DhcpClientEvent) => void)[] = [];
  #state: DhcpClientState = "stopped";
  #sock: UdpSocket | null = null;
  #timer: Timer | null = null;
  #leaseTimers: Timer[] = [];
  #xid = 0;
  #attempt = 0;
  #acquireStart: SimTime = 0;
  #requestSent: SimTime = 0;
  #offer: { ip: Ipv4; server: Ipv4 } | null = null;
  #lease: DhcpClientLease | null = null;
  /** The address configured on the interface by us (to remove it later). */
  #configured: { ip: Ipv4; prefixLength: number; router: Ipv4 | null } | null = null;
  #previous: Ipv4 | null = null;
  #restartDelay = 0;

  constructor(stack: IpStack, iface: IpInterface, guestName: string, opts: DhcpClientOptions = {}) {
    if (iface.mac === null) throw new Error(`dhcp: interface ${iface.name} has no MAC (point-to-point)`);
    this.stack = stack;
    this.iface = iface;
    this.mac = iface.mac;
    const h = opts.hostname === undefined ? guestName : opts.hostname;
    this.hostname = h !== null && /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(h) ? h : null;
    this.routeMetric = opts.routeMetric ?? 1024;
    this.#rngName = `dhcp:${guestName}:${iface.name}`;
    if (opts.start ?? true) this.start();
  }

  get state(): DhcpClientState {
    return this.#state;
  }

  /** The current lease (bound, renewing or rebinding), or null. */
  lease(): DhcpClientLease | null {
    return this.#lease;
  }

  /** Everything that happened, in order. */
  get events(): readonly DhcpClientEvent[] {
    return this.#events;
  }

  onEvent(h: (e: DhcpClientEvent) => void): () => void {
    this.#handlers.push(h);
    return () => {
      this.#handlers = this.#handlers.filter((x) => x !== h);
    };
  }

  /** Starts (or resumes after stop()) acquiring: INIT-REBOOT with an unexpired lease, else INIT. */
  start(): void {
    if (this.#state !== "stopped" && this.#state !== "released") return;
    this.#open();
    const l = this.#lease;
    if (l !== null && l.expires > this.stack.sim.now) {
      // The address stays in use until the lease ends, whatever the INIT-REBOOT exchange gives.
      this.#leaseTimers = [this.stack.sim.at(l.expires, () => this.#onLeaseEnd())];
      this.#reboot();
    } else {
      if (l !== null) this.#expire();
      this.#init(0);
    }
  }

  /** Pauses (the guest stopped): timers cancelled, the lease and the configured address kept. */
  stop(): void {
    if (this.#state === "stopped" || this.#state === "released") return;
    this.#cancelTimers();
    this.#closeSocket();
    this.#state = "stopped";
  }

  halt(): void {
    this.stop();
  }

  /** Sends a RELEASE for the current lease, removes the configuration and stops. */
  release(): void {
    const l = this.#lease;
    if (l !== null && this.#sock !== null) {
      this.#xid = this.#newXid();
      const m = this.#message(T.Release, {
        ciaddr: l.ip,
        options: [dhcpOption.serverId(l.server)],
        withParams: false,
      });
      this.#sock.sendTo(encodeDhcp(m), l.server, DHCP_SERVER_PORT, { src: l.ip });
      this.stats.releases++;
      this.#emit("released", l.ip, l.server);
    }
    this.#cancelTimers();
    this.#unconfigure();
    this.#lease = null;
    this.#previous = null;
    this.#closeSocket();
    this.#state = "released";
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing.

  #open(): void {
    if (this.#sock !== null) return;
    const s = this.stack.udpBind({
      port: DHCP_CLIENT_PORT,
      iface: this.iface,
      anyDestination: true,
      broadcast: true,
    });
    s.onMessage((m) => this.#onMessage(m));
    this.#sock = s;
  }

  #closeSocket(): void {
    this.#sock?.close();
    this.#sock = null;
  }

  #cancelTimers(): void {
    this.#timer?.cancel();
    this.#timer = null;
    for (const t of this.#leaseTimers) t.cancel();
    this.#leaseTimers = [];
  }

  #newXid(): number {
    return this.stack.sim.rng(`${this.#rngName}:xid`).u32();
  }

  /** RFC 2131 §4.1 backoff for attempt n (1-based): 2^(n+1) s capped at 64 s, ±1 s. */
  #backoff(attempt: number): SimTime {
    const base = 2 ** Math.min(attempt + 1, 6) * SECOND;
    const jitter = Math.round((this.stack.sim.rng(`${this.#rngName}:jitter`).float() * 2 - 1) * SECOND);
    return base + jitter;
  }

  #emit(type: DhcpClientEventType, ip: Ipv4 | null, server: Ipv4 | null, message?: string): void {
    const e: DhcpClientEvent = {
      time: this.stack.sim.now,
      type,
      ip,
      server,
      ...(message !== undefined ? { message } : {}),
    };
    this.#events.push(e);
    for (const h of this.#handlers) h(e);
  }

  #secs(): number {
    return Math.min(0xffff, Math.floor((this.stack.sim.now - this.#acquireStart) / SECOND));
  }

  #message(
    type: number,
    f: { ciaddr?: Ipv4; options?: DhcpOptionItem[]; withParams?: boolean; secs?: number },
  ): DhcpRepr {
    const options: DhcpOptionItem[] = [dhcpOption.clientIdMac(this.mac)];
    if (f.withParams ?? true) {
      options.push(dhcpOption.maxMessageSize(Math.max(576, this.iface.mtu)));
      options.push(...(f.options ?? []));
      if (this.hostname !== null) options.push(dhcpOption.hostname(this.hostname));
      options.push(dhcpOption.parameterRequestList(PARAMETERS));
    } else options.push(...(f.options ?? []));
    return buildDhcp({
      messageType: type,
      xid: this.#xid,
      chaddr: this.mac,
      op: BootpOp.Request,
      secs: f.secs ?? 0,
      ciaddr: f.ciaddr ?? ZERO,
      options,
    });
  }

  #broadcast(m: DhcpRepr, src: Ipv4 = ZERO): void {
    this.#sock?.sendTo(encodeDhcp(m), BROADCAST, DHCP_SERVER_PORT, { iface: this.iface, src });
  }

  // -------------------------------------------------------------------------------------------
  // States.

  /** INIT (lease timers, if any, keep running: a still-valid address is used until it ends). */
  #init(delay: SimTime): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#state = "init";
    this.#offer = null;
    if (delay > 0) this.#timer = this.stack.sim.schedule(delay, () => this.#startSelecting());
    else this.#startSelecting();
  }

  #startSelecting(): void {
    this.#timer = null;
    this.#state = "selecting";
    this.#xid = this.#newXid();
    this.#acquireStart = this.stack.sim.now;
    this.#attempt = 0;
    this.#sendDiscover();
  }

  #sendDiscover(): void {
    this.#attempt++;
    const opts = this.#previous !== null ? [dhcpOption.requestedIp(this.#previous)] : [];
    this.stats.discovers++;
    this.#broadcast(this.#message(T.Discover, { options: opts, secs: this.#secs() }));
    this.#emit("discover", this.#previous, null);
    this.#timer = this.stack.sim.schedule(this.#backoff(this.#attempt), () => this.#sendDiscover());
  }

  #sendSelectingRequest(): void {
    const o = this.#offer;
    if (o === null) return;
    this.#attempt++;
    if (this.#attempt > MAX_REQUESTS) {
      this.#init(0);
      return;
    }
    this.stats.requests++;
    this.#requestSent = this.stack.sim.now;
    this.#broadcast(
      this.#message(T.Request, {
        options: [dhcpOption.requestedIp(o.ip), dhcpOption.serverId(o.server)],
        secs: this.#secs(),
      }),
    );
    this.#emit("request", o.ip, o.server);
    this.#timer = this.stack.sim.schedule(this.#backoff(this.#attempt), () => this.#sendSelectingRequest());
  }

  #reboot(): void {
    const l = this.#lease as DhcpClientLease;
    this.#state = "rebooting";
    this.#xid = this.#newXid();
    this.#acquireStart = this.stack.sim.now;
    this.#attempt = 0;
    const send = (): void => {
      this.#attempt++;
      if (this.#attempt > MAX_REBOOT_REQUESTS) {
        this.#init(0);
        return;
      }
      this.stats.requests++;
      this.#requestSent = this.stack.sim.now;
      this.#broadcast(
        this.#message(T.Request, { options: [dhcpOption.requestedIp(l.ip)], secs: this.#secs() }),
      );
      this.#emit("request", l.ip, null);
      this.#timer = this.stack.sim.schedule(this.#backoff(this.#attempt), send);
    };
    send();
  }

  #renew(): void {
    const l = this.#lease;
    if (l === null) return;
    if (this.#state === "bound") {
      this.#state = "renewing";
      this.#xid = this.#newXid();
      this.#acquireStart = this.stack.sim.now;
    }
    this.stats.requests++;
    this.#requestSent = this.stack.sim.now;
    const m = this.#message(T.Request, { ciaddr: l.ip, secs: this.#secs() });
    this.#sock?.sendTo(encodeDhcp(m), l.server, DHCP_SERVER_PORT, { src: l.ip });
    this.#emit("request", l.ip, l.server);
    const wait = Math.max(Math.floor((l.t2 - this.stack.sim.now) / 2), 60 * SECOND);
    if (this.stack.sim.now + wait < l.t2) this.#timer = this.stack.sim.schedule(wait, () => this.#renew());
  }

  #rebind(): void {
    const l = this.#lease;
    if (l === null) return;
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#state !== "rebinding") {
      this.#state = "rebinding";
      this.#xid = this.#newXid();
      this.#acquireStart = this.stack.sim.now;
    }
    this.stats.requests++;
    this.#requestSent = this.stack.sim.now;
    this.#broadcast(this.#message(T.Request, { ciaddr: l.ip, secs: this.#secs() }), l.ip);
    this.#emit("request", l.ip, null);
    const wait = Math.max(Math.floor((l.expires - this.stack.sim.now) / 2), 60 * SECOND);
    if (this.stack.sim.now + wait < l.expires)
      this.#timer = this.stack.sim.schedule(wait, () => this.#rebind());
  }

  #onLeaseEnd(): void {
    this.#expire();
    this.#init(0);
  }

  #expire(): void {
    const l = this.#lease;
    this.#cancelTimers();
    this.#unconfigure();
    this.#lease = null;
    if (l !== null) {
      this.stats.expiries++;
      this.#emit("expired", l.ip, l.server);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Receiving.

  #onMessage(m: UdpMessage): void {
    let r: DhcpRepr;
    let o: DhcpOptions;
    let type: number | undefined;
    try {
      r = decodeDhcp(m.data);
      o = dhcpOptions(r);
      type = o.messageType;
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
      return;
    }
    if (r.op !== BootpOp.Reply || r.xid !== this.#xid || dhcpClientMac(r) !== this.mac) {
      this.stats.ignored++;
      return;
    }
    try {
      if (type === T.Offer) this.#onOffer(r, o);
      else if (type === T.Ack) this.#onAck(r, o);
      else if (type === T.Nak) this.#onNak(o);
      else this.stats.ignored++;
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
    }
  }

  #onOffer(r: DhcpRepr, o: DhcpOptions): void {
    const server = o.serverId;
    if (this.#state !== "selecting" || r.yiaddr === ZERO || server === undefined) {
      this.stats.ignored++;
      return;
    }
    this.stats.offers++;
    this.#offer = { ip: r.yiaddr, server };
    this.#emit("offer", r.yiaddr, server);
    this.#timer?.cancel();
    this.#timer = null;
    this.#state = "requesting";
    this.#attempt = 0;
    this.#sendSelectingRequest();
  }

  #onAck(r: DhcpRepr, o: DhcpOptions): void {
    const st = this.#state;
    if (st !== "requesting" && st !== "rebooting" && st !== "renewing" && st !== "rebinding") {
      this.stats.ignored++;
      return;
    }
    const server = o.serverId ?? this.#offer?.server ?? this.#lease?.server;
    if (r.yiaddr === ZERO || server === undefined) {
      this.stats.ignored++;
      return;
    }
    this.stats.acks++;
    const start = this.#requestSent;
    const secs = o.leaseTime ?? 3600;
    const infinite = secs === INFINITE;
    const leaseTime = infinite ? Number.MAX_SAFE_INTEGER : secs * SECOND;
    const t1s = o.renewalTime;
    const t2s = o.rebindingTime;
    const expires = infinite ? Number.MAX_SAFE_INTEGER : start + leaseTime;
    let t2 = infinite
      ? Number.MAX_SAFE_INTEGER
      : t2s !== undefined && t2s < secs
        ? start + t2s * SECOND
        : start + Math.floor((leaseTime * 7) / 8);
    let t1 = infinite
      ? Number.MAX_SAFE_INTEGER
      : t1s !== undefined && t1s < secs
        ? start + t1s * SECOND
        : start + Math.floor(leaseTime / 2);
    if (t2 > expires) t2 = expires;
    if (t1 > t2) t1 = t2;
    const maskOpt = o.subnetMask;
    const prefixLength = (maskOpt !== undefined ? maskToPrefix(maskOpt) : null) ?? classfulPrefix(r.yiaddr);
    const mask = (prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0) as Ipv4;
    const router = o.routers?.[0] ?? null;
    const lease: DhcpClientLease = {
      ip: r.yiaddr,
      prefixLength,
      mask,
      router,
      dns: o.dnsServers ?? [],
      domain: o.domainName?.replace(/\0+$/, "") || null,
      leaseTime,
      t1,
      t2,
      expires,
      server,
      obtained: this.stack.sim.now,
    };
    const previous = this.#lease;
    this.#cancelTimers();
    this.#lease = lease;
    this.#previous = lease.ip;
    this.#configure(lease);
    this.#state = "bound";
    this.#offer = null;
    this.#restartDelay = 0;
    const same = previous !== null && previous.ip === lease.ip;
    this.#emit(
      st === "renewing" && same ? "renewed" : st === "rebinding" && same ? "rebound" : "bound",
      lease.ip,
      server,
    );
    if (st === "renewing") this.stats.renewals++;
    if (st === "rebinding") this.stats.rebinds++;
    if (!infinite) {
      const sim = this.stack.sim;
      this.#leaseTimers = [
        sim.at(Math.max(t1, sim.now), () => this.#renew()),
        sim.at(Math.max(t2, sim.now), () => this.#rebind()),
        sim.at(Math.max(expires, sim.now), () => this.#onLeaseEnd()),
      ];
    }
  }

  #onNak(o: DhcpOptions): void {
    const st = this.#state;
    if (st !== "requesting" && st !== "rebooting" && st !== "renewing" && st !== "rebinding") {
      this.stats.ignored++;
      return;
    }
    this.stats.naks++;
    const l = this.#lease;
    this.#emit("nak", l?.ip ?? this.#offer?.ip ?? null, o.serverId ?? null, o.message);
    this.#cancelTimers();
    this.#unconfigure();
    this.#lease = null;
    this.#previous = null;
    this.#restartDelay = Math.min(Math.max(this.#restartDelay * 2, RESTART_MIN), RESTART_MAX);
    this.#init(this.#restartDelay);
  }

  // -------------------------------------------------------------------------------------------
  // Configuring the stack.

  #configure(l: DhcpClientLease): void {
    const c = this.#configured;
    const changed = c === null || c.ip !== l.ip || c.prefixLength !== l.prefixLength;
    if (changed) {
      this.#unconfigure();
      this.iface.addAddress(`${formatIpv4(l.ip)}/${l.prefixLength}`);
    }
    if (changed || c?.router !== l.router) {
      if (c !== null && c.router !== null && !changed) this.#removeDefault(c.router);
      if (l.router !== null) {
        try {
          this.stack.setDefaultGateway(l.router, this.iface, { metric: this.routeMetric, proto: "dhcp" });
        } catch (e) {
          // A router outside the leased subnet: Linux refuses the route ("Nexthop has invalid gateway").
          if (!(e instanceof IpConfigError)) throw e;
          this.stats.routeErrors++;
        }
      }
    }
    this.#configured = { ip: l.ip, prefixLength: l.prefixLength, router: l.router };
    this.stack.dnsServers = [...l.dns];
    this.stack.searchDomain = l.domain;
  }

  #removeDefault(router: Ipv4): void {
    this.stack.removeRoute("0.0.0.0/0", router);
  }

  #unconfigure(): void {
    const c = this.#configured;
    if (c === null) return;
    if (c.router !== null) this.#removeDefault(c.router);
    this.iface.removeAddress(`${formatIpv4(c.ip)}/${c.prefixLength}`);
    this.#configured = null;
    const l = this.#lease;
    if (l !== null && l.dns.length > 0 && sameList(this.stack.dnsServers, l.dns)) this.stack.dnsServers = [];
    if (l !== null && this.stack.searchDomain === l.domain) this.stack.searchDomain = null;
  }
}

function sameList(a: readonly Ipv4[], b: readonly Ipv4[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

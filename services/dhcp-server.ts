import {
  broadcastOf,
  type Cidr,
  cidrContains,
  type IpInterface,
  type IpStack,
  networkOf,
  parseCidr,
  prefixMask,
  type UdpMessage,
  type UdpSocket,
} from "../ip/index.js";
import type { SimTime } from "../sim/time.js";
import { formatIpv4, formatMac, type Ipv4, type Mac } from "../wire/addr.js";
import {
  BootpOp,
  buildDhcp,
  DHCP_CLIENT_PORT,
  DHCP_FLAG_BROADCAST,
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
import { canonicalName, ServiceConfigError, toIpv4, toMac } from "./config.js";

/**
 * A DHCPv4 server for one interface, modelled on dnsmasq (the server behind libvirt networks; QEMU
 * slirp's and VirtualBox's built-in servers behave alike for what a guest sees): RFC 2131 message
 * handling, dnsmasq's address choice, its DHCPNAK reasons and its option order.
 *
 * Address choice for a DISCOVER (dnsmasq `rfc2131.c`): the client's reservation (`dhcp-host`), else the
 * address of its previous lease if still free, else the requested address (option 50) if free and in
 * the pool, else a free address of the pool found by `allocation`: "mac-hash" is dnsmasq's
 * (`address_allocate`: an sdbm-style hash of the hardware address picks the start, then the next free
 * address upward, wrapping), measured against dnsmasq 2.90 in test/fidelity/dhcp.test.ts; "lowest"
 * (the default) is the lowest free address, what QEMU slirp and VirtualBox hand out. An offered
 * address is held for `offerHold` (60 s, vnet's: dnsmasq holds nothing, but its hashed start makes
 * two simultaneous DISCOVERs rarely collide, and lowest-free would always collide). dnsmasq's ICMP
 * probe of a new address before offering it is not modelled (docs/fidelity.md, dhcp-no-ping-check).
 *
 * Replies are sent as dnsmasq's socket sends them: TOS 0xc0 (IPTOS_CLASS_CS6), DF clear
 * (IP_PMTUDISC_DONT), siaddr = the server's address; option 12 in an OFFER only for a reservation's
 * name, in an ACK the lease's name (the client's own included). A reply to ciaddr goes to chaddr
 * without ARP, as a reply to yiaddr does (dnsmasq: no ARP on the wire before either).
 *
 * REQUEST handling follows dnsmasq with `dhcp-authoritative` (libvirt's configuration): SELECTING
 * (server id present) for another server drops our offer silently; INIT-REBOOT and RENEWING/REBINDING
 * without a lease here are granted when the address is free; DHCPNAK reasons are dnsmasq's texts
 * (option 56): "wrong network", "wrong address", "lease not found", "address not available", "static
 * lease available", "address reserved", "address in use". A NAK is broadcast.
 *
 * Lease time: the configured time (default 1 h, dnsmasq's), or the client's shorter request (at least
 * 120 s, dnsmasq `calc_time`); T1 = 1/2, T2 = 7/8 of it (dnsmasq, without its renewal fuzz). Leases
 * expire on simulated time, evaluated lazily (no timers: the server never keeps `sim.run()` alive).
 * DECLINE makes the address unusable for 600 s (dnsmasq DECLINE_BACKOFF); RELEASE frees it.
 *
 * Replies go out per RFC 2131 §4.1: to ciaddr when set (renew, inform), broadcast when the client set
 * the broadcast flag (and for NAKs), otherwise unicast to yiaddr at chaddr without ARP.
 */

export type DhcpLeaseState = "offered" | "bound" | "released" | "expired";

export interface DhcpLease {
  readonly mac: Mac;
  readonly ip: Ipv4;
  /** The client's host name (option 12, sanitised), or the reservation's; null if none. */
  readonly hostname: string | null;
  /** Option 61 as colon-separated hex (dnsmasq.leases' last column), null if the client sent none. */
  readonly clientId: string | null;
  /** Simulated time (ns) the offer or lease ends. */
  readonly expires: SimTime;
  readonly state: DhcpLeaseState;
}

export interface DhcpReservation {
  readonly mac: Mac | string;
  readonly ip: Ipv4 | string;
  readonly hostname?: string;
}

export interface DhcpServerOptions {
  readonly pool: { readonly start: Ipv4 | string; readonly end: Ipv4 | string };
  /** The served subnet: REQUESTs for addresses outside it are NAKed ("wrong network"). */
  readonly subnet: Cidr | string;
  /** Option 54 and the source of replies; default the interface's primary address (read per message). */
  readonly serverAddress?: Ipv4 | string;
  /** Option 3 (null or absent: none, as VirtualBox host-only networks). */
  readonly router?: Ipv4 | string | null;
  /** Option 6. */
  readonly dns?: readonly (Ipv4 | string)[];
  /** Option 15. */
  readonly domain?: string;
  /** Lease time in ns (default 1 h, dnsmasq's default). */
  readonly leaseTime?: SimTime;
  readonly reservations?: readonly DhcpReservation[];
  /** How long an offered address is held for the client (default 60 s). */
  readonly offerHold?: SimTime;
  /** A new client's address: "lowest" free (default; slirp, VirtualBox) or dnsmasq's "mac-hash". */
  readonly allocation?: DhcpAllocation;
}

/** How a DHCP server picks a new client's address (see DhcpServer). */
export type DhcpAllocation = "lowest" | "mac-hash";

export interface DhcpServerStats {
  discovers: number;
  offers: number;
  requests: number;
  acks: number;
  naks: number;
  declines: number;
  releases: number;
  informs: number;
  /** DISCOVERs that got no offer because the pool had no free address (dnsmasq "no address available"). */
  noAddress: number;
  /** Messages that failed to parse (bad length, missing End, bad option values). */
  malformed: number;
  /** Well-formed messages not for us (replies, no option 53, other hardware, another server chosen). */
  ignored: number;
  /** Replies the stack refused to send (no address, interface down). */
  sendFailures: number;
}

interface LeaseRecord {
  mac: Mac;
  ip: Ipv4;
  hostname: string | null;
  clientId: string | null;
  expires: SimTime;
  state: DhcpLeaseState;
}

const HOUR = 3_600_000_000_000;
const DECLINE_BACKOFF = 600_000_000_000;
const MIN_LEASE_SECONDS = 120;
const BROADCAST = 0xffff_ffff as Ipv4;
const ZERO = 0 as Ipv4;

/** dnsmasq keeps host names that are valid DNS labels; anything else is dropped. */
function sanitiseHostname(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const first = raw.split(".")[0].replace(/\0+$/, "");
  return /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(first) ? first : null;
}

/**
 * dnsmasq's start in the pool for a hardware address: for each byte, h = byte + (h << 6) + (h << 16) - h
 * in 32 bits (the sdbm hash); the address is the pool start plus h modulo the pool size.
 */
function macHash(mac: Mac): number {
  let h = 0;
  let m = mac as number;
  const bytes: number[] = [];
  for (let i = 0; i < 6; i++) {
    bytes.unshift(m % 256);
    m = Math.floor(m / 256);
  }
  for (const b of bytes) h = (b + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

function hexId(b: Uint8Array | undefined): string | null {
  if (b === undefined) return null;
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}

export class DhcpServer {
  readonly stack: IpStack;
  readonly iface: IpInterface;
  readonly subnet: Cidr;
  readonly poolStart: Ipv4;
  readonly poolEnd: Ipv4;
  readonly router: Ipv4 | null;
  readonly dns: readonly Ipv4[];
  readonly domain: string | null;
  readonly leaseTime: SimTime;
  readonly offerHold: SimTime;
  readonly allocation: DhcpAllocation;
  readonly stats: DhcpServerStats = {
    discovers: 0,
    offers: 0,
    requests: 0,
    acks: 0,
    naks: 0,
    declines: 0,
    releases: 0,
    informs: 0,
    noAddress: 0,
    malformed: 0,
    ignored: 0,
    sendFailures: 0,
  };
  readonly #configuredServer: Ipv4 | null;
  readonly #netmask: Ipv4;
  readonly #network: Ipv4;
  readonly #broadcast: Ipv4;
  readonly #reservations = new Map<Mac, { ip: Ipv4; hostname: string | null }>();
  readonly #reservedIps = new Map<Ipv4, Mac>();
  /** One record per client MAC, in first-seen order. */
  readonly #leases = new Map<Mac, LeaseRecord>();
  readonly #declined = new Map<Ipv4, SimTime>();
  #socket: UdpSocket | null;

  constructor(stack: IpStack, iface: IpInterface, opts: DhcpServerOptions) {
    this.stack = stack;
    this.iface = iface;
    this.subnet = typeof opts.subnet === "string" ? parseCidr(opts.subnet) : opts.subnet;
    this.#netmask = prefixMask(this.subnet.prefixLength) as Ipv4;
    this.#network = networkOf(this.subnet);
    this.#broadcast = broadcastOf(this.subnet);
    this.poolStart = toIpv4(opts.pool.start, "dhcp pool start");
    this.poolEnd = toIpv4(opts.pool.end, "dhcp pool end");
    if (this.poolStart > this.poolEnd) {
      throw new ServiceConfigError(
        `dhcp pool: start ${formatIpv4(this.poolStart)} is after end ${formatIpv4(this.poolEnd)}`,
      );
    }
    for (const a of [this.poolStart, this.poolEnd]) {
      if (!this.#inSubnet(a)) {
        throw new ServiceConfigError(
          `dhcp pool: ${formatIpv4(a)} is outside the subnet ${this.#subnetText()}`,
        );
      }
    }
    this.#configuredServer =
      opts.serverAddress === undefined ? null : toIpv4(opts.serverAddress, "dhcp server address");
    this.router =
      opts.router === undefined || opts.router === null ? null : toIpv4(opts.router, "dhcp router");
    this.dns = (opts.dns ?? []).map((d, i) => toIpv4(d, `dhcp dns[${i}]`));
    this.domain = opts.domain === undefined || opts.domain === "" ? null : canonicalName(opts.domain);
    this.leaseTime = opts.leaseTime ?? HOUR;
    if (!Number.isInteger(this.leaseTime) || this.leaseTime < 1_000_000_000) {
      throw new ServiceConfigError(`dhcp lease time must be at least 1 s, got ${this.leaseTime} ns`);
    }
    this.offerHold = opts.offerHold ?? 60_000_000_000;
    this.allocation = opts.allocation ?? "lowest";
    for (const [i, r] of (opts.reservations ?? []).entries()) {
      const mac = toMac(r.mac, `dhcp reservations[${i}].mac`);
      const ip = toIpv4(r.ip, `dhcp reservations[${i}].ip`);
      if (!this.#inSubnet(ip)) {
        throw new ServiceConfigError(
          `dhcp reservations[${i}]: ${formatIpv4(ip)} is outside the subnet ${this.#subnetText()}`,
        );
      }
      if (this.#reservedIps.has(ip)) {
        throw new ServiceConfigError(`dhcp reservations[${i}]: ${formatIpv4(ip)} is reserved twice`);
      }
      this.#reservations.set(mac, { ip, hostname: sanitiseHostname(r.hostname) });
      this.#reservedIps.set(ip, mac);
    }
    this.#socket = stack.udpBind({ port: DHCP_SERVER_PORT, iface, broadcast: true });
    this.#socket.onMessage((m) => this.#onMessage(m));
  }

  /** The address the server identifies itself with (option 54), or null if it has none yet. */
  get serverAddress(): Ipv4 | null {
    return this.#configuredServer ?? this.iface.primaryAddress;
  }

  /** Every record, offers and ended leases included, in the order clients were first seen. */
  leases(): DhcpLease[] {
    this.#age();
    return [...this.#leases.values()].map((r) => ({ ...r }));
  }

  /** The bound lease of `mac`, or undefined. */
  leaseOf(mac: Mac): DhcpLease | undefined {
    this.#age();
    const r = this.#leases.get(mac);
    return r?.state === "bound" ? { ...r } : undefined;
  }

  /**
   * The bound leases as dnsmasq writes its lease file: `EXPIRY MAC IP HOSTNAME CLIENT-ID`, expiry in
   * whole seconds of simulated time, `*` for a missing host name or client id; one line each.
   */
  formatLeases(): string {
    this.#age();
    let out = "";
    for (const r of this.#leases.values()) {
      if (r.state !== "bound") continue;
      out += `${Math.floor(r.expires / 1e9)} ${formatMac(r.mac)} ${formatIpv4(r.ip)} ${r.hostname ?? "*"} ${r.clientId ?? "*"}\n`;
    }
    return out;
  }

  close(): void {
    this.#socket?.close();
    this.#socket = null;
  }

  // -------------------------------------------------------------------------------------------
  // Lease table.

  #subnetText(): string {
    return `${formatIpv4(this.#network)}/${this.subnet.prefixLength}`;
  }

  #inSubnet(a: Ipv4): boolean {
    return cidrContains(this.subnet, a);
  }

  #inPool(a: Ipv4): boolean {
    return a >= this.poolStart && a <= this.poolEnd;
  }

  /** Moves offers and leases whose time is up to their ended states. */
  #age(): void {
    const now = this.stack.sim.now;
    for (const [mac, r] of this.#leases) {
      if (r.expires > now) continue;
      if (r.state === "offered") this.#leases.delete(mac);
      else if (r.state === "bound") r.state = "expired";
    }
    for (const [ip, until] of this.#declined) if (until <= now) this.#declined.delete(ip);
  }

  /** The live (offered or bound) record holding `ip`, if any. */
  #holder(ip: Ipv4): LeaseRecord | undefined {
    for (const r of this.#leases.values()) {
      if (r.ip === ip && (r.state === "offered" || r.state === "bound")) return r;
    }
    return undefined;
  }

  /** Whether `ip` may be given to `mac`: in the pool (or reserved for it), not a local address of the stack, not held, reserved or declined. */
  #usableFor(ip: Ipv4, mac: Mac): boolean {
    const reservedFor = this.#reservedIps.get(ip);
    if (reservedFor !== undefined && reservedFor !== mac) return false;
    if (reservedFor === undefined && !this.#inPool(ip)) return false;
    if (ip === this.#network || ip === this.#broadcast) return false;
    if (ip === this.serverAddress || ip === this.router || this.stack.isLocalAddress(ip)) return false;
    if (this.#declined.has(ip)) return false;
    const h = this.#holder(ip);
    return h === undefined || h.mac === mac;
  }

  #chooseAddress(mac: Mac, requested: Ipv4 | undefined): Ipv4 | null {
    const res = this.#reservations.get(mac);
    if (res && this.#usableFor(res.ip, mac)) return res.ip;
    const prev = this.#leases.get(mac);
    if (prev && this.#usableFor(prev.ip, mac)) return prev.ip;
    if (requested !== undefined && this.#inPool(requested) && this.#usableFor(requested, mac))
      return requested;
    const size = this.poolEnd - this.poolStart + 1;
    const first = this.allocation === "mac-hash" ? macHash(mac) % size : 0;
    for (let i = 0; i < size; i++) {
      const a = (this.poolStart + ((first + i) % size)) as Ipv4;
      if (this.#usableFor(a, mac)) return a;
    }
    return null;
  }

  #grantedSeconds(o: DhcpOptions): number {
    let secs = Math.floor(this.leaseTime / 1e9);
    const asked = o.leaseTime;
    if (asked !== undefined) {
      const req = Math.max(asked, MIN_LEASE_SECONDS);
      if (req < secs) secs = req;
    }
    return secs;
  }

  #record(mac: Mac, ip: Ipv4, state: DhcpLeaseState, expires: SimTime, o: DhcpOptions): LeaseRecord {
    const hostname = this.#reservations.get(mac)?.hostname ?? sanitiseHostname(o.hostname);
    let r = this.#leases.get(mac);
    if (!r) {
      r = { mac, ip, hostname, clientId: null, expires, state };
      this.#leases.set(mac, r);
    }
    r.ip = ip;
    r.state = state;
    r.expires = expires;
    if (hostname !== null) r.hostname = hostname;
    const cid = hexId(o.get(O.ClientId));
    if (cid !== null) r.clientId = cid;
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // Messages.

  #onMessage(m: UdpMessage): void {
    try {
      this.#handle(m);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
    }
  }

  #handle(m: UdpMessage): void {
    const req = decodeDhcp(m.data);
    const o = dhcpOptions(req);
    const type = o.messageType;
    const mac = dhcpClientMac(req);
    if (req.op !== BootpOp.Request || type === undefined || mac === undefined) {
      this.stats.ignored++;
      return;
    }
    this.#age();
    const unicast = m.to !== BROADCAST && m.to !== this.#broadcast;
    switch (type) {
      case T.Discover:
        this.#discover(req, o, mac);
        return;
      case T.Request:
        this.#request(req, o, mac, unicast);
        return;
      case T.Decline:
        this.#decline(o, mac);
        return;
      case T.Release:
        this.#release(req, o, mac);
        return;
      case T.Inform:
        this.#inform(req, o, mac);
        return;
      default:
        this.stats.ignored++;
    }
  }

  #discover(req: DhcpRepr, o: DhcpOptions, mac: Mac): void {
    this.stats.discovers++;
    const ip = this.#chooseAddress(mac, o.requestedIp);
    if (ip === null) {
      this.stats.noAddress++;
      return;
    }
    const now = this.stack.sim.now;
    const existing = this.#leases.get(mac);
    if (!(existing?.state === "bound" && existing.ip === ip))
      this.#record(mac, ip, "offered", now + this.offerHold, o);
    const secs = this.#grantedSeconds(o);
    this.stats.offers++;
    this.#send(req, mac, T.Offer, ip, this.#leaseOptions(secs, o, this.#reservedName(mac)));
  }

  #request(req: DhcpRepr, o: DhcpOptions, mac: Mac, unicast: boolean): void {
    this.stats.requests++;
    const server = this.serverAddress;
    const requested = o.requestedIp;
    const rec = this.#leases.get(mac);
    const lease = rec?.state === "bound" ? rec : undefined;
    let selecting = false;
    let ip: Ipv4;
    let message: string | null = null;
    let broadcastNak = !unicast;
    if (requested !== undefined) {
      ip = requested;
      const sid = o.serverId;
      if (sid !== undefined) {
        // SELECTING: the client chose a server.
        selecting = true;
        if (sid !== server) {
          if (rec?.state === "offered") this.#leases.delete(mac);
          this.stats.ignored++;
          return;
        }
        if (lease && lease.ip !== ip) this.#leases.delete(mac); // dnsmasq: squash the old lease
      } else if (lease && lease.ip !== ip) {
        message = "wrong address"; // INIT-REBOOT with another address on record
      }
    } else {
      // RENEWING (unicast) or REBINDING (broadcast).
      ip = req.ciaddr;
      if (lease && lease.ip !== ip) {
        if (!unicast) {
          this.stats.ignored++;
          return;
        }
        message = "lease not found";
        broadcastNak = true;
      }
    }
    if (message === null) {
      const res = this.#reservations.get(mac);
      const reservedFor = this.#reservedIps.get(ip);
      if (!this.#inSubnet(ip)) {
        message = "wrong network";
        broadcastNak = true;
      } else if (!this.#inPool(ip) && res?.ip !== ip) {
        message = "address not available";
      } else if (
        !selecting &&
        res !== undefined &&
        res.ip !== ip &&
        !this.#declined.has(res.ip) &&
        (this.#holder(res.ip) === undefined || this.#holder(res.ip)?.mac === mac)
      ) {
        message = "static lease available";
      } else if (reservedFor !== undefined && reservedFor !== mac) {
        message = "address reserved";
      } else {
        const h = this.#holder(ip);
        if (h !== undefined && h.mac !== mac) message = "address in use";
      }
    }
    if (message !== null) {
      this.stats.naks++;
      this.#nak(req, mac, message, broadcastNak);
      return;
    }
    const secs = this.#grantedSeconds(o);
    const r = this.#record(mac, ip, "bound", this.stack.sim.now + secs * 1e9, o);
    this.stats.acks++;
    this.#send(req, mac, T.Ack, ip, this.#leaseOptions(secs, o, r.hostname));
  }

  #decline(o: DhcpOptions, mac: Mac): void {
    this.stats.declines++;
    const ip = o.requestedIp;
    if (ip === undefined) return;
    const r = this.#leases.get(mac);
    if (r && r.ip === ip) this.#leases.delete(mac);
    this.#declined.set(ip, this.stack.sim.now + DECLINE_BACKOFF);
  }

  #release(req: DhcpRepr, o: DhcpOptions, mac: Mac): void {
    if (o.serverId !== this.serverAddress || !this.#inSubnet(req.ciaddr)) {
      this.stats.ignored++;
      return;
    }
    this.stats.releases++;
    const r = this.#leases.get(mac);
    if (r && r.ip === req.ciaddr && r.state === "bound") {
      r.state = "released";
      r.expires = this.stack.sim.now;
    }
  }

  #inform(req: DhcpRepr, o: DhcpOptions, mac: Mac): void {
    this.stats.informs++;
    if (req.ciaddr === ZERO) {
      this.stats.ignored++;
      return;
    }
    this.stats.acks++;
    this.#send(req, mac, T.Ack, ZERO, this.#configOptions(o, null));
  }

  // -------------------------------------------------------------------------------------------
  // Replies.

  /** Option 12 in an OFFER: a reservation's name only (dnsmasq names the lease, and echoes a client's own name, from the ACK on). */
  #reservedName(mac: Mac): string | null {
    return this.#reservations.get(mac)?.hostname ?? null;
  }

  /** dnsmasq's order: 54 and 51 (added by #send/#leaseOptions), 58, 59, 1, 28, 3, 6, 15, 12. */
  #leaseOptions(secs: number, o: DhcpOptions, hostname: string | null): DhcpOptionItem[] {
    return [
      dhcpOption.leaseTime(secs),
      dhcpOption.renewalTime(Math.floor(secs / 2)),
      dhcpOption.rebindingTime(Math.floor((secs * 7) / 8)),
      ...this.#configOptions(o, hostname),
    ];
  }

  #configOptions(o: DhcpOptions, hostname: string | null): DhcpOptionItem[] {
    const prl = o.parameterRequestList;
    const wanted = (code: number): boolean => prl === undefined || prl.includes(code);
    const out: DhcpOptionItem[] = [
      dhcpOption.subnetMask(this.#netmask),
      dhcpOption.broadcastAddress(this.#broadcast),
    ];
    if (this.router !== null && wanted(O.Router)) out.push(dhcpOption.routers(this.router));
    if (this.dns.length > 0 && wanted(O.DnsServers)) out.push(dhcpOption.dnsServers(...this.dns));
    if (this.domain !== null && wanted(O.DomainName)) out.push(dhcpOption.domainName(this.domain));
    if (hostname !== null && wanted(O.Hostname)) out.push(dhcpOption.hostname(hostname));
    return out;
  }

  #nak(req: DhcpRepr, mac: Mac, message: string, broadcast: boolean): void {
    const server = this.serverAddress ?? ZERO;
    const repr = buildDhcp({
      messageType: T.Nak,
      xid: req.xid,
      chaddr: mac,
      op: BootpOp.Reply,
      broadcast: broadcast || (req.flags & DHCP_FLAG_BROADCAST) !== 0,
      ciaddr: broadcast ? ZERO : req.ciaddr,
      giaddr: req.giaddr,
      options: [dhcpOption.serverId(server), dhcpOption.message(message)],
    });
    const dst = broadcast || req.ciaddr === ZERO ? BROADCAST : req.ciaddr;
    this.#transmit(repr, dst, undefined);
  }

  #send(req: DhcpRepr, mac: Mac, type: number, yiaddr: Ipv4, options: DhcpOptionItem[]): void {
    const server = this.serverAddress;
    if (server === null) {
      this.stats.sendFailures++;
      return;
    }
    const flagBroadcast = (req.flags & DHCP_FLAG_BROADCAST) !== 0;
    const repr = buildDhcp({
      messageType: type,
      xid: req.xid,
      chaddr: mac,
      op: BootpOp.Reply,
      broadcast: flagBroadcast,
      ciaddr: req.ciaddr,
      yiaddr,
      siaddr: server, // dnsmasq: the next server is itself unless dhcp-boot names another
      giaddr: req.giaddr,
      options: [dhcpOption.serverId(server), ...options],
    });
    // RFC 2131 §4.1 (no relays here): ciaddr, else broadcast flag, else unicast to yiaddr; at chaddr.
    if (req.ciaddr !== ZERO) this.#transmit(repr, req.ciaddr, mac);
    else if (flagBroadcast || yiaddr === ZERO) this.#transmit(repr, BROADCAST, undefined);
    else this.#transmit(repr, yiaddr, mac);
  }

  #transmit(repr: DhcpRepr, dst: Ipv4, dstMac: Mac | undefined): void {
    const sock = this.#socket;
    if (sock === null) return;
    const src = this.serverAddress ?? undefined;
    const ok = sock.sendTo(encodeDhcp(repr), dst, DHCP_CLIENT_PORT, {
      iface: this.iface,
      tos: 0xc0, // dnsmasq: IP_TOS IPTOS_CLASS_CS6 on its DHCP socket
      df: false, // dnsmasq: IP_MTU_DISCOVER IP_PMTUDISC_DONT
      ...(src !== undefined ? { src } : {}),
      ...(dstMac !== undefined ? { dstMac } : {}),
    });
    if (!ok) this.stats.sendFailures++;
  }
}

import { type Cidr, formatCidr, type IpInterface, IpStack, parseCidr } from "../ip/index.js";
import type { Port } from "../netdev/port.js";
import { Tap } from "../netdev/tap.js";
import { VmNic } from "../netdev/vm-nic.js";
import type { Simulator } from "../sim/simulator.js";
import { type Ipv4, type Mac, parseIpv4Address } from "../wire/addr.js";
import { DnsRcode } from "../wire/dns.js";
import { WireError } from "../wire/errors.js";
import { type GuestApp, GuestError, type GuestHost } from "./app.js";
import { DhcpClient, type DhcpClientOptions } from "./dhcp-client.js";
import { type PingOptions, PingSession } from "./ping.js";
import { RESOLVE_NO_SERVERS, RESOLVE_TIMEOUT, type ResolveResult, Resolver } from "./resolver.js";
import { type UdpEchoOptions, UdpEchoSession, UdpFlow, type UdpFlowOptions, UdpSink } from "./udp-apps.js";

/** One NIC of a guest: the VM's NIC, the TAP it is plugged into, and the stack's interface on it. */
export interface GuestNic {
  readonly name: string;
  readonly nic: VmNic;
  readonly tap: Tap;
  readonly iface: IpInterface;
  /** The TAP's network side: what to connect to a bridge port (`connect(sim, bridgePort, nic.port)`). */
  readonly port: Port;
}

export interface GuestOptions {
  /** IP forwarding (default false, as a Linux guest). */
  readonly forwarding?: boolean;
}

/**
 * A small Linux-like VM: an IpStack (ARP, IPv4, ICMP, UDP from ip/) behind QEMU-style NICs on TAPs, with
 * a DHCP client per interface, a glibc-like stub resolver and traffic applications (ping, UDP echo,
 * constant-rate UDP flows, a UDP sink). `stop()` is the node fault "VM stopped": every NIC loses its link
 * (QEMU `set_link off`), running applications end and report, DHCP clients pause; `start()` brings the
 * links back and resumes the DHCP clients (INIT-REBOOT when their lease is still valid).
 */
export class Guest implements GuestHost {
  readonly sim: Simulator;
  readonly name: string;
  readonly stack: IpStack;
  readonly resolver: Resolver;
  readonly #nics = new Map<string, GuestNic>();
  readonly #dhcp = new Map<string, DhcpClient>();
  readonly #apps = new Set<GuestApp>();
  #running = true;

  constructor(sim: Simulator, name: string, opts: GuestOptions = {}) {
    this.sim = sim;
    this.name = name;
    this.stack = new IpStack(sim, name, { forwarding: opts.forwarding ?? false });
    this.resolver = new Resolver(this.stack);
  }

  get running(): boolean {
    return this.#running;
  }

  get nics(): readonly GuestNic[] {
    return [...this.#nics.values()];
  }

  nic(name: string): GuestNic | undefined {
    return this.#nics.get(name);
  }

  /**
   * Adds a NIC named `name` ("eth0"): a VmNic `<guest>.<name>` (MAC 52:54:00:… from the seed unless
   * given) attached to a Tap `<guest>.<name>.tap`, and a stack interface `name` on the NIC.
   */
  addNic(name: string, opts: { mac?: Mac; mtu?: number } = {}): GuestNic {
    if (this.#nics.has(name)) throw new GuestError(`guest ${this.name}: NIC ${name} already exists`);
    const mtu = opts.mtu ?? 1500;
    const nic = new VmNic(this.sim, `${this.name}.${name}`, {
      mtu,
      ...(opts.mac !== undefined ? { mac: opts.mac } : {}),
    });
    const tap = new Tap(this.sim, `${this.name}.${name}.tap`, { mtu });
    nic.attach(tap);
    if (!this.#running) nic.linkUp = false;
    const iface = this.stack.addInterface(name, nic, { mtu });
    const g: GuestNic = { name, nic, tap, iface, port: tap.port };
    this.#nics.set(name, g);
    return g;
  }

  #iface(i: IpInterface | GuestNic | string): IpInterface {
    if (typeof i === "string") {
      const found = this.stack.interface(i);
      if (!found) throw new GuestError(`guest ${this.name}: no interface ${i}`);
      return found;
    }
    return "iface" in i ? i.iface : i;
  }

  /** Static configuration, as `ip addr add`, `ip route add default via`, and resolv.conf. */
  configure(
    iface: IpInterface | GuestNic | string,
    opts: {
      address: Cidr | string;
      gateway?: Ipv4 | string;
      dns?: readonly (Ipv4 | string)[];
      search?: string;
    },
  ): void {
    const i = this.#iface(iface);
    const c = typeof opts.address === "string" ? parseCidr(opts.address) : opts.address;
    i.addAddress(formatCidr(c));
    if (opts.gateway !== undefined) this.stack.setDefaultGateway(opts.gateway, i);
    if (opts.dns !== undefined) this.stack.dnsServers = opts.dns.map((d) => toAddr(d, "dns"));
    if (opts.search !== undefined) this.stack.searchDomain = opts.search;
  }

  /** Starts a DHCP client on the interface (one per interface; a second call returns the first). */
  dhcp(iface: IpInterface | GuestNic | string, opts: DhcpClientOptions = {}): DhcpClient {
    const i = this.#iface(iface);
    const existing = this.#dhcp.get(i.name);
    if (existing) return existing;
    const c = new DhcpClient(this.stack, i, this.name, {
      ...opts,
      start: (opts.start ?? true) && this.#running,
    });
    this.#dhcp.set(i.name, c);
    return c;
  }

  dhcpClient(iface: string): DhcpClient | undefined {
    return this.#dhcp.get(iface);
  }

  /** Stub resolver (glibc-like, see resolver.ts); `cb` gets the first address or null and the rcode. */
  resolve(name: string, cb: (addr: Ipv4 | null, rcode: number) => void): void {
    this.resolver.lookup(name, (r: ResolveResult) => cb(r.addresses[0] ?? null, r.rcode));
  }

  resolveTarget(target: Ipv4 | string, cb: (ip: Ipv4 | null, error: string | null) => void): void {
    if (typeof target !== "string") {
      this.sim.schedule(0, () => cb(target, null));
      return;
    }
    this.resolver.lookup(target, (r) => {
      // getaddrinfo's messages: EAI_NONAME, EAI_AGAIN, EAI_FAIL.
      if (r.addresses.length > 0) cb(r.addresses[0], null);
      else if (r.rcode === DnsRcode.NoError || r.rcode === DnsRcode.NXDomain)
        cb(null, `${target}: Name or service not known`);
      else if (r.rcode === RESOLVE_TIMEOUT || r.rcode === DnsRcode.ServFail || r.rcode === RESOLVE_NO_SERVERS)
        cb(null, `${target}: Temporary failure in name resolution`);
      else cb(null, `${target}: Non-recoverable failure in name resolution`);
    });
  }

  ping(dst: Ipv4 | string, opts: PingOptions = {}): PingSession {
    this.#mustRun("ping");
    return new PingSession(this, dst, opts);
  }

  udpEcho(dst: Ipv4 | string, port: number, opts: UdpEchoOptions = {}): UdpEchoSession {
    this.#mustRun("udpEcho");
    return new UdpEchoSession(this, dst, port, opts);
  }

  udpFlow(dst: Ipv4 | string, port: number, opts: UdpFlowOptions): UdpFlow {
    this.#mustRun("udpFlow");
    return new UdpFlow(this, dst, port, opts);
  }

  udpSink(port: number): UdpSink {
    this.#mustRun("udpSink");
    return new UdpSink(this, port);
  }

  /** The node fault "stop": links down, applications ended, DHCP clients paused. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const n of this.#nics.values()) n.nic.linkUp = false;
    for (const a of [...this.#apps]) a.halt();
    this.resolver.cancelAll();
    for (const c of this.#dhcp.values()) c.stop();
  }

  /** Back from `stop()`: links up, DHCP clients resume. Ended applications stay ended. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const n of this.#nics.values()) n.nic.linkUp = true;
    for (const c of this.#dhcp.values()) c.start();
  }

  track(app: GuestApp): void {
    this.#apps.add(app);
  }

  untrack(app: GuestApp): void {
    this.#apps.delete(app);
  }

  #mustRun(what: string): void {
    if (!this.#running) throw new GuestError(`guest ${this.name} is stopped: cannot start ${what}`);
  }
}

function toAddr(v: Ipv4 | string, what: string): Ipv4 {
  if (typeof v !== "string") return v;
  try {
    return parseIpv4Address(v.trim());
  } catch (e) {
    if (e instanceof WireError) throw new GuestError(`${what}: not an IPv4 address: ${JSON.stringify(v)}`);
    throw e;
  }
}

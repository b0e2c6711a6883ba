/**
 * Building a topology on a simulator: `buildTopology(spec, sim)` turns a (validated) spec into objects
 * — a Guest (ip/ stack + NICs on TAPs) per node, a Bridge per network, links with their impairments,
 * the services (DHCP, DNS, UDP echo), NAT, the traffic timeline and the faults — and returns a
 * `Network` that names everything: nodes, bridges, ports (`vm1.eth0`, `host.uplink`).
 *
 * Every node is a `Guest` (guest/): VMs, the host, the outside router `gw`, servers, service nodes and
 * per-VM NAT instances. So every node can ping, and every node's NICs are captured the same way.
 *
 * Order of construction is the spec's order (networks, then the outside, then VMs, routers), so the
 * random streams each component draws from — named after the component — never depend on anything but
 * the spec and the seed.
 */
import { Bridge } from "../bridge/index.js";
import {
  Guest,
  GuestError,
  type GuestNic,
  type PingSession,
  type UdpEchoSession,
  type UdpFlow,
  type UdpSink,
} from "../guest/index.js";
import { type HookContext, IpConfigError, type IpInterface } from "../ip/index.js";
import { NatConfigError } from "../nat/index.js";
import { connect, type Link, type LinkOptions, type Port } from "../netdev/index.js";
import { DhcpServer, DnsServer, ServiceConfigError, UdpEchoServer } from "../services/index.js";
import type { Simulator } from "../sim/simulator.js";
import { type Ipv4, parseIpv4Address, parseMac } from "../wire/addr.js";
import { installNat, type NatHandle } from "./nat-adapter.js";
import { dhcpServerOptions, type ResolvedDhcp, type ResolvedTopology, resolveTopology } from "./presets.js";
import type { FaultSpec, LinkSpec, RouteSpec, TopologySpec, TrafficSpec } from "./spec.js";
import { formatPath, TopologyError } from "./spec.js";

export type NodeKind = "vm" | "host" | "gw" | "server" | "router" | "service" | "nat";

export interface NetworkNode {
  readonly name: string;
  readonly kind: NodeKind;
  readonly guest: Guest;
}

/** A node's interface, by its dotted name (`vm1.eth0`). */
export interface NodePort {
  /** `node.iface`. */
  readonly name: string;
  readonly node: string;
  readonly iface: string;
  /** The network (or "outside", or a segment behind gw) it is on. */
  readonly network: string;
  readonly nic: GuestNic;
  /** The link from the node's TAP to its bridge port (or to the per-VM NAT instance). */
  readonly link: Link;
}

/** One item of the traffic timeline, once it has run (or been skipped). */
export interface TrafficRun {
  readonly index: number;
  readonly spec: TrafficSpec;
  readonly kind: "ping" | "udp-echo" | "flow";
  readonly from: string;
  readonly to: string;
  /** What `to` was resolved to when the item started (null: left to the guest's resolver, or unresolvable). */
  target: Ipv4 | string | null;
  /** Why the item could not start (the source was stopped, the target has no address). */
  error: string | null;
  ping: PingSession | null;
  udpEcho: UdpEchoSession | null;
  flow: UdpFlow | null;
  /** The receiving end of a flow to a node. */
  sink: UdpSink | null;
}

export interface FaultRun {
  readonly spec: FaultSpec;
  applied: boolean;
  error: string | null;
}

export interface DhcpServerInfo {
  /** The network (or "outside") it serves. */
  readonly network: string;
  readonly node: string;
  readonly server: DhcpServer;
}

/** A built topology. */
export class Network {
  readonly nodes = new Map<string, NetworkNode>();
  readonly bridges = new Map<string, Bridge>();
  readonly ports = new Map<string, NodePort>();
  readonly dhcpServers: DhcpServerInfo[] = [];
  readonly dnsServers: { readonly node: string; readonly server: DnsServer }[] = [];
  readonly echoServers: { readonly node: string; readonly port: number; readonly server: UdpEchoServer }[] =
    [];
  /** One NAT per node that masquerades (the host: all its shared NAT networks). */
  readonly nats: { readonly node: string; readonly networks: string[]; readonly nat: NatHandle }[] = [];
  readonly traffic: TrafficRun[] = [];
  readonly faults: FaultRun[] = [];
  /** Bridge-to-bridge links, by `a-b`. */
  readonly bridgeLinks = new Map<string, Link>();
  /** Static routes a node's stack refused (a gateway not on any connected network). */
  readonly routeErrors: { readonly node: string; readonly route: string; readonly error: string }[] = [];
  /** Forwarded packets the host refused (libvirt-like isolation of host-only networks), by reason. */
  readonly hostFilterDrops = new Map<string, number>();

  constructor(
    readonly sim: Simulator,
    readonly spec: TopologySpec,
    readonly topology: ResolvedTopology,
  ) {}

  node(name: string): NetworkNode {
    const n = this.nodes.get(name);
    if (!n) throw new TopologyError(`no node ${name}`, []);
    return n;
  }

  guest(name: string): Guest {
    return this.node(name).guest;
  }

  port(name: string): NodePort {
    const p = this.ports.get(name);
    if (!p) throw new TopologyError(`no port ${name}`, []);
    return p;
  }

  /** The networks a node has an interface on. */
  networksOf(node: string): string[] {
    return [...this.ports.values()].filter((p) => p.node === node).map((p) => p.network);
  }

  /**
   * What a traffic target names, seen from `from`, now: an IPv4 literal; `node.iface` (that interface's
   * address); a node (its address on a network shared with `from`, else its first address); otherwise
   * a DNS name, returned as given for the guest's resolver. Null when the node has no address (yet).
   */
  resolveTarget(to: string, from: string): Ipv4 | string | null {
    try {
      return parseIpv4Address(to);
    } catch {
      // not a literal
    }
    const port = this.ports.get(to);
    if (port) return port.nic.iface.primaryAddress;
    const node = this.nodes.get(to);
    if (!node) return to; // a DNS name
    const shared = new Set(this.networksOf(from));
    const mine = [...this.ports.values()].filter((p) => p.node === to);
    for (const p of mine)
      if (shared.has(p.network) && p.nic.iface.primaryAddress !== null) return p.nic.iface.primaryAddress;
    for (const p of mine) if (p.nic.iface.primaryAddress !== null) return p.nic.iface.primaryAddress;
    return null;
  }
}

function linkOptions(name: string, l: LinkSpec | null): LinkOptions {
  if (!l) return { name };
  return {
    name,
    ...(l.delay !== undefined ? { delay: l.delay } : {}),
    ...(l.jitter !== undefined ? { jitter: { distribution: "uniform" as const, max: l.jitter } } : {}),
    ...(l.rate !== undefined ? { rate: l.rate } : {}),
    ...(l.loss !== undefined ? { loss: l.loss } : {}),
    ...(l.duplicate !== undefined ? { duplicate: l.duplicate } : {}),
    ...(l.corrupt !== undefined ? { corrupt: l.corrupt } : {}),
    ...(l.queue !== undefined ? { queuePackets: l.queue } : {}),
  };
}

export interface BuildOptions {
  /**
   * Called for each node interface as soon as it exists, before anything is sent on it: attach
   * captures here to see everything, including what nodes send while they are configured (gratuitous
   * ARP, the first DHCP DISCOVER at time 0).
   */
  readonly onPort?: (port: NodePort) => void;
}

/**
 * Builds a spec on a simulator. The spec is resolved (presets, references) first; problems throw
 * TopologyError. Nodes are configured at once (static addresses announce themselves with a gratuitous
 * ARP, DHCP clients send their first DISCOVER): see `onPort` to capture those frames.
 */
export function buildTopology(spec: TopologySpec, sim: Simulator, opts: BuildOptions = {}): Network {
  const r = resolveTopology(spec);
  if (r.topology === null) {
    const i = r.issues[0];
    throw new TopologyError(`${spec.name}: ${formatPath(i.path)}: ${i.message}`, r.issues);
  }
  const t = r.topology;
  const net = new Network(sim, spec, t);
  const b = new Builder(sim, net, t, opts.onPort ?? null);
  try {
    b.build();
  } catch (e) {
    // Configuration the modules refuse (checked by them, not by presets): a topology error, one line.
    if (
      e instanceof IpConfigError ||
      e instanceof ServiceConfigError ||
      e instanceof GuestError ||
      e instanceof NatConfigError
    )
      throw new TopologyError(`${spec.name}: ${e.message}`, []);
    throw e;
  }
  // A NIC whose peer is a Linux TAP passes every frame, as a bridge port: behind the TAP may be the
  // kernel's stack (with the NIC's MAC) or anything bridged to it in its namespace (vnet serve / vm).
  for (const [vmName, vm] of Object.entries(spec.vms))
    for (const [i, nic] of vm.nics.entries())
      if (nic.tap !== undefined) {
        const port = net.ports.get(`${vmName}.${nic.name ?? `eth${i}`}`);
        if (port) port.nic.nic.promiscuous = true;
      }
  return net;
}

class Builder {
  readonly forwards: { nat: NatHandle; network: string; onlyVm: string | null }[] = [];

  constructor(
    readonly sim: Simulator,
    readonly net: Network,
    readonly t: ResolvedTopology,
    readonly onPort: ((p: NodePort) => void) | null,
  ) {}

  addPort(p: NodePort): void {
    this.net.ports.set(p.name, p);
    this.onPort?.(p);
  }

  guest(name: string, kind: NodeKind, forwarding = false): Guest {
    const g = new Guest(this.sim, name, { forwarding });
    this.net.nodes.set(name, { name, kind, guest: g });
    return g;
  }

  bridge(name: string): Bridge {
    let br = this.net.bridges.get(name);
    if (!br) {
      br = new Bridge(this.sim, name);
      this.net.bridges.set(name, br);
    }
    return br;
  }

  /** A NIC on `node`, plugged into `network`'s bridge (or `peer`, a port to link to directly). */
  nic(
    g: Guest,
    iface: string,
    network: string,
    opts: { bridge?: string | null; peer?: Port; mac?: string | null; link?: LinkSpec | null } = {},
  ): GuestNic {
    const gn = g.addNic(iface, opts.mac ? { mac: parseMac(opts.mac) } : {});
    const name = `${g.name}.${iface}`;
    let link: Link;
    if (opts.peer) link = connect(this.sim, gn.port, opts.peer, linkOptions(name, opts.link ?? null));
    else {
      const br = this.bridge(opts.bridge ?? network);
      link = connect(this.sim, gn.port, br.addPort(name), linkOptions(name, opts.link ?? null));
    }
    this.addPort({ name, node: g.name, iface, network, nic: gn, link });
    return gn;
  }

  dhcpServer(g: Guest, iface: IpInterface, d: ResolvedDhcp, network: string): DhcpServer {
    const server = new DhcpServer(g.stack, iface, dhcpServerOptions(d));
    this.net.dhcpServers.push({ network, node: g.name, server });
    return server;
  }

  build(): void {
    const t = this.t;
    const o = t.outside;
    const outPrefix = Number(o.subnet.split("/")[1]);

    // Bridges in spec order (networks first, then the outside and its segments).
    for (const n of t.networks) if (n.bridge !== null && n.bridge !== "outside") this.bridge(n.bridge);
    this.bridge("outside");
    for (const seg of o.segments) this.bridge(seg.name);

    // --- the outside: gw, servers ---------------------------------------------------------------------
    const gw = this.guest("gw", "gw", true);
    const gwEth0 = this.nic(gw, "eth0", "outside");
    gw.configure(gwEth0, { address: `${o.gateway}/${outPrefix}` });
    for (const [i, seg] of o.segments.entries()) {
      const n = this.nic(gw, `eth${i + 1}`, seg.name);
      gw.configure(n, { address: `${seg.router}/24` });
    }
    for (const rt of o.gwRoutes) gw.stack.addRoute({ dst: rt.to, via: rt.via });
    if (o.dhcp) this.dhcpServer(gw, gwEth0.iface, o.dhcp, "outside");

    for (const sv of o.servers) {
      const g = this.guest(sv.name, "server");
      const n = this.nic(g, "eth0", sv.segment);
      g.configure(n, {
        address: `${sv.ip}/${sv.prefixLength}`,
        gateway: sv.gateway,
        ...(o.dnsServer ? { dns: [o.dnsServer] } : {}),
      });
      if (sv.udpEcho !== null)
        this.net.echoServers.push({
          node: sv.name,
          port: sv.udpEcho,
          server: new UdpEchoServer(g.stack, sv.udpEcho),
        });
      if (sv.dns !== null)
        this.net.dnsServers.push({ node: sv.name, server: new DnsServer(g.stack, { records: sv.dns }) });
    }

    // --- the host ---------------------------------------------------------------------------------------
    const host = this.guest("host", "host", t.hostForwarding);
    const up = this.nic(host, "uplink", "outside", { link: o.link });
    host.configure(up, {
      address: `${o.host}/${outPrefix}`,
      gateway: o.gateway,
      ...(o.dnsServer ? { dns: [o.dnsServer] } : {}),
    });
    const hostOnlyIfaces = new Set<string>();
    const natIfaces = new Set<string>();
    for (const n of t.networks) {
      if (n.host === null || n.perVm || n.subnet === null) continue;
      const prefix = Number(n.subnet.split("/")[1]);
      const gn = this.nic(host, n.name, n.name, { mac: n.hostMac });
      gn.iface.addAddress(`${n.host}/${prefix}`);
      if (n.dns && n.dns.address !== n.host) gn.iface.addAddress(`${n.dns.address}/${prefix}`);
      if (n.mode === "host-only") hostOnlyIfaces.add(n.name);
      if (n.mode === "nat") natIfaces.add(n.name);
      for (const rt of n.routes)
        host.stack.addRoute({ dst: rt.to === "default" ? "0.0.0.0/0" : rt.to, via: rt.via, dev: gn.iface });
      let dhcp: DhcpServer | null = null;
      if (n.dhcp && n.dhcp.node === "host") dhcp = this.dhcpServer(host, gn.iface, n.dhcp, n.name);
      if (n.dns)
        this.net.dnsServers.push({
          node: "host",
          server: new DnsServer(host.stack, {
            address: n.dns.address,
            iface: gn.iface,
            upstream: n.dns.upstream,
            ...(n.dns.domain !== null ? { domain: n.dns.domain } : {}),
            ...(dhcp ? { leases: dhcp } : {}),
          }),
        });
      if (n.nat) {
        // One conntrack table on the host, one MASQUERADE rule per NAT network (presets checks that their settings agree).
        let entry = this.net.nats.find((x) => x.node === "host");
        if (!entry) {
          entry = { node: "host", networks: [], nat: installNat(host.stack, "host", n.nat) };
          this.net.nats.push(entry);
        }
        entry.networks.push(n.name);
        entry.nat.masquerade(up.iface, n.subnet);
        this.forwards.push({ nat: entry.nat, network: n.name, onlyVm: null });
      }
    }
    if (t.hostForwarding) this.hostFilter(host, hostOnlyIfaces, natIfaces, up.iface);

    // --- service nodes (VirtualBox-like DHCP servers of host-only / isolated networks) --------------------
    for (const sn of t.serviceNodes) {
      const n = t.networks.find((x) => x.name === sn.network)!;
      const g = this.guest(sn.name, "service");
      const gn = this.nic(g, "eth0", sn.network);
      g.configure(gn, { address: sn.ip });
      if (n.dhcp) this.dhcpServer(g, gn.iface, n.dhcp, n.name);
    }

    // --- bridge-to-bridge links ---------------------------------------------------------------------------
    for (const n of t.networks)
      for (const l of n.links) {
        const a = this.bridge(n.bridge ?? n.name);
        const other = t.networks.find((x) => x.name === l.network)!;
        const b = this.bridge(other.bridge ?? other.name);
        const name = `${n.name}-${other.name}`;
        this.net.bridgeLinks.set(
          name,
          connect(
            this.sim,
            a.addPort(`${n.name}.to-${other.name}`),
            b.addPort(`${other.name}.to-${n.name}`),
            linkOptions(name, l.link),
          ),
        );
      }

    // --- VMs (and their per-VM NAT instances) -----------------------------------------------------------
    const pending: { g: Guest; gn: GuestNic; hostname: string }[] = [];
    const routeJobs: { g: Guest; routes: readonly RouteSpec[]; dhcp: boolean }[] = [];
    for (const vm of t.vms) {
      const g = this.guest(vm.name, "vm", vm.forwarding);
      for (const nic of vm.nics) {
        const nw = t.networks.find((x) => x.name === nic.network)!;
        let gn: GuestNic;
        if (nic.perVmNat) {
          const inside = this.perVmNat(
            nic.perVmNat.node,
            nic.perVmNat.outsideAddress,
            nw.name,
            vm.name,
            outPrefix,
          );
          gn = this.nic(g, nic.name, nw.name, { peer: inside.port, mac: nic.mac, link: nic.link });
          this.registerInside(
            nic.perVmNat.node,
            inside,
            nw.name,
            this.net.port(`${vm.name}.${nic.name}`).link,
          );
        } else gn = this.nic(g, nic.name, nw.name, { bridge: nw.bridge, mac: nic.mac, link: nic.link });
        if (nic.ip === "dhcp") pending.push({ g, gn, hostname: vm.hostname });
        else if (nic.ip !== "none")
          g.configure(gn, {
            address: nic.ip,
            ...(nic.gateway ? { gateway: nic.gateway } : {}),
            ...(nic.dns.length > 0 ? { dns: nic.dns } : {}),
          });
      }
      routeJobs.push({ g, routes: vm.routes, dhcp: vm.nics.some((x) => x.ip === "dhcp") });
      for (const port of vm.udpEcho)
        this.net.echoServers.push({ node: vm.name, port, server: new UdpEchoServer(g.stack, port) });
    }

    // --- routers ---------------------------------------------------------------------------------------------
    for (const r of t.routers) {
      const g = this.guest(r.name, "router", true);
      for (const itf of r.interfaces) {
        const nw = t.networks.find((x) => x.name === itf.network)!;
        const gn = this.nic(g, itf.name, nw.name, { bridge: nw.bridge, mac: itf.mac, link: itf.link });
        g.configure(gn, { address: itf.ip });
      }
      this.routesWhenReady(g, r.routes, false);
    }

    // DHCP clients start once every node exists (their DISCOVERs go out at time 0, in VM order).
    for (const p of pending) p.g.dhcp(p.gn, { hostname: p.hostname });
    for (const j of routeJobs) this.routesWhenReady(j.g, j.routes, j.dhcp);
    this.wireForwards();

    this.services();
    this.timeline();
    this.order();
  }

  /** Nodes and ports listed VMs first, then routers, NATs, the host, services, gw and servers (build order within). */
  order(): void {
    const rank: Record<NodeKind, number> = {
      vm: 0,
      router: 1,
      nat: 2,
      host: 3,
      service: 4,
      gw: 5,
      server: 6,
    };
    const nodes = [...this.net.nodes.values()].sort((a, b) => rank[a.kind] - rank[b.kind]);
    const ports = [...this.net.ports.values()];
    const pos = new Map(nodes.map((n, i) => [n.name, i]));
    ports.sort((a, b) => (pos.get(a.node) ?? 0) - (pos.get(b.node) ?? 0));
    this.net.nodes.clear();
    for (const n of nodes) this.net.nodes.set(n.name, n);
    this.net.ports.clear();
    for (const p of ports) this.net.ports.set(p.name, p);
  }

  /**
   * Port forwards of each NAT, added when the VM has its address: at once for a static one, else when
   * its DHCP client is first bound (QEMU's hostfwd names the guest address the same way).
   */
  wireForwards(): void {
    for (const { nat, network, onlyVm } of this.forwards) {
      const n = this.t.networks.find((x) => x.name === network)!;
      for (const pf of n.portForwards) {
        if (onlyVm !== null && pf.vm !== onlyVm) continue;
        const vmNic = this.t.vms.find((v) => v.name === pf.vm)?.nics.find((x) => x.network === network);
        if (!vmNic) continue;
        const port = this.net.port(`${pf.vm}.${vmNic.name}`);
        const add = (a: Ipv4) => nat.forward(pf.proto, pf.hostPort, a, pf.port);
        const now = port.nic.iface.primaryAddress;
        if (vmNic.ip !== "dhcp") {
          if (now !== null) add(now);
          continue;
        }
        const client = this.net.guest(pf.vm).dhcpClient(vmNic.name);
        let done = false;
        client?.onEvent((e) => {
          if (!done && e.type === "bound" && e.ip !== null) {
            done = true;
            add(e.ip);
          }
        });
      }
    }
  }

  /**
   * Static routes of a VM: at once with static addresses; with DHCP, once a lease makes the gateway
   * reachable (as systemd-networkd applies [Route] sections after DHCP). A route the stack refuses is
   * counted in `routeErrors` (the node, the route and why).
   */
  routesWhenReady(g: Guest, routes: readonly RouteSpec[], dhcp: boolean): void {
    if (routes.length === 0) return;
    const pendingRoutes = [...routes];
    const tryAdd = (final: boolean) => {
      for (const rt of [...pendingRoutes]) {
        try {
          g.stack.addRoute({ dst: rt.to === "default" ? "0.0.0.0/0" : rt.to, via: rt.via });
          pendingRoutes.splice(pendingRoutes.indexOf(rt), 1);
        } catch (e) {
          if (!(e instanceof IpConfigError)) throw e;
          if (final)
            this.net.routeErrors.push({ node: g.name, route: `${rt.to} via ${rt.via}`, error: e.message });
        }
      }
    };
    if (!dhcp) {
      tryAdd(true);
      return;
    }
    tryAdd(false);
    for (const gn of g.nics) {
      const c = g.dhcpClient(gn.name);
      c?.onEvent((e) => {
        if (pendingRoutes.length > 0 && (e.type === "bound" || e.type === "renewed" || e.type === "rebound"))
          tryAdd(false);
      });
    }
  }

  /** A QEMU-slirp-like private NAT for one VM: its own router with gateway, DNS, DHCP and masquerade. */
  perVmNat(node: string, outsideAddress: string, network: string, vm: string, outPrefix: number): GuestNic {
    const t = this.t;
    const nw = t.networks.find((x) => x.name === network)!;
    const o = t.outside;
    const g = this.guest(node, "nat", true);
    const prefix = Number(nw.subnet!.split("/")[1]);
    // The inside NIC is linked straight to the VM's TAP (no bridge, as slirp): created without a bridge here.
    const inside = g.addNic("eth0", nw.hostMac ? { mac: parseMac(nw.hostMac) } : {});
    inside.iface.addAddress(`${nw.host}/${prefix}`);
    if (nw.dns && nw.dns.address !== nw.host) inside.iface.addAddress(`${nw.dns.address}/${prefix}`);
    const upl = this.nic(g, "uplink", "outside");
    g.configure(upl, {
      address: `${outsideAddress}/${outPrefix}`,
      gateway: o.gateway,
      ...(o.dnsServer ? { dns: [o.dnsServer] } : {}),
    });
    let dhcp: DhcpServer | null = null;
    if (nw.dhcp) dhcp = this.dhcpServer(g, inside.iface, { ...nw.dhcp, node }, network);
    if (nw.dns)
      this.net.dnsServers.push({
        node,
        server: new DnsServer(g.stack, {
          address: nw.dns.address,
          iface: inside.iface,
          upstream: nw.dns.upstream,
          ...(nw.dns.domain !== null ? { domain: nw.dns.domain } : {}),
          ...(dhcp ? { leases: dhcp } : {}),
        }),
      });
    if (nw.nat) {
      const nat = installNat(g.stack, node, nw.nat);
      nat.masquerade(upl.iface, nw.subnet!);
      this.net.nats.push({ node, networks: [network], nat });
      this.forwards.push({ nat, network, onlyVm: vm });
    }
    return inside;
  }

  /** Registers the NIC a per-VM NAT created without a bridge, once the VM's side is linked. */
  registerInside(node: string, gn: GuestNic, network: string, link: Link): void {
    this.addPort({ name: `${node}.eth0`, node, iface: "eth0", network, nic: gn, link });
  }

  /**
   * libvirt-like forwarding rules on the host (its LIBVIRT_FWI/FWO/FWX chains): a host-only network is
   * never forwarded to or from; a NAT network's traffic is forwarded only out of (and back in from) the
   * uplink, or within itself; routed networks are open.
   */
  hostFilter(host: Guest, hostOnly: Set<string>, nat: Set<string>, uplink: IpInterface): void {
    const drops = this.net.hostFilterDrops;
    const drop = (reason: string): null => {
      drops.set(reason, (drops.get(reason) ?? 0) + 1);
      return null;
    };
    host.stack.addHook("forward", (packet: Uint8Array, ctx: HookContext) => {
      const i = ctx.inIf?.name ?? null;
      const out = ctx.outIf?.name ?? null;
      if ((i !== null && hostOnly.has(i)) || (out !== null && hostOnly.has(out))) return drop("host-only");
      if (i !== null && nat.has(i) && i !== out && ctx.outIf !== uplink) return drop("nat-crossing");
      if (out !== null && nat.has(out) && i !== out && ctx.inIf !== uplink) return drop("nat-inbound");
      return packet;
    });
  }

  /** The node a traffic target names (`vm1`, `vm1.eth0`), or null for an address or a DNS name. */
  targetNode(to: string): string | null {
    if (this.net.nodes.has(to)) return to;
    return this.net.ports.get(to)?.node ?? null;
  }

  /** Echo servers the timeline's targets need: a UDP echo to a VM finds one on that port (as if it ran one). */
  services(): void {
    const echoAt = new Set(this.net.echoServers.map((e) => `${e.node}:${e.port}`));
    for (const tr of this.t.traffic) {
      if ("udpEcho" in tr) {
        const target = this.targetNode(tr.udpEcho.to);
        const node = target === null ? undefined : this.net.nodes.get(target);
        const port = tr.udpEcho.port ?? 7;
        if (node && node.kind === "vm" && !echoAt.has(`${node.name}:${port}`)) {
          echoAt.add(`${node.name}:${port}`);
          this.net.echoServers.push({
            node: node.name,
            port,
            server: new UdpEchoServer(node.guest.stack, port),
          });
        }
      }
    }
  }

  /** Schedules the traffic timeline and the faults. */
  timeline(): void {
    const net = this.net;
    const sinks = new Map<string, UdpSink>();
    for (const [index, tr] of this.t.traffic.entries()) {
      const kind = "ping" in tr ? "ping" : "udpEcho" in tr ? "udp-echo" : "flow";
      const body = "ping" in tr ? tr.ping : "udpEcho" in tr ? tr.udpEcho : tr.flow;
      const run: TrafficRun = {
        index,
        spec: tr,
        kind,
        from: body.from,
        to: body.to,
        target: null,
        error: null,
        ping: null,
        udpEcho: null,
        flow: null,
        sink: null,
      };
      net.traffic.push(run);
      // A flow's receiving end listens from the start (as `iperf -s` would).
      if ("flow" in tr) {
        const tname = this.targetNode(tr.flow.to);
        const tnode = tname === null ? undefined : net.nodes.get(tname);
        if (tnode) {
          const key = `${tnode.name}:${tr.flow.port}`;
          let sink = sinks.get(key);
          if (!sink) {
            sink = tnode.guest.udpSink(tr.flow.port);
            sinks.set(key, sink);
          }
          run.sink = sink;
        }
      }
      this.sim.at(tr.at, () => this.startTraffic(run));
    }
    for (const f of this.t.faults) {
      const run: FaultRun = { spec: f, applied: false, error: null };
      net.faults.push(run);
      this.sim.at(f.at, () => this.applyFault(run));
    }
  }

  startTraffic(run: TrafficRun): void {
    const g = this.net.guest(run.from);
    if (!g.running) {
      run.error = `${run.from} is stopped`;
      return;
    }
    const target = this.net.resolveTarget(run.to, run.from);
    run.target = target;
    if (target === null) {
      run.error = `${run.to} has no address`;
      return;
    }
    const tr = run.spec;
    if ("ping" in tr) {
      const p = tr.ping;
      run.ping = g.ping(target, {
        ...(p.count !== undefined ? { count: p.count } : {}),
        ...(p.interval !== undefined ? { interval: p.interval } : {}),
        ...(p.size !== undefined ? { size: p.size } : {}),
        ...(p.ttl !== undefined ? { ttl: p.ttl } : {}),
        ...(p.timeout !== undefined ? { timeout: p.timeout } : {}),
      });
    } else if ("udpEcho" in tr) {
      const u = tr.udpEcho;
      run.udpEcho = g.udpEcho(target, u.port ?? 7, {
        ...(u.count !== undefined ? { count: u.count } : {}),
        ...(u.interval !== undefined ? { interval: u.interval } : {}),
        ...(u.size !== undefined ? { size: u.size } : {}),
      });
    } else {
      const f = tr.flow;
      run.flow = g.udpFlow(target, f.port, { rate: f.rate, size: f.size, duration: f.duration });
    }
  }

  applyFault(run: FaultRun): void {
    const f = run.spec;
    if ("linkDown" in f || "linkUp" in f) {
      const name = "linkDown" in f ? f.linkDown : f.linkUp;
      const p = this.net.ports.get(name);
      if (!p) {
        run.error = `no port ${name}`;
        return;
      }
      // QEMU `set_link <nic> off|on`: the guest's NIC loses (or gets back) its link.
      p.nic.nic.linkUp = "linkUp" in f;
    } else {
      const name = "stop" in f ? f.stop : f.start;
      const g = this.net.guest(name);
      if ("stop" in f) g.stop();
      else g.start();
    }
    run.applied = true;
  }
}

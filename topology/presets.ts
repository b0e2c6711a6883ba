/**
 * The network modes as presets (DESIGN.md's table), with the defaults users know, and the resolution
 * of a `TopologySpec` into a `ResolvedTopology`: every default filled in, every address chosen, every
 * reference checked. build.ts only ever sees a resolved topology.
 *
 * | mode      | reference            | subnet (then the next /24) | host        | DHCP                         | router opt | DNS       |
 * |-----------|----------------------|----------------------------|-------------|------------------------------|------------|-----------|
 * | bridged   | a home LAN           | the outside's              | (uplink .2) | gw .1, .100-.199, 1 h        | .1         | outside   |
 * | host-only | VirtualBox vboxnet0  | 192.168.56.0/24            | .1          | own server .100, .101-.254   | none       | none      |
 * | routed    | libvirt forward=route| 192.168.100.0/24 (vnet's)  | .1          | host .1, .2-.254, 1 h        | .1         | .1        |
 * | nat slirp | QEMU user networking | 10.0.2.0/24                | .2          | host .2, .15-.30 (16), 24 h  | .2         | .3        |
 * | nat libvirt | libvirt "default"  | 192.168.122.0/24           | .1          | host .1, .2-.254, 1 h        | .1         | .1        |
 * | isolated  | VirtualBox intnet    | none                       | none        | only if `dhcp:` given (.100) | none       | none      |
 *
 * The outside: TEST-NET-2 198.51.100.0/24 (RFC 5737), router "gw" .1, host uplink .2, default
 * servers web (.10, UDP echo 7) and dns (.53, answering `<server>.example.net`), per-VM NAT instances
 * from .201. Servers outside that subnet sit on a /24 of their own behind gw.
 */
import type { DhcpAllocation, DhcpServerOptions } from "../services/index.js";
import type { SimTime } from "../sim/time.js";
import { formatIpv4, formatMac, type Ipv4, parseIpv4Address } from "../wire/addr.js";
import {
  addressOf,
  contains,
  formatSubnet,
  ip,
  isHostAddress,
  nth,
  nthText,
  overlaps,
  type Subnet,
  subnetOf,
} from "./net.js";
import { didYouMean } from "./schema.js";
import type {
  CaptureSpec,
  DhcpSpec,
  FaultSpec,
  LinkSpec,
  NatBehaviour,
  NatFlavor,
  NetworkMode,
  NetworkSpec,
  PortForwardSpec,
  ReservationSpec,
  RouteSpec,
  TopologyIssue,
  TopologySpec,
  TrafficSpec,
} from "./spec.js";

const minutes: SimTime = 60e9;
const hours: SimTime = 3600e9;

// ---------------------------------------------------------------------------------------------------
// The resolved model

export interface ResolvedDhcp {
  /** The node that runs the server. */
  readonly node: string;
  /** The node's interface it serves. */
  readonly iface: string;
  readonly serverAddress: string;
  readonly subnet: string;
  readonly start: string;
  readonly end: string;
  readonly lease: SimTime;
  readonly router: string | null;
  readonly dns: readonly string[];
  readonly domain: string | null;
  readonly reservations: readonly ReservationSpec[];
  /** How a new client's address is picked: dnsmasq's MAC hash (libvirt) or the lowest free (slirp, VirtualBox). */
  readonly allocation: DhcpAllocation;
}

/** services/' DhcpServer options for a resolved DHCP server. */
export function dhcpServerOptions(d: ResolvedDhcp): DhcpServerOptions {
  return {
    pool: { start: d.start, end: d.end },
    subnet: d.subnet,
    serverAddress: d.serverAddress,
    router: d.router,
    dns: d.dns,
    ...(d.domain !== null ? { domain: d.domain } : {}),
    leaseTime: d.lease,
    reservations: d.reservations,
    allocation: d.allocation,
  };
}

export interface ResolvedDns {
  readonly node: string;
  readonly address: string;
  readonly upstream: string | null;
  readonly domain: string | null;
}

export interface ResolvedNat {
  /** "linux" (netfilter MASQUERADE) or explicit RFC 4787 modes. */
  readonly behaviour: "linux" | { readonly mapping: NatBehaviour; readonly filtering: NatBehaviour };
  readonly maxFlows: number;
}

const NAMED_BEHAVIOURS: Readonly<Record<string, { mapping: NatBehaviour; filtering: NatBehaviour }>> = {
  "full-cone": { mapping: "endpoint-independent", filtering: "endpoint-independent" },
  "restricted-cone": { mapping: "endpoint-independent", filtering: "address-dependent" },
  "port-restricted-cone": { mapping: "endpoint-independent", filtering: "address-and-port-dependent" },
  symmetric: { mapping: "address-and-port-dependent", filtering: "address-and-port-dependent" },
};

export interface ResolvedNetwork {
  readonly name: string;
  readonly mode: NetworkMode;
  readonly flavor: NatFlavor | null;
  /** `a.b.c.d/len`; null for an isolated network without one. */
  readonly subnet: string | null;
  /** The bridge the network's ports sit on ("outside" for bridged networks); null for per-VM NAT. */
  readonly bridge: string | null;
  /** The host's address on the network (per-VM NAT: each instance's gateway address). */
  readonly host: string | null;
  /** The MAC of the host's interface (slirp: 52:55 + the address, as QEMU). */
  readonly hostMac: string | null;
  /** The DHCP server; for per-VM NAT, the template each instance gets (node = the network's name). */
  readonly dhcp: ResolvedDhcp | null;
  readonly dns: ResolvedDns | null;
  readonly nat: ResolvedNat | null;
  readonly portForwards: readonly PortForwardSpec[];
  readonly perVm: boolean;
  readonly routes: readonly RouteSpec[];
  /** Bridge-to-bridge links to other networks. */
  readonly links: readonly { readonly network: string; readonly link: LinkSpec | null }[];
}

export interface ResolvedNic {
  readonly name: string;
  readonly network: string;
  readonly mac: string | null;
  /** "dhcp", "none" or `a.b.c.d/len`. */
  readonly ip: string;
  readonly gateway: string | null;
  readonly dns: readonly string[];
  readonly link: LinkSpec | null;
  /** Per-VM NAT: the instance this NIC is plugged into. */
  readonly perVmNat: { readonly node: string; readonly outsideAddress: string } | null;
}

export interface ResolvedVm {
  readonly name: string;
  readonly hostname: string;
  /** Ports of UDP echo servers in the VM. */
  readonly udpEcho: readonly number[];
  readonly forwarding: boolean;
  readonly routes: readonly RouteSpec[];
  readonly nics: readonly ResolvedNic[];
}

export interface ResolvedRouter {
  readonly name: string;
  readonly interfaces: readonly {
    readonly name: string;
    readonly network: string;
    readonly ip: string;
    readonly mac: string | null;
    readonly link: LinkSpec | null;
  }[];
  readonly routes: readonly RouteSpec[];
}

export interface ResolvedServer {
  readonly name: string;
  readonly ip: string;
  /** The segment it sits on: "outside" or a /24 behind gw. */
  readonly segment: string;
  readonly prefixLength: number;
  readonly gateway: string;
  readonly udpEcho: number | null;
  /** Static A records when it is a DNS server (names without the trailing dot). */
  readonly dns: Readonly<Record<string, string>> | null;
}

export interface ResolvedSegment {
  readonly name: string;
  readonly subnet: string;
  /** gw's address on it. */
  readonly router: string;
}

export interface ResolvedOutside {
  readonly subnet: string;
  readonly gateway: string;
  readonly host: string;
  readonly domain: string;
  /** The home-router-like DHCP server on gw, when a bridged network exists (or `dhcp:` asks). */
  readonly dhcp: ResolvedDhcp | null;
  readonly servers: readonly ResolvedServer[];
  /** Segments behind gw for servers outside the uplink subnet. */
  readonly segments: readonly ResolvedSegment[];
  readonly link: LinkSpec | null;
  /** The first DNS server of the outside (the upstream of the host's DNS services). */
  readonly dnsServer: string | null;
  /** Routes gw learns automatically: every routed network via the host's uplink. */
  readonly gwRoutes: readonly RouteSpec[];
}

export interface ResolvedTopology {
  readonly name: string;
  readonly seed: number;
  readonly duration: SimTime;
  readonly networks: readonly ResolvedNetwork[];
  readonly vms: readonly ResolvedVm[];
  readonly routers: readonly ResolvedRouter[];
  readonly outside: ResolvedOutside;
  /** IP forwarding on the host: on when a routed or shared NAT network needs it. */
  readonly hostForwarding: boolean;
  /** Nodes that exist only to run a service (host-only and isolated DHCP servers), by name. */
  readonly serviceNodes: readonly { readonly name: string; readonly network: string; readonly ip: string }[];
  readonly traffic: readonly TrafficSpec[];
  readonly faults: readonly FaultSpec[];
  readonly captures: CaptureSpec;
  /** Every node's interfaces, `node.iface` → network (or "outside", or a segment), for references. */
  readonly ports: ReadonlyMap<string, string>;
}

// ---------------------------------------------------------------------------------------------------
// Defaults

export const DEFAULT_DURATION: SimTime = 60e9;
export const OUTSIDE_SUBNET = "198.51.100.0/24";
export const OUTSIDE_DOMAIN = "example.net";
/** Node names the topology reserves. */
export const RESERVED_NODES = ["host", "gw"] as const;

interface ModePreset {
  /** First default subnet; later networks of the mode take the next /24s. */
  readonly subnet: string | null;
  readonly host: number | null;
  readonly dhcp: {
    server: number | "host";
    start: number;
    end: number;
    lease: SimTime;
    router: boolean;
    /** dnsmasq (libvirt) hashes the MAC; QEMU slirp and VirtualBox hand out the lowest free address. */
    allocation: DhcpAllocation;
  } | null;
  readonly dns: number | null;
}

/** The preset of a mode (and NAT flavor). Host and pool numbers are offsets in the subnet. */
export function presetOf(mode: NetworkMode, flavor: NatFlavor | null): ModePreset {
  switch (mode) {
    case "bridged":
      return { subnet: null, host: null, dhcp: null, dns: null };
    case "host-only":
      // VirtualBox: vboxnet0 192.168.56.1, DHCP server 192.168.56.100 handing out .101-.254; its
      // host-only DHCP gives no default gateway (the guest keeps the one of its NAT NIC).
      return {
        subnet: "192.168.56.0/24",
        host: 1,
        dhcp: { server: 100, start: 101, end: 254, lease: 10 * minutes, router: false, allocation: "lowest" },
        dns: null,
      };
    case "routed":
      // libvirt <forward mode='route'/>, dnsmasq on the bridge address (DHCP and DNS), lease 1 h (dnsmasq default).
      return {
        subnet: "192.168.100.0/24",
        host: 1,
        dhcp: { server: "host", start: 2, end: 254, lease: hours, router: true, allocation: "mac-hash" },
        dns: 1,
      };
    case "nat":
      if (flavor === "libvirt")
        // libvirt's "default" network: virbr0 192.168.122.1, dnsmasq DHCP .2-.254 and DNS on .1.
        return {
          subnet: "192.168.122.0/24",
          host: 1,
          dhcp: { server: "host", start: 2, end: 254, lease: hours, router: true, allocation: "mac-hash" },
          dns: 1,
        };
      // QEMU slirp: gateway 10.0.2.2, DNS 10.0.2.3, 16 leases from 10.0.2.15, lease 24 h.
      return {
        subnet: "10.0.2.0/24",
        host: 2,
        dhcp: { server: "host", start: 15, end: 30, lease: 24 * hours, router: true, allocation: "lowest" },
        dns: 3,
      };
    case "isolated":
      // VirtualBox internal network: no host; a DHCP server only when asked (VBoxManage dhcpserver
      // --netname intnet --ip .100 --lowerip .101 --upperip .254, as for host-only).
      return {
        subnet: null,
        host: null,
        dhcp: { server: 100, start: 101, end: 254, lease: 10 * minutes, router: false, allocation: "lowest" },
        dns: null,
      };
  }
}

/** Linux nf_conntrack_max on a machine with a few GB of memory: 65536 (vnet's default table limit). */
export const DEFAULT_MAX_FLOWS = 65536;

/** QEMU's slirp gives each virtual address the MAC 52:55 + the address. */
export function slirpMac(a: Ipv4): string {
  return formatMac((0x5255 * 2 ** 32 + a) as Parameters<typeof formatMac>[0]);
}

// ---------------------------------------------------------------------------------------------------
// Resolution

class Issues {
  readonly list: TopologyIssue[] = [];
  add(path: (string | number)[], message: string, atKey = false): void {
    this.list.push({ path, message, ...(atKey ? { atKey } : {}) });
  }
}

function nextSubnet(first: string, taken: Subnet[]): Subnet {
  const base = subnetOf(first);
  for (let k = 0; k < 256; k++) {
    const cand: Subnet = {
      network: ((base.network + k * 256) >>> 0) as Ipv4,
      prefixLength: base.prefixLength,
    };
    if (!taken.some((t) => overlaps(t, cand))) return cand;
  }
  return base;
}

/**
 * Resolves a spec: presets, addresses, references. Returns the resolved topology, or every problem
 * found (each with the spec path it is about, key for key the YAML path).
 */
export function resolveTopology(
  spec: TopologySpec,
): { topology: ResolvedTopology; issues: [] } | { topology: null; issues: TopologyIssue[] } {
  const is = new Issues();
  const netNames = Object.keys(spec.networks);
  const vmNames = Object.keys(spec.vms);
  const routerNames = Object.keys(spec.routers ?? {});

  // --- the outside -------------------------------------------------------------------------------
  const o = spec.outside ?? {};
  const outSub = subnetOf(o.subnet ?? OUTSIDE_SUBNET);
  const gwAddr = o.gateway ?? nthText(outSub, 1);
  const hostUp = o.host ?? nthText(outSub, 2);
  for (const [k, v] of [
    ["gateway", gwAddr],
    ["host", hostUp],
  ] as const)
    if (!isHostAddress(outSub, ip(v)))
      is.add(["outside", k], `${v} is not a host address of the outside subnet ${formatSubnet(outSub)}`);
  if (gwAddr === hostUp) is.add(["outside", "host"], `the host and gw cannot both be ${gwAddr}`);
  const domain = o.domain ?? OUTSIDE_DOMAIN;

  const serverSpecs =
    o.servers ??
    ({
      web: { ip: nthText(outSub, 10), udpEcho: 7 },
      dns: { ip: nthText(outSub, 53), dns: true },
    } as const);
  const servers: ResolvedServer[] = [];
  const segments: ResolvedSegment[] = [];
  const usedOutside = new Map<number, string>([
    [ip(gwAddr), "gw"],
    [ip(hostUp), "host"],
  ]);
  for (const [name, sv] of Object.entries(serverSpecs)) {
    const a = ip(sv.ip);
    let segment = "outside";
    let prefixLength = outSub.prefixLength;
    let gateway = gwAddr;
    if (!contains(outSub, a)) {
      const sub: Subnet = { network: ((a & 0xffffff00) >>> 0) as Ipv4, prefixLength: 24 };
      let seg = segments.find((s) => s.subnet === formatSubnet(sub));
      if (!seg) {
        const router = (a & 0xff) === 1 ? nthText(sub, 254) : nthText(sub, 1);
        seg = { name: `seg${segments.length + 1}`, subnet: formatSubnet(sub), router };
        segments.push(seg);
      }
      segment = seg.name;
      prefixLength = 24;
      gateway = seg.router;
      if (a === ip(seg.router))
        is.add(["outside", "servers", name, "ip"], `${sv.ip} is gw's address on ${seg.subnet}`);
    } else if (!isHostAddress(outSub, a)) {
      is.add(["outside", "servers", name, "ip"], `${sv.ip} is not a host address of ${formatSubnet(outSub)}`);
    }
    const clash = usedOutside.get(a);
    if (clash !== undefined)
      is.add(["outside", "servers", name, "ip"], `${sv.ip} is already ${clash}'s address`);
    usedOutside.set(a, name);
    const udpEcho = sv.udpEcho === true ? 7 : typeof sv.udpEcho === "number" ? sv.udpEcho : null;
    let dns: Record<string, string> | null = null;
    if (sv.dns) {
      dns = {};
      for (const [n2, s2] of Object.entries(serverSpecs)) dns[`${n2}.${domain}`] = s2.ip;
      if (typeof sv.dns === "object")
        for (const [n2, a2] of Object.entries(sv.dns)) dns[n2.replace(/\.$/, "")] = a2;
    }
    servers.push({ name, ip: formatIpv4(a), segment, prefixLength, gateway, udpEcho, dns });
  }
  const dnsServer = servers.find((s) => s.dns !== null)?.ip ?? null;

  // --- node names ----------------------------------------------------------------------------------
  const owner = new Map<string, string>();
  for (const r of RESERVED_NODES) owner.set(r, "reserved");
  const claim = (n: string, path: (string | number)[], what: string) => {
    const prev = owner.get(n);
    if (prev !== undefined)
      is.add(
        path,
        prev === "reserved"
          ? `the name ${n} is reserved (host and gw are built in)`
          : `the name ${n} is already ${prev}`,
        true,
      );
    else owner.set(n, what);
  };
  for (const s of servers)
    claim(
      s.name,
      ["outside", "servers", s.name],
      o.servers ? `a server (outside.servers.${s.name})` : "a default server of the outside",
    );
  for (const n of vmNames) claim(n, ["vms", n], `a VM (vms.${n})`);
  for (const n of routerNames) claim(n, ["routers", n], `a router (routers.${n})`);

  // --- networks: subnets ---------------------------------------------------------------------------
  const taken: Subnet[] = [outSub];
  const explicit = new Map<string, Subnet>();
  for (const n of netNames) {
    const ns = spec.networks[n];
    if (ns.subnet && hostAttached(ns)) {
      const sub = subnetOf(ns.subnet);
      for (const [other, s2] of explicit)
        if (overlaps(s2, sub))
          is.add(
            ["networks", n, "subnet"],
            `${ns.subnet} overlaps network ${other}'s ${formatSubnet(s2)} (both are on the host)`,
          );
      if (overlaps(sub, outSub))
        is.add(["networks", n, "subnet"], `${ns.subnet} overlaps the outside subnet ${formatSubnet(outSub)}`);
      explicit.set(n, sub);
      taken.push(sub);
    }
  }
  for (const seg of segments) taken.push(subnetOf(seg.subnet));

  const networks: ResolvedNetwork[] = [];
  const serviceNodes: { name: string; network: string; ip: string }[] = [];
  let bridgedExists = false;
  let hostNat: { net: string; nat: ResolvedNat } | null = null;
  let hostForwarding = false;
  const gwRoutes: RouteSpec[] = [];
  for (const n of netNames) {
    const ns = spec.networks[n];
    const p = ["networks", n];
    const mode = ns.mode;
    if (ns.flavor !== undefined && mode !== "nat")
      is.add([...p, "flavor"], "only a nat network has a flavor");
    if (ns.perVm && mode !== "nat") is.add([...p, "per-vm"], "only a nat network can be per-VM");
    if (ns.nat && mode !== "nat") is.add([...p, "nat"], "only a nat network has NAT settings");
    if (ns.portForwards && mode !== "nat")
      is.add([...p, "port-forwards"], "only a nat network has port forwards");
    if (ns.dns !== undefined && ns.dns !== false && mode !== "nat" && mode !== "routed")
      is.add([...p, "dns"], `a ${mode} network has no DNS service (only nat and routed do)`);
    if (ns.routes && (mode === "bridged" || mode === "isolated"))
      is.add([...p, "routes"], `a ${mode} network has no host interface to route on`);
    const flavor = mode === "nat" ? (ns.flavor ?? "slirp") : null;
    const preset = presetOf(mode, flavor);

    if (mode === "bridged") {
      bridgedExists = true;
      if (ns.subnet && ns.subnet !== formatSubnet(outSub))
        is.add(
          [...p, "subnet"],
          `a bridged network is the outside segment ${formatSubnet(outSub)}; set outside.subnet instead`,
        );
      if (ns.host)
        is.add(
          [...p, "host"],
          "a bridged network has no host interface of its own (the host's uplink is outside.host)",
        );
      if (ns.dhcp !== undefined && ns.dhcp !== true)
        is.add(
          [...p, "dhcp"],
          "a bridged network gets DHCP from the outside's server: configure outside.dhcp",
        );
      networks.push({
        name: n,
        mode,
        flavor,
        subnet: formatSubnet(outSub),
        bridge: "outside",
        host: null,
        hostMac: null,
        dhcp: null,
        dns: null,
        nat: null,
        portForwards: [],
        perVm: false,
        routes: [],
        links: [],
      });
      if (ns.links)
        is.add(
          [...p, "links"],
          "a bridged network is the outside segment: link the other network to it instead",
        );
      continue;
    }

    // Subnet: explicit, else the preset's next free /24 (per-VM NAT instances are private: always the preset).
    let sub: Subnet | null = null;
    if (ns.subnet) sub = subnetOf(ns.subnet);
    else if (preset.subnet) {
      if (mode === "nat" && ns.perVm) sub = subnetOf(preset.subnet);
      else {
        sub = nextSubnet(preset.subnet, taken);
        taken.push(sub);
      }
    }
    const subText = sub ? formatSubnet(sub) : null;
    const inSub = (path: (string | number)[], a: string, what: string): boolean => {
      if (sub && !isHostAddress(sub, ip(a))) {
        is.add(path, `${what} ${a} is not a host address of ${n}'s subnet ${subText}`);
        return false;
      }
      return true;
    };

    // The host's address.
    let host: string | null = null;
    if (mode === "isolated") {
      if (ns.host) is.add([...p, "host"], "an isolated network has no host interface");
    } else if (sub) {
      host = ns.host ?? nthText(sub, preset.host ?? 1);
      if (ns.host) inSub([...p, "host"], ns.host, "host");
    }
    if (mode === "routed" || (mode === "nat" && !ns.perVm)) hostForwarding = true;
    if (mode === "routed" && subText && host) gwRoutes.push({ to: subText, via: hostUp });

    // DHCP.
    let dhcp: ResolvedDhcp | null = null;
    const wantDhcp = ns.dhcp === undefined ? mode !== "isolated" : ns.dhcp !== false;
    if (wantDhcp && preset.dhcp) {
      if (!sub) is.add([...p, "subnet"], `required: an ${mode} network with DHCP needs a subnet`);
      else {
        const d: DhcpSpec = typeof ns.dhcp === "object" ? ns.dhcp : {};
        const dp = [...p, "dhcp"];
        const serverDefault =
          preset.dhcp.server === "host" ? (host ?? nthText(sub, 1)) : nthText(sub, preset.dhcp.server);
        const server = d.server ?? serverDefault;
        const start = d.range?.start ?? nthText(sub, preset.dhcp.start);
        const end = d.range?.end ?? nthText(sub, preset.dhcp.end);
        if (d.server) inSub([...dp, "server"], d.server, "server");
        if (d.range) {
          inSub([...dp, "range"], d.range.start, "range start");
          inSub([...dp, "range"], d.range.end, "range end");
        }
        const routerDefault = preset.dhcp.router ? host : null;
        const router = d.router === false ? null : (d.router ?? routerDefault);
        const dnsAddr = dnsAddressOf(ns, preset, sub, host);
        const dnsList = d.dns === false ? [] : (d.dns ?? (dnsAddr ? [dnsAddr] : []));
        for (const [i, r] of (d.reservations ?? []).entries())
          inSub([...dp, "reservations", i, "ip"], r.ip, "reservation");
        const onHost = mode === "routed" || mode === "nat";
        let node = onHost ? "host" : `${n}-dhcp`;
        if (mode === "nat" && ns.perVm) node = n; // template: each instance is `${n}-${vm}`
        if (onHost && d.server && host && d.server !== host && !(mode === "nat" && dnsAddr === d.server))
          is.add([...dp, "server"], `the DHCP server of a ${mode} network runs on the host (${host})`);
        const serverAddr = onHost ? (d.server ?? host ?? server) : server;
        if (!onHost) {
          claim(node, [...p, "dhcp"], `the DHCP server node of network ${n}`);
          serviceNodes.push({ name: node, network: n, ip: `${serverAddr}/${sub.prefixLength}` });
        }
        dhcp = {
          node,
          iface: onHost ? n : "eth0",
          serverAddress: serverAddr,
          subnet: formatSubnet(sub),
          start,
          end,
          lease: d.lease ?? preset.dhcp.lease,
          router,
          dns: dnsList,
          domain: ns.domain ?? null,
          reservations: d.reservations ?? [],
          allocation: preset.dhcp.allocation,
        };
      }
    }

    // DNS service (dnsmasq / slirp's DNS proxy), forwarding to the outside's DNS server.
    let dns: ResolvedDns | null = null;
    if (sub && (mode === "nat" || mode === "routed") && ns.dns !== false) {
      const a = dnsAddressOf(ns, preset, sub, host);
      if (a) {
        if (typeof ns.dns === "string") inSub([...p, "dns"], ns.dns, "dns");
        dns = {
          node: mode === "nat" && ns.perVm ? n : "host",
          address: a,
          upstream: dnsServer,
          domain: ns.domain ?? null,
        };
      }
    }

    let nat: ResolvedNat | null = null;
    if (mode === "nat") {
      const ns2 = ns.nat ?? {};
      if (ns2.behaviour !== undefined && (ns2.mapping !== undefined || ns2.filtering !== undefined))
        is.add([...p, "nat", "behaviour"], "give a behaviour or mapping/filtering, not both");
      const behaviour: ResolvedNat["behaviour"] =
        ns2.mapping !== undefined || ns2.filtering !== undefined
          ? {
              mapping: ns2.mapping ?? "endpoint-independent",
              filtering: ns2.filtering ?? "address-and-port-dependent",
            }
          : ns2.behaviour === undefined || ns2.behaviour === "linux"
            ? "linux"
            : NAMED_BEHAVIOURS[ns2.behaviour];
      nat = { behaviour, maxFlows: ns2.maxFlows ?? DEFAULT_MAX_FLOWS };
      // The host has one conntrack table (one network namespace): its shared NAT networks share its settings.
      if (!ns.perVm) {
        if (hostNat === null) hostNat = { net: n, nat };
        else if (JSON.stringify(hostNat.nat) !== JSON.stringify(nat))
          is.add(
            [...p, "nat"],
            `the host's NAT networks share one conntrack table: the settings must equal network ${hostNat.net}'s`,
          );
      }
    }
    for (const [i, pf] of (ns.portForwards ?? []).entries()) {
      const vmSpec = spec.vms[pf.vm];
      if (!vmSpec) is.add([...p, "port-forwards", i, "vm"], unknownName(pf.vm, vmNames, "VM"));
      else if (!vmSpec.nics.some((x) => x.network === n))
        is.add([...p, "port-forwards", i, "vm"], `VM ${pf.vm} has no NIC on network ${n}`);
    }
    for (const [i, r] of (ns.routes ?? []).entries())
      if (sub && !contains(sub, ip(r.via)) && mode !== "isolated")
        is.add([...p, "routes", i, "via"], `gateway ${r.via} is not on ${n}'s subnet ${subText}`);

    networks.push({
      name: n,
      mode,
      flavor,
      subnet: subText,
      bridge: mode === "nat" && ns.perVm ? null : n,
      host,
      hostMac: mode === "nat" && flavor === "slirp" && host ? slirpMac(ip(host)) : null,
      dhcp,
      dns,
      nat,
      portForwards: ns.portForwards ?? [],
      perVm: mode === "nat" && ns.perVm === true,
      routes: ns.routes ?? [],
      links: (ns.links ?? []).map((l) => ({ network: l.network, link: l.link ?? null })),
    });
  }
  for (const nw of networks)
    for (const [i, l] of nw.links.entries()) {
      const path = ["networks", nw.name, "links", i];
      const other = spec.networks[l.network];
      if (!other) is.add(path, unknownName(l.network, netNames, "network"));
      else if (l.network === nw.name) is.add(path, "a network cannot link to itself");
      else if (nw.perVm || (other.mode === "nat" && other.perVm))
        is.add(path, "a per-VM NAT network has no bridge to link");
    }

  // Linux default: with forwarding on (routed/NAT), the host still must not route host-only networks: build.ts adds a forward filter.
  // --- the outside DHCP (a home router on gw) ---------------------------------------------------------
  let outsideDhcp: ResolvedDhcp | null = null;
  const od = o.dhcp;
  if (od === undefined ? bridgedExists : od !== false) {
    const d: DhcpSpec = typeof od === "object" ? od : {};
    const start = d.range?.start ?? nthText(outSub, 100);
    const end = d.range?.end ?? nthText(outSub, 199);
    if (d.range)
      for (const a of [d.range.start, d.range.end])
        if (!isHostAddress(outSub, ip(a)))
          is.add(["outside", "dhcp", "range"], `${a} is not in the outside subnet ${formatSubnet(outSub)}`);
    outsideDhcp = {
      node: "gw",
      iface: "eth0",
      serverAddress: gwAddr,
      subnet: formatSubnet(outSub),
      start,
      end,
      lease: d.lease ?? hours,
      router: d.router === false ? null : (d.router ?? gwAddr),
      dns: d.dns === false ? [] : (d.dns ?? (dnsServer ? [dnsServer] : [])),
      domain: null,
      reservations: d.reservations ?? [],
      allocation: "lowest", // a home router's server: sequential, as most are
    };
  }

  // --- VMs -----------------------------------------------------------------------------------------
  const netByName = new Map(networks.map((x) => [x.name, x]));
  const staticUsed = new Map<string, Set<number>>();
  const used = (net: string) => {
    let s = staticUsed.get(net);
    if (!s) {
      s = new Set();
      staticUsed.set(net, s);
    }
    return s;
  };
  // Addresses already taken on each network: host, DHCP server, explicit static NICs and router interfaces.
  for (const nw of networks) {
    const s = used(nw.bridge ?? nw.name);
    if (nw.host && !nw.perVm) s.add(ip(nw.host));
    if (nw.dhcp && !nw.perVm) s.add(ip(nw.dhcp.serverAddress));
    if (nw.dns && !nw.perVm) s.add(ip(nw.dns.address));
  }
  const outsideUsed = used("outside");
  for (const a of usedOutside.keys()) outsideUsed.add(a);
  for (const vn of vmNames)
    for (const nic of spec.vms[vn].nics) {
      const nw = netByName.get(nic.network);
      if (nw && nic.ip && nic.ip !== "dhcp" && nic.ip !== "none" && !nw.perVm)
        used(nw.bridge ?? nw.name).add(addressOf(nic.ip));
    }
  for (const rn of routerNames)
    for (const itf of spec.routers![rn].interfaces) {
      const nw = netByName.get(itf.network);
      if (nw) used(nw.bridge ?? nw.name).add(addressOf(itf.ip));
    }

  const ports = new Map<string, string>();
  ports.set("host.uplink", "outside");
  ports.set("gw.eth0", "outside");
  for (const nw of networks) if (nw.host && !nw.perVm) ports.set(`host.${nw.name}`, nw.name);
  for (const sn of serviceNodes) ports.set(`${sn.name}.eth0`, sn.network);
  for (const [i, seg] of segments.entries()) ports.set(`gw.eth${i + 1}`, seg.name);
  for (const s of servers) ports.set(`${s.name}.eth0`, s.segment);

  let perVmNext = 201;
  // Two NICs with one MAC on a segment confuse every bridge's FDB and every neighbour table (Linux
  // accepts it and flaps): refused here, whichever networks they are on, with the first owner named.
  const macOwner = new Map<string, string>();
  const claimMac = (mac: string | undefined, path: (string | number)[], who: string): void => {
    if (mac === undefined) return;
    const key = mac.toLowerCase().replace(/-/g, ":");
    const first = macOwner.get(key);
    if (first !== undefined) is.add([...path, "mac"], `duplicate MAC ${mac}: already ${first}'s`);
    else macOwner.set(key, who);
  };
  const vms: ResolvedVm[] = [];
  for (const vn of vmNames) {
    const v = spec.vms[vn];
    const nics: ResolvedNic[] = [];
    const ifNames = new Set<string>();
    for (const [i, nic] of v.nics.entries()) {
      const p = ["vms", vn, "nics", i];
      const name = nic.name ?? `eth${i}`;
      if (ifNames.has(name)) is.add([...p, "name"], `VM ${vn} already has an interface ${name}`);
      ifNames.add(name);
      const nw = netByName.get(nic.network);
      if (!nw) {
        is.add([...p, "network"], unknownName(nic.network, netNames, "network"));
        continue;
      }
      ports.set(`${vn}.${name}`, nw.name);
      let ipText = nic.ip ?? null;
      const hasDhcp = nw.mode === "bridged" ? outsideDhcp !== null : nw.dhcp !== null;
      if (ipText === "dhcp" && !hasDhcp) is.add([...p, "ip"], `network ${nw.name} has no DHCP server`);
      if (ipText === null) {
        if (hasDhcp) ipText = "dhcp";
        else if (nw.subnet) {
          // No DHCP: the next free address from .10 (deterministic, in order of appearance).
          const sub = subnetOf(nw.subnet);
          const u = used(nw.bridge ?? nw.name);
          let k = 10;
          while (u.has(nth(sub, k)) && k < 2 ** (32 - sub.prefixLength) - 2) k++;
          u.add(nth(sub, k));
          ipText = `${nthText(sub, k)}/${sub.prefixLength}`;
        } else {
          is.add(
            [...p, "ip"],
            `required: network ${nw.name} has no DHCP and no subnet; give ip: a.b.c.d/len (or none)`,
          );
          ipText = "none";
        }
      } else if (ipText !== "dhcp" && ipText !== "none" && nw.subnet) {
        const sub = subnetOf(nw.subnet);
        if (!isHostAddress(sub, addressOf(ipText)) || Number(ipText.split("/")[1]) !== sub.prefixLength)
          is.add([...p, "ip"], `${ipText} is not a host address of ${nw.name}'s subnet ${nw.subnet}`);
      }
      if (nic.gateway && ipText === "dhcp")
        is.add([...p, "gateway"], "a gateway is given by DHCP here (ip: dhcp); set a static ip to use it");
      let perVmNat: ResolvedNic["perVmNat"] = null;
      if (nw.perVm) {
        const node = `${nw.name}-${vn}`;
        claim(node, p, `the per-VM NAT of ${vn} on ${nw.name}`);
        while (outsideUsed.has(nth(outSub, perVmNext))) perVmNext++;
        const a = nth(outSub, perVmNext);
        outsideUsed.add(a);
        perVmNat = { node, outsideAddress: formatIpv4(a) };
        ports.set(`${node}.eth0`, nw.name);
        ports.set(`${node}.uplink`, "outside");
      }
      claimMac(nic.mac, p, `${vn}.${name}`);
      nics.push({
        name,
        network: nw.name,
        mac: nic.mac ?? null,
        ip: ipText,
        gateway: nic.gateway ?? null,
        dns: nic.dns ?? [],
        link: nic.link ?? null,
        perVmNat,
      });
    }
    for (const [i, rt] of (v.routes ?? []).entries()) {
      const subs = nics
        .map((x) => netByName.get(x.network)?.subnet)
        .filter((x): x is string => typeof x === "string");
      if (subs.length > 0 && !subs.some((sn) => contains(subnetOf(sn), ip(rt.via))))
        is.add(
          ["vms", vn, "routes", i, "via"],
          `gateway ${rt.via} is on none of ${vn}'s networks (${subs.join(", ")})`,
        );
    }
    vms.push({
      name: vn,
      hostname: v.hostname ?? vn,
      udpEcho:
        v.udpEcho === true
          ? [7]
          : typeof v.udpEcho === "number"
            ? [v.udpEcho]
            : Array.isArray(v.udpEcho)
              ? [...v.udpEcho]
              : [],
      forwarding: v.forwarding ?? false,
      routes: v.routes ?? [],
      nics,
    });
  }
  for (const nw of networks)
    if (
      nw.perVm &&
      vms
        .filter((v) => v.nics.some((x) => x.network === nw.name))
        .some((v) => v.nics.filter((x) => x.network === nw.name).length > 1)
    )
      is.add(["networks", nw.name, "per-vm"], "a VM has two NICs on one per-VM NAT network");

  // --- routers -------------------------------------------------------------------------------------
  const routers: ResolvedRouter[] = [];
  for (const rn of routerNames) {
    const r = spec.routers![rn];
    const ifs: ResolvedRouter["interfaces"][number][] = [];
    for (const [i, itf] of r.interfaces.entries()) {
      const p = ["routers", rn, "interfaces", i];
      const nw = netByName.get(itf.network);
      if (!nw) {
        is.add([...p, "network"], unknownName(itf.network, netNames, "network"));
        continue;
      }
      if (nw.perVm) is.add([...p, "network"], `network ${nw.name} is per-VM NAT: nothing else can join it`);
      if (nw.subnet) {
        const sub = subnetOf(nw.subnet);
        if (!isHostAddress(sub, addressOf(itf.ip)))
          is.add([...p, "ip"], `${itf.ip} is not a host address of ${nw.name}'s subnet ${nw.subnet}`);
      }
      const name = itf.name ?? `eth${i}`;
      ports.set(`${rn}.${name}`, nw.name);
      claimMac(itf.mac, p, `${rn}.${name}`);
      ifs.push({ name, network: nw.name, ip: itf.ip, mac: itf.mac ?? null, link: itf.link ?? null });
    }
    for (const [i, rt] of (r.routes ?? []).entries())
      if (!ifs.some((x) => contains(subnetOf(x.ip), ip(rt.via))))
        is.add(
          ["routers", rn, "routes", i, "via"],
          `gateway ${rt.via} is on none of ${rn}'s interfaces (${ifs.map((x) => x.ip).join(", ")})`,
        );
    routers.push({ name: rn, interfaces: ifs, routes: r.routes ?? [] });
  }

  // --- traffic, faults, captures: references -----------------------------------------------------------
  const nodes = new Set<string>([
    ...RESERVED_NODES,
    ...vmNames,
    ...routerNames,
    ...servers.map((s) => s.name),
  ]);
  const guests = [...nodes];
  const checkFrom = (path: (string | number)[], from: string) => {
    if (!nodes.has(from)) is.add(path, unknownName(from, guests, "node"));
  };
  const checkTo = (path: (string | number)[], to: string) => {
    if (parseIpv4TextOrNull(to) !== null) return;
    const dot = to.indexOf(".");
    // `node.iface` (one dot, a known node) is an interface; anything else with a dot is a DNS name.
    if (dot > 0 && to.indexOf(".", dot + 1) < 0 && nodes.has(to.slice(0, dot))) {
      if (!ports.has(to)) is.add(path, unknownName(to, [...ports.keys()], "interface"));
      return;
    }
    if (nodes.has(to) || dot > 0) return; // a node, or a DNS name
    is.add(path, `${unknownName(to, guests, "node")}; a DNS name needs a dot`);
  };
  const traffic = spec.traffic ?? [];
  for (const [i, t] of traffic.entries()) {
    const [kind, body] =
      "ping" in t
        ? (["ping", t.ping] as const)
        : "udpEcho" in t
          ? (["udp-echo", t.udpEcho] as const)
          : (["flow", t.flow] as const);
    checkFrom(["traffic", i, kind, "from"], body.from);
    checkTo(["traffic", i, kind, "to"], body.to);
  }
  const faults = spec.faults ?? [];
  for (const [i, f] of faults.entries()) {
    if ("linkDown" in f || "linkUp" in f) {
      const key = "linkDown" in f ? "link-down" : "link-up";
      const target = "linkDown" in f ? f.linkDown : f.linkUp;
      if (!ports.has(target))
        is.add(["faults", i, key], unknownName(target, [...ports.keys()], "interface (node.iface)"));
    } else {
      const key = "stop" in f ? "stop" : "start";
      const target = "stop" in f ? f.stop : f.start;
      if (
        !vmNames.includes(target) &&
        !routerNames.includes(target) &&
        !servers.some((s) => s.name === target)
      )
        is.add(
          ["faults", i, key],
          unknownName(
            target,
            [...vmNames, ...routerNames, ...servers.map((s) => s.name)],
            "VM, router or server",
          ),
        );
    }
  }
  const captures = spec.captures ?? "all";
  if (Array.isArray(captures))
    for (const [i, c] of captures.entries())
      if (!ports.has(c) && !netByName.has(c) && c !== "outside")
        is.add(["captures", i], unknownName(c, [...ports.keys(), ...netNames], "interface or network"));

  if (is.list.length > 0) return { topology: null, issues: is.list };
  return {
    topology: {
      name: spec.name,
      seed: spec.seed ?? 1,
      duration: spec.duration ?? DEFAULT_DURATION,
      networks,
      vms,
      routers,
      outside: {
        subnet: formatSubnet(outSub),
        gateway: gwAddr,
        host: hostUp,
        domain,
        dhcp: outsideDhcp,
        servers,
        segments,
        link: o.link ?? null,
        dnsServer,
        gwRoutes,
      },
      hostForwarding,
      serviceNodes,
      traffic,
      faults,
      captures,
      ports,
    },
    issues: [],
  };
}

function hostAttached(ns: NetworkSpec): boolean {
  return ns.mode === "host-only" || ns.mode === "routed" || (ns.mode === "nat" && ns.perVm !== true);
}

function dnsAddressOf(ns: NetworkSpec, preset: ModePreset, sub: Subnet, host: string | null): string | null {
  if (ns.dns === false) return null;
  if (typeof ns.dns === "string") return ns.dns;
  if (preset.dns === null) return null;
  // libvirt/routed: dnsmasq listens on the host's address; slirp: the fixed .3.
  return preset.dns === 1 && host ? host : nthText(sub, preset.dns);
}

function parseIpv4TextOrNull(s: string): Ipv4 | null {
  try {
    return parseIpv4Address(s);
  } catch {
    return null;
  }
}

function unknownName(name: string, known: readonly string[], what: string): string {
  const near = didYouMean(name, known);
  return `unknown ${what} "${name}"${near ? ` (did you mean "${near}"?)` : ""}`;
}

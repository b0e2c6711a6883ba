/**
 * The typed topology description: what a YAML file (yaml.ts) and the TypeScript builder (builder.ts)
 * both produce. It is plain data — no simulator objects, units already converted (durations in integer
 * ns, rates in bits/s, loss as a probability), addresses as validated dotted strings — so it can be
 * printed, stored as JSON and compared. Only `buildTopology(spec, sim)` (build.ts) creates objects.
 *
 * Every field below `mode` is optional: the mode's preset (presets.ts) fills in what VirtualBox,
 * libvirt or QEMU would use, and what is given overrides the preset field by field.
 *
 * The structure mirrors the YAML file key for key (YAML `port-forwards` is `portForwards` here), so a
 * problem found on the spec can be reported at the file position of the same path.
 */
import type { SimTime } from "../sim/time.js";

/** The DESIGN.md network modes. */
export type NetworkMode = "bridged" | "host-only" | "routed" | "nat" | "isolated";

export const NETWORK_MODES: readonly NetworkMode[] = ["bridged", "host-only", "routed", "nat", "isolated"];

/** Which product's defaults a NAT network takes: QEMU user networking (10.0.2.0/24) or libvirt's default network. */
export type NatFlavor = "slirp" | "libvirt";

/** RFC 4787 mapping / filtering behaviour. */
export type NatBehaviour = "endpoint-independent" | "address-dependent" | "address-and-port-dependent";

/** Impairments of the link between a NIC and its network (netem-like; the same both ways). */
export interface LinkSpec {
  /** One-way delay (ns). */
  readonly delay?: SimTime;
  /** Uniform jitter ± this (ns). */
  readonly jitter?: SimTime;
  /** Line rate, bits/s. */
  readonly rate?: number;
  /** Random loss probability 0..1. */
  readonly loss?: number;
  readonly duplicate?: number;
  readonly corrupt?: number;
  /** Transmit queue in packets when `rate` is set (default 1000, Linux txqueuelen). */
  readonly queue?: number;
}

export interface ReservationSpec {
  readonly mac: string;
  readonly ip: string;
  readonly hostname?: string;
}

/** A DHCP server on a network (or, in `outside`, for bridged VMs). */
export interface DhcpSpec {
  /** Pool, inclusive. */
  readonly range?: { readonly start: string; readonly end: string };
  /** Lease time (ns). */
  readonly lease?: SimTime;
  /** The server's own address (VirtualBox host-only: a separate server at .100). */
  readonly server?: string;
  /** Option 3; false: none. */
  readonly router?: string | false;
  /** Option 6; false: none. */
  readonly dns?: readonly string[] | false;
  readonly reservations?: readonly ReservationSpec[];
}

/** Named NAT behaviours: Linux MASQUERADE, or the classic RFC 3489 names as RFC 4787 pairs. */
export type NatBehaviourName =
  | "linux"
  | "full-cone"
  | "restricted-cone"
  | "port-restricted-cone"
  | "symmetric";

export interface NatSpec {
  /** A named behaviour (default "linux"); or give `mapping` / `filtering`. */
  readonly behaviour?: NatBehaviourName;
  /** RFC 4787 mapping (default endpoint-independent when `filtering` is given). */
  readonly mapping?: NatBehaviour;
  /** RFC 4787 filtering (default address-and-port-dependent when `mapping` is given). */
  readonly filtering?: NatBehaviour;
  /** Conntrack table limit (Linux nf_conntrack_max-like); new flows beyond it are dropped and counted. */
  readonly maxFlows?: number;
}

/** A DNAT port forward: `hostPort` on the NAT's outside address → `vm`:`port`. */
export interface PortForwardSpec {
  readonly proto: "tcp" | "udp";
  readonly hostPort: number;
  readonly vm: string;
  readonly port: number;
}

/** A static route: `to` a CIDR (or "default") `via` a gateway address. */
export interface RouteSpec {
  readonly to: string;
  readonly via: string;
}

export interface NetworkSpec {
  readonly mode: NetworkMode;
  /** nat only: "slirp" (default) or "libvirt". */
  readonly flavor?: NatFlavor;
  /** The IPv4 subnet, `a.b.c.d/len` (normalised to the network address). */
  readonly subnet?: string;
  /** The host's (gateway's) address on the network: host-only, routed, nat. */
  readonly host?: string;
  /** DHCP: false to disable, true for the preset, or settings merged over the preset. */
  readonly dhcp?: DhcpSpec | boolean;
  /** nat: the DNS service address (slirp .3, libvirt .1); false to disable. */
  readonly dns?: string | boolean;
  /** DNS domain of the VMs' names (dnsmasq `domain=`). */
  readonly domain?: string;
  readonly nat?: NatSpec;
  readonly portForwards?: readonly PortForwardSpec[];
  /** nat: true = QEMU-slirp style, every VM alone on its own private NAT network. */
  readonly perVm?: boolean;
  /** routed/nat/host-only: static routes on the host. */
  readonly routes?: readonly RouteSpec[];
  /** Links from this network's bridge to other networks' bridges (switch to switch; no STP: no loops). */
  readonly links?: readonly NetworkLinkSpec[];
}

/** A bridge-to-bridge link. */
export interface NetworkLinkSpec {
  readonly network: string;
  readonly link?: LinkSpec;
}

export interface NicSpec {
  readonly network: string;
  /** Interface name in the VM (default eth0, eth1, … in order). */
  readonly name?: string;
  readonly mac?: string;
  /** "dhcp", "none", or a static `a.b.c.d/len`. Default: dhcp where the network has DHCP, else an address from the subnet. */
  readonly ip?: string;
  /** Static configuration: default gateway. */
  readonly gateway?: string;
  /** Static configuration: DNS servers. */
  readonly dns?: readonly string[];
  readonly link?: LinkSpec;
  /**
   * The NIC's peer is a Linux TAP device (`vnet serve` / `vnet vm` open it): the kernel's stack in that
   * namespace, or anything bridged to the TAP there, is the VM. The TAP gets the NIC's MAC, and the NIC
   * passes every frame (as a bridge port) so that what is bridged behind the TAP is reachable too.
   * `vnet run` simulates the VM as usual.
   */
  readonly tap?: TapSpec;
}

/** A Linux TAP device as a NIC's peer. */
export interface TapSpec {
  /** Interface name (at most 15 bytes); created if it does not exist. */
  readonly name: string;
  /** The network namespace it lives in: a name (`/var/run/netns/NAME`, as `ip netns add`) or a path; default vnet's own. */
  readonly netns?: string;
}

/** A disk of a VM that `vnet vm` launches: QEMU `-drive file=…,if=…,format=…`. */
export interface QemuDiskSpec {
  readonly file: string;
  /** QEMU's `format=` (raw, qcow2, …; default: QEMU probes, and warns for raw). */
  readonly format?: string;
  /** QEMU's `if=` (default virtio). */
  readonly interface?: "virtio" | "ide" | "scsi" | "sd" | "none";
  /** Writes go to a temporary overlay, the image stays as it was (QEMU `snapshot=on`). */
  readonly snapshot?: boolean;
  readonly readonly?: boolean;
}

/**
 * How `vnet vm` launches a real QEMU for this VM (it is ignored by `vnet run`, where the VM is simulated).
 * Paths are relative to the topology file's folder. Every NIC of the VM is plugged into vnet through an
 * inherited fd (`-netdev stream,addr.type=fd`) with the topology's MAC.
 */
export interface QemuSpec {
  /** The QEMU program (default qemu-system-x86_64, looked up in PATH). */
  readonly binary?: string;
  /** Guest memory as QEMU's `-m` takes it (`256M`, `1G`; a bare number is MiB; default 256M). */
  readonly memory?: string;
  /** vCPUs (`-smp`, default 1). */
  readonly cpus?: number;
  /** `-accel` (default tcg: no KVM on these machines). */
  readonly accel?: string;
  /** `-machine` (default: QEMU's). */
  readonly machine?: string;
  /** Direct kernel boot: `-kernel`, `-initrd`, `-append`. */
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  readonly disks?: readonly QemuDiskSpec[];
  /** The NIC model (`-device MODEL,netdev=…,mac=…`; default virtio-net-pci). */
  readonly nicModel?: string;
  /** Extra QEMU arguments, appended as given. */
  readonly args?: readonly string[];
}

export interface VmSpec {
  readonly nics: readonly NicSpec[];
  /** A real QEMU VM for `vnet vm`; `vnet run` simulates the VM as usual. */
  readonly qemu?: QemuSpec;
  /** IP forwarding in the guest (default false). */
  readonly forwarding?: boolean;
  readonly routes?: readonly RouteSpec[];
  /** DHCP hostname (option 12; default: the VM's name). */
  readonly hostname?: string;
  /** UDP echo servers (RFC 862) in the VM: a port, several, or true for 7. */
  readonly udpEcho?: number | readonly number[] | boolean;
}

export interface RouterInterfaceSpec {
  readonly network: string;
  /** `a.b.c.d/len`. */
  readonly ip: string;
  readonly name?: string;
  readonly mac?: string;
  readonly link?: LinkSpec;
}

/** An extra IP router (forwarding on) between networks. */
export interface RouterSpec {
  readonly interfaces: readonly RouterInterfaceSpec[];
  readonly routes?: readonly RouteSpec[];
}

/** A server of the simulated outside. It answers ping always. */
export interface ServerSpec {
  readonly ip: string;
  /** UDP echo (RFC 862) on this port; true = 7. */
  readonly udpEcho?: number | boolean;
  /** A DNS server: true = the outside's names, or extra static A records. */
  readonly dns?: Readonly<Record<string, string>> | boolean;
}

/** The simulated internet behind the host's uplink. */
export interface OutsideSpec {
  /** The uplink segment (default TEST-NET-2 198.51.100.0/24). */
  readonly subnet?: string;
  /** The outside router ("gw", default .1): the host's default gateway. */
  readonly gateway?: string;
  /** The host's uplink address (default .2). */
  readonly host?: string;
  /** Domain of the servers' names in the outside DNS (default example.net). */
  readonly domain?: string;
  /** The home-router-like DHCP server on the uplink segment, for bridged VMs (served by gw). */
  readonly dhcp?: DhcpSpec | boolean;
  /** Servers by name; when absent, the default servers (web, dns) exist. */
  readonly servers?: Readonly<Record<string, ServerSpec>>;
  /** Impairments of the host's uplink. */
  readonly link?: LinkSpec;
}

export interface PingSpec {
  readonly from: string;
  /** A VM, server or router name (`vm1`, `vm1.eth1`), `host`, `gw`, an address, or a DNS name. */
  readonly to: string;
  readonly count?: number;
  readonly interval?: SimTime;
  readonly size?: number;
  readonly ttl?: number;
  readonly timeout?: SimTime;
}

export interface UdpEchoSpec {
  readonly from: string;
  readonly to: string;
  readonly port?: number;
  readonly count?: number;
  readonly interval?: SimTime;
  readonly size?: number;
}

export interface FlowSpec {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** bits/s. */
  readonly rate: number;
  /** UDP payload bytes. */
  readonly size: number;
  readonly duration: SimTime;
}

/** One item of the traffic timeline: exactly one of ping, udpEcho, flow, at a virtual time. */
export type TrafficSpec =
  | { readonly at: SimTime; readonly ping: PingSpec }
  | { readonly at: SimTime; readonly udpEcho: UdpEchoSpec }
  | { readonly at: SimTime; readonly flow: FlowSpec };

/**
 * A fault at a virtual time. Targets: `vm1.eth0` (a node's interface: link down/up as QEMU `set_link`),
 * a node name for stop/start (a VM, a server, a router).
 */
export type FaultSpec =
  | { readonly at: SimTime; readonly linkDown: string }
  | { readonly at: SimTime; readonly linkUp: string }
  | { readonly at: SimTime; readonly stop: string }
  | { readonly at: SimTime; readonly start: string };

/** "all" node interfaces, "none", or a list of names: `vm1.eth0`, `host.uplink`, a network name. */
export type CaptureSpec = "all" | "none" | readonly string[];

export interface TopologySpec {
  readonly name: string;
  readonly seed?: number;
  /** Virtual run time (default 60 s). */
  readonly duration?: SimTime;
  readonly networks: Readonly<Record<string, NetworkSpec>>;
  readonly vms: Readonly<Record<string, VmSpec>>;
  readonly routers?: Readonly<Record<string, RouterSpec>>;
  readonly outside?: OutsideSpec;
  readonly traffic?: readonly TrafficSpec[];
  readonly faults?: readonly FaultSpec[];
  readonly captures?: CaptureSpec;
}

/** What a problem found in a topology looks like before it gets a file position. */
export interface TopologyIssue {
  /** The path in the spec (and, key for key, in the YAML file). */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** The problem is the key at the end of the path itself (an unknown key, a bad name), not its value. */
  readonly atKey?: boolean;
}

/** A bad topology: the first problem, with its path, and (for a file) where it is. */
export class TopologyError extends Error {
  override readonly name = "TopologyError";
  constructor(
    message: string,
    readonly issues: readonly TopologyIssue[],
    readonly file?: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
  }
}

/** `networks.lan.dhcp.range` from a path. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out;
}

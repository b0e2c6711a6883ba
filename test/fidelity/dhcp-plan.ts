/**
 * The DHCP differential test's shared plan (issue 6): libvirt's "default" network as both sides run
 * it — dnsmasq 2.90 with the options libvirt's `networkDnsmasqConfContents` (src/network/bridge_driver.c)
 * writes for `<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2'
 * end='192.168.122.254'/>…`, and vnet's DhcpServer configured by topology/'s `nat` / `libvirt` preset —
 * and the client frames both are fed, built with wire/ emitters.
 *
 * A scenario is a script over a `DhcpRig`: it sends a client frame and gets back what the server sent
 * out of its interface, so a REQUEST can name the address that side's OFFER gave.
 */
import type { DhcpServerOptions } from "../../services/index.js";
import { dhcpServerOptions, resolveTopology } from "../../topology/presets.js";
import type { ReservationSpec } from "../../topology/spec.js";
import { formatIpv4, parseMac } from "../../wire/addr.js";
import {
  BootpOp,
  buildDhcp,
  type DhcpOptionItem,
  type DhcpRepr,
  decodeDhcp,
  dhcpOption,
  dhcpOptions,
  encodeDhcp,
  DhcpMessageType as T,
} from "../../wire/dhcp.js";
import { eth, ip, udpPacket } from "../netns/frames.js";

/** The bridge's (virbr0's) MAC on both sides; libvirt draws a 52:54:00 MAC for it. */
export const SERVER_MAC = "52:54:00:7a:00:01";
export const SERVER_IP = "192.168.122.1";
export const SUBNET = "192.168.122.0/24";
export const POOL_START = "192.168.122.2";
export const POOL_END = "192.168.122.254";
/** The interface dnsmasq serves (libvirt's bridge name). */
export const SERVER_IF = "virbr0";

/** A host with a static reservation (libvirt `<host mac=… name=… ip=…/>` → dnsmasq `dhcp-host`). */
export const RESERVED: ReservationSpec = { mac: "52:54:00:aa:bb:01", ip: "192.168.122.50", hostname: "db" };

/** The vnet DHCP server options of libvirt's default network, as topology/'s preset resolves them. */
export function presetDhcp(): DhcpServerOptions {
  const r = resolveTopology({
    name: "dhcp-fidelity",
    networks: { default: { mode: "nat", flavor: "libvirt", dhcp: { reservations: [RESERVED] } } },
    vms: {},
  });
  if (r.topology === null) throw new Error(`preset: ${r.issues.map((i) => i.message).join("; ")}`);
  const d = r.topology.networks.find((n) => n.name === "default")?.dhcp;
  if (!d) throw new Error("preset: the libvirt network has no DHCP server");
  return dhcpServerOptions(d);
}

/**
 * dnsmasq's command line: what libvirt writes into its conf file for the default network
 * (strict-order, except-interface=lo, bind-dynamic, interface=, dhcp-range=start,end,netmask,
 * dhcp-no-override, dhcp-authoritative, dhcp-lease-max=253, the reservation as a dhcp-host line), with
 * the lease file in the test's directory. Differences from libvirt, none of which changes a DHCP reply:
 * no pid file, no `--leasefile-ro`/`--dhcp-script` (libvirt's leases helper), `--no-hosts` and
 * `--no-resolv` (nothing of this machine's /etc leaks in), `--user=root` (no privilege drop in the
 * throw-away namespace), `--log-dhcp` to stderr for diagnostics. DNS stays on (port 53) because option 6
 * depends on it (dnsmasq offers itself as DNS server only when it serves DNS).
 */
export function dnsmasqArgs(leaseFile: string): string[] {
  const mask = "255.255.255.0";
  return [
    "--no-daemon",
    "--conf-file=/dev/null",
    "--strict-order",
    "--except-interface=lo",
    "--bind-dynamic",
    `--interface=${SERVER_IF}`,
    `--dhcp-range=${POOL_START},${POOL_END},${mask}`,
    "--dhcp-no-override",
    "--dhcp-authoritative",
    "--dhcp-lease-max=253",
    `--dhcp-host=${RESERVED.mac},${RESERVED.ip},${RESERVED.hostname}`,
    `--dhcp-leasefile=${leaseFile}`,
    "--pid-file=",
    "--no-hosts",
    "--no-resolv",
    "--user=root",
    "--group=root",
    "--log-dhcp",
    "--log-facility=-",
  ];
}

/** What a rig hands back for one client frame: the frames the server sent out, in order. */
export interface DhcpRig {
  /**
   * Sends `frame` (from the client side of the wire) and returns what the server sent out of its
   * interface afterwards: `dhcp` the DHCP replies (UDP from port 67), `other` anything else (ARP, ICMP).
   * `replies` is how many DHCP replies the script expects (0 or 1): the Linux side waits for that many
   * (bounded), then a short settle time for surprises.
   */
  send(frame: Uint8Array, replies: number): Promise<{ dhcp: Uint8Array[]; other: Uint8Array[] }>;
}

/** One step's outputs on one side. */
export interface StepOutput {
  readonly label: string;
  readonly dhcp: readonly Uint8Array[];
  readonly other: readonly Uint8Array[];
}

export type DhcpScript = (
  rig: DhcpRig,
  record: (label: string, out: Omit<StepOutput, "label">) => void,
) => Promise<void>;

/** Runs `script` on `rig`, collecting each step's outputs. */
export async function runScript(rig: DhcpRig, script: DhcpScript): Promise<StepOutput[]> {
  const steps: StepOutput[] = [];
  await script(rig, (label, out) => steps.push({ label, ...out }));
  return steps;
}

// ---- client frames -------------------------------------------------------------------------------

/** Options a client puts in its messages. */
export interface ClientOptions {
  readonly xid: number;
  readonly broadcast?: boolean;
  readonly ciaddr?: string;
  readonly requested?: string;
  readonly serverId?: string;
  readonly hostname?: string;
  /** Option 55; default udhcpc's (busybox 1.35): 1 3 6 12 15 28 42. */
  readonly prl?: readonly number[];
  /** Option 51 the client asks for. */
  readonly lease?: number;
}

/** busybox udhcpc's default parameter request list (subnet, router, dns, hostname, domain, broadcast, ntp). */
export const UDHCPC_PRL: readonly number[] = [1, 3, 6, 12, 15, 28, 42];

/** A client's DHCP message (option order: 53, 61, 50, 54, 51, 12, 55; zero-padded to 300 bytes). */
export function clientMessage(type: number, mac: string, o: ClientOptions): DhcpRepr {
  const m = parseMac(mac);
  const options: DhcpOptionItem[] = [dhcpOption.clientIdMac(m)];
  if (o.requested !== undefined) options.push(dhcpOption.requestedIp(ip(o.requested)));
  if (o.serverId !== undefined) options.push(dhcpOption.serverId(ip(o.serverId)));
  if (o.lease !== undefined) options.push(dhcpOption.leaseTime(o.lease));
  if (o.hostname !== undefined) options.push(dhcpOption.hostname(o.hostname));
  if (type === T.Discover || type === T.Request || type === T.Inform)
    options.push(dhcpOption.parameterRequestList(o.prl ?? UDHCPC_PRL));
  return buildDhcp({
    messageType: type,
    xid: o.xid,
    chaddr: m,
    op: BootpOp.Request,
    broadcast: o.broadcast ?? false,
    ...(o.ciaddr !== undefined ? { ciaddr: ip(o.ciaddr) } : {}),
    options,
  });
}

/**
 * The Ethernet frame a client sends: broadcast from 0.0.0.0 (or from ciaddr when set) to
 * 255.255.255.255, or unicast to `to` at `toMac` (a renewal), TTL 64, UDP 68 → 67.
 */
export function clientFrame(msg: DhcpRepr, mac: string, to?: { ip: string; mac: string }): Uint8Array {
  const src = msg.ciaddr !== 0 ? formatIpv4(msg.ciaddr) : "0.0.0.0";
  const dst = to?.ip ?? "255.255.255.255";
  const pkt = udpPacket({ src, dst, ttl: 64, id: 0 }, 68, 67, encodeDhcp(msg));
  return eth(to?.mac ?? "ff:ff:ff:ff:ff:ff", mac, pkt);
}

// ---- reading replies -----------------------------------------------------------------------------

/** The DHCP message in a reply frame (Ethernet/IPv4 without options/UDP). */
export function replyMessage(frame: Uint8Array): DhcpRepr {
  const ihl = (frame[14] & 0x0f) * 4;
  const udpLen = (frame[14 + ihl + 4] << 8) | frame[14 + ihl + 5];
  return decodeDhcp(frame.subarray(14 + ihl + 8, 14 + ihl + udpLen));
}

/** The address a reply hands out (yiaddr), as text. */
export function yiaddrOf(frames: readonly Uint8Array[]): string | undefined {
  const f = frames[0];
  return f === undefined ? undefined : formatIpv4(replyMessage(f).yiaddr);
}

/** The message type of a reply frame. */
export function replyType(frame: Uint8Array): number | undefined {
  return dhcpOptions(replyMessage(frame)).messageType;
}

/** Whether a frame is IPv4/UDP from port 67 (a DHCP server's reply). */
export function isDhcpReply(frame: Uint8Array): boolean {
  if (frame.byteLength < 42 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 17) return false;
  const ihl = (frame[14] & 0x0f) * 4;
  return ((frame[14 + ihl] << 8) | frame[14 + ihl + 1]) === 67;
}

import { formatIpv4, type Ipv4 } from "../wire/index.js";
import { type ConnTable, CtStatus } from "./table.js";
import { TCP_STATE_NAMES, type TcpCtStateName } from "./tcp-state.js";

/** One direction of a connection, as `conntrack -L` prints it. */
export interface ConntrackTuple {
  readonly src: Ipv4;
  readonly dst: Ipv4;
  /** TCP/UDP ports (absent for other protocols). */
  readonly sport?: number;
  readonly dport?: number;
  /** ICMP queries: type, code and identifier. */
  readonly type?: number;
  readonly code?: number;
  readonly id?: number;
}

/** A tracked connection. */
export interface ConntrackEntry {
  /** IP protocol number. */
  readonly proto: number;
  /** conntrack's protocol name: tcp, udp, icmp, … or "unknown". */
  readonly protoName: string;
  /** TCP state (null for other protocols). */
  readonly state: TcpCtStateName | null;
  /** Whole seconds left before it expires (what `conntrack -L` prints). */
  readonly timeout: number;
  /** Absolute expiry time (ns of simulated time). */
  readonly expiresAt: number;
  readonly original: ConntrackTuple;
  readonly reply: ConntrackTuple;
  /** A packet has been seen in the reply direction (no [UNREPLIED]). */
  readonly seenReply: boolean;
  readonly assured: boolean;
  /** The original source / destination is translated. */
  readonly srcNat: boolean;
  readonly dstNat: boolean;
}

/** libnetfilter_conntrack's protocol names. */
const PROTO_NAMES: Record<number, string> = {
  1: "icmp",
  6: "tcp",
  17: "udp",
  33: "dccp",
  47: "gre",
  58: "icmpv6",
  132: "sctp",
  136: "udplite",
};

export function protoName(proto: number): string {
  return PROTO_NAMES[proto] ?? "unknown";
}

function tupleOf(t: ConnTable, node: number): ConntrackTuple {
  const pk = t.nPk[node];
  const proto = pk & 0xff;
  const src = t.nSrc[node] as Ipv4;
  const dst = t.nDst[node] as Ipv4;
  const ports = t.nPorts[node];
  if (proto === 6 || proto === 17) return { src, dst, sport: ports >>> 16, dport: ports & 0xffff };
  if (proto === 1) return { src, dst, type: (pk >>> 8) & 0xff, code: (pk >>> 16) & 0xff, id: ports >>> 16 };
  return { src, dst };
}

/** A plain snapshot of entry `e` at time `now`. */
export function entryOf(t: ConnTable, e: number, now: number): ConntrackEntry {
  const st = t.status[e];
  const proto = t.nPk[2 * e] & 0xff;
  const left = t.expires[e] - now;
  return {
    proto,
    protoName: protoName(proto),
    state: proto === 6 ? TCP_STATE_NAMES[t.tcpState[e]] : null,
    timeout: left > 0 ? Math.floor(left / 1e9) : 0,
    expiresAt: t.expires[e],
    original: tupleOf(t, 2 * e),
    reply: tupleOf(t, 2 * e + 1),
    seenReply: (st & CtStatus.SEEN_REPLY) !== 0,
    assured: (st & CtStatus.ASSURED) !== 0,
    srcNat: (st & CtStatus.SRC_NAT) !== 0,
    dstNat: (st & CtStatus.DST_NAT) !== 0,
  };
}

function formatTuple(proto: number, t: ConntrackTuple): string {
  let s = `src=${formatIpv4(t.src)} dst=${formatIpv4(t.dst)} `;
  if (proto === 6 || proto === 17) s += `sport=${t.sport} dport=${t.dport} `;
  else if (proto === 1) s += `type=${t.type} code=${t.code} id=${t.id} `;
  return s;
}

/**
 * One line of `conntrack -L` (conntrack-tools 1.4.7, checked against Linux 6.18 in a network namespace):
 * `udp      17 29 src=10.0.2.15 dst=203.0.113.10 sport=40000 dport=7 [UNREPLIED] src=203.0.113.10
 * dst=203.0.113.2 sport=7 dport=40000 mark=0 use=1` — protocol name padded to 8, number, seconds left,
 * the TCP state, the original tuple, [UNREPLIED] until a reply was seen, the reply tuple, [ASSURED].
 */
export function formatEntry(e: ConntrackEntry): string {
  let s = `${e.protoName.padEnd(8)} ${e.proto} ${e.timeout} `;
  if (e.state !== null) s += `${e.state} `;
  s += formatTuple(e.proto, e.original);
  if (!e.seenReply) s += "[UNREPLIED] ";
  s += formatTuple(e.proto, e.reply);
  if (e.assured) s += "[ASSURED] ";
  return `${s}mark=0 use=1`;
}
